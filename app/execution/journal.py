"""The operations' audit trail and notices: what the worker, the sweeper and the queued handler tell.

:class:`OperationJournal` appends an :class:`~guardrails.records.AuditRecord` for each state change
(execution started, ended) and each notice that could not be delivered — with the operation id
and the ARM correlation id — to the audit store and as a telemetry event; and it sends the
notices through the :class:`~requesting.Notifier` port. Neither an audit failure nor a notice
failure ever changes an operation's outcome: both are logged (and a failed notice audited).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cards.elements import Tone
from cards.notices import notice_card
from guardrails.ports import AuditStore
from guardrails.records import ApprovalRequest, AuditKind, AuditRecord
from operations import Operation, OperationState
from requesting import Notice, NoticeReceipt, NoticeStatus, Notifier
from telemetry.audit_events import AuditEventEmitter

__all__ = ["NoNotifier", "OperationJournal", "outcome_text", "progress_text"]

_log = logging.getLogger("switchboard.operations")

SYSTEM_ACTOR = "system"

_TONES = {
    OperationState.SUCCEEDED: Tone.GOOD,
    OperationState.FAILED: Tone.ATTENTION,
    OperationState.TIMED_OUT: Tone.WARNING,
    OperationState.CANCELLED: Tone.DEFAULT,
    OperationState.QUEUED: Tone.ACCENT,
    OperationState.RUNNING: Tone.ACCENT,
}
_TITLES = {
    OperationState.SUCCEEDED: "Done",
    OperationState.FAILED: "Failed",
    OperationState.TIMED_OUT: "Timed out",
    OperationState.CANCELLED: "Cancelled",
    OperationState.QUEUED: "Queued",
    OperationState.RUNNING: "In progress",
}


def _duration(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def outcome_text(operation: Operation) -> str:
    """The requester's message for an ended operation (names the operation; never exception text)."""
    name = f"Operation {operation.id}"
    if operation.state is OperationState.SUCCEEDED:
        return f"{name}: {operation.message or operation.title + ' — done.'}"
    if operation.state is OperationState.FAILED:
        return (
            f"{name} failed: {operation.error or operation.message} "
            f"It may have partly happened: check {operation.target} before trying again."
        )
    if operation.state is OperationState.TIMED_OUT:
        return (
            f"{name} did not finish within {_duration(operation.timeout)}. Azure may still complete it: "
            f"check {operation.target} before trying again."
        )
    return f"{name} was cancelled before anything was sent to Azure: {operation.message} Nothing was changed."


def progress_text(operation: Operation, now: datetime) -> str:
    """What the card shows while the operation runs: the platform's words, else the elapsed time."""
    start = operation.intent_at or operation.created_at
    return f"{operation.message or operation.title} (running for {_duration(now - start)})"


class NoNotifier:
    """A :class:`~requesting.Notifier` that delivers nothing (every notice ``FAILED``, logged): what the
    composition uses until it is given the Teams notifier. Outcomes stand; the failed notices are audited."""

    async def send(self, conversation: Mapping[str, Any], notice: Notice) -> NoticeReceipt:
        return NoticeReceipt(NoticeStatus.FAILED, reason="no notifier configured")

    async def update(self, conversation: Mapping[str, Any], activity_id: str, notice: Notice) -> NoticeReceipt:
        return NoticeReceipt(NoticeStatus.FAILED, reason="no notifier configured")

    async def send_to_user(self, user_key: str, notice: Notice) -> NoticeReceipt:
        return NoticeReceipt(NoticeStatus.FAILED, reason="no notifier configured")


class OperationJournal:
    """Audit records and notices of operations (see the module docstring).

    :param audit: the audit trail (``TableAuditStore``).
    :param notifier: where notices go (the Teams notifier; a recording fake in tests).
    :param events: the telemetry emitter of audit records.
    :param clock: current UTC time (aware).
    :param undoable: whether the action of this name declares how it is undone (the card of a
        succeeded operation offers Undo only then).
    """

    def __init__(
        self,
        audit: AuditStore,
        notifier: Notifier,
        *,
        events: AuditEventEmitter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        undoable: Callable[[str], bool] = lambda action: False,
    ) -> None:
        self._audit = audit
        self.notifier = notifier
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

    def card(self, operation: Operation, text: str) -> Mapping[str, Any]:
        """The request's card as it shows the operation now (updated in place): with a Status button,
        and once it succeeded an Undo button when its action can be undone."""
        footer = f"Operation {operation.id}"
        if operation.correlation_id:
            footer += f" · ARM correlation id {operation.correlation_id}"
        buttons = [("Status", f"status {operation.id}")]
        if operation.state is OperationState.SUCCEEDED and self._undoable(operation.action):
            buttons.append(("Undo", f"undo {operation.id}"))
        return notice_card(
            f"{_TITLES[operation.state]}: {operation.title or operation.target}", text,
            tone=_TONES[operation.state], footer=footer, buttons=buttons,
        )

    async def show(self, operation: Operation) -> None:
        """The request's card updated in place to show ``operation`` as it is now (its outcome once
        ended, else its progress); a failed update is audited."""
        if not operation.card_activity_id:
            return
        text = outcome_text(operation) if operation.terminal else progress_text(operation, self._clock())
        notice = Notice(card=self.card(operation, text))
        receipt = await self._deliver(self.notifier.update(operation.conversation, operation.card_activity_id, notice))
        await self._audit_failures(operation, [("card", receipt)])

    async def tell_outcome(self, operation: Operation) -> None:
        """The outcome as a reply in the requester's conversation and on the request's card."""
        text = outcome_text(operation)
        receipts = [("reply", await self._deliver(self.notifier.send(operation.conversation, Notice(text=text))))]
        if operation.card_activity_id:
            notice = Notice(card=self.card(operation, text))
            update = self.notifier.update(operation.conversation, operation.card_activity_id, notice)
            receipts.append(("card", await self._deliver(update)))
        await self._audit_failures(operation, receipts)

    async def tell_progress(self, operation: Operation, now: datetime) -> None:
        """Progress on the request's card (the caller keeps this to one update every few seconds)."""
        if not operation.card_activity_id:
            return
        notice = Notice(card=self.card(operation, progress_text(operation, now)))
        receipt = await self._deliver(self.notifier.update(operation.conversation, operation.card_activity_id, notice))
        await self._audit_failures(operation, [("progress", receipt)])

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
