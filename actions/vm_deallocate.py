"""vm-deallocate: stop a virtual machine and release its compute (billing stops)."""

from __future__ import annotations

from actions._vm_power import VmPowerAction, vm_power_operations
from actions.phrases import STOP
from actions.spec import Phrasing, Precondition, UndoRule, stops

__all__ = ["ACTION", "VmDeallocate"]


class VmDeallocate(VmPowerAction):
    """Deallocate a VM (``virtual_machines.begin_deallocate``): what "stop" means here."""

    name = "vm-deallocate"
    aliases = ("stop vm", "deallocate vm", "vm stop", "stop virtual machine")
    summary = "Stop a virtual machine and release its compute, so it is no longer billed."
    help = (
        "Shuts the virtual machine down and releases its compute resources: compute billing stops, its disks "
        "are kept, and a dynamic public IP address may change when it starts again. \"stop vm\" means this: "
        "Switchboard never leaves a VM powered off but still billed. Nothing happens when it is already deallocated."
    )
    examples = ("stop vm build-agent-2", "vm-deallocate vm=build-agent-1")
    change_title = "Stop (deallocate) VM {vm}"
    risk_rules = (stops("Everything running on the VM stops until it is started again; its disks are kept."),)
    verb = "deallocate"
    arm_operations = vm_power_operations("deallocate")
    undo = UndoRule(
        "vm-start",
        same=("vm",),
        leaves={"power_state": "deallocated"},
        restores={"power_state": "running"},
        caveat="a dynamic public IP address may differ after it starts again",
    )
    desired = "deallocated"
    gerund = "Deallocating"
    done = "deallocated"
    phrasing = Phrasing("stop vm", STOP)
    preconditions = (Precondition("vm", ("running", "stopped"), {"deallocated": "already deallocated"}),)


ACTION = VmDeallocate()
