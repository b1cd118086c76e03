"""The catalog: unique names and aliases, complete declarations, a test module per action."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from actions.params import parse_command
from actions.registry import ACTION_MODULES, Registry, RegistryError, default_registry, normalize
from actions.spec import Action, Parameter, ParamKind, Scope
from tests.support.action_contract import ActionContract

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = default_registry()
ACTIONS = list(REGISTRY)


@dataclass
class Stub:
    """A minimal action declaration, to build registries with."""

    name: str
    aliases: tuple[str, ...] = ()
    summary: str = "s"
    help: str = "h"
    usage: str = ""
    examples: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    timeout_seconds: float = 1.0


def test_the_catalog_lists_every_module_in_order() -> None:
    assert [type(a).__module__ for a in REGISTRY] == list(ACTION_MODULES)
    assert len(REGISTRY) == 9


def test_names_and_aliases_are_unique_across_the_catalog() -> None:
    keys = [normalize(word) for action in ACTIONS for word in (action.name, *action.aliases)]
    assert len(keys) == len(set(keys))
    assert len(REGISTRY.lookup_keys()) == len(keys)


def test_a_duplicate_alias_is_refused() -> None:
    with pytest.raises(RegistryError, match="'Scale Pool' of action 'b' is already taken by action 'a'"):
        Registry([Stub("a", aliases=("scale pool",)), Stub("b", aliases=("Scale Pool",))])  # type: ignore[list-item]


def test_a_duplicate_name_is_refused_even_spelled_differently() -> None:
    with pytest.raises(RegistryError, match="already taken"):
        Registry([Stub("vm-start"), Stub("other", aliases=("vm start",))])  # type: ignore[list-item]


def test_an_alias_repeating_its_own_name_is_refused() -> None:
    with pytest.raises(RegistryError, match="declares 'vm start' twice"):
        Registry([Stub("vm-start", aliases=("vm start",))])  # type: ignore[list-item]


def test_lookup_ignores_case_and_separators() -> None:
    action = REGISTRY.get("Scale_Node-Pool")
    assert action is not None
    assert action.name == "aks-scale-node-pool"
    assert REGISTRY.get("aks scale node pool") is action
    assert "VM-START" in REGISTRY
    assert REGISTRY.get("no such thing") is None


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_action_is_fully_declared(action: Action) -> None:
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", action.name)
    assert action.summary.endswith(".")
    assert len(action.help) > 80
    assert action.usage
    assert len(action.examples) >= 2
    assert action.timeout_seconds > 0
    assert action.parameters
    for param in action.parameters:
        assert param.prompt.endswith("?")
        assert param.description
        if param.kind in (ParamKind.CHOICE, ParamKind.RESOURCE):
            assert param.discover is not None or param.choices
        if param.kind is ParamKind.RESOURCE:
            assert param.resource_type
        for dependency in param.depends_on:
            assert dependency in [p.name for p in action.parameters[: action.parameters.index(param)]]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_usage_placeholders_are_the_parameters(action: Action) -> None:
    placeholders = re.findall(r"\{(\w+)\}", action.usage)
    assert placeholders == [p.name for p in action.parameters if p.name in placeholders]
    assert set(placeholders) == {p.name for p in action.parameters if p.required}


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_example_parses_to_its_action_with_every_required_value(action: Action) -> None:
    for example in action.examples:
        command = parse_command(REGISTRY, example)
        assert command.action is action
        assert set(command.args) == {p.name for p in action.parameters if p.required}


PROD = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod/providers"
DEV = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev/providers"
AKS_PROD = f"{PROD}/Microsoft.ContainerService/managedClusters/aks-prod"
VMSS_WEB = f"{PROD}/Microsoft.Compute/virtualMachineScaleSets/vmss-web"
VM_A = f"{DEV}/Microsoft.Compute/virtualMachines/vm-a"
VM_B = f"{PROD}/Microsoft.Compute/virtualMachines/vm-b"
WEB_PROD = f"{PROD}/Microsoft.Web/sites/web-prod"
SCOPES = [  # (action, resolved arguments, the resource id its permission names)
    ("aks-scale-node-pool", {"cluster": AKS_PROD, "pool": "np1", "count": 5}, f"{AKS_PROD}/agentPools/np1"),
    ("aks-set-autoscale", {"cluster": AKS_PROD, "pool": "np2", "min": 2, "max": 8}, f"{AKS_PROD}/agentPools/np2"),
    ("aks-start-cluster", {"cluster": AKS_PROD}, AKS_PROD),
    ("aks-stop-cluster", {"cluster": AKS_PROD}, AKS_PROD),
    ("vmss-set-capacity", {"vmss": VMSS_WEB, "capacity": 6}, VMSS_WEB),
    ("vm-start", {"vm": VM_A}, VM_A),
    ("vm-deallocate", {"vm": VM_A}, VM_A),
    ("vm-restart", {"vm": VM_B}, VM_B),
    ("app-restart", {"app": WEB_PROD}, WEB_PROD),
]


@pytest.mark.parametrize(("name", "args", "resource_id"), SCOPES)
def test_the_permission_scope_is_the_action_on_the_exact_resource_it_changes(
    name: str, args: dict[str, str | int], resource_id: str
) -> None:
    action = REGISTRY.get(name)
    assert action is not None
    assert action.scope(args) == Scope(name, resource_id)


def test_every_action_has_a_scope_case() -> None:
    assert sorted(name for name, _, _ in SCOPES) == sorted(action.name for action in ACTIONS)


@pytest.mark.parametrize("module", ACTION_MODULES)
def test_every_action_runs_the_whole_contract_unchanged(module: str) -> None:
    """Each action has its test module, with an ActionContract subclass for *that* action, and
    overrides none of the contract's tests (a contract test that an action may switch off proves nothing)."""
    short = module.rsplit(".", 1)[1]
    path = ROOT / "tests" / "integration" / "actions" / f"test_{short}.py"
    assert path.is_file(), f"add {path.relative_to(ROOT)} (subclass ActionContract)"
    tests = importlib.import_module(f"tests.integration.actions.test_{short}")
    suites = [
        value
        for value in vars(tests).values()
        if isinstance(value, type) and issubclass(value, ActionContract) and value is not ActionContract
    ]
    assert len(suites) == 1, f"{path.name} should hold one ActionContract subclass"
    [suite] = suites
    assert parse_command(REGISTRY, suite.case.command).action is importlib.import_module(module).ACTION
    contract_tests = {name for name in vars(ActionContract) if name.startswith("test_")}
    overridden = sorted(contract_tests & set(vars(suite)))
    assert overridden == [], f"{suite.__name__} overrides contract tests: {overridden}"
