"""``DeliveryLedger``: what makes every effect happen at most once — receipts and decisions.

Teams and Bot Service deliver an activity again (same activity id) when a turn is slow, and
people double-click. The ledger records, in its own table, each thing that must happen once:

* an **activity receipt** per ``(channel, conversation, activity id)``: the first delivery of a
  person's message or card action claims it; a redelivery finds it taken and is not processed
  again (:meth:`DeliveryLedger.claim_activity`);
* a **decision** per confirmation form id: the first Confirm or Cancel of a request's preview
  claims it *before* anything runs; a second press of the same form (another click, another
  client, a typed ``yes``) finds the decision already taken and who took it
  (:meth:`DeliveryLedger.decide`).

A turn that fails before it acted gives its claims back (:meth:`DeliveryLedger.release_activity`,
:meth:`DeliveryLedger.release_decision`): a retry is then processed as the first delivery.

Both claims are one ``create_entity`` — an insert that fails with 409 when the row exists — so
of two concurrent deliveries exactly one wins, on any number of instances.

Lifetime: Table Storage has no TTL. Every row carries ``ExpiresAt``; a row past it counts as
absent. It is deleted lazily — when a claim or a read meets it (conditional on its ETag, so a
concurrent re-claim is never deleted) — and :meth:`DeliveryLedger.purge_expired` deletes every
expired row in one sweep (the operations sweeper timer calls it). Receipts live
:data:`ACTIVITY_TTL` (redeliveries come within minutes), decisions :data:`DECISION_TTL` (a preview
card can be pressed again long after; once the decision has expired, the dialog state refuses the
old card as "no longer active").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storage.errors import StorageError, translated
from storage.keys import table_key

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = ["ACTIVITY_TTL", "DECISION_TTL", "DeliveryLedger", "FormDecision"]

ACTIVITY_TTL = dt.timedelta(hours=1)
"""How long an activity receipt is kept: Bot Service redelivers within minutes."""
DECISION_TTL = dt.timedelta(days=1)
"""How long a confirmation form's decision is kept."""

_ACTIVITY = "activity"
_DECISION = "decision"
_MAX_CLAIM_ATTEMPTS = 3  # insert, (expired row removed) insert again, and once more after a race


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class FormDecision:
    """The decision taken on one confirmation form: confirmed or cancelled, by whom, when.

    ``recorded`` is True only in the answer to the :meth:`DeliveryLedger.decide` call that
    recorded it; the decision found by a later call (or by :meth:`DeliveryLedger.decision`) has
    ``recorded=False``. It describes the call, not the stored record.
    """

    form_id: str
    confirmed: bool
    by_key: str  # the decider's stable identity (Entra object id, else channel user id)
    by_name: str  # display name, for "already confirmed by …"
    decided_at: dt.datetime  # UTC
    recorded: bool = False


class DeliveryLedger:
    """Activity receipts and confirmation decisions in one table, each row with an expiry.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    :param clock: returns the current UTC time (aware); tests pass a controllable clock.
    :param activity_ttl: lifetime of an activity receipt.
    :param decision_ttl: lifetime of a decision.

    Every method raises :class:`~storage.StorageError` subclasses on storage failures and
    ``ValueError`` for empty ids.
    """

    def __init__(
        self,
        tables: TableProvider,
        *,
        table_name: str = "deliveries",
        clock: Callable[[], dt.datetime] = _utcnow,
        activity_ttl: dt.timedelta = ACTIVITY_TTL,
        decision_ttl: dt.timedelta = DECISION_TTL,
    ) -> None:
        if activity_ttl <= dt.timedelta(0) or decision_ttl <= dt.timedelta(0):
            raise ValueError("ledger lifetimes must be positive")
        self._tables = tables
        self.table_name = table_name
        self._clock = clock
        self._activity_ttl = activity_ttl
        self._decision_ttl = decision_ttl

    async def _table(self) -> TableClient:
        return await self._tables.table(self.table_name)

    # -- activity receipts ------------------------------------------------------------------
    async def claim_activity(self, channel_id: str, conversation_id: str, activity_id: str) -> bool:
        """Record the first delivery of an activity. True: this call recorded it (process the
        activity); False: a live receipt exists (a redelivery: do not process it again)."""
        won, _ = await self._claim(_ACTIVITY, _activity_key(channel_id, conversation_id, activity_id),
                                   {}, self._activity_ttl)
        return won

    async def release_activity(self, channel_id: str, conversation_id: str, activity_id: str) -> None:
        """Forget an activity's receipt (its turn failed before doing anything), so that a
        redelivery is processed. A missing receipt is not an error."""
        key = _activity_key(channel_id, conversation_id, activity_id)
        table = await self._table()
        with translated("release activity receipt", self.table_name):
            await table.delete_entity(table_key(key), _ACTIVITY)

    # -- decisions ----------------------------------------------------------------------------
    async def decide(self, form_id: str, *, confirmed: bool, by_key: str, by_name: str) -> FormDecision:
        """Take the decision on confirmation form ``form_id``, unless one was taken already.

        Returns the decision that stands: this one with ``recorded=True`` when this call took it,
        else the earlier one (``recorded=False``) — whoever took it, confirmed or cancelled.
        """
        if not by_key:
            raise ValueError("a decision needs the decider's identity")
        fields = {"Confirmed": bool(confirmed), "ByKey": by_key, "ByName": by_name or ""}
        won, entity = await self._claim(_DECISION, _decision_key(form_id), fields, self._decision_ttl)
        return _decision_of(form_id, entity, recorded=won)

    async def release_decision(self, form_id: str) -> None:
        """Forget the decision on ``form_id`` (the turn that took it failed before it acted), so that
        the confirmation can be answered again. A missing decision is not an error."""
        table = await self._table()
        with translated("release decision", self.table_name):
            await table.delete_entity(table_key(_decision_key(form_id)), _DECISION)

    async def decision(self, form_id: str) -> FormDecision | None:
        """The live decision on ``form_id``, or None (never decided, or expired)."""
        key = _decision_key(form_id)
        table = await self._table()
        entity = await self._read(table, key, _DECISION)
        if entity is None:
            return None
        if self._expired(entity):
            await self._delete_expired(table, entity)
            return None
        return _decision_of(form_id, entity, recorded=False)

    # -- lifetime -------------------------------------------------------------------------------
    async def purge_expired(self) -> int:
        """Delete every row past its expiry; returns how many were deleted. A row re-claimed
        meanwhile (its ETag changed) is left alone."""
        table = await self._table()
        expired: list[Mapping[str, Any]] = []
        with translated("query expired rows", self.table_name):
            async for entity in table.query_entities(
                "ExpiresAt le @now", parameters={"now": self._clock()}, select=["PartitionKey", "RowKey"]
            ):
                expired.append(entity)
        deleted = 0
        for entity in expired:
            deleted += await self._delete_expired(table, entity)
        return deleted

    # -- the one atomic claim -----------------------------------------------------------------
    async def _claim(
        self, kind: str, key: str, fields: Mapping[str, Any], ttl: dt.timedelta
    ) -> tuple[bool, Mapping[str, Any]]:
        """Insert the row for ``key``; (True, row) if this call inserted it, else (False, the live row)."""
        from azure.core.exceptions import ResourceExistsError

        table = await self._table()
        for _ in range(_MAX_CLAIM_ATTEMPTS):
            now = self._clock()
            entity = {
                "PartitionKey": table_key(key),
                "RowKey": kind,
                "Key": key,
                "ClaimedAt": now,
                "ExpiresAt": now + ttl,
                **fields,
            }
            with translated(f"claim {kind}", self.table_name):
                try:
                    await table.create_entity(entity)
                    return True, entity
                except ResourceExistsError:
                    pass
            existing = await self._read(table, key, kind)
            if existing is None:  # deleted between our insert and our read: try again
                continue
            if not self._expired(existing):
                return False, existing
            await self._delete_expired(table, existing)
        raise StorageError(f"could not claim a {kind} in table '{self.table_name}': it kept changing")

    async def _read(self, table: TableClient, key: str, kind: str) -> Mapping[str, Any] | None:
        from azure.core.exceptions import ResourceNotFoundError

        with translated(f"read {kind}", self.table_name):
            try:
                entity = await table.get_entity(table_key(key), kind)
            except ResourceNotFoundError:
                return None
        if entity.get("Key") != key:  # a hashed-key collision or a foreign row: never trust it
            raise StorageError(f"a {kind} row in table '{self.table_name}' does not belong to the key read")
        return entity

    def _expired(self, entity: Mapping[str, Any]) -> bool:
        expires = entity.get("ExpiresAt")
        return not isinstance(expires, dt.datetime) or expires <= self._clock()

    async def _delete_expired(self, table: TableClient, entity: Mapping[str, Any]) -> int:
        """Delete an expired row if it is still the one we saw; 1 if deleted, else 0."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        etag = getattr(entity, "metadata", {}).get("etag")
        with translated("delete expired row", self.table_name):
            try:
                await table.delete_entity(
                    entity["PartitionKey"], entity["RowKey"], etag=etag, match_condition=MatchConditions.IfNotModified
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                return 0  # re-claimed or removed by someone else meanwhile
        return 1


def _activity_key(channel_id: str, conversation_id: str, activity_id: str) -> str:
    if not channel_id or not conversation_id or not activity_id:
        raise ValueError("an activity receipt needs a channel id, a conversation id and an activity id")
    return f"{channel_id}/{conversation_id}/{activity_id}"


def _decision_key(form_id: str) -> str:
    if not form_id:
        raise ValueError("a decision needs a form id")
    return form_id


def _decision_of(form_id: str, entity: Mapping[str, Any], *, recorded: bool) -> FormDecision:
    decided_at = entity.get("ClaimedAt")
    return FormDecision(
        form_id=form_id,
        confirmed=bool(entity.get("Confirmed")),
        by_key=str(entity.get("ByKey") or ""),
        by_name=str(entity.get("ByName") or ""),
        decided_at=decided_at if isinstance(decided_at, dt.datetime) else dt.datetime.min.replace(tzinfo=dt.UTC),
        recorded=recorded,
    )
