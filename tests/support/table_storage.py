"""What the storage tests share: fast client options, store items, a recording transport, unreachable endpoints."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from azure.core.pipeline.transport import AioHttpTransport, AsyncHttpTransport
from botbuilder.core import Storage, StoreItem

from storage import TableClientOptions
from tools import azurite

# Fail fast in tests: no retries, short timeouts (production defaults retry a few times).
FAST = TableClientOptions(retry_total=0, retry_backoff_factor=0.0, connection_timeout=2.0, read_timeout=10.0)

ACCOUNT_KEY = azurite.ACCOUNT_KEY


class SimpleStoreItem(StoreItem):
    """A StoreItem subclass like the SDK's own storage tests use."""

    def __init__(self, counter: int = 1, e_tag: str | None = "*") -> None:
        super().__init__()
        self.counter = counter
        self.e_tag = e_tag


@dataclass
class StorageUnderTest:
    """A Storage implementation and what its failures look like."""

    kind: str
    storage: Storage
    conflict_error: type[BaseException]
    # MemoryStorage raises a bare Exception for an empty etag; TableBotStorage raises ValueError.
    empty_etag_error: type[BaseException] = field(default=Exception)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_connection_string() -> str:
    """A development-account connection string whose table endpoint is a closed loopback port."""
    return azurite.connection_string({"Table": closed_port()})


class RecordingTransport(AsyncHttpTransport):
    """An AioHttpTransport that records each request (method, URL) and the peak number in flight."""

    def __init__(self, **kwargs: Any) -> None:
        self._inner = AioHttpTransport(**kwargs)
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append((request.method, request.url))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._inner.send(request, **kwargs)
        finally:
            self.in_flight -= 1

    async def open(self) -> None:
        await self._inner.open()

    async def close(self) -> None:
        self.closed = True
        await self._inner.close()

    async def __aenter__(self) -> RecordingTransport:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *args: Any) -> None:
        self.closed = True
        await self._inner.__aexit__(*args)
