"""``TableAuditStore``: the append-only audit trail. It can append and query; nothing else.

There is no update and no delete here, nor any write that could replace a row: every row is
written with an insert (``create_entity``), which the service refuses when the row exists.

Table ``audit``, four row families, each holding the whole record (JSON ``Record``, plus the
columns queries filter on: ``At``, ``Kind``, ``Actor``, ``RequestId``):

=============================  ============================  =======================================
PartitionKey                   RowKey                        queried by
=============================  ============================  =======================================
``record|<id>``                ``record``                    — (the id's uniqueness; the original)
``request|<request id>``       newest first, then the id     ``AuditQuery(request_id=…)``
``actor|<object id>``          newest first, then the id     ``AuditQuery(actor=…)``
``day|<YYYY-MM-DD>`` (UTC)     newest first, then the id     ``AuditQuery(since=…, until=…)``
=============================  ============================  =======================================

:meth:`append` inserts the ``record`` row first: a second append of the same id is refused
right there, before any other row is written (:class:`~guardrails.ports.RecordConflict`), so a
refused append leaves nothing behind. The index rows follow, in parallel. If a failure cuts an
append short after its ``record`` row, the record is kept but some queries miss it; appending
the same record again is still refused as a duplicate, and on its way out inserts whatever
index rows are missing (inserts of rows derived from the stored record only).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from guardrails.ports import AuditQuery, RecordConflict
from guardrails.records import AuditRecord
from storage.guardrail_codec import audit_from_json, audit_to_json, utc
from storage.guardrail_rows import GuardrailTable, gather_all, newest_first_key, partition, store_errors

if TYPE_CHECKING:

    pass

__all__ = ["DEFAULT_QUERY_DAYS", "TableAuditStore"]

_RECORD, _REQUEST, _ACTOR, _DAY = "record", "request", "actor", "day"
_RECORD_ROW = "record"

DEFAULT_QUERY_DAYS = 7
"""A query by time alone without ``since`` reads this many days back from ``until`` (or now)."""


def _day(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%d")


class TableAuditStore(GuardrailTable):
    """The :class:`guardrails.ports.AuditStore` on Table Storage: :meth:`append` and :meth:`query` only.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "audit"

    @staticmethod
    def _rows(record: AuditRecord) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        columns = {
            "Record": audit_to_json(record),
            "At": utc(record.at),
            "Kind": record.kind.value,
            "Actor": record.actor,
            "RequestId": record.request_id,
        }
        index_key = newest_first_key(record.at, record.id)
        indexes = [(_ACTOR, record.actor), (_DAY, _day(record.at))]
        if record.request_id:
            indexes.append((_REQUEST, record.request_id))
        return (
            {"PartitionKey": partition(_RECORD, record.id), "RowKey": _RECORD_ROW, **columns},
            [{"PartitionKey": partition(family, value), "RowKey": index_key, **columns} for family, value in indexes],
        )

    async def append(self, record: AuditRecord) -> None:
        """Add ``record``. :class:`RecordConflict` when a record with its id exists (never an overwrite)."""
        from azure.core.exceptions import ResourceExistsError

        original, indexes = self._rows(record)
        table = await self._table()

        async def insert_if_missing(row: dict[str, Any]) -> None:
            with suppress(ResourceExistsError):  # written by an earlier, interrupted append of this same record
                await table.create_entity(row)

        with store_errors("append audit record", self.table_name):
            try:
                await table.create_entity(original)
            except ResourceExistsError:
                stored = await table.get_entity(original["PartitionKey"], _RECORD_ROW)
                if stored.get("Record") == original["Record"]:
                    stored_record = audit_from_json(stored.get("Record"))
                    await gather_all(insert_if_missing(row) for row in self._rows(stored_record)[1])
                raise RecordConflict(f"an audit record with id {record.id!r} already exists") from None
            await gather_all(insert_if_missing(row) for row in indexes)

    async def query(self, query: AuditQuery) -> list[AuditRecord]:
        """Records matching every filter of ``query``, newest first, at most ``query.limit``.

        Reads one partition: the request's, else the actor's, else one per UTC day from ``until``
        (default now) back to ``since`` (default :data:`DEFAULT_QUERY_DAYS` days before).
        """
        if query.limit < 1:
            return []
        conditions: list[str] = []
        parameters: dict[str, Any] = {}
        if query.since is not None:
            conditions.append("At ge @since")
            parameters["since"] = utc(query.since)
        if query.until is not None:
            conditions.append("At lt @until")
            parameters["until"] = utc(query.until)
        if query.kind is not None:
            conditions.append("Kind eq @kind")
            parameters["kind"] = query.kind.value
        if query.actor is not None:
            conditions.append("Actor eq @actor")
            parameters["actor"] = query.actor
        if query.request_id is not None:
            partitions = [partition(_REQUEST, query.request_id)]
        elif query.actor is not None:
            partitions = [partition(_ACTOR, query.actor)]
        else:
            until = utc(query.until) if query.until is not None else datetime.now(UTC)
            since = utc(query.since) if query.since is not None else until - timedelta(days=DEFAULT_QUERY_DAYS)
            partitions = []
            day = until
            while day.date() >= since.date():
                partitions.append(partition(_DAY, _day(day)))
                day -= timedelta(days=1)
        table = await self._table()
        found: list[AuditRecord] = []
        with store_errors("query audit records", self.table_name):
            for key in partitions:  # newest day first; stop as soon as there are enough
                condition = " and ".join(["PartitionKey eq @pk", *conditions])
                async for entity in table.query_entities(
                    condition,
                    parameters={**parameters, "pk": key},
                    select=["Record"],
                    results_per_page=min(query.limit, 1000),
                ):
                    found.append(audit_from_json(entity.get("Record")))
                    if len(found) >= query.limit:
                        return found
        return found
