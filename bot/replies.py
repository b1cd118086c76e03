"""What the Teams edge says itself: the greeting, the tenant refusal, the error messages, and the
at-most-once answers (a message already received, busy, the other message kept).

Everything the conversations say (empty message, unknown command, help topics) lives in
:mod:`dialogs.texts`.

Kept together so the wording is consistent and tests can assert on it. None of these
ever contains exception text; the error messages carry only the turn's correlation id.
When the turn had started a change before it failed (:mod:`dialogs.turn_effects`), the error
messages say what was started and what to check instead of "I didn't do anything".
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogs.turn_effects import EffectStatus, StartedEffect

__all__ = [
    "already_received",
    "busy",
    "error_message",
    "greeting",
    "kept_other_message",
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


def error_message(correlation_id: str, started: Sequence[StartedEffect] = ()) -> str:
    """The turn failed unexpectedly; ``started``: the changes it had started before (see module doc)."""
    if started:
        return (
            f"{_what_was_started(started)} Then something went wrong on my side (ref {correlation_id}). "
            f"{_check(started)}"
        )
    return f"Something went wrong on my side (ref {correlation_id}). Please try again."


def storage_unavailable(correlation_id: str, started: Sequence[StartedEffect] = ()) -> str:
    """Storage was unreachable; ``started``: the changes the turn had started before (see module doc)."""
    if started:
        return (
            f"{_what_was_started(started)} Then I lost my storage, so this conversation may not show it "
            f"(ref {correlation_id}). {_check(started)}"
        )
    return (
        f"I can't reach my storage right now, so I didn't do anything. "
        f"Please try again in a minute (ref {correlation_id})."
    )


_STARTED_SENTENCE = {
    EffectStatus.DONE: "The change to {target} was made.",
    EffectStatus.RUNNING: "The change to {target} was started and Azure is still working on it.",
    EffectStatus.FAILED: "The change to {target} failed in Azure after it was sent; it may have partly happened.",
    EffectStatus.UNCONFIRMED: "The change to {target} was sent to Azure, but I could not confirm what became of it.",
    EffectStatus.SUBMITTED: "The change to {target} was sent to Azure, but I could not confirm what became of it.",
}


def _what_was_started(started: Sequence[StartedEffect]) -> str:
    return " ".join(_STARTED_SENTENCE[effect.status].format(target=effect.target) for effect in started)


def _check(started: Sequence[StartedEffect]) -> str:
    targets = " and ".join(dict.fromkeys(effect.target for effect in started))
    return f"Check {targets} before trying again."


def already_received() -> str:
    """The answer to a redelivered card action (the same activity again): nothing is done twice."""
    return "I already have this one and I'm on it; nothing is done twice."


def busy() -> str:
    """Another message of the same person changed their conversation while this one ran."""
    return (
        "I was still working on another message of yours here, so I didn't act on this one. "
        "Please send it again in a moment."
    )


def kept_other_message(started: Sequence[StartedEffect] = ()) -> str:
    """This turn acted (``started``: the changes it started), but another message of the same person
    saved their conversation first."""
    kept = "Another message of yours here was handled at the same time, so I kept where that one left us."
    if started:
        return f"{_what_was_started(started)} {kept} {_check(started)}"
    return f"{kept} What this one did is shown above."
