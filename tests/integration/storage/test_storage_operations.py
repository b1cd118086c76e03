"""Contract of the operation store and the resource leases on Azurite: short ids collision-checked by
the insert, every write conditional on the ETag read, one lease holder per resource, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from operations import Operation, OperationState, record_intent
from storage import ConcurrencyConflictError, StorageError, TableLeaseStore, TableOperationStore, TableProvider
from tests.support.operations import Clock

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
POOL = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod/providers/x/y/aks/agentPools/np1"


def operation(operation_id: str) -> Operation:
    return Operation(
        id=operation_id, request_id="r1", action="aks-scale-node-pool", args={"cluster": "/c", "count": 5},
        resource_id=POOL, requester_key="oid", requester_name="Alex Ü", conversation={"conversation": {"id": "c"}},
        target="aks-prod / np1", title="Scale", created_at=T0, timeout=timedelta(minutes=30),
        before={"count": 3}, card_activity_id="card-1", plan_hash="sha256:v1:ab",
        labels={"cluster": "aks-prod", "count": "5"},
        preview={"target": "aks-prod / np1", "title": "Scale aks-prod / np1: 3 → 5 nodes",
                 "changes": [["nodes", "3", "5", "count"]], "no_op": False},
    )


async def test_ids_taken_are_drawn_again_and_the_record_reads_back_whole(
    tables: TableProvider, unique_name: str
) -> None:
    drawn = iter(["AAAA", "AAAA", "BBBB"])
    store = TableOperationStore(tables, table_name=f"ops{unique_name}", id_factory=lambda _: next(drawn))
    first = await store.create(operation)
    second = await store.create(operation)

    assert (first.record.id, second.record.id) == ("AAAA", "BBBB")
    read = await store.get("BBBB")
    assert read is not None
    assert read.record == second.record
    assert await store.get("ZZZZ") is None


async def test_exactly_one_of_two_writes_from_the_same_read_wins(tables: TableProvider, unique_name: str) -> None:
    store = TableOperationStore(tables, table_name=f"ops{unique_name}")
    created = await store.create(operation)
    running = record_intent(created.record, now=T0)

    results = await asyncio.gather(*(store.replace(running, created.etag) for _ in range(2)), return_exceptions=True)

    assert sum(isinstance(r, str) for r in results) == 1
    assert sum(isinstance(r, ConcurrencyConflictError) for r in results) == 1
    read = await store.get(created.record.id)
    assert read is not None
    assert read.record.state is OperationState.RUNNING
    assert [s.record.id for s in await store.active()] == [created.record.id]
    with pytest.raises(ValueError, match="ETag"):
        await store.replace(running, "")


async def test_a_resource_has_one_lease_holder_until_release_or_expiry(tables: TableProvider, unique_name: str) -> None:
    clock = Clock(T0)
    leases = TableLeaseStore(tables, table_name=f"leases{unique_name}", clock=clock)

    results = await asyncio.gather(*(leases.acquire(POOL, f"OP{i}", timedelta(minutes=5)) for i in range(4)))

    winners = [r for r in results if r.acquired]
    assert len(winners) == 1
    holder = winners[0].lease.operation_id
    assert all(r.lease.operation_id == holder for r in results)
    again = await leases.acquire(POOL.upper(), holder, timedelta(minutes=5))  # resource ids compare case-insensitively
    assert again.acquired  # the holder's retried step
    assert not await leases.release(POOL, "SOMEONE-ELSE")
    clock.advance(minutes=6)
    assert await leases.holder(POOL) is None  # expired
    taken = await leases.acquire(POOL, "LATE", timedelta(minutes=5))
    assert taken.acquired
    assert await leases.release(POOL, "LATE")
    assert await leases.holder(POOL) is None


async def test_reclaiming_deletes_only_expired_leases(tables: TableProvider, unique_name: str) -> None:
    clock = Clock(T0)
    leases = TableLeaseStore(tables, table_name=f"leases{unique_name}", clock=clock)
    await leases.acquire("/r/short", "A", timedelta(minutes=1))
    await leases.acquire("/r/long", "B", timedelta(hours=1))
    clock.advance(minutes=2)

    assert [lease.resource_id for lease in await leases.reclaim_expired()] == ["/r/short"]
    assert (await leases.holder("/r/long")) is not None


async def test_an_unreadable_row_is_a_storage_error(tables: TableProvider, unique_name: str) -> None:
    store = TableOperationStore(tables, table_name=f"ops{unique_name}")
    table = await tables.table(store.table_name)
    await table.create_entity({"PartitionKey": "BAD1", "RowKey": "operation", "Record": "{not json"})
    with pytest.raises(StorageError, match="cannot be read"):
        await store.get("BAD1")


async def test_a_requesters_operations_are_listed_newest_first_within_the_window(
    tables: TableProvider, unique_name: str
) -> None:
    from dataclasses import replace

    store = TableOperationStore(tables, table_name=f"ops{unique_name}")
    old = await store.create(lambda i: replace(operation(i), created_at=T0 - timedelta(days=40)))
    first = await store.create(lambda i: replace(operation(i), created_at=T0))
    second = await store.create(lambda i: replace(operation(i), created_at=T0 + timedelta(minutes=5)))
    await store.create(lambda i: replace(operation(i), requester_key="someone-else"))

    mine = await store.by_requester("OID", since=T0 - timedelta(days=30))  # keys compare case-insensitively

    assert [s.record.id for s in mine] == [second.record.id, first.record.id]
    assert old.record.id not in {s.record.id for s in mine}
    assert await store.by_requester("", since=T0) == []
