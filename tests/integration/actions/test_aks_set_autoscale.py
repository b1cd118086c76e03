"""aks-set-autoscale against the sandbox: the contract, plus manual pools, min > max and System pools."""

from __future__ import annotations

from typing import Any

import pytest

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import Change, ParameterError
from tests.support.action_contract import ActionCase, ActionContract
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle

AKS = "providers/Microsoft.ContainerService/managedClusters"
AKS_PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/{AKS}/aks-prod"
AKS_CORE = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{AKS}/aks-core"


async def np2_range(ctx: ActionContext, sandbox: SandboxHandle) -> tuple[int, int]:
    pool: Any = await ctx.container_service(PROD_SUBSCRIPTION_ID).agent_pools.get("rg-prod", "aks-prod", "np2")
    return int(pool.min_count), int(pool.max_count)


class TestAksSetAutoscale(ActionContract):
    case = ActionCase(
        command="set autoscale aks-prod np2 min 2 max 8",
        changes=(
            Change("minimum nodes", "2", "2", parameter="min"),
            Change("maximum nodes", "6", "8", parameter="max"),
        ),
        title="Autoscale aks-prod / np2: 2\u20136 → 2\u20138 nodes",
        current={"min": 2, "max": 6},
        read_state=np2_range,
        before=(2, 6),
        after=(2, 8),
        target="aks-prod / node pool np2",
        fault_method="PUT",
        fault_path="/managedClusters/aks-prod/agentPools/np2",
        outside_scope={"cluster": AKS_CORE, "pool": "np1", "min": 1, "max": 3},
        not_found={"cluster": AKS_PROD, "pool": "np7", "min": 1, "max": 3},
        not_found_parameter="pool",
        not_found_text="aks-prod has no node pool named 'np7'",
        invalid=(
            ({"cluster": "aks-prod", "pool": "np2", "min": "two", "max": "8"}, "min"),
            ({"cluster": "aks-prod", "pool": "np2", "min": "2", "max": "0"}, "max"),
            ({"cluster": "aks-prod", "pool": "np2", "min": "2", "max": "1001"}, "max"),
            ({"cluster": "aks-prod", "pool": "np2", "min": "2"}, "max"),
            ({"cluster": "aks-prod", "pool": "nope", "min": "2", "max": "8"}, "pool"),
        ),
    )

    async def test_a_manual_pool_offers_scaling_instead(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-set-autoscale")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np1", "min": "4", "max": "6"})
        with pytest.raises(ParameterError, match="autoscaler is off") as caught:
            await action.preview(ctx, args)
        assert caught.value.parameter == "pool"
        # np1 has 3 nodes: the offer scales it into the range asked for (never to the count it has).
        assert caught.value.suggestions == ("aks-scale-node-pool cluster=aks-prod pool=np1 count=4",)
        inside = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np1", "min": "1", "max": "4"})
        with pytest.raises(ParameterError, match="autoscaler is off") as within:
            await action.preview(ctx, inside)
        assert within.value.suggestions == ()  # 3 nodes is inside 1..4 already: nothing to offer

    async def test_min_above_max_is_refused(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-set-autoscale")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np2", "min": "5", "max": "4"})
        with pytest.raises(ParameterError, match=r"max \(4\) must be at least min \(5\)"):
            await action.preview(ctx, args)

    async def test_a_range_above_the_current_count_says_nodes_will_be_added(
        self, ctx: ActionContext, registry: Registry
    ) -> None:
        action = registry.get("aks-set-autoscale")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np2", "min": "4", "max": "6"})
        preview = await action.preview(ctx, args)
        assert preview.notes == ("The pool has 3 nodes: the autoscaler will add nodes to reach 4.",)

    async def test_the_same_range_is_a_no_op(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-set-autoscale")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np2", "min": "2", "max": "6"})
        preview = await action.preview(ctx, args)
        assert preview.no_op
        assert preview.text == "aks-prod / node pool np2 already autoscales between 2 and 6 nodes — nothing to change"
