"""``TableFreezeStore``: change freezes, read by scope.

Table ``freezes``, two row families, each holding the whole freeze (JSON ``Record``; a freeze is
never edited, only declared and lifted, so the copies cannot disagree):

===========================  ===============  ===============================================
PartitionKey                 RowKey           read by
===========================  ===============  ===============================================
``scope|<scope key>``        ``<freeze id>``  :meth:`on_scopes` (one partition query per key,
                                              ``EndsAt gt`` filtered by the service)
``freeze|<freeze id>``       ``freeze``       :meth:`get`, :meth:`remove` (by id), :meth:`all`
===========================  ===============  ===============================================

Order of writes (the rows are in different partitions): :meth:`add` writes the ``freeze`` row
(the existence check) and then the ``scope`` row — from that write on, requests are refused;
:meth:`remove` deletes the ``scope`` row (the freeze is lifted) and then the ``freeze`` row. An
interrupted add has frozen nothing and repeating it completes it; an interrupted remove has
lifted the freeze and repeating it completes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from guardrails.ports import RecordConflict, RecordNotFound
from guardrails.records import Freeze
from guardrails.scopes import scope_key
from storage.guardrail_codec import freeze_from_json, freeze_to_json, utc
from storage.guardrail_rows import GuardrailTable, family_filter, gather_all, partition, store_errors
from storage.keys import table_key

if TYPE_CHECKING:

    pass

__all__ = ["TableFreezeStore"]

_FREEZE, _SCOPE = "freeze", "scope"
_RECORD_ROW = "freeze"


class TableFreezeStore(GuardrailTable):
    """The :class:`guardrails.ports.FreezeStore` on Table Storage.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "freezes"

    @staticmethod
    def _rows(freeze: Freeze) -> tuple[dict[str, Any], dict[str, Any]]:
        common = {"Record": freeze_to_json(freeze), "FreezeId": freeze.id, "EndsAt": utc(freeze.ends_at)}
        return (
            {"PartitionKey": partition(_FREEZE, freeze.id), "RowKey": _RECORD_ROW, **common},
            {"PartitionKey": partition(_SCOPE, scope_key(freeze.scope)), "RowKey": table_key(freeze.id), **common},
        )

    async def add(self, freeze: Freeze) -> None:
        """Declare a freeze. :class:`RecordConflict` when a different freeze has its id; ValueError when too large."""
        from azure.core.exceptions import ResourceExistsError
        from azure.data.tables import UpdateMode

        record_row, scope_row = self._rows(freeze)
        table = await self._table()
        with store_errors("add freeze", self.table_name):
            try:
                await table.create_entity(record_row)
            except ResourceExistsError:
                existing = await table.get_entity(record_row["PartitionKey"], _RECORD_ROW)
                if existing.get("Record") != record_row["Record"]:
                    raise RecordConflict(f"a freeze with id {freeze.id!r} already exists") from None
            await table.upsert_entity(scope_row, mode=UpdateMode.REPLACE)

    async def get(self, freeze_id: str) -> Freeze:
        """The freeze (one point read); :class:`RecordNotFound` when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with store_errors("read freeze", self.table_name):
            try:
                entity = await table.get_entity(partition(_FREEZE, freeze_id), _RECORD_ROW, select=["Record"])
            except ResourceNotFoundError:
                raise RecordNotFound(f"there is no freeze {freeze_id!r}") from None
        return freeze_from_json(entity.get("Record"))

    async def remove(self, freeze_id: str) -> Freeze:
        """Lift the freeze (scope row first) and return it; :class:`RecordNotFound` when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with store_errors("remove freeze", self.table_name):
            try:
                entity = await table.get_entity(partition(_FREEZE, freeze_id), _RECORD_ROW)
            except ResourceNotFoundError:
                raise RecordNotFound(f"there is no freeze {freeze_id!r}") from None
            freeze = freeze_from_json(entity.get("Record"))
            record_row, scope_row = self._rows(freeze)
            await table.delete_entity(scope_row["PartitionKey"], scope_row["RowKey"])
            await table.delete_entity(record_row["PartitionKey"], record_row["RowKey"])
        return freeze

    async def on_scopes(self, scope_keys: Sequence[str], *, ending_after: datetime) -> list[Freeze]:
        """Freezes on exactly these scope keys ending after ``ending_after`` (parallel partition queries)."""
        table = await self._table()
        after = utc(ending_after)

        async def one(key: str) -> list[Freeze]:
            with store_errors("read freezes", self.table_name):
                return [
                    freeze_from_json(entity.get("Record"))
                    async for entity in table.query_entities(
                        "PartitionKey eq @pk and EndsAt gt @after",
                        parameters={"pk": partition(_SCOPE, key), "after": after},
                        select=["Record"],
                    )
                ]

        found = await gather_all(one(key) for key in dict.fromkeys(scope_keys))
        return [freeze for freezes in found for freeze in freezes]

    async def all(self) -> list[Freeze]:
        """Every freeze, past ones included (policy export only: a range query over the ``freeze`` rows)."""
        table = await self._table()
        with store_errors("list freezes", self.table_name):
            return [
                freeze_from_json(entity.get("Record"))
                async for entity in table.query_entities(family_filter(_FREEZE), select=["Record"])
            ]
