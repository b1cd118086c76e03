"""Policy versions: a whole policy written aside, then made active by one conditional write.

The policy — groups, grants, approver rules, freezes — lives in one set of four tables per
*version*. Table ``policyversions`` holds:

===================  ================  =====================================================
PartitionKey         RowKey            holds
===================  ================  =====================================================
``active``           ``active``        ``Version``: the version every reader uses (the pointer)
``version``          ``<version>``     ``Status`` (staging, active, retired, failed), who, when, source
===================  ================  =====================================================

Version ``""`` is the initial one, in the stores' default tables (``grants``, ``groups``,
``approverrules``, ``freezes``); it is active while there is no pointer row, so an installation
that never imported a file (e.g. only bootstrapped an admin) works without one. An import
writes version ``v<12 hex digits>`` into new tables (``grantsv…``, …), then switches the
pointer with a conditional write (ETag, or insert-if-absent): the one write that makes it
visible. A failure before that switch leaves the active version untouched — nothing of the new
policy is visible, whatever failed and even if the process died — and its tables are dropped
(or dropped by a later import's clean-up). Two imports racing: the second switch finds the ETag
changed and fails (:class:`~guardrails.ports.RecordConflict`) without changing anything.

Readers resolve the active version with :meth:`PolicyVersionStore.active` and read through
:meth:`PolicyStores.for_version`. The previous version's tables are kept after a switch (a reader
that resolved the pointer just before it finishes on a complete policy); older ones are dropped.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from guardrails.policyfile import Policy
from guardrails.ports import RecordConflict
from storage.approver_rules import TableApproverRuleStore
from storage.freezes import TableFreezeStore
from storage.grants import TableGrantStore
from storage.groups import TableGroupStore
from storage.guardrail_codec import utc
from storage.guardrail_rows import entity_etag, gather_all, store_errors

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = [
    "INITIAL_VERSION",
    "ActiveVersion",
    "PolicyStores",
    "PolicyVersionStore",
    "VersionInfo",
    "VersionStatus",
    "new_version",
]

INITIAL_VERSION = ""
"""The version in the stores' default tables: active until the first import switches the pointer."""

_ACTIVE = ("active", "active")
_VERSION = "version"
_PARALLEL_WRITES = 16
_BASE_TABLES = ("grants", "groups", "approverrules", "freezes")


class VersionStatus(StrEnum):
    STAGING = "staging"  # being written; never read by a decision
    ACTIVE = "active"
    RETIRED = "retired"  # was active; its tables are kept while it is the previous version
    FAILED = "failed"  # its import failed before the switch


@dataclass(frozen=True)
class ActiveVersion:
    """The active version and the pointer's ETag (None while there is no pointer row: the initial version)."""

    version: str
    etag: str | None


@dataclass(frozen=True)
class VersionInfo:
    version: str
    status: VersionStatus
    created_at: datetime
    created_by: str
    source: str


def new_version() -> str:
    """A fresh version id: ``v`` and 12 random hex digits (table names stay unique; no reuse after a drop)."""
    return "v" + secrets.token_hex(6)


@dataclass(frozen=True)
class PolicyStores:
    """The four policy stores of one version."""

    version: str
    grants: TableGrantStore
    groups: TableGroupStore
    rules: TableApproverRuleStore
    freezes: TableFreezeStore

    namespace: str = ""

    @classmethod
    def for_version(cls, tables: TableProvider, version: str, *, namespace: str = "") -> PolicyStores:
        """The stores of ``version``; ``namespace`` prefixes every table name (tests keep installations apart)."""
        names = [namespace + base + version for base in _BASE_TABLES]
        return cls(
            namespace=namespace,
            version=version,
            grants=TableGrantStore(tables, table_name=names[0]),
            groups=TableGroupStore(tables, table_name=names[1]),
            rules=TableApproverRuleStore(tables, table_name=names[2]),
            freezes=TableFreezeStore(tables, table_name=names[3]),
        )

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(self.namespace + base + self.version for base in _BASE_TABLES)

    async def read(self) -> Policy:
        """The whole policy of this version (four table reads, in parallel; for export and diffs, never a decision)."""
        groups, grants, rules, freezes = await gather_all(
            [self.groups.all(), self.grants.all(), self.rules.all(), self.freezes.all()]
        )
        return Policy(
            groups=tuple(groups),  # type: ignore[arg-type]
            grants=tuple(grants),  # type: ignore[arg-type]
            approver_rules=tuple(rules),  # type: ignore[arg-type]
            freezes=tuple(freezes),  # type: ignore[arg-type]
        )

    async def write(self, policy: Policy) -> None:
        """Write every record of ``policy`` into this (new, empty) version; at most 16 writes in flight.

        Raises the stores' errors; what was written before a failure stays in these tables, which
        no reader uses until the version is activated (drop them with :meth:`drop`).
        """
        gate = asyncio.Semaphore(_PARALLEL_WRITES)

        async def bounded(write: Callable[[], Awaitable[None]]) -> None:
            async with gate:
                await write()

        await gather_all(bounded(lambda g=g: self.groups.put(g)) for g in policy.groups)  # type: ignore[misc]
        if policy.grants:
            await self.grants.add_many(policy.grants)
        await gather_all(bounded(lambda r=r: self.rules.put(r)) for r in policy.approver_rules)  # type: ignore[misc]
        await gather_all(bounded(lambda f=f: self.freezes.add(f)) for f in policy.freezes)  # type: ignore[misc]

    async def drop(self, tables: TableProvider) -> None:
        """Delete this version's tables (never the active version's: the caller makes sure)."""
        service = tables.service_client()
        for name in self.table_names:
            with store_errors("drop table", name):
                await service.delete_table(name)


class PolicyVersionStore:
    """The active-version pointer and the list of versions (table ``policyversions``)."""

    def __init__(self, tables: TableProvider, *, namespace: str = "") -> None:
        self._tables = tables
        self.table_name = namespace + "policyversions"

    async def _table(self) -> TableClient:
        with store_errors("open", self.table_name):
            return await self._tables.table(self.table_name)

    async def active(self) -> ActiveVersion:
        """The active version (one point read); the initial version while no import has switched the pointer."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with store_errors("read active policy version", self.table_name):
            try:
                entity = await table.get_entity(*_ACTIVE)
            except ResourceNotFoundError:
                return ActiveVersion(INITIAL_VERSION, None)
        return ActiveVersion(str(entity.get("Version", INITIAL_VERSION)), entity_etag(entity))

    async def stage(self, version: str, *, created_by: str, at: datetime, source: str) -> None:
        """Record a new version as being written (before any of its tables)."""
        entity = {
            "PartitionKey": _VERSION, "RowKey": version, "Status": VersionStatus.STAGING.value,
            "CreatedAt": utc(at), "CreatedBy": created_by, "Source": source[:1000],
        }
        table = await self._table()
        with store_errors("stage policy version", self.table_name):
            await table.create_entity(entity)

    async def set_status(self, version: str, status: VersionStatus) -> None:
        from azure.data.tables import UpdateMode

        table = await self._table()
        with store_errors("mark policy version", self.table_name):
            await table.update_entity(
                {"PartitionKey": _VERSION, "RowKey": version, "Status": status.value}, mode=UpdateMode.MERGE
            )

    async def activate(self, version: str, *, expected: ActiveVersion, by: str, at: datetime, import_id: str) -> None:
        """Make ``version`` the active one, if the pointer is still ``expected`` (the one write readers see).

        :class:`RecordConflict` when another import switched it since ``expected`` was read.
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
        from azure.data.tables import UpdateMode

        entity = {
            "PartitionKey": _ACTIVE[0], "RowKey": _ACTIVE[1], "Version": version,
            "ActivatedAt": utc(at), "ActivatedBy": by, "ImportId": import_id,
        }
        table = await self._table()
        with store_errors("activate policy version", self.table_name):
            try:
                if expected.etag is None:
                    await table.create_entity(entity)
                else:
                    await table.update_entity(
                        entity,
                        mode=UpdateMode.REPLACE,
                        etag=expected.etag,
                        match_condition=MatchConditions.IfNotModified,
                    )
            except (ResourceExistsError, ResourceModifiedError):
                raise RecordConflict("another import changed the active policy version meanwhile") from None

    async def versions(self) -> list[VersionInfo]:
        """Every recorded version (oldest first)."""
        table = await self._table()
        found: list[VersionInfo] = []
        with store_errors("list policy versions", self.table_name):
            async for entity in table.query_entities("PartitionKey eq @pk", parameters={"pk": _VERSION}):
                found.append(_info(entity))
        return sorted(found, key=lambda v: v.created_at)


def _info(entity: Any) -> VersionInfo:
    return VersionInfo(
        version=str(entity["RowKey"]),
        status=VersionStatus(entity.get("Status", VersionStatus.STAGING.value)),
        created_at=utc(entity["CreatedAt"]),
        created_by=str(entity.get("CreatedBy", "")),
        source=str(entity.get("Source", "")),
    )
