"""MicrosoftAppType: each type starts with exactly the companion settings it needs, and a missing
(or forbidden) one stops start-up with a message naming both settings."""

from __future__ import annotations

import pytest

from app.settings import AppType, Settings, SettingsError
from bot.bot_settings import APP_TYPE_REQUIREMENTS, BOT_SETTINGS

APP_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CONNECTION = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"


def env(**values: str) -> dict[str, str]:
    return {"SwitchboardStorage": CONNECTION, "SWITCHBOARD_ALLOWED_TENANTS": TENANT, **values}


def problems_of(values: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(values)
    return [line.strip()[2:] for line in str(raised.value).splitlines()[1:]]


@pytest.mark.parametrize(
    ("values", "app_type"),
    [
        ({"MicrosoftAppPassword": "s3cret"}, AppType.MULTI_TENANT),
        ({"MicrosoftAppType": "MultiTenant", "MicrosoftAppPassword": "s3cret"}, AppType.MULTI_TENANT),
        (
            {"MicrosoftAppType": "SingleTenant", "MicrosoftAppPassword": "s3cret", "MicrosoftAppTenantId": TENANT},
            AppType.SINGLE_TENANT,
        ),
        ({"MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppTenantId": TENANT}, AppType.USER_ASSIGNED_MSI),
    ],
)
def test_each_type_starts_with_its_companion_settings(values: dict[str, str], app_type: AppType) -> None:
    settings = Settings.from_env(env(MicrosoftAppId=APP_ID, **values))
    assert settings.app_type is app_type
    assert settings.authentication_enabled is True
    config = settings.bot_auth_configuration()
    assert (config["APP_ID"], config["APP_TYPE"]) == (APP_ID, app_type.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": TENANT},
            ["MicrosoftAppPassword: required when MicrosoftAppType is SingleTenant"],
        ),
        (
            {"MicrosoftAppType": "SingleTenant", "MicrosoftAppPassword": "s3cret"},
            ["MicrosoftAppTenantId: required when MicrosoftAppType is SingleTenant"],
        ),
        (
            {"MicrosoftAppType": "SingleTenant"},
            [
                "MicrosoftAppPassword: required when MicrosoftAppType is SingleTenant",
                "MicrosoftAppTenantId: required when MicrosoftAppType is SingleTenant",
            ],
        ),
        (
            {"MicrosoftAppType": "UserAssignedMSI"},
            ["MicrosoftAppTenantId: required when MicrosoftAppType is UserAssignedMSI"],
        ),
        (
            {"MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppTenantId": TENANT, "MicrosoftAppPassword": "s3cret"},
            ["MicrosoftAppPassword: must be empty when MicrosoftAppType is UserAssignedMSI"],
        ),
        ({"MicrosoftAppType": "MultiTenant"}, ["MicrosoftAppPassword: required when MicrosoftAppType is MultiTenant"]),
    ],
)
def test_a_missing_or_forbidden_companion_stops_start_up_naming_both(
    values: dict[str, str], expected: list[str]
) -> None:
    problems = problems_of(env(MicrosoftAppId=APP_ID, **values))
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)
    assert not any("s3cret" in problem for problem in problems)


@pytest.mark.parametrize("app_type", ["SingleTenant", "UserAssignedMSI"])
def test_a_type_that_needs_an_identity_without_an_app_id_names_the_app_id(app_type: str) -> None:
    [problem] = problems_of(env(MicrosoftAppType=app_type, MicrosoftAppTenantId=TENANT, MicrosoftAppPassword=""))
    assert problem.startswith(f"MicrosoftAppId: required when MicrosoftAppType is {app_type}")
    assert "leave MicrosoftAppType empty for a local, anonymous run" in problem


def test_a_local_run_stays_anonymous_with_the_default_type() -> None:
    settings = Settings.from_env(env(MicrosoftAppType="MultiTenant", MicrosoftAppId="", MicrosoftAppPassword=""))
    assert settings.authentication_enabled is False


def test_the_settings_reference_says_what_each_type_needs() -> None:
    [spec] = [spec for spec in BOT_SETTINGS if spec.name == "MicrosoftAppType"]
    for app_type, needs in APP_TYPE_REQUIREMENTS.items():
        sentence = next(part for part in spec.description.split(". ") if part.startswith(f"`{app_type.value}`"))
        for name in needs.required + needs.must_be_empty:
            assert f"`{name}`" in sentence
    msi = next(part for part in spec.description.split(". ") if part.startswith("`UserAssignedMSI`"))
    assert "`MicrosoftAppPassword` must be empty" in msi
