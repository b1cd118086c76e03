"""``ConversationReferenceStore``: where proactive messages find their conversations.

One entity per conversation, keyed by the (escaped) conversation id. Besides the serialized
``ConversationReference`` (plain msrest JSON, always rebuilt as that one class) it keeps the
columns operations and diagnostics filter on: conversation type (``personal``, ``groupChat``,
``channel``), tenant id, team id, the time of the last save and, for a personal chat, the user's
Entra object id (:meth:`ConversationReferenceStore.personal_chat` finds a user's chat by it, for
notices sent to a person rather than to a conversation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botbuilder.schema import Activity, ConversationReference

from storage.chunks import MAX_STRING_UTF16_UNITS
from storage.errors import SerializationError, ValueTooLargeError, translated
from storage.keys import table_key, utf16_units

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = ["ConversationReferenceStore", "StoredConversationReference"]

ROW_KEY = "reference"
PERSONAL = "personal"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class StoredConversationReference:
    """A saved conversation reference and the columns stored next to it."""

    conversation_id: str
    reference: ConversationReference
    conversation_type: str | None
    tenant_id: str | None
    team_id: str | None
    updated_at: dt.datetime
    # True on the save that inserted the reference; False on reads and updates. Not part of equality:
    # it describes the save, not the stored record.
    created: bool = field(default=False, compare=False)


class ConversationReferenceStore:
    """Save, get, delete and list conversation references in their own table.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    :param clock: returns the current UTC time (tests pass a fixed clock).
    """

    def __init__(
        self,
        tables: TableProvider,
        *,
        table_name: str = "conversationrefs",
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._tables = tables
        self.table_name = table_name
        self._clock = clock

    async def _table(self) -> TableClient:
        return await self._tables.table(self.table_name)

    async def save(
        self, reference: ConversationReference, *, team_id: str | None = None
    ) -> StoredConversationReference:
        """Insert or replace the reference for ``reference.conversation.id``.

        The result's ``created`` is True only for the save that inserted it (one of several
        concurrent saves of a new conversation): install events use it to greet exactly once.
        """
        conversation = reference.conversation
        if conversation is None or not conversation.id:
            raise ValueError("a conversation reference needs conversation.id to be saved")
        reference_json = json.dumps(reference.serialize(), ensure_ascii=False, separators=(",", ":"))
        size = utf16_units(reference_json)
        if size > MAX_STRING_UTF16_UNITS:
            raise ValueTooLargeError(
                f"conversation reference is {size:,} UTF-16 code units; the limit is {MAX_STRING_UTF16_UNITS:,}",
                size=2 * size,
                limit=2 * MAX_STRING_UTF16_UNITS,
            )
        stored = StoredConversationReference(
            conversation_id=conversation.id,
            reference=reference,
            conversation_type=conversation.conversation_type or None,
            tenant_id=conversation.tenant_id or None,
            team_id=team_id or None,
            updated_at=self._clock(),
        )
        entity = {
            "PartitionKey": table_key(conversation.id),
            "RowKey": ROW_KEY,
            "ConversationId": conversation.id,
            "Reference": reference_json,
            "ConversationType": stored.conversation_type or "",
            "TenantId": stored.tenant_id or "",
            "TeamId": stored.team_id or "",
            "UserAadObjectId": _personal_user(reference) or "",
            "UpdatedAt": stored.updated_at,
        }
        from azure.core.exceptions import ResourceExistsError
        from azure.data.tables import UpdateMode

        table = await self._table()
        with translated("save conversation reference", self.table_name):
            try:
                await table.create_entity(entity)
            except ResourceExistsError:
                await table.upsert_entity(entity, mode=UpdateMode.REPLACE)
                return stored
        return dataclasses.replace(stored, created=True)

    async def save_activity(self, activity: Activity) -> StoredConversationReference:
        """Save the reference of an incoming activity, with the team id from its Teams channel data."""
        from botbuilder.core import TurnContext

        return await self.save(TurnContext.get_conversation_reference(activity), team_id=team_id_of(activity))

    async def get(self, conversation_id: str) -> StoredConversationReference | None:
        """The saved reference for ``conversation_id``, or None."""
        from azure.core.exceptions import ResourceNotFoundError

        table = await self._table()
        with translated("get conversation reference", self.table_name):
            try:
                entity = await table.get_entity(table_key(conversation_id), ROW_KEY)
            except ResourceNotFoundError:
                return None
        if entity.get("ConversationId") != conversation_id:
            return None
        return _from_entity(entity)

    async def personal_chat(self, aad_object_id: str) -> StoredConversationReference | None:
        """The bot's personal chat with the user ``aad_object_id`` (Entra object id), or None.

        A table query on the personal-chat rows' user column (references saved before that column
        existed are not found until the user's next install event saves them again). When several
        match (the app reinstalled, an old chat kept), the most recently saved wins.
        """
        if not aad_object_id:
            return None
        table = await self._table()
        found: StoredConversationReference | None = None
        with translated("find personal chat", self.table_name):
            pages = table.query_entities(
                "ConversationType eq @type and UserAadObjectId eq @user",
                parameters={"type": PERSONAL, "user": aad_object_id},
            )
            async for entity in pages:
                if entity.get("RowKey") != ROW_KEY:
                    continue
                candidate = _from_entity(entity)
                if found is None or candidate.updated_at > found.updated_at:
                    found = candidate
        return found

    async def delete(self, conversation_id: str) -> None:
        """Forget ``conversation_id`` (for example after the bot was removed). Missing is fine."""
        table = await self._table()
        with translated("delete conversation reference", self.table_name):
            await table.delete_entity(table_key(conversation_id), ROW_KEY)

    async def list_references(
        self,
        *,
        conversation_type: str | None = None,
        tenant_id: str | None = None,
    ) -> AsyncIterator[StoredConversationReference]:
        """Every saved reference, optionally only one conversation type and/or tenant (a table query)."""
        table = await self._table()
        conditions: list[str] = []
        parameters: dict[str, Any] = {}
        if conversation_type is not None:
            conditions.append("ConversationType eq @type")
            parameters["type"] = conversation_type
        if tenant_id is not None:
            conditions.append("TenantId eq @tenant")
            parameters["tenant"] = tenant_id
        with translated("list conversation references", self.table_name):
            if conditions:
                pages = table.query_entities(" and ".join(conditions), parameters=parameters)
            else:
                pages = table.list_entities()
            async for entity in pages:
                if entity.get("RowKey") == ROW_KEY:
                    yield _from_entity(entity)


def _personal_user(reference: ConversationReference) -> str | None:
    """The user's Entra object id of a personal chat's reference (None for other conversations)."""
    conversation = reference.conversation
    if conversation is None or conversation.conversation_type != PERSONAL or conversation.is_group:
        return None
    user = reference.user
    aad_object_id = getattr(user, "aad_object_id", None) if user is not None else None
    return aad_object_id if isinstance(aad_object_id, str) and aad_object_id else None


def team_id_of(activity: Activity) -> str | None:
    """The Teams team id in an activity's channel data (dict or TeamsChannelData), if any."""
    data = activity.channel_data
    team = data.get("team") if isinstance(data, dict) else getattr(data, "team", None)
    team_id = team.get("id") if isinstance(team, dict) else getattr(team, "id", None)
    return team_id if isinstance(team_id, str) and team_id else None


def _from_entity(entity: dict[str, Any]) -> StoredConversationReference:
    try:
        reference = ConversationReference.deserialize(json.loads(entity["Reference"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SerializationError("stored conversation reference is malformed") from exc
    updated_at = entity.get("UpdatedAt")
    if not isinstance(updated_at, dt.datetime):
        raise SerializationError("stored conversation reference has no update time")
    return StoredConversationReference(
        conversation_id=entity["ConversationId"],
        reference=reference,
        conversation_type=entity.get("ConversationType") or None,
        tenant_id=entity.get("TenantId") or None,
        team_id=entity.get("TeamId") or None,
        updated_at=updated_at,
    )
