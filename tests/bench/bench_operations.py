"""The operations benchmark: N operations queued at once, run by one and by two worker processes.

    python -m tests.bench.bench_operations [--sizes 10,100,500] [--workers 1,2] [--delay 2.0] [--json PATH]

Runs against its own Azurite and its own ARM sandbox (an estate with N scale sets, each scaled
once; the sandbox's operations take ``--delay`` seconds), both started and stopped here. For each
N and worker count it prints:

- **ops/s**: operations completed per second, from the first confirm to the last outcome;
- **approval → notification** p50/p99: from the executor's ``submit`` (the confirm, or the vote
  that reached the quorum) to the outcome notice handed to the notifier;
- **calls/op**: Table Storage requests and queue requests per operation (handler and workers);
- **overhead/op**: the time those calls took per operation, beside the sandbox's own operation
  time measured in the same run (its operations' start → end); target: at most 5 %;
- **confirm p99**: the executor's answer time in the confirm turn while the workers are busy;
  target: under 1 s on 2 cores;
- **lost / doubled**: operations that did not end succeeded / scale sets changed more than once; target 0.

Exit code 0 when every target passes. Bounded: each run waits at most ``--bound`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from actions.context import ActionContext
from actions.registry import default_registry
from actions.settings import ArmSettings
from app.execution import build_execution
from storage import DeliveryLedger, OperationQueue, TableClientOptions, TableProvider
from tests.bench.load import percentile
from tests.support.arm_sandbox import running_sandbox
from tests.support.operations import RecordingNotifier
from tests.support.operations_scale import (
    SCALE_SUBSCRIPTION,
    estate_with_scale_sets,
    vmss_request,
    wait_for,
    worker_processes,
)
from tests.support.table_storage import RecordingTransport
from tools import azurite as azurite_tool

__all__ = ["main"]

TARGET_OVERHEAD = 0.05
TARGET_CONFIRM_P99 = 1.0
UNDER_LOAD = TableClientOptions(retry_total=3, read_timeout=20, operation_timeout=30)


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def one_run(storage: str, count: int, workers: int, delay: float, bound: float, folder: Path) -> dict[str, Any]:
    registry = default_registry()
    suffix = uuid.uuid4().hex[:8]
    prefix, queue_name = f"b{suffix}", f"bench{suffix}"
    run_folder = folder / f"{count}-{workers}-{suffix}"
    run_folder.mkdir()
    estate = estate_with_scale_sets(run_folder / "estate.json", count)
    with running_sandbox(operation_delay=delay, estate_path=estate) as sandbox:
        transport = RecordingTransport()
        tables = TableProvider(connection_string=storage, options=UNDER_LOAD, transport=transport)
        queue = OperationQueue(queue_name, connection_string=storage)
        actions = ActionContext(ArmSettings(sandbox_url=sandbox.url, subscriptions=(SCALE_SUBSCRIPTION,)))
        execution = build_execution(
            tables=tables, queue=queue, registry=registry, actions=actions, notifier=RecordingNotifier(),
            deliveries=DeliveryLedger(tables, table_name=f"d{suffix}"), table_prefix=prefix,
        )
        submitted: dict[str, float] = {}
        confirm_times: list[float] = []
        try:
            with worker_processes(workers, storage=storage, queue=queue_name, prefix=prefix, sandbox_url=sandbox.url,
                                  folder=run_folder, poll_delay=2.0, max_poll_delay=60.0,
                                  max_idle=2.0) as notice_files:  # production timings (WorkerOptions, host.json)
                gate = asyncio.Semaphore(8)
                started = time.time()

                async def submit(index: int) -> None:
                    async with gate:
                        began = time.perf_counter()
                        at = time.time()
                        outcome = await execution.handler.submit(vmss_request(registry, index))
                        confirm_times.append(time.perf_counter() - began)
                    submitted[outcome.details["operation"]] = at

                await asyncio.gather(*(submit(i) for i in range(count)))

                async def all_ended() -> bool:
                    return not await execution.operations.active(limit=1)

                await wait_for(all_ended, bound=bound, every=0.5)
                ended = time.time()
            states = Counter([(await execution.operations.get(i)).record.state.value  # type: ignore[union-attr]
                              for i in submitted])
            changes = Counter(r["path"].lower() for r in sandbox.requests() if r["method"] in ("PATCH", "PUT"))
            platform = [_seconds(o["end_time"]) - _seconds(o["start_time"]) for o in sandbox.operations()
                        if o.get("end_time")]
        finally:
            await execution.close()
            await actions.close()
            await tables.close()
    stats = [json.loads((run_folder / f"stats-{n}.json").read_text()) for n in range(workers)]
    told: dict[str, float] = {}
    for path in notice_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["kind"] == "send":
                told.setdefault(entry["text"].split(":")[0].removeprefix("Operation "), entry["at"])
    latencies = [told[i] - submitted[i] for i in submitted if i in told]
    table_calls = len(transport.requests) + sum(s["table_calls"] for s in stats)
    table_seconds = transport.seconds + sum(s["table_seconds"] for s in stats)
    queue_calls = queue.sent + sum(s["sent"] + s["queue_calls"] for s in stats)
    queue_seconds = queue.send_seconds + sum(s["send_seconds"] + s["queue_seconds"] for s in stats)
    platform_mean = statistics.fmean(platform) if platform else delay
    overhead = (table_seconds + queue_seconds) / count
    return {
        "n": count,
        "workers": workers,
        "ops_per_s": count / (ended - started),
        "latency_p50": percentile(latencies, 0.5) or 0.0,
        "latency_p99": percentile(latencies, 0.99) or 0.0,
        "table_calls_per_op": table_calls / count,
        "queue_calls_per_op": queue_calls / count,
        "overhead_per_op_s": overhead,
        "platform_op_s": platform_mean,
        "overhead_ratio": overhead / platform_mean,
        "confirm_p99": percentile(confirm_times, 0.99) or 0.0,
        "lost": count - states.get("succeeded", 0),
        "doubled": sum(1 for v in changes.values() if v > 1),
        "told": len(told),
    }


def _row(r: dict[str, Any]) -> str:
    ok = (r["overhead_ratio"] <= TARGET_OVERHEAD and r["confirm_p99"] < TARGET_CONFIRM_P99
          and r["lost"] == 0 and r["doubled"] == 0)
    return (f"{r['n']:>4} {r['workers']:>2}  {r['ops_per_s']:7.2f}  {r['latency_p50']:6.2f} {r['latency_p99']:6.2f}  "
            f"{r['table_calls_per_op']:5.1f} {r['queue_calls_per_op']:5.1f}  {r['overhead_per_op_s'] * 1000:7.1f} ms "
            f"{r['platform_op_s']:6.2f} s {r['overhead_ratio'] * 100:5.1f} %  {r['confirm_p99'] * 1000:6.0f} ms  "
            f"{r['lost']:>3} {r['doubled']:>3}  {'PASS' if ok else 'FAIL'}")


async def run(args: argparse.Namespace) -> int:
    instance = azurite_tool.start()
    results: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            print("   N  w    ops/s  p50 s  p99 s  tbl/op q/op  overhead/op  sandbox op  ratio  confirm p99  lost dbl")
            for count in args.sizes:
                for workers in args.workers:
                    result = await one_run(instance.connection_string, count, workers, args.delay, args.bound,
                                           Path(folder))
                    results.append(result)
                    print(_row(result), flush=True)
    finally:
        instance.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))  # noqa: ASYNC240 - once, at the end
    return 0 if all("PASS" in _row(r) for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.bench_operations", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], default=[10, 100, 500])
    parser.add_argument("--workers", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2])
    parser.add_argument("--delay", type=float, default=2.0, help="the sandbox's operation time (seconds)")
    parser.add_argument("--bound", type=float, default=600.0, help="the most one run may take (seconds)")
    parser.add_argument("--json", default="")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
