"""AKS managed clusters and agent pools through the real aio ContainerServiceClient."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.containerservice.aio import ContainerServiceClient
from azure.mgmt.containerservice.models import AgentPool, AgentPoolManagedClusterAgentPoolProfileProperties

from tests.support.arm_sandbox import LONG_OPERATION, PROD_SUBSCRIPTION_ID, SandboxHandle, sdk_client_kwargs

AKS_PROD_ID = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod"
    "/providers/Microsoft.ContainerService/managedClusters/aks-prod"
)


def _capture(into: list[Any]) -> dict[str, Any]:
    """kwargs recording every raw response of one SDK call."""
    return {"raw_response_hook": lambda pipeline_response: into.append(pipeline_response.http_response)}


async def test_lists_clusters_by_subscription_and_by_resource_group(
    aks_prod: ContainerServiceClient, aks_dev: ContainerServiceClient
) -> None:
    prod = {c.name: c async for c in aks_prod.managed_clusters.list()}
    dev = {c.name: c async for c in aks_dev.managed_clusters.list_by_resource_group("rg-dev")}

    assert set(prod) == {"aks-prod", "aks-core"}
    assert prod["aks-core"].id.split("/")[4] == "rg-platform-core"
    assert set(dev) == {"aks-dev", "aks-sandbox"}
    assert dev["aks-dev"].power_state.code == "Running"
    assert dev["aks-sandbox"].power_state.code == "Stopped"
    assert dev["aks-dev"].location == "westeurope"


async def test_get_cluster_has_pool_profiles_and_ids(aks_prod: ContainerServiceClient) -> None:
    cluster = await aks_prod.managed_clusters.get("rg-prod", "aks-prod")

    assert cluster.id == AKS_PROD_ID
    assert cluster.type == "Microsoft.ContainerService/ManagedClusters"
    assert cluster.provisioning_state == "Succeeded"
    assert cluster.tags == {"env": "prod", "owner": "platform"}
    profiles = {p.name: p for p in cluster.agent_pool_profiles}
    assert {name: p.count for name, p in profiles.items()} == {"system": 3, "np1": 3, "np2": 3}
    assert profiles["system"].mode == "System"
    assert profiles["np2"].enable_auto_scaling is True


async def test_lists_and_gets_agent_pools(aks_prod: ContainerServiceClient, aks_dev: ContainerServiceClient) -> None:
    pools = {p.name: p async for p in aks_prod.agent_pools.list("rg-prod", "aks-prod")}
    np1 = await aks_dev.agent_pools.get("rg-dev", "aks-dev", "np1")

    assert set(pools) == {"system", "np1", "np2"}
    assert (pools["np2"].min_count, pools["np2"].max_count, pools["np2"].count) == (2, 6, 3)
    assert pools["np1"].enable_auto_scaling is False
    assert pools["np1"].min_count is None
    assert np1.id.endswith("/managedClusters/aks-dev/agentPools/np1")
    assert (np1.count, np1.mode, np1.vm_size, np1.power_state.code) == (2, "User", "Standard_D4s_v5", "Running")


async def test_scale_answers_201_with_async_operation_and_changes_count_only_when_done(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 5
    responses: list[Any] = []

    poller = await aks_prod.agent_pools.begin_create_or_update(
        "rg-prod", "aks-prod", "np1", pool, **_capture(responses)
    )
    during = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    assert sandbox.finish_operations() == 1
    result = await poller.result()
    after = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")

    initial = responses[0]
    assert initial.request.method == "PUT"
    assert initial.status_code == 201
    assert (
        "/providers/Microsoft.ContainerService/locations/westeurope/operations/"
        in (initial.headers["Azure-AsyncOperation"])
    )
    assert (during.count, during.provisioning_state) == (3, "Scaling")
    assert (result.count, result.provisioning_state) == (5, "Succeeded")
    assert (after.count, after.provisioning_state) == (5, "Succeeded")
    statuses = [r for r in sandbox.requests() if "/operations/" in r["path"]]
    assert statuses
    assert all(r["status"] == 200 for r in statuses)


async def test_status_endpoint_reports_in_progress_then_succeeded(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 4
    responses: list[Any] = []

    poller = await aks_prod.agent_pools.begin_create_or_update(
        "rg-prod", "aks-prod", "np1", pool, **_capture(responses)
    )
    await poller.polling_method().update_status()  # type: ignore[attr-defined]  # one status check
    assert sandbox.finish_operations() == 1
    await poller.result()

    seen = [r.json()["status"] for r in responses if "/operations/" in r.request.url]
    assert seen[0] == "InProgress"
    assert seen[-1] == "Succeeded"


async def test_resumes_from_continuation_token_in_a_fresh_client(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    sandbox.set_operation_delay(0.3)
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 5
    poller = await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)
    token = poller.continuation_token()
    assert poller.status() == "InProgress"

    async with ContainerServiceClient(subscription_id=PROD_SUBSCRIPTION_ID, **sdk_client_kwargs(sandbox)) as fresh:
        resumed = await fresh.agent_pools.begin_create_or_update(
            "rg-prod", "aks-prod", "np1", None, continuation_token=token
        )
        result = await resumed.result()

    assert (result.name, result.count, result.provisioning_state) == ("np1", 5, "Succeeded")


async def test_stop_then_start_cluster(sandbox: SandboxHandle, aks_dev: ContainerServiceClient) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    responses: list[Any] = []

    stop = await aks_dev.managed_clusters.begin_stop("rg-dev", "aks-dev", **_capture(responses))
    stopping = await aks_dev.managed_clusters.get("rg-dev", "aks-dev")
    assert sandbox.finish_operations() == 1
    await stop.result()
    stopped = await aks_dev.managed_clusters.get("rg-dev", "aks-dev")
    start = await aks_dev.managed_clusters.begin_start("rg-dev", "aks-dev")
    assert sandbox.finish_operations() == 1
    await start.result()
    started = await aks_dev.managed_clusters.get("rg-dev", "aks-dev")

    assert responses[0].status_code == 202
    assert "Location" in responses[0].headers
    assert "Azure-AsyncOperation" in responses[0].headers
    assert (stopping.provisioning_state, stopping.power_state.code) == ("Stopping", "Running")
    assert (stopped.provisioning_state, stopped.power_state.code) == ("Succeeded", "Stopped")
    assert {p.power_state.code for p in stopped.agent_pool_profiles} == {"Stopped"}
    assert (started.provisioning_state, started.power_state.code) == ("Succeeded", "Running")


async def test_starts_the_stopped_sandbox_cluster(aks_dev: ContainerServiceClient) -> None:
    poller = await aks_dev.managed_clusters.begin_start("rg-dev", "aks-sandbox")
    await poller.result()

    cluster = await aks_dev.managed_clusters.get("rg-dev", "aks-sandbox")
    pool = await aks_dev.agent_pools.get("rg-dev", "aks-sandbox", "np1")
    assert cluster.power_state.code == "Running"
    assert (pool.power_state.code, pool.count) == ("Running", 1)


async def test_starting_a_running_cluster_or_stopping_a_stopped_one_is_refused(
    aks_dev: ContainerServiceClient,
) -> None:
    with pytest.raises(ResourceExistsError) as running:
        await aks_dev.managed_clusters.begin_start("rg-dev", "aks-dev")
    with pytest.raises(ResourceExistsError) as stopped:
        await aks_dev.managed_clusters.begin_stop("rg-dev", "aks-sandbox")

    assert running.value.status_code == 409
    assert running.value.error.code == "OperationNotAllowed"
    assert "already running" in running.value.error.message
    assert stopped.value.error.code == "OperationNotAllowed"


async def test_scaling_a_pool_of_a_stopped_cluster_is_refused(aks_dev: ContainerServiceClient) -> None:
    pool = await aks_dev.agent_pools.get("rg-dev", "aks-sandbox", "np1")
    pool.count = 2

    with pytest.raises(ResourceExistsError) as refused:
        await aks_dev.agent_pools.begin_create_or_update("rg-dev", "aks-sandbox", "np1", pool)

    assert refused.value.error.code == "OperationNotAllowed"
    assert "stopped" in refused.value.error.message
    assert (await aks_dev.agent_pools.get("rg-dev", "aks-sandbox", "np1")).count == 1


async def test_second_mutation_while_an_operation_runs_gets_409(
    sandbox: SandboxHandle, aks_prod: ContainerServiceClient
) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.count = 4
    await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)
    other = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "system")
    other.count = 4

    with pytest.raises(ResourceExistsError) as same_pool:
        await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)
    with pytest.raises(ResourceExistsError) as other_pool:
        await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "system", other)
    with pytest.raises(ResourceExistsError) as stop:
        await aks_prod.managed_clusters.begin_stop("rg-prod", "aks-prod")

    for refused in (same_pool, other_pool, stop):
        assert refused.value.status_code == 409
        assert refused.value.error.code == "OperationNotAllowed"
    assert "Another operation (Scaling) is in progress" in same_pool.value.error.message
    assert [r["status"] for r in sandbox.requests() if r["method"] in ("PUT", "POST")] == [201, 409, 409, 409]


@pytest.mark.parametrize(
    ("pool_name", "count"),
    [("np1", 1001), ("np1", -1), ("system", 0)],
    ids=["above-1000", "negative", "system-pool-to-zero"],
)
async def test_pool_count_out_of_range_is_a_400(aks_prod: ContainerServiceClient, pool_name: str, count: int) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", pool_name)
    pool.count = count

    with pytest.raises(HttpResponseError) as invalid:
        await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", pool_name, pool)

    assert invalid.value.status_code == 400
    assert invalid.value.error.code == "InvalidParameter"
    assert (await aks_prod.agent_pools.get("rg-prod", "aks-prod", pool_name)).provisioning_state == "Succeeded"


async def test_user_pool_can_scale_to_zero(aks_dev: ContainerServiceClient) -> None:
    pool = await aks_dev.agent_pools.get("rg-dev", "aks-dev", "np1")
    pool.count = 0

    result = await (await aks_dev.agent_pools.begin_create_or_update("rg-dev", "aks-dev", "np1", pool)).result()

    assert result.count == 0


async def test_vm_size_of_an_existing_pool_cannot_change(aks_dev: ContainerServiceClient) -> None:
    pool = await aks_dev.agent_pools.get("rg-dev", "aks-dev", "np1")
    pool.vm_size = "Standard_D8s_v5"

    with pytest.raises(HttpResponseError) as invalid:
        await aks_dev.agent_pools.begin_create_or_update("rg-dev", "aks-dev", "np1", pool)

    assert invalid.value.error.code == "PropertyChangeNotAllowed"


async def test_autoscaled_pool_count_is_owned_by_the_autoscaler(aks_prod: ContainerServiceClient) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np2")
    pool.count = 5

    result = await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np2", pool)).result()

    assert (result.count, result.enable_auto_scaling, result.min_count, result.max_count) == (3, True, 2, 6)


async def test_raising_min_count_moves_the_autoscaled_count_into_range(aks_prod: ContainerServiceClient) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np2")
    pool.min_count = 4

    result = await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np2", pool)).result()

    assert (result.count, result.min_count, result.max_count) == (4, 4, 6)


async def test_min_count_above_max_count_is_a_400(aks_prod: ContainerServiceClient) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np2")
    pool.min_count = 7

    with pytest.raises(HttpResponseError) as invalid:
        await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np2", pool)

    assert invalid.value.status_code == 400
    assert "minCount" in invalid.value.error.message


async def test_disabling_autoscale_makes_count_manual_again(aks_prod: ContainerServiceClient) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np2")
    pool.enable_auto_scaling = False
    pool.min_count = None
    pool.max_count = None
    pool.count = 5

    result = await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np2", pool)).result()

    assert (result.count, result.enable_auto_scaling, result.min_count, result.max_count) == (5, False, None, None)


async def test_enabling_autoscale_on_a_manual_pool(aks_prod: ContainerServiceClient) -> None:
    pool = await aks_prod.agent_pools.get("rg-prod", "aks-prod", "np1")
    pool.enable_auto_scaling = True
    pool.min_count = 1
    pool.max_count = 2

    result = await (await aks_prod.agent_pools.begin_create_or_update("rg-prod", "aks-prod", "np1", pool)).result()

    assert (result.count, result.enable_auto_scaling, result.min_count, result.max_count) == (2, True, 1, 2)


async def test_creates_a_new_pool(sandbox: SandboxHandle, aks_dev: ContainerServiceClient) -> None:
    sandbox.set_operation_delay(LONG_OPERATION)
    new_pool = AgentPool(
        properties=AgentPoolManagedClusterAgentPoolProfileProperties(count=2, vm_size="Standard_D2s_v5", mode="User")
    )

    poller = await aks_dev.agent_pools.begin_create_or_update("rg-dev", "aks-dev", "np3", new_pool)
    creating = await aks_dev.agent_pools.get("rg-dev", "aks-dev", "np3")
    assert sandbox.finish_operations() == 1
    created = await poller.result()

    assert creating.provisioning_state == "Creating"
    assert (created.name, created.count, created.vm_size, created.provisioning_state) == (
        "np3",
        2,
        "Standard_D2s_v5",
        "Succeeded",
    )
    assert {p.name async for p in aks_dev.agent_pools.list("rg-dev", "aks-dev")} == {"system", "np1", "np3"}


async def test_last_system_pool_cannot_become_user_mode(aks_dev: ContainerServiceClient) -> None:
    pool = await aks_dev.agent_pools.get("rg-dev", "aks-dev", "system")
    pool.mode = "User"

    with pytest.raises(HttpResponseError) as invalid:
        await aks_dev.agent_pools.begin_create_or_update("rg-dev", "aks-dev", "system", pool)

    assert invalid.value.status_code == 400
    assert "System" in invalid.value.error.message
