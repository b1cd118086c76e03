"""TableApproverRuleStore against Azurite: one rule per scope, the scope chain in point reads, odd ARM ids."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guardrails.ports import RecordNotFound, StoreUnavailable
from guardrails.records import Principal
from guardrails.scopes import scope_chain, scope_key
from storage import TableProvider
from storage.approver_rules import TableApproverRuleStore
from tests.support.guardrail_records import BOB, NODE_POOL, ODD_RG, RG_PROD, RG_PRODUCTION, SUB, rule
from tests.support.table_storage import FAST, unreachable_connection_string


@pytest.fixture
def store(tables: TableProvider, unique_name: str) -> TableApproverRuleStore:
    return TableApproverRuleStore(tables, table_name=f"rules{unique_name}")


async def test_rules_of_a_scope_chain_are_found_and_lookalikes_are_not(store: TableApproverRuleStore) -> None:
    on_sub = rule(scope=SUB, quorum=1)
    on_prod = rule(scope=RG_PROD, quorum=2, approval_ttl=timedelta(hours=2))
    on_production = rule(scope=RG_PRODUCTION)
    for r in (on_sub, on_prod, on_production):
        await store.put(r)

    found = await store.on_scopes(scope_chain(NODE_POOL))

    assert found == [on_sub, on_prod]  # in chain order: least specific first


async def test_put_replaces_the_rule_of_the_same_scope_in_any_spelling(store: TableApproverRuleStore) -> None:
    await store.put(rule(scope=RG_PROD, quorum=1))
    newer = rule(scope=RG_PROD.upper() + "/", quorum=3, approvers=frozenset({Principal.user(BOB)}))
    await store.put(newer)

    assert await store.on_scopes([scope_key(RG_PROD)]) == [newer]
    assert await store.remove("/SUBSCRIPTIONS/11111111-1111-1111-1111-111111111111/resourcegroups/RG-PROD") == newer
    assert await store.on_scopes([scope_key(RG_PROD)]) == []
    with pytest.raises(RecordNotFound):
        await store.remove(RG_PROD)


async def test_odd_arm_ids_round_trip(store: TableApproverRuleStore) -> None:
    odd = rule(scope=ODD_RG)
    await store.put(odd)

    assert await store.on_scopes(scope_chain(ODD_RG)) == [odd]
    assert await store.all() == [odd]


async def test_unreachable_storage_raises_store_unavailable(refused_port: int) -> None:
    provider = TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST)
    try:
        with pytest.raises(StoreUnavailable):
            await TableApproverRuleStore(provider).on_scopes(scope_chain(NODE_POOL))
    finally:
        await provider.close()
