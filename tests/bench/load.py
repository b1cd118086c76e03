"""Load generation for the benchmark: N activities over C concurrent conversations, timed end to end.

One worker per conversation sends its activities one after the other (a conversation's turns
are sequential in Teams too); the C workers run concurrently. A turn's latency is measured from
just before its HTTP request is sent to the moment the connector stand-in received the bot's
(last) reply to it — the time a user waits. Turns per second is N over the wall time of the run.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.support.connector import ConnectorStandIn, teams_activity

__all__ = ["Activities", "RunResult", "percentile", "run_turns"]

Activities = Sequence[Sequence[dict[str, Any]]]  # one list of activities per conversation


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


@dataclass
class RunResult:
    """What one run measured."""

    turns: int
    concurrency: int
    elapsed_s: float
    latencies_ms: list[float] = field(repr=False)
    statuses: Counter[int] = field(default_factory=Counter)
    missing_replies: int = 0
    reply_texts: Counter[str] = field(default_factory=Counter, repr=False)

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies_ms, 0.50)

    @property
    def p99_ms(self) -> float | None:
        return percentile(self.latencies_ms, 0.99)

    @property
    def failures(self) -> int:
        bad = sum(count for status, count in self.statuses.items() if not 200 <= status < 300)
        return bad + self.missing_replies

    def summary(self) -> dict[str, Any]:
        return {
            "turns": self.turns,
            "concurrency": self.concurrency,
            "elapsed_s": round(self.elapsed_s, 3),
            "turns_per_s": round(self.turns_per_s, 1),
            "p50_ms": _round(self.p50_ms),
            "p99_ms": _round(self.p99_ms),
            "mean_ms": _round(statistics.fmean(self.latencies_ms)) if self.latencies_ms else None,
            "http_statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "missing_replies": self.missing_replies,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def spread(turns: int, concurrency: int, make: Callable[[int, int], dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``turns`` activities over ``concurrency`` conversations: activity i goes to conversation i % C.

    ``make(i, conversation)`` builds activity i.
    """
    lanes: list[list[dict[str, Any]]] = [[] for _ in range(concurrency)]
    for i in range(turns):
        lanes[i % concurrency].append(make(i, i % concurrency))
    return lanes


def message(text: str, service_url: str, conversation_id: str, **kwargs: Any) -> dict[str, Any]:
    """A Teams message activity with a fresh id."""
    return teams_activity(
        text=text, service_url=service_url, conversation_id=conversation_id, activity_id=uuid.uuid4().hex, **kwargs
    )


async def run_turns(
    url: str,
    lanes: Activities,
    connector: ConnectorStandIn,
    *,
    expect_replies: bool = True,
    reply_timeout: float = 10.0,
) -> RunResult:
    """POST every activity of ``lanes`` to ``url`` (one worker per lane) and time each turn to its reply."""
    bodies = [[(activity["id"], json.dumps(activity).encode()) for activity in lane] for lane in lanes]
    total = sum(len(lane) for lane in bodies)
    sent_at: dict[str, float] = {}
    statuses: Counter[int] = Counter()
    connector.clear()
    timeout = aiohttp.ClientTimeout(total=60)
    limit = max(1, len(bodies))
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit), timeout=timeout, headers={"Content-Type": "application/json"}
    ) as session:

        async def worker(lane: list[tuple[str, bytes]]) -> None:
            for activity_id, body in lane:
                sent_at[activity_id] = time.monotonic()
                async with session.post(url, data=body) as response:
                    await response.read()
                    statuses[response.status] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(lane) for lane in bodies))
        elapsed = time.monotonic() - started

    replied: dict[str, float] = {}
    texts: Counter[str] = Counter()
    if expect_replies:
        # Every reply is sent before the turn's HTTP response; wait briefly for stragglers anyway.
        deadline = time.monotonic() + reply_timeout
        while True:
            replied.clear()
            for call in connector.activities:
                if call.activity_id in sent_at:
                    if call.activity_id not in replied:
                        texts[(call.text or "")[:40]] += 1
                    replied[call.activity_id] = max(replied.get(call.activity_id, 0.0), call.received_at)
            if len(replied) >= total or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    latencies = [(replied[a] - sent_at[a]) * 1000 for a in sent_at if a in replied]
    return RunResult(
        turns=total,
        concurrency=len(bodies),
        elapsed_s=elapsed,
        latencies_ms=latencies,
        statuses=statuses,
        missing_replies=(total - len(replied)) if expect_replies else 0,
        reply_texts=texts,
    )
