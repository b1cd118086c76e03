"""The local ARM sandbox for tests: a real HTTP server in a background thread with its own loop.

Because the server has its own thread and event loop, it works with sync SDK clients, async SDK
clients, and any pytest-asyncio loop. Control it through :class:`SandboxHandle` (which talks to
the admin API over HTTP) and point SDK clients at it with :func:`sdk_client_kwargs`::

    with running_sandbox() as sandbox:
        async with ContainerServiceClient(subscription_id=SUB, **sdk_client_kwargs(sandbox)) as client:
            ...
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox import create_app
from sandbox.client import client_kwargs

__all__ = [
    "DEV_SUBSCRIPTION_ID",
    "HELD",
    "LONG_OPERATION",
    "PROD_SUBSCRIPTION_ID",
    "SandboxHandle",
    "running_sandbox",
    "sdk_client_kwargs",
]

DEV_SUBSCRIPTION_ID = "11111111-1111-1111-1111-111111111111"
"""platform-dev in the seeded estate: resource group rg-dev."""
PROD_SUBSCRIPTION_ID = "22222222-2222-2222-2222-222222222222"
"""platform-prod in the seeded estate: resource groups rg-prod and rg-platform-core."""

LONG_OPERATION = 600.0
"""An operation delay no test waits out: with it, "in progress" holds however slow the machine is,
and the test ends operations itself with :meth:`SandboxHandle.finish_operations`."""

HELD = 600.0
"""An injected request delay no test waits out: the request is held however slow the machine is,
and the test lets it go on with :meth:`SandboxHandle.let_go`."""

_STARTUP_TIMEOUT = 10.0


class SandboxHandle:
    """A running sandbox: its base URL and its admin API as plain (blocking) methods."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_sandbox/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def inject_fault(self, **spec: Any) -> str:
        """Add a fault rule (``method``, ``path_contains``, ``status``, ``retry_after``, ``delay``,
        ``times``, ``operation_status``, ``error_code``, ``message``); returns its id.

        Raises ``urllib.error.HTTPError`` (400) for an invalid spec.
        """
        return str(self._admin("POST", "faults", spec)["id"])

    def faults(self) -> list[dict[str, Any]]:
        """Every fault rule with its remaining count, hits and the requests it holds (``held``)."""
        return list(self._admin("GET", "faults")["faults"])

    def held(self) -> int:
        """How many requests are waiting out an injected delay right now."""
        return sum(int(rule["held"]) for rule in self.faults())

    def let_go(self) -> int:
        """End every injected delay now, the waiting requests going on as if it had passed; returns
        how many were waiting.

        With a delay no test waits out (:data:`HELD`), a request stays held however slow the machine
        is, and the test decides when it goes on.
        """
        return int(self._admin("POST", "faults/let-go")["let_go"])

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._admin("DELETE", "faults")

    def reset(self) -> None:
        """Reseed the estate; clear faults, operations and the request log; restore settings.

        Requests still in flight from before (e.g. held by an injected delay) are released and
        never appear in the new request log.
        """
        self._admin("POST", "reset")

    def requests(self) -> list[dict[str, Any]]:
        """The recorded ARM requests (``method``, ``path``, ``query``, ``status``, ``fault``, ``time``)."""
        return list(self._admin("GET", "requests")["requests"])

    def clear_requests(self) -> None:
        """Forget the recorded ARM requests."""
        self._admin("DELETE", "requests")

    def operations(self) -> list[dict[str, Any]]:
        """Every long-running operation the sandbox knows."""
        return list(self._admin("GET", "operations")["operations"])

    def finish_operations(self) -> int:
        """End every running operation now, as if its delay had passed; returns how many ended.

        With a long :meth:`set_operation_delay`, "in progress" holds however slow the machine is,
        and the test decides when operations end. Never-ending operations keep running.
        """
        return int(self._admin("POST", "operations/finish")["finished"])

    def set_operation_delay(self, seconds: float) -> None:
        """How long new long-running operations stay InProgress."""
        self._admin("POST", "config", {"operation_delay": seconds})

    def never_complete(self, on: bool = True) -> None:
        """Make new long-running operations stay InProgress forever (or stop doing so)."""
        self._admin("POST", "operations/never-complete", {"enabled": on})


def sdk_client_kwargs(
    handle: SandboxHandle, *, asynchronous: bool = True, polling_interval: float = 0.02
) -> dict[str, Any]:
    """What a management client needs to talk to ``handle``: ``credential`` (a static fake token,
    async unless ``asynchronous=False``), ``base_url``, ``per_call_policies`` allowing plain HTTP,
    and a small ``polling_interval``. Add ``subscription_id``.
    """
    return client_kwargs(handle.url, asynchronous=asynchronous, polling_interval=polling_interval)


@contextmanager
def running_sandbox(operation_delay: float = 0.05, *, estate_path: Path | None = None) -> Iterator[SandboxHandle]:
    """Run the sandbox on 127.0.0.1 (a free port) in a background thread for the ``with`` block."""
    ready = threading.Event()
    started: dict[str, Any] = {}

    async def serve() -> None:
        runner = web.AppRunner(create_app(estate_path, operation_delay=operation_delay), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            stop = asyncio.Event()
            started["loop"] = asyncio.get_running_loop()
            started["stop"] = stop
            started["url"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
            ready.set()
            await stop.wait()
        finally:
            await runner.cleanup()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # surfaced to the caller below
            started["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name="arm-sandbox", daemon=True)
    thread.start()
    if not ready.wait(_STARTUP_TIMEOUT):
        raise RuntimeError("the ARM sandbox did not start within 10 s")
    if "error" in started:
        raise RuntimeError("the ARM sandbox failed to start") from started["error"]
    try:
        yield SandboxHandle(started["url"])
    finally:
        started["loop"].call_soon_threadsafe(started["stop"].set)
        thread.join(_STARTUP_TIMEOUT)
