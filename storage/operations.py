"""``TableOperationStore``: operations, each one entity written only with its ETag.

Table ``operations``; one entity per operation: PartitionKey = the operation id, RowKey
``operation``; the record as JSON (``Record``), the continuation token in its own column
(``Token``, it can be a few KiB), and the columns the sweeper filters on (``State``,
``NextCheckAt``, ``Deadline``) or that the chat commands filter on (``Requester``, lower case,
``CreatedAt``).

- :meth:`create` inserts (409 when the id is taken): it draws ids until one is free, so the short
  ids stay unique without a counter.
- :meth:`replace` writes only if the stored ETag is the one read (``If-Match``): of two workers
  acting on the same step exactly one wins, the other gets :class:`~storage.ConcurrencyConflictError`.
- :meth:`active` lists queued and running operations (a filtered scan: operations end within
  their action's limit, and the sweeper reads this once a minute).
- :meth:`by_requester` lists one person's recent operations (``Requester``, ``CreatedAt``
  columns; for ``history`` and ``status``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from operations import Operation, OperationState, new_operation_id
from storage.errors import StorageError, translated

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = ["StoredOperation", "TableOperationStore", "operation_from_json", "operation_to_json"]

_ROW = "operation"
_ID_ATTEMPTS = 8  # 4-character ids first; after that many taken ones, 6 characters
_TIMES = (
    "created_at", "updated_at", "intent_at", "started_at", "ended_at", "next_check_at", "last_progress_at",
    "held_until",
)


@dataclass(frozen=True)
class StoredOperation:
    """An operation as read, with the ETag a conditional write needs."""

    record: Operation
    etag: str


def operation_to_json(operation: Operation) -> str:
    """The record as JSON (without its continuation token, kept in its own column)."""
    data: dict[str, Any] = {
        "id": operation.id,
        "request_id": operation.request_id,
        "action": operation.action,
        "args": dict(operation.args),
        "resource_id": operation.resource_id,
        "requester_key": operation.requester_key,
        "requester_name": operation.requester_name,
        "conversation": dict(operation.conversation),
        "target": operation.target,
        "title": operation.title,
        "timeout": operation.timeout.total_seconds(),
        "plan_hash": operation.plan_hash,
        "card_activity_id": operation.card_activity_id,
        "before": dict(operation.before),
        "labels": dict(operation.labels),
        "preview": dict(operation.preview),
        "state": operation.state.value,
        "seq": operation.seq,
        "polls": operation.polls,
        "waiting_on": operation.waiting_on,
        "message": operation.message,
        "error": operation.error,
        "correlation_id": operation.correlation_id,
        "notified": operation.notified,
    }
    for name in _TIMES:
        value = getattr(operation, name)
        data[name] = None if value is None else value.astimezone(UTC).isoformat()
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def operation_from_json(text: object, token: object = None) -> Operation:
    """The record stored by :func:`operation_to_json` (and its token column); ValueError when malformed."""
    if not isinstance(text, str):
        raise ValueError("an operation row has no record")
    data = json.loads(text)
    times = {name: None if data.get(name) is None else datetime.fromisoformat(data[name]) for name in _TIMES}
    args = {str(k): v for k, v in dict(data.get("args") or {}).items() if isinstance(v, str | int)}
    before = {str(k): v for k, v in dict(data.get("before") or {}).items() if isinstance(v, str | int)}
    labels = {str(k): str(v) for k, v in dict(data.get("labels") or {}).items()}
    preview = data.get("preview")
    created_at = times.pop("created_at")
    if created_at is None:
        raise ValueError("an operation row has no creation time")
    return Operation(
        id=str(data["id"]),
        request_id=str(data.get("request_id") or ""),
        action=str(data["action"]),
        args=args,
        resource_id=str(data["resource_id"]),
        requester_key=str(data.get("requester_key") or ""),
        requester_name=str(data.get("requester_name") or ""),
        conversation=dict(data.get("conversation") or {}),
        target=str(data.get("target") or ""),
        title=str(data.get("title") or ""),
        created_at=created_at,
        timeout=timedelta(seconds=float(data.get("timeout") or 0)),
        plan_hash=str(data.get("plan_hash") or ""),
        card_activity_id=data.get("card_activity_id"),
        before=before,
        labels=labels,
        preview=dict(preview) if isinstance(preview, dict) else {},
        state=OperationState(data.get("state", "queued")),
        seq=int(data.get("seq") or 0),
        polls=int(data.get("polls") or 0),
        waiting_on=data.get("waiting_on"),
        message=str(data.get("message") or ""),
        error=str(data.get("error") or ""),
        correlation_id=str(data.get("correlation_id") or ""),
        notified=bool(data.get("notified")),
        continuation_token=token if isinstance(token, str) and token else None,
        **times,
    )


class TableOperationStore:
    """Operations on Table Storage (see the module docstring).

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    :param id_factory: draws a new id of the given length (tests pass a fixed sequence to force collisions).

    Storage failures raise :class:`~storage.StorageError` subclasses.
    """

    def __init__(
        self,
        tables: TableProvider,
        *,
        table_name: str = "operations",
        id_factory: Callable[[int], str] = new_operation_id,
    ) -> None:
        self._tables = tables
        self.table_name = table_name
        self._new_id = id_factory

    async def _table(self) -> TableClient:
        return await self._tables.table(self.table_name)

    @staticmethod
    def _row(operation: Operation) -> dict[str, Any]:
        deadline = operation.deadline
        return {
            "PartitionKey": operation.id,
            "RowKey": _ROW,
            "Record": operation_to_json(operation),
            "Token": operation.continuation_token or "",
            "State": operation.state.value,
            "Active": not operation.terminal,
            "NextCheckAt": operation.next_check_at or operation.created_at,
            "Deadline": deadline or datetime.max.replace(tzinfo=UTC) - timedelta(days=1),
            "ResourceId": operation.resource_id.lower(),
            "Requester": operation.requester_key.lower(),
            "CreatedAt": operation.created_at,
        }

    async def create(self, make: Callable[[str], Operation]) -> StoredOperation:
        """Insert the operation ``make(id)`` under a fresh id; a taken id (409) draws another.

        Raises :class:`StorageError` if no free id was found (practically never).
        """
        from azure.core.exceptions import ResourceExistsError

        table = await self._table()
        for attempt in range(_ID_ATTEMPTS * 2):
            operation = make(self._new_id(4 if attempt < _ID_ATTEMPTS else 6))
            with translated("create operation", self.table_name):
                try:
                    written = await table.create_entity(self._row(operation))
                except ResourceExistsError:
                    continue
            return StoredOperation(operation, str(written["etag"]))
        raise StorageError(f"no free operation id found in table '{self.table_name}'")

    async def get(self, operation_id: str) -> StoredOperation | None:
        """The operation and its ETag, or None when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with translated("read operation", self.table_name):
            try:
                entity = await table.get_entity(operation_id, _ROW)
            except ResourceNotFoundError:
                return None
        return _stored(entity)

    async def replace(self, operation: Operation, etag: str) -> str:
        """Write ``operation`` if the stored one still has ``etag``; returns the new ETag.

        :class:`~storage.ConcurrencyConflictError` when someone wrote it since (re-read; act on that).
        """
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        if not etag:
            raise ValueError("replace needs the ETag the operation was read with")
        table = await self._table()
        with translated("write operation", self.table_name):
            written = await table.update_entity(
                self._row(operation), mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        return str(written["etag"])

    async def active(self, limit: int = 1000) -> list[StoredOperation]:
        """Queued and running operations (at most ``limit``), in no particular order."""
        table = await self._table()
        found: list[StoredOperation] = []
        with translated("list active operations", self.table_name):
            async for entity in table.query_entities("Active eq true", results_per_page=min(limit, 1000)):
                found.append(_stored(entity))
                if len(found) >= limit:
                    break
        return found

    async def by_requester(self, requester_key: str, *, since: datetime, limit: int = 200) -> list[StoredOperation]:
        """The operations ``requester_key`` (an Entra object id or a channel user id, any case) asked for
        since ``since`` (aware), newest first; at most ``limit`` are read.

        A filtered scan (``Requester`` and ``CreatedAt`` columns): the table is partitioned by
        operation id so that each operation's writes stay single-entity; ``history`` and ``status``
        read this a few times per conversation, never in the worker's path.
        """
        if not requester_key:
            return []
        table = await self._table()
        found: list[StoredOperation] = []
        with translated("list a requester's operations", self.table_name):
            async for entity in table.query_entities(
                "Requester eq @who and CreatedAt ge @since",
                parameters={"who": requester_key.lower(), "since": since},
                results_per_page=min(limit, 1000),
            ):
                found.append(_stored(entity))
                if len(found) >= limit:
                    break
        found.sort(key=lambda s: (s.record.created_at, s.record.id), reverse=True)
        return found

    async def by_ids(self, ids: list[str]) -> Mapping[str, StoredOperation]:
        """The operations among ``ids`` that exist (read one by one; for small lists)."""
        found: dict[str, StoredOperation] = {}
        for operation_id in ids:
            stored = await self.get(operation_id)
            if stored is not None:
                found[operation_id] = stored
        return found


def _stored(entity: Any) -> StoredOperation:
    try:
        record = operation_from_json(entity.get("Record"), entity.get("Token"))
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"an operation row ({entity.get('PartitionKey')!r}) cannot be read") from exc
    return StoredOperation(record, str(entity.metadata["etag"]))
