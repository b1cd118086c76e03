"""``TableApprovalStore``: approval requests, written with ETags so concurrent votes record one outcome.

Table ``approvals``, three row families:

=================================  =========================  ==============================================
PartitionKey                       RowKey                     holds
=================================  =========================  ==============================================
``approval|<id>``                  ``approval``               the request, votes included (JSON ``Record``):
                                                              every change is one conditional write of it
``status|<status>``                newest first, then id      a pointer per request in that status
                                                              (:meth:`by_status`, e.g. what waits for approvers)
``requester|<object id>``          newest first, then id      a pointer per request (:meth:`by_requester`)
=================================  =========================  ==============================================

**One outcome.** The request and its votes are one entity; :meth:`replace` writes it only if its
ETag is still the one read (``If-Match``), so of two concurrent votes one wins and the other gets
:class:`~guardrails.ports.RecordConflict`, re-reads and decides again on the new state. The
transition to ``approved`` is such a conditional write: exactly one writer makes it, and only
that writer hands the request on. :meth:`update` packages this loop (read, change, conditional
write, retry on conflict) and says whether *this* call's write made the transition
(:attr:`ApprovalUpdate.approved_here`). Within one process it queues concurrent updates of the
same request behind a lock and hands each the version the previous one wrote, so 50 approvers
voting at once cost about 50 writes rather than a storm of failed ones; across processes the
ETag still decides.

**Pointers are hints.** :meth:`by_status` and :meth:`by_requester` read a pointer partition
(newest first) and then the records themselves, in parallel, keeping only records whose current
status matches: a pointer may be stale, a record is never wrong. They are written so a record is
never missing from its pointers: :meth:`create` writes the pointers first and the record last
(an interrupted create leaves pointers to nothing, which readers skip); a change to a decided
status writes the new status's pointer before the record and removes the ``pending`` pointer
after it. Pending requests expire within a day or so, which keeps the ``status|pending``
partition small; the `approvals` command reads it instead of keeping a pointer per approver,
because who approves a scope can change while a request waits (the decision re-reads the rules).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from guardrails.ports import RecordConflict, RecordNotFound, Versioned
from guardrails.records import ApprovalRequest, ApprovalStatus
from storage.guardrail_codec import approval_from_json, approval_to_json
from storage.guardrail_rows import GuardrailTable, entity_etag, gather_all, newest_first_key, partition, store_errors

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = ["ApprovalUpdate", "TableApprovalStore"]

_log = logging.getLogger("switchboard.storage.approvals")

_APPROVAL, _STATUS, _REQUESTER = "approval", "status", "requester"
_RECORD_ROW = "approval"
_MAX_ATTEMPTS = 100  # conflicts one update tolerates (each means another writer made progress)
R = TypeVar("R")


@dataclass(frozen=True)
class ApprovalUpdate(Generic[R]):
    """What :meth:`TableApprovalStore.update` did: the request before and after this call's change.

    ``written`` is False when the change was declined (``after is before``). ``result`` is what the
    change function returned beside the new record, for the attempt that was written (or declined).
    """

    before: ApprovalRequest
    after: ApprovalRequest
    etag: str
    written: bool
    result: R

    @property
    def approved_here(self) -> bool:
        """Whether this call's write moved the request from pending to approved: hand it on exactly then."""
        return self.written and self.before.status is ApprovalStatus.PENDING and (
            self.after.status is ApprovalStatus.APPROVED
        )


@dataclass
class _Slot:
    """Concurrent updates of one request in this process: a lock and the last version seen."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    latest: Versioned[ApprovalRequest] | None = None


class TableApprovalStore(GuardrailTable):
    """The :class:`guardrails.ports.ApprovalStore` on Table Storage, plus :meth:`update`.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    def __init__(self, tables: TableProvider, *, table_name: str = "approvals") -> None:
        super().__init__(tables, table_name=table_name)
        self._slots: dict[str, _Slot] = {}

    @staticmethod
    def _record_row(approval: ApprovalRequest) -> dict[str, Any]:
        return {
            "PartitionKey": partition(_APPROVAL, approval.id),
            "RowKey": _RECORD_ROW,
            "Record": approval_to_json(approval),
            "Status": approval.status.value,
        }

    @staticmethod
    def _pointer(family: str, value: str, approval: ApprovalRequest) -> dict[str, Any]:
        return {
            "PartitionKey": partition(family, value),
            "RowKey": newest_first_key(approval.created_at, approval.id),
            "ApprovalId": approval.id,
        }

    async def create(self, approval: ApprovalRequest) -> str:
        """Store a new request (pointers first, record last); returns its ETag.

        :class:`RecordConflict` when the id exists; ValueError when it is too large to store.
        """
        from azure.data.tables import UpdateMode

        record = self._record_row(approval)
        table = await self._table()
        with store_errors("create approval request", self.table_name):
            await gather_all(
                table.upsert_entity(pointer, mode=UpdateMode.REPLACE)
                for pointer in (
                    self._pointer(_REQUESTER, approval.requester_id, approval),
                    self._pointer(_STATUS, approval.status.value, approval),
                )
            )
            written = await table.create_entity(record)  # 409 -> RecordConflict
        return str(written["etag"])

    async def get(self, approval_id: str) -> Versioned[ApprovalRequest]:
        """The request and its ETag; :class:`RecordNotFound` when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with store_errors("get approval request", self.table_name):
            try:
                entity = await table.get_entity(partition(_APPROVAL, approval_id), _RECORD_ROW)
            except ResourceNotFoundError:
                raise RecordNotFound(f"there is no approval request {approval_id!r}") from None
            return Versioned(approval_from_json(entity.get("Record")), entity_etag(entity))

    async def replace(self, approval: ApprovalRequest, etag: str) -> str:
        """Write ``approval`` if it still has ``etag`` (If-Match); returns the new ETag.

        :class:`RecordConflict` when someone wrote it since: re-read, decide again, retry.
        """
        slot = self._slots.get(approval.id)
        if slot is not None:
            slot.latest = None  # written outside update(): the queued updates must re-read
        return await self._write(approval, etag)

    async def _write(self, approval: ApprovalRequest, etag: str) -> str:
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        if not etag:
            raise ValueError("replace needs the ETag the request was read with")
        record = self._record_row(approval)
        decided = approval.status.decided
        table = await self._table()
        with store_errors("write approval request", self.table_name):
            if decided:  # the new status's pointer before the record: a record is never missing from it
                pointer = self._pointer(_STATUS, approval.status.value, approval)
                await table.upsert_entity(pointer, mode=UpdateMode.REPLACE)
            written = await table.update_entity(
                record, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        if decided:
            await self._drop_pending_pointer(table, approval)
        return str(written["etag"])

    async def _drop_pending_pointer(self, table: TableClient, approval: ApprovalRequest) -> None:
        """Remove the ``pending`` pointer of a decided request; a failure only leaves a stale hint (logged)."""
        pointer = self._pointer(_STATUS, ApprovalStatus.PENDING.value, approval)
        try:
            with store_errors("drop pending pointer", self.table_name):
                await table.delete_entity(pointer["PartitionKey"], pointer["RowKey"])
        except Exception:
            _log.warning("a decided approval request still has a pending pointer (readers skip it)", exc_info=True)

    async def update(
        self,
        approval_id: str,
        change: Callable[[ApprovalRequest], tuple[ApprovalRequest | None, R]],
    ) -> ApprovalUpdate[R]:
        """Read, change and conditionally write the request until the write wins; say what this call did.

        ``change(current)`` returns ``(new record or None to leave it as is, result)``; it must be
        pure (it runs again on the newer state after a conflict) and must not change the id.
        :class:`RecordNotFound` when there is no such request; :class:`RecordConflict` only if
        the request kept changing under it ~100 times in a row.
        """
        slot = self._slots.setdefault(approval_id, _Slot())
        slot.users += 1
        try:
            async with slot.lock:
                for _ in range(_MAX_ATTEMPTS):
                    current = slot.latest or await self.get(approval_id)
                    changed, result = change(current.record)
                    if changed is None:
                        slot.latest = current
                        return ApprovalUpdate(current.record, current.record, current.etag, False, result)
                    if changed.id != approval_id:
                        raise ValueError("an update cannot change the approval request's id")
                    try:
                        etag = await self._write(changed, current.etag)
                    except RecordConflict:
                        slot.latest = None  # another process wrote it: read again
                        continue
                    slot.latest = Versioned(changed, etag)
                    return ApprovalUpdate(current.record, changed, etag, True, result)
                raise RecordConflict(f"approval request {approval_id!r} kept changing; try again")
        except BaseException:
            slot.latest = None
            raise
        finally:
            slot.users -= 1
            if slot.users == 0:
                self._slots.pop(approval_id, None)

    async def by_status(self, status: ApprovalStatus, limit: int = 100) -> list[ApprovalRequest]:
        """Requests now in ``status``, newest first, at most ``limit``."""
        status = ApprovalStatus(status)
        return await self._through_pointers(partition(_STATUS, status.value), limit, status)

    async def by_requester(self, requester_id: str, limit: int = 20) -> list[ApprovalRequest]:
        """One requester's requests, newest first, at most ``limit``."""
        return await self._through_pointers(partition(_REQUESTER, requester_id.strip().lower()), limit, None)

    async def _through_pointers(
        self, pointer_partition: str, limit: int, status: ApprovalStatus | None
    ) -> list[ApprovalRequest]:
        """Follow a pointer partition page by page, reading each page's records in parallel.

        With ``status``, records no longer in it (a stale pointer) are left out.
        """
        from azure.core.exceptions import ResourceNotFoundError

        if limit < 1:
            return []
        table = await self._table()

        async def record(approval_id: str) -> ApprovalRequest | None:
            with store_errors("read approval request", self.table_name):
                try:
                    entity = await table.get_entity(partition(_APPROVAL, approval_id), _RECORD_ROW)
                except ResourceNotFoundError:
                    return None  # an interrupted create's pointer
                return approval_from_json(entity.get("Record"))

        results: list[ApprovalRequest] = []
        with store_errors("read approval pointers", self.table_name):
            pages = table.query_entities(
                "PartitionKey eq @pk",
                parameters={"pk": pointer_partition},
                select=["ApprovalId"],
                results_per_page=min(limit, 1000),
            ).by_page()
            async for page in pages:
                ids = list(dict.fromkeys([str(entity["ApprovalId"]) async for entity in page]))
                for approval in await gather_all(record(i) for i in ids):
                    if approval is not None and (status is None or approval.status is status):
                        results.append(approval)
                if len(results) >= limit:
                    break
        return results[:limit]
