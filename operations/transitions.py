"""The only ways an operation changes: pure functions from one record to the next.

Each returns a new :class:`~operations.model.Operation` (or raises :class:`IllegalTransition`);
the store writes it only if the stored record still has the ETag it was read with, so of two
workers acting on the same step exactly one write wins and only the winner goes on.

======================  ====================  ===========================================================
from                    to                    by
======================  ====================  ===========================================================
queued                  queued (seq + 1)      :func:`requeue` — waiting for the resource's lease
queued | running        same (seq + 1)        :func:`reschedule` — the sweeper re-kicks a stalled operation
queued                  running               :func:`record_intent` — *before* the platform call is sent
running                 running (seq + 1)     :func:`record_poll` — token saved, next check scheduled
running                 succeeded | failed    :func:`finish`
queued | running        failed                :func:`fail` — poison message, unconfirmed start
running                 timed_out             :func:`time_out` — past the action's limit
queued                  cancelled             :func:`cancel`
queued (held)           queued (seq + 1)      :func:`release_hold` — the requester chose to queue it behind the holder
======================  ====================  ===========================================================
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from operations.model import Operation, OperationState

__all__ = [
    "IllegalTransition", "cancel", "fail", "finish", "mark_notified", "record_intent", "record_poll", "release_hold",
    "requeue", "reschedule", "time_out",
]


class IllegalTransition(ValueError):
    """The operation is not in a state this change applies to (e.g. it already ended)."""


def _require(operation: Operation, *states: OperationState) -> None:
    if operation.state not in states:
        allowed = " or ".join(s.value for s in states)
        raise IllegalTransition(f"operation {operation.id} is {operation.state.value}, not {allowed}")


def requeue(
    operation: Operation, *, now: datetime, next_check_at: datetime, waiting_on: str | None = None
) -> Operation:
    """Still queued, next step scheduled (``seq`` + 1): waiting behind ``waiting_on`` or re-kicked."""
    _require(operation, OperationState.QUEUED)
    return replace(operation, seq=operation.seq + 1, updated_at=now, next_check_at=next_check_at,
                   waiting_on=waiting_on)


def reschedule(operation: Operation, *, now: datetime, next_check_at: datetime) -> Operation:
    """Queued or running, next step due again (``seq`` + 1): the sweeper re-kicks an operation whose
    message was lost; any older message becomes stale."""
    _require(operation, OperationState.QUEUED, OperationState.RUNNING)
    return replace(operation, seq=operation.seq + 1, updated_at=now, next_check_at=next_check_at)


def record_intent(operation: Operation, *, now: datetime) -> Operation:
    """queued → running: the platform call is about to be sent. Written before the call, so a retry
    after a crash knows it may have been sent and looks for it instead of sending it again. ``seq``
    stays: the message that carried this step is the one a crash redelivers."""
    _require(operation, OperationState.QUEUED)
    return replace(operation, state=OperationState.RUNNING, intent_at=now, started_at=now, updated_at=now,
                   waiting_on=None)


def record_poll(
    operation: Operation,
    *,
    now: datetime,
    continuation_token: str | None,
    next_check_at: datetime,
    correlation_id: str = "",
    progress_shown: bool = False,
    message: str = "",
) -> Operation:
    """Still running: keep the platform's latest continuation token, schedule the next check (``seq`` + 1)."""
    _require(operation, OperationState.RUNNING)
    return replace(
        operation,
        seq=operation.seq + 1,
        continuation_token=continuation_token or operation.continuation_token,
        next_check_at=next_check_at,
        polls=operation.polls + 1,
        updated_at=now,
        correlation_id=operation.correlation_id or correlation_id,
        last_progress_at=now if progress_shown else operation.last_progress_at,
        message=message or operation.message,
    )


def finish(operation: Operation, *, now: datetime, succeeded: bool, message: str, error: str = "",
           correlation_id: str = "") -> Operation:
    """running → succeeded | failed, with the requester's message (and a short reason when failed)."""
    _require(operation, OperationState.RUNNING)
    return replace(
        operation,
        state=OperationState.SUCCEEDED if succeeded else OperationState.FAILED,
        seq=operation.seq + 1,
        ended_at=now,
        updated_at=now,
        message=message,
        error="" if succeeded else (error or message),
        correlation_id=operation.correlation_id or correlation_id,
        next_check_at=None,
    )


def fail(operation: Operation, *, now: datetime, message: str, error: str) -> Operation:
    """queued | running → failed, outside a platform answer (a poison message, a start that cannot be confirmed)."""
    _require(operation, OperationState.QUEUED, OperationState.RUNNING)
    return replace(operation, state=OperationState.FAILED, seq=operation.seq + 1, ended_at=now, updated_at=now,
                   message=message, error=error, next_check_at=None)


def time_out(operation: Operation, *, now: datetime, message: str) -> Operation:
    """running → timed_out: past the action's limit (the platform may still finish it)."""
    _require(operation, OperationState.RUNNING)
    return replace(operation, state=OperationState.TIMED_OUT, seq=operation.seq + 1, ended_at=now, updated_at=now,
                   message=message, error="timed out", next_check_at=None)


def cancel(operation: Operation, *, now: datetime, message: str) -> Operation:
    """queued → cancelled: nothing was sent to the platform."""
    _require(operation, OperationState.QUEUED)
    return replace(operation, state=OperationState.CANCELLED, seq=operation.seq + 1, ended_at=now, updated_at=now,
                   message=message, next_check_at=None, held_until=None)


def release_hold(operation: Operation, *, now: datetime) -> Operation:
    """A held operation (asked for on a busy resource) is queued behind the holder: its requester chose
    to wait. ``seq`` + 1: the message sent after this write is the one the worker acts on."""
    _require(operation, OperationState.QUEUED)
    if operation.held_until is None:
        raise IllegalTransition(f"operation {operation.id} is not held")
    return replace(operation, seq=operation.seq + 1, held_until=None, updated_at=now, next_check_at=now)


def mark_notified(operation: Operation) -> Operation:
    """The outcome notice was handed to the notifier (delivered or not): never sent twice."""
    if not operation.terminal:
        raise IllegalTransition(f"operation {operation.id} has not ended")
    return replace(operation, notified=True)
