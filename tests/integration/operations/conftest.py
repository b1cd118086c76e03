"""Fixtures for the operations tests: the real parts — tables and queues on the session's Azurite,
the actions against the ARM sandbox — with a controllable clock and a recording notifier (the
notifier port is the true external boundary: the Teams edge implements it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from actions.context import ActionContext, ClientOptions
from actions.registry import Registry, default_registry
from actions.settings import ArmSettings
from app.execution import Execution, SweeperOptions, WorkerOptions, build_execution
from app.runtime import OPERATIONS_QUEUE
from operations import Operation
from requesting import Request, Requester
from storage import DeliveryLedger, OperationQueue, StoredOperation, TableProvider
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.card_checks import card_validator
from tests.support.operations import Clock, QueueDriver, RecordingNotifier
from tests.support.table_storage import FAST

FAST_CLIENTS = ClientOptions(polling_interval=0.02, retry_total=2, retry_backoff_factor=0.01, retry_backoff_max=0.05)
AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/Microsoft.ContainerService"
    "/managedClusters/aks-prod"
)
CONVERSATION = {"conversation": {"id": "19:ops@thread.tacv2"}, "serviceUrl": "https://smba.example/emea/"}
FAST_WORKER = WorkerOptions(initial_poll_delay=0, max_poll_delay=1, lease_wait=1)


@dataclass
class Harness:
    """One worker "process": its execution (handler, worker, sweeper), notifier and queue driver."""

    execution: Execution
    notifier: RecordingNotifier
    driver: QueueDriver
    clock: Clock
    actions: ActionContext  # this worker's SDK clients (the tests preview requests with them)
    registry: Registry
    tables: TableProvider
    prefix: str  # of this test's tables

    async def operation(self, operation_id: str) -> Operation:
        stored = await self.execution.operations.get(operation_id)
        assert stored is not None
        return stored.record

    async def stored(self, operation_id: str) -> StoredOperation:
        stored = await self.execution.operations.get(operation_id)
        assert stored is not None
        return stored

    async def run_until_ended(self, *operation_ids: str) -> None:
        async def ended() -> bool:
            return all([(await self.operation(i)).terminal for i in operation_ids])

        await self.driver.run_until(ended)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def registry() -> Registry:
    return default_registry()


@pytest.fixture
async def make_harness(
    storage_connection_string: str, sandbox: SandboxHandle, registry: Registry, clock: Clock, unique_name: str
) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    """``await make_harness(**options)``: a worker with its own table provider, queue client and SDK
    clients over the test's shared tables and queue (call it twice: two workers)."""
    closers: list[Callable[[], Awaitable[Any]]] = []
    queue_name = f"ops{unique_name}"

    async def make(
        *, worker: WorkerOptions = FAST_WORKER, sweeper: SweeperOptions | None = None,
        after_start: Callable[[Operation], Awaitable[None]] | None = None, start_delay: int = 0,
    ) -> Harness:
        tables = TableProvider(connection_string=storage_connection_string, options=FAST)
        queue = OperationQueue(queue_name, connection_string=storage_connection_string)
        arm = ArmSettings(sandbox_url=sandbox.url, subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
                          resource_groups=frozenset({"rg-dev", "rg-prod"}), discovery_timeout_seconds=30.0)
        actions = ActionContext(arm, options=FAST_CLIENTS)
        notifier = RecordingNotifier()
        execution = build_execution(
            tables=tables, queue=queue, registry=registry, actions=actions, notifier=notifier,
            deliveries=DeliveryLedger(tables, table_name=f"d{unique_name}", clock=clock),
            worker_options=worker, sweeper_options=sweeper, clock=clock, after_start=after_start,
            table_prefix=f"t{unique_name}", start_delay=start_delay,
        )
        driver = QueueDriver(storage_connection_string, queue_name, execution.worker.handle,
                             poisoned=execution.worker.poisoned)
        closers.extend([driver.close, execution.close, actions.close, tables.close])
        return Harness(execution, notifier, driver, clock, actions, registry, tables, f"t{unique_name}")

    yield make
    for close in reversed(closers):
        await close()


@pytest.fixture
async def harness(make_harness: Callable[..., Awaitable[Harness]]) -> Harness:
    return await make_harness()


async def scale_request(
    actions: ActionContext, registry: Registry, *, count: int = 5, pool: str = "np1", card: str | None = "card-1"
) -> Request:
    """A confirmed request to scale aks-prod's pool to ``count``, previewed against the sandbox."""
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    args = {"cluster": AKS_PROD, "pool": pool, "count": count}
    preview = await action.preview(actions.for_turn(), args)
    return Request(
        id=uuid.uuid4().hex, action=action.name, args=args, scope=action.scope(args),
        requester=Requester("29:alex", "Alex", aad_object_id="oid-alex"), conversation=CONVERSATION,
        preview=preview, card_activity_id=card,
    )


def puts(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] == "PUT"]


__all__ = ["AKS_PROD", "CONVERSATION", "OPERATIONS_QUEUE", "Harness", "card_validator", "puts", "scale_request"]
