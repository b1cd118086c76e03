"""A short notice card: a refusal, an error or a status line, for places where only a card fits.

An ``adaptiveCard/action`` invoke is answered with a card that replaces the one the user
pressed; when the answer is "no" (the form expired, the values were refused) a notice card
says so in place.
"""

from __future__ import annotations

from collections.abc import Sequence

from cards.elements import Json, Tone, adaptive_card, container, execute_action, text_block
from cards.protocol import RUN_VERB, run_data

__all__ = ["notice_card"]


def notice_card(
    title: str, text: str, *, tone: Tone = Tone.DEFAULT, footer: str | None = None,
    buttons: Sequence[tuple[str, str]] = (),
    keep: bool = True,
) -> Json:
    """A card with a bold ``title`` and a ``text`` in a container styled by ``tone`` (default-coloured
    text), an optional small ``footer``, and ``buttons``: ``(title, command)`` pairs, each an
    ``Action.Execute`` (verb ``run``) carrying the whole command; with ``keep`` pressing one leaves the
    card as it is (an operation's card offers ``Status`` → ``status 7F3K``), else the card becomes
    "<who> chose: <command>" (a one-off choice)."""
    actions = [
        execute_action(label, RUN_VERB, run_data(command, keep=keep), with_inputs=False) for label, command in buttons
    ]
    return adaptive_card([
        container([text_block(title, weight="Bolder"), text_block(text, spacing="None")], tone=tone),
        text_block(footer, size="Small", subtle=True) if footer else None,
    ], actions)
