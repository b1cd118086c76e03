"""The policy decision benchmark: CPU cost of :func:`guardrails.decide` for a user holding 100 grants.

    python -m tests.bench.bench_decision [--iterations 2000] [--grants 100] [--json PATH]

The decision is a pure function, so this measures it alone, in this process, with
``time.perf_counter_ns`` around each call (a warm-up first). A user holds ``--grants`` grants
(their own and their groups', across resource groups, some with limits and allowed hours), the
scope has an approver rule and a past freeze. Measured in the same run:

- **baseline: empty decision** — ``decide`` for a user holding no grant (deny by default);
- **baseline: build the snapshot** — constructing the records and the snapshot a store hands
  over (what reading the rows costs beyond the network);
- **decide, auto-approved / needs approval / refused** with all the grants, with the scope
  cache warm (as in a running process) and cold (cleared before each call).

Printed: p50 and p99 per case in microseconds; PASS when every p50 with all the grants is under
:data:`TARGET_P50_MS`. The exit code is 0 on PASS, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from guardrails import (
    Actor,
    ApproverRule,
    Freeze,
    Grant,
    GrantMode,
    Limits,
    ParameterLimit,
    PolicySnapshot,
    Principal,
    Proposal,
    TimeWindow,
    decide,
)
from guardrails.scopes import _safe_segments

__all__ = ["TARGET_P50_MS", "build_snapshot", "main"]

TARGET_P50_MS = 1.0
SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa"
USER = "aaaaaaaa-0000-0000-0000-000000000001"
NOW = datetime(2024, 6, 5, 10, 0, tzinfo=UTC)
POOL = f"{SUB}/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod/agentPools/np1"


def build_snapshot(grants: int) -> PolicySnapshot:
    """``grants`` grants: all but three on other resource groups; the three cover the pool."""
    office = TimeWindow("Europe/Berlin", frozenset(range(1, 6)), 7, 19)
    held: list[Grant] = []
    for i in range(grants - 3):
        held.append(
            Grant(
                id=f"g-{i:04d}",
                principal=Principal.user(USER) if i % 3 else Principal.group(f"team-{i % 7}"),
                actions=frozenset({"aks-scale-node-pool", "vm-restart"} if i % 2 else {"*"}),
                scope=f"{SUB}/resourceGroups/rg-team-{i:03d}",
                mode=GrantMode.AUTO if i % 4 else GrantMode.APPROVAL,
                limits=Limits({"count": ParameterLimit(maximum=10, max_increase=3)}, office if i % 5 == 0 else None),
                expires_at=None if i % 6 else NOW + timedelta(days=1),
                created_at=NOW - timedelta(days=1),
            )
        )
    held += [
        Grant(
            "g-auto",
            Principal.user(USER),
            frozenset({"aks-scale-node-pool"}),
            f"{SUB}/resourceGroups/rg-prod",
            limits=Limits({"count": ParameterLimit(maximum=5, max_increase=2)}, office),
            created_at=NOW,
        ),
        Grant(
            "g-approval",
            Principal.group("team-1"),
            frozenset({"*"}),
            f"{SUB}/resourceGroups/rg-prod",
            mode=GrantMode.APPROVAL,
            limits=Limits({"count": ParameterLimit(maximum=20)}),
            created_at=NOW,
        ),
        Grant("g-old", Principal.user(USER), frozenset({"*"}), SUB, expires_at=NOW - timedelta(days=1), created_at=NOW),
    ]
    return PolicySnapshot(
        grants=tuple(held),
        approver_rules=(
            ApproverRule("rule-sub", SUB, frozenset({Principal.group("platform")}), 1),
            ApproverRule("rule-prod", f"{SUB}/resourceGroups/rg-prod", frozenset({Principal.group("prod")}), 2),
        ),
        freezes=(Freeze("f-past", SUB, NOW - timedelta(days=9), NOW - timedelta(days=8), "last release"),),
        recent_requests=3,
    )


def proposal(count: int) -> Proposal:
    actor = Actor(USER, "bench", frozenset({"team-1", "team-2"}))
    return Proposal("req", actor, "aks-scale-node-pool", POOL, {"pool": POOL, "count": count}, {"count": 3})


def measure(call: Callable[[], object], iterations: int, before: Callable[[], None] | None = None) -> list[int]:
    for _ in range(min(200, iterations)):
        call()
    samples: list[int] = []
    for _ in range(iterations):
        if before is not None:
            before()
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return samples


def summary(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_us": statistics.median(ordered) / 1000,
        "p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--grants", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    policy = build_snapshot(args.grants)
    empty = PolicySnapshot()
    checks = {
        "auto": decide(proposal(5), policy, NOW).verdict.value,
        "approval": decide(proposal(8), policy, NOW).verdict.value,
        "refused": decide(proposal(30), policy, NOW).verdict.value,
    }
    if checks != {"auto": "approved", "approval": "needs_approval", "refused": "refused"}:
        print(f"the benchmark's policy does not decide as intended: {checks}", file=sys.stderr)
        return 1

    n = args.iterations
    results = {
        "baseline: empty decision": summary(measure(lambda: decide(proposal(5), empty, NOW), n)),
        f"baseline: build the snapshot ({args.grants} grants)": summary(
            measure(lambda: build_snapshot(args.grants), max(50, n // 10))
        ),
    }
    for case, count in (("auto-approved", 5), ("needs approval", 8), ("refused", 30)):
        results[f"decide, {case}, warm"] = summary(measure(lambda c=count: decide(proposal(c), policy, NOW), n))
    results["decide, auto-approved, cold scope cache"] = summary(
        measure(lambda: decide(proposal(5), policy, NOW), max(50, n // 10), before=_safe_segments.cache_clear)
    )

    width = max(len(name) for name in results)
    print(f"{'case'.ljust(width)}  {'p50 µs':>9}  {'p99 µs':>9}")
    for name, figures in results.items():
        print(f"{name.ljust(width)}  {figures['p50_us']:9.1f}  {figures['p99_us']:9.1f}")
    measured = [v["p50_us"] for k, v in results.items() if k.startswith("decide")]
    worst_ms = max(measured) / 1000
    passed = worst_ms < TARGET_P50_MS
    print(
        f"worst p50 of decide with {args.grants} grants: {worst_ms:.3f} ms (target < {TARGET_P50_MS} ms): "
        f"{'PASS' if passed else 'FAIL'}"
    )
    if args.json:
        args.json.write_text(json.dumps({"grants": args.grants, "iterations": n, "results": results}, indent=2))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
