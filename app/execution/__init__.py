"""Execution through the operation queue: the queued request handler, the worker and the sweeper.

These services join the operations domain (``operations/``), the storage adapters (operations,
leases, the queue, the audit trail, approvals), the action catalog, the telemetry emitter and the
notifier port — which only the composition root may import together, so they live here in
``app/``. :func:`build_execution` builds them over one table provider; ``function_app.py``'s queue
and timer functions reach them through :class:`app.runtime.SwitchboardRuntime`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from actions.context import ActionContext
from actions.registry import Registry
from app.execution.handler import QueuedRequestHandler
from app.execution.journal import OperationJournal
from app.execution.sweeper import Sweeper, SweeperOptions, SweepReport
from app.execution.worker import OperationWorker, WorkerOptions
from governing.undoing import undoable
from operations import Operation
from operations.messages import OPERATIONS_QUEUE  # its poison queue: OPERATIONS_POISON_QUEUE
from requesting import Notifier
from storage import (
    DeliveryLedger,
    OperationQueue,
    TableApprovalStore,
    TableApproverRuleStore,
    TableAuditStore,
    TableGroupStore,
    TableLeaseStore,
    TableOperationStore,
    TableProvider,
)

__all__ = [
    "CONFIRM_TURN_MARGIN",
    "OPERATIONS_QUEUE",
    "Execution",
    "OperationJournal",
    "OperationWorker",
    "QueuedRequestHandler",
    "SweepReport",
    "Sweeper",
    "SweeperOptions",
    "WorkerOptions",
    "build_execution",
]


CONFIRM_TURN_MARGIN = 2
"""Seconds an operation's first queue message stays invisible: the confirm turn's own card update
("queued") goes out first, so the worker's updates — even an outcome that comes at once — come after it."""


@dataclass
class Execution:
    """The queued handler, the worker and the sweeper of one process, over shared stores."""

    handler: QueuedRequestHandler
    worker: OperationWorker
    sweeper: Sweeper
    operations: TableOperationStore
    leases: TableLeaseStore
    queue: OperationQueue
    journal: OperationJournal
    audit: TableAuditStore

    async def close(self) -> None:
        """Close the queue client (the table provider is closed by its owner)."""
        await self.queue.close()


def build_execution(
    *,
    tables: TableProvider,
    queue: OperationQueue,
    registry: Registry,
    actions: ActionContext,
    notifier: Notifier,
    deliveries: DeliveryLedger,
    worker_options: WorkerOptions | None = None,
    sweeper_options: SweeperOptions | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    after_start: Callable[[Operation], Awaitable[None]] | None = None,
    table_prefix: str = "",
    start_delay: int = 0,
) -> Execution:
    """Build the executor (:class:`QueuedRequestHandler`), the worker and the sweeper (no I/O here).

    ``table_prefix`` prefixes the operations' own tables (tests keep theirs apart); ``clock`` is
    every part's time (tests pass a controllable one); ``after_start``: see :class:`OperationWorker`;
    ``start_delay``: see :class:`QueuedRequestHandler` (the composition root passes
    :data:`CONFIRM_TURN_MARGIN`).
    """
    operations = TableOperationStore(tables, table_name=f"{table_prefix}operations")
    leases = TableLeaseStore(tables, table_name=f"{table_prefix}leases", clock=clock)
    audit = TableAuditStore(tables, table_name=f"{table_prefix}audit")
    journal = OperationJournal(
        audit, notifier, registry, clock=clock, undoable=lambda name: undoable(registry, name)
    )
    worker = OperationWorker(
        operations=operations, leases=leases, queue=queue, registry=registry, actions=actions, journal=journal,
        options=worker_options, clock=clock, after_start=after_start,
    )
    sweeper = Sweeper(
        operations=operations, leases=leases, worker=worker, journal=journal,
        approvals=TableApprovalStore(tables, table_name=f"{table_prefix}approvals"),
        approver_rules=TableApproverRuleStore(tables, table_name=f"{table_prefix}approverrules"),
        groups=TableGroupStore(tables, table_name=f"{table_prefix}groups"),
        deliveries=deliveries, options=sweeper_options, clock=clock,
    )
    handler = QueuedRequestHandler(
        registry, operations=operations, leases=leases, queue=queue, journal=journal, clock=clock,
        start_delay=start_delay,
    )
    return Execution(handler, worker, sweeper, operations, leases, queue, journal, audit)
