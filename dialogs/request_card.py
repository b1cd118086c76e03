"""The request's one living card: posted once, then changed in place through its whole life.

A request (one run of the action dialog) has **one card**: its form, then its preview, then
"confirmed", then the result — or cancelled, replaced by a newer request, stopped, or broken by a
failed turn. Every dialog shows it through :func:`show_request_card`, which picks the one way Teams
allows in this turn:

- an ``adaptiveCard/action`` invoke pressed on this card: the invoke response (Universal Actions
  replace the pressed card with it);
- the card was posted before (its activity id is known): ``update_activity`` on that id;
- otherwise: the card is posted, and its activity id is kept.

What is kept between turns is a small plain-data *slot* in the action dialog's run-step values
(:data:`CARD_KEY`): the form id, the action, the requester's name, the facts and preview shown so
far, the state shown last and the card's ``activity_id``. A person's replies are held until their
state is saved (:class:`bot.outbox.TurnOutbox`), so a card posted in a turn gets its id only when
the held replies go out, and updates made while replies are held wait for the same moment
(a turn that is run again, or fails, has then changed no card). The bot calls
:func:`send_waiting_updates` just before they go out and :func:`keep_card_ids` just after (the
state is saved once more when that happens after the turn's save), and
:func:`close_after_failure` when the turn fails: a card the person last saw open (buttons, or
"working on it") is updated to say that something went wrong and loses its buttons.

Everything of the current turn lives in ``TurnContext.turn_state``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import DialogContext, DialogInstance
from botbuilder.schema import Activity, DeliveryModes

from actions.registry import Registry
from cards import REQUEST_CARD_LOOKS, Json, RequestCardState, request_card
from dialogs import texts
from dialogs.turn import answers_invoke, card_activity, set_invoke_card, turn_inputs
from dialogs.turn_effects import effect_started, started_effects
from dialogs.values import preview_from_dict

__all__ = [
    "CARD_KEY",
    "begin_card_turn",
    "card_activity_id",
    "close_after_failure",
    "close_request_card",
    "current_card",
    "find_card",
    "keep_card_ids",
    "new_card",
    "send_waiting_updates",
    "show_request_card",
    "track_card",
]

_log = logging.getLogger("switchboard.dialogs")

CARD_KEY = "request_card"
"""Where the action dialog keeps its request's card slot (in its run step's values)."""

_TURN_KEY = "switchboard.dialogs.request_cards"
_IN_PLACE_ONLY = frozenset({RequestCardState.CONFIRMED})
"""States shown only by changing the card in place: where the card cannot be changed (a channel that gave
no activity id), posting them would only add a card before the result."""


@dataclass
class _Pending:
    slot: dict[str, Any]
    activity: Activity  # a held post (its id comes when it is sent) or an update waiting for release
    open: bool


@dataclass
class _TurnCards:
    registry: Registry
    slot: dict[str, Any] | None = None  # the request card this turn works on
    delivered_open: bool = False  # what the person last saw of it has buttons or says "working on it"
    posts: list[_Pending] = field(default_factory=list)
    updates: list[_Pending] = field(default_factory=list)


def new_card(form_id: str, action: str, owner_name: str) -> dict[str, Any]:
    """A request's card slot before its card was posted (plain data, kept in dialog state)."""
    return {"form": form_id, "action": action, "owner_name": owner_name, "activity_id": None, "state": None,
            "facts": [], "preview": None}


def _is_open(slot: dict[str, Any]) -> bool:
    state = slot.get("state")
    return state is not None and REQUEST_CARD_LOOKS[RequestCardState(state)].open


def _turn(context: TurnContext) -> _TurnCards | None:
    found = context.turn_state.get(_TURN_KEY)
    return found if isinstance(found, _TurnCards) else None


def begin_card_turn(context: TurnContext, registry: Registry) -> None:
    """Start this turn's bookkeeping of request cards (``dialogs.Conversations`` calls it first)."""
    context.turn_state[_TURN_KEY] = _TurnCards(registry)


def track_card(context: TurnContext, slot: dict[str, Any]) -> None:
    """Make ``slot`` the request card this turn works on (what a failure of the turn updates)."""
    turn = _turn(context)
    if turn is not None and turn.slot is not slot:
        turn.slot = slot
        turn.delivered_open = _is_open(slot) and bool(slot.get("activity_id"))


def current_card(context: TurnContext) -> dict[str, Any] | None:
    """The slot of the request card this turn works on, if any."""
    turn = _turn(context)
    return turn.slot if turn is not None else None


def _instances(stack: list[DialogInstance]) -> list[DialogInstance]:
    found: list[DialogInstance] = []
    for instance in stack:
        found.append(instance)
        inner = instance.state.get("dialogs") if isinstance(instance.state, dict) else None
        inner_stack = getattr(inner, "dialog_stack", None)
        if inner_stack:
            found.extend(_instances(inner_stack))
    return found


def find_card(dialog_context: DialogContext) -> dict[str, Any] | None:
    """The card slot of the innermost request on this dialog stack (component stacks included), if any."""
    for instance in reversed(_instances(list(dialog_context.stack))):
        values = instance.state.get("values") if isinstance(instance.state, dict) else None
        slot = values.get(CARD_KEY) if isinstance(values, dict) else None
        if isinstance(slot, dict):
            return slot
    return None


def _from_this_card(context: TurnContext, slot: dict[str, Any]) -> bool:
    submission = turn_inputs(context).submission
    return submission is not None and submission.ref.form_id == slot["form"]


def card_activity_id(context: TurnContext, slot: dict[str, Any]) -> str | None:
    """The activity id of the request's card: the one kept, else the card this turn's button was pressed on."""
    if slot.get("activity_id"):
        return str(slot["activity_id"])
    reply_to = context.activity.reply_to_id
    if reply_to and _from_this_card(context, slot):
        slot["activity_id"] = str(reply_to)
        return str(reply_to)
    return None


def _held(context: TurnContext) -> bool:
    return context.activity.delivery_mode == DeliveryModes.expect_replies


async def _update_now(context: TurnContext, activity: Activity) -> None:
    """Update the card; if the channel refuses, post it again instead (the person must see the state).
    Raises what the channel raises when it cannot be posted either."""
    try:
        await context.update_activity(activity)
    except Exception:
        _log.warning("could not update a request card in place; posting it again", exc_info=True)
        repost = card_activity(activity.attachments[0].content)
        await context.send_activity(repost)


async def show_request_card(
    context: TurnContext,
    slot: dict[str, Any],
    state: RequestCardState,
    card: Json,
    *,
    text: str | None = None,
    note: str | None = None,
) -> None:
    """Show the request's card in ``state`` — replacing it in place whenever it exists — then ``text``.

    ``text`` is at most one short message; when the card is posted it travels in the same message.
    ``note`` is a short message sent only when the card was changed by an update (above the person's
    last message, where they may not notice it); a card posted or answering a press needs none.
    """
    turn = _turn(context)
    if turn is not None:
        track_card(context, slot)
    slot["state"] = state.value
    is_open = REQUEST_CARD_LOOKS[state].open
    if answers_invoke(context) and _from_this_card(context, slot):
        set_invoke_card(context, card)  # goes out with the turn's answer; until then the pressed card stands
        card_activity_id(context, slot)
    elif (activity_id := card_activity_id(context, slot)) is not None:
        update = card_activity(card)
        update.id = activity_id
        if _held(context) and turn is not None:
            turn.updates.append(_Pending(slot, update, is_open))
            text = text or note
        else:
            await _update_now(context, update)
            if turn is not None and turn.slot is slot:
                turn.delivered_open = is_open
        text = text or note
    elif state in _IN_PLACE_ONLY:
        pass  # the card's id is unknown: the next state is posted instead
    elif turn is not None and (held := next((p for p in turn.posts if p.slot is slot), None)) is not None:
        held.activity.attachments = card_activity(card).attachments  # posted in this turn, not sent yet
        held.open = is_open
    else:
        response = await context.send_activity(card_activity(card, text))
        text = None
        if response is not None and response.id:
            slot["activity_id"] = response.id
            if turn is not None and turn.slot is slot:
                turn.delivered_open = is_open
        elif turn is not None and _held(context) and context.buffered_reply_activities:
            turn.posts.append(_Pending(slot, context.buffered_reply_activities[-1], is_open))
    if text:
        await context.send_activity(MessageFactory.text(text))


def _closed_card(
    registry: Registry, slot: dict[str, Any], state: RequestCardState, by: str, message: str
) -> Json | None:
    action = registry.get(str(slot.get("action")))
    if action is None:
        return None
    preview = preview_from_dict(slot["preview"]) if isinstance(slot.get("preview"), dict) else None
    return request_card(action, state, requester_name=str(slot.get("owner_name") or "someone"),
                        args=[(title, label) for title, label in slot.get("facts") or []], preview=preview,
                        by=by, message=message)


async def close_request_card(
    context: TurnContext, slot: dict[str, Any] | None, state: RequestCardState, *, by: str = "", message: str = ""
) -> bool:
    """Close the request's card, if the person has one open: it shows ``state`` and loses its buttons.

    Returns False when there was no open card to close (nothing was posted yet, or it is final).
    """
    turn = _turn(context)
    if slot is None or turn is None or not _is_open(slot):
        return False
    if card_activity_id(context, slot) is None and not (answers_invoke(context) and _from_this_card(context, slot)):
        return False
    card = _closed_card(turn.registry, slot, state, by, message)
    if card is None:
        return False
    await show_request_card(context, slot, state, card)
    return True


async def send_waiting_updates(context: TurnContext) -> None:
    """The turn's held replies are about to go out: first the cards of earlier messages change in place
    (what a `cancel` or a newer request closes, "confirmed" before the request is sent). Raises what
    the channel raises when an update can be neither made nor posted (as a send of the replies would)."""
    turn = _turn(context)
    if turn is None:
        return
    updates, turn.updates = turn.updates, []
    for pending in updates:
        await _update_now(context, pending.activity)
        if turn.slot is pending.slot:
            turn.delivered_open = pending.open


def keep_card_ids(context: TurnContext) -> bool:
    """The turn's held replies were just sent (each with the id the channel gave it): keep the ids of the
    request cards among them. True when one was kept: the sender's state changed (save it again if it
    was saved already)."""
    turn = _turn(context)
    if turn is None:
        return False
    kept = False
    posts, turn.posts = turn.posts, []
    for pending in posts:
        if pending.activity.id:
            pending.slot["activity_id"] = pending.activity.id
            kept = True
            if turn.slot is pending.slot:
                turn.delivered_open = pending.open
    return kept


async def close_after_failure(context: TurnContext) -> None:
    """The turn failed: drop what waited, and if the person last saw the request's card open
    (buttons, or "working on it"), update it to say something went wrong — nothing was changed, or
    what to check when the request had been handed over — without buttons. Never raises."""
    turn = _turn(context)
    if turn is None:
        return
    turn.posts.clear()
    turn.updates.clear()
    slot = turn.slot
    if slot is None or not turn.delivered_open:
        return
    try:
        activity_id = slot.get("activity_id") or (
            context.activity.reply_to_id if _from_this_card(context, slot) else None)
        if not activity_id:
            return
        started = [effect.target for effect in started_effects(context) if effect.request_id == slot["form"]]
        message = texts.broken_after_start(started[0]) if started and effect_started(context) else (
            texts.broken_nothing_changed())
        card = _closed_card(turn.registry, slot, RequestCardState.BROKEN, "", message)
        if card is None:
            return
        update = card_activity(card)
        update.id = str(activity_id)
        await context.update_activity(update)
        turn.delivered_open = False
    except Exception:
        _log.warning("could not mark a request card as broken after a failed turn", exc_info=True)
