"""One frozen, validated settings object read from the environment.

Names are the ones the Azure Functions app settings and ``local.settings.json``
use. Every setting is declared once in :data:`SETTINGS`; the reference table in
``docs/settings.md`` is generated from these declarations
(``python -m tools.gen_docs``) and a test fails when it is stale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "BOT_AUTH_OVERRIDE_KEYS",
    "SETTINGS",
    "AppType",
    "ArmSettings",
    "SettingSpec",
    "Settings",
    "SettingsError",
    "StorageSettings",
]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Entra tenant ids are GUIDs; the Agents Playground's mock tenant has a 13-digit last group,
# so the allow-list accepts GUID-shaped hex ids with 12 or 13 digits at the end.
_TENANT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12,13}$")
_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")
_SANDBOX_URL = re.compile(r"^http://(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}/?$")

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


class SettingsError(ValueError):
    """A setting is missing or malformed. The message names every bad setting and what it expects."""


class AppType(StrEnum):
    """How the bot's Entra identity is set up (``MicrosoftAppType``)."""

    MULTI_TENANT = "MultiTenant"
    SINGLE_TENANT = "SingleTenant"
    USER_ASSIGNED_MSI = "UserAssignedMSI"


@dataclass(frozen=True)
class StorageSettings:
    """Where Switchboard keeps its tables and queues.

    Either ``connection_string`` (Azurite locally, or an account key: not recommended in Azure)
    or ``account_name`` (identity-based: ``DefaultAzureCredential``, managed identity in Azure).
    """

    connection_string: str | None = field(default=None, repr=False)
    account_name: str | None = None
    client_id: str | None = None  # user-assigned managed identity client id, if any
    connect_timeout_seconds: float = 2.0  # one attempt's connection set-up
    read_timeout_seconds: float = 4.0  # one attempt's wait for the answer
    timeout_seconds: float = 5.0  # one storage call, every attempt and pause included

    @property
    def table_endpoint(self) -> str | None:
        return f"https://{self.account_name}.table.core.windows.net" if self.account_name else None

    @property
    def queue_endpoint(self) -> str | None:
        return f"https://{self.account_name}.queue.core.windows.net" if self.account_name else None

    @property
    def uses_identity(self) -> bool:
        return self.connection_string is None


@dataclass(frozen=True)
class ArmSettings:
    """Where the platform actions reach Azure Resource Manager, and what they may touch.

    ``sandbox_url`` set: the local ARM sandbox on loopback, with its static test credential.
    Empty: real Azure (``https://management.azure.com``) with ``DefaultAzureCredential``.
    """

    sandbox_url: str | None = None
    subscriptions: tuple[str, ...] = ()  # lowercase subscription ids in scope, in configured order
    resource_groups: frozenset[str] = frozenset()  # lowercase names; empty = every group of those subscriptions
    discovery_timeout_seconds: float = 3.0

    @property
    def uses_sandbox(self) -> bool:
        return self.sandbox_url is not None

    @property
    def endpoint(self) -> str:
        """The ARM base URL the SDK clients talk to."""
        return self.sandbox_url.rstrip("/") if self.sandbox_url else "https://management.azure.com"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ArmSettings:
        """Only the ARM settings (for tools such as ``python -m actions``); raises :class:`SettingsError`."""
        problems: list[str] = []
        arm = _arm(env, problems)
        if problems:
            raise SettingsError("Fix these settings:\n  - " + "\n  - ".join(problems))
        return arm


@dataclass(frozen=True)
class SettingSpec:
    """Declaration of one environment setting, the source of the docs' settings table."""

    name: str
    description: str
    required: str  # "yes", "no", or a condition such as "in Azure"
    example: str
    secret: bool = False


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name='MicrosoftAppId',
        description=(
            "The bot's Entra app (client) id. Empty only for local runs: then requests are not "
            'authenticated and the dev host must listen on loopback.'
        ),
        required='in Azure',
        example='3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    ),
    SettingSpec(
        name='MicrosoftAppPassword',
        description="Client secret of the bot's app registration. Leave empty with `UserAssignedMSI`.",
        required='with MultiTenant/SingleTenant',
        example='(Key Vault reference)',
        secret=True,
    ),
    SettingSpec(
        name='MicrosoftAppTenantId',
        description="Entra tenant of the bot's identity.",
        required='with SingleTenant/UserAssignedMSI',
        example='72f988bf-86f1-41af-91ab-2d7cd011db47',
    ),
    SettingSpec(
        name='MicrosoftAppType',
        description='`MultiTenant`, `SingleTenant` or `UserAssignedMSI`.',
        required='no (MultiTenant)',
        example='UserAssignedMSI',
    ),
    SettingSpec(
        name='SwitchboardStorage',
        description="Storage connection string for Switchboard's tables and queues (Azurite locally).",
        required='one of the two',
        example='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;...',
        secret=True,
    ),
    SettingSpec(
        name='SwitchboardStorage__accountName',
        description=(
            'Storage account name for identity-based access (managed identity in Azure; needs Storage '
            'Table/Queue Data Contributor).'
        ),
        required='one of the two',
        example='stswitchboardprod',
    ),
    SettingSpec(
        name='SwitchboardStorage__clientId',
        description='Client id of a user-assigned managed identity used for storage; empty for system-assigned.',
        required='no',
        example='a1b2c3d4-0000-0000-0000-000000000000',
    ),
    SettingSpec(
        name='SwitchboardStorage__timeoutSeconds',
        description=(
            'Time budget of one storage call, retries included, in seconds (0.5 to 60). A storage account '
            "that does not answer makes the user wait this long for the \"can't reach my storage\" message; "
            'Teams gives a turn 10 to 15 seconds.'
        ),
        required='no (5)',
        example='5',
    ),
    SettingSpec(
        name='SwitchboardStorage__connectTimeoutSeconds',
        description=(
            'Time to set up one connection to storage, in seconds (0.1 to 60; never more than what is '
            "left of the call's budget)."
        ),
        required='no (2)',
        example='2',
    ),
    SettingSpec(
        name='SwitchboardStorage__readTimeoutSeconds',
        description=(
            "Time one storage request waits for the service's answer, in seconds (0.1 to 60; never "
            "more than what is left of the call's budget)."
        ),
        required='no (4)',
        example='4',
    ),
    SettingSpec(
        name='APPLICATIONINSIGHTS_CONNECTION_STRING',
        description=(
            'Application Insights connection string. When set, logs, traces and audit events go to Azure '
            'Monitor; otherwise readable console logs.'
        ),
        required='in Azure',
        example='InstrumentationKey=...;IngestionEndpoint=...',
        secret=True,
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
    SettingSpec(
        name='SWITCHBOARD_ARM_SANDBOX_URL',
        description=(
            'Loopback URL of the local ARM sandbox (`http://127.0.0.1:PORT`). Set: actions run against '
            'the sandbox with its static test credential. Empty: real Azure '
            '(`https://management.azure.com`) with `DefaultAzureCredential` (managed identity in Azure).'
        ),
        required='no (real Azure)',
        example='http://127.0.0.1:8710',
    ),
    SettingSpec(
        name='SWITCHBOARD_SUBSCRIPTIONS',
        description=(
            'Comma-separated Azure subscription ids the actions may operate in. '
            'Empty: actions refuse every resource.'
        ),
        required='to run actions',
        example='11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222',
    ),
    SettingSpec(
        name='SWITCHBOARD_RESOURCE_GROUPS',
        description=(
            'Comma-separated resource group names the actions may operate in (case-insensitive, in any '
            'configured subscription). Empty: every resource group of the configured subscriptions.'
        ),
        required='no (all groups)',
        example='rg-dev,rg-prod',
    ),
    SettingSpec(
        name='SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS',
        description=(
            'Time budget of one discovery call (listing clusters, pools, VMs, apps to choose from). When '
            'Azure is slower, the user sees what is known and a note that the list may be incomplete. 0.1'
            ' to 30.'
        ),
        required='no (3)',
        example='3',
    ),
    SettingSpec(
        name='SWITCHBOARD_LOG_LEVEL',
        description=(
            'Console and exporter log level: DEBUG, INFO, WARNING or ERROR. '
            'Message text is logged only at DEBUG.'
        ),
        required='no (INFO)',
        example='INFO',
    ),
)


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one Switchboard process. Build it with :meth:`from_env`."""

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
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and validate every setting; raise :class:`SettingsError` naming each problem."""
        problems: list[str] = []

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
        if app_id and not _GUID.match(app_id):
            problems.append("MicrosoftAppId: expected a GUID (the bot's Entra app id), or empty for a local run")
        if tenant_id and not _GUID.match(tenant_id):
            problems.append("MicrosoftAppTenantId: expected a GUID (an Entra tenant id)")
        if app_id:
            if app_type in (AppType.SINGLE_TENANT, AppType.USER_ASSIGNED_MSI) and not tenant_id:
                problems.append(f"MicrosoftAppTenantId: required when MicrosoftAppType is {app_type.value}")
            if app_type is not AppType.USER_ASSIGNED_MSI and not app_password:
                problems.append(f"MicrosoftAppPassword: required when MicrosoftAppType is {app_type.value}")

        storage = _storage(env, problems)
        arm = _arm(env, problems)

        # The App Service platform sets WEBSITE_INSTANCE_ID on every Azure instance (never locally,
        # not even under `func start`): there an empty app id would accept unauthenticated requests.
        if env.get("WEBSITE_INSTANCE_ID"):
            if not app_id:
                problems.append(
                    "MicrosoftAppId: required when running in Azure; without it requests are not authenticated"
                )
            if arm.uses_sandbox:
                problems.append("SWITCHBOARD_ARM_SANDBOX_URL: must be empty in Azure (the sandbox is a local tool)")

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

        log_level = (get("SWITCHBOARD_LOG_LEVEL") or "INFO").upper()
        if log_level not in _LOG_LEVELS:
            problems.append(f"SWITCHBOARD_LOG_LEVEL: expected one of {', '.join(_LOG_LEVELS)}, got {log_level!r}")

        appinsights = get("APPLICATIONINSIGHTS_CONNECTION_STRING") or None
        if appinsights and "InstrumentationKey=" not in appinsights:
            problems.append(
                "APPLICATIONINSIGHTS_CONNECTION_STRING: expected an Application Insights connection string "
                "(InstrumentationKey=...;IngestionEndpoint=...)"
            )

        if problems:
            raise SettingsError("Switchboard cannot start; fix these settings:\n  - " + "\n  - ".join(problems))
        overrides = {key: env[key] for key in BOT_AUTH_OVERRIDE_KEYS if env.get(key)}
        return cls(
            app_id=app_id,
            app_password=app_password,
            app_tenant_id=tenant_id,
            app_type=app_type,
            storage=storage,
            allowed_tenants=tenants,
            appinsights_connection_string=appinsights,
            log_level=log_level,
            bot_auth_overrides=MappingProxyType(overrides),
            arm=arm,
        )


def _storage(env: Mapping[str, str], problems: list[str]) -> StorageSettings:
    connection_string = env.get("SwitchboardStorage", "").strip() or None
    account_name = env.get("SwitchboardStorage__accountName", "").strip() or None
    client_id = env.get("SwitchboardStorage__clientId", "").strip() or None
    if connection_string and account_name:
        problems.append(
            "SwitchboardStorage: set either a connection string or SwitchboardStorage__accountName, not both"
        )
    elif not connection_string and not account_name:
        problems.append(
            "SwitchboardStorage: required; a storage connection string (Azurite locally) "
            "or SwitchboardStorage__accountName for managed identity"
        )
    if connection_string and not _looks_like_connection_string(connection_string):
        problems.append(
            "SwitchboardStorage: expected a storage connection string "
            "(AccountName=...;AccountKey=...;TableEndpoint=... or DefaultEndpointsProtocol=...)"
        )
    if account_name and not _ACCOUNT_NAME.match(account_name):
        problems.append("SwitchboardStorage__accountName: expected 3-24 lowercase letters and digits")
    if client_id and not _GUID.match(client_id):
        problems.append("SwitchboardStorage__clientId: expected a GUID (a managed identity's client id)")
    defaults = StorageSettings()
    return StorageSettings(
        connection_string=connection_string,
        account_name=account_name,
        client_id=client_id,
        connect_timeout_seconds=_seconds(
            env, "SwitchboardStorage__connectTimeoutSeconds", defaults.connect_timeout_seconds, 0.1, 60, problems
        ),
        read_timeout_seconds=_seconds(
            env, "SwitchboardStorage__readTimeoutSeconds", defaults.read_timeout_seconds, 0.1, 60, problems
        ),
        timeout_seconds=_seconds(
            env, "SwitchboardStorage__timeoutSeconds", defaults.timeout_seconds, 0.5, 60, problems
        ),
    )


def _seconds(
    env: Mapping[str, str], name: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    """The setting ``name`` as a number of seconds in [low, high]; ``default`` when empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name}: expected a number of seconds, got {raw!r}")
        return default
    if not low <= value <= high:  # also refuses nan
        problems.append(f"{name}: expected {low:g} to {high:g} seconds, got {raw}")
        return default
    return value


def _arm(env: Mapping[str, str], problems: list[str]) -> ArmSettings:
    sandbox_url = env.get("SWITCHBOARD_ARM_SANDBOX_URL", "").strip() or None
    if sandbox_url and not _SANDBOX_URL.match(sandbox_url):
        problems.append(
            "SWITCHBOARD_ARM_SANDBOX_URL: expected a loopback http URL such as http://127.0.0.1:8710 "
            "(the sandbox's static credential never leaves this machine), or empty for real Azure"
        )
    subscriptions: list[str] = []
    for raw in env.get("SWITCHBOARD_SUBSCRIPTIONS", "").split(","):
        sub = raw.strip().lower()
        if not sub:
            continue
        if not _GUID.match(sub):
            problems.append(f"SWITCHBOARD_SUBSCRIPTIONS: {sub!r} is not a subscription id (expected a GUID)")
        elif sub not in subscriptions:
            subscriptions.append(sub)
    groups = frozenset(g.strip().lower() for g in env.get("SWITCHBOARD_RESOURCE_GROUPS", "").split(",") if g.strip())
    for group in sorted(groups):
        if not _RESOURCE_GROUP.match(group):
            problems.append(f"SWITCHBOARD_RESOURCE_GROUPS: {group!r} is not a resource group name")
    timeout_raw = env.get("SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS", "").strip() or "3"
    timeout = 3.0
    try:
        timeout = float(timeout_raw)
    except ValueError:
        problems.append(f"SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS: expected a number of seconds, got {timeout_raw!r}")
    else:
        if not 0.1 <= timeout <= 30:
            problems.append(f"SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS: expected 0.1 to 30 seconds, got {timeout_raw}")
    return ArmSettings(
        sandbox_url=sandbox_url,
        subscriptions=tuple(subscriptions),
        resource_groups=groups,
        discovery_timeout_seconds=timeout,
    )


def _looks_like_connection_string(value: str) -> bool:
    keys = {part.split("=", 1)[0].strip().lower() for part in value.split(";") if "=" in part}
    return "accountname" in keys or "tableendpoint" in keys or "usedevelopmentstorage" in keys


