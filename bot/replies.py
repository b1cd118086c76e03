"""What the Teams edge says itself: the greeting, the tenant refusal, and the two error messages.

Everything the conversations say (empty message, unknown command, help topics) lives in
:mod:`dialogs.texts`.

Kept together so the wording is consistent and tests can assert on it. None of these
ever contains exception text; the error messages carry only the turn's correlation id.
"""

from __future__ import annotations

__all__ = [
    "error_message",
    "greeting",
    "storage_unavailable",
    "tenant_refused",
]

PRODUCT = "Switchboard"


def _how_to_ask(in_channel: bool) -> str:
    return "@mention me with `help`" if in_channel else "type `help`"


def greeting(in_channel: bool) -> str:
    return (
        f"Hi, I'm {PRODUCT}. I run cloud operations for you, inside the guardrails your platform team set. "
        f"To see what I can do, {_how_to_ask(in_channel)}."
    )


def tenant_refused() -> str:
    return f"Sorry, {PRODUCT} is not available to your organization."


def error_message(correlation_id: str) -> str:
    return f"Something went wrong on my side (ref {correlation_id}). Please try again."


def storage_unavailable(correlation_id: str) -> str:
    return (
        f"I can't reach my storage right now, so I didn't do anything. "
        f"Please try again in a minute (ref {correlation_id})."
    )
