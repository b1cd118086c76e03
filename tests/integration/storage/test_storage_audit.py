"""TableAuditStore against Azurite: append and query only; a second append of an id is refused, never written."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest

from guardrails.ports import AuditQuery, RecordConflict, StoreUnavailable
from guardrails.records import AuditKind
from storage import TableProvider
from storage.audit import TableAuditStore
from tests.support.guardrail_records import ALICE, BOB, ODD_RG, T0, audit
from tests.support.table_storage import FAST, WriteFailingTransport, unreachable_connection_string


@pytest.fixture
def store(tables: TableProvider, unique_name: str) -> TableAuditStore:
    return TableAuditStore(tables, table_name=f"audit{unique_name}")


def test_the_store_can_only_append_and_query() -> None:
    public = {name for name, _ in inspect.getmembers(TableAuditStore, callable) if not name.startswith("_")}
    assert public == {"append", "query"}


async def test_a_record_round_trips_and_is_found_by_request_actor_and_time(store: TableAuditStore) -> None:
    record = audit(scope=ODD_RG, break_glass=True, reason="outage ü", details={"count": "5", "rule": "g/1"})
    await store.append(record)

    assert await store.query(AuditQuery(request_id=record.request_id)) == [record]
    assert await store.query(AuditQuery(actor=ALICE)) == [record]
    assert await store.query(AuditQuery(since=T0, until=T0 + timedelta(seconds=1))) == [record]
    assert await store.query(AuditQuery(since=T0 + timedelta(seconds=1), until=T0 + timedelta(hours=1))) == []


async def test_appending_the_same_id_twice_is_refused_and_the_first_stays(store: TableAuditStore) -> None:
    first = audit(id="audit-1", decision="refused")
    await store.append(first)

    with pytest.raises(RecordConflict):
        await store.append(audit(id="audit-1", decision="approved", actor=BOB))
    with pytest.raises(RecordConflict):
        await store.append(first)

    assert await store.query(AuditQuery(request_id=first.request_id)) == [first]
    assert await store.query(AuditQuery(actor=BOB)) == []


async def test_queries_are_newest_first_filtered_and_limited(store: TableAuditStore) -> None:
    request = "req-42"
    records = [
        audit(request_id=request, at=T0 + timedelta(minutes=n), kind=kind, actor=actor)
        for n, (kind, actor) in enumerate(
            [(AuditKind.REQUEST, ALICE), (AuditKind.DECISION, ALICE), (AuditKind.VOTE, BOB), (AuditKind.VOTE, ALICE)]
        )
    ]
    for record in records:
        await store.append(record)
    await store.append(audit(at=T0 - timedelta(days=2)))  # an older day

    by_request = await store.query(AuditQuery(request_id=request))
    assert [r.id for r in by_request] == [r.id for r in reversed(records)]
    votes = await store.query(AuditQuery(request_id=request, kind=AuditKind.VOTE))
    assert [r.actor for r in votes] == [ALICE, BOB]
    assert [r.id for r in await store.query(AuditQuery(request_id=request, actor=BOB))] == [records[2].id]
    assert len(await store.query(AuditQuery(actor=ALICE, limit=2))) == 2
    window = AuditQuery(since=T0 - timedelta(days=3), until=T0 + timedelta(hours=1), limit=10)
    assert len(await store.query(window)) == 5
    day_only = AuditQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
    assert [r.id for r in await store.query(day_only)] == [records[2].id, records[1].id]


async def test_an_interrupted_append_is_completed_by_the_refused_retry(
    store: TableAuditStore, storage_connection_string: str
) -> None:
    record = audit()
    transport = WriteFailingTransport(writes_allowed=1)  # the record row, none of its index rows
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        with pytest.raises(StoreUnavailable):
            await TableAuditStore(failing, table_name=store.table_name).append(record)
    finally:
        await failing.close()
    assert await store.query(AuditQuery(request_id=record.request_id)) == []

    with pytest.raises(RecordConflict):
        await store.append(record)  # refused (it exists), and its index rows are now in place

    assert await store.query(AuditQuery(request_id=record.request_id)) == [record]
    assert await store.query(AuditQuery(actor=ALICE)) == [record]


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        store = TableAuditStore(provider)
        with pytest.raises(StoreUnavailable):
            await store.append(audit())
        with pytest.raises(StoreUnavailable):
            await store.query(AuditQuery(actor=ALICE))
    finally:
        await provider.close()
