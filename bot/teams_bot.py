"""``SwitchboardBot``: the Teams activity handler — tenant filter, install/uninstall, routing, errors.

One turn, in order:

1. open the turn's telemetry scope (correlation id, one span, ids on every log record);
2. refuse activities from tenants not on the allow-list: logged, a short reply to a message,
   nothing else processed and no state touched;
3. a message not addressed to the bot (a channel message without an @mention) is ignored;
4. **a person's turn** (a message to the bot, a card action): claim the delivery in the
   delivery ledger while the sender's dialog state loads — a redelivery (same activity id) is
   not processed again (an invoke gets a short answer); run the dialogs with every reply held
   (:class:`~bot.outbox.TurnOutbox`) until the state is saved or the turn's first effect
   (:mod:`dialogs.turn_effects`: a request handed to execution), when what is held is sent and the
   rest goes straight out; a save that loses to another delivery for the same person runs the
   turn again once when no effect started, else tells the person — never a 500. A failure is
   told to the person: storage unreachable, or a short message with the correlation id (never
   the exception), and their dialog state is cleared. When the turn had started a change before
   it failed, the message says what was started and what to check instead of "I didn't do
   anything"; when it had not, its claims (receipt, decisions) are given back. A request card the
   person last saw open (buttons, or "working on it") is updated in place to say so, without
   buttons (:func:`dialogs.request_card.close_after_failure`). The activity ids of request cards
   posted while replies were held are kept once they are sent (one more save of the state);
5. **an event nobody typed** (installation and conversation updates, reactions, edits,
   deletes, typing): load state, dispatch, save; a failure is logged with the correlation id
   and nothing is posted.

Messages are answered in personal chats, and in channels and group chats only when the bot is
@mentioned; the mention is removed before routing. Messages, card submissions
(``Action.Submit`` fallbacks, which carry no @mention) and ``adaptiveCard/action`` invokes go to
the sender's dialogs (:class:`dialogs.Conversations`), which own routing (help, cancel, actions).
"""

from __future__ import annotations

import asyncio
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
from bot.outbox import TurnOutbox
from bot.state import BotStates, ParallelBotStateSet
from cards.protocol import CARD_DATA_KEY
from dialogs.request_card import close_after_failure, keep_card_ids, send_waiting_updates
from dialogs.turn import replies_sent
from dialogs.turn_effects import effect_started, on_first_effect, release_claims, started_effects
from storage import ConcurrencyConflictError, StorageUnavailableError
from telemetry import debug_text, turn_scope

__all__ = ["ConversationReferences", "DeliveryReceipts", "SwitchboardBot", "tenant_of"]

_log = logging.getLogger("switchboard.bot")

_PERSONAL = "personal"
_MESSAGE_TYPE = "application/vnd.microsoft.activity.message"
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


class DeliveryReceipts(Protocol):
    """Where the first delivery of each activity is recorded (``storage.DeliveryLedger``)."""

    async def claim_activity(self, channel_id: str, conversation_id: str, activity_id: str) -> bool:
        """True for the first delivery of the activity; False for a redelivery."""
        ...

    async def release_activity(self, channel_id: str, conversation_id: str, activity_id: str) -> None:
        """Forget the receipt (the turn failed before acting): a redelivery will be processed."""
        ...


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
    :param deliveries: the delivery ledger: redelivered activities are not processed again
        (None: no redelivery check — only tests of other concerns build the bot without it).
    """

    def __init__(
        self,
        *,
        states: BotStates,
        references: ConversationReferences,
        allowed_tenants: Iterable[str],
        conversations: Conversations,
        deliveries: DeliveryReceipts | None = None,
    ) -> None:
        super().__init__()
        self._deliveries = deliveries
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
            if activity.type == ActivityTypes.message and not _addressed_to_bot(activity):
                _log.debug("message in a %s not addressed to the bot: ignored", _loggable(_conversation_type(activity)))
                return
            if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
                await self._person_turn(turn_context, correlation_id)
            else:
                await self._event_turn(turn_context, correlation_id)

    async def _event_turn(self, turn_context: TurnContext, correlation_id: str) -> None:
        """An event nobody typed (installation and conversation updates, reactions, edits,
        deletes, typing): a failure is logged with the correlation id and nothing is posted."""
        kind = _loggable(turn_context.activity.type)
        try:
            await self._state_set.load_all(turn_context)
            await super().on_turn(turn_context)
            await self._state_set.save_all_changes(turn_context)
        except StorageUnavailableError:
            _log.error("storage unreachable during a %s event; nothing posted (ref %s)", kind, correlation_id,
                       exc_info=True)
        except Exception:
            _log.exception("a %s event failed; nothing posted (ref %s)", kind, correlation_id)

    async def _person_turn(self, turn_context: TurnContext, correlation_id: str) -> None:
        """A person's message to the bot or card action: at most once, and always answered.

        The delivery is claimed (concurrently with loading the sender's dialog state); a
        redelivery is not processed again. Replies are held until the state is saved or the turn's
        first effect (:mod:`dialogs.turn_effects`: a request handed to execution), whichever comes
        first. A save that loses to another delivery for the same person (an ETag conflict, at the
        end or mid-turn) runs the turn again once on the new state — only if no effect started;
        else the person is told. A failure before the first effect gives the turn's claims back.
        """
        activity = turn_context.activity
        state_set = self._dialog_state_set or self._state_set
        receipt = _receipt_of(activity) if self._deliveries is not None else None
        outbox = TurnOutbox(turn_context)

        async def release() -> bool:
            """Change the request cards in place, send what is held, keep the ids of the cards posted."""
            if outbox.holding:
                await send_waiting_updates(turn_context)
            await outbox.release()
            await replies_sent(turn_context)  # e.g. register the approval card copies posted by `approvals`
            return keep_card_ids(turn_context)

        async def release_first() -> None:
            await release()

        on_first_effect(turn_context, release_first)  # what was said so far is sent before the effect
        baseline = dict(turn_context.turn_state)
        text = activity.text
        claimed = False
        try:
            if not await self._claim_and_load(turn_context, state_set, receipt):
                await self._answer_redelivery(turn_context, outbox)
                return
            claimed = receipt is not None
            for attempt in (1, 2):
                if attempt == 2:  # the same turn on the state the other delivery saved
                    outbox.discard()
                    turn_context.turn_state.clear()
                    turn_context.turn_state.update(baseline)
                    activity.text = text
                    turn_context._responded = False  # nothing of the first run was sent; no public reset
                    await state_set.load_all(turn_context, force=True)
                try:
                    await super().on_turn(turn_context)
                    await state_set.save_all_changes(turn_context)
                except ConcurrencyConflictError:
                    if effect_started(turn_context) or attempt == 2:
                        await self._tell_conflict(turn_context, outbox, correlation_id)
                        return
                    await release_claims(turn_context)  # this run did nothing: its decisions may be taken again
                    _log.info("the sender's state was saved by another delivery; running the turn again (ref %s)",
                              correlation_id)
                    continue
                if await release():  # a card posted in this turn: its id joins the saved state
                    await self._save_card_ids(turn_context, state_set, correlation_id)
                return
        except StorageUnavailableError:
            _log.error("storage unreachable during the turn (ref %s)", correlation_id, exc_info=True)
            started = started_effects(turn_context)  # what the turn started before: say it, never "nothing"
            await self._fail(turn_context, outbox, receipt if claimed else None,
                             replies.storage_unavailable(correlation_id, started), 503)
        except Exception:
            _log.exception("the turn failed (ref %s)", correlation_id)
            started = started_effects(turn_context)
            await self._fail(turn_context, outbox, receipt if claimed else None,
                             replies.error_message(correlation_id, started), 500)
            await self._clear_conversation_state(turn_context)
        finally:
            outbox.close()  # the adapter must never see the held mode (a no-op once released)

    @staticmethod
    async def _save_card_ids(turn_context: TurnContext, state_set: ParallelBotStateSet, correlation_id: str) -> None:
        """Save the sender's state again with the activity ids of the request cards this turn posted (known
        only once the held replies went out). Best effort: without them a later state of the card is
        posted as a new card instead of replacing it."""
        try:
            await state_set.save_all_changes(turn_context)
        except Exception:
            _log.warning("could not keep the activity id of a request card (ref %s)", correlation_id, exc_info=True)

    async def _claim_and_load(
        self, turn_context: TurnContext, state_set: ParallelBotStateSet, receipt: tuple[str, str, str] | None
    ) -> bool:
        """Claim the delivery and load the state, concurrently; False for a redelivery."""
        if receipt is None or self._deliveries is None:
            await state_set.load_all(turn_context)
            return True
        claim, load = await asyncio.gather(
            self._deliveries.claim_activity(*receipt), state_set.load_all(turn_context), return_exceptions=True
        )
        if isinstance(claim, BaseException):
            raise claim
        if not claim:
            return False
        if isinstance(load, BaseException):
            await self._release_receipt(receipt)
            raise load
        return True

    async def _answer_redelivery(self, turn_context: TurnContext, outbox: TurnOutbox) -> None:
        """A redelivered activity (same id): nothing is done again; an invoke gets a short answer."""
        _log.info("a redelivered %s was not processed again", _loggable(turn_context.activity.type))
        await outbox.release()
        if turn_context.activity.type == ActivityTypes.invoke:
            await _send_invoke_message(turn_context, replies.already_received())

    async def _tell_conflict(self, turn_context: TurnContext, outbox: TurnOutbox, correlation_id: str) -> None:
        """Another delivery for the same person saved their state first, and this turn cannot run again."""
        if effect_started(turn_context):  # its replies were released at the effect: the person saw them
            _log.warning("the sender's state was saved by another delivery after this turn acted; "
                         "kept the other (ref %s)", correlation_id)
            await turn_context.send_activity(replies.kept_other_message(started_effects(turn_context)))
            return
        _log.info("the sender's state changed again while the turn ran twice; told them to retry (ref %s)",
                  correlation_id)
        await release_claims(turn_context)
        outbox.close()
        if turn_context.activity.type == ActivityTypes.invoke:
            await _send_invoke_message(turn_context, replies.busy())
        else:
            await turn_context.send_activity(replies.busy())

    async def _fail(
        self, turn_context: TurnContext, outbox: TurnOutbox, receipt: tuple[str, str, str] | None, text: str,
        status: int,
    ) -> None:
        """Drop what the failed turn still held (replies released at its first effect were sent), give
        its claims back if it did nothing (a retry or a redelivery may try again), tell the person."""
        outbox.close()
        if not effect_started(turn_context):
            await release_claims(turn_context)
            if receipt is not None:
                await self._release_receipt(receipt)
        await self._tell_failure(turn_context, text, status)
        await close_after_failure(turn_context)  # a request card left open says what happened, without buttons

    async def _release_receipt(self, receipt: tuple[str, str, str]) -> None:
        try:
            assert self._deliveries is not None
            await self._deliveries.release_activity(*receipt)
        except Exception:
            _log.warning("could not release the delivery receipt of a failed turn", exc_info=True)

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
        """Tell the person whose message or card action failed (never called for events)."""
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


def _conversation_type(activity: Activity) -> str:
    return getattr(activity.conversation, "conversation_type", None) or _PERSONAL


def _addressed_to_bot(activity: Activity) -> bool:
    """A message in a personal chat, an @mention of the bot, or a card submission (which carries no mention)."""
    if _conversation_type(activity) == _PERSONAL:
        return True
    if isinstance(activity.value, dict) and CARD_DATA_KEY in activity.value:
        return True
    return parse_message(activity).mentioned


def _receipt_of(activity: Activity) -> tuple[str, str, str] | None:
    """(channel id, conversation id, activity id): what identifies a delivery; None without an id."""
    conversation_id = getattr(activity.conversation, "id", None)
    if not activity.id or not activity.channel_id or not conversation_id:
        return None
    return str(activity.channel_id), str(conversation_id), str(activity.id)


def _includes_bot(members: Sequence[ChannelAccount] | None, turn_context: TurnContext) -> bool:
    bot_id = getattr(turn_context.activity.recipient, "id", None)
    return bool(bot_id) and any(getattr(member, "id", None) == bot_id for member in members or ())


async def _send_invoke_message(turn_context: TurnContext, message: str) -> None:
    """Answer an invoke with 200 and a message for the person (``application/vnd.microsoft.activity.message``)."""
    body = {"statusCode": 200, "type": _MESSAGE_TYPE, "value": message}
    await turn_context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
    )


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
