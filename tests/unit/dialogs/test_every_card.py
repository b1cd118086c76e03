"""Every action's form, walked to its preview and result: every card on the way passes the
Adaptive Cards JS validator (the ``chat`` fixture validates every card it saw when the test ends)."""

from __future__ import annotations

from typing import Any

import pytest

from actions.registry import default_registry
from tests.unit.dialogs.conftest import ALEX, Chat, inputs_of, sent_cards

ACTIONS = [action.name for action in default_registry()]


def fill(card: dict[str, Any]) -> dict[str, str]:
    """Values a user would pick: the last offered choice, the prefilled or smallest number."""
    values: dict[str, str] = {}
    for name, element in inputs_of(card).items():
        if element["type"] == "Input.ChoiceSet":
            values[name] = element.get("value") or element["choices"][-1]["value"]
        elif element["type"] == "Input.Number":
            values[name] = str(element.get("value", element.get("min", 1)))
        else:
            values[name] = str(element.get("value", "x"))
    return values


@pytest.mark.parametrize("name", ACTIONS)
async def test_the_form_of_every_action_and_what_follows_are_valid_cards(chat: Chat, name: str) -> None:
    [card] = sent_cards(await chat.say(ALEX, name))
    assert inputs_of(card), f"{name}: named alone, it should get a form"
    seen = [card]
    for _ in range(4):  # forms, then the preview, then the decision
        buttons = [action["title"] for action in card.get("actions", [])]
        if not buttons:
            break
        response, _ = await chat.press(ALEX, card, buttons[0], fill(card))
        if response.body["type"] != "application/vnd.microsoft.card.adaptive":
            break
        card = response.body["value"]
        seen.append(card)
    assert len(seen) >= 2
    assert chat.cards  # validated by the fixture at teardown
