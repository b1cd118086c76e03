"""The stores the guardrails need: protocols the Table Storage adapters (``storage/``) implement.

Each store keeps one kind of record in its own table, partitioned so that what one decision
needs is a handful of point or partition reads (by principal, by scope key), never a scan of
a whole table. Scopes are keyed by :func:`guardrails.scopes.scope_key`; a decision asks for
the keys of :func:`guardrails.scopes.scope_chain` of the resource, in one parallel round.

Errors: stores raise :class:`RecordNotFound`, :class:`RecordConflict` (a record with that id
already exists, or an ETag no longer matches) or :class:`StoreUnavailable` (the storage
service failed; the adapter logs the cause) — typed domain errors, the SDK's translated at the
adapter with ``raise … from exc``. Every write is all-or-nothing: no half-written record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from guardrails.records import (
    ApprovalRequest,
    ApprovalStatus,
    ApproverRule,
    AuditKind,
    AuditRecord,
    Freeze,
    Grant,
    GrantKind,
    Group,
    Principal,
)

__all__ = [
    "ApprovalStore",
    "ApproverRuleStore",
    "AuditQuery",
    "AuditStore",
    "FreezeStore",
    "GrantStore",
    "GroupStore",
    "RateCounter",
    "RecordConflict",
    "RecordNotFound",
    "StoreError",
    "StoreUnavailable",
    "Versioned",
]

T = TypeVar("T")


class StoreError(Exception):
    """Base of the guardrail stores' errors."""


class RecordNotFound(StoreError):
    """No record with that key."""


class RecordConflict(StoreError):
    """A record with that id already exists, or it changed since it was read (ETag mismatch)."""


class StoreUnavailable(StoreError):
    """The storage service failed or timed out; nothing is known to have been written."""


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """A record as read, with the ETag to write it back with (optimistic concurrency)."""

    record: T
    etag: str


class GrantStore(Protocol):
    """Grants, readable by principal (a decision) and by scope key (who administers a scope)."""

    async def add(self, grant: Grant) -> None:
        """Store a new grant; :class:`RecordConflict` when its id exists."""
        ...

    async def revoke(self, grant_id: str) -> Grant:
        """Delete the grant and return it; :class:`RecordNotFound` when there is none."""
        ...

    async def get(self, grant_id: str) -> Grant:
        """The grant; :class:`RecordNotFound` when there is none."""
        ...

    async def for_principals(self, principals: Iterable[Principal]) -> list[Grant]:
        """Every grant held by any of ``principals`` (a user and their groups), expired ones included.

        One partition read per principal, in parallel.
        """
        ...

    async def on_scopes(self, scope_keys: Sequence[str], kind: GrantKind | None = None) -> list[Grant]:
        """Grants whose scope key is exactly one of ``scope_keys`` (optionally of one kind).

        With a resource's :func:`~guardrails.scopes.scope_chain`: the grants covering it, e.g.
        the admins who could grant a missing permission. One partition read per key, in parallel.
        """
        ...

    async def all(self) -> list[Grant]:
        """Every grant (policy export and validation only; never on a decision's path)."""
        ...


class GroupStore(Protocol):
    """Switchboard groups and the reverse index member -> groups."""

    async def put(self, group: Group) -> None:
        """Create or replace the group (members as given) and its membership index."""
        ...

    async def get(self, name: str) -> Group:
        """The group; :class:`RecordNotFound` when there is none."""
        ...

    async def delete(self, name: str) -> None:
        """Remove the group and its membership index; :class:`RecordNotFound` when there is none."""
        ...

    async def groups_of(self, object_id: str) -> frozenset[str]:
        """Names of the groups ``object_id`` belongs to (one partition read)."""
        ...

    async def all(self) -> list[Group]:
        """Every group (policy export only)."""
        ...


class ApproverRuleStore(Protocol):
    """Approver rules, at most one per scope key."""

    async def put(self, rule: ApproverRule) -> None:
        """Create or replace the rule of ``rule.scope``."""
        ...

    async def remove(self, scope: str) -> ApproverRule:
        """Delete the rule of ``scope`` and return it; :class:`RecordNotFound` when there is none."""
        ...

    async def on_scopes(self, scope_keys: Sequence[str]) -> list[ApproverRule]:
        """The rules whose scope key is one of ``scope_keys`` (point reads, in parallel)."""
        ...

    async def all(self) -> list[ApproverRule]:
        """Every rule (policy export only)."""
        ...


class FreezeStore(Protocol):
    """Change freezes, readable by scope key."""

    async def add(self, freeze: Freeze) -> None:
        """Store a new freeze; :class:`RecordConflict` when its id exists."""
        ...

    async def get(self, freeze_id: str) -> Freeze:
        """The freeze; :class:`RecordNotFound` when there is none."""
        ...

    async def remove(self, freeze_id: str) -> Freeze:
        """Lift (delete) the freeze and return it; :class:`RecordNotFound` when there is none."""
        ...

    async def on_scopes(self, scope_keys: Sequence[str], *, ending_after: datetime) -> list[Freeze]:
        """Freezes on exactly these scope keys that end after ``ending_after`` (past ones left out)."""
        ...

    async def all(self) -> list[Freeze]:
        """Every freeze (policy export only)."""
        ...


class ApprovalStore(Protocol):
    """Approval requests, written with ETags so concurrent votes record exactly one outcome."""

    async def create(self, approval: ApprovalRequest) -> str:
        """Store a new approval request; returns its ETag. :class:`RecordConflict` when the id exists."""
        ...

    async def get(self, approval_id: str) -> Versioned[ApprovalRequest]:
        """The request and its ETag; :class:`RecordNotFound` when there is none."""
        ...

    async def replace(self, approval: ApprovalRequest, etag: str) -> str:
        """Write ``approval`` if it still has ``etag``; returns the new ETag.

        :class:`RecordConflict` when someone wrote it since (re-read, re-decide, retry).
        """
        ...

    async def by_status(self, status: ApprovalStatus, limit: int = 100) -> list[ApprovalRequest]:
        """Requests in ``status``, newest first (e.g. what waits for approvers; what to expire)."""
        ...

    async def by_requester(self, requester_id: str, limit: int = 20) -> list[ApprovalRequest]:
        """One requester's requests, newest first (``history``)."""
        ...


@dataclass(frozen=True)
class AuditQuery:
    """Filters of an audit query; all given filters must match. Times are UTC, ``until`` exclusive."""

    request_id: str | None = None
    actor: str | None = None
    kind: AuditKind | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


class AuditStore(Protocol):
    """The append-only audit trail: append and query, and no way to update or delete a record."""

    async def append(self, record: AuditRecord) -> None:
        """Add a record; :class:`RecordConflict` when its id exists (an append is never an overwrite)."""
        ...

    async def query(self, query: AuditQuery) -> list[AuditRecord]:
        """Records matching ``query``, newest first, at most ``query.limit``."""
        ...


class RateCounter(Protocol):
    """Per-person request counters, one per fixed window (:meth:`guardrails.records.RateLimit.window_start`)."""

    async def count(self, principal_key: str, window_start: datetime) -> int:
        """Requests counted for ``principal_key`` in the window starting at ``window_start`` (0 if none)."""
        ...

    async def increment(self, principal_key: str, window_start: datetime) -> int:
        """Count one more request in that window (ETag-safe under concurrency); returns the new count."""
        ...
