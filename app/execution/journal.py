"""The operations' audit trail and notices: what the worker, the sweeper and the queued handler tell.

:class:`OperationJournal` appends an :class:`~guardrails.records.AuditRecord` for each state change
(execution started, ended) and each notice that could not be delivered — with the operation id
and the ARM correlation id — to the audit store and as a telemetry event; and it sends the
notices through the :class:`~requesting.Notifier` port. Neither an audit failure nor a notice
failure ever changes an operation's outcome: both are logged (and a failed notice audited).

The request's card is its **one living card** (:func:`cards.request_card`): the worker updates it in
place — running with progress, then done, failed, timed out or cancelled before it started —
rendered again from what the operation keeps of it (its labels and confirmed preview, as plain
data: :func:`card_preview`). The outcome also gets one short reply in the conversation (the channel
thread) where the request was made: that is the message that notifies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from actions.registry import Registry
from actions.spec import Action, Preview
from cards import Json, RequestCardState, Tone, notice_card, request_card
from dialogs.values import arg_facts, preview_from_dict, preview_to_dict
from guardrails.ports import AuditStore
from guardrails.records import ApprovalRequest, AuditKind, AuditRecord
from operations import Operation, OperationState
from requesting import Notice, NoticeReceipt, Notifier
from telemetry.audit_events import AuditEventEmitter

__all__ = [
    "CARD_STATES", "OperationJournal", "card_message", "card_preview", "operation_card", "outcome_text",
    "progress_text",
]

_log = logging.getLogger("switchboard.operations")

SYSTEM_ACTOR = "system"

CARD_STATES: Mapping[OperationState, RequestCardState] = {
    OperationState.QUEUED: RequestCardState.QUEUED,
    OperationState.RUNNING: RequestCardState.RUNNING,
    OperationState.SUCCEEDED: RequestCardState.SUCCEEDED,
    OperationState.FAILED: RequestCardState.FAILED,
    OperationState.TIMED_OUT: RequestCardState.TIMED_OUT,
    OperationState.CANCELLED: RequestCardState.CANCELLED_BEFORE_START,
}
"""The state of the request's card for each state of its operation."""


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def card_preview(preview: Preview) -> dict[str, Any]:
    """What an operation keeps of the confirmed preview for its card: the title, target and changes
    (plain data, :func:`dialogs.values.preview_to_dict`'s shape). Notes, risks and before-values are
    left out: the card shows them only before confirming, and ``Operation.before`` keeps the values."""
    data = preview_to_dict(preview)
    data.update(notes=[], risks=[], before={})
    return data


def outcome_text(operation: Operation) -> str:
    """The requester's message for an ended operation (names the operation; never exception text)."""
    name = f"Operation {operation.id}"
    if operation.state is OperationState.SUCCEEDED:
        return f"{name}: {operation.message or operation.title + ' — done.'}"
    if operation.state is OperationState.FAILED:
        return f"{name} failed: {_failure(operation)}"
    if operation.state is OperationState.TIMED_OUT:
        return f"{name} {_timed_out(operation)}"
    return f"{name} was cancelled before anything was sent to Azure: {operation.message} Nothing was changed."


def _failure(operation: Operation) -> str:
    return (f"{operation.error or operation.message} "
            f"It may have partly happened: check {operation.target} before trying again.")


def _timed_out(operation: Operation) -> str:
    return (f"did not finish within {_duration(operation.timeout)}. Azure may still complete it: "
            f"check {operation.target} before trying again.")


def progress_text(operation: Operation, now: datetime) -> str:
    """What the card shows while the operation runs: the platform's words, else the elapsed time."""
    start = operation.intent_at or operation.created_at
    return f"{operation.message or operation.title} (running for {_duration(now - start)})"


def card_message(operation: Operation, now: datetime) -> str:
    """The line under the card's headline for the operation as it is now (the card says which operation)."""
    state = operation.state
    if state is OperationState.QUEUED:
        return "I'll tell you here when it's done."
    if state is OperationState.RUNNING:
        return progress_text(operation, now)
    if state is OperationState.SUCCEEDED:
        return operation.message or "Done."
    if state is OperationState.FAILED:
        return _failure(operation)
    if state is OperationState.TIMED_OUT:
        return "It " + _timed_out(operation)
    return f"Nothing was sent to Azure: {operation.message} Nothing was changed."


def operation_card(
    action: Action, operation: Operation, now: datetime, *, commands: Sequence[tuple[str, str]] = ()
) -> Json:
    """The request's one card as it shows ``operation`` at ``now``.

    The card of the confirm turn, in the state :data:`CARD_STATES` maps the operation's to: the
    request's title, who requested and confirmed it, its facts (``current → desired``), the state's
    headline and :func:`card_message`, then the operation id, its ARM correlation id and, once it
    ended, how long it took; ``commands`` as buttons (``(title, command)``, e.g. Status).
    """
    try:
        preview = preview_from_dict(operation.preview) if operation.preview else None
    except (KeyError, TypeError, ValueError):  # kept by another version: the card shows the facts only
        preview = None
    details = [("Operation", operation.id)]
    if operation.correlation_id:
        details.append(("ARM correlation id", operation.correlation_id))
    duration = operation.duration()
    if duration is not None and operation.terminal:
        details.append(("Took", _duration(duration)))
    return request_card(
        action, CARD_STATES[operation.state], requester_name=operation.requester_name or "someone",
        args=arg_facts(action, operation.labels), preview=preview, by=operation.requester_name,
        message=card_message(operation, now), details=details, commands=commands,
    )


class OperationJournal:
    """Audit records and notices of operations (see the module docstring).

    :param audit: the audit trail (``TableAuditStore``).
    :param notifier: where notices go (the Teams notifier; a recording fake in tests).
    :param registry: the action catalog (the request's card is rendered from its action's declaration).
    :param events: the telemetry emitter of audit records.
    :param clock: current UTC time (aware).
    :param undoable: whether the action of this name declares how it is undone (the card of a
        succeeded operation offers Undo only then).
    """

    def __init__(
        self,
        audit: AuditStore,
        notifier: Notifier,
        registry: Registry,
        *,
        events: AuditEventEmitter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        undoable: Callable[[str], bool] = lambda action: False,
    ) -> None:
        self._audit = audit
        self.notifier = notifier
        self._registry = registry
        self._events = events or AuditEventEmitter()
        self._clock = clock
        self._undoable = undoable

    async def record(
        self, operation: Operation, kind: AuditKind, *, decision: str = "", details: Mapping[str, str] | None = None,
        actor: str = "",
    ) -> None:
        """Append one audit record about ``operation`` (logged, never raised, when the trail is unavailable).

        ``actor``: who did it (an Entra object id); default the operation's requester."""
        record = AuditRecord(
            id=uuid.uuid4().hex,
            at=self._clock(),
            kind=kind,
            actor=actor or operation.requester_key or SYSTEM_ACTOR,
            action=operation.action,
            scope=operation.resource_id,
            request_id=operation.request_id,
            correlation_id=operation.correlation_id,
            decision=decision or operation.state.value,
            details={"operation_id": operation.id, "state": operation.state.value, **(details or {})},
        )
        try:
            await self._audit.append(record)
        except Exception:
            _log.error("operation %s: the audit record (%s) could not be written", operation.id, kind.value,
                        exc_info=True)
        try:
            self._events.emit(record)
        except Exception:  # telemetry never stops an operation
            _log.warning("operation %s: the audit event could not be emitted", operation.id, exc_info=True)

    def card(self, operation: Operation, now: datetime | None = None) -> Json | None:
        """The request's card as it shows ``operation`` now (:func:`operation_card`), with a Status
        button and, once it succeeded, an Undo button when its action can be undone; None when its
        action no longer exists."""
        action = self._registry.get(operation.action)
        if action is None:
            return None
        commands = [("Status", f"status {operation.id}")]
        if operation.state is OperationState.SUCCEEDED and self._undoable(operation.action):
            commands.append(("Undo", f"undo {operation.id}"))
        return operation_card(action, operation, now or self._clock(), commands=commands)

    async def show(self, operation: Operation) -> None:
        """The request's card updated in place to show ``operation`` as it is now (its outcome once
        ended, else its progress); a failed update is audited."""
        await self._audit_failures(operation, await self._update_card(operation, "card"))

    async def tell_outcome(self, operation: Operation) -> None:
        """The outcome as one short reply in the requester's conversation (the thread they asked in),
        and in place on the request's card."""
        text = outcome_text(operation)
        receipts = [("reply", await self._deliver(self.notifier.send(operation.conversation, Notice(text=text))))]
        receipts.extend(await self._update_card(operation, "card"))
        await self._audit_failures(operation, receipts)

    async def tell_progress(self, operation: Operation, now: datetime) -> None:
        """Progress on the request's card (the caller keeps this to one update every few seconds)."""
        await self._audit_failures(operation, await self._update_card(operation, "progress", now))

    async def _update_card(
        self, operation: Operation, what: str, now: datetime | None = None
    ) -> list[tuple[str, NoticeReceipt | None]]:
        if not operation.card_activity_id:
            return []
        card = self.card(operation, now)
        if card is None:
            _log.warning("operation %s: action %s no longer exists; its card is left as it was", operation.id,
                         operation.action)
            return []
        update = self.notifier.update(operation.conversation, operation.card_activity_id, Notice(card=card))
        return [(what, await self._deliver(update))]

    async def tell(self, operation: Operation, conversation: Mapping[str, Any], text: str, what: str) -> None:
        """Any other message about ``operation`` into ``conversation`` (its failure audited as ``what``)."""
        receipt = await self._deliver(self.notifier.send(conversation, Notice(text=text)))
        await self._audit_failures(operation, [(what, receipt)])

    async def record_approval(self, approval: ApprovalRequest, kind: AuditKind, decision: str) -> None:
        """Append one audit record about an approval request the sweeper changed (logged, never raised)."""
        record = AuditRecord(
            id=uuid.uuid4().hex, at=self._clock(), kind=kind, actor=SYSTEM_ACTOR, action=approval.action,
            scope=approval.resource_id, request_id=approval.id, correlation_id=approval.correlation_id,
            decision=decision, details={"by": "sweeper"},
        )
        try:
            await self._audit.append(record)
        except Exception:
            _log.error("approval %s: the audit record (%s) could not be written", approval.id, kind.value,
                        exc_info=True)

    async def offer(self, operation: Operation, text: str, buttons: list[tuple[str, str]]) -> None:
        """A card in the requester's conversation with ``text`` and one-off ``buttons`` (``(title,
        command)``); a failed delivery is audited (the text was also the turn's answer)."""
        card = notice_card(f"Busy: {operation.target}", text, tone=Tone.WARNING, footer=f"Operation {operation.id}",
                           buttons=buttons, keep=False)
        receipt = await self._deliver(self.notifier.send(operation.conversation, Notice(card=card)))
        await self._audit_failures(operation, [("offer", receipt)])

    async def send(self, conversation: Mapping[str, Any], text: str) -> NoticeReceipt | None:
        """A message into ``conversation``; the receipt (None if the notifier raised). Failures are logged."""
        receipt = await self._deliver(self.notifier.send(conversation, Notice(text=text)))
        if receipt is None or not receipt.delivered:
            _log.warning("a notice was not delivered (%s)", "error" if receipt is None else receipt.status.value)
        return receipt

    async def send_to_user(self, user_key: str, text: str) -> NoticeReceipt | None:
        """A message into ``user_key``'s personal chat; the receipt (None if the notifier raised)."""
        receipt = await self._deliver(self.notifier.send_to_user(user_key, Notice(text=text)))
        if receipt is None or not receipt.delivered:
            _log.warning("a personal notice was not delivered (%s)", receipt.status.value if receipt else "error")
        return receipt

    async def _deliver(self, sending: Any) -> NoticeReceipt | None:
        try:
            result: NoticeReceipt = await sending
        except Exception:  # the port never raises; an implementation that does must not end the operation
            _log.error("the notifier raised instead of returning a receipt", exc_info=True)
            return None
        return result

    async def _audit_failures(self, operation: Operation, receipts: list[tuple[str, NoticeReceipt | None]]) -> None:
        for what, receipt in receipts:
            if receipt is not None and receipt.delivered:
                continue
            status = "error" if receipt is None else receipt.status.value
            _log.warning("operation %s: the %s notice was not delivered (%s)", operation.id, what, status)
            await self.record(
                operation, AuditKind.NOTICE_FAILED, decision=status,
                details={"notice": what, "reason": (receipt.reason or "") if receipt else "the notifier raised"},
            )
