"""aks-scale-node-pool against the sandbox: the contract, plus autoscaled, System, stopped and no-op pools."""

from __future__ import annotations

from typing import Any

import pytest

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import ActionError, Change, ParameterError, ProgressState, RiskKind
from tests.support.action_contract import ActionCase, ActionContract, mutating_statuses
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

AKS = "providers/Microsoft.ContainerService/managedClusters"
AKS_PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/{AKS}/aks-prod"
AKS_DEV = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{AKS}/aks-dev"
AKS_SANDBOX = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{AKS}/aks-sandbox"
AKS_CORE = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{AKS}/aks-core"


async def np1_nodes(ctx: ActionContext, sandbox: SandboxHandle) -> int:
    pool: Any = await ctx.container_service(PROD_SUBSCRIPTION_ID).agent_pools.get("rg-prod", "aks-prod", "np1")
    return int(pool.count)


class TestAksScaleNodePool(ActionContract):
    case = ActionCase(
        command="scale node pool aks-prod np1 to 5",
        changes=(Change("nodes", "3", "5", parameter="count"),),
        title="Scale aks-prod / np1: 3 → 5 nodes",
        current={"count": 3},
        read_state=np1_nodes,
        before=3,
        after=5,
        target="aks-prod / node pool np1",
        fault_method="PUT",
        fault_path="/managedClusters/aks-prod/agentPools/np1",
        outside_scope={"cluster": AKS_CORE, "pool": "np1", "count": 5},
        not_found={"cluster": AKS_PROD, "pool": "np9", "count": 5},
        not_found_parameter="pool",
        not_found_text="aks-prod has no node pool named 'np9'",
        invalid=(
            ({"cluster": "aks-prod", "pool": "np1", "count": "five"}, "count"),
            ({"cluster": "aks-prod", "pool": "np1", "count": "1001"}, "count"),
            ({"cluster": "aks-prod", "pool": "np1", "count": "-1"}, "count"),
            ({"cluster": "aks-prod", "pool": "np1"}, "count"),
            ({"cluster": "aks-nope", "pool": "np1", "count": "5"}, "cluster"),
        ),
    )

    async def test_an_autoscaled_pool_offers_to_change_min_max_instead(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np2", "count": "8"})
        with pytest.raises(ParameterError) as caught:
            await action.preview(ctx, args)
        assert caught.value.parameter == "pool"
        assert "cluster autoscaler is on" in caught.value.message
        assert "min 2, max 6" in caught.value.message
        # The offer changes something: the min is kept, the max raised to the count asked for.
        assert caught.value.suggestions == ("aks-set-autoscale cluster=aks-prod pool=np2 min=2 max=8",)
        with pytest.raises(ParameterError):
            await action.start(ctx, args)
        assert not mutating_statuses(sandbox, "PUT", "/agentPools/np2")

    @pytest.mark.parametrize(
        ("count", "suggestions"),
        [
            ("1", ("aks-set-autoscale cluster=aks-prod pool=np2 min=1 max=6",)),  # the min lowered to the count
            ("4", ()),  # within min 2 max 6 already: no range to offer, the autoscaler decides
        ],
    )
    async def test_the_autoscale_offer_is_a_range_that_differs_or_none(
        self, ctx: ActionContext, registry: Registry, count: str, suggestions: tuple[str, ...]
    ) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np2", "count": count})
        with pytest.raises(ParameterError) as caught:
            await action.preview(ctx, args)
        assert caught.value.suggestions == suggestions

    async def test_a_system_pool_keeps_at_least_one_node(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "system", "count": "0"})
        with pytest.raises(ParameterError, match="System pool: it needs at least 1 node"):
            await action.preview(ctx, args)

    async def test_a_user_pool_may_go_to_zero_with_a_warning(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-dev", "pool": "np1", "count": "0"})
        preview = await action.preview(ctx, args)
        assert preview.text.splitlines()[0] == "aks-dev / node pool np1: nodes 2 → 0"
        assert (preview.title, dict(preview.before)) == ("Scale aks-dev / np1: 2 → 0 nodes", {"count": 2})
        assert any("drained" in note for note in preview.notes)
        assert [(risk.kind, risk.message) for risk in preview.risks] == [
            (RiskKind.TO_ZERO, "0 nodes: workloads that run only on this node pool stop running."),
        ]

    async def test_a_stopped_cluster_must_be_started_first(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-sandbox", "pool": "np1", "count": "2"})
        with pytest.raises(ActionError, match="aks-sandbox is stopped") as caught:
            await action.preview(ctx, args)
        assert caught.value.suggestions == ("aks-start-cluster cluster=aks-sandbox",)

    async def test_the_same_count_is_a_no_op_and_sends_nothing(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np1", "count": "3"})
        preview = await action.preview(ctx, args)
        assert preview.no_op
        assert (preview.text, preview.risks) == ("aks-prod / node pool np1 already has 3 nodes — nothing to change", ())
        progress = await action.start(ctx, args)
        assert progress.state is ProgressState.SUCCEEDED
        assert "already has 3 nodes" in progress.message
        assert not mutating_statuses(sandbox, "PUT", "/agentPools/")

    async def test_a_pool_busy_in_azure_is_refused_before_sending(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        sandbox.never_complete(True)
        first = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np1", "count": "4"})
        assert (await action.start(ctx, first)).state is ProgressState.RUNNING
        second = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np1", "count": "6"})
        with pytest.raises(ActionError, match="Another operation is running on aks-prod / node pool np1"):
            await action.preview(ctx, second)
        assert len(mutating_statuses(sandbox, "PUT", "/agentPools/np1")) == 1

    def test_scope_is_the_node_pool(self, registry: Registry) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        scope = action.scope({"cluster": AKS_PROD, "pool": "np1", "count": 5})
        assert (scope.action, scope.resource_id) == ("aks-scale-node-pool", f"{AKS_PROD}/agentPools/np1")

    async def test_a_missing_cluster_is_not_found(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-scale-node-pool")
        assert action is not None
        ghost = AKS_PROD.replace("aks-prod", "aks-ghost")
        with pytest.raises(ParameterError, match="There is no AKS cluster aks-ghost in resource group rg-prod"):
            await resolve_all(ctx, action, {"cluster": ghost, "pool": "np1", "count": "5"})
        with pytest.raises(ActionError, match="cluster aks-ghost was not found"):
            await action.preview(ctx, {"cluster": ghost, "pool": "np1", "count": 5})
