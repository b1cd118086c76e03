"""The Teams edge's section of the settings: the bot's Entra identity and who may talk to it.

Read by the composition root into :class:`BotSettings` (``Settings.bot``) and handed to
:func:`bot.adapter.build_adapter` and the activity handler.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from appsettings import GUID, SettingSpec

__all__ = [
    "APP_TYPE_REQUIREMENTS",
    "BOT_AUTH_OVERRIDE_KEYS",
    "BOT_SETTINGS",
    "AppType",
    "AppTypeRequirements",
    "BotSettings",
]

# Entra tenant ids are GUIDs; the Agents Playground's mock tenant has a 13-digit last group,
# so the allow-list accepts GUID-shaped hex ids with 12 or 13 digits at the end.
_TENANT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12,13}$")

# Endpoint overrides the Bot Framework SDK's ConfigurationBotFrameworkAuthentication accepts.
# Passed through unchanged; used to point token validation at a test key server.
BOT_AUTH_OVERRIDE_KEYS = (
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
    "OAUTH_URL",
    "CALLER_ID",
    "VALIDATE_AUTHORITY",
)


class AppType(StrEnum):
    """How the bot's Entra identity is set up (``MicrosoftAppType``)."""

    MULTI_TENANT = "MultiTenant"
    SINGLE_TENANT = "SingleTenant"
    USER_ASSIGNED_MSI = "UserAssignedMSI"


@dataclass(frozen=True)
class AppTypeRequirements:
    """What one ``MicrosoftAppType`` needs besides ``MicrosoftAppId``: the settings that must be set
    and the ones that must stay empty, with a phrase saying why (for the settings docs)."""

    required: tuple[str, ...]
    must_be_empty: tuple[str, ...]
    explanation: str


APP_TYPE_REQUIREMENTS: Mapping[AppType, AppTypeRequirements] = MappingProxyType({
    AppType.MULTI_TENANT: AppTypeRequirements(
        required=("MicrosoftAppPassword",),
        must_be_empty=(),
        explanation="an app registration usable from any tenant, with a client secret",
    ),
    AppType.SINGLE_TENANT: AppTypeRequirements(
        required=("MicrosoftAppPassword", "MicrosoftAppTenantId"),
        must_be_empty=(),
        explanation="an app registration of one tenant, with a client secret",
    ),
    AppType.USER_ASSIGNED_MSI: AppTypeRequirements(
        required=("MicrosoftAppTenantId",),
        must_be_empty=("MicrosoftAppPassword",),
        explanation=(
            "the Function App's user-assigned managed identity (MicrosoftAppId is its client id); "
            "no secret at all"
        ),
    ),
})
"""Which companion settings each ``MicrosoftAppType`` needs once ``MicrosoftAppId`` is set."""


def _app_type_description() -> str:
    parts = []
    for app_type, needs in APP_TYPE_REQUIREMENTS.items():
        detail = ["`MicrosoftAppId`", *(f"`{name}`" for name in needs.required)]
        text = f"`{app_type.value}`: {needs.explanation}; needs {', '.join(detail)}"
        if needs.must_be_empty:
            text += "; " + ", ".join(f"`{name}`" for name in needs.must_be_empty) + " must be empty"
        parts.append(text)
    return (
        "How the bot authenticates to the Bot Framework. " + ". ".join(parts) + ". "
        "A missing companion setting stops start-up naming both."
    )


BOT_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name='MicrosoftAppId',
        description=(
            "The bot's Entra app (client) id; with `UserAssignedMSI`, the managed identity's client id. "
            "Empty only for local runs: then requests are not "
            'authenticated and the dev host must listen on loopback.'
        ),
        required='in Azure',
        example='3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    ),
    SettingSpec(
        name='MicrosoftAppPassword',
        description="Client secret of the bot's app registration. Must be empty with `UserAssignedMSI`.",
        required='with MultiTenant/SingleTenant',
        example='(Key Vault reference)',
        secret=True,
        unset_in_azure='the bot is a UserAssignedMSI app: it has no secret',
    ),
    SettingSpec(
        name='MicrosoftAppTenantId',
        description="Entra tenant of the bot's identity.",
        required='with SingleTenant/UserAssignedMSI',
        example='72f988bf-86f1-41af-91ab-2d7cd011db47',
    ),
    SettingSpec(
        name='MicrosoftAppType',
        description=_app_type_description(),
        required='no (MultiTenant)',
        example='UserAssignedMSI',
    ),
    SettingSpec(
        name='SWITCHBOARD_ALLOWED_TENANTS',
        description=(
            'Comma-separated Entra tenant ids whose users may talk to the bot. Activities from any other '
            'tenant are refused and logged.'
        ),
        required='yes',
        example='72f988bf-86f1-41af-91ab-2d7cd011db47',
    ),
)


@dataclass(frozen=True)
class BotSettings:
    """The bot's identity (empty ``app_id``: a local, anonymous run) and the tenants it serves."""

    app_id: str
    app_password: str = field(repr=False)
    app_tenant_id: str
    app_type: AppType
    allowed_tenants: frozenset[str]
    bot_auth_overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def authentication_enabled(self) -> bool:
        """False only for local runs without an app id (anonymous, loopback only)."""
        return bool(self.app_id)

    def bot_auth_configuration(self) -> dict[str, Any]:
        """The configuration mapping ``ConfigurationBotFrameworkAuthentication`` reads."""
        config: dict[str, Any] = {
            "APP_ID": self.app_id,
            "APP_PASSWORD": self.app_password,
            "APP_TYPE": self.app_type.value,
            "APP_TENANTID": self.app_tenant_id,
        }
        config.update(self.bot_auth_overrides)
        return config

    @classmethod
    def read(cls, env: Mapping[str, str], problems: list[str]) -> BotSettings:
        """The section from ``env``; each missing or malformed setting adds a line to ``problems``."""

        def get(name: str) -> str:
            return env.get(name, "").strip()

        app_id = get("MicrosoftAppId")
        app_password = env.get("MicrosoftAppPassword", "")
        tenant_id = get("MicrosoftAppTenantId")
        app_type_raw = get("MicrosoftAppType") or AppType.MULTI_TENANT.value
        app_type = AppType.MULTI_TENANT
        try:
            app_type = AppType(app_type_raw)
        except ValueError:
            problems.append(
                f"MicrosoftAppType: expected one of {', '.join(t.value for t in AppType)}, got {app_type_raw!r}"
            )
        if app_id and not GUID.match(app_id):
            problems.append("MicrosoftAppId: expected a GUID (the bot's Entra app id), or empty for a local run")
        if tenant_id and not GUID.match(tenant_id):
            problems.append("MicrosoftAppTenantId: expected a GUID (an Entra tenant id)")
        problems.extend(_app_type_problems(app_type, {
            "MicrosoftAppId": app_id,
            "MicrosoftAppPassword": app_password.strip(),
            "MicrosoftAppTenantId": tenant_id,
        }, explicit=bool(get("MicrosoftAppType"))))

        tenants_raw = get("SWITCHBOARD_ALLOWED_TENANTS")
        tenants = frozenset(t.strip().lower() for t in tenants_raw.split(",") if t.strip())
        if not tenants:
            problems.append(
                "SWITCHBOARD_ALLOWED_TENANTS: required; "
                "a comma-separated list of Entra tenant ids allowed to use the bot"
            )
        for tenant in sorted(tenants):
            if not _TENANT_ID.match(tenant):
                problems.append(f"SWITCHBOARD_ALLOWED_TENANTS: {tenant!r} is not a tenant id (expected a GUID)")

        overrides = {key: env[key] for key in BOT_AUTH_OVERRIDE_KEYS if env.get(key)}
        return cls(
            app_id=app_id,
            app_password=app_password,
            app_tenant_id=tenant_id,
            app_type=app_type,
            allowed_tenants=tenants,
            bot_auth_overrides=MappingProxyType(overrides),
        )


def _app_type_problems(app_type: AppType, values: Mapping[str, str], *, explicit: bool) -> list[str]:
    """Each companion setting ``app_type`` needs but lacks (or must not have), naming both settings.

    Without ``MicrosoftAppId`` the run is local and anonymous, unless ``MicrosoftAppType`` names a
    type other than the default: then the app id is what is missing.
    """
    needs = APP_TYPE_REQUIREMENTS[app_type]
    if not values["MicrosoftAppId"]:
        if explicit and app_type is not AppType.MULTI_TENANT:
            return [
                f"MicrosoftAppId: required when MicrosoftAppType is {app_type.value} "
                f"({needs.explanation}); leave MicrosoftAppType empty for a local, anonymous run"
            ]
        return []
    problems = [
        f"{name}: required when MicrosoftAppType is {app_type.value} ({needs.explanation})"
        for name in needs.required
        if not values[name]
    ]
    problems += [
        f"{name}: must be empty when MicrosoftAppType is {app_type.value} ({needs.explanation}); "
        "remove it from the app settings"
        for name in needs.must_be_empty
        if values[name]
    ]
    return problems
