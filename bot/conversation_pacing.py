"""Teams' per-conversation limits, kept by one process: calls to a conversation one at a time, and paced.

Teams allows a bot 7 messages per second in one conversation, 8 per 2 s, 60 per 30 s and 1,800
per hour (card updates count), and answers ``412`` when two operations on one conversation
overlap. :class:`ConversationPacer` gives each conversation

- a **lock**: the calls of one process to one conversation run one at a time, in the order they
  asked (``asyncio.Lock`` is first come, first served), across all the tasks of the process;
- a **sliding-window rate limit** (:data:`NOTICE_WINDOWS`): before each call, it waits until one
  more call fits in every window.

A channel's threads (conversation ids ``…;messageid=…``) count as their channel: Teams counts
per conversation. Across processes (two worker instances) nothing here is shared; ordering there
comes from the operation's ETag'd state (only the writer that won a state change notifies), and
the windows are set below Teams' own so that two instances and the bot's in-turn replies still
fit, with the notifier's retries of ``429`` as the last line.

The clock and the sleep are injectable (tests pass a fake clock whose sleep advances it). This is
home-made on purpose: the asyncio limiters on PyPI (aiolimiter) keep one rate on the event loop's
clock, while Teams sets several windows at once.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

__all__ = ["NOTICE_WINDOWS", "ConversationPacer", "RateWindow", "conversation_key"]


@dataclass(frozen=True)
class RateWindow:
    """At most ``calls`` calls in any ``seconds`` seconds."""

    seconds: float
    calls: int

    def __post_init__(self) -> None:
        if self.seconds <= 0 or self.calls < 1:
            raise ValueError("a rate window needs seconds > 0 and calls >= 1")


NOTICE_WINDOWS: tuple[RateWindow, ...] = (
    RateWindow(1.0, 4),
    RateWindow(2.0, 6),
    RateWindow(30.0, 45),
    RateWindow(3600.0, 1200),
)
"""Per conversation, below Teams' 7/1 s, 8/2 s, 60/30 s and 1,800/h (in-turn replies share them)."""

MAX_IDLE_CONVERSATIONS = 1024


def conversation_key(conversation_id: str) -> str:
    """The conversation Teams counts a call against: a channel thread's id without ``;messageid=…``."""
    return conversation_id.split(";messageid=", 1)[0]


class _Lock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class ConversationPacer:
    """One-at-a-time and paced calls per conversation (see the module's docstring).

    :param windows: the rate windows each conversation keeps.
    :param clock: monotonic seconds (default :func:`time.monotonic`).
    :param sleep: awaits a number of seconds (default :func:`asyncio.sleep`).
    """

    def __init__(
        self,
        windows: tuple[RateWindow, ...] = NOTICE_WINDOWS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not windows:
            raise ValueError("at least one rate window is needed")
        self._windows = windows
        self._longest = max(window.seconds for window in windows)
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, _Lock] = {}
        self._calls: dict[str, list[float]] = {}  # per conversation: times of its calls, oldest first

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation's lock for the block; callers queue in the order they arrived."""
        key = conversation_key(conversation_id)
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = _Lock()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0 and self._locks.get(key) is entry:
                del self._locks[key]

    async def pace(self, conversation_id: str) -> float:
        """Wait until one more call to the conversation fits every window, count it, return the seconds waited."""
        key = conversation_key(conversation_id)
        waited = 0.0
        while True:
            now = self._clock()
            calls = self._calls.setdefault(key, [])
            del calls[: bisect.bisect_right(calls, now - self._longest)]
            wait = 0.0
            for window in self._windows:
                in_window = len(calls) - bisect.bisect_right(calls, now - window.seconds)
                if in_window >= window.calls:
                    # The window frees up when the oldest of its last ``calls`` calls leaves it.
                    wait = max(wait, calls[len(calls) - window.calls] + window.seconds - now)
            if wait <= 0:
                calls.append(now)
                self._forget_idle(now)
                return waited
            await self._sleep(wait)
            waited += wait

    def _forget_idle(self, now: float) -> None:
        if len(self._calls) <= MAX_IDLE_CONVERSATIONS:
            return
        horizon = now - self._longest
        for key in [key for key, calls in self._calls.items() if not calls or calls[-1] <= horizon]:
            del self._calls[key]
