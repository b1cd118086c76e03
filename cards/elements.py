"""Small typed helpers that build Adaptive Card JSON (plain dicts), and nothing else.

Every card Switchboard sends is built from these helpers, so the JSON shape of an element
lives in one place. Cards target schema 1.5, the highest Teams supports and the first with
Universal Actions (``Action.Execute``); each ``Action.Execute`` carries an ``Action.Submit``
fallback for older Teams clients. Tests parse every card with the Adaptive Cards JavaScript
library (``tools/validate_cards.mjs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

__all__ = [
    "CARD_CONTENT_TYPE",
    "CARD_VERSION",
    "Json",
    "Tone",
    "adaptive_card",
    "attachment",
    "container",
    "execute_action",
    "fact_set",
    "text_block",
    "toggle_input",
]

Json = dict[str, Any]

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


class Tone(StrEnum):
    """The style of a container: what its message means to the reader. Text is never coloured:
    it keeps the host's default colour on every container style, so it stays readable."""

    DEFAULT = "default"
    GOOD = "good"
    WARNING = "warning"
    ATTENTION = "attention"
    ACCENT = "accent"  # in progress, waiting: neither good nor bad news


_CONTAINER_STYLES = {
    Tone.DEFAULT: "emphasis", Tone.GOOD: "good", Tone.WARNING: "warning", Tone.ATTENTION: "attention",
    Tone.ACCENT: "accent",
}


def text_block(
    text: str,
    *,
    size: str | None = None,
    weight: str | None = None,
    subtle: bool = False,
    spacing: str | None = None,
) -> Json:
    """A wrapping ``TextBlock`` in the default colour. ``size``/``weight``/``spacing`` take the schema's values
    (e.g. ``"Medium"``); to say that something is good, risky or wrong, put it in a :func:`container`."""
    block: Json = {"type": "TextBlock", "text": text, "wrap": True}
    if size:
        block["size"] = size
    if weight:
        block["weight"] = weight
    if subtle:
        block["isSubtle"] = True
    if spacing:
        block["spacing"] = spacing
    return block


def fact_set(facts: Iterable[tuple[str, str]]) -> Json | None:
    """A ``FactSet`` of (title, value) pairs, or None when there are none (an empty FactSet is invalid)."""
    items = [{"title": title, "value": value} for title, value in facts]
    return {"type": "FactSet", "facts": items} if items else None


def container(items: Sequence[Json | None], *, tone: Tone = Tone.DEFAULT) -> Json | None:
    """A styled ``Container`` of the given elements (None entries skipped), or None when empty."""
    kept = [item for item in items if item is not None]
    if not kept:
        return None
    return {"type": "Container", "style": _CONTAINER_STYLES[tone], "items": kept}


def toggle_input(input_id: str, title: str, *, value_on: str, label: str, error_message: str) -> Json:
    """A required ``Input.Toggle`` (a check box): the client sends ``value_on`` only when it is ticked,
    and refuses to submit until it is (``isRequired``). The server must check the value again."""
    return {
        "type": "Input.Toggle",
        "id": input_id,
        "title": title,
        "label": label,
        "valueOn": value_on,
        "wrap": True,
        "isRequired": True,
        "errorMessage": error_message,
    }


def execute_action(
    title: str,
    verb: str,
    data: Mapping[str, Any],
    *,
    style: str | None = None,
    with_inputs: bool = True,
) -> Json:
    """An ``Action.Execute`` (Universal Actions) with an ``Action.Submit`` fallback carrying the same data.

    Both send ``data`` merged with the card's input values; the fallback arrives as a message
    whose ``value`` is that object, so ``data`` must name the verb itself (see :mod:`cards.protocol`).
    ``with_inputs=False`` sends no inputs and skips client-side validation (for Cancel).
    """
    action: Json = {"type": "Action.Execute", "title": title, "verb": verb, "data": dict(data)}
    fallback: Json = {"type": "Action.Submit", "title": title, "data": dict(data)}
    if style:
        action["style"] = style
        fallback["style"] = style
    if not with_inputs:
        action["associatedInputs"] = "none"
        fallback["associatedInputs"] = "none"
    action["fallback"] = fallback
    return action


def adaptive_card(body: Sequence[Json | None], actions: Sequence[Json] = ()) -> Json:
    """The card itself: version 1.5, the given body (None entries skipped) and actions."""
    card: Json = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": [element for element in body if element is not None],
    }
    if actions:
        card["actions"] = list(actions)
    return card


def attachment(card: Json) -> Json:
    """The Bot Framework attachment dict that carries a card in a message activity."""
    return {"contentType": CARD_CONTENT_TYPE, "content": card}
