"""TableRateCounter against Azurite: per person and window, concurrent increments all counted."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from guardrails.ports import StoreUnavailable
from guardrails.records import Principal, RateLimit
from storage import TableProvider
from storage.rate_counters import TableRateCounter
from tests.support.guardrail_records import ALICE, BOB, T0
from tests.support.table_storage import FAST, unreachable_connection_string

LIMIT = RateLimit(max_requests=20, window=timedelta(hours=1))


@pytest.fixture
def counter(tables: TableProvider, unique_name: str) -> TableRateCounter:
    return TableRateCounter(tables, table_name=f"rate{unique_name}")


async def test_counts_are_per_person_and_window(counter: TableRateCounter) -> None:
    alice, bob = Principal.user(ALICE).key, Principal.user(BOB).key
    window, next_window = LIMIT.window_start(T0), LIMIT.window_start(T0 + timedelta(hours=1))

    assert await counter.count(alice, window) == 0
    assert [await counter.increment(alice, window) for _ in range(3)] == [1, 2, 3]
    await counter.increment(bob, window)

    assert await counter.count(alice, window) == 3
    assert await counter.count(bob, window) == 1
    assert await counter.count(alice, next_window) == 0


async def test_concurrent_increments_are_each_counted_once(counter: TableRateCounter) -> None:
    alice, window = Principal.user(ALICE).key, LIMIT.window_start(T0)

    counts = await asyncio.gather(*(counter.increment(alice, window) for _ in range(20)))

    assert sorted(counts) == list(range(1, 21))
    assert await counter.count(alice, window) == 20


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        with pytest.raises(StoreUnavailable):
            await TableRateCounter(provider).count(Principal.user(ALICE).key, LIMIT.window_start(T0))
    finally:
        await provider.close()
