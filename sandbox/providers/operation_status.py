"""The operation status (``Azure-AsyncOperation``) and result (``Location``) endpoints.

- ``GET /subscriptions/{s}/providers/{ns}/locations/{loc}/operations/{id}``: 200 with
  ``{"status": "InProgress" | "Succeeded" | "Failed" | "Canceled", ...}``.
- ``GET /subscriptions/{s}/providers/{ns}/locations/{loc}/operationresults/{id}``: 202 (with
  ``Location`` and ``Retry-After``) while running, 204 once succeeded, 400 with the operation's
  error once it failed or was canceled.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.errors import ArmError
from sandbox.operations import Operation
from sandbox.routing import ArmContext, Router, retry_after_seconds

__all__ = ["register"]

_BASE = "/subscriptions/{subscription}/providers/{namespace}/locations/{location}"


def register(router: Router) -> None:
    """Add the operation status and result routes to ``router``."""
    router.add("GET", _BASE + "/operations/{operation}", get_status)
    router.add("GET", _BASE + "/operationresults/{operation}", get_result)


def _operation(ctx: ArmContext) -> Operation:
    operation = ctx.state.operations.get(ctx.params["operation"])
    if operation.subscription_id.lower() != ctx.params["subscription"].lower():
        raise ArmError(404, "NotFound", f"The operation '{ctx.params['operation']}' could not be found.")
    return operation


async def get_status(ctx: ArmContext) -> web.Response:
    """The status of an operation; ``Retry-After`` while it is InProgress."""
    operation = _operation(ctx)
    headers = {} if operation.done else {"Retry-After": str(retry_after_seconds(ctx.state, operation))}
    return web.json_response(operation.status_body(), headers=headers)


async def get_result(ctx: ArmContext) -> web.Response:
    """The result of an operation: 202 while running, 204 when succeeded, 400 when it did not."""
    operation = _operation(ctx)
    if not operation.done:
        return web.Response(status=202, headers=ctx.operation_headers(operation, async_operation=False))
    if operation.status == "Succeeded":
        return web.Response(status=204)
    error = operation.status_body()["error"]
    raise ArmError(400, error["code"], error["message"])
