"""``OperationQueue``: the Azure Storage queue that drives the operations worker.

Messages are base64-encoded text (``TextBase64EncodePolicy``), the encoding the Functions host's
queue trigger expects by default (``host.json``: ``messageEncoding: base64``). A message can be
sent with a visibility delay: that is how the worker schedules its next status check instead of
sleeping in a function. With a connection string (Azurite locally) or the account's queue
endpoint and ``DefaultAzureCredential`` (managed identity in Azure). The SDK is imported on first
use.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

from storage.errors import translated

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential

__all__ = ["MAX_VISIBILITY_SECONDS", "OperationQueue"]

MAX_VISIBILITY_SECONDS = 7 * 24 * 3600
"""Azure Storage queues accept a visibility delay of at most seven days."""


class OperationQueue:
    """One queue (created on first use), sending text messages with an optional delay.

    :param queue_name: e.g. ``switchboard-operations``.
    :param connection_string: a storage connection string, or
    :param account_url: the queue endpoint (``https://<account>.queue.core.windows.net``) with
        ``credential``.
    """

    def __init__(
        self,
        queue_name: str,
        *,
        connection_string: str | None = None,
        account_url: str | None = None,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        if bool(connection_string) == bool(account_url):
            raise ValueError("OperationQueue needs either a connection string or an account url")
        self.queue_name = queue_name
        self._connection_string = connection_string
        self._account_url = account_url
        self._credential = credential
        self._client: Any = None
        self._created: asyncio.Future[None] | None = None
        self.sent = 0  # messages sent by this client, and the time it took (the benchmark's queue costs)
        self.send_seconds = 0.0

    def _queue(self) -> Any:
        if self._client is None:
            from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy
            from azure.storage.queue.aio import QueueClient

            policies = {
                "message_encode_policy": TextBase64EncodePolicy(),
                "message_decode_policy": TextBase64DecodePolicy(),
            }
            if self._connection_string:
                self._client = QueueClient.from_connection_string(
                    self._connection_string, self.queue_name, **policies
                )
            else:
                self._client = QueueClient(self._account_url, self.queue_name, credential=self._credential, **policies)
        return self._client

    async def _ensure_created(self) -> None:
        if self._created is None:
            self._created = asyncio.ensure_future(self._create())
        try:
            await asyncio.shield(self._created)
        except BaseException:
            self._created = None
            raise

    async def _create(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        with translated("create queue", self.queue_name), contextlib.suppress(ResourceExistsError):
            await self._queue().create_queue()

    async def send(self, text: str, *, delay_seconds: int = 0) -> None:
        """Send ``text``, visible after ``delay_seconds`` (0 to seven days). StorageError on failure."""
        if not 0 <= delay_seconds <= MAX_VISIBILITY_SECONDS:
            raise ValueError(f"a queue message's delay is 0 to {MAX_VISIBILITY_SECONDS} seconds, got {delay_seconds}")
        await self._ensure_created()
        started = time.perf_counter()
        with translated("send message", self.queue_name):
            await self._queue().send_message(text, visibility_timeout=delay_seconds or None)
        self.sent += 1
        self.send_seconds += time.perf_counter() - started

    async def close(self) -> None:
        """Close the client (idempotent)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()
