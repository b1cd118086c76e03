"""The sweeper: the timer-triggered housekeeping of operations, leases and approval requests.

Each run (every minute, ``function_app.py``'s timer):

1. **expires** pending approval requests past their expiry (pending → expired, one ETag-conditional
   write: of two sweepers only the one whose write wins tells the requester);
2. **reminds** the approvers of requests pending longer than ``remind_after``, at most once per
   ``remind_every`` per request (a reminder claim is a lease row with that lifetime: one insert
   wins, on any number of instances);
3. **times out** running operations past their action's limit and tells the requester, and
   **re-kicks** operations whose next step is long overdue (a lost message) with a fresh message;
4. **reclaims** expired resource leases; and
5. **purges** expired delivery-ledger rows (``DeliveryLedger.purge_expired``).

Every change is conditional on what was read, so two instances running at once do each thing once.
A failure in one part is logged and the others still run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from app.execution.journal import OperationJournal
from app.execution.worker import OperationWorker
from guardrails.ports import ApproverRuleStore, GroupStore, RecordNotFound
from guardrails.records import ApprovalRequest, ApprovalStatus, AuditKind, PrincipalKind
from operations import OperationState
from storage import DeliveryLedger, TableApprovalStore, TableLeaseStore, TableOperationStore

__all__ = ["SweepReport", "Sweeper", "SweeperOptions"]

_log = logging.getLogger("switchboard.sweeper")


@dataclass(frozen=True)
class SweeperOptions:
    """``remind_after``: a pending request older than this reminds its approvers; ``remind_every``:
    at most one reminder per request per this interval; ``stall_grace``: an operation whose next
    step is this much overdue gets a fresh message."""

    remind_after: timedelta = timedelta(hours=1)
    remind_every: timedelta = timedelta(hours=4)
    stall_grace: timedelta = timedelta(minutes=5)


@dataclass
class SweepReport:
    """What one run did (ids), for the log and the tests."""

    expired_approvals: list[str] = field(default_factory=list)
    reminded_approvals: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)
    rekicked: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # held operations nobody chose to queue: cancelled
    reclaimed_leases: list[str] = field(default_factory=list)
    purged_deliveries: int = 0
    errors: list[str] = field(default_factory=list)


class Sweeper:
    """One sweep per call of :meth:`sweep` (see the module docstring)."""

    def __init__(
        self,
        *,
        operations: TableOperationStore,
        leases: TableLeaseStore,
        worker: OperationWorker,
        journal: OperationJournal,
        approvals: TableApprovalStore,
        approver_rules: ApproverRuleStore,
        groups: GroupStore,
        deliveries: DeliveryLedger,
        options: SweeperOptions | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._operations = operations
        self._leases = leases
        self._worker = worker
        self._journal = journal
        self._approvals = approvals
        self._rules = approver_rules
        self._groups = groups
        self._deliveries = deliveries
        self.options = options or SweeperOptions()
        self._clock = clock

    async def sweep(self) -> SweepReport:
        """Run every part once; a part that fails is logged (and named in the report), the rest still run."""
        report = SweepReport()
        for name, part in (
            ("approvals", self._sweep_approvals),
            ("operations", self._sweep_operations),
            ("leases", self._sweep_leases),
            ("deliveries", self._sweep_deliveries),
        ):
            try:
                await part(report)
            except Exception:
                _log.exception("sweeper: the %s part failed", name)
                report.errors.append(name)
        _log.info(
            "sweep: %d approvals expired, %d reminded, %d operations timed out, %d re-queued, %d leases reclaimed, "
            "%d delivery rows purged",
            len(report.expired_approvals), len(report.reminded_approvals), len(report.timed_out),
            len(report.rekicked), len(report.reclaimed_leases), report.purged_deliveries,
        )
        return report

    # ------------------------------------------------------------------ approvals
    async def _sweep_approvals(self, report: SweepReport) -> None:
        now = self._clock()
        for approval in await self._approvals.by_status(ApprovalStatus.PENDING, limit=1000):
            if approval.expires_at <= now:
                if await self._expire(approval):
                    report.expired_approvals.append(approval.id)
            elif now - approval.created_at >= self.options.remind_after and await self._remind(approval, now):
                report.reminded_approvals.append(approval.id)

    async def _expire(self, approval: ApprovalRequest) -> bool:
        now = self._clock()

        def change(current: ApprovalRequest) -> tuple[ApprovalRequest | None, None]:
            if current.status is not ApprovalStatus.PENDING or current.expires_at > now:
                return None, None
            return replace(current, status=ApprovalStatus.EXPIRED, decided_at=now), None

        try:
            update = await self._approvals.update(approval.id, change)
        except RecordNotFound:
            return False
        if not update.written:
            return False
        await self._journal.record_approval(update.after, AuditKind.APPROVAL_DECIDED, "expired")
        if update.after.conversation:
            await self._journal.send(
                update.after.conversation,
                f"Your request “{approval.preview.title or approval.preview.target}” expired before enough "
                "approvers answered. Nothing was changed; ask again if it is still needed.",
            )
        return True

    async def _remind(self, approval: ApprovalRequest, now: datetime) -> bool:
        claim = await self._leases.acquire(
            f"reminder/{approval.id}", f"sweep-{uuid.uuid4().hex[:12]}", self.options.remind_every
        )
        if not claim.acquired:
            return False  # reminded within the interval (by this or another instance)
        approvers = await self._approvers(approval)
        waited = int((now - approval.created_at).total_seconds() // 60)
        text = (
            f"Reminder: {approval.requester_name or 'someone'} has waited {waited} min for approval of "
            f"“{approval.preview.title or approval.preview.target}” (request {approval.id}). "
            "Open the approval card to approve or reject it."
        )
        for user in sorted(approvers - {approval.requester_id}):
            await self._journal.send_to_user(user, text)
        return True

    async def _approvers(self, approval: ApprovalRequest) -> set[str]:
        rules = [rule for rule in await self._rules.all() if rule.id == approval.rule_id]
        users: set[str] = set()
        for rule in rules:
            for principal in rule.approvers:
                if principal.kind is PrincipalKind.USER:
                    users.add(principal.id)
                else:
                    try:
                        users.update((await self._groups.get(principal.id)).members)
                    except RecordNotFound:
                        continue
        return users

    # ------------------------------------------------------------------ operations, leases, ledger
    async def _sweep_operations(self, report: SweepReport) -> None:
        now = self._clock()
        for stored in await self._operations.active():
            operation = stored.record
            deadline = operation.deadline
            if operation.state is OperationState.RUNNING and deadline is not None and now >= deadline:
                if await self._worker.expire(stored):
                    report.timed_out.append(operation.id)
                continue
            if operation.held:  # no message exists until its requester chooses: never re-kicked
                if operation.held_until is not None and now >= operation.held_until and \
                        await self._worker.drop_held(stored):
                    report.dropped.append(operation.id)
                continue
            due = operation.next_check_at or operation.created_at
            if now - due >= self.options.stall_grace and await self._worker.rekick(stored):
                report.rekicked.append(operation.id)

    async def _sweep_leases(self, report: SweepReport) -> None:
        for lease in await self._leases.reclaim_expired():
            report.reclaimed_leases.append(lease.resource_id)

    async def _sweep_deliveries(self, report: SweepReport) -> None:
        report.purged_deliveries = await self._deliveries.purge_expired()
