"""vm-deallocate against the sandbox: the contract, plus "stop vm" meaning deallocate and a no-op."""

from __future__ import annotations

from actions._compute import power_state
from actions.context import ActionContext
from actions.params import parse_command, resolve_all
from actions.registry import Registry
from actions.spec import Change, RiskKind
from tests.support.action_contract import ActionCase, ActionContract
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

VMS = "providers/Microsoft.Compute/virtualMachines"
AGENT_2 = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{VMS}/build-agent-2"
CORE_VM = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{VMS}/core-vm"


async def agent_2_power(ctx: ActionContext, sandbox: SandboxHandle) -> str:
    return power_state(await ctx.compute(DEV_SUBSCRIPTION_ID).virtual_machines.instance_view("rg-dev", "build-agent-2"))


class TestVmDeallocate(ActionContract):
    case = ActionCase(
        command="stop vm build-agent-2",
        changes=(Change("power state", "running", "deallocated"),),
        title="Stop (deallocate) VM build-agent-2",
        current={"power_state": "running"},
        risks=(RiskKind.STOP,),
        read_state=agent_2_power,
        before="running",
        after="deallocated",
        target="build-agent-2",
        fault_method="POST",
        fault_path="/virtualMachines/build-agent-2/deallocate",
        outside_scope={"vm": CORE_VM},
        not_found={"vm": AGENT_2.replace("build-agent-2", "build-agent-0")},
        not_found_parameter="vm",
        not_found_text="VM build-agent-0 was not found",
        invalid=(({}, "vm"), ({"vm": "web-prod"}, "vm")),
    )

    def test_stop_vm_means_deallocate(self, registry: Registry) -> None:
        assert parse_command(registry, "stop vm build-agent-3").action.name == "vm-deallocate"

    async def test_a_deallocated_vm_is_a_no_op(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("vm-deallocate")
        assert action is not None
        preview = await action.preview(ctx, await resolve_all(ctx, action, {"vm": "build-agent-3"}))
        assert preview.no_op
        assert (preview.text, preview.risks) == ("build-agent-3 is already deallocated — nothing to change", ())
