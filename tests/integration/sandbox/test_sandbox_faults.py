"""Fault injection, error bodies and never-ending operations, seen through the real aio SDK clients."""

from __future__ import annotations

import asyncio
import time
import urllib.error
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.compute.aio import ComputeManagementClient
from azure.mgmt.containerservice.aio import ContainerServiceClient

from tests.support.arm_sandbox import HELD, LONG_OPERATION, PROD_SUBSCRIPTION_ID, SandboxHandle, sdk_client_kwargs

NP1 = "/managedClusters/aks-prod/agentPools/np1"


def _log_for(sandbox: SandboxHandle, fragment: str, method: str = "GET") -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] == method and r["path"].endswith(fragment)]


async def test_unknown_cluster_is_a_404_arm_error_and_resource_not_found(aks_prod: ContainerServiceClient) -> None:
    with pytest.raises(ResourceNotFoundError) as missing:
        await aks_prod.managed_clusters.get("rg-prod", "aks-nope")

    assert missing.value.status_code == 404
    assert missing.value.error.code == "ResourceNotFound"
    assert "Microsoft.ContainerService/managedClusters/aks-nope" in missing.value.error.message
    assert "rg-prod" in missing.value.error.message


async def test_unknown_resource_group_and_pool(aks_prod: ContainerServiceClient) -> None:
    with pytest.raises(ResourceNotFoundError) as no_group:
        await aks_prod.managed_clusters.get("rg-nope", "aks-prod")
    with pytest.raises(ResourceNotFoundError) as no_pool:
        await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np9")

    assert no_group.value.error.code == "ResourceGroupNotFound"
    assert no_pool.value.error.code == "ResourceNotFound"


async def test_429_with_retry_after_is_retried_by_the_sdk(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    fault = sandbox.inject_fault(method="GET", path_contains=NP1, status=429, retry_after=1)

    started = time.monotonic()
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    elapsed = time.monotonic() - started

    assert pool.count == 3
    assert [(r["status"], r["fault"]) for r in _log_for(sandbox, NP1)] == [(429, fault), (200, None)]
    assert elapsed >= 1.0  # the SDK waited for Retry-After


async def test_500_once_is_retried_and_succeeds(sandbox: SandboxHandle, aks_prod: ContainerServiceClient) -> None:
    sandbox.inject_fault(method="GET", path_contains=NP1, status=500)

    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")

    assert pool.name == "np1"
    assert [r["status"] for r in _log_for(sandbox, NP1)] == [500, 200]


async def test_persistent_500_surfaces_after_the_retries(sandbox: SandboxHandle) -> None:
    sandbox.inject_fault(method="GET", path_contains=NP1, status=500, times=None)
    kwargs = sdk_client_kwargs(sandbox)

    async with ContainerServiceClient(
        subscription_id=PROD_SUBSCRIPTION_ID, retry_total=2, retry_backoff_factor=0.01, **kwargs
    ) as client:
        with pytest.raises(HttpResponseError) as failed:
            await client.agent_pools.get("rg-prod", "aks-prod", "np1")

    assert failed.value.status_code == 500
    assert failed.value.error.code == "InternalServerError"
    assert [r["status"] for r in _log_for(sandbox, NP1)] == [500, 500, 500]


async def test_fault_affects_only_matching_method_and_times(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    put_only = sandbox.inject_fault(method="PUT", path_contains=NP1, status=503, times=2)

    await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    [rule] = sandbox.faults()

    assert rule["id"] == put_only
    assert (rule["hits"], rule["remaining"]) == (0, 2)
    assert _log_for(sandbox, NP1)[0]["status"] == 200


async def test_injected_409_is_resource_exists_and_changes_nothing(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 6
    sandbox.inject_fault(method="PUT", path_contains=NP1, status=409)

    with pytest.raises(ResourceExistsError) as conflict:
        await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)

    assert conflict.value.error.code == "OperationNotAllowed"
    assert (await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")).count == 3
    assert sandbox.operations() == []


async def test_failure_while_polling_is_retried(sandbox: SandboxHandle, aks_prod: ContainerServiceClient) -> None:
    sandbox.inject_fault(method="GET", path_contains="/operations/", status=500)
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 4

    result = await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)).result()

    assert result.count == 4
    polls = [r["status"] for r in sandbox.requests() if "/operations/" in r["path"]]
    assert polls[0] == 500
    assert polls[-1] == 200


async def test_slow_response(sandbox: SandboxHandle, aks_prod: ContainerServiceClient) -> None:
    fault = sandbox.inject_fault(method="GET", path_contains=NP1, delay=0.3)

    started = time.monotonic()
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")

    assert time.monotonic() - started >= 0.3
    assert pool.count == 3
    assert [(r["status"], r["fault"]) for r in _log_for(sandbox, NP1)] == [(200, fault)]


async def test_slow_response_beyond_the_read_timeout_is_retried(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    fault = sandbox.inject_fault(method="GET", path_contains=NP1, delay=600)  # held until the next reset

    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1", read_timeout=2)

    assert pool.count == 3
    # The retry answered while the slow request is still held: it did not wait for the slow answer.
    assert [(r["status"], r["fault"]) for r in _log_for(sandbox, NP1)] == [(200, None)]
    assert [(f["id"], f["hits"]) for f in sandbox.faults()] == [(fault, 1)]


async def test_a_request_held_across_a_reset_is_released_and_never_logged_after_it(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    sandbox.inject_fault(method="GET", path_contains=NP1, delay=600)
    held = asyncio.ensure_future(aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1", retry_total=0))
    while sandbox.faults()[0]["hits"] == 0:  # noqa: ASYNC110 - the admin API is the only signal; test timeout bounds it
        await asyncio.sleep(0.02)

    await asyncio.to_thread(sandbox.reset)

    with pytest.raises(HttpResponseError) as released:
        await held
    assert released.value.status_code == 503
    assert released.value.error.code == "SandboxReset"
    assert sandbox.requests() == []  # it belonged to the generation before the reset


async def test_a_held_request_goes_on_when_the_test_lets_it_go(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    fault = sandbox.inject_fault(method="GET", path_contains=NP1, delay=HELD, times=None)
    held = asyncio.ensure_future(aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1", retry_total=0))
    while sandbox.held() == 0:  # noqa: ASYNC110 - the admin API is the only signal; test timeout bounds it
        await asyncio.sleep(0.02)
    assert not held.done()
    assert _log_for(sandbox, NP1) == []  # still waiting: not answered, not logged

    assert await asyncio.to_thread(sandbox.let_go) == 1

    pool = await held
    assert pool.count == 3  # answered as if the delay had passed
    assert [(r["status"], r["fault"]) for r in _log_for(sandbox, NP1)] == [(200, fault)]
    assert [(f["hits"], f["held"]) for f in sandbox.faults()] == [(1, 0)]
    # The rule still holds the next matching request: letting go ends the waits, not the rule.
    again = asyncio.ensure_future(aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1", retry_total=0))
    while sandbox.held() == 0:  # noqa: ASYNC110 - the admin API is the only signal; test timeout bounds it
        await asyncio.sleep(0.02)
    assert not again.done()
    await asyncio.to_thread(sandbox.let_go)
    assert (await again).count == 3


async def test_finish_ends_running_operations_now_but_not_never_ending_ones(
    sandbox: SandboxHandle, compute_dev: ComputeManagementClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    await compute_dev.virtual_machines.begin_start("rg-dev", "build-agent-3")
    sandbox.never_complete(True)
    await compute_dev.virtual_machines.begin_deallocate("rg-dev", "build-agent-1")

    assert sandbox.finish_operations() == 1

    view = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-3")
    assert [s.code for s in view.statuses] == ["ProvisioningState/succeeded", "PowerState/running"]
    assert sorted((o["resource_id"].rsplit("/", 1)[1], o["status"]) for o in sandbox.operations()) == [
        ("build-agent-1", "InProgress"),
        ("build-agent-3", "Succeeded"),
    ]


async def test_never_complete_keeps_operations_in_progress(
    sandbox: SandboxHandle, compute_dev: ComputeManagementClient
) -> None:
    sandbox.never_complete(True)
    poller = await compute_dev.virtual_machines.begin_start("rg-dev", "build-agent-3")

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(poller.result(), timeout=0.5)
    with pytest.raises(ResourceExistsError):
        await compute_dev.virtual_machines.begin_deallocate("rg-dev", "build-agent-3")
    [operation] = sandbox.operations()
    view = await compute_dev.virtual_machines.instance_view("rg-dev", "build-agent-3")

    assert (operation["status"], operation["never_completes"]) == ("InProgress", True)
    assert any(s.code == "PowerState/starting" for s in view.statuses)
    polls = [r for r in sandbox.requests() if "/operations/" in r["path"]]
    assert len(polls) >= 2


async def test_never_complete_off_again_lets_new_operations_finish(
    sandbox: SandboxHandle, compute_dev: ComputeManagementClient
) -> None:
    sandbox.never_complete(True)
    sandbox.never_complete(False)

    await (await compute_dev.virtual_machines.begin_start("rg-dev", "build-agent-3")).result()

    assert sandbox.operations()[0]["status"] == "Succeeded"


async def test_fault_can_make_one_operation_never_end(
    sandbox: SandboxHandle, compute_dev: ComputeManagementClient
) -> None:
    sandbox.inject_fault(method="POST", path_contains="build-agent-3/start", operation_status="InProgress")

    stuck = await compute_dev.virtual_machines.begin_start("rg-dev", "build-agent-3")
    await (await compute_dev.virtual_machines.begin_deallocate("rg-dev", "build-agent-1")).result()

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(stuck.result(), timeout=0.3)
    statuses = {op["action"]: op["status"] for op in sandbox.operations()}
    assert statuses == {"Start": "InProgress", "Deallocate": "Succeeded"}


async def test_fault_can_make_an_operation_fail(sandbox: SandboxHandle, aks_prod: ContainerServiceClient) -> None:
    sandbox.inject_fault(method="PUT", path_contains=NP1, operation_status="Failed")
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 5

    poller = await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)
    with pytest.raises(HttpResponseError) as failed:
        await poller.result()
    after = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 4
    retried = await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)).result()

    assert "SandboxInjectedFailure" in str(failed.value)
    assert (after.count, after.provisioning_state) == (3, "Failed")
    assert (retried.count, retried.provisioning_state) == (4, "Succeeded")


async def test_clear_faults_and_reset(sandbox: SandboxHandle, aks_prod: ContainerServiceClient) -> None:
    sandbox.inject_fault(method="*", path_contains="", status=500, times=None)
    sandbox.clear_faults()
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 7
    await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)).result()
    sandbox.never_complete(True)

    sandbox.reset()

    assert (await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")).count == 3
    assert sandbox.faults() == []
    assert sandbox.operations() == []
    assert len(sandbox.requests()) == 1  # only the GET after the reset


@pytest.mark.parametrize(
    "spec",
    [
        {"path_contains": "x"},
        {"status": 200},
        {"status": 500, "times": 0},
        {"method": "FETCH", "status": 500},
        {"status": 500, "operation_status": "Failed"},
        {"operation_status": "Succeeded"},
        {"status": 500, "colour": "red"},
    ],
    ids=["no-effect", "not-an-error", "zero-times", "bad-method", "status-and-outcome", "bad-outcome", "unknown-key"],
)
def test_invalid_fault_specs_are_rejected(sandbox: SandboxHandle, spec: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as rejected:
        sandbox.inject_fault(**spec)

    assert rejected.value.code == 400
    assert sandbox.faults() == []
