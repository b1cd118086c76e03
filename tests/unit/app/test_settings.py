"""Settings.from_env: every setting validated, every problem named with what it expects, nothing secret shown."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.settings import SETTINGS, AppType, ArmSettings, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]
APP_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PLAYGROUND_TENANT = "00000000-0000-0000-0000-0000000000001"
CONNECTION = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"


def local(**overrides: str) -> dict[str, str]:
    env = {"SwitchboardStorage": CONNECTION, "SWITCHBOARD_ALLOWED_TENANTS": PLAYGROUND_TENANT}
    env.update(overrides)
    return env


def problems_of(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    return str(raised.value)


def test_local_defaults_are_anonymous_with_console_logs() -> None:
    settings = Settings.from_env(local())
    assert settings.authentication_enabled is False
    assert settings.app_type is AppType.MULTI_TENANT
    assert settings.allowed_tenants == frozenset({PLAYGROUND_TENANT})
    assert settings.storage.connection_string == CONNECTION
    assert settings.storage.uses_identity is False
    assert settings.appinsights_connection_string is None
    assert settings.log_level == "INFO"
    assert settings.arm == ArmSettings()


def test_an_empty_environment_names_every_required_setting_at_once() -> None:
    message = problems_of({})
    assert message.startswith("Switchboard cannot start; fix these settings:")
    assert "SwitchboardStorage: required" in message
    assert "SWITCHBOARD_ALLOWED_TENANTS: required" in message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId: expected a GUID"),
        (
            {"MicrosoftAppType": "Whatever"},
            "MicrosoftAppType: expected one of MultiTenant, SingleTenant, UserAssignedMSI",
        ),
        ({"MicrosoftAppId": APP_ID}, "MicrosoftAppPassword: required when MicrosoftAppType is MultiTenant"),
        (
            {"MicrosoftAppId": APP_ID, "MicrosoftAppType": "SingleTenant", "MicrosoftAppPassword": "x"},
            "MicrosoftAppTenantId: required when MicrosoftAppType is SingleTenant",
        ),
        ({"MicrosoftAppTenantId": "tenant"}, "MicrosoftAppTenantId: expected a GUID"),
        ({"SWITCHBOARD_ALLOWED_TENANTS": "contoso.onmicrosoft.com"}, "'contoso.onmicrosoft.com' is not a tenant id"),
        ({"SWITCHBOARD_LOG_LEVEL": "verbose"}, "SWITCHBOARD_LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR"),
        (
            {"APPLICATIONINSIGHTS_CONNECTION_STRING": "https://example"},
            "APPLICATIONINSIGHTS_CONNECTION_STRING: expected",
        ),
        ({"SwitchboardStorage": "just some text"}, "SwitchboardStorage: expected a storage connection string"),
        (
            {"SwitchboardStorage__accountName": "stswitchboard"},
            "set either a connection string or SwitchboardStorage__accountName",
        ),
        (
            {"SwitchboardStorage": "", "SwitchboardStorage__accountName": "Bad_Name"},
            "expected 3-24 lowercase letters and digits",
        ),
        ({"SwitchboardStorage__clientId": "me"}, "SwitchboardStorage__clientId: expected a GUID"),
        (
            {"SWITCHBOARD_ARM_SANDBOX_URL": "http://10.0.0.5:8710"},
            "SWITCHBOARD_ARM_SANDBOX_URL: expected a loopback http URL",
        ),
        ({"SWITCHBOARD_SUBSCRIPTIONS": "prod"}, "SWITCHBOARD_SUBSCRIPTIONS: 'prod' is not a subscription id"),
        ({"SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS": "soon"}, "expected a number of seconds, got 'soon'"),
        ({"SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS": "120"}, "expected 0.1 to 30 seconds"),
        ({"SwitchboardStorage__timeoutSeconds": "soon"}, "SwitchboardStorage__timeoutSeconds: expected a number"),
        ({"SwitchboardStorage__timeoutSeconds": "0"}, "SwitchboardStorage__timeoutSeconds: expected 0.5 to 60"),
        ({"SwitchboardStorage__readTimeoutSeconds": "nan"}, "SwitchboardStorage__readTimeoutSeconds: expected 0.1"),
        ({"SwitchboardStorage__connectTimeoutSeconds": "-1"}, "SwitchboardStorage__connectTimeoutSeconds: expected"),
    ],
)
def test_a_malformed_setting_is_named_with_what_it_expects(overrides: dict[str, str], expected: str) -> None:
    assert expected in problems_of(local(**overrides))


def test_the_message_never_shows_a_secret_value() -> None:
    message = problems_of(
        local(MicrosoftAppId="bad", MicrosoftAppPassword="hunter2-secret", SwitchboardStorage="AccountKey=c2VjcmV0")
    )
    assert "hunter2-secret" not in message
    assert "c2VjcmV0" not in message
    settings = Settings.from_env(local(MicrosoftAppId=APP_ID, MicrosoftAppPassword="hunter2-secret"))
    assert "hunter2-secret" not in repr(settings)
    assert "c2VjcmV0" not in repr(settings)


def test_a_bot_identity_in_azure_with_managed_identity_storage() -> None:
    env = {
        "WEBSITE_INSTANCE_ID": "abc123",
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppType": "UserAssignedMSI",
        "MicrosoftAppTenantId": TENANT,
        "SwitchboardStorage__accountName": "stswitchboardprod",
        "SwitchboardStorage__clientId": APP_ID,
        "SWITCHBOARD_ALLOWED_TENANTS": f"{TENANT.upper()}, {PLAYGROUND_TENANT}",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x",
        "SWITCHBOARD_SUBSCRIPTIONS": "22222222-2222-2222-2222-222222222222",
    }
    settings = Settings.from_env(env)
    assert settings.authentication_enabled is True
    assert settings.storage.uses_identity is True
    assert settings.storage.table_endpoint == "https://stswitchboardprod.table.core.windows.net"
    assert settings.allowed_tenants == frozenset({TENANT, PLAYGROUND_TENANT})  # ids compared in lowercase
    assert settings.arm.endpoint == "https://management.azure.com"
    config = settings.bot_auth_configuration()
    assert config["APP_ID"] == APP_ID
    assert config["APP_TYPE"] == "UserAssignedMSI"
    assert config["APP_TENANTID"] == TENANT


def test_in_azure_an_empty_app_id_or_the_sandbox_stops_start_up() -> None:
    message = problems_of(local(WEBSITE_INSTANCE_ID="abc123", SWITCHBOARD_ARM_SANDBOX_URL="http://127.0.0.1:8710"))
    assert "MicrosoftAppId: required when running in Azure" in message
    assert "SWITCHBOARD_ARM_SANDBOX_URL: must be empty in Azure" in message


def test_bot_authentication_endpoint_overrides_pass_through() -> None:
    settings = Settings.from_env(
        local(TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL="http://127.0.0.1:1/openid", UNRELATED="x")
    )
    config = settings.bot_auth_configuration()
    assert config["TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"] == "http://127.0.0.1:1/openid"
    assert "UNRELATED" not in config


SHIPPED = (
    "function_app.py", "app", "appsettings", "bot", "dialogs", "cards", "governing", "guardrails", "requesting",
    "actions", "storage", "telemetry",
)
"""What is deployed (sandbox/ and tools/ never are)."""
_ENVIRONMENTS = {"env", "environ", "_env", "environment"}
NOT_SWITCHBOARD_SETTINGS = {
    "WEBSITE_INSTANCE_ID": "set by App Service on every Azure instance: tells Azure from a local run",
    "OTEL_TRACES_SAMPLER": "OpenTelemetry's own variable, honoured when an operator sets it",
    "NETRC": "where aiohttp's trust_env looks for credentials: decides whether to pay for it",
}


def _is_environment(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _ENVIRONMENTS
    return isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENTS


def _reads_environment(function: ast.expr) -> bool:
    if isinstance(function, ast.Attribute):
        return function.attr == "getenv" or (function.attr in ("get", "pop") and _is_environment(function.value))
    return isinstance(function, ast.Name) and function.id == "get"


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def settings_read_by(source: str) -> set[str]:
    """Names a module reads from its environment: ``env.get("X")``, ``os.environ["X"]``,
    ``os.getenv("X")``, ``"X" in os.environ``, ``get("X")`` (the reader inside ``Settings.from_env``),
    and ``reader(env, "X", ...)`` (a helper handed the environment and the name)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        name = None
        if isinstance(node, ast.Call) and node.args and _reads_environment(node.func):
            name = _text(node.args[0])
        elif isinstance(node, ast.Call) and len(node.args) > 1 and _is_environment(node.args[0]):
            name = _text(node.args[1])  # a reader handed the environment and a name: _seconds(env, "X", ...)
        elif isinstance(node, ast.Subscript) and _is_environment(node.value):
            name = _text(node.slice)
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and _is_environment(node.comparators[0])
        ):
            name = _text(node.left)
        if name is not None:
            found.add(name)
    return found


def shipped_sources() -> dict[str, str]:
    files: list[Path] = []
    for entry in SHIPPED:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return {str(path.relative_to(ROOT)): path.read_text() for path in files}


def test_the_scan_finds_every_way_a_setting_is_read() -> None:
    source = """
import os
def from_env(env):
    def get(name): return env.get(name, "")
    return get("A"), env.get("B"), env["C"], os.environ.get("D"), os.getenv("E"), "F" in os.environ, self._env.get("G")
def seconds(env):
    return _seconds(env, "H", 5.0)
"""
    assert settings_read_by(source) == {"A", "B", "C", "D", "E", "F", "G", "H"}


def test_every_setting_the_code_reads_is_declared_for_the_docs_and_every_declared_one_is_read() -> None:
    read: dict[str, list[str]] = {}
    for module, source in shipped_sources().items():
        for name in settings_read_by(source):
            read.setdefault(name, []).append(module)
    declared = {spec.name for spec in SETTINGS}

    undeclared = {name: modules for name, modules in read.items() if name not in declared}
    assert undeclared.keys() == NOT_SWITCHBOARD_SETTINGS.keys(), (
        f"read but not declared in app.settings.SETTINGS (so missing from docs/settings.md): {undeclared}"
    )
    assert sorted(declared - read.keys()) == [], "declared but never read"
    assert len(declared) == 19  # the reference in docs/settings.md lists 19 settings


def test_storage_timeouts_are_read_in_seconds_and_reach_the_table_clients() -> None:
    from storage import TableClientOptions

    storage = Settings.from_env(
        local(
            SwitchboardStorage__timeoutSeconds="3.5",
            SwitchboardStorage__connectTimeoutSeconds="1",
            SwitchboardStorage__readTimeoutSeconds="2.5",
        )
    ).storage
    options = TableClientOptions.from_settings(storage)
    assert (options.operation_timeout, options.connection_timeout, options.read_timeout) == (3.5, 1.0, 2.5)


def test_the_guardrails_section_reads_the_approvers_channel_and_the_rate_limit() -> None:
    from governing.settings import GuardrailSettings

    problems: list[str] = []
    read = GuardrailSettings.read(
        {"SWITCHBOARD_APPROVERS_CHANNEL": " 19:abc@thread.tacv2 ", "SWITCHBOARD_RATE_LIMIT_PER_HOUR": "5"}, problems
    )
    assert (read.approvers_channel, read.rate_limit_per_hour, problems) == ("19:abc@thread.tacv2", 5, [])
    assert GuardrailSettings.read({}, problems) == GuardrailSettings(None, 20)
    for bad in ("0", "ten", "10001"):
        problems = []
        GuardrailSettings.read({"SWITCHBOARD_RATE_LIMIT_PER_HOUR": bad}, problems)
        assert problems == [
            f"SWITCHBOARD_RATE_LIMIT_PER_HOUR: expected a whole number from 1 to 10000, got {bad!r}"
        ]
