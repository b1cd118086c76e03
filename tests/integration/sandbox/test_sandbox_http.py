"""The sandbox at the HTTP level: discovery endpoints, ARM request rules, admin API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, LONG_OPERATION, PROD_SUBSCRIPTION_ID, SandboxHandle

AUTH = {"Authorization": "Bearer any-token"}
RG_DEV = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev"
AKS_DEV = f"{RG_DEV}/providers/Microsoft.ContainerService/managedClusters/aks-dev"
API = {"api-version": "2022-12-01"}


@pytest.fixture
async def http(sandbox: SandboxHandle) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield session


async def _get(http: aiohttp.ClientSession, path: str, **kwargs: Any) -> tuple[int, Any]:
    params = kwargs.pop("params", API)
    headers = kwargs.pop("headers", AUTH)
    async with http.get(path, params=params, headers=headers, **kwargs) as response:
        return response.status, await response.json()


async def test_lists_subscriptions(http: aiohttp.ClientSession) -> None:
    status, body = await _get(http, "/subscriptions")

    assert status == 200
    assert {(s["subscriptionId"], s["displayName"], s["state"]) for s in body["value"]} == {
        (DEV_SUBSCRIPTION_ID, "platform-dev", "Enabled"),
        (PROD_SUBSCRIPTION_ID, "platform-prod", "Enabled"),
    }


async def test_lists_and_gets_resource_groups_case_insensitively(http: aiohttp.ClientSession) -> None:
    _, prod = await _get(http, f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourcegroups")
    status, group = await _get(http, f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/RG-DEV")

    assert [g["name"] for g in prod["value"]] == ["rg-prod", "rg-platform-core"]
    assert status == 200
    assert group == {
        "id": f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev",
        "name": "rg-dev",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "tags": {"env": "dev", "owner": "platform"},
        "properties": {"provisioningState": "Succeeded"},
    }


async def test_lists_resources_of_a_group(http: aiohttp.ClientSession) -> None:
    _, body = await _get(http, f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/resources")

    assert {(r["type"], r["name"]) for r in body["value"]} == {
        ("Microsoft.ContainerService/managedClusters", "aks-prod"),
        ("Microsoft.Compute/virtualMachineScaleSets", "vmss-web"),
        ("Microsoft.Compute/virtualMachines", "jump-prod"),
        ("Microsoft.Web/sites", "web-prod"),
        ("Microsoft.Web/sites", "func-orders"),
    }


async def test_not_found_bodies(http: aiohttp.ClientSession) -> None:
    no_sub = await _get(http, "/subscriptions/33333333-3333-3333-3333-333333333333/resourcegroups")
    no_group = await _get(http, f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourcegroups/rg-nope")
    no_site = await _get(
        http, f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/providers/Microsoft.Web/sites/x"
    )

    assert no_sub[0] == 404
    assert no_sub[1]["error"]["code"] == "SubscriptionNotFound"
    assert no_group == (
        404,
        {"error": {"code": "ResourceGroupNotFound", "message": "Resource group 'rg-nope' could not be found."}},
    )
    assert no_site[0] == 404
    assert no_site[1]["error"]["code"] == "ResourceNotFound"


async def test_requires_a_bearer_token(http: aiohttp.ClientSession, sandbox: SandboxHandle) -> None:
    status, body = await _get(http, "/subscriptions", headers={})

    assert status == 401
    assert body["error"]["code"] == "AuthenticationFailed"
    assert sandbox.requests()[-1]["status"] == 401


async def test_requires_an_api_version_but_accepts_any(http: aiohttp.ClientSession) -> None:
    missing = await _get(http, "/subscriptions", params={})
    odd = await _get(http, "/subscriptions", params={"api-version": "1999-01-01-preview"})

    assert missing[0] == 400
    assert missing[1]["error"]["code"] == "MissingApiVersionParameter"
    assert odd[0] == 200


async def test_unknown_paths_and_methods(http: aiohttp.ClientSession) -> None:
    unknown = await _get(http, f"/subscriptions/{DEV_SUBSCRIPTION_ID}/providers/Microsoft.Sql/servers")
    async with http.delete(AKS_DEV, params=API, headers=AUTH) as response:
        wrong_method = response.status, await response.json()

    assert unknown[0] == 404
    assert unknown[1]["error"]["code"] == "InvalidResourceType"
    assert wrong_method[0] == 405


async def test_responses_carry_request_ids(http: aiohttp.ClientSession, sandbox: SandboxHandle) -> None:
    sandbox.clear_requests()
    client = {**AUTH, "x-ms-client-request-id": "abc"}
    async with http.get("/subscriptions", params=API, headers=client) as first:
        first_ids = dict(first.headers)
    async with http.get("/subscriptions", params=API, headers=client) as second:
        second_ids = dict(second.headers)

    # As ARM: the client request id comes back as sent, the correlation id is ARM's own GUID per request.
    assert first_ids["x-ms-client-request-id"] == second_ids["x-ms-client-request-id"] == "abc"
    correlations = [first_ids["x-ms-correlation-request-id"], second_ids["x-ms-correlation-request-id"]]
    assert all(str(uuid.UUID(c)) == c for c in correlations)
    assert correlations[0] != correlations[1]
    assert first_ids["x-ms-request-id"] not in correlations
    assert [(r["client_request_id"], r["correlation_id"]) for r in sandbox.requests()] == [
        ("abc", correlations[0]), ("abc", correlations[1])]


async def test_a_correlation_id_the_client_sends_is_kept(http: aiohttp.ClientSession, sandbox: SandboxHandle) -> None:
    sandbox.clear_requests()
    headers = {**AUTH, "x-ms-correlation-request-id": "corr-7", "x-ms-client-request-id": "abc"}
    async with http.get("/subscriptions", params=API, headers=headers) as response:
        correlation = response.headers["x-ms-correlation-request-id"]

    assert correlation == "corr-7"
    assert [(r["client_request_id"], r["correlation_id"]) for r in sandbox.requests()] == [("abc", "corr-7")]


async def test_without_a_client_request_id_none_is_echoed(http: aiohttp.ClientSession) -> None:
    async with http.get("/subscriptions", params=API, headers=AUTH) as response:
        assert "x-ms-client-request-id" not in response.headers
        assert uuid.UUID(response.headers["x-ms-correlation-request-id"])


async def test_operation_result_endpoint(http: aiohttp.ClientSession, sandbox: SandboxHandle) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)  # in progress until the test ends it
    async with http.post(f"{AKS_DEV}/stop", params=API, headers=AUTH) as response:
        assert response.status == 202
        location = response.headers["Location"]
        status_url = response.headers["Azure-AsyncOperation"]
    async with http.get(location, headers=AUTH) as pending:
        pending_status = pending.status
    assert sandbox.finish_operations() == 1
    [operation] = sandbox.operations()
    async with http.get(location, headers=AUTH) as done, http.get(status_url, headers=AUTH) as status:
        assert (pending_status, done.status) == (202, 204)
        body = await status.json()

    assert body["status"] == "Succeeded"
    assert body["name"] == operation["id"]
    assert "endTime" in body


async def test_admin_config_and_validation(sandbox: SandboxHandle, http: aiohttp.ClientSession) -> None:
    sandbox.set_operation_delay(1.5)
    async with http.get("/_sandbox/config") as response:
        config = await response.json()
    async with http.post("/_sandbox/config", json={"operation_delay": -1}) as response:
        rejected = response.status
    async with http.get("/_sandbox/health") as response:
        health = await response.json()

    assert config == {"operation_delay": 1.5, "never_complete": False}
    assert rejected == 400
    assert health == {"status": "ok"}
    assert sandbox.requests() == []  # admin calls are not logged
