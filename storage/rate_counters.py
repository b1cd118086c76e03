"""``TableRateCounter``: how many requests a person made in one fixed window.

Table ``ratecounters``: PartitionKey ``principal|<principal key>``, RowKey the window's start in
UTC (``20261126T090000Z``), column ``Count``. :meth:`count` is one point read (a missing row is
0). :meth:`increment` inserts the row with 1 or replaces it with the count + 1 if its ETag is
still the one read; a concurrent increment makes one of the two writes fail, and the loser reads
again, so no request is lost or counted twice. A person's windows are rows of their own
partition; old windows are never read again (and cost a few bytes each).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from guardrails.ports import RecordConflict
from storage.guardrail_codec import utc
from storage.guardrail_rows import GuardrailTable, entity_etag, partition, store_errors

if TYPE_CHECKING:

    pass

__all__ = ["TableRateCounter"]

_MAX_ATTEMPTS = 100


def _row_key(window_start: datetime) -> str:
    return utc(window_start).strftime("%Y%m%dT%H%M%SZ")


class TableRateCounter(GuardrailTable):
    """The :class:`guardrails.ports.RateCounter` on Table Storage.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "ratecounters"

    async def count(self, principal_key: str, window_start: datetime) -> int:
        """Requests counted for ``principal_key`` in the window starting at ``window_start`` (0 if none)."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with store_errors("read rate counter", self.table_name):
            try:
                entity = await table.get_entity(
                    partition("principal", principal_key), _row_key(window_start), select=["Count"]
                )
            except ResourceNotFoundError:
                return 0
        return int(entity.get("Count", 0))

    async def increment(self, principal_key: str, window_start: datetime) -> int:
        """Count one more request in that window; returns the new count. ETag-safe under concurrency."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        key, row = partition("principal", principal_key), _row_key(window_start)
        table = await self._table()
        with store_errors("count a request", self.table_name):
            for _ in range(_MAX_ATTEMPTS):
                try:
                    entity = await table.get_entity(key, row)
                except ResourceNotFoundError:
                    try:
                        await table.create_entity({"PartitionKey": key, "RowKey": row, "Count": 1})
                    except ResourceExistsError:
                        continue  # someone counted the window's first request at the same time
                    return 1
                count = int(entity.get("Count", 0)) + 1
                try:
                    await table.update_entity(
                        {"PartitionKey": key, "RowKey": row, "Count": count},
                        mode=UpdateMode.REPLACE,
                        etag=entity_etag(entity),
                        match_condition=MatchConditions.IfNotModified,
                    )
                except (ResourceModifiedError, ResourceNotFoundError):
                    continue  # counted (or removed) by someone else since the read: read again
                return count
        raise RecordConflict("the rate counter kept changing; try again")
