"""Bot state scopes loaded in parallel and saved in one write, only when something changed.

botbuilder's ``BotStateSet`` loads its states one after the other (one storage round trip
each) and ``BotState`` saves a state that was never stored even when the turn did not
touch it (a fresh ``CachedBotState`` hashes ``None`` but holds ``{}``).
:class:`ParallelBotStateSet` reads every state's key in one ``Storage.read`` (the table
storage does those point reads in parallel) and writes the changed ones in one
``Storage.write``: a turn costs at most one read and one write, and a turn that changes
nothing costs no write.
"""

from __future__ import annotations

import pickle
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
from botbuilder.core.bot_state import CachedBotState

__all__ = ["BotStates", "ParallelBotStateSet"]


class _CachedState(CachedBotState):
    """``CachedBotState`` whose change check pickles the state instead of flattening it with jsonpickle.

    botbuilder hashes the whole state with ``jsonpickle`` when it is loaded, when the turn asks
    whether it changed and after it is saved: for a dialog stack (prompt options, activities,
    choices) that is about two thirds of a prompt turn's CPU. ``pickle`` (C) gives the same
    answer for the same data, much faster; anything it cannot pickle falls back to jsonpickle.
    The pickled bytes are only compared, never loaded.
    """

    def compute_hash(self, obj: object) -> Any:
        try:
            return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return super().compute_hash(obj)


class ParallelBotStateSet(BotStateSet):
    """A ``BotStateSet`` whose states share one storage: parallel loads, one write of the changed ones."""

    def __init__(self, storage: Storage, bot_states: Iterable[BotState]) -> None:
        super().__init__(list(bot_states))
        self._storage = storage

    async def load_all(self, turn_context: TurnContext, force: bool = False) -> None:
        """Load every state with one ``Storage.read``; an empty state counts as unchanged until changed."""
        to_load = [
            state
            for state in self.bot_states
            if force or not (cached := state.get_cached_state(turn_context)) or not cached.state
        ]
        if to_load:
            keys = [state.get_storage_key(turn_context) for state in to_load]
            items = await self._storage.read(keys)
            for state, key in zip(to_load, keys, strict=True):
                # What BotState.load does with the value it reads, for all states from one read.
                turn_context.turn_state[state._context_service_key] = _CachedState(items.get(key))
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

    def dialog_state_set(self) -> ParallelBotStateSet | None:
        """Only the private conversation state (the sender's dialogs), for message and invoke turns:
        one point read instead of three; None when there is no private conversation state."""
        if self.private_conversation is None:
            return None
        return ParallelBotStateSet(self.storage, [self.private_conversation])
