"""At most once: the decision on a confirmation is claimed before anything runs.

A request's preview can be answered more than once — a double click, a second client, the
``Action.Submit`` fallback, a typed ``yes`` after the button, two deliveries of one click. The
first Confirm or Cancel of a form **claims the decision** in a shared ledger (one atomic insert;
``storage.DeliveryLedger`` implements :class:`DecisionLedger`) before the request is handed to
the :class:`~dialogs.request.RequestHandler`; every later answer of the same form is told who
decided ("This request was already confirmed by Alex Wilber") and nothing runs again.

Claiming a decision is the turn's first **effect**: from then on the turn must not be run again.
The bot registers a hook (:func:`on_effect`) that dialogs call through :func:`effect_starting`
just before; it sends what the turn held back so far and stops the bot from retrying the turn
after a state-save conflict.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from botbuilder.core import TurnContext

__all__ = [
    "Decision",
    "DecisionLedger",
    "already_decided",
    "claim_decision",
    "effect_starting",
    "on_effect",
    "set_turn_decisions",
    "turn_decisions",
]

_log = logging.getLogger("switchboard.dialogs")

_LEDGER_KEY = "switchboard.dialogs.decisions"
_EFFECT_KEY = "switchboard.dialogs.effect_hook"


class Decision(Protocol):
    """A decision taken on a confirmation form (``storage.FormDecision``)."""

    @property
    def confirmed(self) -> bool: ...

    @property
    def by_name(self) -> str: ...

    @property
    def decided_at(self) -> dt.datetime: ...

    @property
    def recorded(self) -> bool:
        """True only in the answer to the call that took the decision."""
        ...


class DecisionLedger(Protocol):
    """Where decisions are claimed, atomically across every instance of the bot."""

    async def decide(self, form_id: str, *, confirmed: bool, by_key: str, by_name: str) -> Decision:
        """Take the decision on ``form_id`` unless taken; return the one that stands."""
        ...

    async def decision(self, form_id: str) -> Decision | None:
        """The decision taken on ``form_id``, if any (and not expired)."""
        ...


def set_turn_decisions(turn_context: TurnContext, ledger: DecisionLedger | None) -> None:
    """Make ``ledger`` this turn's decision ledger (None: decisions are not claimed)."""
    turn_context.turn_state[_LEDGER_KEY] = ledger


def turn_decisions(turn_context: TurnContext) -> DecisionLedger | None:
    """This turn's decision ledger, if the dialogs run with one."""
    ledger: DecisionLedger | None = turn_context.turn_state.get(_LEDGER_KEY)
    return ledger


def on_effect(turn_context: TurnContext, hook: Callable[[], Awaitable[None]]) -> None:
    """Register what to do just before this turn's first effect (the bot's hook)."""
    turn_context.turn_state[_EFFECT_KEY] = hook


async def effect_starting(turn_context: TurnContext) -> None:
    """Call right before the turn does something that must not be repeated."""
    hook = turn_context.turn_state.get(_EFFECT_KEY)
    if hook is not None:
        await hook()


async def claim_decision(
    turn_context: TurnContext, form_id: str, *, confirmed: bool, by_key: str, by_name: str
) -> Decision | None:
    """Claim the decision on ``form_id`` for this turn's sender.

    Returns None when this turn took it (go on: confirm or cancel), else the decision that was
    already taken (tell the sender with :func:`already_decided`; change nothing). Without a ledger
    every decision is taken. Raises ``storage.StorageError`` subclasses when the ledger fails.
    """
    ledger = turn_decisions(turn_context)
    if ledger is None:
        return None
    await effect_starting(turn_context)
    decision = await ledger.decide(form_id, confirmed=confirmed, by_key=by_key, by_name=by_name)
    if decision.recorded:
        return None
    _log.info("a second answer to a decided confirmation refused (form decided %s)",
              "confirmed" if decision.confirmed else "cancelled")
    return decision


def already_decided(decision: Decision) -> str:
    """What a second answer to a decided confirmation is told."""
    who = decision.by_name or "someone"
    if decision.confirmed:
        return f"This request was already confirmed by {who}: it runs once. Nothing more was done."
    return f"This request was already cancelled by {who}. Nothing was changed."
