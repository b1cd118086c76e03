"""Web and function apps through the real aio WebSiteManagementClient."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.mgmt.web.aio import WebSiteManagementClient

from tests.support.arm_sandbox import LONG_OPERATION, PROD_SUBSCRIPTION_ID, SandboxHandle, sdk_client_kwargs


async def test_lists_web_and_function_apps(sandbox: SandboxHandle, web_dev: WebSiteManagementClient) -> None:
    dev = {site.name: site async for site in web_dev.web_apps.list()}
    async with WebSiteManagementClient(subscription_id=PROD_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as prod:
        in_group = {site.name: site.kind async for site in prod.web_apps.list_by_resource_group("rg-prod")}

    assert {name: site.kind for name, site in dev.items()} == {"web-dev": "app", "func-dev-jobs": "functionapp"}
    assert {site.state for site in dev.values()} == {"Running"}
    assert in_group == {"web-prod": "app", "func-orders": "functionapp"}


async def test_get_site(web_dev: WebSiteManagementClient) -> None:
    site = await web_dev.web_apps.get("rg-dev", "func-dev-jobs")

    assert site.id.endswith("/resourceGroups/rg-dev/providers/Microsoft.Web/sites/func-dev-jobs")
    assert (site.kind, site.state, site.default_host_name) == (
        "functionapp",
        "Running",
        "func-dev-jobs.azurewebsites.net",
    )
    assert site.server_farm_id.endswith("/serverfarms/asp-dev-functions")


async def test_a_synchronous_restart_is_done_when_it_answers(
    sandbox: SandboxHandle, web_dev: WebSiteManagementClient
) -> None:
    before = await web_dev.web_apps.get("rg-dev", "web-dev")

    headers = await web_dev.web_apps.restart("rg-dev", "web-dev", synchronous=True, cls=lambda _r, _b, h: h)
    after = await web_dev.web_apps.get("rg-dev", "web-dev")

    assert headers == {}
    restarts = [r for r in sandbox.requests() if r["method"] == "POST"]
    assert [(r["path"].rsplit("/", 2)[-2:], r["status"]) for r in restarts] == [(["web-dev", "restart"], 200)]
    assert after.last_modified_time_utc > before.last_modified_time_utc
    assert after.state == "Running"
    assert sandbox.operations() == []


async def test_a_restart_answers_200_and_is_in_progress_until_its_operation_ends(
    sandbox: SandboxHandle, web_dev: WebSiteManagementClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    before = await web_dev.web_apps.get("rg-dev", "web-dev")

    response = await web_dev.web_apps.restart("rg-dev", "web-dev", cls=lambda r, _b, _h: r.http_response)

    assert response.status_code == 200
    assert "/providers/Microsoft.Web/locations/" in response.headers["Azure-AsyncOperation"]
    assert "/operationresults/" in response.headers["Location"]
    [operation] = sandbox.operations()
    assert (operation["action"], operation["status"]) == ("Restart", "InProgress")
    assert operation["resource_id"].endswith("/resourceGroups/rg-dev/providers/Microsoft.Web/sites/web-dev")
    with pytest.raises(ResourceExistsError, match="Another operation \\(Restart\\) is in progress"):
        await web_dev.web_apps.stop("rg-dev", "web-dev")
    assert (await web_dev.web_apps.get("rg-dev", "web-dev")).last_modified_time_utc == before.last_modified_time_utc

    assert sandbox.finish_operations() == 1

    after = await web_dev.web_apps.get("rg-dev", "web-dev")
    assert after.last_modified_time_utc > before.last_modified_time_utc
    assert after.state == "Running"


async def test_restart_unknown_site_is_resource_not_found(web_dev: WebSiteManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        await web_dev.web_apps.restart("rg-dev", "web-nope")

    assert missing.value.error.code == "ResourceNotFound"
