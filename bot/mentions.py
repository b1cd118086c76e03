"""What the user said to the bot: @mention removed, text split into tokens.

``TurnContext.remove_recipient_mention`` of botbuilder 4.17.1 leaves a leading space and
uses the mention's display name as a regular expression; here the mention's own markup
(``<at>Switchboard</at>``) is removed literally and whitespace is normalized.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botbuilder.schema import Activity

__all__ = ["ParsedMessage", "bot_mentions", "parse_message", "tokenize"]

# A mention's markup holds no other tag: neither part may cross a "<", which keeps each match attempt
# short, so the whole scan stays linear in the text (".*?" up to "</at>" made it quadratic).
_AT_TAG = re.compile(r"<at(?:\s[^<>]*)?>([^<]*)</at>", re.IGNORECASE)
_TRAILING_PUNCTUATION = "?!.,;:"


@dataclass(frozen=True)
class ParsedMessage:
    """A message as the bot routes it."""

    mentioned: bool  # the bot was @mentioned
    text: str  # the text with the bot's mention removed, whitespace normalized
    tokens: tuple[str, ...]  # text split on whitespace; the first is lower-cased and stripped of "?!.,;:"

    @property
    def command(self) -> str | None:
        return self.tokens[0] if self.tokens else None

    @property
    def args(self) -> tuple[str, ...]:
        return self.tokens[1:]


def bot_mentions(activity: Activity) -> list[tuple[str, str]]:
    """Each mention of the recipient (the bot) as (markup, display name).

    For example ``[("<at>Switchboard</at>", "Switchboard")]``.
    """
    recipient_id = getattr(activity.recipient, "id", None)
    found: list[tuple[str, str]] = []
    for entity in activity.entities or []:
        if (entity.type or "").lower() != "mention":
            continue
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") or {}
        if recipient_id and isinstance(mentioned, dict) and mentioned.get("id") == recipient_id:
            found.append((str(props.get("text") or ""), str(mentioned.get("name") or "")))
    return found


def parse_message(activity: Activity) -> ParsedMessage:
    """Remove the bot's @mention(s) from the activity's text and tokenize the rest."""
    text = activity.text if isinstance(activity.text, str) else ""
    mentions = bot_mentions(activity)
    for markup, _ in mentions:
        if markup:
            text = text.replace(markup, " ")
    if mentions:
        # Markup that differs from the entity's (attributes, a renamed bot) is matched by the bot's
        # names; mentions of other people stay in the text as their names.
        names = {name.strip().lower() for _, name in mentions if name.strip()}
        recipient_name = getattr(activity.recipient, "name", None)
        if recipient_name:
            names.add(recipient_name.strip().lower())
        text = _AT_TAG.sub(lambda m: " " if m.group(1).strip().lower() in names else m.group(1), text)
    text = " ".join(text.split())
    return ParsedMessage(mentioned=bool(mentions), text=text, tokens=tokenize(text))


def tokenize(text: str) -> tuple[str, ...]:
    """Split on whitespace; normalize the first token (the command word)."""
    words = text.split()
    if not words:
        return ()
    first = words[0].lower().rstrip(_TRAILING_PUNCTUATION)
    return (first, *words[1:]) if first else tuple(words[1:])
