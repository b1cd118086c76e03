"""Azure Functions edge of Switchboard (Python v2 programming model): translation only.

- ``POST /api/messages`` — Bot Framework activities. Anonymous at the Functions level: the
  Bot Framework JWT in ``Authorization`` is the authentication, checked by :mod:`bot.http_edge`.
- ``GET /api/health`` — ``{"status": "ok"}`` once the app is composed; no secrets.
- queue ``switchboard-operations`` — the operations worker: one step of one operation per message
  (base64 messages; retries and the poison queue per ``host.json``, see docs/operations.md).
- queue ``switchboard-operations-poison`` — a message that failed ``maxDequeueCount`` times: its
  operation is marked failed and the requester told.
- timer ``sweeper`` (every minute) — expires approvals, reminds approvers, times out stuck
  operations, reclaims resource leases, purges the delivery ledger.

Each function turns a ``func.HttpRequest`` into an :class:`~bot.edge_types.EdgeRequest`, asks
the process's :class:`~app.runtime.SwitchboardRuntime`, and turns the answer into a
``func.HttpResponse``. The Switchboard is composed on the first request, from the app settings.
Importing this module loads only ``azure.functions`` and small stdlib-only modules; botbuilder
and the Azure SDKs load on first request (cold start).

:func:`create_app` builds the app around a given runtime: tests and the dev host use it to
serve the very same functions with their own settings.
"""

from __future__ import annotations

import azure.functions as func

from app.runtime import OPERATIONS_POISON_QUEUE, OPERATIONS_QUEUE, SWEEPER_SCHEDULE, SwitchboardRuntime
from bot.edge_types import EdgeRequest, EdgeResponse

__all__ = ["aclose", "app", "create_app", "startup"]


def create_app(runtime: SwitchboardRuntime | None = None) -> func.FunctionApp:
    """The Functions app serving ``runtime`` (default: composed from ``os.environ`` on first request)."""
    served = runtime or SwitchboardRuntime()
    function_app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    # No method filter: the edge answers other methods 405 (the Functions host would say 404).
    @function_app.route(route="messages")
    async def messages(req: func.HttpRequest) -> func.HttpResponse:
        return _to_http_response(await served.messages(_to_edge_request(req)))

    @function_app.route(route="health", methods=["GET"])
    async def health(req: func.HttpRequest) -> func.HttpResponse:
        return _to_http_response(await served.health(_to_edge_request(req)))

    @function_app.queue_trigger(arg_name="message", queue_name=OPERATIONS_QUEUE, connection="SwitchboardStorage")
    async def operations(message: func.QueueMessage) -> None:
        await served.run_operation(message.get_body())

    @function_app.queue_trigger(
        arg_name="message", queue_name=OPERATIONS_POISON_QUEUE, connection="SwitchboardStorage"
    )
    async def operations_poison(message: func.QueueMessage) -> None:
        await served.operation_poisoned(message.get_body())

    @function_app.timer_trigger(arg_name="timer", schedule=SWEEPER_SCHEDULE, run_on_startup=False)
    async def sweeper(timer: func.TimerRequest) -> None:
        await served.sweep()

    return function_app


def _to_edge_request(req: func.HttpRequest) -> EdgeRequest:
    return EdgeRequest.build(req.method, dict(req.headers.items()), req.get_body() or b"")


def _to_http_response(response: EdgeResponse) -> func.HttpResponse:
    headers = dict(response.headers)
    mimetype = headers.pop("Content-Type", None)
    return func.HttpResponse(
        body=response.body,
        status_code=response.status,
        headers=headers,
        mimetype=mimetype.split(";", 1)[0] if mimetype else None,
        charset="utf-8",
    )


_runtime = SwitchboardRuntime(freeze_after_compose=True, warm_sdks=True)
app = create_app(_runtime)


async def startup() -> None:
    """Compose the Switchboard now, raising ``SettingsError`` (naming each bad setting) when the
    settings are invalid. The dev host calls this before it listens; the Functions host, which has
    no start-up hook, composes on the first request and answers 503 until the settings are fixed."""
    await _runtime.start()


async def aclose() -> None:
    """Close what the app holds open (storage transport, connector clients). The dev host calls this
    on shutdown; in Azure the Functions host simply ends the worker process."""
    await _runtime.close()
