"""Parsing command text into an action and raw arguments (no Azure involved)."""

from __future__ import annotations

import pytest

from actions.params import UnknownActionError, parse_command, suggest_actions
from actions.registry import default_registry
from actions.spec import ActionError, ParameterError

REGISTRY = default_registry()
NP1_TO_5 = {"cluster": "aks-prod", "pool": "np1", "count": "5"}
NP2_2_8 = {"cluster": "aks-prod", "pool": "np2", "min": "2", "max": "8"}


@pytest.mark.parametrize(
    ("text", "action", "args"),
    [
        ("scale node pool aks-prod np1 to 5", "aks-scale-node-pool", NP1_TO_5),
        ("scale node pool aks-prod np1 5", "aks-scale-node-pool", NP1_TO_5),
        ("scale pool aks-prod np1 to 5 nodes", "aks-scale-node-pool", NP1_TO_5),
        ("Scale Node Pool aks-prod np1 TO 5", "aks-scale-node-pool", NP1_TO_5),
        ("restart app web-prod", "app-restart", {"app": "web-prod"}),
        ("stop vm build-agent-3", "vm-deallocate", {"vm": "build-agent-3"}),
        ("start cluster aks-sandbox", "aks-start-cluster", {"cluster": "aks-sandbox"}),
        ("set autoscale aks-prod np2 min 2 max 8", "aks-set-autoscale", NP2_2_8),
        ("set autoscale aks-prod np2 2 8", "aks-set-autoscale", NP2_2_8),
        ("scale vmss vmss-web to 6 instances", "vmss-set-capacity", {"vmss": "vmss-web", "capacity": "6"}),
    ],
)
def test_inline_arguments_and_optional_filler_words(text: str, action: str, args: dict[str, str]) -> None:
    command = parse_command(REGISTRY, text)
    assert command.action.name == action
    assert command.args == args


def test_key_value_arguments() -> None:
    command = parse_command(REGISTRY, "aks-scale-node-pool cluster=aks-dev pool=np1 count=0")
    assert command.action.name == "aks-scale-node-pool"
    assert command.args == {"cluster": "aks-dev", "pool": "np1", "count": "0"}


def test_key_value_and_positional_mix_fill_the_remaining_slots() -> None:
    command = parse_command(REGISTRY, "scale node pool count=4 aks-prod np1")
    assert command.args == {"cluster": "aks-prod", "pool": "np1", "count": "4"}


def test_quoted_values_and_resource_ids() -> None:
    rid = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/a=b"
    command = parse_command(REGISTRY, f"vm-start '{rid}'")
    assert command.args == {"vm": rid}


def test_keys_are_case_insensitive() -> None:
    assert parse_command(REGISTRY, "vm-start VM=jump-prod").args == {"vm": "jump-prod"}


def test_a_misspelled_action_gets_did_you_mean_with_the_corrected_command() -> None:
    with pytest.raises(UnknownActionError) as caught:
        parse_command(REGISTRY, "scael node pool aks-prod np1 to 5")
    assert caught.value.message == (
        "I don't know the action 'scael node pool'. Did you mean: scale node pool aks-prod np1 to 5?"
    )
    assert caught.value.suggestions == ("scale node pool aks-prod np1 to 5",)


def test_a_misspelled_name_suggests_the_name() -> None:
    with pytest.raises(UnknownActionError) as caught:
        parse_command(REGISTRY, "aks-scael-node-pool count=3")
    assert caught.value.suggestions == ("aks-scale-node-pool count=3",)
    assert suggest_actions(REGISTRY, "vm-strat") == ("vm-start", "vm-restart")


def test_nothing_close_gets_no_suggestion() -> None:
    with pytest.raises(UnknownActionError) as caught:
        parse_command(REGISTRY, "frobnicate the thing")
    assert caught.value.suggestions == ()
    assert caught.value.message == "I don't know the action 'frobnicate'."


def test_a_misspelled_key_gets_did_you_mean() -> None:
    with pytest.raises(ActionError) as caught:
        parse_command(REGISTRY, "aks-scale-node-pool clsuter=aks-dev")
    assert caught.value.message == (
        "aks-scale-node-pool has no parameter 'clsuter'. Did you mean cluster? Its parameters: cluster, pool, count."
    )


def test_too_many_values_show_the_usage() -> None:
    with pytest.raises(ActionError) as caught:
        parse_command(REGISTRY, "stop cluster aks-dev now")
    assert caught.value.message == (
        "Too many values: 'now' does not fit. Usage: aks-stop-cluster {cluster} (or name=value pairs)."
    )


def test_a_value_given_twice_is_refused() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_command(REGISTRY, "vm-start vm=a vm=b")
    assert caught.value.parameter == "vm"


ASK_FOR_AN_ACTION = "Say which action to run, e.g. `scale node pool aks-prod np1 to 5`, or ask for `help`."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ASK_FOR_AN_ACTION),
        ("   ", ASK_FOR_AN_ACTION),
        ("vm-start 'unclosed", "The command has an unclosed quote. Close it, or leave the quotes out."),
    ],
)
def test_empty_or_broken_text_says_what_to_do(text: str, message: str) -> None:
    with pytest.raises(ActionError) as caught:
        parse_command(REGISTRY, text)
    assert caught.value.message == message
    assert not isinstance(caught.value, ParameterError)  # about the command as a whole, not one value
