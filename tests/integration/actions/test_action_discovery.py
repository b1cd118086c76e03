"""Discovery against the sandbox: what is listed, the per-turn cache, the time budget, partial failures."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from actions.context import ActionContext
from actions.params import choices
from actions.registry import Registry
from actions.settings import ArmSettings
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

ROOT = Path(__file__).resolve().parents[3]
CLUSTER_LISTS = "/providers/Microsoft.ContainerService/managedClusters"


def cluster_list_requests(sandbox: SandboxHandle) -> list[dict[str, object]]:
    return [r for r in sandbox.requests() if r["method"] == "GET" and str(r["path"]).endswith(CLUSTER_LISTS)]


async def test_clusters_in_scope_are_listed_by_name_with_their_ids(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    listed = await choices(ctx, action, "cluster", {})
    assert listed.complete
    assert [c.title for c in listed.choices] == ["aks-dev", "aks-prod", "aks-sandbox"]  # never aks-core
    prod = next(c for c in listed.choices if c.title == "aks-prod")
    assert prod.value == (
        f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod"
        "/providers/Microsoft.ContainerService/managedClusters/aks-prod"
    )
    assert prod.description == "rg-prod · sub 22222222 · Running"


async def test_pools_of_the_chosen_cluster_are_listed(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    cluster = next(c for c in (await choices(ctx, action, "cluster", {})).choices if c.title == "aks-prod")
    pools = await choices(ctx, action, "pool", {"cluster": cluster.value})
    assert [(c.value, c.description) for c in pools.choices] == [
        ("np1", "User · 3 nodes"),
        ("np2", "User · autoscale min 2 max 6 · 3 nodes"),
        ("system", "System · 3 nodes"),
    ]


async def test_the_same_discovery_runs_once_per_turn(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action = registry.get("aks-start-cluster")
    other = registry.get("aks-stop-cluster")
    assert action is not None
    assert other is not None
    turn = ctx.for_turn()
    first = await choices(turn, action, "cluster", {})
    made = len(cluster_list_requests(sandbox))
    assert made == 4  # 2 subscriptions x 2 resource groups
    again = await choices(turn, other, "cluster", {})  # another action, same discovery, same inputs
    assert again == first
    assert len(cluster_list_requests(sandbox)) == made  # no request: served from the turn's cache
    await choices(ctx.for_turn(), action, "cluster", {})  # the next turn asks Azure again
    assert len(cluster_list_requests(sandbox)) == 2 * made


async def test_a_slow_subscription_yields_a_partial_list_within_the_budget(
    sandbox: SandboxHandle, make_context: Callable[..., ActionContext], registry: Registry
) -> None:
    prod_group = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/"
    slow = sandbox.inject_fault(method="GET", path_contains=prod_group, delay=600, times=None)  # until reset
    ctx = make_context(discovery_timeout_seconds=3.0)  # the production default
    action = registry.get("aks-scale-node-pool")
    assert action is not None

    began = time.monotonic()
    listed = await choices(ctx, action, "cluster", {})

    assert time.monotonic() - began >= 3.0  # the fast subscription's clusters were not cut short
    assert not listed.complete
    assert listed.note == "the list may be incomplete: Azure was slow to list clusters"
    assert [c.title for c in listed.choices] == ["aks-dev", "aks-sandbox"]
    # It answered while Azure still held the slow request: the budget, not the slow answer, ended it.
    assert [f["hits"] for f in sandbox.faults() if f["id"] == slow] == [1]
    assert not [r for r in cluster_list_requests(sandbox) if prod_group.lower() in str(r["path"]).lower()]


COLD_IMPORT = """
import asyncio, importlib.abc, json, sys, time

class SlowWebSdkImport(importlib.abc.MetaPathFinder):
    \"\"\"A cold instance on a busy machine: importing the web SDK takes longer than the whole budget.\"\"\"
    def find_spec(self, name, path, target=None):
        if name == "azure.mgmt.web.aio":
            time.sleep(4.0)
            print("slow import done", file=sys.stderr, flush=True)
        return None

sys.meta_path.insert(0, SlowWebSdkImport())

from actions.app_restart import discover_apps
from actions.context import ActionContext
from actions.settings import ArmSettings

async def main():
    assert "azure.mgmt.web.aio" not in sys.modules
    settings = ArmSettings(
        sandbox_url=sys.argv[1],
        subscriptions=("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"),
        resource_groups=frozenset({"rg-dev", "rg-prod"}),
        discovery_timeout_seconds=3.0,
    )
    async with ActionContext(settings) as ctx:
        listed = await discover_apps(ctx, {})
    print(json.dumps({"complete": listed.complete, "note": listed.note, "titles": [c.title for c in listed.choices]}))

asyncio.run(main())
"""


def test_a_cold_sdk_import_is_not_counted_in_the_discovery_budget(sandbox: SandboxHandle) -> None:
    result = subprocess.run(
        [sys.executable, "-c", COLD_IMPORT, sandbox.url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "slow import done" in result.stderr  # the SDK was imported during the call, slowly
    assert json.loads(result.stdout) == {
        "complete": True,
        "note": "",
        "titles": ["func-dev-jobs", "func-orders", "web-dev", "web-prod"],
    }


async def test_a_failing_subscription_yields_a_partial_list(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    sandbox.inject_fault(method="GET", path_contains=f"/subscriptions/{DEV_SUBSCRIPTION_ID}/", status=403, times=None)
    action = registry.get("vm-start")
    assert action is not None
    listed = await choices(ctx, action, "vm", {})
    assert not listed.complete
    assert listed.note == "the list may be incomplete: some virtual machines could not be listed"
    assert [c.title for c in listed.choices] == ["jump-prod"]


async def test_a_group_missing_from_a_subscription_is_not_a_failure(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action = registry.get("vmss-set-capacity")
    assert action is not None
    listed = await choices(ctx, action, "vmss", {})
    assert listed.complete  # rg-prod does not exist in platform-dev (404), and that is fine
    assert [c.title for c in listed.choices] == ["vmss-build", "vmss-web"]
    assert 404 in {r["status"] for r in sandbox.requests()}


async def test_without_resource_groups_whole_subscriptions_are_listed_but_scope_still_applies(
    sandbox: SandboxHandle, arm_settings: ArmSettings, registry: Registry
) -> None:
    settings = ArmSettings(
        sandbox_url=arm_settings.sandbox_url,
        subscriptions=(PROD_SUBSCRIPTION_ID,),
        discovery_timeout_seconds=arm_settings.discovery_timeout_seconds,
    )
    async with ActionContext(settings) as ctx:
        action = registry.get("aks-start-cluster")
        assert action is not None
        listed = await choices(ctx, action, "cluster", {})
    assert [c.title for c in listed.choices] == ["aks-core", "aks-prod"]  # every group of platform-prod
    assert [r["path"] for r in cluster_list_requests(sandbox)] == [
        f"/subscriptions/{PROD_SUBSCRIPTION_ID}{CLUSTER_LISTS}"
    ]
