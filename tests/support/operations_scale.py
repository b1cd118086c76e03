"""What the scale test and the benchmark share: an ARM sandbox estate with many scale sets, worker
processes, and requests to scale each scale set once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from actions.registry import Registry
from actions.spec import Change, Preview
from requesting import Request, Requester

__all__ = ["SCALE_SUBSCRIPTION", "estate_with_scale_sets", "scale_set_id", "vmss_request", "worker_processes"]

ROOT = Path(__file__).resolve().parents[2]
SCALE_SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"
CONVERSATION = {"conversation": {"id": "19:scale@thread.tacv2"}, "serviceUrl": "https://smba.example/emea/"}


def scale_set_id(index: int) -> str:
    return (f"/subscriptions/{SCALE_SUBSCRIPTION}/resourceGroups/rg-dev/providers/Microsoft.Compute"
            f"/virtualMachineScaleSets/vmss-s{index:03d}")


def estate_with_scale_sets(path: Path, count: int) -> Path:
    """The seeded estate plus ``count`` scale sets ``vmss-s000``… (capacity 2) in rg-dev; written to ``path``."""
    estate = json.loads((ROOT / "sandbox" / "estate.json").read_text(encoding="utf-8"))
    group = estate["subscriptions"][0]["resourceGroups"][0]
    group["virtualMachineScaleSets"].extend(
        {"name": f"vmss-s{i:03d}", "sku": "Standard_D2s_v5", "capacity": 2} for i in range(count)
    )
    path.write_text(json.dumps(estate), encoding="utf-8")
    return path


def vmss_request(registry: Registry, index: int, capacity: int = 3) -> Request:
    """A confirmed request to scale ``vmss-s<index>`` from 2 to ``capacity`` (the preview as the dialog showed it)."""
    action = registry.get("vmss-set-capacity")
    assert action is not None
    args: dict[str, Any] = {"vmss": scale_set_id(index), "capacity": capacity}
    name = f"vmss-s{index:03d}"
    preview = Preview(
        target=name, resource_id=scale_set_id(index),
        changes=(Change("instances", "2", str(capacity), parameter="capacity"),),
        title=f"Scale {name}: 2 → {capacity} instances", before={"capacity": 2},
    )
    return Request(
        id=uuid.uuid4().hex, action=action.name, args=args, scope=action.scope(args),
        requester=Requester("29:alex", "Alex", aad_object_id="oid-alex"), conversation=CONVERSATION,
        preview=preview, card_activity_id=f"card-{index}",
    )


@contextmanager
def worker_processes(
    count: int, *, storage: str, queue: str, prefix: str, sandbox_url: str, folder: Path, poll_delay: float = 0.0,
    max_poll_delay: float = 1.0, max_idle: float = 0.2,
) -> Iterator[list[Path]]:
    """Start ``count`` worker processes (each ready before this yields); yields their notice files.
    On exit each gets SIGTERM and writes its stats next to its notice file (``stats-N.json``)."""
    processes: list[subprocess.Popen[str]] = []
    notices = [folder / f"notices-{n}.jsonl" for n in range(count)]
    try:
        for n in range(count):
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.support.operations_worker_process", "--storage", storage,
                 "--queue", queue, "--prefix", prefix, "--sandbox", sandbox_url, "--notices", str(notices[n]),
                 "--stats", str(folder / f"stats-{n}.json"), "--poll-delay", str(poll_delay),
                 "--max-poll-delay", str(max_poll_delay), "--max-idle", str(max_idle)],
                cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            processes.append(process)
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"a worker process did not start (exit {process.poll()})")
        yield notices
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


async def wait_for(predicate: Any, *, bound: float, every: float = 0.25) -> None:
    """Wait until ``await predicate()`` is true; TimeoutError after ``bound`` seconds (a hang guard)."""
    async with asyncio.timeout(bound):
        while not await predicate():  # noqa: ASYNC110 - polling another process's progress in storage
            await asyncio.sleep(every)
