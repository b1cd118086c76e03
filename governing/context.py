"""What the guarded request path shares: stores, clock, notifier, the audit trail and the approval card view.

:class:`Governance` bundles the process's guardrail stores (Table Storage), the audit event
emitter, the :class:`~requesting.Notifier` port, the configured approvers' channel, the rate
limit and the clock. Its :meth:`Governance.audit` appends audit records (all in parallel) and then
emits each as an Application Insights custom event; :meth:`Governance.later` runs the slow,
platform-bound follow-ups of a turn (approval cards, refreshes, the hand-off after a quorum) off the
turn so that an invoke is answered at once, and :meth:`Governance.drain` waits for them (tests,
shutdown).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from actions.spec import ArgValue, Preview, Scope
from guardrails.records import ApprovalRequest, ApprovalStatus, AuditKind, AuditRecord, RateLimit, VoteChoice
from requesting import Notice, NoticeReceipt, Notifier, Request, Requester
from storage.approval_cards import CardCopy, TableApprovalCardStore
from storage.approvals import TableApprovalStore
from storage.audit import TableAuditStore
from storage.guardrail_rows import gather_all
from storage.policy_snapshot import PolicySnapshotReader
from storage.rate_counters import TableRateCounter
from telemetry.audit_events import AuditEventEmitter

__all__ = [
    "MAX_REFRESH_USERS",
    "ApprovalCardRenderer",
    "ApprovalView",
    "Clock",
    "Governance",
    "Previewer",
    "before_values",
    "request_of",
    "standing",
    "teams_user_id",
]

_log = logging.getLogger("switchboard.governing")

MAX_REFRESH_USERS = 60
"""Teams' limit on ``refresh.userIds`` of a Universal Actions card."""

Clock = Callable[[], datetime]
Previewer = Callable[[Request], Awaitable[Preview]]
"""Re-computes a request's preview now (the action's ``preview`` against live state); raises
``actions.spec.ActionError`` when the action refuses (e.g. the resource is gone)."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def teams_user_id(object_id: str) -> str:
    """The Teams user id (MRI) of an Entra object id, as ``refresh.userIds`` names people: ``8:orgid:<oid>``."""
    return f"8:orgid:{object_id}"


@dataclass(frozen=True)
class ApprovalView:
    """One viewer's view of an approval request's card.

    ``approvers``: the Teams user ids (:func:`teams_user_id`, at most :data:`MAX_REFRESH_USERS`) whose
    clients refresh the card to their own view (``refresh.userIds``); ``can_vote``: show Approve /
    Reject (the viewer may still vote); ``status``: where it stands (:func:`standing`); ``notice``:
    a message for this viewer (e.g. why their vote was refused); ``requester_view``: the
    requester's copy (no buttons, says what happens next).
    """

    approval: ApprovalRequest
    status: str
    approvers: tuple[str, ...] = ()
    can_vote: bool = False
    notice: str = ""
    requester_view: bool = False


class ApprovalCardRenderer(Protocol):
    """Builds the Adaptive Card (JSON) of an :class:`ApprovalView` (``cards.approvals.approval_card``)."""

    def __call__(self, view: ApprovalView) -> dict[str, Any]: ...


def _who(name: str, object_id: str) -> str:
    return name or object_id


def standing(approval: ApprovalRequest, quorum: int | None = None) -> str:
    """Where ``approval`` stands, for its card: e.g. ``Approved by Megan Bowen at 2026-11-30 10:02 UTC;
    waiting for 1 more (2 needed).`` ``quorum``: the current rule's (default: the request's)."""
    needed = quorum or approval.quorum
    approvals = [f"{_who(v.voter_name, v.voter_id)} at {v.at:%Y-%m-%d %H:%M} UTC" for v in approval.approvals]
    by = f"Approved by {', '.join(approvals)}" if approvals else "No approvals yet"
    status = approval.status
    if status is ApprovalStatus.PENDING:
        missing = max(needed - len(approvals), 1)
        return f"{by}; waiting for {missing} more ({needed} needed). Expires {approval.expires_at:%Y-%m-%d %H:%M} UTC."
    if status is ApprovalStatus.APPROVED:
        return f"{by}: approved."
    if status is ApprovalStatus.REJECTED:
        rejection = next((v for v in approval.votes if v.choice is VoteChoice.REJECT), None)
        if rejection is None:  # pragma: no cover - a rejected request carries its rejection
            return "Rejected."
        said = f": {rejection.comment}" if rejection.comment else "."
        who = _who(rejection.voter_name, rejection.voter_id)
        return f"Rejected by {who} at {rejection.at:%Y-%m-%d %H:%M} UTC{said}"
    if status is ApprovalStatus.EXPIRED:
        return f"{by}; expired at {approval.expires_at:%Y-%m-%d %H:%M} UTC without enough approvals."
    return "Cancelled by the requester."


def before_values(preview: Preview) -> dict[str, int]:
    """The resource's current integer values (parameter -> value) from a preview, for relative limits."""
    return {
        name: value for name, value in preview.before.items() if isinstance(value, int) and not isinstance(value, bool)
    }


def request_of(approval: ApprovalRequest) -> Request:
    """The :class:`~requesting.Request` an approval request keeps, rebuilt to hand on after a quorum.

    The requester's channel id and the request's card come from the stored conversation reference
    (``user.id``, ``activityId``); their Entra object id is the approval's requester.
    """
    conversation = dict(approval.conversation)
    user = conversation.get("user") if isinstance(conversation.get("user"), Mapping) else {}
    args: dict[str, ArgValue] = dict(approval.args)
    return Request(
        id=approval.id,
        action=approval.action,
        args=args,
        scope=Scope(approval.action, approval.resource_id),
        requester=Requester(
            user_id=str(user.get("id") or approval.requester_id),
            name=approval.requester_name or str(user.get("name") or ""),
            aad_object_id=approval.requester_id,
            tenant_id=str((conversation.get("conversation") or {}).get("tenantId") or "") or None,
        ),
        conversation=conversation,
        preview=approval.preview,
        created_at=approval.created_at,
        card_activity_id=str(conversation.get("activityId") or "") or None,
        reason=approval.reason or None,
    )


@dataclass
class Governance:
    """The guardrail stores and ports the guarded request path uses (one per process).

    :param reader: reads the active policy for one decision in one round.
    :param approvals: approval requests (ETag hand-off with ``update``).
    :param cards: where each approval card copy was posted (to refresh it).
    :param audit_store: the append-only audit trail; ``events`` emits each record as a custom event.
    :param rate: per-person request counters; ``rate_limit`` the window and maximum.
    :param notifier: messages outside a turn (approval cards, the requester told of a decision).
    :param render_card: the approval card's layout.
    :param approvers_channel: gives the serialized conversation reference of a channel that gets
        every approval card too (None, or it gives None: approvers' personal chats only).
    :param clock: the current UTC time (tests pass a fixed or stepping clock).
    """

    reader: PolicySnapshotReader
    approvals: TableApprovalStore
    cards: TableApprovalCardStore
    audit_store: TableAuditStore
    rate: TableRateCounter
    notifier: Notifier
    render_card: ApprovalCardRenderer
    events: AuditEventEmitter = field(default_factory=AuditEventEmitter)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    approvers_channel: Callable[[], Awaitable[Mapping[str, Any] | None]] | None = None
    clock: Clock = _utcnow
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    def now(self) -> datetime:
        """The clock's time, checked to be timezone-aware."""
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must give timezone-aware times")
        return moment

    @staticmethod
    def record(kind: AuditKind, *, actor: str, at: datetime, **fields: Any) -> AuditRecord:
        """A new audit record with a fresh id (``a-`` and 24 hex digits)."""
        return AuditRecord(id="a-" + secrets.token_hex(12), at=at, kind=kind, actor=actor or "unknown", **fields)

    async def audit(self, records: Iterable[AuditRecord], *also: Awaitable[Any]) -> list[Any]:
        """Append ``records`` (and await ``also``, e.g. the rate counter) in one parallel round, then emit
        each record as a custom event. Raises the stores' errors; a record is emitted only once stored."""
        batch = list(records)
        results = await gather_all([*(self.audit_store.append(r) for r in batch), *also])
        for record in batch:
            self.events.emit(record)
        return results[len(batch):]

    def later(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``work`` after this turn's answer (approval cards, refreshes, the hand-off); a failure is
        logged with ``what``, never raised into a turn."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                _log.exception("background work failed: %s", what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until the background work started so far (and any it started) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def channel(self) -> Mapping[str, Any] | None:
        """The approvers' channel's conversation reference, or None (none configured, or not known yet)."""
        if self.approvers_channel is None:
            return None
        try:
            return await self.approvers_channel()
        except Exception:
            _log.warning("the approvers' channel could not be looked up", exc_info=True)
            return None

    def view(
        self, approval: ApprovalRequest, approvers: Sequence[str], *, can_vote: bool, notice: str = "",
        requester_view: bool = False, quorum: int | None = None,
    ) -> dict[str, Any]:
        """The approval card of ``approval`` for one viewer (see :class:`ApprovalView`)."""
        ids = tuple(teams_user_id(oid) for oid in approvers if oid != approval.requester_id)[:MAX_REFRESH_USERS]
        return self.render_card(ApprovalView(
            approval=approval, status=standing(approval, quorum), approvers=ids, can_vote=can_vote,
            notice=notice, requester_view=requester_view,
        ))

    async def send_card_copies(self, approval: ApprovalRequest, approvers: Sequence[str], text: str) -> int:
        """Post the approval card to each approver's personal chat and to the approvers' channel; record
        each delivered copy (to refresh it later). Returns how many copies were delivered."""
        card = self.view(approval, approvers, can_vote=True)
        notice = Notice(text=text, card=card)
        targets = [a for a in dict.fromkeys(approvers) if a != approval.requester_id]
        sends = [self.notifier.send_to_user(oid, notice) for oid in targets]
        channel = await self.channel()
        if channel is not None:
            sends.append(self.notifier.send(channel, notice))
        receipts: list[NoticeReceipt] = list(await asyncio.gather(*sends))
        delivered = 0
        for receipt in receipts:
            if not receipt.delivered:
                _log.info("an approval card of %s was not delivered (%s)", approval.id, receipt.status.value)
                continue
            delivered += 1
            if receipt.activity_id and receipt.conversation is not None:
                try:
                    await self.cards.add(approval.id, CardCopy(receipt.conversation, receipt.activity_id))
                except Exception:
                    _log.warning("a delivered approval card copy of %s was not recorded", approval.id, exc_info=True)
        return delivered

    async def refresh_copies(self, approval: ApprovalRequest, approvers: Sequence[str], *, can_vote: bool) -> None:
        """Update every recorded copy of the approval card to the request's current state."""
        copies = await self.cards.copies(approval.id)
        notice = Notice(card=self.view(approval, approvers, can_vote=can_vote))
        await asyncio.gather(*(self.notifier.update(c.conversation, c.activity_id, notice) for c in copies))

    async def update_requester_card(self, approval: ApprovalRequest, approvers: Sequence[str]) -> None:
        """Show where the request stands on the requester's card of it (when the dialogs recorded its id)."""
        conversation = dict(approval.conversation)
        card_id = str(conversation.get("activityId") or "")
        if conversation and card_id:
            card = self.view(approval, approvers, can_vote=False, requester_view=True)
            await self.notifier.update(conversation, card_id, Notice(card=card))

    async def tell_requester(self, approval: ApprovalRequest, approvers: Sequence[str], text: str) -> None:
        """Update the requester's card of this request (when known) and send them ``text``."""
        conversation = dict(approval.conversation)
        if not conversation:
            return
        await self.update_requester_card(approval, approvers)
        await self.notifier.send(conversation, Notice(text=text))
