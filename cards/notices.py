"""A short notice card: a refusal, an error or a status line, for places where only a card fits.

An ``adaptiveCard/action`` invoke is answered with a card that replaces the one the user
pressed; when the answer is "no" (the form expired, the values were refused) a notice card
says so in place.
"""

from __future__ import annotations

from cards.elements import Json, Tone, adaptive_card, container, text_block

__all__ = ["notice_card"]


def notice_card(title: str, text: str, *, tone: Tone = Tone.DEFAULT, footer: str | None = None) -> Json:
    """A card with a bold ``title`` and a ``text`` in a container styled by ``tone`` (default-coloured
    text), and an optional small ``footer``."""
    return adaptive_card([
        container([text_block(title, weight="Bolder"), text_block(text, spacing="None")], tone=tone),
        text_block(footer, size="Small", subtle=True) if footer else None,
    ])
