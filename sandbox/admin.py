"""The admin API under ``/_sandbox/``: faults, reset, request log, operations, settings.

==========================================  ====================================================
``GET  /_sandbox/health``                   ``{"status": "ok"}``
``POST /_sandbox/faults``                   add a fault rule (see :mod:`sandbox.faults`) -> 201 ``{"id"}``
``GET  /_sandbox/faults``                   ``{"faults": [...]}``
``DELETE /_sandbox/faults``                 clear every rule -> ``{"cleared": n}``
``DELETE /_sandbox/faults/{id}``            remove one rule (404 if unknown)
``POST /_sandbox/reset``                    reseed the estate; clear faults, operations, log; restore settings
``GET  /_sandbox/requests``                 ``{"requests": [{"method", "path", "status", "client_request_id", …}]}``
``DELETE /_sandbox/requests``               clear the request log
``GET  /_sandbox/operations``               ``{"operations": [...]}``
``POST /_sandbox/operations/never-complete``  ``{"enabled": bool}`` (default true): new operations never end
``POST /_sandbox/operations/finish``        end running operations now (not never-ending ones) -> ``{"finished": n}``
``GET|POST /_sandbox/config``               read / change ``{"operation_delay": s, "never_complete": bool}``
==========================================  ====================================================

Admin requests are neither logged nor subject to faults, and need no token.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.state import SandboxState, check_delay

__all__ = ["ADMIN_PREFIX", "STATE_KEY", "register"]

ADMIN_PREFIX = "/_sandbox"
STATE_KEY = web.AppKey("sandbox_state", SandboxState)


def register(app: web.Application) -> None:
    """Add the admin routes to ``app`` (which holds the state under :data:`STATE_KEY`)."""
    routes = [
        web.get(f"{ADMIN_PREFIX}/health", health),
        web.post(f"{ADMIN_PREFIX}/faults", add_fault),
        web.get(f"{ADMIN_PREFIX}/faults", list_faults),
        web.delete(f"{ADMIN_PREFIX}/faults", clear_faults),
        web.delete(f"{ADMIN_PREFIX}/faults/{{fault_id}}", remove_fault),
        web.post(f"{ADMIN_PREFIX}/faults/let-go", let_go),
        web.post(f"{ADMIN_PREFIX}/reset", reset),
        web.get(f"{ADMIN_PREFIX}/requests", list_requests),
        web.delete(f"{ADMIN_PREFIX}/requests", clear_requests),
        web.get(f"{ADMIN_PREFIX}/operations", list_operations),
        web.post(f"{ADMIN_PREFIX}/operations/never-complete", never_complete),
        web.post(f"{ADMIN_PREFIX}/operations/finish", finish_operations),
        web.get(f"{ADMIN_PREFIX}/config", get_config),
        web.post(f"{ADMIN_PREFIX}/config", set_config),
    ]
    app.router.add_routes(routes)


def _bad(message: str) -> web.Response:
    return web.json_response({"error": {"code": "BadRequest", "message": message}}, status=400)


async def _json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


async def health(request: web.Request) -> web.Response:
    """Liveness probe."""
    return web.json_response({"status": "ok"})


async def add_fault(request: web.Request) -> web.Response:
    """Add a fault rule; 400 with the reason when the spec is invalid."""
    try:
        fault = request.app[STATE_KEY].faults.add(await _json(request))
    except ValueError as exc:
        return _bad(f"invalid fault: {exc}")
    return web.json_response({"id": fault.id, "fault": fault.describe()}, status=201)


async def list_faults(request: web.Request) -> web.Response:
    """Every fault rule with its remaining count and hits."""
    return web.json_response({"faults": request.app[STATE_KEY].faults.describe()})


async def clear_faults(request: web.Request) -> web.Response:
    """Remove every fault rule."""
    return web.json_response({"cleared": request.app[STATE_KEY].faults.clear()})


async def remove_fault(request: web.Request) -> web.Response:
    """Remove one fault rule."""
    if not request.app[STATE_KEY].faults.remove(request.match_info["fault_id"]):
        return web.json_response({"error": {"code": "NotFound", "message": "no such fault"}}, status=404)
    return web.json_response({"removed": request.match_info["fault_id"]})


async def let_go(request: web.Request) -> web.Response:
    """End every injected delay now: the waiting requests go on as if it had passed."""
    state = request.app[STATE_KEY]
    held = sum(fault["held"] for fault in state.faults.describe())
    state.let_go()
    return web.json_response({"let_go": held})


async def reset(request: web.Request) -> web.Response:
    """Restore the seeded estate and clear faults, operations and the request log."""
    state = request.app[STATE_KEY]
    state.reset()
    return web.json_response({"reset": True, "config": state.config.describe()})


async def list_requests(request: web.Request) -> web.Response:
    """The recorded ARM requests, oldest first."""
    return web.json_response({"requests": list(request.app[STATE_KEY].requests)})


async def clear_requests(request: web.Request) -> web.Response:
    """Forget the recorded ARM requests."""
    request.app[STATE_KEY].requests.clear()
    return web.json_response({"cleared": True})


async def list_operations(request: web.Request) -> web.Response:
    """Every long-running operation (after finishing the ones that are due)."""
    state = request.app[STATE_KEY]
    state.operations.advance()
    return web.json_response({"operations": state.operations.describe()})


async def finish_operations(request: web.Request) -> web.Response:
    """End every running operation now, as if its delay had passed (never-ending ones keep running)."""
    return web.json_response({"finished": request.app[STATE_KEY].operations.finish_now()})


async def never_complete(request: web.Request) -> web.Response:
    """Switch "new operations never end" on (default) or off with ``{"enabled": false}``."""
    try:
        body = await _json(request)
    except ValueError as exc:
        return _bad(str(exc))
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        return _bad("enabled must be true or false")
    state = request.app[STATE_KEY]
    state.config.never_complete = enabled
    return web.json_response(state.config.describe())


async def get_config(request: web.Request) -> web.Response:
    """The current settings."""
    return web.json_response(request.app[STATE_KEY].config.describe())


async def set_config(request: web.Request) -> web.Response:
    """Change ``operation_delay`` (applies to new operations) and/or ``never_complete``."""
    state = request.app[STATE_KEY]
    try:
        body = await _json(request)
        unknown = set(body) - {"operation_delay", "never_complete"}
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        if "never_complete" in body and not isinstance(body["never_complete"], bool):
            raise ValueError("never_complete must be true or false")
        delay = check_delay(body["operation_delay"]) if "operation_delay" in body else None
    except ValueError as exc:
        return _bad(str(exc))
    if delay is not None:
        state.config.operation_delay = delay
    if "never_complete" in body:
        state.config.never_complete = body["never_complete"]
    return web.json_response(state.config.describe())
