"""vm-restart against the sandbox: the contract, plus refusing a VM that is not running."""

from __future__ import annotations

import pytest

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import ActionError, Change
from tests.support.action_contract import ActionCase, ActionContract
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle

VMS = "providers/Microsoft.Compute/virtualMachines"
JUMP = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/{VMS}/jump-prod"
CORE_VM = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{VMS}/core-vm"


async def restarts_of_jump(ctx: ActionContext, sandbox: SandboxHandle) -> int:
    """Restart operations on jump-prod that succeeded: a restart leaves the power state as it was."""
    return sum(
        1
        for op in sandbox.operations()
        if op["action"] == "Restart" and op["resource_id"].lower() == JUMP.lower() and op["status"] == "Succeeded"
    )


class TestVmRestart(ActionContract):
    case = ActionCase(
        command="restart vm jump-prod",
        changes=(Change("restart", "", "jump-prod will restart (brief downtime)"),),
        title="Restart VM jump-prod",
        current={"power_state": "running"},
        read_state=restarts_of_jump,
        before=0,
        after=1,
        target="jump-prod",
        fault_method="POST",
        fault_path="/virtualMachines/jump-prod/restart",
        outside_scope={"vm": CORE_VM},
        not_found={"vm": JUMP.replace("jump-prod", "jump-ghost")},
        not_found_parameter="vm",
        not_found_text="VM jump-ghost was not found",
        invalid=(({}, "vm"), ({"vm": "jump"}, "vm")),
    )

    async def test_a_deallocated_vm_cannot_be_restarted(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("vm-restart")
        assert action is not None
        args = await resolve_all(ctx, action, {"vm": "build-agent-3"})
        with pytest.raises(ActionError, match="build-agent-3 is deallocated, not running") as caught:
            await action.preview(ctx, args)
        assert caught.value.suggestions == ("vm-start vm=build-agent-3",)
