"""Case-insensitive ARM path routing and the per-request context handlers receive.

ARM treats path segments (``resourceGroups``/``resourcegroups``, provider namespaces, names)
case-insensitively, so the sandbox routes ARM paths itself instead of with aiohttp's router.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.errors import ArmError
from sandbox.faults import Fault
from sandbox.operations import IN_PROGRESS, Operation
from sandbox.state import SandboxState

__all__ = ["FAULT_KEY", "MAX_RETRY_AFTER", "ArmContext", "Handler", "Router", "retry_after_seconds"]

FAULT_KEY = web.RequestKey("sandbox_fault", Fault)
"""Key of the fault (if any) that matched the current request, in the aiohttp request."""

MAX_RETRY_AFTER = 10
"""Upper bound of the ``Retry-After`` seconds sent with operations."""

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class ArmContext:
    """What a provider handler gets: the request, the path parameters and the sandbox state."""

    request: web.Request
    params: dict[str, str]
    state: SandboxState
    _body: Any = field(default=None, repr=False)

    def query(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively by name (``$expand``, ``statusOnly``...)."""
        wanted = name.lower()
        for key, value in self.request.query.items():
            if key.lower() == wanted:
                return value
        return None

    @property
    def api_version(self) -> str:
        """The request's api-version (the middleware guarantees there is one)."""
        return self.query("api-version") or ""

    @property
    def base_url(self) -> str:
        """Scheme and host the client used, for absolute operation URLs."""
        return f"{self.request.scheme}://{self.request.host}"

    async def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or a 400 ``InvalidRequestContent``."""
        if self._body is None:
            raw = await self.request.read()
            try:
                body = json.loads(raw or b"{}")
            except ValueError as exc:
                raise ArmError.bad_request(
                    "The request content was invalid and could not be deserialized.", code="InvalidRequestContent"
                ) from exc
            if not isinstance(body, dict):
                raise ArmError.bad_request("The request content must be a JSON object.", code="InvalidRequestContent")
            self._body = body
        return dict(self._body)

    def begin_operation(
        self,
        *,
        lock_key: str,
        resource_id: str,
        action: str,
        namespace: str,
        location: str,
        on_success: Callable[[], None],
        on_end_without_success: Callable[[], None],
    ) -> Operation:
        """Start a long-running operation with the configured delay and any injected outcome."""
        fault: Fault | None = self.request.get(FAULT_KEY)
        delay: float | None = self.state.config.operation_delay
        final_status = "Succeeded"
        if self.state.config.never_complete or (fault is not None and fault.operation_status == IN_PROGRESS):
            delay = None
        elif fault is not None and fault.operation_status:
            final_status = fault.operation_status
        return self.state.operations.begin(
            lock_key=lock_key,
            resource_id=resource_id,
            action=action,
            subscription_id=self.params["subscription"],
            namespace=namespace,
            location=location,
            delay=delay,
            final_status=final_status,
            on_success=on_success,
            on_end_without_success=on_end_without_success,
        )

    def operation_headers(
        self, operation: Operation, *, async_operation: bool = True, location: bool = True
    ) -> dict[str, str]:
        """``Azure-AsyncOperation`` / ``Location`` / ``Retry-After`` headers for ``operation``."""
        query = f"?api-version={self.api_version}"
        headers = {"Retry-After": str(retry_after_seconds(self.state, operation))}
        if async_operation:
            headers["Azure-AsyncOperation"] = f"{self.base_url}{operation.status_url_path()}{query}"
        if location:
            headers["Location"] = f"{self.base_url}{operation.result_url_path()}{query}"
        return headers

    def accepted(
        self,
        operation: Operation,
        *,
        status: int = 202,
        body: dict[str, Any] | None = None,
        async_operation: bool = True,
        location: bool = True,
    ) -> web.Response:
        """The answer to a call that started ``operation`` (201/202, or 200 for VMSS PATCH)."""
        headers = self.operation_headers(operation, async_operation=async_operation, location=location)
        if body is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(body, status=status, headers=headers)


def retry_after_seconds(state: SandboxState, operation: Operation) -> int:
    """Whole seconds until ``operation`` may have ended, capped at :data:`MAX_RETRY_AFTER`.

    Below one second this is 0, which makes azure-core fall back to the client's polling
    interval; operations that never end advertise the configured delay.
    """
    remaining = operation.remaining(state.operations.now())
    if remaining is None:
        remaining = state.config.operation_delay
    return min(int(remaining), MAX_RETRY_AFTER)


Handler = Callable[[ArmContext], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    """Maps (method, path template) to handlers; templates use ``{name}`` for one path segment."""

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on paths matching ``template`` (case-insensitive)."""
        regex = ""
        position = 0
        for match in _PARAM.finditer(template):
            regex += re.escape(template[position : match.start()]) + f"(?P<{match.group(1)}>[^/]+)"
            position = match.end()
        regex += re.escape(template[position:])
        self._routes.append(_Route(method.upper(), re.compile(f"^{regex}/?$", re.IGNORECASE), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters for a request, or a 404 / 405 ARM error."""
        path_matched = False
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            path_matched = True
            if route.method == method.upper():
                return route.handler, match.groupdict()
        if path_matched:
            raise ArmError(405, "MethodNotAllowed", f"The sandbox does not support {method} on '{path}'.")
        raise ArmError(
            404, "InvalidResourceType", f"The ARM sandbox does not serve '{path}' (not a modelled resource type)."
        )
