"""A worker process for the scale tests and the benchmark: the operations worker over the given
storage, queue and ARM sandbox, draining the queue until SIGTERM.

    python -m tests.support.operations_worker_process --storage CONN --queue NAME --prefix P \
        --sandbox URL --notices FILE [--stats FILE]

Notices go to a recording notifier appending JSON lines to ``--notices`` (the notifier port is the
true external boundary). Prints ``ready`` once built. On SIGTERM it writes ``--stats`` (messages
handled, queue messages sent) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from actions.context import ActionContext, ClientOptions
from actions.registry import default_registry
from actions.settings import ArmSettings
from app.execution import WorkerOptions, build_execution
from storage import DeliveryLedger, OperationQueue, TableClientOptions, TableProvider
from tests.support.operations import QueueDriver, RecordingNotifier
from tests.support.table_storage import RecordingTransport

DEV = "11111111-1111-1111-1111-111111111111"
PROD = "22222222-2222-2222-2222-222222222222"


async def serve(args: argparse.Namespace) -> None:
    transport = RecordingTransport()
    tables = TableProvider(connection_string=args.storage, transport=transport,
                           options=TableClientOptions(retry_total=3, read_timeout=20, operation_timeout=30))
    queue = OperationQueue(args.queue, connection_string=args.storage)
    arm = ArmSettings(sandbox_url=args.sandbox, subscriptions=(DEV, PROD),
                      resource_groups=frozenset({"rg-dev", "rg-prod"}), discovery_timeout_seconds=30.0)
    actions = ActionContext(arm, options=ClientOptions(polling_interval=0.05, retry_total=3, retry_backoff_factor=0.05,
                                                       retry_backoff_max=0.5))
    execution = build_execution(
        tables=tables, queue=queue, registry=default_registry(), actions=actions,
        notifier=RecordingNotifier(log_path=Path(args.notices)),
        deliveries=DeliveryLedger(tables, table_name=f"d{args.prefix}"),
        worker_options=WorkerOptions(initial_poll_delay=args.poll_delay, max_poll_delay=args.max_poll_delay,
                                     lease_wait=1),
        table_prefix=args.prefix,
    )
    driver = QueueDriver(args.storage, args.queue, execution.worker.handle, poisoned=execution.worker.poisoned,
                         batch=args.batch)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    idle = 0.05
    try:
        while not stop.is_set():
            try:
                handled = await driver.drain_once()
            except Exception as exc:  # storage hiccup under load: keep draining
                print(f"drain failed: {type(exc).__name__}", file=sys.stderr, flush=True)
                handled = 0
            # like the Functions host: look again at once while there is work, back off to
            # maxPollingInterval (host.json) while the queue is empty
            idle = 0.05 if handled else min(idle * 2, args.max_idle)
            if not handled:
                await asyncio.sleep(idle)
    finally:
        if args.stats:
            Path(args.stats).write_text(json.dumps({  # noqa: ASYNC240 - once, at exit
                "handled": driver.handled, "failures": driver.failures, "sent": queue.sent,
                "send_seconds": queue.send_seconds, "queue_calls": driver.queue_calls,
                "queue_seconds": driver.queue_seconds, "table_calls": len(transport.requests),
                "table_seconds": transport.seconds,
            }))
        await driver.close()
        await execution.close()
        await actions.close()
        await tables.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--storage", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--notices", required=True)
    parser.add_argument("--stats", default="")
    parser.add_argument("--poll-delay", type=float, default=0.0, help="the first status check's delay (s)")
    parser.add_argument("--max-poll-delay", type=float, default=1.0, help="the longest delay between checks (s)")
    parser.add_argument("--max-idle", type=float, default=0.2, help="the longest wait on an empty queue (s)")
    parser.add_argument("--batch", type=int, default=8)
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
