"""vmss-set-capacity against the sandbox: the contract, plus no-op and scale-in warnings."""

from __future__ import annotations

from typing import Any

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import Change, ProgressState, RiskKind
from tests.support.action_contract import ActionCase, ActionContract, mutating_statuses
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

VMSS = "providers/Microsoft.Compute/virtualMachineScaleSets"
VMSS_WEB = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/{VMSS}/vmss-web"
VMSS_CORE = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{VMSS}/vmss-core"


async def web_capacity(ctx: ActionContext, sandbox: SandboxHandle) -> int:
    scale_set: Any = await ctx.compute(PROD_SUBSCRIPTION_ID).virtual_machine_scale_sets.get("rg-prod", "vmss-web")
    return int(scale_set.sku.capacity)


class TestVmssSetCapacity(ActionContract):
    case = ActionCase(
        command="scale vmss vmss-web to 6 instances",
        changes=(Change("instances", "4", "6", parameter="capacity"),),
        title="Scale vmss-web: 4 → 6 instances",
        current={"capacity": 4},
        read_state=web_capacity,
        before=4,
        after=6,
        target="vmss-web",
        fault_method="PATCH",
        fault_path="/virtualMachineScaleSets/vmss-web",
        outside_scope={"vmss": VMSS_CORE, "capacity": 2},
        not_found={"vmss": VMSS_WEB.replace("vmss-web", "vmss-ghost"), "capacity": 2},
        not_found_parameter="vmss",
        not_found_text="scale set vmss-ghost was not found",
        invalid=(
            ({"vmss": "vmss-web", "capacity": "1001"}, "capacity"),
            ({"vmss": "vmss-web", "capacity": "-2"}, "capacity"),
            ({"vmss": "vmss-web", "capacity": "6.5"}, "capacity"),
            ({"vmss": "vmss-web"}, "capacity"),
            ({"vmss": "aks-prod", "capacity": "2"}, "vmss"),
        ),
    )

    async def test_the_same_capacity_is_a_no_op(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action = registry.get("vmss-set-capacity")
        assert action is not None
        args = await resolve_all(ctx, action, {"vmss": "vmss-web", "capacity": "4"})
        assert (await action.preview(ctx, args)).no_op
        assert (await action.start(ctx, args)).state is ProgressState.SUCCEEDED
        assert not mutating_statuses(sandbox, "PATCH", "/virtualMachineScaleSets/")

    async def test_scaling_in_to_zero_warns(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("vmss-set-capacity")
        assert action is not None
        args = await resolve_all(ctx, action, {"vmss": "vmss-build", "capacity": "0"})
        preview = await action.preview(ctx, args)
        assert preview.text.splitlines()[0] == "vmss-build: instances 2 → 0"
        assert preview.notes == ("2 instance(s) will be deleted, with anything stored on them.",)
        assert [(risk.kind, risk.message) for risk in preview.risks] == [
            (RiskKind.TO_ZERO, "0 instances: nothing runs on this scale set."),
        ]
        assert preview.resource_id.startswith(f"/subscriptions/{DEV_SUBSCRIPTION_ID}/")
