"""``TableApproverRuleStore``: who approves requests under a scope, at most one rule per scope.

Table ``approverrules``: PartitionKey ``scope|<scope key>`` (the normalised, escaped ARM scope),
RowKey ``rule``, the rule as JSON in ``Record``. One entity per rule, so a put or a remove is a
single write: nothing can be half-written. A decision reads the rules of a resource's
:func:`~guardrails.scopes.scope_chain` as parallel point reads (a missing rule is a 404, not an error).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from guardrails.ports import RecordNotFound
from guardrails.records import ApproverRule
from guardrails.scopes import scope_key
from storage.guardrail_codec import rule_from_json, rule_to_json
from storage.guardrail_rows import GuardrailTable, entity_etag, family_filter, gather_all, partition, store_errors

if TYPE_CHECKING:

    pass

__all__ = ["TableApproverRuleStore"]

_SCOPE = "scope"
_ROW = "rule"


class TableApproverRuleStore(GuardrailTable):
    """The :class:`guardrails.ports.ApproverRuleStore` on Table Storage.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "approverrules"

    async def put(self, rule: ApproverRule) -> None:
        """Create or replace the rule of ``rule.scope`` (one entity)."""
        from azure.data.tables import UpdateMode

        key = partition(_SCOPE, scope_key(rule.scope))
        entity = {"PartitionKey": key, "RowKey": _ROW, "Record": rule_to_json(rule)}
        table = await self._table()
        with store_errors("put approver rule", self.table_name):
            await table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    async def remove(self, scope: str) -> ApproverRule:
        """Delete the rule of ``scope`` (any spelling ARM treats as the same) and return it.

        :class:`RecordNotFound` when there is none; :class:`~guardrails.ports.RecordConflict` when it
        was replaced between the read and the delete.
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceNotFoundError

        key = partition(_SCOPE, scope_key(scope))
        table = await self._table()
        with store_errors("remove approver rule", self.table_name):
            try:
                entity = await table.get_entity(key, _ROW)
            except ResourceNotFoundError:
                raise RecordNotFound(f"there is no approver rule on {scope!r}") from None
            rule = rule_from_json(entity.get("Record"))
            await table.delete_entity(
                key, _ROW, etag=entity_etag(entity), match_condition=MatchConditions.IfNotModified
            )
        return rule

    async def on_scopes(self, scope_keys: Sequence[str]) -> list[ApproverRule]:
        """The rules on these scope keys, in the order given (parallel point reads; missing ones left out)."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()

        async def one(key: str) -> ApproverRule | None:
            with store_errors("read approver rules", self.table_name):
                try:
                    entity = await table.get_entity(partition(_SCOPE, key), _ROW, select=["Record"])
                except ResourceNotFoundError:
                    return None
                return rule_from_json(entity.get("Record"))

        found = await gather_all(one(key) for key in dict.fromkeys(scope_keys))
        return [rule for rule in found if rule is not None]

    async def all(self) -> list[ApproverRule]:
        """Every rule (policy export only: a range query over the rule rows)."""
        table = await self._table()
        with store_errors("list approver rules", self.table_name):
            return [
                rule_from_json(entity.get("Record"))
                async for entity in table.query_entities(family_filter(_SCOPE), select=["Record"])
            ]
