"""``TableGrantStore``: grants, readable by principal (a decision) and by scope (who administers it).

Table ``grants``, three row families per grant, each holding the whole grant (JSON column
``Record``; grants are immutable — added or revoked, never edited — so the copies cannot
disagree):

=====================================  =========================  =========================================
PartitionKey                           RowKey                     read by
=====================================  =========================  =========================================
``grant|<bucket>``                     ``<grant id>``             :meth:`get`, :meth:`revoke`, :meth:`all`
``principal|user:<oid>`` / ``…group:<name>``  ``<grant id>``      :meth:`for_principals` (one partition each)
``scope|<scope key>``                  ``<grant id>``             :meth:`on_scopes` (one partition each)
=====================================  =========================  =========================================

``<bucket>`` is the first two hex digits of the SHA-256 of the id: 256 partitions, so a bulk
:meth:`add_many` writes the ``grant`` rows in transactions of up to 100 rows like the others.

The rows of one grant live in different partitions, so no single transaction can write them all. They are
written in the order that keeps every intermediate state *safe* — never more permission than
the store reports: :meth:`add` writes the ``grant`` row first (the existence check: a second add
of the same id is a conflict), then the scope row, and the ``principal`` row — the one
decisions read — last; :meth:`revoke` deletes the ``principal`` row first and the ``grant`` row
last. An add interrupted by a failure leaves a grant that does not yet authorize anything;
repeating the same add completes it (an identical ``grant`` row is not a conflict). An
interrupted revoke has already removed the permission; repeating it completes it.
:meth:`add_many` keeps the same order family by family: every ``grant`` row, then every
``scope`` row, then every ``principal`` row.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from guardrails.ports import RecordConflict, RecordNotFound
from guardrails.records import Grant, GrantKind, Principal
from guardrails.scopes import scope_key
from storage.guardrail_codec import grant_from_json, grant_to_json
from storage.guardrail_rows import GuardrailTable, family_filter, gather_all, partition, store_errors
from storage.keys import table_key

if TYPE_CHECKING:

    pass

__all__ = ["TableGrantStore"]

_GRANT, _PRINCIPAL, _SCOPE = "grant", "principal", "scope"
_BATCH = 100  # rows of one partition per entity-group transaction (the service's limit)
_PARALLEL_BATCHES = 8  # transactions in flight at once (more only queues for connections)


def _bucket(grant_id: str) -> str:
    return hashlib.sha256(grant_id.encode("utf-8", "surrogatepass")).hexdigest()[:2]


class TableGrantStore(GuardrailTable):
    """The :class:`guardrails.ports.GrantStore` on Table Storage.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "grants"

    @staticmethod
    def _rows(grant: Grant) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        record = grant_to_json(grant)
        common = {"Record": record, "Kind": grant.kind.value, "GrantId": grant.id}
        row_key = table_key(grant.id)
        return (
            {"PartitionKey": partition(_GRANT, _bucket(grant.id)), "RowKey": row_key, **common},
            {"PartitionKey": partition(_SCOPE, scope_key(grant.scope)), "RowKey": row_key, **common},
            {"PartitionKey": partition(_PRINCIPAL, grant.principal.key), "RowKey": row_key, **common},
        )

    async def add(self, grant: Grant) -> None:
        """Store a new grant. :class:`RecordConflict` when a different grant has its id; ValueError when too large."""
        from azure.core.exceptions import ResourceExistsError
        from azure.data.tables import UpdateMode

        record_row, scope_row, principal_row = self._rows(grant)
        table = await self._table()
        with store_errors("add grant", self.table_name):
            try:
                await table.create_entity(record_row)
            except ResourceExistsError:
                existing = await table.get_entity(record_row["PartitionKey"], record_row["RowKey"])
                if existing.get("Record") != record_row["Record"]:
                    raise RecordConflict(f"a grant with id {grant.id!r} already exists") from None
                # the same grant: an earlier add was interrupted; complete it
            await table.upsert_entity(scope_row, mode=UpdateMode.REPLACE)
            await table.upsert_entity(principal_row, mode=UpdateMode.REPLACE)

    async def add_many(self, grants: Iterable[Grant]) -> None:
        """Store many new grants (a policy import, a benchmark's seed) in transactions of up to 100 rows.

        Family by family, so the permissions (``principal`` rows) come last. :class:`RecordConflict`
        when a grant row of one transaction exists already (that transaction writes nothing);
        ValueError for duplicate ids among ``grants``.
        """
        from azure.data.tables import UpdateMode

        rows = [self._rows(grant) for grant in grants]
        if len({row[0]["GrantId"] for row in rows}) != len(rows):
            raise ValueError("add_many: two grants have the same id")
        table = await self._table()
        gate = asyncio.Semaphore(_PARALLEL_BATCHES)

        async def submit(batch: list[Any]) -> None:
            async with gate:
                await table.submit_transaction(batch)

        for family, operation in ((0, "create"), (1, "upsert"), (2, "upsert")):
            by_partition: dict[str, list[dict[str, Any]]] = {}
            for grant_rows in rows:
                by_partition.setdefault(grant_rows[family]["PartitionKey"], []).append(grant_rows[family])
            batches = [
                [(operation, row, {"mode": UpdateMode.REPLACE}) if operation == "upsert" else (operation, row)
                 for row in entities[start : start + _BATCH]]
                for entities in by_partition.values()
                for start in range(0, len(entities), _BATCH)
            ]
            with store_errors("add grants", self.table_name):
                await gather_all(submit(batch) for batch in batches)

    async def get(self, grant_id: str) -> Grant:
        """The grant with ``grant_id``; :class:`RecordNotFound` when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with store_errors("get grant", self.table_name):
            try:
                entity = await table.get_entity(partition(_GRANT, _bucket(grant_id)), table_key(grant_id))
            except ResourceNotFoundError:
                raise RecordNotFound(f"there is no grant {grant_id!r}") from None
            return grant_from_json(entity.get("Record"))

    async def revoke(self, grant_id: str) -> Grant:
        """Delete the grant (permission first) and return it; :class:`RecordNotFound` when there is none."""
        grant = await self.get(grant_id)
        record_row, scope_row, principal_row = self._rows(grant)
        table = await self._table()
        with store_errors("revoke grant", self.table_name):
            for row in (principal_row, scope_row, record_row):
                await table.delete_entity(row["PartitionKey"], row["RowKey"])
        return grant

    async def for_principals(self, principals: Iterable[Principal]) -> list[Grant]:
        """Every grant held by any of ``principals`` (expired ones included): one partition query each, in parallel."""
        keys = sorted({partition(_PRINCIPAL, p.key) for p in principals})
        return await self._partitions(keys, "read grants of principals")

    async def on_scopes(self, scope_keys: Sequence[str], kind: GrantKind | None = None) -> list[Grant]:
        """Grants on exactly these scope keys (from :func:`~guardrails.scopes.scope_chain`), optionally one kind."""
        keys = sorted({partition(_SCOPE, key) for key in scope_keys})
        return await self._partitions(keys, "read grants on scopes", kind)

    async def all(self) -> list[Grant]:
        """Every grant (policy export and validation: a range query over the ``grant`` rows; never for a decision)."""
        table = await self._table()
        with store_errors("list grants", self.table_name):
            return [
                grant_from_json(entity.get("Record"))
                async for entity in table.query_entities(family_filter(_GRANT), select=["Record"])
            ]

    async def _partitions(
        self, partition_keys: list[str], operation: str, kind: GrantKind | None = None
    ) -> list[Grant]:
        if not partition_keys:
            return []
        table = await self._table()

        async def one(key: str) -> list[Grant]:
            condition, parameters = "PartitionKey eq @pk", {"pk": key}
            if kind is not None:
                condition, parameters = condition + " and Kind eq @kind", {**parameters, "kind": kind.value}
            with store_errors(operation, self.table_name):
                return [
                    grant_from_json(entity.get("Record"))
                    async for entity in table.query_entities(condition, parameters=parameters, select=["Record"])
                ]

        found = await gather_all(one(key) for key in partition_keys)
        return [grant for grants in found for grant in grants]

