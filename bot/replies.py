"""What the bot says outside of commands: greeting, refusals, error messages, and at-most-once answers.

Kept together so the wording is consistent and tests can assert on it. None of these
ever contains exception text; the error messages carry only the turn's correlation id.
"""

from __future__ import annotations

__all__ = [
    "already_received",
    "busy",
    "empty_message",
    "error_message",
    "greeting",
    "kept_other_message",
    "storage_unavailable",
    "tenant_refused",
    "unknown_command",
    "unknown_help_topic",
]

PRODUCT = "Switchboard"


def _how_to_ask(in_channel: bool) -> str:
    return "@mention me with `help`" if in_channel else "type `help`"


def greeting(in_channel: bool) -> str:
    return (
        f"Hi, I'm {PRODUCT}. I run cloud operations for you, inside the guardrails your platform team set. "
        f"To see what I can do, {_how_to_ask(in_channel)}."
    )


def empty_message(in_channel: bool) -> str:
    return f"Hi! To see what I can do, {_how_to_ask(in_channel)}."


def unknown_command(in_channel: bool) -> str:
    return f"Sorry, I don't know that one. To see what I can do, {_how_to_ask(in_channel)}."


def unknown_help_topic(word: str) -> str:
    return f"There is no command called `{word}`. Type `help` for the list."


def tenant_refused() -> str:
    return f"Sorry, {PRODUCT} is not available to your organization."


def error_message(correlation_id: str) -> str:
    return f"Something went wrong on my side (ref {correlation_id}). Please try again."


def storage_unavailable(correlation_id: str) -> str:
    return (
        f"I can't reach my storage right now, so I didn't do anything. "
        f"Please try again in a minute (ref {correlation_id})."
    )


def already_received() -> str:
    """The answer to a redelivered card action (the same activity again): nothing is done twice."""
    return "I already have this one and I'm on it; nothing is done twice."


def busy() -> str:
    """Another message of the same person changed their conversation while this one ran."""
    return (
        "I was still working on another message of yours here, so I didn't act on this one. "
        "Please send it again in a moment."
    )


def kept_other_message() -> str:
    """This turn acted, but another message of the same person saved their conversation first."""
    return (
        "Another message of yours here was handled at the same time, so I kept where that one left us. "
        "What this one did is shown above."
    )
