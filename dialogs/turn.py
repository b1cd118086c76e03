"""What the dialogs of one turn share through ``TurnContext.turn_state``, and how they answer.

:class:`dialogs.conversations.Conversations` fills a :class:`TurnInputs` at the start of a
turn: the user's text with the bot's @mention removed, the card submission (already parsed,
not yet trusted), the requester (from the activity) and the turn's :class:`ActionContext`.
Dialogs answer through :func:`present_card`, which puts a card in the invoke response when the
turn is a Universal Actions invoke (the card replaces the one the user pressed) and sends it
as a message otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment, DeliveryModes

from actions.context import ActionContext
from actions.spec import ChoiceList
from cards import CARD_CONTENT_TYPE, CardSubmission, SubmissionChannel, Tone, notice_card
from requesting.request import Requester

__all__ = [
    "ChoiceFilter",
    "TurnInputs",
    "after_replies_sent",
    "answers_invoke",
    "card_activity",
    "invoke_card",
    "invoke_message",
    "present_card",
    "present_message",
    "present_notice",
    "replies_held",
    "replies_sent",
    "requester_of",
    "set_invoke_card",
    "set_turn_inputs",
    "turn_inputs",
]

_INPUTS_KEY = "switchboard.dialogs.inputs"
_INVOKE_CARD_KEY = "switchboard.dialogs.invoke_card"
_INVOKE_MESSAGE_KEY = "switchboard.dialogs.invoke_message"
_AFTER_SENT_KEY = "switchboard.dialogs.after_sent"

_log = logging.getLogger("switchboard.dialogs")


ChoiceFilter = Callable[[Requester, str, ChoiceList], Awaitable[ChoiceList]]
"""``(requester, action name, discovered choices) -> the choices to offer`` (the rest moved to ``unavailable``)."""


@dataclass
class TurnInputs:
    """What the dialogs of this turn read: never the raw card data for identity."""

    text: str  # the message text, @mention removed and whitespace normalized ("" for a card)
    submission: CardSubmission | None  # a card button press (untrusted content)
    requester: Requester  # who sent this activity (from the activity)
    actions: ActionContext  # this turn's view: shared SDK clients, fresh discovery cache
    in_channel: bool  # a channel or group chat
    save_state: Callable[[], Awaitable[None]] | None = None  # write the sender's dialog state now (mid-turn)
    pressed: bool = False  # ``text`` is the command of a suggestion button (cards.suggestions), not typed
    choice_filter: ChoiceFilter | None = None  # narrows discovered choices to what the requester may act on

    async def checkpoint(self) -> None:
        """Write the sender's dialog state as it is now, before the turn ends (no-op without ``save_state``).

        Raises what the storage raises (e.g. :class:`storage.StorageUnavailableError`).
        """
        if self.save_state is not None:
            await self.save_state()


def turn_inputs(turn_context: TurnContext) -> TurnInputs:
    """The :class:`TurnInputs` of this turn (set by :class:`~dialogs.conversations.Conversations`)."""
    inputs = turn_context.turn_state.get(_INPUTS_KEY)
    if not isinstance(inputs, TurnInputs):
        raise RuntimeError("dialogs must run through dialogs.Conversations, which sets the turn's inputs")
    return inputs


def set_turn_inputs(turn_context: TurnContext, inputs: TurnInputs) -> None:
    """Make ``inputs`` this turn's :class:`TurnInputs`."""
    turn_context.turn_state[_INPUTS_KEY] = inputs


def requester_of(activity: Activity, tenant_id: str | None) -> Requester:
    """The requester as the channel identified them on ``activity``."""
    sender = activity.from_property
    user_id = str(getattr(sender, "id", None) or "")
    if not user_id:
        raise ValueError("the activity names no sender")
    name = str(getattr(sender, "name", None) or "someone")
    aad = getattr(sender, "aad_object_id", None)
    return Requester(user_id=user_id, name=name, aad_object_id=str(aad) if aad else None, tenant_id=tenant_id)


def card_activity(card: dict[str, Any], text: str | None = None) -> Activity:
    """A message carrying one Adaptive Card (and optional text before it)."""
    return MessageFactory.attachment(Attachment(content_type=CARD_CONTENT_TYPE, content=card), text=text)


def invoke_card(turn_context: TurnContext) -> dict[str, Any] | None:
    """The card this turn answers its ``adaptiveCard/action`` invoke with, if a dialog chose one."""
    card = turn_context.turn_state.get(_INVOKE_CARD_KEY)
    return card if isinstance(card, dict) else None


def set_invoke_card(turn_context: TurnContext, card: dict[str, Any]) -> None:
    """Answer this turn's ``adaptiveCard/action`` invoke with ``card`` (a later call replaces an earlier one)."""
    turn_context.turn_state[_INVOKE_CARD_KEY] = card


def invoke_message(turn_context: TurnContext) -> str | None:
    """The message this turn answers its ``adaptiveCard/action`` invoke with (the pressed card is left as it
    is), if a dialog chose one with :func:`present_message`."""
    message = turn_context.turn_state.get(_INVOKE_MESSAGE_KEY)
    return message if isinstance(message, str) else None


def answers_invoke(turn_context: TurnContext) -> bool:
    """Whether this turn is a Universal Actions invoke from a Switchboard card (answered with a card)."""
    inputs = turn_context.turn_state.get(_INPUTS_KEY)
    return (
        turn_context.activity.type == ActivityTypes.invoke
        and isinstance(inputs, TurnInputs)
        and inputs.submission is not None
        and inputs.submission.channel is SubmissionChannel.EXECUTE
    )


async def present_notice(turn_context: TurnContext, title: str, text: str, *, tone: Tone = Tone.DEFAULT) -> None:
    """Say ``text``: as a notice card in place of the pressed card for an invoke, else as a chat message."""
    if answers_invoke(turn_context) and _INVOKE_CARD_KEY not in turn_context.turn_state:
        turn_context.turn_state[_INVOKE_CARD_KEY] = notice_card(title, text, tone=tone)
        return
    await turn_context.send_activity(MessageFactory.text(text))


async def present_message(turn_context: TurnContext, text: str) -> None:
    """Say ``text`` without replacing the pressed card: the invoke's message answer for an invoke, else a chat
    message."""
    if answers_invoke(turn_context) and _INVOKE_MESSAGE_KEY not in turn_context.turn_state:
        turn_context.turn_state[_INVOKE_MESSAGE_KEY] = text
        return
    await turn_context.send_activity(MessageFactory.text(text))


async def present_card(turn_context: TurnContext, card: dict[str, Any], text: str | None = None) -> None:
    """Show ``card``: in place of the pressed card for an invoke (first card only), else as a message."""
    if answers_invoke(turn_context) and _INVOKE_CARD_KEY not in turn_context.turn_state:
        turn_context.turn_state[_INVOKE_CARD_KEY] = card
        if text:
            await turn_context.send_activity(MessageFactory.text(text))
        return
    await turn_context.send_activity(card_activity(card, text))


def replies_held(turn_context: TurnContext) -> bool:
    """Whether this turn's replies are held (the bot's outbox): a posted activity gets its id only once sent."""
    return turn_context.activity.delivery_mode == DeliveryModes.expect_replies


def after_replies_sent(turn_context: TurnContext, work: Callable[[], Awaitable[None]]) -> None:
    """Run ``work`` once this turn's held replies were sent (each held activity then carries the id the
    channel gave it); a turn that fails or is run again drops it with the replies."""
    turn_context.turn_state.setdefault(_AFTER_SENT_KEY, []).append(work)


async def replies_sent(turn_context: TurnContext) -> None:
    """The bot: the held replies were just sent; run what waited for them (:func:`after_replies_sent`).
    Never raises: a failure is logged."""
    for work in turn_context.turn_state.pop(_AFTER_SENT_KEY, []):
        try:
            await work()
        except Exception:
            _log.warning("work after the replies were sent failed", exc_info=True)
