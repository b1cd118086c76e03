"""The aiohttp application: ARM middleware (faults, auth, api-version, log) and routing."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler as AiohttpHandler

from sandbox import admin
from sandbox.errors import ArmError
from sandbox.providers import compute, containerservice, operation_status, resources, web_sites
from sandbox.routing import FAULT_KEY, ArmContext, Router
from sandbox.state import SandboxState

__all__ = ["ROUTER_KEY", "build_router", "create_app"]

log = logging.getLogger(__name__)

ROUTER_KEY = web.AppKey("sandbox_router", Router)


def build_router() -> Router:
    """A router with every provider's routes."""
    router = Router()
    for provider in (resources, containerservice, compute, web_sites, operation_status):
        provider.register(router)
    return router


def create_app(estate_path: Path | None = None, *, operation_delay: float = 2.0) -> web.Application:
    """Build the sandbox app seeded from ``estate_path`` (default: the bundled ``estate.json``).

    ``operation_delay`` is how long each long-running operation stays InProgress (seconds).
    """
    app = web.Application(middlewares=[arm_middleware])
    app[admin.STATE_KEY] = SandboxState(estate_path, operation_delay)
    app[ROUTER_KEY] = build_router()
    admin.register(app)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    app.on_shutdown.append(_release_waiting)
    return app


async def _release_waiting(app: web.Application) -> None:
    """Requests held by an injected delay end at once when the server stops."""
    app[admin.STATE_KEY].release_waiting()


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Route an ARM request to its provider handler."""
    handler, params = request.app[ROUTER_KEY].resolve(request.method, request.path)
    return await handler(ArmContext(request=request, params=params, state=request.app[admin.STATE_KEY]))


def _check_auth(request: web.Request) -> None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing or not a bearer token.",
        )


def _check_api_version(request: web.Request) -> None:
    if not any(key.lower() == "api-version" and value for key, value in request.query.items()):
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )


@web.middleware
async def arm_middleware(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    """Apply faults, check token and api-version, finish due operations, log, map ArmError.

    A request held by an injected delay across a reset (see :class:`SandboxState`) is answered
    503 without touching the reseeded estate, and is not logged.
    """
    if request.path.startswith(admin.ADMIN_PREFIX + "/"):
        return await handler(request)
    state = request.app[admin.STATE_KEY]
    generation = state.generation
    fault = state.faults.take(request.method, request.path)
    response: web.StreamResponse
    try:
        if fault is not None:
            request[FAULT_KEY] = fault
            if fault.delay:
                fault.held += 1
                try:
                    waited = await state.delay(fault.delay)
                finally:
                    fault.held -= 1
                if not waited:
                    raise ArmError(503, "SandboxReset", "The sandbox was reset or stopped while this request waited.")
            if fault.status is not None:
                raise fault.error()
        _check_auth(request)
        _check_api_version(request)
        state.operations.advance()
        response = await handler(request)
    except ArmError as error:
        response = error.to_response()
    except web.HTTPException:
        raise
    except Exception:
        log.exception("ARM sandbox handler failed for %s %s", request.method, request.path)
        response = ArmError(500, "InternalServerError", "The ARM sandbox failed; see its log.").to_response()
    # As ARM does: its own ids for the request, the caller's correlation id kept when it sent one
    # (else a fresh GUID, never the client request id), and the client request id echoed back.
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("x-ms-client-request-id", "")
    correlation_id = request.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
    response.headers.setdefault("x-ms-request-id", request_id)
    response.headers.setdefault("x-ms-correlation-request-id", correlation_id)
    if client_request_id:
        response.headers.setdefault("x-ms-client-request-id", client_request_id)
    state.log_request(
        request.method,
        request.path,
        request.query_string,
        response.status,
        fault.id if fault else None,
        generation=generation,
        client_request_id=client_request_id,
        correlation_id=correlation_id,
    )
    return response
