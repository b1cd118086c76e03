"""Command parsing stays cheap whatever the text: a bounded length, and did-you-mean without waste."""

from __future__ import annotations

import difflib

import pytest

from actions.params import MAX_COMMAND_CHARS, UnknownActionError, parse_command, suggest_actions
from actions.registry import default_registry, normalize
from actions.spec import ActionError

REGISTRY = default_registry()


def unbounded_near_misses(tokens: list[str]) -> list[tuple[float, str, int]]:
    """Did-you-mean without the cheap bounds: every name against the start of the text with as many
    words (the shortest such start), compared in full."""
    scored = []
    for key in REGISTRY.lookup_keys():
        sizes = [n for n in range(1, min(len(tokens), 5) + 1)
                 if len(normalize(" ".join(tokens[:n])).split()) == len(key.split())]
        if not sizes:
            continue
        ratio = difflib.SequenceMatcher(None, normalize(" ".join(tokens[: sizes[0]])), key).ratio()
        if ratio >= 0.75:
            scored.append((ratio, key, sizes[0]))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def suggested_commands(text: str) -> tuple[str, ...]:
    with pytest.raises(UnknownActionError) as caught:
        parse_command(REGISTRY, text)
    return caught.value.suggestions


@pytest.mark.parametrize(
    "text",
    [
        "scael node pool aks-prod np1 to 5",
        "restrat app web-prod",
        "stat vm build-agent-3",
        "scale nod pool aks-prod",
        "set autoscael aks-prod np2 2 8",
        "vm-strat jump-prod",
        "aks-scale-nodepool cluster=aks-dev",
        "scale vms vmss-web to 6",
        "deallocat vm x",
        "x",
        "resta",
        "scale node pol",
    ],
)
def test_did_you_mean_is_what_comparing_every_prefix_with_every_name_gives(text: str) -> None:
    from actions.params import _near_misses

    tokens = text.split()
    assert _near_misses(REGISTRY, tokens) == unbounded_near_misses(tokens)


def test_a_long_first_word_is_unknown_without_suggestions() -> None:
    assert suggested_commands("x" * (MAX_COMMAND_CHARS - 10)) == ()
    assert suggest_actions(REGISTRY, "restart" * 200) == ()


def test_a_near_miss_followed_by_long_arguments_still_gets_did_you_mean() -> None:
    long_name = "w" * 1500
    # The corrected command is repeated to the user cut to 160 characters (an ellipsis marks the cut).
    assert suggested_commands(f"restrat app {long_name}") == ("restart app " + "w" * 147 + "…",)


def test_a_command_longer_than_the_bound_is_refused_with_what_to_do() -> None:
    with pytest.raises(ActionError) as caught:
        parse_command(REGISTRY, "scale node pool aks-prod np1 to 5 " + "x" * MAX_COMMAND_CHARS)
    assert f"at most {MAX_COMMAND_CHARS}" in caught.value.message
    assert "help" in caught.value.message
    assert not isinstance(caught.value, UnknownActionError)


def test_a_command_at_the_bound_is_parsed() -> None:
    text = "restart app web-prod"
    padded = text + " " * (MAX_COMMAND_CHARS - len(text))
    assert parse_command(REGISTRY, padded).action.name == "app-restart"
