"""``PolicySnapshotReader``: everything one policy decision reads, in one parallel round of storage calls.

For a person acting on a resource at a moment it reads, all at once (``asyncio.gather``):

- the groups the person belongs to (one partition query, :meth:`TableGroupStore.groups_of`);
- the grants of the person and of their groups (one partition query per principal);
- the approver rules of the resource's scope chain (one point read per scope,
  :func:`guardrails.scopes.scope_chain`: ``/``, subscription, resource group, provider, resource, …);
- the freezes on that chain that have not ended (one partition query per scope);
- the person's request count in the current rate-limit window (one point read);
- optionally the admin grants on the chain (who could grant a missing permission).

Nothing reads a whole table, so the time of a snapshot depends on what one person and one
scope chain hold, not on how many grants the tables hold in all.

**Group grants in the same round.** Which groups' grants to read depends on the membership,
which is read in the same round. The reader remembers each person's groups from their last
snapshot in this process (a bounded cache) and reads those groups' grants alongside the fresh
membership. The membership read is authoritative: grants of groups the person has left are
dropped, and groups they joined since are read in a second round. So a snapshot is never built
on stale membership; it takes one round whenever the membership is the one last seen (every
decision after a person's first in this process, or a person in no group), two otherwise.

**The active policy version.** Built with :meth:`PolicySnapshotReader.for_active_policy`, the reader
reads the active-version pointer (:class:`~storage.policy_versions.PolicyVersionStore`, one point read)
in the same round as the policy tables of the version it used last; when the pointer moved (an
import switched it), it reads again from the new version's tables (one more round). A decision
is therefore never made on a retired version once the switch is visible, and costs no extra
round while the version stays the same.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from guardrails.decision import PolicySnapshot
from guardrails.ports import RecordNotFound
from guardrails.records import Actor, Grant, GrantKind, Group, Principal, PrincipalKind, RateLimit
from guardrails.scopes import scope_chain
from storage.approver_rules import TableApproverRuleStore
from storage.freezes import TableFreezeStore
from storage.grants import TableGrantStore
from storage.groups import TableGroupStore
from storage.guardrail_rows import gather_all
from storage.policy_versions import INITIAL_VERSION, PolicyStores, PolicyVersionStore
from storage.rate_counters import TableRateCounter

if TYPE_CHECKING:
    from storage.tables import TableProvider

__all__ = ["PolicySnapshotReader", "SnapshotRead"]

_GROUP_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class SnapshotRead:
    """A :class:`guardrails.decision.PolicySnapshot` as read, and how it was read.

    ``actor`` carries the groups read (pass it to the decision); ``snapshot.grants`` are the
    actor's and their groups' (expired ones included: the decision compares with its clock);
    ``snapshot.approver_rules`` and ``snapshot.freezes`` those on ``scope_chain`` (freezes ending
    after ``read_at``); ``snapshot.recent_requests`` the actor's count in the rate window starting
    at ``window_start``; ``snapshot.admins`` and ``snapshot.groups`` only when asked for.
    ``rounds``: sequential storage rounds it took.
    """

    actor: Actor
    resource_id: str
    scope_chain: tuple[str, ...]
    snapshot: PolicySnapshot
    window_start: datetime
    read_at: datetime
    rounds: int = 1


class PolicySnapshotReader:
    """Reads a :class:`PolicySnapshot` from the guardrail stores (one instance per process)."""

    def __init__(
        self,
        *,
        grants: TableGrantStore,
        groups: TableGroupStore,
        rules: TableApproverRuleStore,
        freezes: TableFreezeStore,
        rate: TableRateCounter,
        group_cache_size: int = _GROUP_CACHE_SIZE,
    ) -> None:
        self._grants = grants
        self._groups = groups
        self._rules = rules
        self._freezes = freezes
        self._rate = rate
        self._known_groups: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._cache_size = group_cache_size
        self._versions: PolicyVersionStore | None = None
        self._tables: TableProvider | None = None
        self._namespace = ""
        self._version = INITIAL_VERSION

    @classmethod
    def for_active_policy(
        cls,
        tables: TableProvider,
        *,
        rate: TableRateCounter,
        versions: PolicyVersionStore | None = None,
        namespace: str = "",
        group_cache_size: int = _GROUP_CACHE_SIZE,
    ) -> PolicySnapshotReader:
        """A reader of the **active** policy version (``policyversions`` pointer), switching when it moves.

        ``namespace`` prefixes the policy tables' names as :meth:`PolicyStores.for_version` does.
        """
        stores = PolicyStores.for_version(tables, INITIAL_VERSION, namespace=namespace)
        reader = cls(
            grants=stores.grants, groups=stores.groups, rules=stores.rules, freezes=stores.freezes, rate=rate,
            group_cache_size=group_cache_size,
        )
        reader._versions = versions or PolicyVersionStore(tables, namespace=namespace)
        reader._tables = tables
        reader._namespace = namespace
        return reader

    @property
    def version(self) -> str:
        """The policy version the last read used (``""``: the initial version)."""
        return self._version

    def _use_version(self, version: str) -> None:
        assert self._tables is not None
        stores = PolicyStores.for_version(self._tables, version, namespace=self._namespace)
        self._grants, self._groups, self._rules, self._freezes = (
            stores.grants, stores.groups, stores.rules, stores.freezes
        )
        self._version = version
        self._known_groups.clear()  # membership of another version

    async def policy(self) -> PolicyStores:
        """The stores of the active version (one point read of the pointer; none for a fixed-version reader).

        Raises the stores' errors when storage fails.
        """
        if self._versions is not None:
            active = await self._versions.active()
            if active.version != self._version:
                self._use_version(active.version)
        return PolicyStores(
            version=self._version, grants=self._grants, groups=self._groups, rules=self._rules,
            freezes=self._freezes, namespace=self._namespace,
        )

    async def read(
        self,
        actor: Actor,
        resource_id: str,
        *,
        now: datetime,
        rate_limit: RateLimit,
        with_admin_grants: bool = False,
        with_approver_groups: bool = False,
    ) -> SnapshotRead:
        """The snapshot for ``actor`` acting on ``resource_id`` at ``now`` (aware).

        ``with_admin_grants``: also the admin grants on the chain (who could grant a missing
        permission), in the same round. ``with_approver_groups``: also the members of the groups
        the rules name (re-checking votes before execution): one more round, after the rules.

        Raises :class:`~guardrails.scopes.ScopeError` for a resource id that is not an ARM path, and
        the stores' errors (:class:`~guardrails.ports.StoreUnavailable`, …) when storage fails.
        An unidentified actor (no Entra object id) holds no grants: only the scope's rules and
        freezes are read.
        """
        chain = scope_chain(resource_id)
        window_start = rate_limit.window_start(now)
        object_id = actor.object_id
        guessed = self._known_groups.get(object_id, frozenset()) if object_id else frozenset()
        principals = [Principal.user(object_id), *(Principal.group(g) for g in sorted(guessed))] if object_id else []

        async def nothing_groups() -> frozenset[str]:
            return frozenset()

        async def nothing_count() -> int:
            return 0

        async def no_grants() -> list[Grant]:
            return []

        async def same_version() -> str:
            return self._version

        read_version = self._version
        version, groups, grants, rules, freezes, count, admin = await gather_all(
            [
                self._active_version() if self._versions is not None else same_version(),
                self._groups.groups_of(object_id) if object_id else nothing_groups(),
                self._grants.for_principals(principals) if principals else no_grants(),
                self._rules.on_scopes(chain),
                self._freezes.on_scopes(chain, ending_after=now),
                self._rate.count(Principal.user(object_id).key, window_start) if object_id else nothing_count(),
                self._grants.on_scopes(chain, GrantKind.ADMIN) if with_admin_grants else no_grants(),
            ]
        )
        if version != read_version:  # an import switched the policy: read the new version's tables
            self._use_version(str(version))
            again = await self.read(
                actor, resource_id, now=now, rate_limit=rate_limit, with_admin_grants=with_admin_grants,
                with_approver_groups=with_approver_groups,
            )
            return replace(again, rounds=again.rounds + 1)
        assert isinstance(groups, frozenset)
        rounds = 1
        held: list[Grant] = [g for g in grants if _held(g, object_id, groups)]  # type: ignore[union-attr]
        joined = groups - guessed
        if joined:
            rounds = 2
            held.extend(await self._grants.for_principals(Principal.group(g) for g in sorted(joined)))
        members: dict[str, frozenset[str]] = {}
        if with_approver_groups:
            named = sorted({p.id for r in rules for p in r.approvers if p.kind is PrincipalKind.GROUP})  # type: ignore[union-attr]
            if named:
                rounds += 1
                for name, group in zip(named, await gather_all(self._group_or_none(n) for n in named), strict=True):
                    members[name] = group.members if group is not None else frozenset()
        if object_id:
            self._remember(object_id, groups)
        return SnapshotRead(
            actor=Actor(object_id=object_id, name=actor.name, groups=groups),
            resource_id=resource_id,
            scope_chain=chain,
            snapshot=PolicySnapshot(
                grants=tuple(held),
                approver_rules=tuple(rules),  # type: ignore[arg-type]
                freezes=tuple(freezes),  # type: ignore[arg-type]
                admins=tuple(admin),  # type: ignore[arg-type]
                groups=members,
                recent_requests=int(count),  # type: ignore[call-overload]
                rate_limit=rate_limit,
            ),
            window_start=window_start,
            read_at=now,
            rounds=rounds,
        )

    async def _active_version(self) -> str:
        assert self._versions is not None
        return (await self._versions.active()).version

    async def _group_or_none(self, name: str) -> Group | None:
        try:
            return await self._groups.get(name)
        except RecordNotFound:
            return None

    def _remember(self, object_id: str, groups: frozenset[str]) -> None:
        self._known_groups[object_id] = groups
        self._known_groups.move_to_end(object_id)
        while len(self._known_groups) > self._cache_size:
            self._known_groups.popitem(last=False)


def _held(grant: Grant, object_id: str, groups: frozenset[str]) -> bool:
    """Whether ``grant`` is the person's own or one of their current groups'."""
    principal = grant.principal
    if principal == Principal.user(object_id):
        return True
    return principal.kind is PrincipalKind.GROUP and principal.id in groups
