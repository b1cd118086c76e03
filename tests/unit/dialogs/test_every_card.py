"""Every action's form, walked to its preview and result as a user would: each page filled with the
values written here, the preview's change checked, Confirm pressed, the outcome checked. Every card
on the way passes the Adaptive Cards JS validator (the ``chat`` fixture validates every card it saw
when the test ends)."""

from __future__ import annotations

from typing import Any

import pytest

from actions.registry import default_registry
from tests.unit.dialogs.conftest import ALEX, Chat, card_texts, inputs_of, sent_cards

# action -> (what the user enters on each form page (choices by the name shown), the preview's
# target and change line, the outcome card's last line). Figures are the seeded estate's
# (sandbox/README.md): aks-prod np1 has 3 nodes, np2 autoscales 2..6, vmss-build runs 2 instances…
WALKS: dict[str, tuple[list[dict[str, str]], str, str, str]] = {
    "aks-scale-node-pool": (
        [{"cluster": "aks-prod"}, {"pool": "np1", "count": "5"}],
        "aks-prod / node pool np1", "nodes: 3 → 5", "aks-prod / node pool np1 now has 5 nodes.",
    ),
    "aks-set-autoscale": (
        [{"cluster": "aks-prod"}, {"pool": "np2", "min": "2", "max": "8"}],
        "aks-prod / node pool np2", "autoscale range: min 2 max 6 → min 2 max 8",
        "aks-prod / node pool np2 now autoscales between 2 and 8 nodes.",
    ),
    "aks-start-cluster": (
        [{"cluster": "aks-sandbox"}], "aks-sandbox", "power state: Stopped → Running", "aks-sandbox is running.",
    ),
    "aks-stop-cluster": (
        [{"cluster": "aks-dev"}], "aks-dev", "power state: Running → Stopped", "aks-dev is stopped.",
    ),
    "vmss-set-capacity": (
        [{"vmss": "vmss-build", "capacity": "3"}], "vmss-build", "instances: 2 → 3", "vmss-build now runs 3 instances.",
    ),
    "vm-start": (
        [{"vm": "build-agent-3"}], "build-agent-3", "power state: deallocated → running", "build-agent-3 is running.",
    ),
    "vm-deallocate": (
        [{"vm": "build-agent-2"}], "build-agent-2", "power state: running → deallocated",
        "build-agent-2 is deallocated.",
    ),
    "vm-restart": (
        [{"vm": "jump-prod"}], "jump-prod", "power state: running → running (restarted)", "jump-prod is restarted.",
    ),
    "app-restart": (
        [{"app": "func-orders"}], "func-orders (function app)", "state: Running → restarted",
        "func-orders was restarted.",
    ),
}  # fmt: skip


def enter(card: dict[str, Any], wanted: dict[str, str]) -> dict[str, str]:
    """The input values for ``wanted``: a choice is picked by the name it is shown with."""
    inputs = inputs_of(card)
    assert set(inputs) == set(wanted), f"the page asks for {sorted(inputs)}"
    values: dict[str, str] = {}
    for name, value in wanted.items():
        element = inputs[name]
        if element["type"] == "Input.ChoiceSet":
            offered = {choice["title"].split(" (")[0]: choice["value"] for choice in element["choices"]}
            assert value in offered, f"{value!r} is not offered for {name}: {sorted(offered)}"
            values[name] = offered[value]
        else:
            values[name] = value
    return values


def test_every_action_has_a_walk() -> None:
    assert sorted(WALKS) == sorted(action.name for action in default_registry())


@pytest.mark.parametrize("name", list(WALKS))
async def test_the_form_of_every_action_leads_to_its_preview_and_its_result(chat: Chat, name: str) -> None:
    pages, target, change, outcome = WALKS[name]
    [card] = sent_cards(await chat.say(ALEX, name))
    for number, page in enumerate(pages):
        button = "Review" if number == len(pages) - 1 else "Next"
        response, _ = await chat.press(ALEX, card, button, enter(card, page))
        card = response.body["value"]

    preview = card_texts(card)
    assert preview[1] == "Submitted by Alex Wilber"
    assert [target, change] == preview[preview.index(target) : preview.index(target) + 2]
    assert preview[-1] == "Confirm to go ahead, or cancel to change nothing."
    assert [action["title"] for action in card["actions"]] == ["Confirm", "Cancel"]

    response, messages = await chat.press(ALEX, card, "Confirm")

    confirmed = card_texts(response.body["value"])
    assert confirmed[-2:] == ["Confirmed by Alex Wilber", "The result follows below."]
    assert messages[0].text == f"Working on it: {target}…"
    [result] = sent_cards(messages[1:])
    assert card_texts(result)[-2:] == ["Done", outcome]
    assert len(chat.cards) == 1 + len(pages) + 2  # form, one per page (the last: the preview), confirmed, result
