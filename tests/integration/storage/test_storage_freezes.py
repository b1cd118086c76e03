"""TableFreezeStore against Azurite: freezes by scope chain, ended ones left out, safe partial writes."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from guardrails.ports import RecordConflict, RecordNotFound, StoreUnavailable
from guardrails.scopes import scope_chain
from storage import TableProvider
from storage.freezes import TableFreezeStore
from tests.support.guardrail_records import NODE_POOL, ODD_RG, RG_PROD, RG_PRODUCTION, SUB, T0, freeze
from tests.support.table_storage import FAST, WriteFailingTransport, unreachable_connection_string


@pytest.fixture
def store(tables: TableProvider, unique_name: str) -> TableFreezeStore:
    return TableFreezeStore(tables, table_name=f"freezes{unique_name}")


async def test_freezes_on_the_chain_that_have_not_ended_are_found(store: TableFreezeStore) -> None:
    berlin = timezone(timedelta(hours=1))
    on_sub = freeze(scope=SUB, starts_at=T0.astimezone(berlin), ends_at=(T0 + timedelta(hours=5)).astimezone(berlin))
    on_prod_ended = freeze(scope=RG_PROD, starts_at=T0 - timedelta(days=2), ends_at=T0)
    on_prod_later = freeze(scope=RG_PROD, starts_at=T0 + timedelta(days=1), ends_at=T0 + timedelta(days=2))
    on_production = freeze(scope=RG_PRODUCTION)
    for f in (on_sub, on_prod_ended, on_prod_later, on_production):
        await store.add(f)

    found = await store.on_scopes(scope_chain(NODE_POOL), ending_after=T0)

    assert sorted(f.id for f in found) == sorted([on_sub.id, on_prod_later.id])  # the one ending at T0 has ended
    (stored_sub,) = [f for f in found if f.id == on_sub.id]
    assert stored_sub.ends_at == T0 + timedelta(hours=5)  # the same instant, kept in UTC


async def test_remove_lifts_the_freeze_and_a_duplicate_id_is_a_conflict(store: TableFreezeStore) -> None:
    f = freeze(id="f/1%ü", scope=ODD_RG)
    await store.add(f)
    with pytest.raises(RecordConflict):
        await store.add(freeze(id="f/1%ü", scope=SUB))

    assert await store.get("f/1%ü") == f  # read by id before lifting it (whose scope is it?)
    assert await store.remove("f/1%ü") == f
    assert await store.on_scopes(scope_chain(ODD_RG), ending_after=T0) == []
    assert await store.all() == []
    with pytest.raises(RecordNotFound):
        await store.remove("f/1%ü")
    with pytest.raises(RecordNotFound):
        await store.get("f/1%ü")


async def test_an_interrupted_add_freezes_nothing_and_repeating_it_completes_it(
    store: TableFreezeStore, storage_connection_string: str
) -> None:
    f = freeze()
    transport = WriteFailingTransport(writes_allowed=1)  # the freeze row, not the scope row
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        with pytest.raises(StoreUnavailable):
            await TableFreezeStore(failing, table_name=store.table_name).add(f)
    finally:
        await failing.close()

    assert await store.on_scopes(scope_chain(NODE_POOL), ending_after=T0) == []
    await store.add(f)
    assert await store.on_scopes(scope_chain(NODE_POOL), ending_after=T0) == [f]


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        with pytest.raises(StoreUnavailable):
            await TableFreezeStore(provider).on_scopes(scope_chain(NODE_POOL), ending_after=T0)
    finally:
        await provider.close()
