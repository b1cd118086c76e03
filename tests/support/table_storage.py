"""What the storage tests share: fast client options, store items, a recording transport, unreachable endpoints."""

from __future__ import annotations

import time
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


def unreachable_connection_string(port: int) -> str:
    """A development-account connection string whose table endpoint is ``port`` on loopback (pass
    the ``refused_port`` fixture: a port that refuses connections for the whole test)."""
    return azurite.connection_string({"Table": port})


class RecordingTransport(AsyncHttpTransport):
    """An AioHttpTransport that records each request (method, URL), the peak number in flight and the
    sequential round trips (a request that starts while none is in flight starts a new round trip)."""

    def __init__(self, **kwargs: Any) -> None:
        self._inner = AioHttpTransport(**kwargs)
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.round_trips = 0
        self.seconds = 0.0  # time spent in requests, summed (concurrent ones each count)
        self.closed = False

    def reset(self) -> None:
        """Forget the requests and round trips seen so far."""
        self.requests.clear()
        self.round_trips = 0
        self.max_in_flight = self.in_flight

    async def send(self, request: Any, **kwargs: Any) -> Any:
        self.requests.append((request.method, request.url))
        if self.in_flight == 0:
            self.round_trips += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        started = time.perf_counter()
        try:
            return await self._inner.send(request, **kwargs)
        finally:
            self.in_flight -= 1
            self.seconds += time.perf_counter() - started

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


class WriteFailingTransport(RecordingTransport):
    """A recording transport on which every write after the first ``writes_allowed`` fails to connect.

    It stands for the storage service going away in the middle of a multi-row write: reads and
    the first writes reach Azurite, later writes (PUT/POST/MERGE/PATCH/DELETE of entities) raise
    ``ServiceRequestError`` as a refused connection does. Set ``writes_allowed`` to None to heal it.
    """

    def __init__(self, writes_allowed: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writes_allowed = writes_allowed

    async def send(self, request: Any, **kwargs: Any) -> Any:
        from azure.core.exceptions import ServiceRequestError

        is_table_call = "/Tables" in request.url.split("?", 1)[0]
        if request.method != "GET" and not is_table_call and self.writes_allowed is not None:
            if self.writes_allowed <= 0:
                raise ServiceRequestError("connection refused (injected)")
            self.writes_allowed -= 1
        return await super().send(request, **kwargs)
