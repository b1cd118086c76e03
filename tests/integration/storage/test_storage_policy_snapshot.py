"""PolicySnapshotReader against Azurite: what one decision needs, in one parallel round of storage calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from guardrails.records import Actor, GrantKind, Group, Limits, Principal, RateLimit
from guardrails.scopes import scope_chain
from storage import TableProvider
from storage.approver_rules import TableApproverRuleStore
from storage.freezes import TableFreezeStore
from storage.grants import TableGrantStore
from storage.groups import TableGroupStore
from storage.policy_snapshot import PolicySnapshotReader
from storage.rate_counters import TableRateCounter
from tests.support.guardrail_records import ALICE, BOB, NODE_POOL, RG_PROD, RG_PRODUCTION, SUB, T0, freeze, grant, rule
from tests.support.table_storage import FAST, RecordingTransport

LIMIT = RateLimit(max_requests=20, window=timedelta(hours=1))


@dataclass
class Stores:
    transport: RecordingTransport
    grants: TableGrantStore
    groups: TableGroupStore
    rules: TableApproverRuleStore
    freezes: TableFreezeStore
    rate: TableRateCounter

    def reader(self) -> PolicySnapshotReader:
        return PolicySnapshotReader(
            grants=self.grants, groups=self.groups, rules=self.rules, freezes=self.freezes, rate=self.rate
        )


@pytest.fixture
async def stores(storage_connection_string: str, unique_name: str) -> AsyncIterator[Stores]:
    transport = RecordingTransport(connection_timeout=2, read_timeout=10)
    provider = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    yield Stores(
        transport,
        TableGrantStore(provider, table_name=f"grants{unique_name}"),
        TableGroupStore(provider, table_name=f"groups{unique_name}"),
        TableApproverRuleStore(provider, table_name=f"rules{unique_name}"),
        TableFreezeStore(provider, table_name=f"freezes{unique_name}"),
        TableRateCounter(provider, table_name=f"rate{unique_name}"),
    )
    await provider.close()


async def seed(stores: Stores) -> dict[str, str]:
    ids = {}
    for name, g in {
        "own": grant(principal=Principal.user(ALICE)),
        "group": grant(principal=Principal.group("platform"), scope=SUB),
        "other_group": grant(principal=Principal.group("finance")),
        "bob": grant(principal=Principal.user(BOB)),
        "admin": grant(principal=Principal.user(BOB), kind=GrantKind.ADMIN, actions=frozenset({"*"}), limits=Limits()),
    }.items():
        await stores.grants.add(g)
        ids[name] = g.id
    await stores.groups.put(Group("platform", frozenset({ALICE}), created_at=T0))
    await stores.groups.put(Group("finance", frozenset({BOB}), created_at=T0))
    rules = {"sub": rule(scope=SUB, quorum=1), "prod": rule(scope=RG_PROD), "x": rule(scope=RG_PRODUCTION)}
    for name, r in rules.items():
        await stores.rules.put(r)
        ids[f"rule_{name}"] = r.id
    freezes = {
        "now": freeze(scope=RG_PROD),
        "past": freeze(ends_at=T0 - timedelta(hours=1), starts_at=T0 - timedelta(days=1)),
    }
    for name, f in freezes.items():
        await stores.freezes.add(f)
        ids[f"freeze_{name}"] = f.id
    for _ in range(3):
        await stores.rate.increment(Principal.user(ALICE).key, LIMIT.window_start(T0))
    return ids


async def test_a_snapshot_holds_what_the_decision_needs_and_nothing_else(stores: Stores) -> None:
    ids = await seed(stores)

    read = await stores.reader().read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT, with_admin_grants=True)

    snapshot = read.snapshot
    assert read.actor.groups == {"platform"}
    assert sorted(g.id for g in snapshot.grants) == sorted([ids["own"], ids["group"]])
    assert [r.id for r in snapshot.approver_rules] == [ids["rule_sub"], ids["rule_prod"]]
    assert [f.id for f in snapshot.freezes] == [ids["freeze_now"]]
    assert snapshot.recent_requests == 3
    assert snapshot.rate_limit == LIMIT
    assert [g.id for g in snapshot.admins] == [ids["admin"]]
    assert snapshot.groups == {}
    assert read.scope_chain == scope_chain(NODE_POOL)
    assert read.rounds == 2  # this process had not seen Alice's groups yet: platform's grants in a second round


async def test_the_approver_groups_for_re_checking_votes_take_one_more_round(stores: Stores) -> None:
    await seed(stores)  # the rules name Bob and the group platform (Alice)
    reader = stores.reader()
    await reader.read(Actor(BOB), NODE_POOL, now=T0, rate_limit=LIMIT)  # learns Bob's groups

    read = await reader.read(Actor(BOB), NODE_POOL, now=T0, rate_limit=LIMIT, with_approver_groups=True)

    assert read.snapshot.groups == {"platform": frozenset({ALICE})}
    assert read.rounds == 2


async def test_a_warm_snapshot_is_one_parallel_round_of_point_and_partition_reads(stores: Stores) -> None:
    await seed(stores)
    reader = stores.reader()
    await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)  # learns Alice's groups
    stores.transport.reset()

    read = await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)

    chain = len(scope_chain(NODE_POOL))  # /, subscription, resource group, provider, cluster, node pool
    # membership + Alice's grants + platform's grants + a rule and a freeze query per scope + the counter
    assert len(stores.transport.requests) == 1 + 2 + 2 * chain + 1
    assert all(method == "GET" for method, _ in stores.transport.requests)
    assert all("$filter=PartitionKey" in url or "PartitionKey=" in url for _, url in stores.transport.requests)
    assert stores.transport.round_trips == 1
    assert read.rounds == 1


async def test_membership_is_always_read_fresh(stores: Stores) -> None:
    ids = await seed(stores)
    reader = stores.reader()
    first = await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)
    assert ids["group"] in {g.id for g in first.snapshot.grants}

    await stores.groups.put(Group("platform", frozenset(), created_at=T0))  # Alice leaves platform
    await stores.groups.put(Group("finance", frozenset({ALICE, BOB}), created_at=T0))  # and joins finance
    stores.transport.reset()
    second = await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)

    assert second.actor.groups == {"finance"}
    assert sorted(g.id for g in second.snapshot.grants) == sorted([ids["own"], ids["other_group"]])
    assert second.rounds == 2  # a group joined since the last snapshot: its grants in a second round
    assert stores.transport.round_trips == 2


async def test_an_unidentified_actor_holds_nothing(stores: Stores) -> None:
    await seed(stores)
    read = await stores.reader().read(Actor(""), NODE_POOL, now=T0, rate_limit=LIMIT)
    assert read.snapshot.grants == ()
    assert read.snapshot.recent_requests == 0
    assert [f.scope for f in read.snapshot.freezes] == [RG_PROD]


async def test_the_reader_follows_the_active_policy_version(storage_connection_string: str, unique_name: str) -> None:
    """Built for the active policy, the reader reads the pointer in the same round, and switches to a new
    version's tables (one more round) as soon as an import activated it."""
    from storage.policy_versions import PolicyStores, PolicyVersionStore

    namespace = f"v{unique_name}"
    provider = TableProvider(connection_string=storage_connection_string, options=FAST)
    try:
        rate = TableRateCounter(provider, table_name=f"{namespace}rate")
        reader = PolicySnapshotReader.for_active_policy(provider, rate=rate, namespace=namespace)
        initial = PolicyStores.for_version(provider, "", namespace=namespace)
        old = grant(principal=Principal.user(ALICE))
        await initial.grants.add(old)
        first = await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)
        assert [g.id for g in first.snapshot.grants] == [old.id]
        assert (first.rounds, reader.version) == (1, "")

        versions = PolicyVersionStore(provider, namespace=namespace)
        staged = PolicyStores.for_version(provider, "v000000000001", namespace=namespace)
        new = grant(principal=Principal.user(ALICE))
        await staged.grants.add(new)
        await versions.activate("v000000000001", expected=await versions.active(), by="test", at=T0,
                                import_id="import-1")
        switched = await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)
        assert [g.id for g in switched.snapshot.grants] == [new.id]
        assert (switched.rounds, reader.version) == (2, "v000000000001")
        again = await reader.read(Actor(ALICE), NODE_POOL, now=T0, rate_limit=LIMIT)
        assert again.rounds == 1
    finally:
        await provider.close()
