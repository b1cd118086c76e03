"""What the policy command line does, over the stores: import (all or nothing), export, bootstrap the first admin.

Every change is audited: an import appends one record per change (grant added or revoked, group
or approver rule changed, freeze declared or lifted; ``request_id`` = the import's id) and one
``policy_imported`` record saying whether the new policy became active; bootstrapping appends an
``admin_bootstrapped`` record. Audit records are appended *before* the change they describe is
made visible, so no change is ever in effect without its record; if the change then fails, a
closing record with decision ``failed`` says so (docs/security.md, "Bootstrapping an installation").
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from guardrails.policyfile import Policy
from guardrails.ports import AuditStore, RecordNotFound
from guardrails.records import ALL_ACTIONS, AuditKind, AuditRecord, Grant, GrantKind, Principal
from guardrails.scopes import scope_key
from storage.policy_versions import (
    INITIAL_VERSION,
    PolicyStores,
    PolicyVersionStore,
    VersionStatus,
    new_version,
)
from storage.tables import TableProvider
from telemetry.audit_events import AuditEventEmitter

__all__ = ["BootstrapResult", "Change", "ImportResult", "PolicyAdmin", "diff_policies"]

_log = logging.getLogger("switchboard.policy")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PARALLEL_APPENDS = 16
_STALE_STAGING = timedelta(days=1)  # a staging version older than this was abandoned by a dead import


@dataclass(frozen=True)
class Change:
    """One difference between the active policy and an imported one."""

    kind: AuditKind
    what: str  # added, removed, changed
    noun: str  # grant, group, approver rule, freeze
    id: str
    scope: str = ""
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.what} {self.noun} {self.id}" + (f" on {self.scope}" if self.scope else "")


@dataclass(frozen=True)
class ImportResult:
    import_id: str
    version: str
    previous_version: str
    changes: tuple[Change, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class BootstrapResult:
    grant: Grant
    created: bool  # False: the same admin grant existed already; nothing changed


def _content(record: Any) -> Any:
    """The record without who created it and when (what an import compares)."""
    fields = {name: value for name, value in (("created_by", ""), ("created_at", _EPOCH), ("declared_at", _EPOCH))
              if hasattr(record, name)}
    return replace(record, **fields)


def _by_id(records: Iterable[Any], key: Callable[[Any], str]) -> dict[str, Any]:
    return {key(r): r for r in records}


def keep_provenance(new: Policy, old: Policy) -> Policy:
    """``new``, where each record identical in content to one of ``old`` keeps the old one (its creator and time)."""
    def same(records: tuple[Any, ...], before: Iterable[Any], key: Callable[[Any], str]) -> tuple[Any, ...]:
        olds = _by_id(before, key)
        return tuple(
            olds[key(r)] if key(r) in olds and _content(olds[key(r)]) == _content(r) else r for r in records
        )

    return Policy(
        groups=same(new.groups, old.groups, lambda g: g.name),
        grants=same(new.grants, old.grants, lambda g: g.id),
        approver_rules=same(new.approver_rules, old.approver_rules, lambda r: scope_key(r.scope)),
        freezes=same(new.freezes, old.freezes, lambda f: f.id),
    )


def diff_policies(old: Policy, new: Policy) -> list[Change]:
    """What replacing ``old`` by ``new`` changes, record by record (creator and creation time ignored)."""
    changes: list[Change] = []
    olds, news = _by_id(old.grants, lambda g: g.id), _by_id(new.grants, lambda g: g.id)
    for grant_id in sorted(olds.keys() | news.keys()):
        before, after = olds.get(grant_id), news.get(grant_id)
        if before is not None and (after is None or _content(before) != _content(after)):
            changes.append(Change(AuditKind.GRANT_REVOKED, "removed", "grant", grant_id, before.scope, before.reason))
        if after is not None and (before is None or _content(before) != _content(after)):
            changes.append(Change(AuditKind.GRANT_ADDED, "added", "grant", grant_id, after.scope, after.reason))
    def by_name(g: Any) -> str:
        return str(g.name)

    def by_scope(r: Any) -> str:
        return scope_key(r.scope)

    for noun, kind, before_map, after_map in (
        ("group", AuditKind.GROUP_CHANGED, _by_id(old.groups, by_name), _by_id(new.groups, by_name)),
        ("approver rule", AuditKind.APPROVERS_CHANGED,
         _by_id(old.approver_rules, by_scope), _by_id(new.approver_rules, by_scope)),
    ):
        for key in sorted(before_map.keys() | after_map.keys()):
            before, after = before_map.get(key), after_map.get(key)
            if before is not None and after is not None and _content(before) == _content(after):
                continue
            what = "added" if before is None else "removed" if after is None else "changed"
            record = after if after is not None else before
            ident = record.name if noun == "group" else record.id
            changes.append(Change(kind, what, noun, ident, getattr(record, "scope", "")))
    olds, news = _by_id(old.freezes, lambda f: f.id), _by_id(new.freezes, lambda f: f.id)
    for freeze_id in sorted(olds.keys() | news.keys()):
        before, after = olds.get(freeze_id), news.get(freeze_id)
        if before is not None and (after is None or _content(before) != _content(after)):
            changes.append(Change(AuditKind.FREEZE_LIFTED, "removed", "freeze", freeze_id, before.scope, before.reason))
        if after is not None and (before is None or _content(before) != _content(after)):
            changes.append(Change(AuditKind.FREEZE_DECLARED, "added", "freeze", freeze_id, after.scope, after.reason))
    return changes


class PolicyAdmin:
    """Import, export and bootstrap over one storage account.

    :param tables: the storage account's tables; :param audit: where every change is appended;
    :param events: also emits each audit record as a telemetry event (None: audit table only);
    :param clock: now, aware (tests pass a fixed one);
    :param namespace: prefix of the policy's table names ("" in an installation; tests keep theirs apart).
    """

    def __init__(
        self,
        tables: TableProvider,
        *,
        audit: AuditStore,
        events: AuditEventEmitter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        namespace: str = "",
    ) -> None:
        self._tables = tables
        self._namespace = namespace
        self._audit = audit
        self._events = events
        self._clock = clock
        self.versions = PolicyVersionStore(tables, namespace=namespace)

    def stores(self, version: str) -> PolicyStores:
        """The stores of one policy version."""
        return PolicyStores.for_version(self._tables, version, namespace=self._namespace)

    async def active_stores(self) -> PolicyStores:
        """The stores of the active policy version."""
        return self.stores((await self.versions.active()).version)

    async def export(self) -> Policy:
        """The active policy."""
        return await (await self.active_stores()).read()

    async def plan(self, policy: Policy) -> list[Change]:
        """What importing ``policy`` would change (nothing is written)."""
        return diff_policies(await self.export(), policy)

    async def _append(self, records: Iterable[AuditRecord]) -> None:
        gate = asyncio.Semaphore(_PARALLEL_APPENDS)

        async def one(record: AuditRecord) -> None:
            async with gate:
                await self._audit.append(record)
            if self._events is not None:
                self._events.emit(record)

        results = await asyncio.gather(*(one(r) for r in records), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def _record(self, kind: AuditKind, actor: str, at: datetime, **values: Any) -> AuditRecord:
        return AuditRecord(id=uuid.uuid4().hex, at=at, kind=kind, actor=actor or "system", **values)

    async def import_policy(self, policy: Policy, *, actor: str, source: str) -> ImportResult:
        """Replace the whole active policy by ``policy``, all or nothing.

        Writes it as a new version, audits each change, then switches the active-version pointer
        (the only write readers see). Any failure before the switch — storage unreachable midway,
        a row the service refuses, another import switching first (:class:`~guardrails.ports.RecordConflict`)
        — leaves the previous policy active and complete, and is raised (the stores' errors).
        """
        now = self._clock()
        import_id = f"import-{uuid.uuid4().hex[:12]}"
        active = await self.versions.active()
        current = await self.stores(active.version).read()
        policy = keep_provenance(policy, current)
        changes = diff_policies(current, policy)
        version = new_version()
        details = {"import": import_id, "version": version, "source": source[:200]}
        await self.versions.stage(version, created_by=actor, at=now, source=source)
        staged = self.stores(version)
        try:
            await staged.write(policy)
            await self._append(
                self._record(c.kind, actor, now, scope=c.scope, request_id=import_id, decision=c.what,
                             rule_id=c.id, reason=c.reason, details=details)
                for c in changes
            )
            await self.versions.activate(version, expected=active, by=actor, at=now, import_id=import_id)
        except Exception as exc:
            failure = type(exc).__name__
            _log.warning("policy import %s failed before activation (%s); version %s discarded",
                         import_id, failure, version)
            closing = self._record(AuditKind.POLICY_IMPORTED, actor, self._clock(), request_id=import_id,
                                   decision="failed", reason=failure, details=details)
            for cleanup in (lambda: self.versions.set_status(version, VersionStatus.FAILED),
                            lambda: staged.drop(self._tables),
                            lambda: self._append([closing])):
                with suppress(Exception):
                    await cleanup()
            raise
        warnings = await self._after_activation(version, active.version, actor, import_id, details, policy)
        return ImportResult(import_id, version, active.version, tuple(changes), tuple(warnings))

    async def _after_activation(
        self, version: str, previous: str, actor: str, import_id: str, details: Mapping[str, str], policy: Policy
    ) -> list[str]:
        """Best effort once the new policy is active: the closing audit record, statuses, old versions' tables."""
        warnings: list[str] = []
        try:
            await self._append([self._record(
                AuditKind.POLICY_IMPORTED, actor, self._clock(), request_id=import_id, decision="activated",
                details={**details, "previous_version": previous or "initial", "counts": policy.counts()})])
        except Exception as exc:
            warnings.append(f"the policy is active, but its closing audit record could not be written "
                            f"({type(exc).__name__}); its change records were written before")
        try:
            await self.versions.set_status(version, VersionStatus.ACTIVE)
            if previous != INITIAL_VERSION:
                await self.versions.set_status(previous, VersionStatus.RETIRED)
            for info in await self.versions.versions():
                abandoned = info.status is VersionStatus.STAGING and info.created_at < self._clock() - _STALE_STAGING
                if info.version in (version, previous) or not (
                    info.status in (VersionStatus.RETIRED, VersionStatus.FAILED) or abandoned
                ):
                    continue
                with suppress(RecordNotFound):
                    await self.stores(info.version).drop(self._tables)
                await self.versions.set_status(info.version, VersionStatus.FAILED if abandoned else info.status)
        except Exception as exc:
            warnings.append(f"old policy versions were not all cleaned up ({type(exc).__name__}); "
                            "the next import tries again")
        if not any(g.kind is GrantKind.ADMIN and scope_key(g.scope) == "/" for g in policy.grants):
            warnings.append("no grant in this policy makes anyone an admin of / (everything): only "
                            "`bootstrap-admin` can add one")
        return warnings

    async def bootstrap_admin(self, object_id: str, scope: str, *, actor: str, reason: str = "") -> BootstrapResult:
        """Make ``object_id`` an admin of ``scope`` in the active policy (audited), unless they are already.

        The grant's id is derived from user and scope, so running it twice changes nothing.
        Raises ValueError for an unreadable scope or object id, and the stores' errors.
        """
        key = scope_key(scope)  # ScopeError (a ValueError) for anything that is not an ARM path
        principal = Principal.user(object_id)
        grant_id = "admin-" + hashlib.sha256(f"{principal.key}|{key}".encode()).hexdigest()[:12]
        stores = await self.active_stores()
        with suppress(RecordNotFound):
            return BootstrapResult(await stores.grants.get(grant_id), created=False)
        now = self._clock()
        grant = Grant(
            id=grant_id, principal=principal, actions=frozenset({ALL_ACTIONS}), scope=scope, kind=GrantKind.ADMIN,
            created_by=actor or "system", created_at=now, reason=reason or "bootstrapped from the command line",
        )
        details = {"via": "command line", "version": stores.version or "initial", "principal": principal.key}
        await self._append([self._record(AuditKind.ADMIN_BOOTSTRAPPED, actor, now, scope=scope, decision="added",
                                         rule_id=grant_id, reason=grant.reason, details=details)])
        try:
            await stores.grants.add(grant)
        except Exception as exc:
            with suppress(Exception):
                await self._append([self._record(AuditKind.ADMIN_BOOTSTRAPPED, actor, self._clock(), scope=scope,
                                                 decision="failed", rule_id=grant_id, reason=type(exc).__name__,
                                                 details=details)])
            raise
        return BootstrapResult(grant, created=True)

