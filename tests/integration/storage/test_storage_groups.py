"""TableGroupStore against Azurite: groups, the member index a decision reads, safe partial writes."""

from __future__ import annotations

import pytest

from guardrails.ports import RecordNotFound, StoreUnavailable
from guardrails.records import Group
from storage import TableProvider
from storage.groups import TableGroupStore
from tests.support.guardrail_records import ALICE, BOB, T0
from tests.support.table_storage import FAST, WriteFailingTransport, unreachable_connection_string

CAROL = "00000000-0000-0000-0000-0000000000c3"


@pytest.fixture
def store(tables: TableProvider, unique_name: str) -> TableGroupStore:
    return TableGroupStore(tables, table_name=f"groups{unique_name}")


async def test_a_group_round_trips_and_its_members_see_it(store: TableGroupStore) -> None:
    platform = Group("Platform", frozenset({ALICE, BOB.upper()}), description="on call", created_by=BOB, created_at=T0)
    odd = Group("ops/ünï#?%", frozenset({ALICE}), created_at=T0)
    await store.put(platform)
    await store.put(odd)

    assert await store.get("PLATFORM") == platform
    assert await store.get("ops/ünï#?%") == odd
    assert await store.groups_of(ALICE) == {"platform", "ops/ünï#?%"}
    assert await store.groups_of(BOB) == {"platform"}
    assert await store.groups_of(CAROL) == frozenset()
    assert sorted(g.name for g in await store.all()) == ["ops/ünï#?%", "platform"]


async def test_put_replaces_the_members(store: TableGroupStore) -> None:
    await store.put(Group("platform", frozenset({ALICE, BOB}), created_at=T0))
    await store.put(Group("platform", frozenset({BOB, CAROL}), created_at=T0))

    assert (await store.get("platform")).members == {BOB, CAROL}
    assert await store.groups_of(ALICE) == frozenset()
    assert await store.groups_of(CAROL) == {"platform"}


async def test_delete_removes_the_group_and_every_membership(store: TableGroupStore) -> None:
    await store.put(Group("platform", frozenset({ALICE, BOB}), created_at=T0))

    await store.delete("Platform")

    assert await store.groups_of(ALICE) == frozenset()
    with pytest.raises(RecordNotFound):
        await store.get("platform")
    with pytest.raises(RecordNotFound):
        await store.delete("platform")


async def test_an_interrupted_put_never_gives_more_membership_than_either_version(
    store: TableGroupStore, storage_connection_string: str
) -> None:
    await store.put(Group("platform", frozenset({ALICE, BOB}), created_at=T0))
    new = Group("platform", frozenset({BOB, CAROL}), created_at=T0)
    transport = WriteFailingTransport(writes_allowed=2)  # Alice's removal and the record; not Carol's row
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        with pytest.raises(StoreUnavailable):
            await TableGroupStore(failing, table_name=store.table_name).put(new)
    finally:
        await failing.close()

    assert await store.groups_of(ALICE) == frozenset()  # removed before anything else
    await store.put(new)  # repeating the put completes it
    assert await store.groups_of(CAROL) == {"platform"}
    assert await store.groups_of(BOB) == {"platform"}


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        with pytest.raises(StoreUnavailable):
            await TableGroupStore(provider).groups_of(ALICE)
    finally:
        await provider.close()
