"""``TableGroupStore``: Switchboard's groups, and the index member -> groups a decision reads.

Table ``groups``, two row families:

==========================  ================  ==========================================
PartitionKey                RowKey            holds
==========================  ================  ==========================================
``group|<name>``            ``group``         the group (JSON ``Record``, members included)
``member|<object id>``      ``<name>``        one row per group the person belongs to
==========================  ================  ==========================================

:meth:`groups_of` is one partition query. The rows of one change span several partitions
(one per member), so they are written in the order that never grants more than the group
record says: a :meth:`put` first deletes the rows of members it removes, then writes the
record (conditionally on the ETag it read, so two concurrent puts cannot interleave), then
writes a row for every member (idempotent). A put interrupted by a failure therefore leaves
removed members already without the group and new members not yet in it; repeating the put
completes it. :meth:`delete` removes every member's row before the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guardrails.ports import RecordNotFound
from guardrails.records import Group
from storage.guardrail_codec import group_from_json, group_to_json
from storage.guardrail_rows import GuardrailTable, entity_etag, family_filter, gather_all, partition, store_errors
from storage.keys import table_key

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient


__all__ = ["TableGroupStore"]

_GROUP, _MEMBER = "group", "member"
_RECORD_ROW = "group"


class TableGroupStore(GuardrailTable):
    """The :class:`guardrails.ports.GroupStore` on Table Storage.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "groups"

    async def _read(self, table: TableClient, name: str) -> tuple[Group, str] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            entity = await table.get_entity(partition(_GROUP, name.strip().lower()), _RECORD_ROW)
        except ResourceNotFoundError:
            return None
        return group_from_json(entity.get("Record")), entity_etag(entity)

    def _member_row(self, object_id: str, group: str) -> dict[str, Any]:
        return {"PartitionKey": partition(_MEMBER, object_id), "RowKey": table_key(group), "Group": group}

    async def put(self, group: Group) -> None:
        """Create or replace ``group`` (members as given) and its membership rows.

        :class:`~guardrails.ports.RecordConflict` when another put changed the group meanwhile.
        """
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        table = await self._table()
        record = {"PartitionKey": partition(_GROUP, group.name), "RowKey": _RECORD_ROW, "Record": group_to_json(group)}
        with store_errors("put group", self.table_name):
            current = await self._read(table, group.name)
            removed = (current[0].members - group.members) if current else frozenset()
            await gather_all(
                table.delete_entity(partition(_MEMBER, member), table_key(group.name)) for member in sorted(removed)
            )
            if current is None:
                await table.create_entity(record)  # 409 (a concurrent create) -> RecordConflict
            else:
                await table.update_entity(
                    record, mode=UpdateMode.REPLACE, etag=current[1], match_condition=MatchConditions.IfNotModified
                )
            await gather_all(
                table.upsert_entity(self._member_row(member, group.name), mode=UpdateMode.REPLACE)
                for member in sorted(group.members)
            )

    async def get(self, name: str) -> Group:
        """The group named ``name`` (case-insensitive); :class:`RecordNotFound` when there is none."""
        table = await self._table()
        with store_errors("get group", self.table_name):
            found = await self._read(table, name)
        if found is None:
            raise RecordNotFound(f"there is no group {name!r}")
        return found[0]

    async def delete(self, name: str) -> None:
        """Remove the group: every member's row first, then the record. :class:`RecordNotFound` when there is none."""
        table = await self._table()
        with store_errors("delete group", self.table_name):
            found = await self._read(table, name)
            if found is None:
                raise RecordNotFound(f"there is no group {name!r}")
            group = found[0]
            await gather_all(
                table.delete_entity(partition(_MEMBER, member), table_key(group.name))
                for member in sorted(group.members)
            )
            await table.delete_entity(partition(_GROUP, group.name), _RECORD_ROW)

    async def groups_of(self, object_id: str) -> frozenset[str]:
        """Names of the groups ``object_id`` belongs to (one partition query)."""
        table = await self._table()
        key = partition(_MEMBER, object_id.strip().lower())
        with store_errors("read groups of a member", self.table_name):
            return frozenset(
                [
                    str(entity["Group"])
                    async for entity in table.query_entities(
                        "PartitionKey eq @pk", parameters={"pk": key}, select=["Group"]
                    )
                ]
            )

    async def all(self) -> list[Group]:
        """Every group (policy export only: a range query over the ``group`` rows)."""
        table = await self._table()
        with store_errors("list groups", self.table_name):
            return [
                group_from_json(entity.get("Record"))
                async for entity in table.query_entities(family_filter(_GROUP), select=["Record"])
            ]
