"""Shared shape of vm-start, vm-deallocate and vm-restart: one VM, its power state, one LRO."""

from __future__ import annotations

from typing import Any

from actions._compute import (
    COMPUTE_OPERATION_RESULT,
    COMPUTE_OPERATION_STATUS,
    VM_TYPE,
    discover_vms,
    vm_id,
    vm_power_state,
)
from actions.arm import begin, resume
from actions.context import ActionContext
from actions.spec import (
    ActionError,
    Args,
    Change,
    NotUndoable,
    Parameter,
    ParamKind,
    Phrasing,
    Precondition,
    Preview,
    Progress,
    ProgressState,
    RiskRule,
    Scope,
    UndoRule,
    assess_risk,
    fill_title,
)

__all__ = ["VmPowerAction", "vm_power_operations"]


def vm_power_operations(verb: str) -> tuple[str, ...]:
    """The ARM operations of ``virtual_machines.begin_<verb>``: list VMs, read the power state, POST, follow it."""
    return (
        "Microsoft.Compute/virtualMachines/read",  # discovery (with the instance view)
        "Microsoft.Compute/virtualMachines/instanceView/read",  # the current power state
        f"Microsoft.Compute/virtualMachines/{verb}/action",
        COMPUTE_OPERATION_STATUS,
        COMPUTE_OPERATION_RESULT,
    )

_TRANSITIONAL = {"starting", "stopping", "deallocating"}


class VmPowerAction:
    """Runs ``virtual_machines.begin_<verb>`` on one VM.

    Subclasses declare the catalog fields (``change_title``, ``risk_rules`` included) plus ``verb``
    (``start``/``deallocate``/``restart``), ``desired`` (the power state afterwards), ``gerund``,
    ``done`` (past participle), ``requires_running`` (restart: an event, not a state change;
    ``effect`` says what the user will see), ``notes`` and ``arm_operations`` (:func:`vm_power_operations`
    of the verb), ``undo``; and how people say it (``phrasing``) and
    the power states the VM must be in (``preconditions``).
    """

    phrasing: Phrasing
    preconditions: tuple[Precondition, ...] = ()

    name: str
    aliases: tuple[str, ...]
    summary: str
    help: str
    examples: tuple[str, ...]
    verb: str
    desired: str
    gerund: str
    done: str
    requires_running = False
    effect = ""
    notes: tuple[str, ...] = ()
    change_title: str
    risk_rules: tuple[RiskRule, ...] = ()
    arm_operations: tuple[str, ...]
    undo: UndoRule | NotUndoable
    usage = "{vm}"
    timeout_seconds = 900.0
    parameters = (
        Parameter(
            "vm",
            ParamKind.RESOURCE,
            "Which virtual machine?",
            description="a virtual machine, by name or resource id",
            label="Virtual machine",
            discover=discover_vms,
            resource_type=VM_TYPE,
        ),
    )

    def scope(self, args: Args) -> Scope:
        """Permission needed: this action on the VM."""
        return Scope(self.name, str(args["vm"]))

    async def preview(self, ctx: ActionContext, args: Args) -> Preview:
        """Current → desired power state; no-op when the VM is already there (except for a restart)."""
        rid = vm_id(ctx, args)
        current = await vm_power_state(ctx, rid)
        if current in _TRANSITIONAL:
            raise ActionError(f"{rid.name} is {current}; try again when that finishes.")
        if self.requires_running and current != "running":
            raise ActionError(
                f"{rid.name} is {current}, not running, so it cannot be {self.done}. Start it instead.",
                suggestions=(f"vm-start vm={rid.name}",),
            )
        no_op = not self.requires_running and current == self.desired
        if self.requires_running:
            change = Change(self.verb, "", f"{rid.name} will {self.verb} ({self.effect})")
        else:
            change = Change("power state", current, self.desired)
        before = {"power_state": current}
        return Preview(
            target=rid.name,
            resource_id=str(rid),
            changes=(change,),
            notes=() if no_op else self.notes,
            no_op=no_op,
            title=fill_title(self, {"vm": rid.name}, before),
            before=before,
            risks=() if no_op else assess_risk(self, args, before),
            no_op_reason=f"{rid.name} is already {self.desired}" if no_op else "",
        )

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and send the power request."""
        preview = await self.preview(ctx, args)
        if preview.no_op:
            return Progress(ProgressState.SUCCEEDED, f"{preview.target} is already {self.desired}; nothing to do.")
        rid = vm_id(ctx, args)
        operation: Any = getattr(ctx.compute(rid.subscription).virtual_machines, f"begin_{self.verb}")
        return await begin(operation(rid.resource_group, rid.name), **self._messages(rid.name))

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """Check the power operation once, from its continuation token."""
        rid = vm_id(ctx, args)
        operation: Any = getattr(ctx.compute(rid.subscription).virtual_machines, f"begin_{self.verb}")
        call = operation(rid.resource_group, rid.name, continuation_token=continuation_token)
        return await resume(call, **self._messages(rid.name))

    def _messages(self, target: str) -> dict[str, str]:
        return {
            "target": target,
            "doing": self.verb,
            "running": f"{self.gerund} {target}…",
            "succeeded": f"{target} is {self.done}.",
        }
