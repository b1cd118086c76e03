"""One frozen, validated settings object, gathered from the sections the packages declare.

Names are the ones the Azure Functions app settings and ``local.settings.json`` use. Each
package declares the settings it reads next to its code (:mod:`bot.bot_settings`,
:mod:`storage.settings`, :mod:`actions.settings`, :mod:`telemetry.settings`); this module
gathers them into :class:`Settings`, adds the checks that span sections (what must or must not
be set in Azure), and names every problem at once. :data:`SETTINGS` lists every declaration; the
reference table in ``docs/settings.md`` is generated from it (``python -m tools.gen_docs``) and a
test fails when it is stale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from actions.settings import ARM_SETTINGS, ArmSettings
from appsettings import SettingsError, SettingSpec, raise_problems
from bot.bot_settings import BOT_AUTH_OVERRIDE_KEYS, BOT_SETTINGS, AppType, BotSettings
from governing.settings import GUARDRAIL_SETTINGS, GuardrailSettings
from storage.settings import STORAGE_SETTINGS, StorageSettings
from telemetry.settings import TELEMETRY_SETTINGS, TelemetrySettings

__all__ = [
    "BOT_AUTH_OVERRIDE_KEYS",
    "SETTINGS",
    "AppType",
    "ArmSettings",
    "BotSettings",
    "GuardrailSettings",
    "SettingSpec",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "TelemetrySettings",
]

SETTINGS: tuple[SettingSpec, ...] = (
    BOT_SETTINGS + STORAGE_SETTINGS + ARM_SETTINGS + GUARDRAIL_SETTINGS + TELEMETRY_SETTINGS
)
"""Every setting Switchboard reads, section by section: the Teams edge, storage, ARM, guardrails, telemetry."""


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one Switchboard process. Build it with :meth:`from_env`.

    The bot's and telemetry's values are fields of their own (the shape hosts and tests build);
    :attr:`bot` and :attr:`telemetry` give them as those packages' sections.
    """

    app_id: str
    app_password: str = field(repr=False)
    app_tenant_id: str
    app_type: AppType
    storage: StorageSettings
    allowed_tenants: frozenset[str]
    appinsights_connection_string: str | None = field(default=None, repr=False)
    log_level: str = "INFO"
    bot_auth_overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    arm: ArmSettings = field(default_factory=ArmSettings)
    guardrails: GuardrailSettings = field(default_factory=GuardrailSettings)

    @property
    def bot(self) -> BotSettings:
        """The Teams edge's section: identity, allowed tenants, authentication overrides."""
        return BotSettings(
            app_id=self.app_id,
            app_password=self.app_password,
            app_tenant_id=self.app_tenant_id,
            app_type=self.app_type,
            allowed_tenants=self.allowed_tenants,
            bot_auth_overrides=self.bot_auth_overrides,
        )

    @property
    def telemetry(self) -> TelemetrySettings:
        """Telemetry's section: the Application Insights connection string and the log level."""
        return TelemetrySettings(
            appinsights_connection_string=self.appinsights_connection_string, log_level=self.log_level
        )

    @property
    def authentication_enabled(self) -> bool:
        """False only for local runs without an app id (anonymous, loopback only)."""
        return self.bot.authentication_enabled

    def bot_auth_configuration(self) -> dict[str, Any]:
        """The configuration mapping ``ConfigurationBotFrameworkAuthentication`` reads."""
        return self.bot.bot_auth_configuration()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate every section; raise :class:`SettingsError` naming each problem."""
        problems: list[str] = []
        bot = BotSettings.read(env, problems)
        storage = StorageSettings.read(env, problems)
        arm = ArmSettings.read(env, problems)
        telemetry = TelemetrySettings.read(env, problems)
        guardrails = GuardrailSettings.read(env, problems)

        # The App Service platform sets WEBSITE_INSTANCE_ID on every Azure instance (never locally,
        # not even under `func start`): there an empty app id would accept unauthenticated requests.
        if env.get("WEBSITE_INSTANCE_ID"):
            if not bot.app_id:
                problems.append(
                    "MicrosoftAppId: required when running in Azure; without it requests are not authenticated"
                )
            if arm.uses_sandbox:
                problems.append("SWITCHBOARD_ARM_SANDBOX_URL: must be empty in Azure (the sandbox is a local tool)")

        raise_problems(problems, "Switchboard cannot start; fix these settings:")
        return cls(
            app_id=bot.app_id,
            app_password=bot.app_password,
            app_tenant_id=bot.app_tenant_id,
            app_type=bot.app_type,
            storage=storage,
            allowed_tenants=bot.allowed_tenants,
            appinsights_connection_string=telemetry.appinsights_connection_string,
            log_level=telemetry.log_level,
            bot_auth_overrides=bot.bot_auth_overrides,
            arm=arm,
            guardrails=guardrails,
        )
