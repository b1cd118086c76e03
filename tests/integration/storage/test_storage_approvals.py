"""TableApprovalStore against Azurite: round trips, ETags, concurrent votes with exactly one hand-off, pointers."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from guardrails.ports import RecordConflict, RecordNotFound, StoreUnavailable
from guardrails.records import ApprovalStatus
from storage import TableProvider
from storage.approvals import TableApprovalStore
from tests.support.guardrail_records import ALICE, BOB, ODD_RG, T0, approval, vote, with_vote
from tests.support.table_storage import FAST, WriteFailingTransport, unreachable_connection_string

VOTERS = [f"00000000-0000-0000-0000-{n:012d}" for n in range(1, 51)]


@pytest.fixture
def store(tables: TableProvider, unique_name: str) -> TableApprovalStore:
    return TableApprovalStore(tables, table_name=f"approvals{unique_name}")


async def test_a_request_round_trips_with_its_etag(store: TableApprovalStore) -> None:
    original = approval(votes=(vote(BOB),))

    etag = await store.create(original)
    got = await store.get(original.id)

    assert got.record == original
    assert got.etag == etag
    assert got.record.expires_at == T0 + timedelta(hours=24)


async def test_odd_ids_and_resource_ids_round_trip(store: TableApprovalStore) -> None:
    odd = approval(id="a/1#?%25ü", resource_id=ODD_RG)
    await store.create(odd)

    assert (await store.get("a/1#?%25ü")).record == odd
    with pytest.raises(RecordNotFound):
        await store.get("a%2F1#?%25ü")


async def test_create_twice_is_a_conflict_and_keeps_the_first(store: TableApprovalStore) -> None:
    first = approval(id="a-same")
    await store.create(first)

    with pytest.raises(RecordConflict):
        await store.create(approval(id="a-same", reason="another"))
    assert (await store.get("a-same")).record == first


async def test_replace_with_a_stale_etag_is_a_conflict(store: TableApprovalStore) -> None:
    original = approval()
    etag = await store.create(original)
    one_vote = with_vote(original, vote(BOB))[0]
    assert one_vote is not None
    new_etag = await store.replace(one_vote, etag)

    with pytest.raises(RecordConflict):
        await store.replace(dataclasses.replace(original, reason="overwrite"), etag)

    got = await store.get(original.id)
    assert got.record == one_vote
    assert got.etag == new_etag


async def test_twenty_concurrent_votes_through_get_and_replace_reach_quorum_once(store: TableApprovalStore) -> None:
    original = approval(quorum=3)
    await store.create(original)

    async def cast(voter: str) -> bool:
        """The port's loop: read, decide, write if unchanged; True if this write approved the request."""
        while True:
            current = await store.get(original.id)
            changed, _ = with_vote(current.record, vote(voter))
            if changed is None:
                return False
            try:
                await store.replace(changed, current.etag)
            except RecordConflict:
                continue
            return changed.status is ApprovalStatus.APPROVED

    approved_here = await asyncio.gather(*(cast(v) for v in VOTERS[:20]))

    final = (await store.get(original.id)).record
    assert approved_here.count(True) == 1
    assert final.status is ApprovalStatus.APPROVED
    assert len(final.votes) == 3
    assert len({v.voter_id for v in final.votes}) == 3


async def test_fifty_concurrent_updates_hand_off_exactly_once(store: TableApprovalStore) -> None:
    original = approval(quorum=2)
    await store.create(original)

    updates = await asyncio.gather(*(store.update(original.id, lambda a, v=v: with_vote(a, vote(v))) for v in VOTERS))

    final = (await store.get(original.id)).record
    assert [u.approved_here for u in updates].count(True) == 1
    assert [u.result for u in updates].count("recorded") == 2
    assert [u.result for u in updates].count("already_decided") == 48
    assert final.status is ApprovalStatus.APPROVED
    assert len(final.votes) == 2


async def test_updates_from_two_processes_still_hand_off_once(
    tables: TableProvider, storage_connection_string: str, store: TableApprovalStore
) -> None:
    # Two stores on one table: two Functions instances, each with its own in-process queue.
    other_provider = TableProvider(connection_string=storage_connection_string, options=FAST)
    other = TableApprovalStore(other_provider, table_name=store.table_name)
    try:
        original = approval(quorum=5)
        await store.create(original)
        updates = await asyncio.gather(
            *(
                (store if n % 2 else other).update(original.id, lambda a, v=v: with_vote(a, vote(v)))
                for n, v in enumerate(VOTERS[:20])
            )
        )
    finally:
        await other_provider.close()

    final = (await store.get(original.id)).record
    assert [u.approved_here for u in updates].count(True) == 1
    assert len(final.votes) == 5


async def test_the_same_person_voting_twice_at_once_counts_once(store: TableApprovalStore) -> None:
    original = approval(quorum=2)
    await store.create(original)

    updates = await asyncio.gather(*(store.update(original.id, lambda a: with_vote(a, vote(BOB))) for _ in range(5)))

    assert sorted(u.result for u in updates) == ["already_voted"] * 4 + ["recorded"]
    final = (await store.get(original.id)).record
    assert final.status is ApprovalStatus.PENDING
    assert [v.voter_id for v in final.votes] == [BOB]


async def test_update_of_a_missing_request_is_not_found(store: TableApprovalStore) -> None:
    with pytest.raises(RecordNotFound):
        await store.update("a-missing", lambda a: with_vote(a, vote(BOB)))


async def test_by_status_follows_the_status_newest_first(store: TableApprovalStore) -> None:
    older = approval(created_at=T0)
    newer = approval(created_at=T0 + timedelta(minutes=1))
    decided = approval(created_at=T0 + timedelta(minutes=2), quorum=1)
    for a in (older, newer, decided):
        await store.create(a)
    update = await store.update(decided.id, lambda a: with_vote(a, vote(BOB)))
    assert update.approved_here

    assert [a.id for a in await store.by_status(ApprovalStatus.PENDING)] == [newer.id, older.id]
    assert [a.id for a in await store.by_status(ApprovalStatus.APPROVED)] == [decided.id]
    assert [a.id for a in await store.by_status(ApprovalStatus.PENDING, limit=1)] == [newer.id]
    assert await store.by_status(ApprovalStatus.REJECTED) == []


async def test_by_requester_lists_one_persons_requests_newest_first(store: TableApprovalStore) -> None:
    mine = [approval(created_at=T0 + timedelta(minutes=n)) for n in range(3)]
    theirs = approval(requester_id=BOB)
    for a in (*mine, theirs):
        await store.create(a)

    assert [a.id for a in await store.by_requester(ALICE.upper())] == [a.id for a in reversed(mine)]
    assert [a.id for a in await store.by_requester(BOB)] == [theirs.id]
    assert len(await store.by_requester(ALICE, limit=2)) == 2


async def test_an_interrupted_create_leaves_no_request_and_no_listed_request(
    store: TableApprovalStore, storage_connection_string: str
) -> None:
    a = approval()
    transport = WriteFailingTransport(writes_allowed=2)  # both pointers, not the record
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        with pytest.raises(StoreUnavailable):
            await TableApprovalStore(failing, table_name=store.table_name).create(a)
    finally:
        await failing.close()

    with pytest.raises(RecordNotFound):
        await store.get(a.id)
    assert await store.by_status(ApprovalStatus.PENDING) == []
    assert await store.by_requester(ALICE) == []
    await store.create(a)  # creating it again works
    assert [x.id for x in await store.by_status(ApprovalStatus.PENDING)] == [a.id]


async def test_a_decision_whose_pointer_cleanup_failed_is_not_listed_as_pending(
    store: TableApprovalStore, storage_connection_string: str
) -> None:
    a = approval(quorum=1)
    etag = await store.create(a)
    approved, _ = with_vote(a, vote(BOB))
    assert approved is not None
    transport = WriteFailingTransport(writes_allowed=2)  # approved pointer and record; not the pending cleanup
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        await TableApprovalStore(failing, table_name=store.table_name).replace(approved, etag)
    finally:
        await failing.close()

    assert await store.by_status(ApprovalStatus.PENDING) == []
    assert [x.id for x in await store.by_status(ApprovalStatus.APPROVED)] == [a.id]


async def test_a_request_too_large_to_store_is_refused_before_writing(store: TableApprovalStore) -> None:
    huge = approval(reason="x" * 40_000)
    with pytest.raises(ValueError, match="too large"):
        await store.create(huge)
    assert await store.by_requester(ALICE) == []


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        store = TableApprovalStore(provider)
        with pytest.raises(StoreUnavailable):
            await store.get("a-1")
        with pytest.raises(StoreUnavailable):
            await store.create(approval())
    finally:
        await provider.close()


