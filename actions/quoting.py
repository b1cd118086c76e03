"""Quoting what a user typed inside a message the bot sends back.

Bot messages are rendered by Teams as markdown with some HTML, so a value the user typed
and the bot repeats ("No pool called 'np9' …", "I don't know the action 'scael' …") must
not be able to format the message, link elsewhere or break out of its quotes. :func:`quoted`
keeps what names are made of and strips the rest.
"""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_QUOTED", "quoted", "shown"]

MAX_QUOTED = 80
"""At most this many characters of a user's value are repeated (then ``…``)."""

# HTML (tags, entities) and markdown (code, emphasis, links, strike-through, headings, tables, escapes).
_MARKUP = frozenset("<>&`*[]~\\|#")


def shown(value: object, limit: int = MAX_QUOTED) -> str:
    """``value`` as plain text safe inside a Teams message, without quotes.

    Control and invisible format characters are removed and whitespace is collapsed; HTML
    and markdown characters (``< > & ` * [ ] ~ \\ | #``) are removed, and so is ``_`` except
    between two letters or digits (``rg_prod`` stays, ``_x_`` cannot italicise); at most
    ``limit`` characters are kept, then ``…``.
    """
    text = "".join(ch for ch in str(value) if ch.isspace() or not unicodedata.category(ch).startswith("C"))
    kept: list[str] = []
    for index, ch in enumerate(text):
        if ch in _MARKUP:
            continue
        if ch == "_" and not (
            0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()
        ):
            continue
        kept.append(ch)
    safe = " ".join("".join(kept).split())
    return safe if len(safe) <= limit else safe[: limit - 1].rstrip() + "…"


def quoted(value: object, limit: int = MAX_QUOTED) -> str:
    """``value`` in single quotes, made safe by :func:`shown`: ``quoted("np9")`` is ``'np9'``."""
    return f"'{shown(value, limit)}'"
