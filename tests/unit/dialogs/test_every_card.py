"""Every action's form, walked to its preview and result as a user would: each page filled with the
values written here, the preview's change checked, Confirm pressed, the outcome checked. Every card
on the way passes the Adaptive Cards JS validator (the ``chat`` fixture validates every card it saw
when the test ends)."""

from __future__ import annotations

from typing import Any

import pytest

from actions.registry import default_registry
from tests.unit.dialogs.conftest import ALEX, Chat, card_texts, inputs_of, sent_cards

# action -> (what the user enters on each form page (choices by the name shown), the target the
# messages name, the preview's title, its facts after "Requested by …", the outcome card's last line).
# Figures are the seeded estate's (sandbox/README.md): aks-prod np1 has 3 nodes, np2 autoscales 2..6,
# vmss-build runs 2 instances…
WALKS: dict[str, tuple[list[dict[str, str]], str, str, list[str], str]] = {
    "aks-scale-node-pool": (
        [{"cluster": "aks-prod"}, {"pool": "np1", "count": "5"}], "aks-prod / node pool np1",
        "Scale aks-prod / np1: 3 → 5 nodes", ["AKS cluster: aks-prod", "Node pool: np1", "Node count: 3 → 5"],
        "aks-prod / node pool np1 now has 5 nodes.",
    ),
    "aks-set-autoscale": (
        [{"cluster": "aks-prod"}, {"pool": "np2", "min": "2", "max": "8"}], "aks-prod / node pool np2",
        "Autoscale aks-prod / np2: 2\u20136 → 2\u20138 nodes",
        ["AKS cluster: aks-prod", "Node pool: np2", "Minimum nodes: 2 (unchanged)", "Maximum nodes: 6 → 8"],
        "aks-prod / node pool np2 now autoscales between 2 and 8 nodes.",
    ),
    "aks-start-cluster": (
        [{"cluster": "aks-sandbox"}], "aks-sandbox",
        "Start cluster aks-sandbox", ["AKS cluster: aks-sandbox", "Power state: Stopped → Running"],
        "aks-sandbox is running.",
    ),
    "aks-stop-cluster": (
        [{"cluster": "aks-dev"}], "aks-dev",
        "Stop cluster aks-dev", ["AKS cluster: aks-dev", "Power state: Running → Stopped"], "aks-dev is stopped.",
    ),
    "vmss-set-capacity": (
        [{"vmss": "vmss-build", "capacity": "3"}], "vmss-build",
        "Scale vmss-build: 2 → 3 instances", ["VM scale set: vmss-build", "Instance count: 2 → 3"],
        "vmss-build now runs 3 instances.",
    ),
    "vm-start": (
        [{"vm": "build-agent-3"}], "build-agent-3",
        "Start VM build-agent-3", ["Virtual machine: build-agent-3", "Power state: deallocated → running"],
        "build-agent-3 is running.",
    ),
    "vm-deallocate": (
        [{"vm": "build-agent-2"}], "build-agent-2",
        "Stop (deallocate) VM build-agent-2", ["Virtual machine: build-agent-2", "Power state: running → deallocated"],
        "build-agent-2 is deallocated.",
    ),
    "vm-restart": (
        [{"vm": "jump-prod"}], "jump-prod",
        "Restart VM jump-prod", ["Virtual machine: jump-prod", "jump-prod will restart (brief downtime)"],
        "jump-prod is restarted.",
    ),
    "app-restart": (
        [{"app": "func-orders"}], "func-orders (function app)",
        "Restart func-orders",
        ["App: func-orders", "func-orders will restart (unavailable for a few seconds up to a minute)"],
        "func-orders was restarted.",
    ),
}  # fmt: skip
RISKY = {"aks-stop-cluster", "vm-deallocate"}  # stopping what runs: Confirm needs the "I understand" box


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
    pages, _, title, facts, outcome = WALKS[name]
    [card] = sent_cards(await chat.say(ALEX, name))
    for number, page in enumerate(pages):
        button = "Review" if number == len(pages) - 1 else "Next"
        response, _ = await chat.press(ALEX, card, button, enter(card, page))
        card = response.body["value"]

    preview = card_texts(card)
    assert preview[:2] == [title, "Requested by Alex Wilber"]
    assert [fact for fact in preview if fact.split(": ")[0] in {f.split(": ")[0] for f in facts}] == facts
    assert preview[-1] == "Confirm to go ahead, or cancel to change nothing."
    assert [action["title"] for action in card["actions"]] == ["Confirm", "Cancel"]
    assert ("acknowledge" in inputs_of(card)) is (name in RISKY)

    ticked = {"acknowledge": "understood"} if name in RISKY else None
    response, messages = await chat.press(ALEX, card, "Confirm", ticked)

    # the request's one card answers Confirm with the result, in place; nothing else is posted
    assert (messages, chat.updated) == ([], [])
    result = response.body["value"]
    assert card_texts(result)[:3] == [title, "Requested by Alex Wilber", "Confirmed by Alex Wilber"]
    assert card_texts(result)[-2:] == ["Done", outcome]
    assert "actions" not in result
    assert len(chat.cards) == 1 + len(pages) + 1  # form, one per page (the last: the preview), result
