"""What this turn did that must not be done twice: the one notion of "an effect started".

A person's turn may be run again (its state save lost to another delivery for the same
person) or fail; both are safe only while the turn has done nothing that cannot be repeated.
The first such thing is **handing a request to execution**: the dialog calls
:func:`record_submitted` just before :meth:`requesting.request.RequestHandler.submit`. From then on
the turn has *started an effect* (:func:`effect_started`): the bot's hook registered with
:func:`on_first_effect` has run (it sends the replies held so far and stops holding them, see
:class:`bot.outbox.TurnOutbox`), the turn is never run again, and its delivery receipt stands.

The dialog settles each request with what became of it (:func:`record_settled`; a request
refused before anything was sent is forgotten). When the turn then fails (storage unreachable,
an unexpected error, a lost save), :class:`bot.teams_bot.SwitchboardBot` reads
:func:`started_effects` to say what was started (:mod:`bot.replies`) instead of "I didn't do
anything".

Before its first effect a turn may **claim** things in shared storage — the decision on a
confirmation (:mod:`dialogs.decisions`) — and registers how to give each back
(:func:`record_claim`). A turn that fails or is run again *before* its first effect gives its
claims back (:func:`release_claims`): nothing was done, so a retry must be able to claim them.
After the first effect, claims stand.

Everything is plain data in ``TurnContext.turn_state``: it lives exactly as long as the turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from botbuilder.core import TurnContext

__all__ = [
    "EffectStatus",
    "StartedEffect",
    "effect_started",
    "on_first_effect",
    "record_claim",
    "record_settled",
    "record_submitted",
    "release_claims",
    "started_effects",
]

_log = logging.getLogger("switchboard.bot")

_KEY = "switchboard.turn.started_effects"
_STARTED_KEY = "switchboard.turn.effect_started"
_HOOK_KEY = "switchboard.turn.first_effect_hook"
_CLAIMS_KEY = "switchboard.turn.claims"


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


def on_first_effect(turn_context: TurnContext, hook: Callable[[], Awaitable[None]]) -> None:
    """Run ``hook`` once, just before this turn's first effect (the bot: send the held replies)."""
    turn_context.turn_state[_HOOK_KEY] = hook


def effect_started(turn_context: TurnContext) -> bool:
    """Whether this turn handed anything to execution (even if it was then refused): it must not run again."""
    return bool(turn_context.turn_state.get(_STARTED_KEY))


async def record_submitted(turn_context: TurnContext, request_id: str, target: str) -> None:
    """Record that request ``request_id`` on ``target`` is being handed to execution (call just before).

    The turn's first effect: the hook of :func:`on_first_effect` runs first (once per turn).
    """
    if not effect_started(turn_context):
        turn_context.turn_state[_STARTED_KEY] = True
        hook = turn_context.turn_state.get(_HOOK_KEY)
        if hook is not None:
            await hook()
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


def record_claim(turn_context: TurnContext, what: str, release: Callable[[], Awaitable[None]]) -> None:
    """Record that this turn claimed ``what`` (for logs) and how to give it back."""
    claims = turn_context.turn_state.get(_CLAIMS_KEY)
    if not isinstance(claims, list):
        claims = []
        turn_context.turn_state[_CLAIMS_KEY] = claims
    claims.append((what, release))


async def release_claims(turn_context: TurnContext) -> None:
    """Give back every claim of this turn, unless an effect started (then they stand). Best effort:
    a release that fails is logged (the claim then expires on its own)."""
    claims = turn_context.turn_state.pop(_CLAIMS_KEY, None)
    if not isinstance(claims, list) or effect_started(turn_context):
        return
    for what, release in claims:
        try:
            await release()
        except Exception:
            _log.warning("could not give back the %s this turn claimed", what, exc_info=True)
