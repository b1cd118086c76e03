"""vm-start against the sandbox: the contract, plus a running VM being a no-op."""

from __future__ import annotations

from actions._compute import power_state
from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import Change, ProgressState
from tests.support.action_contract import ActionCase, ActionContract
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

VMS = "providers/Microsoft.Compute/virtualMachines"
AGENT_3 = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{VMS}/build-agent-3"
CORE_VM = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{VMS}/core-vm"


async def agent_3_power(ctx: ActionContext, sandbox: SandboxHandle) -> str:
    return power_state(await ctx.compute(DEV_SUBSCRIPTION_ID).virtual_machines.instance_view("rg-dev", "build-agent-3"))


class TestVmStart(ActionContract):
    case = ActionCase(
        command="start vm build-agent-3",
        changes=(Change("power state", "deallocated", "running"),),
        title="Start VM build-agent-3",
        current={"power_state": "deallocated"},
        read_state=agent_3_power,
        before="deallocated",
        after="running",
        target="build-agent-3",
        fault_method="POST",
        fault_path="/virtualMachines/build-agent-3/start",
        outside_scope={"vm": CORE_VM},
        not_found={"vm": AGENT_3.replace("build-agent-3", "build-agent-9")},
        not_found_parameter="vm",
        not_found_text="VM build-agent-9 was not found",
        invalid=(({}, "vm"), ({"vm": "build-agent-33"}, "vm"), ({"vm": "   "}, "vm")),
    )

    async def test_a_running_vm_is_a_no_op(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("vm-start")
        assert action is not None
        args = await resolve_all(ctx, action, {"vm": "jump-prod"})
        assert (await action.preview(ctx, args)).no_op
        progress = await action.start(ctx, args)
        assert progress.state is ProgressState.SUCCEEDED
        assert progress.message == "jump-prod is already running; nothing to do."
