"""``QueuedRequestHandler``: the executor that records an operation, queues it and answers at once.

``submit`` never waits on the platform: it stores the request as an :class:`~operations.Operation`
(state queued, the preview's before-values, the plan hash, where to report), sends its first queue
message and returns ``QUEUED`` with the operation id — "Scale aks-prod / np1: 3 → 5 nodes — queued
as operation 7F3K; I'll tell you here when it's done." The worker
(:class:`app.execution.worker.OperationWorker`) does the rest and reports in the conversation.

One change at a time per resource: when another operation holds the resource's lease, the answer
names it and when it started. A request whose requester is in the conversation (the dialogs set
``Request.queue_when_busy`` False) is then **held**: recorded, with no queue message, and the
requester is offered to queue it behind the holder (``queue <operation>``, a button) or cancel it;
the sweeper cancels a held operation nobody chose for. Any other request (the proactive path: a
quorum reached while the requester is away) waits behind the holder at once (the worker starts it
once the lease is free).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from actions.registry import Registry
from app.execution.journal import OperationJournal, card_preview
from dialogs import texts
from guardrails.plan import plan_hash
from operations import Operation, OperationMessage, cancel
from requesting import Outcome, OutcomeState, Request
from storage import OperationQueue, StorageError, StoredOperation, TableLeaseStore, TableOperationStore

__all__ = ["QueuedRequestHandler"]

_log = logging.getLogger("switchboard.operations")


class QueuedRequestHandler:
    """Implements :class:`requesting.RequestHandler` by queueing each request as an operation.

    :param registry: the action catalog (a request naming another action is refused).
    :param operations: the operation store; :param leases: the resource leases; :param queue: the
        operations queue; :param journal: audit and notices; :param clock: current UTC time.
    :param start_delay: seconds before the worker may take the operation's first step (the queue
        message's visibility delay): the confirm turn shows the card "queued" as its last word, and
        this margin keeps a quick operation's outcome from reaching the card before that (the later
        update would win). 0 in tests that drive the queue themselves.
    :param hold_for: how long an operation asked for on a busy resource waits for its requester's
        choice (``Request.queue_when_busy`` False) before the sweeper cancels it.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        operations: TableOperationStore,
        leases: TableLeaseStore,
        queue: OperationQueue,
        journal: OperationJournal,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        start_delay: int = 0,
        hold_for: timedelta = timedelta(minutes=15),
    ) -> None:
        if start_delay < 0:
            raise ValueError("start_delay must not be negative")
        self._start_delay = start_delay
        self._registry = registry
        self._hold_for = hold_for
        self._operations = operations
        self._leases = leases
        self._queue = queue
        self._journal = journal
        self._clock = clock

    async def submit(self, request: Request) -> Outcome:
        """Record and queue ``request``; ``QUEUED`` at once, or ``REFUSED`` (nothing sent) when it cannot be."""
        action = self._registry.get(request.action)
        if action is None or action.name != request.action:
            reason = f"There is no action called {request.action!r}."
            return Outcome(OutcomeState.REFUSED, texts.refused_before_start(reason))
        preview = request.preview
        resource_id = request.scope.resource_id
        now = self._clock()
        try:
            digest = plan_hash(action.name, resource_id, request.args, preview,
                               {k: v for k, v in preview.before.items() if isinstance(v, int)})
        except ValueError:
            digest = ""

        def make(operation_id: str) -> Operation:
            return Operation(
                id=operation_id,
                request_id=request.id,
                action=action.name,
                args=dict(request.args),
                resource_id=resource_id,
                requester_key=request.requester.key,
                requester_name=request.requester.name,
                conversation=dict(request.conversation),
                target=preview.target,
                title=preview.title or preview.target,
                created_at=now,
                timeout=timedelta(seconds=action.timeout_seconds),
                plan_hash=digest,
                card_activity_id=request.card_activity_id,
                before=dict(preview.before),
                labels=dict(request.labels),
                preview=card_preview(preview),
                next_check_at=now + timedelta(seconds=self._start_delay),
            )

        reference = uuid.uuid4().hex[:12]
        # two independent round trips at once: the confirm turn waits for the slower one only
        holder, stored = await asyncio.gather(
            self._leases.holder(resource_id), self._operations.create(make), return_exceptions=True
        )
        if isinstance(stored, BaseException):
            if not isinstance(stored, StorageError):
                raise stored
            _log.error("request %s could not be recorded as an operation (ref %s)", request.id, reference,
                       exc_info=stored)
            return Outcome(OutcomeState.REFUSED, _not_queued(reference))
        if isinstance(holder, BaseException):  # recorded all the same: only the "busy" note is missing
            if not isinstance(holder, StorageError):
                raise holder
            _log.warning("request %s: the resource's lease could not be read (ref %s)", request.id, reference)
            holder = None
        operation = stored.record
        if holder is not None and holder.operation_id != operation.id and not request.queue_when_busy:
            return await self._hold(stored, holder.operation_id, holder.acquired_at, reference)
        try:
            await self._queue.send(OperationMessage(operation.id, operation.seq).encode(),
                                   delay_seconds=self._start_delay)
        except StorageError:
            _log.exception("operation %s could not be queued (ref %s)", operation.id, reference)
            try:
                await self._operations.replace(cancel(operation, now=self._clock(), message="it could not be queued."),
                                               stored.etag)
            except StorageError:  # still queued: the sweeper queues it again
                _log.error("operation %s stays queued without a message; the sweeper will queue it", operation.id)
                return Outcome(OutcomeState.QUEUED, _queued_text(operation, None), {"operation": operation.id})
            return Outcome(OutcomeState.REFUSED, _not_queued(reference))
        _log.info("request %s queued as operation %s (%s on %s)", request.id, operation.id, action.name, resource_id)
        busy = None
        if holder is not None and holder.operation_id != operation.id:
            busy = (holder.operation_id, holder.acquired_at)
        return Outcome(OutcomeState.QUEUED, _queued_text(operation, busy), {"operation": operation.id})

    async def _hold(self, stored: StoredOperation, holder: str, since: datetime, reference: str) -> Outcome:
        """The resource is busy and the requester is in the conversation: keep the operation held (no
        queue message) and offer them to queue it behind ``holder`` or cancel it."""
        now = self._clock()
        held = replace(stored.record, waiting_on=holder, held_until=now + self._hold_for, updated_at=now)
        try:
            await self._operations.replace(held, stored.etag)
        except StorageError:
            _log.exception("operation %s could not be held (ref %s)", held.id, reference)
            try:  # nothing was sent: end it rather than leave it for the sweeper to queue unasked
                await self._operations.replace(cancel(stored.record, now=now, message="it could not be recorded."),
                                               stored.etag)
            except StorageError:  # still queued without a message: the sweeper queues it behind the holder
                _log.error("operation %s stays queued without a message; the sweeper will queue it", held.id)
                return Outcome(OutcomeState.QUEUED, _queued_text(stored.record, (holder, since)),
                               {"operation": held.id})
            return Outcome(OutcomeState.REFUSED, _not_queued(reference))
        started = f"{since.astimezone(UTC):%H:%M} UTC"
        text = (f"{held.target} is busy with operation {holder} (started {started}), so nothing was sent to Azure. "
                f"Yours is operation {held.id}: queue it behind {holder} to have it start once {holder} has finished "
                f"(`queue {held.id}`), or `cancel {held.id}`. If you do neither, it is cancelled in "
                f"{int(self._hold_for.total_seconds() // 60)} minutes.")
        await self._journal.offer(held, text, [(f"Queue behind {holder}", f"queue {held.id}"),
                                               ("Cancel", f"cancel {held.id}")])
        _log.info("operation %s held: %s is busy with operation %s", held.id, held.resource_id, holder)
        return Outcome(OutcomeState.QUEUED, text, {"operation": held.id})


def _queued_text(operation: Operation, busy: tuple[str, datetime] | None) -> str:
    text = f"{operation.title} — I'll tell you here when it's done. Operation {operation.id}"
    if busy is not None:
        holder, since = busy
        text += (
            f". {operation.target} is busy with operation {holder} (started {since.astimezone(UTC):%H:%M} UTC): "
            "yours waits for it to finish, then starts"
        )
    return text + "."


def _not_queued(reference: str) -> str:
    return texts.refused_before_start(
        f"Switchboard could not queue this request right now (reference {reference}). Try again in a minute."
    )
