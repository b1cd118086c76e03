"""Undo: every action declares how it is undone (or why not); plan_undo plans it or refuses with the reason.

The undo really setting a resource back in the ARM sandbox is the action contract's
``test_its_undo_sets_back_the_values_before_or_it_says_why_it_cannot_be_undone``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from actions.params import parse_command
from actions.registry import Registry, default_registry
from actions.spec import Action, ArgValue, NotUndoable, UndoRule, undo_of
from actions.undo import RefusalKind, UndoPlan, UndoRefusal, plan_undo

REGISTRY = default_registry()
ACTIONS = list(REGISTRY)

PROD = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod/providers"
DEV = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev/providers"
AKS_PROD = f"{PROD}/Microsoft.ContainerService/managedClusters/aks-prod"
VMSS_WEB = f"{PROD}/Microsoft.Compute/virtualMachineScaleSets/vmss-web"
VM_A = f"{DEV}/Microsoft.Compute/virtualMachines/vm-a"
WEB_PROD = f"{PROD}/Microsoft.Web/sites/web-prod"


@dataclass(frozen=True)
class Sample:
    """An operation that ran, the resource now (unchanged since), and the undo request expected for it."""

    action: str
    args: Mapping[str, ArgValue]
    before: Mapping[str, ArgValue]
    current: Mapping[str, ArgValue]
    undo_action: str
    undo_args: Mapping[str, str]
    command: str  # the plan as a typed command


SAMPLES = (
    Sample("aks-scale-node-pool", {"cluster": AKS_PROD, "pool": "np1", "count": 5}, {"count": 3}, {"count": 5},
           "aks-scale-node-pool", {"cluster": AKS_PROD, "pool": "np1", "count": "3"},
           f"scale node pool {AKS_PROD} np1 to 3 nodes"),
    # a pool called like a filler word of the usage template still round-trips
    Sample("aks-scale-node-pool", {"cluster": AKS_PROD, "pool": "to", "count": 0}, {"count": 2}, {"count": 0},
           "aks-scale-node-pool", {"cluster": AKS_PROD, "pool": "to", "count": "2"},
           f"scale node pool {AKS_PROD} to to 2 nodes"),
    Sample("aks-set-autoscale", {"cluster": AKS_PROD, "pool": "np2", "min": 2, "max": 8}, {"min": 2, "max": 6},
           {"min": 2, "max": 8},
           "aks-set-autoscale", {"cluster": AKS_PROD, "pool": "np2", "min": "2", "max": "6"},
           f"set autoscale {AKS_PROD} np2 min 2 max 6"),
    Sample("aks-start-cluster", {"cluster": AKS_PROD}, {"power_state": "Stopped"}, {"power_state": "Running"},
           "aks-stop-cluster", {"cluster": AKS_PROD}, f"stop cluster {AKS_PROD}"),
    Sample("aks-stop-cluster", {"cluster": AKS_PROD}, {"power_state": "Running"}, {"power_state": "Stopped"},
           "aks-start-cluster", {"cluster": AKS_PROD}, f"start cluster {AKS_PROD}"),
    Sample("vmss-set-capacity", {"vmss": VMSS_WEB, "capacity": 6}, {"capacity": 4}, {"capacity": 6},
           "vmss-set-capacity", {"vmss": VMSS_WEB, "capacity": "4"}, f"scale vmss {VMSS_WEB} to 4 instances"),
    Sample("vm-start", {"vm": VM_A}, {"power_state": "deallocated"}, {"power_state": "running"},
           "vm-deallocate", {"vm": VM_A}, f"stop vm {VM_A}"),
    Sample("vm-deallocate", {"vm": VM_A}, {"power_state": "running"}, {"power_state": "deallocated"},
           "vm-start", {"vm": VM_A}, f"start vm {VM_A}"),
)  # fmt: skip

SCALE = SAMPLES[0]


def _action(name: str) -> Action:
    action = REGISTRY.get(name)
    assert action is not None
    return action


def _plan(sample: Sample, **changes: object) -> UndoPlan | UndoRefusal:
    fields = {"args": sample.args, "before": sample.before, "current": sample.current, **changes}
    return plan_undo(REGISTRY, sample.action, fields["args"], fields["before"], fields["current"])  # type: ignore[arg-type]


def _refusal(result: UndoPlan | UndoRefusal, kind: RefusalKind) -> str:
    assert isinstance(result, UndoRefusal), result
    assert result.kind is kind, result.reason
    return result.reason


# ---------------------------------------------------------------- the declarations


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_action_declares_its_undo(action: Action) -> None:
    declared = getattr(action, "undo", None)
    assert isinstance(declared, UndoRule | NotUndoable), "declare undo = UndoRule(...) or NotUndoable(reason)"
    if isinstance(declared, NotUndoable):
        return
    undoing = _action(declared.action)
    names = {p.name for p in action.parameters}
    assert set(declared.same) | set(declared.restore) <= names
    # the undo request names every required parameter of the undoing action, and nothing else
    assert set(declared.same) | set(declared.restore) == {p.name for p in undoing.parameters if p.required}


def test_every_undoable_action_has_a_round_trip_sample() -> None:
    undoable = {a.name for a in ACTIONS if isinstance(undo_of(a), UndoRule)}
    assert {s.action for s in SAMPLES} == undoable
    assert {a.name for a in ACTIONS} - undoable == {"vm-restart", "app-restart"}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s.action}:{s.args.get('pool', '')}")
def test_the_plan_is_a_typed_command_that_parses_back_to_the_same_request(sample: Sample) -> None:
    plan = _plan(sample)
    assert isinstance(plan, UndoPlan), plan
    assert plan.action is _action(sample.undo_action)
    assert dict(plan.args) == dict(sample.undo_args)
    assert plan.undoes == sample.action
    assert plan.command_text() == sample.command
    parsed = parse_command(REGISTRY, plan.command_text())
    assert parsed.action is plan.action
    assert parsed.args == dict(plan.args)


def test_the_plan_says_what_it_sets_back_and_what_it_does_not() -> None:
    plan = _plan(SCALE)
    assert isinstance(plan, UndoPlan)
    assert dict(plan.restores) == {"count": 3}
    assert plan.caveat == "the node count comes back, not the same nodes: scaling up again adds new ones"


def test_values_compare_as_text_ignoring_case_and_spaces() -> None:
    # Stored records may hold numbers as text, and the platform may change the case of a state.
    assert isinstance(_plan(SCALE, current={"count": " 5 "}), UndoPlan)
    assert isinstance(_plan(SCALE, args={**SCALE.args, "count": "5"}), UndoPlan)
    start = SAMPLES[3]
    assert isinstance(_plan(start, current={"power_state": "running"}), UndoPlan)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(("name", "phrase"), [("vm-restart", "restart vm"), ("app-restart", "restart app")])
def test_a_restart_cannot_be_undone(name: str, phrase: str) -> None:
    args = {"vm": VM_A} if name == "vm-restart" else {"app": WEB_PROD}
    result = plan_undo(REGISTRY, name, args, {"power_state": "running"}, {"power_state": "running"})
    assert _refusal(result, RefusalKind.NOT_UNDOABLE) == f"`{phrase}` can't be undone: a restart cannot be taken back."


def test_an_action_no_longer_in_the_catalog_cannot_be_undone() -> None:
    result = plan_undo(REGISTRY, "vm-resize", {"vm": VM_A}, {"size": "B2s"}, {"size": "B4ms"})
    assert _refusal(result, RefusalKind.UNKNOWN_ACTION).startswith("vm-resize is not an action Switchboard knows")


@pytest.mark.parametrize("before", [None, {}, {"power_state": "running"}], ids=["none", "empty", "other-keys"])
def test_without_the_recorded_before_values_it_is_refused(before: Mapping[str, ArgValue] | None) -> None:
    assert _refusal(_plan(SCALE, before=before), RefusalKind.NOT_RECORDED) == (
        "The values aks-prod / np1 had before the operation were not recorded, so Switchboard can't tell what to "
        "set back. Make the change you want as a new request."
    )


def test_with_only_some_before_values_recorded_it_is_refused() -> None:
    autoscale = SAMPLES[2]
    _refusal(_plan(autoscale, before={"min": 2}), RefusalKind.NOT_RECORDED)


def test_without_the_recorded_target_it_is_refused() -> None:
    reason = _refusal(_plan(SCALE, args={"cluster": AKS_PROD, "count": 5}), RefusalKind.NOT_RECORDED)
    assert reason.startswith("The operation's arguments were not recorded in full")


def test_a_resource_changed_since_the_operation_is_refused() -> None:
    # scaled 3 -> 5, then someone scaled it to 4: undoing to 3 would overwrite their change
    assert _refusal(_plan(SCALE, current={"count": 4}), RefusalKind.CHANGED_SINCE) == (
        "aks-prod / np1 has changed since the operation (its node count is 4 now, the operation left 5), so undoing "
        "it could overwrite someone else's change. Make the change you want as a new request."
    )


def test_a_change_in_either_value_of_a_range_is_drift() -> None:
    autoscale = SAMPLES[2]
    reason = _refusal(_plan(autoscale, current={"min": 3, "max": 8}), RefusalKind.CHANGED_SINCE)
    assert "(its minimum nodes is 3 now, the operation left 2)" in reason


def test_a_vm_stopped_again_since_it_was_started_is_drift() -> None:
    start_vm = SAMPLES[6]
    reason = _refusal(_plan(start_vm, current={"power_state": "deallocated"}), RefusalKind.CHANGED_SINCE)
    assert reason.startswith("vm-a has changed since the operation (its power state is deallocated now, the "
                             "operation left running)")


def test_a_value_the_fresh_preview_did_not_read_is_refused() -> None:
    reason = _refusal(_plan(SCALE, current={}), RefusalKind.CURRENT_UNKNOWN)
    assert reason == (
        "Switchboard could not read the node count of aks-prod / np1 now, so it can't tell whether it changed since "
        "the operation. Try the undo again later."
    )


def test_an_operation_that_changed_nothing_has_nothing_to_undo() -> None:
    reason = _refusal(_plan(SCALE, before={"count": 5}), RefusalKind.NOTHING_CHANGED)
    assert reason == (
        "The operation changed nothing (aks-prod / np1 already had node count 5), so there is nothing to undo."
    )


@pytest.mark.parametrize("name", ["vm-start", "vm-deallocate"])
def test_a_vm_that_was_only_powered_off_is_not_brought_back_by_the_opposite_action(name: str) -> None:
    # A powered-off VM keeps its compute: starting it then deallocating it (or the reverse) leaves it
    # deallocated or running, never powered off as it was.
    after = "running" if name == "vm-start" else "deallocated"
    result = plan_undo(REGISTRY, name, {"vm": VM_A}, {"power_state": "stopped"}, {"power_state": after})
    reason = _refusal(result, RefusalKind.CANNOT_RESTORE)
    assert reason.startswith("vm-a was stopped before the operation")


# ---------------------------------------------------------------- declaration errors


def test_inconsistent_undo_rules_are_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="names nothing to set back"):
        UndoRule("vm-start", same=("vm",))
    with pytest.raises(ValueError, match="different keys"):
        UndoRule("vm-start", same=("vm",), leaves={"power_state": "deallocated"})
    with pytest.raises(ValueError, match="both as restored and as kept"):
        UndoRule("aks-scale-node-pool", same=("cluster", "count"), restore=("count",))
    with pytest.raises(ValueError, match="needs a reason"):
        NotUndoable(" ")


def test_an_undo_naming_an_action_outside_the_catalog_is_a_declaration_error() -> None:
    only_start = Registry([_action("vm-start")])
    with pytest.raises(ValueError, match="vm-start is undone by 'vm-deallocate', which is not in the catalog"):
        plan_undo(only_start, "vm-start", {"vm": VM_A}, {"power_state": "deallocated"}, {"power_state": "running"})


def test_an_action_declaring_no_undo_cannot_be_undone() -> None:
    class Bare:
        name = "bare-action"

    assert undo_of(Bare()) == NotUndoable("its declaration does not say how to undo it")  # type: ignore[arg-type]
