"""At most once: the decision on a confirmation is claimed before anything runs.

A request's preview can be answered more than once — a double click, a second client, the
``Action.Submit`` fallback, a typed ``yes`` after the button, two deliveries of one click. The
first Confirm or Cancel of a form **claims the decision** in a shared ledger (one atomic insert;
``storage.DeliveryLedger`` implements :class:`DecisionLedger`) before the request is handed to
the :class:`~requesting.request.RequestHandler`; every later answer of the same form finds it taken
and nothing runs again. This is the guard, across deliveries and instances; what the later
answer is told is the dialogs' business (:mod:`dialogs.card_steps`, :mod:`dialogs.conversations`).

A claim is not an effect: the turn's first effect is handing the request over
(:func:`dialogs.turn_effects.record_submitted`). The claim is registered with the turn
(:func:`dialogs.turn_effects.record_claim`), so that a turn that fails or is run again before its
first effect gives the decision back and a retry can take it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

from botbuilder.core import TurnContext

from dialogs.turn_effects import record_claim

__all__ = [
    "Decision",
    "DecisionLedger",
    "already_decided",
    "claim_decision",
    "set_turn_decisions",
    "turn_decisions",
]

_log = logging.getLogger("switchboard.dialogs")

_LEDGER_KEY = "switchboard.dialogs.decisions"


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

    async def release_decision(self, form_id: str) -> None:
        """Forget the decision on ``form_id`` (the turn that took it did nothing): it may be taken again."""
        ...


def set_turn_decisions(turn_context: TurnContext, ledger: DecisionLedger | None) -> None:
    """Make ``ledger`` this turn's decision ledger (None: decisions are not claimed)."""
    turn_context.turn_state[_LEDGER_KEY] = ledger


def turn_decisions(turn_context: TurnContext) -> DecisionLedger | None:
    """This turn's decision ledger, if the dialogs run with one."""
    ledger: DecisionLedger | None = turn_context.turn_state.get(_LEDGER_KEY)
    return ledger


async def claim_decision(
    turn_context: TurnContext, form_id: str, *, confirmed: bool, by_key: str, by_name: str
) -> Decision | None:
    """Claim the decision on ``form_id`` for this turn's sender.

    Returns None when this turn took it (go on: confirm or cancel), else the decision that was
    already taken (tell the sender with :func:`already_decided`; change nothing). Without a ledger
    every decision is taken. Raises ``storage.StorageError`` subclasses when the ledger fails.
    A decision taken here is given back if the turn fails or runs again before its first effect.
    """
    ledger = turn_decisions(turn_context)
    if ledger is None:
        return None
    decision = await ledger.decide(form_id, confirmed=confirmed, by_key=by_key, by_name=by_name)
    if decision.recorded:

        async def give_back() -> None:
            await ledger.release_decision(form_id)

        record_claim(turn_context, "confirmation decision", give_back)
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
