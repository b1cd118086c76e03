"""What the operations tests share: a recording notifier (the port's true external boundary), a
controllable clock, and a queue driver that delivers the real queue's messages to the worker the
way the Functions host does (delete on success; on failure the message comes back, and after
``max_dequeue`` attempts it moves to the poison queue)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from requesting import Notice, NoticeReceipt, NoticeStatus

__all__ = ["Clock", "QueueDriver", "RecordingNotifier", "SentNotice", "empty_operation_queues"]


class Clock:
    """A UTC clock that moves only when told (``advance``), or follows real time from an offset."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class SentNotice:
    """One call of the notifier: ``kind`` send / update / send_to_user, where, and the notice."""

    kind: str
    where: str  # the conversation id, or the user key
    activity_id: str | None
    notice: Notice


@dataclass
class RecordingNotifier:
    """The :class:`requesting.Notifier` port, recording every call; ``statuses`` scripts failures by kind.

    With ``log_path`` each call is also appended to that file as a JSON line (for worker processes).
    """

    sent: list[SentNotice] = field(default_factory=list)
    statuses: dict[str, NoticeStatus] = field(default_factory=dict)
    log_path: Path | None = None

    def _record(self, kind: str, where: str, activity_id: str | None, notice: Notice) -> NoticeReceipt:
        self.sent.append(SentNotice(kind, where, activity_id, notice))
        if self.log_path is not None:
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(json.dumps({"kind": kind, "where": where, "activity_id": activity_id,
                                      "text": notice.text, "at": time.time()}) + "\n")
        status = self.statuses.get(kind, NoticeStatus.DELIVERED)
        return NoticeReceipt(status, activity_id=f"sent-{len(self.sent)}" if kind != "update" else activity_id,
                             reason=None if status is NoticeStatus.DELIVERED else "scripted")

    async def send(self, conversation: Mapping[str, Any], notice: Notice) -> NoticeReceipt:
        return self._record("send", str(dict(conversation.get("conversation") or {}).get("id")), None, notice)

    async def update(self, conversation: Mapping[str, Any], activity_id: str, notice: Notice) -> NoticeReceipt:
        return self._record("update", str(dict(conversation.get("conversation") or {}).get("id")), activity_id,
                            notice)

    async def send_to_user(self, user_key: str, notice: Notice) -> NoticeReceipt:
        return self._record("send_to_user", user_key, None, notice)

    def texts(self, kind: str = "send") -> list[str]:
        return [n.notice.text or "" for n in self.sent if n.kind == kind]


class QueueDriver:
    """Delivers a queue's messages to ``handle`` like the Functions host (see the module docstring).

    ``visibility`` is how long a message stays invisible after a failed attempt (host.json's
    ``visibilityTimeout``; 0 in tests: at once).
    """

    def __init__(
        self,
        connection_string: str,
        queue_name: str,
        handle: Callable[[bytes], Awaitable[None]],
        *,
        poisoned: Callable[[bytes], Awaitable[None]] | None = None,
        max_dequeue: int = 5,
        visibility: int = 0,
        batch: int = 16,
    ) -> None:
        from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy
        from azure.storage.queue.aio import QueueClient

        policies = {"message_encode_policy": TextBase64EncodePolicy(),
                    "message_decode_policy": TextBase64DecodePolicy()}
        self.queue = QueueClient.from_connection_string(connection_string, queue_name, **policies)
        self.poison = QueueClient.from_connection_string(connection_string, f"{queue_name}-poison", **policies)
        self._handle = handle
        self._poisoned = poisoned
        self._max_dequeue = max_dequeue
        self._visibility = visibility
        self._batch = batch
        self.handled = 0
        self.failures = 0
        self.poisoned = 0
        self.queue_calls = 0  # receives, deletes, updates (the benchmark's queue costs)
        self.queue_seconds = 0.0

    async def _ensure(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        for client in (self.queue, self.poison):
            with contextlib.suppress(ResourceExistsError):
                await client.create_queue()

    async def drain_once(self) -> int:
        """Receive one batch of visible messages (and poison messages) and process them; how many."""
        await self._ensure()
        started = time.perf_counter()
        messages = [m async for m in self.queue.receive_messages(max_messages=self._batch, visibility_timeout=60)]
        self._count(started)
        await asyncio.gather(*(self._one(m) for m in messages))
        poisoned = [m async for m in self.poison.receive_messages(max_messages=self._batch, visibility_timeout=60)]
        for message in poisoned:
            if self._poisoned is not None:
                await self._poisoned(message.content.encode("utf-8"))
            await self.poison.delete_message(message)
        return len(messages) + len(poisoned)

    async def _one(self, message: Any) -> None:
        try:
            await self._handle(message.content.encode("utf-8"))
        except Exception:
            self.failures += 1
            if (message.dequeue_count or 1) >= self._max_dequeue:
                await self.poison.send_message(message.content)
                await self.queue.delete_message(message)
                self.poisoned += 1
            else:
                await self.queue.update_message(message, visibility_timeout=self._visibility)
            return
        self.handled += 1
        started = time.perf_counter()
        await self.queue.delete_message(message)
        self._count(started)

    def _count(self, started: float) -> None:
        self.queue_calls += 1
        self.queue_seconds += time.perf_counter() - started

    async def run_until(self, done: Callable[[], Awaitable[bool]], *, bound: float = 120.0, idle: float = 0.05) -> None:
        """Drain until ``done()`` is true; TimeoutError after ``bound`` seconds (a hang guard, not a check)."""
        async with asyncio.timeout(bound):
            while not await done():
                if not await self.drain_once():
                    await asyncio.sleep(idle)

    async def close(self) -> None:
        await self.queue.close()
        await self.poison.close()


def empty_operation_queues(connection_string: str) -> None:
    """Empty the operations queue and its poison queue of the Azurite behind ``connection_string``.

    The queue names are fixed (``app.runtime.OPERATIONS_QUEUE``) and Azurite is shared by the
    session, so a message another test queued and never ran would otherwise be taken by the next
    test's worker: it runs that test's operation on the shared sandbox, in this test's window.
    """
    from azure.core.exceptions import ResourceNotFoundError
    from azure.storage.queue import QueueClient

    from app.runtime import OPERATIONS_POISON_QUEUE, OPERATIONS_QUEUE

    for name in (OPERATIONS_QUEUE, OPERATIONS_POISON_QUEUE):
        with QueueClient.from_connection_string(connection_string, name) as queue, \
                contextlib.suppress(ResourceNotFoundError):
            queue.clear_messages()
