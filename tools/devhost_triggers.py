"""Queue and timer triggers for the dev host: call function_app's functions as the Functions host would.

The messages and timer requests are the Python worker's own concrete classes
(``azure.functions.queue.QueueMessage``, ``azure.functions.timer.TimerRequest``), which is what
functions annotated ``func.QueueMessage`` / ``func.TimerRequest`` receive in Azure.

- :class:`QueueWorker` polls an Azure Storage queue (Azurite locally) for one queue-triggered
  function: base64 message encoding (the host's default), a lease while the function runs,
  retry after ``visibilityTimeout`` on failure, and after ``maxDequeueCount`` failed attempts
  (default 5) the message moves to ``<queue>-poison``. Settings come from ``host.json``'s
  ``extensions.queues`` when present.
- :class:`TimerWorker` runs one timer-triggered function on its NCRONTAB schedule
  (:mod:`tools.ncrontab`), once at start when ``run_on_startup`` is set, never overlapping itself.

Both only translate: they build ``func.QueueMessage`` / ``func.TimerRequest`` and call the
function's own code. A queue trigger's ``connection`` (default ``AzureWebJobsStorage``) is resolved
as the Functions host does (:func:`resolve_queue_connection`): the app setting of that name (or
``AzureWebJobs<name>``) holds a connection string; else the identity-based form
``<name>__queueServiceUri`` is reached with ``DefaultAzureCredential`` (the developer's identity
locally; with ``<name>__credential=managedidentity``, the managed identity ``<name>__clientId``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import inspect
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.functions.decorators.function_app import Function
from azure.functions.queue import QueueMessage  # the worker's concrete class (func.QueueMessage lacks metadata)
from azure.functions.timer import TimerRequest  # the worker's concrete class (func.TimerRequest is abstract)

from tools.ncrontab import parse_schedule

__all__ = [
    "QueueConnection", "QueueOptions", "QueueWorker", "TimerWorker", "call_function", "resolve_app_setting",
    "resolve_queue_connection",
]

_log = logging.getLogger("switchboard.devhost")

_APP_SETTING = re.compile(r"%([^%]+)%")
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


async def call_function(function: Callable[..., Any], arguments: Mapping[str, Any]) -> Any:
    """Call a Functions user function: coroutines on the loop, plain functions in a worker thread."""
    if inspect.iscoroutinefunction(function):
        return await function(**arguments)
    result = await asyncio.to_thread(function, **arguments)
    return await result if inspect.isawaitable(result) else result


def resolve_app_setting(value: str, env: Mapping[str, str]) -> str:
    """Replace ``%Name%`` binding expressions with app settings, as the Functions host does."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ValueError(f"binding expression %{name}% names an app setting that is not set")
        return env[name]

    return _APP_SETTING.sub(lookup, value)


def _timespan_seconds(value: object, default: float) -> float:
    if not isinstance(value, str):
        return default
    match = _TIMESPAN.match(value.strip())
    if not match:
        return default
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


@dataclass(frozen=True)
class QueueOptions:
    """The queue trigger settings of ``host.json`` (``extensions.queues``) the dev host honours."""

    batch_size: int = 16
    max_dequeue_count: int = 5
    retry_visibility_seconds: float = 0.0  # host.json visibilityTimeout: delay before a failed message retries
    lease_seconds: int = 60  # how long a message stays invisible while its function runs
    max_polling_seconds: float = 2.0  # the dev host polls more eagerly than the host's default minute
    base64: bool = True

    @classmethod
    def from_host_json(cls, queues: Mapping[str, Any]) -> QueueOptions:
        return cls(
            batch_size=max(1, min(32, int(queues.get("batchSize", cls.batch_size)))),
            max_dequeue_count=max(1, int(queues.get("maxDequeueCount", cls.max_dequeue_count))),
            retry_visibility_seconds=_timespan_seconds(queues.get("visibilityTimeout"), 0.0),
            max_polling_seconds=min(_timespan_seconds(queues.get("maxPollingInterval"), 2.0), 2.0) or 2.0,
            base64=str(queues.get("messageEncoding", "base64")).lower() != "none",
        )


@dataclass(frozen=True)
class QueueConnection:
    """Where a queue trigger's messages are: a connection string, or a queue service URI reached
    with an identity (``client_id``: a user-assigned managed identity, else the default credential)."""

    connection_string: str | None = field(default=None, repr=False)
    queue_service_uri: str | None = None
    client_id: str | None = None

    def clients(self, queue_name: str) -> tuple[Any, Any, Any]:
        """Clients of ``queue_name`` and its poison queue, and the credential to close (or None)."""
        from azure.storage.queue.aio import QueueClient

        poison = f"{queue_name}-poison"
        if self.connection_string:
            return (QueueClient.from_connection_string(self.connection_string, queue_name),
                    QueueClient.from_connection_string(self.connection_string, poison), None)
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential(managed_identity_client_id=self.client_id)
        return (QueueClient(str(self.queue_service_uri), queue_name, credential=credential),
                QueueClient(str(self.queue_service_uri), poison, credential=credential), credential)


def resolve_queue_connection(connection: str | None, env: Mapping[str, str]) -> QueueConnection:
    """The queue trigger connection ``connection`` (default ``AzureWebJobsStorage``) as the Functions host
    reads it from the app settings; ValueError naming what to set when neither form is there."""
    name = connection or "AzureWebJobsStorage"
    for candidate in (name, f"AzureWebJobs{name}"):
        value = env.get(candidate, "").strip()
        if value:
            return QueueConnection(connection_string=value)
    uri = env.get(f"{name}__queueServiceUri", "").strip()
    if uri:
        managed = env.get(f"{name}__credential", "").strip().lower() == "managedidentity"
        client_id = env.get(f"{name}__clientId", "").strip() if managed else ""
        return QueueConnection(queue_service_uri=uri, client_id=client_id or None)
    raise ValueError(
        f"queue trigger connection {name!r}: set the app setting {name} to a storage connection string "
        f"(e.g. UseDevelopmentStorage=true), or {name}__queueServiceUri for identity-based access"
    )


class QueueWorker:
    """Polls one queue and runs one queue-triggered function per message."""

    def __init__(
        self,
        function: Function,
        env: Mapping[str, str],
        options: QueueOptions,
        *,
        min_polling_seconds: float = 0.05,
    ) -> None:
        trigger = function.get_trigger()
        self.name: str = function.get_function_name()
        self._user_function = function.get_user_function()
        self._binding: str = trigger.name
        self.queue_name = resolve_app_setting(trigger.queue_name, env).lower()
        self.connection = resolve_queue_connection(getattr(trigger, "connection", None), env)
        self._options = options
        self._min_polling = min_polling_seconds
        self._queue: Any = None
        self._poison: Any = None
        self._credential: Any = None
        self._queue_exists = False

    async def run(self) -> None:
        """Poll until cancelled."""
        self._queue, self._poison, self._credential = self.connection.clients(self.queue_name)
        try:
            delay = self._min_polling
            while True:
                handled = await self._poll_once()
                delay = self._min_polling if handled else min(delay * 2, self._options.max_polling_seconds)
                await asyncio.sleep(0 if handled else delay)
        finally:
            await self._queue.close()
            await self._poison.close()
            if self._credential is not None:
                await self._credential.close()

    async def _poll_once(self) -> int:
        from azure.core.exceptions import ResourceExistsError

        try:
            if not self._queue_exists:
                with contextlib.suppress(ResourceExistsError):
                    await self._queue.create_queue()
                self._queue_exists = True
            messages = [
                message
                async for message in self._queue.receive_messages(
                    messages_per_page=self._options.batch_size,
                    max_messages=self._options.batch_size,
                    visibility_timeout=self._options.lease_seconds,
                )
            ]
        except Exception as error:  # storage down: keep polling, say so once per attempt
            _log.warning("queue %s: receiving failed (%s)", self.queue_name, type(error).__name__)
            return 0
        results = await asyncio.gather(*(self._handle(message) for message in messages), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):  # settling the message failed (storage): it will reappear
                _log.warning("queue %s: settling a message failed (%s)", self.queue_name, type(result).__name__)
        return len(messages)

    async def _handle(self, message: Any) -> None:
        try:
            content = message.content or ""
            body = base64.b64decode(content, validate=True) if self._options.base64 else content.encode("utf-8")
        except (binascii.Error, ValueError, TypeError):
            _log.error("queue %s: message %s is not base64: moved to the poison queue", self.queue_name, message.id)
            await self._to_poison(message)
            return
        queue_message = QueueMessage(
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            expiration_time=message.expires_on,
            insertion_time=message.inserted_on,
            time_next_visible=message.next_visible_on,
            pop_receipt=message.pop_receipt,
        )
        try:
            await call_function(self._user_function, {self._binding: queue_message})
        except Exception:
            attempts = message.dequeue_count or 1
            _log.exception("function %s failed on message %s (attempt %d)", self.name, message.id, attempts)
            if attempts >= self._options.max_dequeue_count:
                _log.error("queue %s: message %s moved to %s-poison", self.queue_name, message.id, self.queue_name)
                await self._to_poison(message)
            else:
                await self._queue.update_message(
                    message, visibility_timeout=int(self._options.retry_visibility_seconds)
                )
            return
        await self._queue.delete_message(message)

    async def _to_poison(self, message: Any) -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            await self._poison.create_queue()
        await self._poison.send_message(message.content)
        await self._queue.delete_message(message)


class TimerWorker:
    """Runs one timer-triggered function on its schedule until cancelled."""

    def __init__(
        self,
        function: Function,
        env: Mapping[str, str],
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        trigger = function.get_trigger()
        self.name: str = function.get_function_name()
        self._user_function = function.get_user_function()
        self._binding: str = trigger.name
        self.schedule_text = resolve_app_setting(trigger.schedule, env)
        self.schedule = parse_schedule(self.schedule_text)
        self._run_on_startup = bool(getattr(trigger, "run_on_startup", False))
        self._clock = clock
        self.runs = 0

    async def run(self) -> None:
        last: dt.datetime | None = None
        if self._run_on_startup:
            last = await self._fire(self._clock(), last, past_due=False)
        due = self.schedule.next_after(self._clock())
        while True:
            await asyncio.sleep(max(0.0, (due - self._clock()).total_seconds()))
            now = self._clock()
            last = await self._fire(due, last, past_due=(now - due).total_seconds() > 1.0)
            due = self.schedule.next_after(max(now, due))

    async def _fire(self, scheduled: dt.datetime, last: dt.datetime | None, *, past_due: bool) -> dt.datetime:
        upcoming = self.schedule.next_after(scheduled)
        request = TimerRequest(
            past_due=past_due,
            schedule_status={
                "Last": (last or dt.datetime.min.replace(tzinfo=dt.UTC)).isoformat(),
                "Next": upcoming.isoformat(),
                "LastUpdated": scheduled.isoformat(),
            },
            schedule={"AdjustForDST": True},
        )
        self.runs += 1
        try:
            await call_function(self._user_function, {self._binding: request})
        except Exception:
            _log.exception("timer function %s failed", self.name)
        return scheduled
