"""The catalog: unique names and aliases, complete declarations, a test module per action."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from actions.params import parse_command
from actions.registry import ACTION_MODULES, Registry, RegistryError, default_registry, normalize
from actions.spec import Action, Parameter, ParamKind

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


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_action_has_a_preview_start_poll_and_scope(action: Action) -> None:
    for method in ("preview", "start", "poll"):
        assert inspect.iscoroutinefunction(getattr(action, method))
    scope = action.scope({p.name: f"<{p.name}>" for p in action.parameters})
    assert scope.action == action.name
    assert scope.resource_id.startswith("<")


@pytest.mark.parametrize("module", ACTION_MODULES)
def test_every_action_has_its_test_module(module: str) -> None:
    short = module.rsplit(".", 1)[1]
    path = ROOT / "tests" / "integration" / "actions" / f"test_{short}.py"
    assert path.is_file(), f"add {path.relative_to(ROOT)} (subclass ActionContract)"
    assert "ActionContract" in path.read_text()
