"""``TableApprovalCardStore``: where each copy of an approval card was posted, so every copy can be refreshed.

Table ``approvalcards``: PartitionKey ``approval|<approval id>``, RowKey the copy's conversation
id and activity id (escaped; one conversation may hold several copies — the card sent to an
approver's chat and the one ``approvals`` showed there), columns ``Conversation`` (the
serialized conversation reference, JSON) and
``ActivityId`` (the posted card's activity id). One partition query gives every copy of one
request's card. A copy is recorded after it was posted: a lost write only means that copy is not
updated proactively (an approver's client still refreshes it on view, through Universal Actions).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storage.guardrail_rows import GuardrailTable, partition, store_errors
from storage.keys import table_key

__all__ = ["CardCopy", "TableApprovalCardStore"]

_FAMILY = "approval"


@dataclass(frozen=True)
class CardCopy:
    """One posted copy of an approval card: its conversation (serialized reference) and activity id."""

    conversation: Mapping[str, Any]
    activity_id: str


class TableApprovalCardStore(GuardrailTable):
    """The posted copies of each approval request's card.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table (created on first use).
    """

    DEFAULT_TABLE = "approvalcards"

    async def add(self, approval_id: str, copy: CardCopy) -> None:
        """Record the copy posted in ``copy.conversation`` as ``copy.activity_id`` (the same copy again: replaced)."""
        from azure.data.tables import UpdateMode

        conversation_id = str((copy.conversation.get("conversation") or {}).get("id") or "")
        entity = {
            "PartitionKey": partition(_FAMILY, approval_id),
            "RowKey": table_key(f"{conversation_id}|{copy.activity_id}"),
            "Conversation": json.dumps(dict(copy.conversation), separators=(",", ":")),
            "ActivityId": copy.activity_id,
        }
        table = await self._table()
        with store_errors("record approval card copy", self.table_name):
            await table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    async def copies(self, approval_id: str) -> list[CardCopy]:
        """Every recorded copy of the request's card (one partition query)."""
        table = await self._table()
        found: list[CardCopy] = []
        with store_errors("read approval card copies", self.table_name):
            async for entity in table.query_entities(
                "PartitionKey eq @pk", parameters={"pk": partition(_FAMILY, approval_id)}
            ):
                try:
                    conversation = json.loads(str(entity.get("Conversation", "{}")))
                except ValueError:
                    continue
                if isinstance(conversation, dict) and entity.get("ActivityId"):
                    found.append(CardCopy(conversation, str(entity["ActivityId"])))
        return found
