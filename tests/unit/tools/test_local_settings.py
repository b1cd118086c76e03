"""Which settings `make run` uses and which local components it starts for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools import azurite, playground
from tools.local_settings import (
    DEV_STORAGE_PORTS,
    LocalSettingsError,
    load_local_settings,
    plan_local_run,
)

ACCOUNT = (
    "DefaultEndpointsProtocol=https;AccountName=stswitchboard;AccountKey=abc;EndpointSuffix=core.windows.net"
)


def nothing_listens(_port: int) -> bool:
    return False


def everything_listens(_port: int) -> bool:
    return True


def write_settings(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# --- local.settings.json ---------------------------------------------------------------------


def test_a_missing_file_means_no_values(tmp_path: Path) -> None:
    assert load_local_settings(tmp_path / "local.settings.json") == {}


def test_values_are_read_as_strings(tmp_path: Path) -> None:
    path = write_settings(
        tmp_path,
        {"IsEncrypted": False, "Values": {"A": "x", "FLAG": True, "N": 3, "GONE": None}, "Host": {"LocalHttpPort": 1}},
    )

    assert load_local_settings(path) == {"A": "x", "FLAG": "true", "N": "3"}


def test_the_example_file_in_the_repository_is_readable() -> None:
    example = Path(__file__).resolve().parents[3] / "local.settings.example.json"  # tracked: docs tell users to copy it

    values = load_local_settings(example)

    assert values["SWITCHBOARD_ALLOWED_TENANTS"] == playground.TENANT_ID


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ("{not json", "cannot read it as JSON"),
        ([], "expected a JSON object"),
        ({"IsEncrypted": True, "Values": {}}, "func settings decrypt"),
        ({"Values": ["A"]}, '"Values" must be an object'),
        ({"Values": {"A": {"nested": 1}}}, "Values.A must be a string"),
    ],
)
def test_an_unusable_file_is_refused_with_the_reason(tmp_path: Path, document: object, complaint: str) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")

    with pytest.raises(LocalSettingsError, match=complaint):
        load_local_settings(path)


# --- precedence ------------------------------------------------------------------------------


def test_the_environment_wins_over_local_settings() -> None:
    plan = plan_local_run(
        {"SWITCHBOARD_LOG_LEVEL": "DEBUG"},
        {"SWITCHBOARD_LOG_LEVEL": "WARNING", "SWITCHBOARD_RESOURCE_GROUPS": "rg-x"},
        in_use=nothing_listens,
    )

    assert plan.environment["SWITCHBOARD_LOG_LEVEL"] == "DEBUG"
    assert plan.environment["SWITCHBOARD_RESOURCE_GROUPS"] == "rg-x"


# --- storage ---------------------------------------------------------------------------------


def test_no_storage_setting_starts_azurite_on_free_ports() -> None:
    plan = plan_local_run({}, {}, in_use=nothing_listens)

    assert plan.storage.start_azurite
    assert plan.storage.azurite_ports == {}
    assert plan.storage.connection_string is None


def test_use_development_storage_starts_azurite_on_its_usual_ports_with_an_explicit_connection_string() -> None:
    plan = plan_local_run({}, {"SwitchboardStorage": "UseDevelopmentStorage=true"}, in_use=nothing_listens)

    assert plan.storage.start_azurite
    assert plan.storage.azurite_ports == DEV_STORAGE_PORTS
    assert plan.storage.connection_string == azurite.connection_string(DEV_STORAGE_PORTS)
    assert "SwitchboardStorage" not in plan.environment  # the explicit string replaces the shorthand


def test_an_azurite_already_listening_on_the_named_ports_is_reused() -> None:
    plan = plan_local_run({"SwitchboardStorage": "UseDevelopmentStorage=true"}, {}, in_use=everything_listens)

    assert not plan.storage.start_azurite
    assert plan.storage.connection_string == azurite.connection_string(DEV_STORAGE_PORTS)
    assert "already listening on 127.0.0.1:10002" in plan.storage.note


def test_a_loopback_devstoreaccount1_connection_string_starts_azurite_on_its_ports() -> None:
    value = azurite.connection_string({"Queue": 20001, "Table": 20002})

    plan = plan_local_run({"SwitchboardStorage": value}, {}, in_use=nothing_listens)

    assert plan.storage.start_azurite
    assert plan.storage.azurite_ports == {"Queue": 20001, "Table": 20002}
    assert plan.storage.connection_string == value


@pytest.mark.parametrize(
    "settings",
    [{"SwitchboardStorage": ACCOUNT}, {"SwitchboardStorage__accountName": "stswitchboard"}],
)
def test_a_real_storage_account_starts_no_azurite(settings: dict[str, str]) -> None:
    plan = plan_local_run(settings, {}, in_use=nothing_listens)

    assert not plan.storage.start_azurite
    assert plan.storage.connection_string is None
    assert "not starting Azurite" in plan.storage.note
    assert plan.environment.items() >= settings.items()


# --- ARM sandbox -----------------------------------------------------------------------------


def test_no_sandbox_setting_starts_the_sandbox_on_a_free_port() -> None:
    plan = plan_local_run({}, {}, in_use=nothing_listens)

    assert plan.sandbox.start
    assert plan.sandbox.port == 0
    assert plan.sandbox.url is None


def test_a_loopback_sandbox_url_starts_the_sandbox_on_that_port() -> None:
    plan = plan_local_run({}, {"SWITCHBOARD_ARM_SANDBOX_URL": "http://127.0.0.1:8710"}, in_use=nothing_listens)

    assert plan.sandbox.start
    assert plan.sandbox.port == 8710
    assert plan.sandbox.url == "http://127.0.0.1:8710"
    assert "SWITCHBOARD_ARM_SANDBOX_URL" not in plan.environment


def test_a_sandbox_already_listening_is_reused() -> None:
    plan = plan_local_run({"SWITCHBOARD_ARM_SANDBOX_URL": "http://127.0.0.1:8710"}, {}, in_use=everything_listens)

    assert not plan.sandbox.start
    assert plan.sandbox.url == "http://127.0.0.1:8710"


def test_an_empty_sandbox_url_means_real_azure_and_no_sandbox() -> None:
    plan = plan_local_run({"SWITCHBOARD_ARM_SANDBOX_URL": ""}, {}, in_use=nothing_listens)

    assert not plan.sandbox.start
    assert plan.sandbox.url is None
    assert "real Azure" in plan.sandbox.note
    assert plan.environment["SWITCHBOARD_ARM_SANDBOX_URL"] == ""


# --- warnings --------------------------------------------------------------------------------


def test_no_warnings_for_local_defaults() -> None:
    assert plan_local_run({}, {}, in_use=nothing_listens).warnings == ()


def test_an_app_id_or_a_tenant_list_without_the_playground_tenant_is_warned_about() -> None:
    plan = plan_local_run(
        {"MicrosoftAppId": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"},
        {"SWITCHBOARD_ALLOWED_TENANTS": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        in_use=nothing_listens,
    )

    assert len(plan.warnings) == 2
    assert "401" in plan.warnings[0]
    assert playground.TENANT_ID in plan.warnings[1]
