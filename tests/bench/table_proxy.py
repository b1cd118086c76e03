"""A counting TCP proxy in front of Azurite's Table service (loopback only), for the benchmark.

    python -m tests.bench.table_proxy --target 127.0.0.1:PORT [--port 0]

Bytes are relayed unchanged in both directions; the client-to-server stream is parsed just
enough to see each HTTP/1.1 request (request line, headers, ``Content-Length`` or chunked
body). A request is *in flight* from the moment its headers arrive until the first byte of the
answer comes back on the same connection (HTTP/1.1 without pipelining: one outstanding request
per connection). Counted:

- ``requests`` by kind: ``read`` (GET of an entity or a query), ``write`` (PUT/MERGE/PATCH of an
  entity, POST of an entity or batch), ``delete``, ``table`` (anything on ``/Tables``);
- ``round_trips``: how many times a request started while *no other request was in flight*.
  Turns run one at a time, this is the number of sequential storage round trips: three point
  reads issued together count as three requests and one round trip.
- ``latency_ms``: time in flight of each request (Azurite's answer time plus one loopback hop).

It prints ``table proxy listening on 127.0.0.1:P control http://127.0.0.1:Q`` when ready; ``GET
http://127.0.0.1:Q/stats`` returns the counters as JSON and ``POST /reset`` zeroes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["ProxyStats", "TableProxy", "main"]

_MAX_LATENCIES = 100_000
_WRITE_METHODS = frozenset({"PUT", "MERGE", "PATCH", "POST"})


def classify(method: str, path: str) -> str:
    """``read``, ``write``, ``delete`` or ``table`` (table management) for a Table service request."""
    resource = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if resource == "Tables" or resource.startswith("Tables("):
        return "table"
    if method == "GET" or method == "HEAD":
        return "read"
    if method == "DELETE":
        return "delete"
    return "write" if method in _WRITE_METHODS else "other"


@dataclass
class ProxyStats:
    """Counters shared by every connection of the proxy (one event loop: no locks)."""

    requests: Counter[str] = field(default_factory=Counter)
    round_trips: int = 0
    in_flight: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=_MAX_LATENCIES))

    def started(self, kind: str) -> None:
        if self.in_flight == 0:
            self.round_trips += 1
        self.in_flight += 1
        self.requests[kind] += 1

    def answered(self, started_at: float) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.latencies.append((time.perf_counter() - started_at) * 1000)

    def reset(self) -> None:
        self.requests.clear()
        self.round_trips = 0
        self.latencies.clear()

    def as_json(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        return {
            "requests": dict(self.requests),
            "total_requests": sum(self.requests.values()),
            "round_trips": self.round_trips,
            "latency_ms_p50": ordered[len(ordered) // 2] if ordered else None,
        }


class _RequestParser:
    """Finds request boundaries in a client-to-server HTTP/1.1 byte stream."""

    def __init__(self) -> None:
        self._buffer = b""
        self._body_left = 0
        self._chunked = False

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        """Feed bytes; return (method, path) of each request whose headers completed."""
        found: list[tuple[str, str]] = []
        self._buffer += data
        while self._buffer:
            if self._body_left:
                taken = min(self._body_left, len(self._buffer))
                self._body_left -= taken
                self._buffer = self._buffer[taken:]
                continue
            if self._chunked:
                end = self._buffer.find(b"0\r\n\r\n")
                if end < 0:
                    self._buffer = self._buffer[-4:]
                    return found
                self._buffer = self._buffer[end + 5 :]
                self._chunked = False
                continue
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return found
            head, self._buffer = self._buffer[:end].decode("latin-1"), self._buffer[end + 4 :]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            method, path = (parts[0].upper(), parts[1]) if len(parts) >= 2 else ("?", "?")
            found.append((method, path))
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    self._body_left = int(value.strip() or 0)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    self._chunked = True
        return found


class TableProxy:
    """Relays loopback connections to ``target`` and counts the requests crossing it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._connection, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        outstanding: deque[float] = deque()
        upstream = asyncio.create_task(self._upstream(client_reader, server_writer, outstanding))
        downstream = asyncio.create_task(self._downstream(server_reader, client_writer, outstanding))
        try:
            await asyncio.wait({upstream, downstream}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (upstream, downstream):
                task.cancel()
            for writer in (client_writer, server_writer):
                writer.close()
            while outstanding:  # a connection closed before its answer: no longer in flight
                outstanding.popleft()
                self.stats.in_flight = max(0, self.stats.in_flight - 1)

    async def _upstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, outstanding: deque[float]
    ) -> None:
        parser = _RequestParser()
        while data := await reader.read(65536):
            for method, path in parser.feed(data):
                self.stats.started(classify(method, path))
                outstanding.append(time.perf_counter())
            writer.write(data)
            await writer.drain()

    async def _downstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, outstanding: deque[float]
    ) -> None:
        while data := await reader.read(65536):
            if outstanding:  # the first bytes of the answer to the oldest open request
                self.stats.answered(outstanding.popleft())
            writer.write(data)
            await writer.drain()


async def _serve(target: str, port: int) -> None:
    host, _, target_port = target.rpartition(":")
    proxy = TableProxy(host or "127.0.0.1", int(target_port))
    proxy_port = await proxy.start(port=port)

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(proxy.stats.as_json())

    async def reset(_: web.Request) -> web.Response:
        proxy.stats.reset()
        return web.json_response(proxy.stats.as_json())

    control = web.Application()
    control.router.add_get("/stats", stats)
    control.router.add_post("/reset", reset)
    runner = web.AppRunner(control, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    control_port = runner.addresses[0][1]
    print(f"table proxy listening on 127.0.0.1:{proxy_port} control http://127.0.0.1:{control_port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await proxy.close()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.table_proxy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of Azurite's Table service (loopback)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default 0: a free one)")
    args = parser.parse_args(argv)
    if not args.target.startswith(("127.", "localhost:")):
        print("the table proxy only relays to loopback", file=sys.stderr)
        return 2
    asyncio.run(_serve(args.target, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
