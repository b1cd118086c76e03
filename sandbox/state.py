"""Everything one sandbox instance holds: estate, operations, faults, request log, settings."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.estate import Estate, load_estate, utc_timestamp
from sandbox.faults import FaultTable
from sandbox.operations import OperationStore

__all__ = ["REQUEST_LOG_LIMIT", "SandboxConfig", "SandboxState"]

REQUEST_LOG_LIMIT = 10_000
"""The request log keeps the most recent entries only."""


@dataclass
class SandboxConfig:
    """Runtime settings the admin API can change.

    ``operation_delay``: seconds a new long-running operation stays InProgress.
    ``never_complete``: new long-running operations stay InProgress forever.
    """

    operation_delay: float
    never_complete: bool = False

    def describe(self) -> dict[str, Any]:
        """The settings as the admin API shows them."""
        return {"operation_delay": self.operation_delay, "never_complete": self.never_complete}


def check_delay(value: Any) -> float:
    """Validate an operation delay (a number of seconds >= 0); raises ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("operation_delay must be a number of seconds >= 0")
    return float(value)


class SandboxState:
    """The mutable state behind one sandbox app; :meth:`reset` restores the seeded estate.

    Every reset starts a new *generation*. A request belongs to the generation it arrived in:
    one still running when a reset happens (typically held by an injected ``delay``) is released
    at once, is not served against the reseeded estate, and is never written to the new request
    log — so whoever reset the sandbox sees only requests made after the reset.
    """

    def __init__(
        self,
        estate_path: Path | None,
        operation_delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._estate_path = estate_path
        self._initial_delay = check_delay(operation_delay)
        self.operations = OperationStore(clock)
        self.faults = FaultTable()
        self.requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.config = SandboxConfig(operation_delay=self._initial_delay)
        self.estate: Estate = load_estate(estate_path)
        self.generation = 0
        self._released = asyncio.Event()  # reset or shutdown: waiting requests are answered 503
        self._let_go = asyncio.Event()  # a test let them go: they go on as if their delay had passed

    def reset(self) -> None:
        """Reload the seeded estate; clear faults, operations and the request log; restore settings.

        Starts a new generation: requests of the previous one still waiting are released.
        """
        self.estate = load_estate(self._estate_path)
        self.operations.clear()
        self.faults.clear()
        self.requests.clear()
        self.config = SandboxConfig(operation_delay=self._initial_delay)
        self.generation += 1
        self.release_waiting()

    def release_waiting(self) -> None:
        """End every injected delay now (on reset, and when the server shuts down)."""
        self._released.set()
        self._released = asyncio.Event()

    def let_go(self) -> None:
        """End every injected delay now, the requests going on as if it had passed (a test decides when)."""
        self._let_go.set()
        self._let_go = asyncio.Event()

    async def delay(self, seconds: float) -> bool:
        """Wait ``seconds`` (an injected delay) or until :meth:`let_go`; False when a reset or shutdown
        cut it short."""
        released = self._released
        waits = [asyncio.ensure_future(released.wait()), asyncio.ensure_future(self._let_go.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        return not released.is_set()

    def log_request(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        fault_id: str | None,
        *,
        generation: int,
        client_request_id: str = "",
        correlation_id: str = "",
    ) -> None:
        """Record one ARM request of ``generation`` (admin requests are not recorded).

        A request that began before the latest reset is dropped: it belongs to an earlier log.
        """
        if generation != self.generation:
            return
        self.requests.append(
            {
                "method": method,
                "path": path,
                "query": query,
                "status": status,
                "fault": fault_id,
                "time": utc_timestamp(),
                "client_request_id": client_request_id,
                "correlation_id": correlation_id,
            }
        )
