"""The operations worker: one queue message in, one step of one operation done, the next one queued.

Each message names an operation and its step (``seq``). The worker reads the operation and acts
only when the message's step is the stored one (a duplicated, redelivered or superseded message
is dropped), then takes exactly one step, written with the ETag it read — of two workers holding
copies of the same message, exactly one write wins and only its writer goes on:

- **queued**: take the resource's lease (busy: stay queued and look again later, behind the
  holder); write the intent (queued → running) *before* the platform call; send the start with
  ``x-ms-client-request-id`` = the operation id; save the poller's continuation token and queue
  the next check with a visibility delay (never sleeping in the function).
- **running** with a token: one status check from the token; still running → save the new token,
  queue the next check (backing off towards the platform's ``Retry-After``), update the card's
  progress at most once per ``progress_interval`` (the first one an interval after the start);
  done → succeeded | failed, lease released, audited, told.
- **running without a token** (the worker died between sending the start and saving the token):
  never start again — once no start can still be in flight (``start_grace``), look at the
  resource: busy → its operation is running, look again; already as requested → succeeded;
  neither → failed ("could not be confirmed"), nothing resent.
- past the action's time limit → timed out (the sweeper does the same for operations whose
  messages stopped).

Messages that keep failing land in the poison queue; :meth:`OperationWorker.poisoned` marks their
operation failed and tells the requester.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from actions.arm_ids import ArmCallIds, arm_call_ids
from actions.context import ActionContext
from actions.registry import Registry
from actions.spec import ActionError, Progress, ProgressState
from app.execution.journal import OperationJournal
from guardrails.records import AuditKind
from operations import (
    IllegalTransition,
    Operation,
    OperationMessage,
    OperationState,
    cancel,
    fail,
    finish,
    mark_notified,
    next_poll_delay,
    record_intent,
    record_poll,
    requeue,
    reschedule,
    time_out,
)
from storage import ConcurrencyConflictError, OperationQueue, StoredOperation, TableLeaseStore, TableOperationStore

__all__ = ["OperationWorker", "WorkerOptions"]

_log = logging.getLogger("switchboard.operations")


@dataclass(frozen=True)
class WorkerOptions:
    """Timings of the worker (seconds unless a timedelta).

    ``initial_poll_delay``/``max_poll_delay``: the first status check comes after the initial
    delay, each next one after twice as long, up to the platform's ``Retry-After`` (else the
    maximum). ``lease_wait``: how often an operation queued behind another looks again.
    ``start_grace``: how long a start may still be in flight in another worker (longer than the
    SDK's retries of one request). ``progress_interval``: at most one card progress update per
    interval. ``lease_margin``: a lease outlives its operation's time limit by this much.
    ``renotify_after``: an ended operation whose notice was never marked sent is told again by a
    message arriving this long after it ended (the worker died between the two writes).
    """

    initial_poll_delay: float = 2.0
    max_poll_delay: float = 60.0
    lease_wait: int = 15
    start_grace: timedelta = timedelta(minutes=2)
    progress_interval: timedelta = timedelta(seconds=5)
    lease_margin: timedelta = timedelta(minutes=10)
    renotify_after: timedelta = timedelta(minutes=2)


class OperationWorker:
    """Takes one step of one operation per queue message (see the module docstring).

    :param after_start: awaited right after the platform accepted the start, before the token is
        saved — a fault-injection point: raising there is a worker dying at the worst moment.
    """

    def __init__(
        self,
        *,
        operations: TableOperationStore,
        leases: TableLeaseStore,
        queue: OperationQueue,
        registry: Registry,
        actions: ActionContext,
        journal: OperationJournal,
        options: WorkerOptions | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        after_start: Callable[[Operation], Awaitable[None]] | None = None,
    ) -> None:
        self._operations = operations
        self._leases = leases
        self._queue = queue
        self._registry = registry
        self._actions = actions
        self._journal = journal
        self.options = options or WorkerOptions()
        self._clock = clock
        self._after_start = after_start

    # ------------------------------------------------------------------ entry points
    async def handle(self, body: bytes | str) -> None:
        """Process one queue message. Storage failures raise (the queue retries the message)."""
        try:
            message = OperationMessage.decode(body)
        except ValueError as exc:
            _log.error("an operations queue message is not one of ours (%s): dropped", exc)
            return
        stored = await self._operations.get(message.operation_id)
        if stored is None:
            _log.warning("operation %s does not exist: message dropped", message.operation_id)
            return
        operation = stored.record
        if operation.terminal:
            if not operation.notified and operation.ended_at is not None:
                # ended but never marked told: the worker that ended it may still be telling, or it died
                waited = self._clock() - operation.ended_at
                if waited >= self.options.renotify_after:
                    await self._tell(stored)
                else:
                    left = int((self.options.renotify_after - waited).total_seconds()) + 1
                    await self._queue.send(OperationMessage(operation.id, message.seq).encode(), delay_seconds=left)
            return
        if message.seq != operation.seq:
            _log.debug("operation %s: stale message (step %d, now %d)", operation.id, message.seq, operation.seq)
            return
        if operation.held:  # waiting for its requester's choice: the message that starts it comes with the choice
            _log.info("operation %s is held: message dropped", operation.id)
            return
        if operation.state is OperationState.QUEUED:
            await self._start(stored)
        else:
            await self._check(stored)

    async def poisoned(self, body: bytes | str) -> None:
        """A message that exhausted its retries: fail its operation (if it has not ended) and tell the requester."""
        try:
            message = OperationMessage.decode(body)
        except ValueError:
            _log.error("a poison message that is not one of ours was dropped")
            return
        for _ in range(5):
            stored = await self._operations.get(message.operation_id)
            if stored is None or stored.record.terminal:
                return
            operation = stored.record
            sent = operation.state is OperationState.RUNNING
            failed = fail(
                operation, now=self._clock(),
                message="Switchboard could not process this operation and stopped tracking it.",
                error=(
                    "Switchboard stopped tracking it after repeated errors; Azure may still complete it."
                    if sent else "Switchboard could not process it after repeated errors; nothing was sent to Azure."
                ),
            )
            try:
                etag = await self._operations.replace(failed, stored.etag)
            except ConcurrencyConflictError:
                continue
            _log.error("operation %s: its message was poisoned; marked failed", operation.id)
            await self._conclude(StoredOperation(failed, etag), details={"reason": "poison message"})
            return

    # ------------------------------------------------------------------ for the sweeper
    async def expire(self, stored: StoredOperation) -> bool:
        """Time out a running operation past its limit (ETag-conditional); True when this call did."""
        operation = stored.record
        deadline = operation.deadline
        if operation.state is not OperationState.RUNNING or deadline is None or self._clock() < deadline:
            return False
        ended = time_out(operation, now=self._clock(), message="")
        etag = await self._write(ended, stored.etag)
        if etag is None:
            return False
        await self._conclude(StoredOperation(ended, etag), details={"by": "sweeper"})
        return True

    async def drop_held(self, stored: StoredOperation) -> bool:
        """Cancel a held operation whose requester did not choose to queue it in time (ETag-conditional),
        and tell them; True when this call did."""
        operation = stored.record
        if not operation.held or operation.held_until is None or self._clock() < operation.held_until:
            return False
        dropped = cancel(operation, now=self._clock(),
                         message=f"nobody chose to queue it behind operation {operation.waiting_on} in time.")
        etag = await self._write(dropped, stored.etag)
        if etag is None:
            return False
        await self._conclude(StoredOperation(dropped, etag), details={"by": "sweeper", "reason": "held, not chosen"})
        return True

    async def rekick(self, stored: StoredOperation) -> bool:
        """Queue a fresh message for an operation whose next step is long overdue (its message was
        lost); older messages become stale. True when this call did."""
        now = self._clock()
        again = reschedule(stored.record, now=now, next_check_at=now)
        if await self._write(again, stored.etag) is None:
            return False
        await self._queue.send(OperationMessage(again.id, again.seq).encode())
        return True

    async def tell_again(self, stored: StoredOperation) -> None:
        """Tell the outcome of an ended operation whose notice was never marked sent."""
        await self._tell(stored)

    # ------------------------------------------------------------------ steps
    async def _start(self, stored: StoredOperation) -> None:
        operation = stored.record
        now = self._clock()
        action = self._registry.get(operation.action)
        if action is None:
            await self._end(stored, fail(operation, now=now, message="", error="This action no longer exists."))
            return
        lease = await self._leases.acquire(
            operation.resource_id, operation.id, operation.timeout + self.options.lease_margin
        )
        if not lease.acquired:
            delay = self.options.lease_wait
            waiting = requeue(
                operation, now=now, next_check_at=now + timedelta(seconds=delay), waiting_on=lease.lease.operation_id
            )
            if await self._write(waiting, stored.etag) is not None:
                await self._queue.send(OperationMessage(operation.id, waiting.seq).encode(), delay_seconds=delay)
            return
        running = record_intent(operation, now=now)
        etag = await self._write(running, stored.etag)
        if etag is None:
            return  # another worker took this step
        await self._journal.record(running, AuditKind.EXECUTION_STARTED, details={"from": "queued", "to": "running"})
        with arm_call_ids(operation.id) as ids:
            try:
                progress = await action.start(self._actions.for_turn(), operation.args)
            except ActionError as exc:
                progress = Progress(ProgressState.FAILED, f"{exc.message} Nothing was changed.")
        if self._after_start is not None:
            await self._after_start(running)
        await self._settle(StoredOperation(running, etag), progress, ids)

    async def _check(self, stored: StoredOperation) -> None:
        operation = stored.record
        now = self._clock()
        deadline = operation.deadline
        if deadline is not None and now >= deadline:
            await self._time_out(stored)
            return
        action = self._registry.get(operation.action)
        if action is None:
            await self._end(stored, fail(operation, now=now, message="", error="This action no longer exists."))
            return
        token = operation.continuation_token
        with arm_call_ids(operation.id) as ids:
            if token is not None:
                progress = await action.poll(self._actions.for_turn(), operation.args, token)
            else:
                intent = operation.intent_at or now
                if operation.polls == 0 and now - intent < self.options.start_grace:
                    # a start may still be in flight elsewhere: look again once it cannot be
                    left = int((self.options.start_grace - (now - intent)).total_seconds()) + 1
                    await self._queue.send(OperationMessage(operation.id, operation.seq).encode(), delay_seconds=left)
                    return
                progress = await self._recover(operation)
        await self._settle(stored, progress, ids)

    async def _recover(self, operation: Operation) -> Progress:
        """The start may have been sent but its token was never saved: find out from the resource."""
        action = self._registry.get(operation.action)
        assert action is not None
        try:
            preview = await action.preview(self._actions.for_turn(), operation.args)
        except ActionError:
            # busy (the platform operation runs) or unreadable right now: never start again, look later
            return Progress(ProgressState.RUNNING, operation.message or f"{operation.title} — in progress…")
        if preview.no_op:
            return Progress(ProgressState.SUCCEEDED, f"{operation.title} — done.")
        return Progress(
            ProgressState.UNKNOWN,
            "Switchboard could not confirm that Azure received the change, and did not send it again.",
        )

    async def _settle(self, stored: StoredOperation, progress: Progress, ids: ArmCallIds) -> None:
        operation = stored.record
        now = self._clock()
        state = progress.state
        if state is ProgressState.UNKNOWN and (progress.continuation_token or operation.continuation_token):
            state = ProgressState.RUNNING  # a status check failed: the operation is still there, check again
        if state is ProgressState.RUNNING:
            deadline = operation.deadline
            if deadline is not None and now >= deadline:
                await self._time_out(stored)
                return
            delay = next_poll_delay(
                operation.polls, ids.retry_after,
                initial=self.options.initial_poll_delay, maximum=self.options.max_poll_delay,
            )
            # the first progress update only an interval after the start: the card shows the confirm
            # turn's "queued" until then, and a quick operation goes from it straight to its outcome
            shown_last = operation.last_progress_at or operation.intent_at
            show = bool(operation.card_activity_id) and (
                shown_last is None or now - shown_last >= self.options.progress_interval
            )
            polled = record_poll(
                operation, now=now, continuation_token=progress.continuation_token,
                next_check_at=now + timedelta(seconds=delay), correlation_id=ids.correlation_id,
                progress_shown=show, message=progress.message if progress.state is ProgressState.RUNNING else "",
            )
            if await self._write(polled, stored.etag) is None:
                return
            await self._queue.send(OperationMessage(operation.id, polled.seq).encode(), delay_seconds=delay)
            if show:
                await self._journal.tell_progress(polled, now)
            return
        if state is ProgressState.SUCCEEDED:
            ended = finish(operation, now=now, succeeded=True, message=progress.message,
                           correlation_id=ids.correlation_id)
        elif state is ProgressState.FAILED:
            ended = finish(operation, now=now, succeeded=False, message=progress.message, error=progress.message,
                           correlation_id=ids.correlation_id)
        elif state is ProgressState.TIMED_OUT:
            await self._time_out(stored)
            return
        else:  # UNKNOWN without a token: the start's fate cannot be read
            ended = fail(operation, now=now, message=progress.message, error=progress.message)
        await self._end(stored, ended)

    async def _time_out(self, stored: StoredOperation) -> None:
        operation = stored.record
        try:
            ended = time_out(operation, now=self._clock(), message="")
        except IllegalTransition:
            return
        await self._end(stored, ended)

    async def _end(self, stored: StoredOperation, ended: Operation) -> None:
        etag = await self._write(ended, stored.etag)
        if etag is not None:
            await self._conclude(StoredOperation(ended, etag))

    async def _conclude(self, stored: StoredOperation, details: dict[str, str] | None = None) -> None:
        """After the terminal write: lease back, audit, tell the requester, mark told."""
        operation = stored.record
        await self._leases.release(operation.resource_id, operation.id)
        await self._journal.record(
            operation, AuditKind.EXECUTION_ENDED, details={"to": operation.state.value, **(details or {})}
        )
        await self._tell(stored)

    async def _tell(self, stored: StoredOperation) -> None:
        await self._journal.tell_outcome(stored.record)
        with contextlib.suppress(ConcurrencyConflictError):  # someone else told it meanwhile: their mark stands
            await self._operations.replace(mark_notified(stored.record), stored.etag)

    async def _write(self, operation: Operation, etag: str) -> str | None:
        """Write conditionally; None when another worker changed the operation first (drop this step)."""
        try:
            return await self._operations.replace(operation, etag)
        except ConcurrencyConflictError:
            _log.info("operation %s: another worker took step %d", operation.id, operation.seq)
            return None
