"""``SwitchboardBot``: the Teams activity handler — tenant filter, install/uninstall, routing, errors.

One turn, in order:

1. open the turn's telemetry scope (correlation id, one span, ids on every log record);
2. refuse activities from tenants not on the allow-list: logged, a short reply to a message,
   nothing else processed and no state touched;
3. load conversation and user state in parallel; dispatch by activity type; save what changed
   in one write;
4. on :class:`~storage.StorageUnavailableError`: tell the user storage is unreachable (with the
   correlation id) — nothing was written; on any other error: log it, tell the user a short
   message with the correlation id (never the exception), clear conversation state. When the
   turn had started a change before it failed (:mod:`dialogs.turn_effects`), the message says what
   was started and what to check instead of "I didn't do anything".

Messages are answered in personal chats, and in channels and group chats only when the bot is
@mentioned; the mention is removed before routing. Messages, card submissions
(``Action.Submit`` fallbacks, which carry no @mention) and ``adaptiveCard/action`` invokes go to
the sender's dialogs (:class:`dialogs.Conversations`), which own routing (help, cancel, actions).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount
from botbuilder.schema.teams import TeamInfo

from bot import replies
from bot.mentions import parse_message
from bot.state import BotStates
from cards.protocol import CARD_DATA_KEY
from dialogs.turn_effects import started_effects
from storage import StorageUnavailableError
from telemetry import debug_text, turn_scope

__all__ = ["ConversationReferences", "SwitchboardBot", "tenant_of"]

_log = logging.getLogger("switchboard.bot")

_PERSONAL = "personal"
_MAX_LOGGED_ID = 64
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")


class Conversations(Protocol):
    """The dialogs of each user (``dialogs.Conversations``): messages and card actions go there."""

    async def on_message(
        self, turn_context: TurnContext, *, text: str, in_channel: bool, tenant_id: str | None
    ) -> None: ...

    async def on_card_action(
        self, turn_context: TurnContext, *, in_channel: bool, tenant_id: str | None
    ) -> InvokeResponse: ...


class SavedReference(Protocol):
    """What saving a reference tells the bot: whether this save inserted it."""

    @property
    def created(self) -> bool: ...


class ConversationReferences(Protocol):
    """Where conversation references are kept for proactive messages (``storage.ConversationReferenceStore``)."""

    async def save_activity(self, activity: Activity) -> SavedReference: ...

    async def delete(self, conversation_id: str) -> None: ...


def tenant_of(activity: Activity) -> str | None:
    """The activity's Entra tenant id (lower case): Teams channel data, else the conversation.

    Sources: ``channelData.tenant.id``; ``conversation.tenantId`` (what Teams and the Playground
    send — botbuilder-schema's ``ConversationAccount`` maps ``tenant_id`` to a ``tenantID`` key, so
    parsing leaves ``tenantId`` among the conversation's additional properties); and
    ``conversation.tenant_id`` itself. Returns None when none is given or when any two disagree.
    """
    data = activity.channel_data
    tenant = data.get("tenant") if isinstance(data, dict) else getattr(data, "tenant", None)
    from_channel_data = tenant.get("id") if isinstance(tenant, dict) else getattr(tenant, "id", None)
    conversation = activity.conversation
    from_schema = getattr(conversation, "tenant_id", None)
    extra = getattr(conversation, "additional_properties", None)
    from_wire = extra.get("tenantId") if isinstance(extra, dict) else None
    found = {str(value).strip().lower() for value in (from_channel_data, from_schema, from_wire) if value}
    return found.pop() if len(found) == 1 else None


def _loggable(value: str | None) -> str:
    return _UNPRINTABLE.sub("", value or "")[:_MAX_LOGGED_ID] or "(none)"


class SwitchboardBot(TeamsActivityHandler):
    """The Switchboard Teams bot. Build it in :func:`app.composition.build_switchboard`.

    :param states: the state scopes (conversation, user) over the bot's storage.
    :param references: the conversation-reference store for proactive messages.
    :param allowed_tenants: Entra tenant ids (lower case) whose activities are processed.
    :param conversations: the users' dialogs (:class:`dialogs.Conversations`): they route messages
        (help, cancel, actions) and card actions.
    """

    def __init__(
        self,
        *,
        states: BotStates,
        references: ConversationReferences,
        allowed_tenants: Iterable[str],
        conversations: Conversations,
    ) -> None:
        super().__init__()
        self._states = states
        self._conversations = conversations
        self._state_set = states.state_set()
        # Messages and card actions only need the sender's dialogs (install events use the others).
        self._dialog_state_set = states.dialog_state_set()
        self._references = references
        self._allowed_tenants = frozenset(t.strip().lower() for t in allowed_tenants)

    # ------------------------------------------------------------------ the turn
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        with turn_scope(activity) as correlation_id:
            tenant = tenant_of(activity)
            if tenant is None or tenant not in self._allowed_tenants:
                await self._refuse(turn_context, tenant)
                return
            state_set = self._state_set
            if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
                state_set = self._dialog_state_set
            try:
                await state_set.load_all(turn_context)
                await super().on_turn(turn_context)
                await state_set.save_all_changes(turn_context)
            except StorageUnavailableError:
                _log.error("storage unreachable during the turn (ref %s)", correlation_id, exc_info=True)
                started = started_effects(turn_context)  # what the turn started before: say it, never "nothing"
                await self._tell_failure(turn_context, replies.storage_unavailable(correlation_id, started), 503)
            except Exception:
                _log.exception("the turn failed (ref %s)", correlation_id)
                started = started_effects(turn_context)
                await self._tell_failure(turn_context, replies.error_message(correlation_id, started), 500)
                await self._clear_conversation_state(turn_context)

    async def _refuse(self, turn_context: TurnContext, tenant: str | None) -> None:
        activity = turn_context.activity
        _log.warning(
            "activity refused: tenant %s is not allowed (activity type %s)", _loggable(tenant), _loggable(activity.type)
        )
        if activity.type == ActivityTypes.message:
            await turn_context.send_activity(replies.tenant_refused())
        elif activity.type == ActivityTypes.invoke:
            await _send_invoke_response(turn_context, 403, "Forbidden", replies.tenant_refused())

    async def _tell_failure(self, turn_context: TurnContext, text: str, status: int) -> None:
        try:
            if turn_context.activity.type == ActivityTypes.invoke:
                code = "ServiceUnavailable" if status == 503 else "InternalError"
                await _send_invoke_response(turn_context, status, code, text)
            await turn_context.send_activity(text)
        except Exception:
            _log.exception("could not tell the user about the failure")

    async def _clear_conversation_state(self, turn_context: TurnContext) -> None:
        try:
            await self._states.conversation.clear_state(turn_context)
            await self._states.conversation.delete(turn_context)
            if self._states.private_conversation is not None:  # the sender's dialogs: never stuck
                await self._states.private_conversation.clear_state(turn_context)
                await self._states.private_conversation.delete(turn_context)
        except Exception:
            _log.exception("could not clear the conversation state after a failed turn")

    # ------------------------------------------------------------------ messages
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        in_channel = (getattr(activity.conversation, "conversation_type", None) or _PERSONAL) != _PERSONAL
        message = parse_message(activity)
        card_submission = isinstance(activity.value, dict) and CARD_DATA_KEY in activity.value
        if in_channel and not message.mentioned and not card_submission:
            _log.debug("message in a %s without an @mention: ignored", activity.conversation.conversation_type)
            return
        debug_text(_log, "message text", message.text)
        await self._conversations.on_message(
            turn_context, text=message.text, in_channel=in_channel, tenant_id=tenant_of(activity)
        )

    # ------------------------------------------------------------------ card actions
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name == "adaptiveCard/action":
            in_channel = (getattr(activity.conversation, "conversation_type", None) or _PERSONAL) != _PERSONAL
            return await self._conversations.on_card_action(
                turn_context, in_channel=in_channel, tenant_id=tenant_of(activity)
            )
        return await super().on_invoke_activity(turn_context)

    # ------------------------------------------------------------------ install / uninstall
    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._installed(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._uninstalled(turn_context)

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        # Overridden so that other members joining never cost a Teams roster call per member.
        if _includes_bot(members_added, turn_context):
            await self._installed(turn_context)

    async def on_teams_members_removed_dispatch(
        self, members_removed: list[ChannelAccount], team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        if _includes_bot(members_removed, turn_context):
            await self._uninstalled(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        if _includes_bot(members_added, turn_context):
            await self._installed(turn_context)

    async def on_members_removed_activity(
        self, members_removed: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        if _includes_bot(members_removed, turn_context):
            await self._uninstalled(turn_context)

    async def _installed(self, turn_context: TurnContext) -> None:
        """Store the conversation reference, then greet once per installation (both install events arrive)."""
        activity = turn_context.activity
        saved = await self._references.save_activity(activity)
        conversation_type = getattr(activity.conversation, "conversation_type", None) or _PERSONAL
        _log.info("installed in a %s conversation; reference stored", conversation_type)
        # Only the event whose save inserted the reference greets: the two install events of one
        # installation often arrive at the same time, and state read by both would greet twice.
        if saved.created:
            await turn_context.send_activity(replies.greeting(conversation_type != _PERSONAL))

    async def _uninstalled(self, turn_context: TurnContext) -> None:
        """Forget the conversation: its reference and its conversation state."""
        await self._references.delete(turn_context.activity.conversation.id)
        await self._states.conversation.delete(turn_context)
        _log.info("uninstalled; conversation reference and state deleted")


def _includes_bot(members: Sequence[ChannelAccount] | None, turn_context: TurnContext) -> bool:
    bot_id = getattr(turn_context.activity.recipient, "id", None)
    return bool(bot_id) and any(getattr(member, "id", None) == bot_id for member in members or ())


async def _send_invoke_response(turn_context: TurnContext, status: int, code: str, message: str) -> None:
    """Answer an invoke with an Adaptive Card error body (``application/vnd.microsoft.error``)."""
    body = {
        "statusCode": status,
        "type": "application/vnd.microsoft.error",
        "value": {"code": code, "message": message},
    }
    await turn_context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status, body=body))
    )
