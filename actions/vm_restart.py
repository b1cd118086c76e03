"""vm-restart: restart a running virtual machine."""

from __future__ import annotations

from actions._vm_power import VmPowerAction, vm_power_operations
from actions.phrases import RESTART
from actions.spec import NotUndoable, Phrasing, Precondition

__all__ = ["ACTION", "VmRestart"]


class VmRestart(VmPowerAction):
    """Restart a running VM (``virtual_machines.begin_restart``)."""

    name = "vm-restart"
    aliases = ("restart vm", "restart virtual machine")
    summary = "Restart a running virtual machine."
    help = (
        "Restarts the operating system of a running virtual machine; it keeps its compute allocation and IP "
        "addresses. A VM that is not running cannot be restarted: start it instead."
    )
    examples = ("restart vm jump-prod", "vm-restart vm=build-agent-1")
    change_title = "Restart VM {vm}"
    effect = "brief downtime"
    verb = "restart"
    arm_operations = vm_power_operations("restart")
    undo = NotUndoable("a restart cannot be taken back")
    desired = "running"
    gerund = "Restarting"
    done = "restarted"
    requires_running = True
    notes = ("Work in progress on the VM is interrupted while it restarts.",)
    phrasing = Phrasing("restart vm", RESTART)
    preconditions = (
        Precondition("vm", ("running",), {"deallocated": "deallocated — start it instead",
                                          "stopped": "stopped — start it instead"}),
    )


ACTION = VmRestart()
