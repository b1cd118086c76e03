"""Tracing platform calls back to an operation: ``x-ms-client-request-id`` out, ARM's ids back.

Inside ``with arm_call_ids(operation_id) as ids:`` every request any management client sends
(the start, each status check of the long-running poller) carries ``x-ms-client-request-id:
<operation id>``, so each entry of the Azure Activity Log names the operation; and ``ids``
collects what ARM answers: ``x-ms-correlation-request-id`` (the id support and the Activity Log
use), and the last ``Retry-After`` (seconds), which the worker's next check backs off towards.

:class:`ArmIdsPolicy` is a per-call pipeline policy every client of :class:`actions.clients.ArmClients`
gets; outside such a block it does nothing (azure-core's own request id stays). The scope is a
context variable, so concurrent operations on one event loop never see each other's ids.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy

__all__ = ["ArmCallIds", "ArmIdsPolicy", "arm_call_ids"]

CLIENT_REQUEST_ID = "x-ms-client-request-id"
CORRELATION_REQUEST_ID = "x-ms-correlation-request-id"


@dataclass
class ArmCallIds:
    """The ids of the platform calls made in one :func:`arm_call_ids` block."""

    client_request_id: str
    correlation_id: str = ""  # the first x-ms-correlation-request-id ARM returned
    retry_after: float | None = None  # the last Retry-After, in seconds
    calls: int = 0


_current: contextvars.ContextVar[ArmCallIds | None] = contextvars.ContextVar("switchboard_arm_call_ids", default=None)


@contextmanager
def arm_call_ids(client_request_id: str) -> Iterator[ArmCallIds]:
    """Send ``client_request_id`` on every ARM request in this block; collect what ARM returns."""
    ids = ArmCallIds(client_request_id)
    token = _current.set(ids)
    try:
        yield ids
    finally:
        _current.reset(token)


class ArmIdsPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Sets ``x-ms-client-request-id`` from the current :func:`arm_call_ids` block and records ARM's answer."""

    def on_request(self, request: Any) -> None:
        ids = _current.get()
        if ids is not None:
            request.http_request.headers[CLIENT_REQUEST_ID] = ids.client_request_id
            ids.calls += 1

    def on_response(self, request: Any, response: Any) -> None:
        ids = _current.get()
        if ids is None:
            return
        headers = response.http_response.headers
        correlation = headers.get(CORRELATION_REQUEST_ID)
        if correlation and not ids.correlation_id:
            ids.correlation_id = str(correlation)[:128]
        retry_after = _seconds(headers.get("Retry-After"))
        if retry_after is not None:
            ids.retry_after = retry_after


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
