"""``AdapterNotifier``: the :class:`~requesting.Notifier` port on the adapter's proactive turns.

A small implementation so that approval cards, refreshed copies and decisions reach people
outside their turns: ``continue_conversation`` with the stored conversation reference, one
activity sent or updated, connector failures turned into receipts (never raised): the bot gone
from the conversation (403) or the conversation deleted (404) is ``GONE``, anything else
``FAILED`` (logged). A person's personal chat is found among the stored references of personal
conversations by their Entra object id (a query of the reference table). Teams' per-conversation
rate limits and update serialization are the connector pipeline's retries only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationReference

from bot.adapter import SwitchboardAdapter
from bot.connector_errors import BotNotInConversation, ConversationBlocked, ConversationNotFound
from cards import CARD_CONTENT_TYPE
from requesting import Notice, NoticeReceipt, NoticeStatus
from storage import ConversationReferenceStore

__all__ = ["AdapterNotifier"]

_log = logging.getLogger("switchboard.bot.proactive")
_GONE = (BotNotInConversation, ConversationBlocked, ConversationNotFound)


def _activity(notice: Notice) -> Activity:
    if notice.card is None:
        return MessageFactory.text(notice.text or "")
    attachment = Attachment(content_type=CARD_CONTENT_TYPE, content=dict(notice.card))
    return MessageFactory.attachment(attachment, text=notice.text)


class AdapterNotifier:
    """Sends notices with the adapter's proactive turns.

    :param adapter: the process's adapter.
    :param references: the stored conversation references (to find a person's personal chat).
    :param app_id: the bot's app id ("" for a local, anonymous run).
    """

    def __init__(self, adapter: SwitchboardAdapter, references: ConversationReferenceStore, app_id: str) -> None:
        self._adapter = adapter
        self._references = references
        self._app_id = app_id

    async def _proactive(
        self, conversation: Mapping[str, Any], activity: Activity, activity_id: str | None
    ) -> NoticeReceipt:
        reference = ConversationReference.deserialize(dict(conversation))
        sent: dict[str, str | None] = {}

        async def logic(turn_context: TurnContext) -> None:
            if activity_id is None:
                response = await turn_context.send_activity(activity)
                sent["id"] = getattr(response, "id", None)
            else:
                activity.id = activity_id
                activity.type = ActivityTypes.message
                activity.conversation = reference.conversation
                await turn_context.update_activity(activity)
                sent["id"] = activity_id

        try:
            await self._adapter.continue_conversation(reference, logic, bot_app_id=self._app_id)
        except _GONE as exc:
            return NoticeReceipt(NoticeStatus.GONE, reason=type(exc).__name__)
        except Exception as exc:  # a delivery failure is a result, never an exception (logged)
            _log.warning("a notice was not delivered (%s)", type(exc).__name__, exc_info=True)
            return NoticeReceipt(NoticeStatus.FAILED, reason=type(exc).__name__)
        return NoticeReceipt(NoticeStatus.DELIVERED, sent.get("id"), conversation=dict(conversation))

    async def send(self, conversation: Mapping[str, Any], notice: Notice) -> NoticeReceipt:
        """Post ``notice`` in ``conversation``; the receipt carries the new activity's id."""
        return await self._proactive(conversation, _activity(notice), None)

    async def update(self, conversation: Mapping[str, Any], activity_id: str, notice: Notice) -> NoticeReceipt:
        """Replace the message ``activity_id`` in ``conversation`` with ``notice``."""
        return await self._proactive(conversation, _activity(notice), activity_id)

    async def send_to_user(self, user_key: str, notice: Notice) -> NoticeReceipt:
        """Post ``notice`` in the personal chat of ``user_key`` (Entra object id); ``GONE`` when none is known."""
        wanted = user_key.strip().lower()
        try:
            async for stored in self._references.list_references(conversation_type="personal"):
                user = stored.reference.user
                if user is not None and str(getattr(user, "aad_object_id", "") or "").lower() == wanted:
                    return await self.send(stored.reference.serialize(), notice)
        except Exception as exc:
            _log.warning("personal chats could not be looked up (%s)", type(exc).__name__, exc_info=True)
            return NoticeReceipt(NoticeStatus.FAILED, reason=type(exc).__name__)
        return NoticeReceipt(NoticeStatus.GONE, reason="no personal chat with this person")
