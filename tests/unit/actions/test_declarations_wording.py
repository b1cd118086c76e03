"""What the action declarations say to people: preview titles, parameter labels, and which changes
are risky (``assess_risk``), for every action of the registry. Pure: no platform calls — the
previews that fill these from live state are checked against the ARM sandbox in
``tests/integration/actions``."""

from __future__ import annotations

import pytest

from actions.registry import default_registry
from actions.spec import Action, ArgValue, Parameter, ParameterError, ParamKind, RiskKind, assess_risk, fill_title

REGISTRY = default_registry()


def action(name: str) -> Action:
    found = REGISTRY.get(name)
    assert found is not None
    return found


# action -> (display values by parameter, current values, the preview title)
TITLES: dict[str, tuple[dict[str, str], dict[str, ArgValue], str]] = {
    "aks-scale-node-pool": (
        {"cluster": "aks-prod", "pool": "np1", "count": "5"}, {"count": 3}, "Scale aks-prod / np1: 3 → 5 nodes",
    ),
    "aks-set-autoscale": (
        {"cluster": "aks-prod", "pool": "np2", "min": "2", "max": "8"}, {"min": 2, "max": 6},
        "Autoscale aks-prod / np2: 2\u20136 → 2\u20138 nodes",
    ),
    "aks-start-cluster": ({"cluster": "aks-sandbox"}, {"power_state": "Stopped"}, "Start cluster aks-sandbox"),
    "aks-stop-cluster": ({"cluster": "aks-dev"}, {"power_state": "Running"}, "Stop cluster aks-dev"),
    "vmss-set-capacity": ({"vmss": "vmss-web", "capacity": "6"}, {"capacity": 4}, "Scale vmss-web: 4 → 6 instances"),
    "vm-start": ({"vm": "build-agent-3"}, {"power_state": "deallocated"}, "Start VM build-agent-3"),
    "vm-deallocate": ({"vm": "build-agent-2"}, {"power_state": "running"}, "Stop (deallocate) VM build-agent-2"),
    "vm-restart": ({"vm": "jump-prod"}, {"power_state": "running"}, "Restart VM jump-prod"),
    "app-restart": ({"app": "web-prod"}, {"state": "Running"}, "Restart web-prod"),
}  # fmt: skip

LABELS: dict[str, list[tuple[str, str, str]]] = {
    "aks-scale-node-pool": [("cluster", "AKS cluster", "AKS cluster"), ("pool", "Node pool", "node pool"),
                            ("count", "Node count", "node count")],
    "aks-set-autoscale": [("cluster", "AKS cluster", "AKS cluster"), ("pool", "Node pool", "node pool"),
                          ("min", "Minimum nodes", "minimum nodes"), ("max", "Maximum nodes", "maximum nodes")],
    "aks-start-cluster": [("cluster", "AKS cluster", "AKS cluster")],
    "aks-stop-cluster": [("cluster", "AKS cluster", "AKS cluster")],
    "vmss-set-capacity": [("vmss", "VM scale set", "VM scale set"), ("capacity", "Instance count", "instance count")],
    "vm-start": [("vm", "Virtual machine", "virtual machine")],
    "vm-deallocate": [("vm", "Virtual machine", "virtual machine")],
    "vm-restart": [("vm", "Virtual machine", "virtual machine")],
    "app-restart": [("app", "App", "app")],
}  # fmt: skip


def test_every_action_is_covered() -> None:
    names = sorted(a.name for a in REGISTRY)
    assert sorted(TITLES) == names
    assert sorted(LABELS) == names


@pytest.mark.parametrize("name", list(TITLES))
def test_the_title_says_the_change(name: str) -> None:
    names, before, title = TITLES[name]
    assert fill_title(action(name), names, before) == title


@pytest.mark.parametrize("name", list(LABELS))
def test_every_parameter_has_a_proper_label(name: str) -> None:
    declared = action(name).parameters
    assert [(p.name, p.title, p.noun) for p in declared] == LABELS[name]
    assert all(p.label for p in declared)  # declared, not derived from the name ("Vm")


def test_value_errors_name_the_parameter_by_its_label() -> None:
    count = next(p for p in action("aks-scale-node-pool").parameters if p.name == "count")
    with pytest.raises(ParameterError) as caught:
        count.coerce("99999")
    assert caught.value.message == "Node count must be from 0 to 1000, got 99999."
    with pytest.raises(ParameterError) as caught:
        count.coerce("-1")
    assert caught.value.message == "Node count must be from 0 to 1000, got -1."
    with pytest.raises(ParameterError) as caught:
        count.coerce("lots")
    assert caught.value.message == "Node count must be a whole number, got 'lots'."
    assert Parameter("vm_size", ParamKind.TEXT, "Which size?").title == "Vm size"  # undeclared: from the name


def kinds(name: str, args: dict[str, ArgValue], before: dict[str, ArgValue]) -> list[tuple[RiskKind, str]]:
    return [(risk.kind, risk.parameter) for risk in assess_risk(action(name), args, before)]


SCALE = "aks-scale-node-pool"


@pytest.mark.parametrize(
    ("args", "before", "expected"),
    [
        ({"count": 0}, {"count": 3}, [(RiskKind.TO_ZERO, "count")]),
        ({"count": 7}, {"count": 3}, [(RiskKind.LARGE_CHANGE, "count")]),  # more than double
        ({"count": 1}, {"count": 3}, [(RiskKind.LARGE_CHANGE, "count")]),  # less than half
        ({"count": 31}, {"count": 20}, [(RiskKind.LARGE_CHANGE, "count")]),  # +11
        ({"count": 9}, {"count": 20}, [(RiskKind.LARGE_CHANGE, "count")]),  # -11
        ({"count": 1000}, {"count": 995}, [(RiskKind.AT_LIMIT, "count")]),
        ({"count": 1000}, {"count": 3}, [(RiskKind.LARGE_CHANGE, "count")]),  # one flag per parameter
        ({"count": 6}, {"count": 3}, []),  # exactly double
        ({"count": 30}, {"count": 20}, []),  # exactly +10
        ({"count": 5}, {"count": 3}, []),
        ({"count": 2}, {"count": 3}, []),
        ({"count": 1}, {"count": 0}, []),  # from zero: no ratio, +1
        ({"count": 0}, {"count": 0}, []),  # no change: nothing to flag
    ],
)
def test_scaling_a_node_pool(args: dict[str, ArgValue], before: dict[str, ArgValue], expected: list[object]) -> None:
    assert kinds(SCALE, {"cluster": "/c", "pool": "np1", **args}, before) == expected


def test_risk_messages_say_what_happens() -> None:
    def messages(name: str, args: dict[str, ArgValue], before: dict[str, ArgValue]) -> list[str]:
        return [risk.message for risk in assess_risk(action(name), args, before)]

    assert messages(SCALE, {"count": 0}, {"count": 3}) == [
        "0 nodes: workloads that run only on this node pool stop running.",
    ]
    assert messages(SCALE, {"count": 7}, {"count": 3}) == ["Node count 3 → 7 is a large change (more than double)."]
    assert messages(SCALE, {"count": 31}, {"count": 20}) == [
        "Node count 20 → 31 is a large change (more than 10 more).",
    ]
    assert messages(SCALE, {"count": 1000}, {"count": 995}) == ["1000 is the highest node count allowed."]
    assert messages("vmss-set-capacity", {"capacity": 0}, {"capacity": 2}) == [
        "0 instances: nothing runs on this scale set.",
    ]
    assert messages("vm-deallocate", {"vm": "/vm"}, {"power_state": "running"}) == [
        "Everything running on the VM stops until it is started again; its disks are kept.",
    ]
    assert messages("aks-stop-cluster", {"cluster": "/c"}, {"power_state": "Running"}) == [
        "Every workload on the cluster stops until it is started again.",
    ]


def test_scaling_a_scale_set() -> None:
    assert kinds("vmss-set-capacity", {"capacity": 0}, {"capacity": 2}) == [(RiskKind.TO_ZERO, "capacity")]
    assert kinds("vmss-set-capacity", {"capacity": 10}, {"capacity": 4}) == [(RiskKind.LARGE_CHANGE, "capacity")]
    assert kinds("vmss-set-capacity", {"capacity": 1000}, {"capacity": 999}) == [(RiskKind.AT_LIMIT, "capacity")]
    assert kinds("vmss-set-capacity", {"capacity": 6}, {"capacity": 4}) == []


def test_changing_an_autoscale_range() -> None:
    name = "aks-set-autoscale"
    assert kinds(name, {"min": 0, "max": 6}, {"min": 2, "max": 6}) == [(RiskKind.TO_ZERO, "min")]
    assert kinds(name, {"min": 2, "max": 13}, {"min": 2, "max": 6}) == [(RiskKind.LARGE_CHANGE, "max")]
    assert kinds(name, {"min": 2, "max": 1000}, {"min": 2, "max": 995}) == [(RiskKind.AT_LIMIT, "max")]
    assert kinds(name, {"min": 1, "max": 6}, {"min": 3, "max": 6}) == [(RiskKind.LARGE_CHANGE, "min")]
    assert kinds(name, {"min": 1, "max": 6}, {"min": 2, "max": 6}) == []  # exactly half
    assert kinds(name, {"min": 2, "max": 8}, {"min": 2, "max": 6}) == []
    assert kinds(name, {"min": 3, "max": 6}, {"min": 2, "max": 6}) == []


def test_stopping_is_always_risky_starting_and_restarting_are_not() -> None:
    assert kinds("aks-stop-cluster", {"cluster": "/c"}, {"power_state": "Running"}) == [(RiskKind.STOP, "")]
    assert kinds("vm-deallocate", {"vm": "/vm"}, {"power_state": "running"}) == [(RiskKind.STOP, "")]
    assert kinds("aks-start-cluster", {"cluster": "/c"}, {"power_state": "Stopped"}) == []
    assert kinds("vm-start", {"vm": "/vm"}, {"power_state": "deallocated"}) == []
    assert kinds("vm-restart", {"vm": "/vm"}, {"power_state": "running"}) == []
    assert kinds("app-restart", {"app": "/app"}, {"state": "Running"}) == []
