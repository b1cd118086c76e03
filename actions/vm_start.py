"""vm-start: start a stopped or deallocated virtual machine."""

from __future__ import annotations

from actions._vm_power import VmPowerAction, vm_power_operations
from actions.phrases import START
from actions.spec import Phrasing, Precondition, UndoRule

__all__ = ["ACTION", "VmStart"]


class VmStart(VmPowerAction):
    """Start a VM (``virtual_machines.begin_start``)."""

    name = "vm-start"
    aliases = ("start vm", "start virtual machine")
    summary = "Start a stopped or deallocated virtual machine."
    help = (
        "Starts a virtual machine that is deallocated or stopped. Compute billing resumes once it runs. "
        "Nothing happens when it is already running."
    )
    examples = ("start vm build-agent-3", "vm-start vm=build-agent-3")
    change_title = "Start VM {vm}"
    verb = "start"
    arm_operations = vm_power_operations("start")
    undo = UndoRule(
        "vm-deallocate", same=("vm",), leaves={"power_state": "running"}, restores={"power_state": "deallocated"}
    )
    desired = "running"
    gerund = "Starting"
    done = "running"
    notes = ("Compute billing resumes while the VM runs.",)
    phrasing = Phrasing("start vm", START)
    preconditions = (Precondition("vm", ("stopped", "deallocated"), {"running": "already running"}),)


ACTION = VmStart()
