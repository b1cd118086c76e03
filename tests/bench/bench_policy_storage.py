"""The guardrail storage benchmark: a decision's snapshot read at 100 and 10,000 grants, and concurrent votes.

    python -m tests.bench.bench_policy_storage [--samples 200] [--voters 50] [--requests 10] [--json PATH]

Runs against its own Azurite (in memory, loopback), started and stopped here. Measured in one run:

- **baseline**: one point read of one entity (``get_entity``), the cheapest storage call there is;
- **snapshot**: :class:`storage.policy_snapshot.PolicySnapshotReader.read` for one person acting on a
  node pool (their grants and their group's, the scope chain's approver rules and freezes, their
  rate counter) with 100 grants in the table (10 people x 10), then with 10,000 grants (1,000
  people x 10) in a fresh set of tables (seeded with ``add_many``). What a snapshot reads must
  not grow with the total: the same number of requests, each a point read or a query of one
  partition, at both sizes (checked). Beside it, the time of **one partition query** of the grants
  table at each size: Azurite evaluates a query's filter over every row of the table (its
  in-memory store has no partition index), so on Azurite a partition query — and with it the
  snapshot — gets slower as the table grows; Azure Table Storage serves ``PartitionKey eq``
  from the partition. The target: the snapshot grows no more than one partition query does
  (within 1.5x), i.e. no growth of its own;
- **votes**: ``--voters`` approvers voting at once on one approval request (quorum 2), through
  :meth:`storage.approvals.TableApprovalStore.update` (the queued, conditional write), for
  ``--requests`` requests: p50/p99 of one vote's time, and exactly one hand-off per request. The
  same through the port's plain read / replace / retry loop, for comparison.

Prints a table with PASS/FAIL per target; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from guardrails.ports import RecordConflict
from guardrails.records import Actor, Group, Principal, RateLimit
from storage import TableClientOptions, TableProvider
from storage.approvals import TableApprovalStore
from storage.approver_rules import TableApproverRuleStore
from storage.freezes import TableFreezeStore
from storage.grants import TableGrantStore
from storage.groups import TableGroupStore
from storage.policy_snapshot import PolicySnapshotReader
from storage.rate_counters import TableRateCounter
from tests.bench.load import percentile
from tests.support.guardrail_records import NODE_POOL, RG_PROD, SUB, T0, approval, freeze, grant, rule, vote, with_vote
from tests.support.table_storage import RecordingTransport
from tools import azurite as azurite_tool

__all__ = ["main"]

TARGET_SCALE_RATIO = 1.5  # the snapshot's growth from 100 to 10,000 grants, within 1.5x of one partition query's
TARGET_VOTE_P99_MS = 1000.0  # a vote's p99 with 50 approvers voting at once
GRANTS_PER_USER = 10
LIMIT = RateLimit(max_requests=20, window=timedelta(hours=1))
OPTIONS = TableClientOptions(retry_total=0, connection_timeout=5.0, read_timeout=30.0, operation_timeout=60.0)


def user(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


def scope_for(n: int) -> str:
    """Grants spread over 2 subscriptions x 25 resource groups (a realistic spread of scopes)."""
    return f"/subscriptions/{n % 2:08d}-0000-0000-0000-000000000000/resourceGroups/rg-{n % 25}"


class Tables:
    """One set of guardrail tables (fresh names per seed size)."""

    def __init__(self, provider: TableProvider, suffix: str) -> None:
        self.grants = TableGrantStore(provider, table_name=f"grants{suffix}")
        self.groups = TableGroupStore(provider, table_name=f"groups{suffix}")
        self.rules = TableApproverRuleStore(provider, table_name=f"rules{suffix}")
        self.freezes = TableFreezeStore(provider, table_name=f"freezes{suffix}")
        self.rate = TableRateCounter(provider, table_name=f"rate{suffix}")

    def reader(self) -> PolicySnapshotReader:
        return PolicySnapshotReader(
            grants=self.grants, groups=self.groups, rules=self.rules, freezes=self.freezes, rate=self.rate
        )


async def seed(tables: Tables, users: int) -> None:
    """``users`` people with GRANTS_PER_USER grants each; user 0 (the one measured) also in group platform."""
    grants = [
        grant(principal=Principal.user(user(u)), scope=scope_for(u * GRANTS_PER_USER + k))
        for u in range(users)
        for k in range(GRANTS_PER_USER)
    ]
    grants.append(grant(principal=Principal.group("platform"), scope=RG_PROD))
    grants.append(grant(principal=Principal.user(user(0)), scope=RG_PROD))
    await tables.grants.add_many(grants)
    await tables.groups.put(Group("platform", frozenset({user(0), user(1)}), created_at=T0))
    await tables.rules.put(rule(scope=SUB))
    await tables.rules.put(rule(scope=RG_PROD))
    await tables.freezes.add(freeze(scope=RG_PROD, starts_at=T0 + timedelta(days=3), ends_at=T0 + timedelta(days=4)))
    await tables.rate.increment(Principal.user(user(0)).key, LIMIT.window_start(T0))


async def timed(samples: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    """Milliseconds of ``samples`` sequential calls (after 5 warm-up calls)."""
    for _ in range(5):
        await call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def votes(
    store: TableApprovalStore, voters: int, requests: int, *, queued: bool
) -> tuple[list[float], list[int]]:
    """Per-vote milliseconds and hand-offs per request, ``voters`` voting at once on each request."""
    times: list[float] = []
    hand_offs: list[int] = []
    for _ in range(requests):
        request = approval(quorum=2)
        await store.create(request)

        async def cast(voter: str, request_id: str = request.id) -> bool:
            started = time.perf_counter()
            try:
                if queued:
                    return (await store.update(request_id, lambda a: with_vote(a, vote(voter)))).approved_here
                while True:  # the port's plain loop
                    current = await store.get(request_id)
                    changed, _ = with_vote(current.record, vote(voter))
                    if changed is None:
                        return False
                    try:
                        await store.replace(changed, current.etag)
                    except RecordConflict:
                        continue
                    return changed.status.value == "approved"
            finally:
                times.append((time.perf_counter() - started) * 1000)

        outcomes = await asyncio.gather(*(cast(user(10_000 + v)) for v in range(voters)))
        hand_offs.append(outcomes.count(True))
    return times, hand_offs


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:8.1f} ms"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    instance = azurite_tool.start()
    try:
        transport = RecordingTransport(connection_timeout=OPTIONS.connection_timeout, read_timeout=OPTIONS.read_timeout)
        provider = TableProvider(connection_string=instance.connection_string, options=OPTIONS, transport=transport)
        try:
            figures: dict[str, Any] = {}
            suffix = uuid.uuid4().hex[:8]
            baseline_table = await provider.table(f"baseline{suffix}")
            await baseline_table.upsert_entity({"PartitionKey": "p", "RowKey": "r", "Value": "x"})
            baseline = await timed(args.samples, lambda: baseline_table.get_entity("p", "r"))
            figures["baseline_point_read_p50_ms"] = statistics.median(baseline)

            for label, users in (("100", 10), ("10000", 1000)):
                tables = Tables(provider, f"{label}x{suffix}")
                started = time.perf_counter()
                await seed(tables, users)
                seeded_s = time.perf_counter() - started
                reader = tables.reader()
                actor = Actor(user(0))
                read = await reader.read(actor, NODE_POOL, now=T0, rate_limit=LIMIT)
                assert len(read.snapshot.grants) == GRANTS_PER_USER + 2, "their grants and their group's"
                transport.reset()
                await reader.read(actor, NODE_POOL, now=T0, rate_limit=LIMIT)
                figures[f"snapshot_{label}_requests"] = len(transport.requests)
                figures[f"snapshot_{label}_round_trips"] = transport.round_trips

                async def snapshot_read(reader: PolicySnapshotReader = reader, actor: Actor = actor) -> None:
                    await reader.read(actor, NODE_POOL, now=T0, rate_limit=LIMIT)

                async def partition_query(tables: Tables = tables) -> None:
                    await tables.grants.for_principals([Principal.user(user(0))])

                times = await timed(args.samples, snapshot_read)
                figures[f"snapshot_{label}_p50_ms"] = statistics.median(times)
                query_times = await timed(args.samples, partition_query)
                figures[f"partition_query_{label}_p50_ms"] = statistics.median(query_times)
                figures[f"snapshot_{label}_p99_ms"] = percentile(times, 0.99)
                figures[f"seed_{label}_seconds"] = seeded_s

            approvals = TableApprovalStore(provider, table_name=f"approvals{suffix}")
            for name, queued in (("update", True), ("replace_loop", False)):
                times, hand_offs = await votes(approvals, args.voters, args.requests, queued=queued)
                figures[f"vote_{name}_p50_ms"] = percentile(times, 0.5)
                figures[f"vote_{name}_p99_ms"] = percentile(times, 0.99)
                figures[f"vote_{name}_hand_offs"] = hand_offs
            return figures
        finally:
            await provider.close()
    finally:
        instance.stop()


def report(figures: dict[str, Any], args: argparse.Namespace) -> bool:
    growth = figures["snapshot_10000_p50_ms"] / figures["snapshot_100_p50_ms"]
    azurite_growth = figures["partition_query_10000_p50_ms"] / figures["partition_query_100_p50_ms"]
    same_reads = (figures["snapshot_100_requests"], figures["snapshot_100_round_trips"]) == (
        figures["snapshot_10000_requests"],
        figures["snapshot_10000_round_trips"],
    )
    checks = [
        (
            "snapshot requests / round trips at 100 and 10,000 grants",
            f"{figures['snapshot_100_requests']}/{figures['snapshot_100_round_trips']} and "
            f"{figures['snapshot_10000_requests']}/{figures['snapshot_10000_round_trips']}",
            same_reads and figures["snapshot_10000_round_trips"] == 1,
        ),
        (
            "snapshot growth 100 -> 10,000 grants vs one partition query's on Azurite",
            f"{growth:.2f}x vs {azurite_growth:.2f}x",
            growth <= azurite_growth * TARGET_SCALE_RATIO,
        ),
        (
            f"vote p99, {args.voters} approvers at once (update)",
            ms(figures["vote_update_p99_ms"]),
            figures["vote_update_p99_ms"] < TARGET_VOTE_P99_MS,
        ),
        (
            "hand-offs per request (update)",
            str(sorted(set(figures["vote_update_hand_offs"]))),
            set(figures["vote_update_hand_offs"]) == {1},
        ),
        (
            "hand-offs per request (read/replace loop)",
            str(sorted(set(figures["vote_replace_loop_hand_offs"]))),
            set(figures["vote_replace_loop_hand_offs"]) == {1},
        ),
    ]
    print(f"baseline: one point read                  p50 {ms(figures['baseline_point_read_p50_ms'])}")
    for label in ("100", "10000"):
        print(
            f"snapshot with {int(label):>6,} grants in the table  p50 {ms(figures[f'snapshot_{label}_p50_ms'])}"
            f"  p99 {ms(figures[f'snapshot_{label}_p99_ms'])}  one partition query p50"
            f" {ms(figures[f'partition_query_{label}_p50_ms'])}  (seeded in {figures[f'seed_{label}_seconds']:.1f} s)"
        )
    for name in ("update", "replace_loop"):
        print(
            f"vote ({name:<12}) {args.voters} at once      p50 {ms(figures[f'vote_{name}_p50_ms'])}"
            f"  p99 {ms(figures[f'vote_{name}_p99_ms'])}"
        )
    ok = True
    for what, value, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {what}: {value}")
        ok = ok and passed
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--voters", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args))
    ok = report(figures, args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
