"""Bot state scopes loaded in parallel and saved in one write, only when something changed.

botbuilder's ``BotStateSet`` loads its states one after the other (one storage round trip
each) and ``BotState`` saves a state that was never stored even when the turn did not
touch it (a fresh ``CachedBotState`` hashes ``None`` but holds ``{}``). For a turn that
changes nothing, :class:`ParallelBotStateSet` costs one round of parallel reads and no write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import (
    BotState,
    BotStateSet,
    ConversationState,
    PrivateConversationState,
    Storage,
    TurnContext,
    UserState,
)

__all__ = ["BotStates", "ParallelBotStateSet"]


class ParallelBotStateSet(BotStateSet):
    """A ``BotStateSet`` whose states share one storage: parallel loads, one write of the changed ones."""

    def __init__(self, storage: Storage, bot_states: Iterable[BotState]) -> None:
        super().__init__(list(bot_states))
        self._storage = storage

    async def load_all(self, turn_context: TurnContext, force: bool = False) -> None:
        """Load every state at once; an empty state counts as unchanged until the turn changes it."""
        await asyncio.gather(*(state.load(turn_context, force) for state in self.bot_states))
        for state in self.bot_states:
            cached = state.get_cached_state(turn_context)
            if cached is not None and not cached.state:
                cached.hash = cached.compute_hash(cached.state)

    async def save_all_changes(self, turn_context: TurnContext, force: bool = False) -> None:
        """Write the changed states in a single ``Storage.write``; mark them saved only if it succeeds."""
        changed: list[tuple[Any, str]] = []
        for state in self.bot_states:
            cached = state.get_cached_state(turn_context)
            if cached is not None and (force or cached.is_changed):
                changed.append((cached, state.get_storage_key(turn_context)))
        if not changed:
            return
        await self._storage.write({key: cached.state for cached, key in changed})
        for cached, _ in changed:
            cached.hash = cached.compute_hash(cached.state)


@dataclass(frozen=True)
class BotStates:
    """The state scopes of Switchboard over one storage, and the set that loads and saves them."""

    storage: Storage
    conversation: ConversationState
    user: UserState
    private_conversation: PrivateConversationState | None = None

    @classmethod
    def create(cls, storage: Storage, *, private_conversation: bool = False) -> BotStates:
        return cls(
            storage=storage,
            conversation=ConversationState(storage),
            user=UserState(storage),
            private_conversation=PrivateConversationState(storage) if private_conversation else None,
        )

    def state_set(self) -> ParallelBotStateSet:
        scopes: list[BotState] = [self.conversation, self.user]
        if self.private_conversation is not None:
            scopes.append(self.private_conversation)
        return ParallelBotStateSet(self.storage, scopes)
