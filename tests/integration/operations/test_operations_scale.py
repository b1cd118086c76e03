"""200 operations at once, processed by two worker processes over one queue: none lost, none run
twice (the sandbox sees exactly one change request per scale set), every one told exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

from actions.context import ActionContext
from actions.registry import default_registry
from actions.settings import ArmSettings
from app.execution import build_execution
from operations import OperationState
from requesting import OutcomeState
from storage import DeliveryLedger, OperationQueue, TableClientOptions, TableProvider
from tests.support.arm_sandbox import running_sandbox
from tests.support.operations import RecordingNotifier
from tests.support.operations_scale import (
    SCALE_SUBSCRIPTION,
    estate_with_scale_sets,
    vmss_request,
    wait_for,
    worker_processes,
)

COUNT = 200
UNDER_LOAD = TableClientOptions(retry_total=3, read_timeout=20, operation_timeout=30)
"""Azurite on a loaded 2-core machine resets a connection now and then: retry as production does."""


async def test_two_hundred_operations_on_two_worker_processes_none_lost_none_doubled(
    storage_connection_string: str, unique_name: str, tmp_path: Path
) -> None:
    registry = default_registry()
    prefix, queue_name = f"t{unique_name}", f"scale{unique_name}"
    estate = estate_with_scale_sets(tmp_path / "estate.json", COUNT)
    with running_sandbox(operation_delay=0.05, estate_path=estate) as sandbox:
        tables = TableProvider(connection_string=storage_connection_string, options=UNDER_LOAD)
        queue = OperationQueue(queue_name, connection_string=storage_connection_string)
        actions = ActionContext(ArmSettings(sandbox_url=sandbox.url, subscriptions=(SCALE_SUBSCRIPTION,)))
        execution = build_execution(
            tables=tables, queue=queue, registry=registry, actions=actions, notifier=RecordingNotifier(),
            deliveries=DeliveryLedger(tables, table_name=f"d{unique_name}"), table_prefix=prefix,
        )
        try:
            with worker_processes(2, storage=storage_connection_string, queue=queue_name, prefix=prefix,
                                  sandbox_url=sandbox.url, folder=tmp_path) as notice_files:
                gate = asyncio.Semaphore(10)

                async def submit(index: int) -> str:
                    async with gate:
                        outcome = await execution.handler.submit(vmss_request(registry, index))
                    assert outcome.state is OutcomeState.QUEUED, outcome.message
                    return outcome.details["operation"]

                ids = await asyncio.gather(*(submit(i) for i in range(COUNT)))

                async def all_ended() -> bool:
                    return not await execution.operations.active(limit=1)

                await wait_for(all_ended, bound=300)
            states = Counter([(await execution.operations.get(i)).record.state for i in ids])  # type: ignore[union-attr]
            changes = Counter(r["path"].lower() for r in sandbox.requests() if r["method"] in ("PATCH", "PUT"))
        finally:
            await execution.close()
            await actions.close()
            await tables.close()

    assert len(set(ids)) == COUNT
    assert states == {OperationState.SUCCEEDED: COUNT}
    assert len(changes) == COUNT
    assert set(changes.values()) == {1}  # none run twice
    told = Counter()
    for path in notice_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["kind"] == "send":
                told[entry["text"].split(":")[0]] += 1
    assert told == Counter({f"Operation {i}": 1 for i in ids})
    handled = [json.loads((tmp_path / f"stats-{n}.json").read_text())["handled"] for n in range(2)]
    assert all(h > 0 for h in handled)  # both processes took part
