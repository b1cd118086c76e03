"""Compute helpers shared by the VM and scale-set actions: discovery and validated reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions.arm import read
from actions.context import ActionContext
from actions.discovery import location_text, resource_choices
from actions.resource_ids import ResourceId
from actions.spec import Args, Choice, ChoiceList, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from azure.mgmt.compute.models import VirtualMachineScaleSet

__all__ = [
    "COMPUTE_OPERATION_RESULT",
    "COMPUTE_OPERATION_STATUS",
    "MAX_SCALE_SET_CAPACITY",
    "SCALE_SET_TYPE",
    "VM_TYPE",
    "discover_scale_sets",
    "discover_vms",
    "get_scale_set",
    "power_state",
    "vm_id",
    "vm_power_state",
]

SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
VM_TYPE = "Microsoft.Compute/virtualMachines"
# ARM operations (Azure RBAC names) the compute actions share, for their ``arm_operations``.
COMPUTE_OPERATION_STATUS = "Microsoft.Compute/locations/operations/read"
"""The status check of a long-running compute operation (its ``Azure-AsyncOperation`` URL)."""
COMPUTE_OPERATION_RESULT = "Microsoft.Compute/locations/operationresults/read"
"""The final read of a long-running compute POST when its ``Location`` is an operation result."""
MAX_SCALE_SET_CAPACITY = 1000  # a scale set holds at most 1000 VMs (100 with a single placement group)


def power_state(instance_view: Any) -> str:
    """``running``, ``deallocated``, ``stopped``, ``starting``… from an instance view (``unknown`` if absent)."""
    for status in getattr(instance_view, "statuses", None) or ():
        code = str(getattr(status, "code", "") or "")
        if code.lower().startswith("powerstate/"):
            return code.split("/", 1)[1].lower()
    return "unknown"


async def discover_scale_sets(ctx: ActionContext, args: Args) -> ChoiceList:
    """VM scale sets in scope, with their capacity."""

    def to_choice(scale_set: Any) -> Choice:
        capacity = scale_set.sku.capacity if scale_set.sku else "?"
        return Choice(scale_set.id, scale_set.name, f"{location_text(scale_set.id)} · {capacity} instances")

    return await resource_choices(
        ctx,
        what="scale sets",
        list_in_group=lambda sub, group: ctx.compute(sub).virtual_machine_scale_sets.list(group),
        list_in_subscription=lambda sub: ctx.compute(sub).virtual_machine_scale_sets.list_all(),
        to_choice=to_choice,
    )


async def discover_vms(ctx: ActionContext, args: Args) -> ChoiceList:
    """Virtual machines in scope, with their power state.

    Each choice's ``state`` is the power state: ``running``, ``deallocated``, ``stopped``…
    """

    def to_choice(vm: Any) -> Choice:
        state = power_state(vm.instance_view)
        return Choice(vm.id, vm.name, f"{location_text(vm.id)} · {state}", state=state)

    return await resource_choices(
        ctx,
        what="virtual machines",
        list_in_group=lambda sub, group: ctx.compute(sub).virtual_machines.list(group, expand="instanceView"),
        list_in_subscription=lambda sub: ctx.compute(sub).virtual_machines.list_all(expand="instanceView"),
        to_choice=to_choice,
    )


def _typed_id(ctx: ActionContext, args: Args, parameter: str, resource_type: str, noun: str) -> ResourceId:
    rid = ctx.ensure_in_scope(str(args[parameter]))
    if not rid.is_type(resource_type) or rid.child_type:
        raise ParameterError(parameter, f"{rid.name} is not a {noun}. Choose a {noun}.")
    return rid


def vm_id(ctx: ActionContext, args: Args) -> ResourceId:
    """The chosen VM's id (``args["vm"]``), checked to be in scope and a VM."""
    return _typed_id(ctx, args, "vm", VM_TYPE, "virtual machine")


async def vm_power_state(ctx: ActionContext, rid: ResourceId) -> str:
    """The VM's power state from its instance view; :class:`ActionError` when it cannot be read."""
    client = ctx.compute(rid.subscription)
    view = await read(client.virtual_machines.instance_view(rid.resource_group, rid.name), f"VM {rid.name}")
    return power_state(view)


async def get_scale_set(ctx: ActionContext, args: Args) -> tuple[ResourceId, VirtualMachineScaleSet]:
    """The chosen scale set (``args["vmss"]``), checked to be in scope."""
    rid = _typed_id(ctx, args, "vmss", SCALE_SET_TYPE, "VM scale set")
    client = ctx.compute(rid.subscription)
    scale_set = await read(client.virtual_machine_scale_sets.get(rid.resource_group, rid.name), f"scale set {rid.name}")
    return rid, scale_set
