"""The dialog stack's state property, read from the state the bot loaded for this turn.

botbuilder's ``BotState.create_property`` accessor reloads a state from storage whenever
that state is empty: for a user with no dialog running, every turn would cost an extra
storage read (besides the bot's one parallel read of all its states) and then a write of an
empty state. :class:`LoadedStateProperty` works on the state already loaded for the turn
and loads it only when nothing did, so a turn that starts and ends no dialog writes nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import BotState, StatePropertyAccessor, TurnContext

__all__ = ["LoadedStateProperty"]


class LoadedStateProperty(StatePropertyAccessor):
    """One named property of ``state`` for the current turn."""

    def __init__(self, state: BotState, name: str) -> None:
        self._state = state
        self._name = name

    async def _values(self, turn_context: TurnContext) -> dict[str, Any]:
        cached = self._state.get_cached_state(turn_context)
        if cached is None:
            await self._state.load(turn_context)
            cached = self._state.get_cached_state(turn_context)
        return cached.state  # type: ignore[no-any-return]

    async def get(self, turn_context: TurnContext, default_value_or_factory: Any = None) -> Any:
        values = await self._values(turn_context)
        if self._name not in values and default_value_or_factory is not None:
            default = default_value_or_factory
            values[self._name] = default() if callable(default) else copy.deepcopy(default)
        return values.get(self._name)

    async def set(self, turn_context: TurnContext, value: Any) -> None:
        (await self._values(turn_context))[self._name] = value

    async def delete(self, turn_context: TurnContext) -> None:
        (await self._values(turn_context)).pop(self._name, None)
