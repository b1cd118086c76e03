"""``TurnOutbox``: hold a turn's replies until its state is saved or it starts an effect.

A person's turn can lose a race: another delivery for the same person saved their dialog
state first, and this turn's save fails on the ETag. If the turn did nothing that must not
be repeated, the bot runs it again on the new state — and what the first run would have said
must never have been sent. So the outbox holds every outgoing activity (messages and the
invoke response) until :meth:`release`; :meth:`discard` drops them.

Once the turn is about to do something that must not be repeated — its first effect, handing a
request to execution (:mod:`dialogs.turn_effects`) — the bot's hook calls :meth:`release`: what is
held is sent and everything after it goes through at once, so "Working on it", the outcome and
anything said after it reach the person even if the turn fails later.
"""

from __future__ import annotations

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ActivityTypes, DeliveryModes

__all__ = ["TurnOutbox"]


class TurnOutbox:
    """Holds the outgoing activities of one turn context from construction until :meth:`release`.

    It uses botbuilder's own buffering: while the incoming activity's ``delivery_mode`` is
    ``expectReplies``, ``TurnContext.send_activities`` keeps activities in
    ``buffered_reply_activities`` (and the invoke response in the turn state) instead of sending
    them. The outbox sets that mode and restores the original one when it stops holding
    (:meth:`release` or :meth:`close`), so the adapter never sees it. An activity that already
    asked for ``expectReplies`` is not held.
    """

    def __init__(self, turn_context: TurnContext) -> None:
        self._turn_context = turn_context
        self._original_mode = turn_context.activity.delivery_mode
        self._holding = self._original_mode != DeliveryModes.expect_replies
        if self._holding:
            turn_context.activity.delivery_mode = DeliveryModes.expect_replies

    @property
    def holding(self) -> bool:
        """Whether replies are still held (not yet released or closed)."""
        return self._holding

    @property
    def held(self) -> int:
        """How many activities are held."""
        return len(self._turn_context.buffered_reply_activities) if self._holding else 0

    def _take(self) -> list[Activity]:
        context = self._turn_context
        held = list(context.buffered_reply_activities)
        context.buffered_reply_activities.clear()
        if any(activity.type == ActivityTypes.invoke_response for activity in held):
            context.turn_state.pop(BotAdapter._INVOKE_RESPONSE_KEY, None)
        return held

    def close(self) -> None:
        """Stop holding without sending (what is held is dropped). Idempotent."""
        if self._holding:
            self._take()
            self._holding = False
            self._turn_context.activity.delivery_mode = self._original_mode

    async def release(self) -> None:
        """Send what is held (in order) and stop holding; each sent activity gets its channel id."""
        if not self._holding:
            return
        held = self._take()
        self._holding = False
        self._turn_context.activity.delivery_mode = self._original_mode
        if held:
            # Already prepared by TurnContext.send_activities (copied, addressed, send handlers run):
            # hand them to the adapter as that method would have.
            responses = await self._turn_context.adapter.send_activities(self._turn_context, held)
            # Each sent activity gets the id the channel gave it (the dialogs keep a card's id, to
            # update it in place later); the invoke response has none.
            answered = list(responses or [])
            if len(answered) != len(held):  # an adapter that answers only some (botbuilder's TestAdapter)
                held = [activity for activity in held if activity.type != ActivityTypes.invoke_response]
            for activity, response in zip(held, answered, strict=False):
                if getattr(response, "id", None):
                    activity.id = response.id

    def discard(self) -> None:
        """Drop what is held; keep holding (a turn run again starts with an empty outbox)."""
        if self._holding:
            self._take()
