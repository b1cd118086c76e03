"""``TableLeaseStore``: one change at a time per resource — a lease row per resource id.

Table ``leases``; PartitionKey = the resource id (lower case, escaped), RowKey ``lease``; columns
``OperationId``, ``AcquiredAt``, ``ExpiresAt``, ``ResourceId``.

- :meth:`acquire` inserts the row (409: someone holds it). An expired lease is taken over with a
  conditional write on its ETag, so of two takers exactly one wins. The holder acquiring again
  renews nothing and simply succeeds (a retried step).
- :meth:`release` deletes the row only if this operation still holds it (ETag-conditional).
- :meth:`reclaim_expired` deletes every lease past its expiry (the sweeper), each conditionally,
  so a lease renewed or taken meanwhile is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.errors import translated
from storage.keys import table_key

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = ["Lease", "LeaseResult", "TableLeaseStore"]

_ROW = "lease"
_ATTEMPTS = 5


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Lease:
    """Who holds a resource: the operation, since when, until when (UTC)."""

    resource_id: str
    operation_id: str
    acquired_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class LeaseResult:
    """What :meth:`TableLeaseStore.acquire` found: ``acquired``, and the lease that stands."""

    acquired: bool
    lease: Lease


class TableLeaseStore:
    """Resource leases on Table Storage (see the module docstring).

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    :param clock: current UTC time (aware); tests pass a controllable one.
    """

    def __init__(
        self, tables: TableProvider, *, table_name: str = "leases", clock: Callable[[], dt.datetime] = _utcnow
    ) -> None:
        self._tables = tables
        self.table_name = table_name
        self._clock = clock

    async def _table(self) -> TableClient:
        return await self._tables.table(self.table_name)

    async def acquire(self, resource_id: str, operation_id: str, ttl: dt.timedelta) -> LeaseResult:
        """Take the lease on ``resource_id`` for ``operation_id`` for ``ttl``, unless another live
        lease holds it (then ``acquired=False`` and that lease)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        key = table_key(resource_id.lower())
        table = await self._table()
        for _ in range(_ATTEMPTS):
            now = self._clock()
            row = {
                "PartitionKey": key,
                "RowKey": _ROW,
                "OperationId": operation_id,
                "AcquiredAt": now,
                "ExpiresAt": now + ttl,
                "ResourceId": resource_id.lower(),
            }
            with translated("acquire lease", self.table_name):
                try:
                    await table.create_entity(row)
                    return LeaseResult(True, _lease(row))
                except ResourceExistsError:
                    pass
                try:
                    existing = await table.get_entity(key, _ROW)
                except ResourceNotFoundError:
                    continue  # released meanwhile: insert again
                if existing.get("OperationId") == operation_id:
                    return LeaseResult(True, _lease(existing))
                if existing["ExpiresAt"] > now:
                    return LeaseResult(False, _lease(existing))
                try:  # expired: take it over, only if nobody else did first
                    await table.update_entity(
                        row, mode=UpdateMode.REPLACE, etag=existing.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
                    return LeaseResult(True, _lease(row))
                except (ResourceModifiedError, ResourceNotFoundError):
                    continue
        holder = await self.holder(resource_id)
        if holder is None:
            raise RuntimeError("the lease kept changing")  # pragma: no cover - five races in a row
        return LeaseResult(holder.operation_id == operation_id, holder)

    async def holder(self, resource_id: str) -> Lease | None:
        """The live lease on ``resource_id``, or None (free, or expired)."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with translated("read lease", self.table_name):
            try:
                entity = await table.get_entity(table_key(resource_id.lower()), _ROW)
            except ResourceNotFoundError:
                return None
        lease = _lease(entity)
        return lease if lease.expires_at > self._clock() else None

    async def release(self, resource_id: str, operation_id: str) -> bool:
        """Give the lease back if ``operation_id`` holds it; True when this call removed it."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        table = await self._table()
        key = table_key(resource_id.lower())
        with translated("release lease", self.table_name):
            try:
                entity = await table.get_entity(key, _ROW)
            except ResourceNotFoundError:
                return False
            if entity.get("OperationId") != operation_id:
                return False
            try:
                await table.delete_entity(
                    key, _ROW, etag=entity.metadata["etag"], match_condition=MatchConditions.IfNotModified
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                return False
        return True

    async def reclaim_expired(self) -> list[Lease]:
        """Delete every lease past its expiry (each only if unchanged since read); returns those deleted."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        table = await self._table()
        reclaimed: list[Lease] = []
        with translated("reclaim expired leases", self.table_name):
            expired = [e async for e in table.query_entities("ExpiresAt le @now", parameters={"now": self._clock()})]
            for entity in expired:
                try:
                    await table.delete_entity(
                        entity["PartitionKey"], _ROW, etag=entity.metadata["etag"],
                        match_condition=MatchConditions.IfNotModified,
                    )
                except (ResourceModifiedError, ResourceNotFoundError):
                    continue
                reclaimed.append(_lease(entity))
        return reclaimed


def _lease(entity: Any) -> Lease:
    return Lease(
        resource_id=str(entity.get("ResourceId") or ""),
        operation_id=str(entity["OperationId"]),
        acquired_at=entity["AcquiredAt"],
        expires_at=entity["ExpiresAt"],
    )
