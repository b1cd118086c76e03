"""What this turn started on the platform, so that its failure path never says "I didn't do anything".

The dialogs record a request when they hand it to execution (:func:`record_submitted`) and
settle it with what became of it (:func:`record_settled`); a request refused before anything
was sent is forgotten. When the turn then fails (storage unreachable, an unexpected error),
:class:`bot.teams_bot.SwitchboardBot` reads :func:`started_effects` to choose a message that
says what was started (:mod:`bot.replies`). The record is plain data in
``TurnContext.turn_state``: it lives exactly as long as the turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from botbuilder.core import TurnContext

__all__ = ["EffectStatus", "StartedEffect", "record_settled", "record_submitted", "started_effects"]

_KEY = "switchboard.turn.started_effects"


class EffectStatus(StrEnum):
    """What is known of a change this turn started."""

    SUBMITTED = "submitted"  # handed to execution; the turn failed before it said what became of it
    DONE = "done"
    FAILED = "failed"  # failed in Azure after it was sent: it may have partly happened
    RUNNING = "running"  # accepted by Azure, still running when the turn stopped waiting
    UNCONFIRMED = "unconfirmed"  # sent, but Azure did not say what became of it


@dataclass
class StartedEffect:
    """One change this turn handed to the platform."""

    request_id: str
    target: str  # what the user should check, as they know it (e.g. "aks-prod / node pool np1")
    status: EffectStatus = EffectStatus.SUBMITTED


def _effects(turn_context: TurnContext) -> dict[str, StartedEffect]:
    effects = turn_context.turn_state.get(_KEY)
    if not isinstance(effects, dict):
        effects = {}
        turn_context.turn_state[_KEY] = effects
    return effects


def record_submitted(turn_context: TurnContext, request_id: str, target: str) -> None:
    """Record that request ``request_id`` on ``target`` is being handed to execution (call just before)."""
    _effects(turn_context)[request_id] = StartedEffect(request_id, target)


def record_settled(turn_context: TurnContext, request_id: str, status: EffectStatus | None) -> None:
    """Record what became of request ``request_id``; ``None`` when nothing was sent (it is forgotten)."""
    effects = _effects(turn_context)
    if status is None:
        effects.pop(request_id, None)
    elif request_id in effects:
        effects[request_id].status = status


def started_effects(turn_context: TurnContext) -> tuple[StartedEffect, ...]:
    """The changes this turn started, in the order they were submitted (empty: nothing was started)."""
    effects = turn_context.turn_state.get(_KEY)
    return tuple(effects.values()) if isinstance(effects, dict) else ()
