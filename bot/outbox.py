"""``TurnOutbox``: hold a turn's replies until its state is saved or it starts an effect.

A person's turn can lose a race: another delivery for the same person saved their dialog
state first, and this turn's save fails on the ETag. If the turn did nothing that must not
be repeated, the bot runs it again on the new state — and what the first run would have said
must never have been sent. So the outbox holds every outgoing activity (messages and the
invoke response) until :meth:`release`; :meth:`discard` drops them.

Once the turn is about to do something that must not be repeated (claiming a confirmation's
decision, then running the request), :meth:`effect_starting` sends what is held and lets
everything after it through at once — progress messages of a long operation are never held
back, and the turn is not run again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ResourceResponse

__all__ = ["TurnOutbox"]


class TurnOutbox:
    """Holds the outgoing activities of one turn context (attached on construction)."""

    def __init__(self, turn_context: TurnContext) -> None:
        self._turn_context = turn_context
        self._held: list[Activity] = []
        self._holding = True
        self.effect_started = False
        turn_context.on_send_activities(self._on_send)

    @property
    def held(self) -> int:
        """How many activities are held."""
        return len(self._held)

    async def _on_send(
        self,
        turn_context: TurnContext,
        activities: list[Activity],
        next_send: Callable[[], Awaitable[list[ResourceResponse] | None]],
    ) -> list[ResourceResponse] | None:
        if self._holding:
            # botbuilder sends whatever is left in this list after the handlers ran.
            self._held.extend(activities)
            activities.clear()
        return await next_send()

    async def release(self) -> None:
        """Send what is held (in order) and stop holding."""
        self._holding = False
        held, self._held = self._held, []
        if held:
            await self._turn_context.send_activities(held)

    def discard(self) -> None:
        """Drop what is held; keep holding (a turn run again starts with an empty outbox)."""
        self._held.clear()

    async def effect_starting(self) -> None:
        """The turn is about to do something that must not be repeated: send, stop holding."""
        self.effect_started = True
        await self.release()
