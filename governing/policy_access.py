"""``PolicyAccess``: the stores of the active policy version, the approvals and audit stores, and the clock.

The chat commands read and change the policy through this one object: it resolves the active
policy version (one point read, :class:`storage.policy_versions.PolicyVersionStore`) on each
use, so a command never writes into a version an import has just replaced, and it appends
every audit record to the audit table *and* emits it as a custom event
(:class:`telemetry.audit_events.AuditEventEmitter`) with the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from guardrails.decision import PolicySnapshot
from guardrails.records import Actor, AuditKind, AuditRecord, RateLimit
from storage.approvals import TableApprovalStore
from storage.audit import TableAuditStore
from storage.policy_snapshot import PolicySnapshotReader, SnapshotRead
from storage.policy_versions import PolicyStores, PolicyVersionStore
from storage.rate_counters import TableRateCounter
from storage.tables import TableProvider
from telemetry.audit_events import AuditEventEmitter

__all__ = ["ActorGrants", "PolicyAccess"]


class ActorGrants:
    """A person's groups and every grant they hold (their own and their groups'), expired ones included."""

    def __init__(self, actor: Actor, snapshot: PolicySnapshot) -> None:
        self.actor = actor  # with ``groups`` filled in
        self.snapshot = snapshot  # ``grants`` only


class PolicyAccess:
    """What the chat commands read and write, over one storage account.

    :param tables: the process's table provider.
    :param namespace: prefix of every table name ("" in an installation; tests keep theirs apart).
    :param events: emits each audit record as a custom event (default: the real emitter).
    :param clock: now, timezone-aware (tests pass a fixed one).
    :param rate_limit: the per-person rate limit the decision is explained with.
    """

    def __init__(
        self,
        tables: TableProvider,
        *,
        namespace: str = "",
        events: AuditEventEmitter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rate_limit: RateLimit | None = None,
    ) -> None:
        self._tables = tables
        self._namespace = namespace
        self._events = events if events is not None else AuditEventEmitter()
        self.clock = clock
        self.rate_limit = rate_limit or RateLimit()
        self.versions = PolicyVersionStore(tables, namespace=namespace)
        self.approvals = TableApprovalStore(tables, table_name=namespace + "approvals")
        self.audit = TableAuditStore(tables, table_name=namespace + "audit")
        self._rate = TableRateCounter(tables, table_name=namespace + "ratecounters")
        self._readers: dict[str, PolicySnapshotReader] = {}

    def now(self) -> datetime:
        return self.clock()

    async def stores(self) -> PolicyStores:
        """The stores of the active policy version (one point read of the pointer)."""
        version = (await self.versions.active()).version
        return PolicyStores.for_version(self._tables, version, namespace=self._namespace)

    def reader(self, stores: PolicyStores) -> PolicySnapshotReader:
        """The snapshot reader of ``stores``' version (one per version, so its group cache is kept)."""
        reader = self._readers.get(stores.version)
        if reader is None:
            if len(self._readers) > 4:  # versions change rarely; keep only the recent ones
                self._readers.clear()
            reader = self._readers[stores.version] = PolicySnapshotReader(
                grants=stores.grants, groups=stores.groups, rules=stores.rules, freezes=stores.freezes, rate=self._rate
            )
        return reader

    async def snapshot(
        self, stores: PolicyStores, actor: Actor, resource_id: str, *, with_admin_grants: bool = True
    ) -> SnapshotRead:
        """What a decision for ``actor`` on ``resource_id`` reads now (one parallel round)."""
        return await self.reader(stores).read(
            actor, resource_id, now=self.now(), rate_limit=self.rate_limit, with_admin_grants=with_admin_grants
        )

    async def actor_grants(self, stores: PolicyStores, actor: Actor) -> ActorGrants:
        """The actor's groups and grants (two reads: membership, then the grants of them and their groups)."""
        if not actor.identified:
            return ActorGrants(actor, PolicySnapshot())
        groups = await stores.groups.groups_of(actor.object_id)
        actor = Actor(actor.object_id, actor.name, groups)
        grants = await stores.grants.for_principals(sorted(actor.principals))
        return ActorGrants(actor, PolicySnapshot(grants=tuple(grants)))

    async def record(self, kind: AuditKind, actor: str, **values: Any) -> AuditRecord:
        """Append an audit record (now, a fresh id) and emit it as a custom event; returns it.

        Raises the audit store's errors: a change whose record cannot be written is not made.
        """
        record = AuditRecord(id=uuid.uuid4().hex, at=self.now(), kind=kind, actor=actor or "unknown", **values)
        await self.audit.append(record)
        self._events.emit(record)
        return record
