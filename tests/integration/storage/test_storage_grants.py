"""TableGrantStore against Azurite: by principal, by scope, odd ARM ids, expiry, safe partial writes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guardrails.ports import RecordConflict, RecordNotFound, StoreUnavailable
from guardrails.records import ALL_ACTIONS, GrantKind, GrantMode, Limits, Principal
from guardrails.scopes import scope_chain, scope_key
from storage import TableProvider
from storage.grants import TableGrantStore
from tests.support.guardrail_records import (
    ALICE,
    BOB,
    CLUSTER,
    NODE_POOL,
    ODD_RG,
    RG_PROD,
    RG_PRODUCTION,
    SUB,
    T0,
    grant,
)
from tests.support.table_storage import FAST, WriteFailingTransport, unreachable_connection_string


@pytest.fixture
def store(tables: TableProvider, unique_name: str) -> TableGrantStore:
    return TableGrantStore(tables, table_name=f"grants{unique_name}")


async def test_a_grant_round_trips_with_its_limits_expiry_and_mode(store: TableGrantStore) -> None:
    original = grant(mode=GrantMode.APPROVAL)

    await store.add(original)

    assert await store.get(original.id) == original
    assert await store.for_principals([Principal.user(ALICE)]) == [original]
    assert await store.on_scopes([scope_key(RG_PROD)]) == [original]


async def test_for_principals_reads_the_users_and_their_groups_grants_only(store: TableGrantStore) -> None:
    mine = grant(principal=Principal.user(ALICE))
    my_groups = grant(principal=Principal.group("Platform"), actions=frozenset({ALL_ACTIONS}))
    other_group = grant(principal=Principal.group("finance"))
    someone_else = grant(principal=Principal.user(BOB))
    for g in (mine, my_groups, other_group, someone_else):
        await store.add(g)

    found = await store.for_principals([Principal.user(ALICE.upper()), Principal.group("platform")])

    assert sorted(g.id for g in found) == sorted([mine.id, my_groups.id])
    assert await store.for_principals([]) == []


async def test_expired_grants_are_returned_with_their_expiry_for_the_decision_to_ignore(store: TableGrantStore) -> None:
    expired = grant(expires_at=T0 - timedelta(seconds=1))
    await store.add(expired)

    (found,) = await store.for_principals([Principal.user(ALICE)])

    assert found.expires_at == T0 - timedelta(seconds=1)
    assert not found.active_at(T0)


async def test_on_scopes_reads_exactly_the_given_scopes_never_a_prefix_lookalike(store: TableGrantStore) -> None:
    on_sub = grant(scope=SUB)
    on_prod = grant(scope=RG_PROD.upper() + "/")  # ARM ids compare case-insensitively, trailing slash ignored
    on_production = grant(scope=RG_PRODUCTION)
    admin_on_prod = grant(scope=RG_PROD, kind=GrantKind.ADMIN, actions=frozenset({ALL_ACTIONS}), limits=Limits())
    for g in (on_sub, on_prod, on_production, admin_on_prod):
        await store.add(g)

    covering = await store.on_scopes(scope_chain(NODE_POOL))
    admins = await store.on_scopes(scope_chain(CLUSTER), GrantKind.ADMIN)

    assert sorted(g.id for g in covering) == sorted([on_sub.id, on_prod.id, admin_on_prod.id])
    assert [g.id for g in admins] == [admin_on_prod.id]


async def test_odd_arm_ids_and_ids_are_keys_that_stay_distinct(store: TableGrantStore) -> None:
    odd = grant(id="g/1#?%25", scope=ODD_RG, principal=Principal.group("Ops/Ünïcode#1"))
    lookalike = grant(id="g%2F1#?%25", scope=f"{SUB}/resourceGroups/rg%odd", principal=Principal.group("ops"))
    await store.add(odd)
    await store.add(lookalike)

    assert await store.get("g/1#?%25") == odd
    assert await store.get("g%2F1#?%25") == lookalike
    assert await store.on_scopes([scope_key(ODD_RG)]) == [odd]
    assert await store.for_principals([Principal.group("ops/ünïcode#1")]) == [odd]


async def test_a_second_grant_with_the_same_id_is_a_conflict_and_changes_nothing(store: TableGrantStore) -> None:
    first = grant(id="g-same")
    await store.add(first)

    with pytest.raises(RecordConflict):
        await store.add(grant(id="g-same", principal=Principal.user(BOB), scope=SUB))

    assert await store.get("g-same") == first
    assert await store.for_principals([Principal.user(BOB)]) == []
    assert await store.on_scopes([scope_key(SUB)]) == []


async def test_revoke_removes_every_row_and_returns_the_grant(store: TableGrantStore) -> None:
    kept, revoked = grant(), grant()
    await store.add(kept)
    await store.add(revoked)

    assert await store.revoke(revoked.id) == revoked

    assert await store.for_principals([Principal.user(ALICE)]) == [kept]
    assert await store.on_scopes([scope_key(RG_PROD)]) == [kept]
    assert await store.all() == [kept]
    with pytest.raises(RecordNotFound):
        await store.get(revoked.id)
    with pytest.raises(RecordNotFound):
        await store.revoke(revoked.id)


async def test_an_interrupted_add_authorizes_nothing_and_repeating_it_completes_it(
    store: TableGrantStore, storage_connection_string: str
) -> None:
    g = grant()
    # the grant row and the scope row are written, then the service goes away: no principal row
    transport = WriteFailingTransport(writes_allowed=2)
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        with pytest.raises(StoreUnavailable):
            await TableGrantStore(failing, table_name=store.table_name).add(g)
    finally:
        await failing.close()

    assert await store.for_principals([Principal.user(ALICE)]) == []  # no permission from a failed add
    assert await store.get(g.id) == g
    await store.add(g)  # the same grant again: not a conflict, it completes the add
    assert await store.for_principals([Principal.user(ALICE)]) == [g]


async def test_an_interrupted_revoke_has_already_removed_the_permission(
    store: TableGrantStore, storage_connection_string: str
) -> None:
    g = grant()
    await store.add(g)
    transport = WriteFailingTransport(writes_allowed=1)  # only the principal row's delete gets through
    failing = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        with pytest.raises(StoreUnavailable):
            await TableGrantStore(failing, table_name=store.table_name).revoke(g.id)
    finally:
        await failing.close()

    assert await store.for_principals([Principal.user(ALICE)]) == []
    assert await store.revoke(g.id) == g  # repeating it completes it
    assert await store.all() == []


async def test_all_lists_every_grant_once(store: TableGrantStore) -> None:
    grants = [grant(), grant(principal=Principal.group("platform")), grant(scope=ODD_RG)]
    for g in grants:
        await store.add(g)

    assert sorted(g.id for g in await store.all()) == sorted(g.id for g in grants)


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        store = TableGrantStore(provider)
        with pytest.raises(StoreUnavailable):
            await store.for_principals([Principal.user(ALICE)])
        with pytest.raises(StoreUnavailable):
            await store.add(grant())
    finally:
        await provider.close()


async def test_add_many_stores_every_grant_readable_both_ways(store: TableGrantStore) -> None:
    grants = [grant(principal=Principal.user(f"00000000-0000-0000-0000-{n % 3:012d}")) for n in range(250)]

    await store.add_many(grants)

    assert sorted(g.id for g in await store.all()) == sorted(g.id for g in grants)
    assert len(await store.for_principals([Principal.user("00000000-0000-0000-0000-000000000001")])) == 83
    assert len(await store.on_scopes([scope_key(RG_PROD)])) == 250
    assert await store.get(grants[7].id) == grants[7]


async def test_add_many_refuses_an_existing_id_and_duplicates(store: TableGrantStore) -> None:
    existing = grant()
    await store.add(existing)

    with pytest.raises(RecordConflict):
        await store.add_many([existing])
    with pytest.raises(ValueError, match="same id"):
        await store.add_many([grant(id="g-twice"), grant(id="g-twice")])
    assert await store.all() == [existing]
