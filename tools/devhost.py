"""Local host for ``function_app``'s functions, without Azure Functions Core Tools.

    python -m tools.devhost [--host 127.0.0.1] [--port 3978] [--app function_app:app]

Serves the functions a ``func.FunctionApp`` declares, found by introspection
(``get_functions()``, ``get_trigger()``, ``get_user_function()``), so the code that runs here is
the code that runs in Azure:

- **HTTP triggers**: routed by route template (``{name}``, ``{name?}``, ``{*rest}``; constraints
  like ``{id:int}`` are not checked) under the ``routePrefix`` of ``host.json`` (default ``api``)
  and by method (another method on a known route: 405), as ``func.HttpRequest`` -> the
  function's ``func.HttpResponse``. Bodies over 8 MiB are refused with 413 by the host itself.
- **Queue triggers**: Azure Storage queues (Azurite) polled by :class:`tools.devhost_triggers.QueueWorker`,
  over the trigger's connection as the Functions host resolves it (a connection string, or the
  identity-based ``<name>__queueServiceUri``); a queue function whose connection is set neither way
  is not served, with a warning (the HTTP functions still are).
- **Timer triggers**: NCRONTAB schedules run by :class:`tools.devhost_triggers.TimerWorker`.

Only the trigger binding is passed to a function (no ``context``, no output bindings). App
settings come from the process environment. When ``MicrosoftAppId`` is empty the bot accepts
anonymous requests, so the dev host then refuses to listen on anything but loopback. It prints
``Switchboard dev host listening on http://HOST:PORT/api/messages`` when ready and stops cleanly
on SIGINT/SIGTERM, awaiting the app module's ``aclose()`` (if it defines one) last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import ipaddress
import json
import logging
import re
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.decorators.function_app import Function

from tools.devhost_triggers import QueueOptions, QueueWorker, TimerWorker, call_function

__all__ = ["DevHost", "HttpRoute", "main"]

_log = logging.getLogger("switchboard.devhost")

MAX_REQUEST_BYTES = 8 * 1024 * 1024
READY_LINE = "Switchboard dev host listening on {url}"
_PARAMETER = re.compile(r"^\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\??)\}$")


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP-triggered function: its route pattern, methods and the callable."""

    function_name: str
    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None  # None: any method
    binding: str
    user_function: Any

    @classmethod
    def from_function(cls, function: Function, prefix: str) -> HttpRoute:
        trigger = function.get_trigger()
        route = (trigger.route or function.get_function_name()).strip("/")
        template = "/".join(part for part in (prefix.strip("/"), route) if part)
        methods = trigger.methods
        return cls(
            function_name=function.get_function_name(),
            template=template,
            pattern=_compile_route(template),
            methods=frozenset(str(getattr(m, "value", m)).upper() for m in methods) if methods else None,
            binding=trigger.name,
            user_function=function.get_user_function(),
        )


def _compile_route(template: str) -> re.Pattern[str]:
    """``api/items/{id}/{*rest}`` -> a regex with named groups (segments are matched whole)."""
    regex = ""
    for segment in template.split("/"):
        match = _PARAMETER.match(segment)
        if match is None:
            regex += "/" + re.escape(segment)
            continue
        catch_all, name, optional = match.groups()
        body = f"(?P<{name}>.*)" if catch_all else f"(?P<{name}>[^/]+)"
        regex += f"(?:/{body})?" if optional or catch_all else f"/{body}"
    return re.compile(f"^{regex}/?$", re.IGNORECASE)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_json(app_root: Path) -> dict[str, Any]:
    path = app_root / "host.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


class DevHost:
    """Serves one ``func.FunctionApp``: HTTP on ``host:port``, queue pollers and timers alongside.

    :param app: the Functions app (e.g. ``function_app.app``).
    :param env: app settings (default: the process environment).
    :param app_root: where ``host.json`` is read from (default: the working directory).
    """

    def __init__(
        self,
        app: func.FunctionApp,
        *,
        host: str = "127.0.0.1",
        port: int = 3978,
        env: Mapping[str, str] | None = None,
        app_root: Path | None = None,
    ) -> None:
        import os

        self._env: Mapping[str, str] = os.environ if env is None else env
        if not self._env.get("MicrosoftAppId", "").strip() and not _is_loopback(host):
            raise ValueError(
                f"refusing to listen on {host}: MicrosoftAppId is empty, so requests are not authenticated; "
                "listen on 127.0.0.1 or configure the bot's app id"
            )
        self.host = host
        self._requested_port = port
        host_json = _host_json(app_root or Path.cwd())
        extensions = host_json.get("extensions", {}) if isinstance(host_json.get("extensions"), dict) else {}
        http = extensions.get("http", {}) if isinstance(extensions.get("http"), dict) else {}
        queues = extensions.get("queues", {}) if isinstance(extensions.get("queues"), dict) else {}
        prefix = str(http.get("routePrefix", "api"))
        functions = app.get_functions()
        self.routes = [HttpRoute.from_function(f, prefix) for f in functions if f.get_trigger().type == "httpTrigger"]
        options = QueueOptions.from_host_json(queues)
        self.queue_workers: list[QueueWorker] = []
        for function in (f for f in functions if f.get_trigger().type == "queueTrigger"):
            try:
                self.queue_workers.append(QueueWorker(function, self._env, options))
            except ValueError as error:  # its connection is not set: the other functions are still served
                _log.warning("queue function %s is not served: %s", function.get_function_name(), error)
        self.timer_workers = [TimerWorker(f, self._env) for f in functions if f.get_trigger().type == "timerTrigger"]
        unsupported = [
            f.get_function_name()
            for f in functions
            if f.get_trigger().type not in ("httpTrigger", "queueTrigger", "timerTrigger")
        ]
        if unsupported:
            _log.warning("not served by the dev host (trigger type not supported): %s", ", ".join(unsupported))
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the dev host is not started")
        return int(self._socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/api/messages"

    async def start(self) -> None:
        """Bind the port (0: a free one), serve HTTP, start queue pollers and timers."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self._socket = sock
        web_app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        web_app.router.add_route("*", "/{tail:.*}", self._handle_http)
        self._runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        for worker in [*self.queue_workers, *self.timer_workers]:
            task = asyncio.create_task(worker.run(), name=f"devhost:{worker.name}")
            task.add_done_callback(_report_crash)
            self._tasks.append(task)

    async def stop(self) -> None:
        """Stop pollers and timers, then the HTTP server (in-flight requests finish first)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle_http(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        matched = [(route, route.pattern.match(path)) for route in self.routes]
        candidates = [(route, match) for route, match in matched if match is not None]
        if not candidates:
            return web.Response(status=404)
        for route, match in candidates:
            if route.methods is None or request.method.upper() in route.methods:
                return await self._call(route, match, request)
        allowed = sorted({m for route, _ in candidates for m in (route.methods or ())})
        return web.Response(status=405, headers={"Allow": ", ".join(allowed)})

    async def _call(self, route: HttpRoute, match: re.Match[str], request: web.Request) -> web.StreamResponse:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        http_request = func.HttpRequest(
            method=request.method.upper(),
            url=str(request.url),
            headers=dict(request.headers),
            params=dict(request.query),
            route_params={k: v for k, v in match.groupdict().items() if v is not None},
            body=body,
        )
        try:
            result = await call_function(route.user_function, {route.binding: http_request})
        except Exception:
            _log.exception("HTTP function %s failed", route.function_name)
            return web.Response(status=500)
        return _to_aiohttp(result)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _log.error("%s stopped: %r", task.get_name(), task.exception(), exc_info=task.exception())


def _to_aiohttp(result: Any) -> web.Response:
    if isinstance(result, func.HttpResponse):
        headers = dict(result.headers)
        if not any(key.lower() == "content-type" for key in headers):
            headers["Content-Type"] = f"{result.mimetype}; charset={result.charset}"
        return web.Response(status=result.status_code, headers=headers, body=result.get_body())
    if isinstance(result, str | bytes):
        return web.Response(status=200, body=result.encode() if isinstance(result, str) else result)
    return web.Response(status=204 if result is None else 500)


Hook = Callable[[], Awaitable[None]]


def _load_app(spec: str) -> tuple[func.FunctionApp, Hook | None, Hook | None]:
    """The app named by ``module:attribute``, and the module's ``startup()`` and ``aclose()``
    coroutine functions, if it has them."""
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    app = getattr(module, attribute or "app")
    if not isinstance(app, func.FunctionApp):
        raise TypeError(f"{spec} is not a func.FunctionApp")
    startup = getattr(module, "startup", None)
    closer = getattr(module, "aclose", None)
    return app, startup if callable(startup) else None, closer if callable(closer) else None


async def _serve(args: argparse.Namespace) -> int:
    app, startup, aclose = _load_app(args.app)
    if startup is not None:
        await startup()  # invalid settings stop start-up here, with the message naming them
    devhost = DevHost(app, host=args.host, port=args.port, app_root=Path.cwd())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await devhost.start()
    print(READY_LINE.format(url=devhost.messages_url), flush=True)
    served = ", ".join(
        [f"{r.template} ({r.function_name})" for r in devhost.routes]
        + [f"queue {w.queue_name} ({w.name})" for w in devhost.queue_workers]
        + [f"timer {w.schedule_text} ({w.name})" for w in devhost.timer_workers]
    )
    _log.info("serving %s", served or "no functions")
    await stop.wait()
    _log.info("stopping")
    await devhost.stop()
    if aclose is not None:
        await aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.devhost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3978, help="port (default 3978; 0 picks a free one)")
    parser.add_argument("--app", default="function_app:app", help="module:attribute of the func.FunctionApp")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False
    try:
        return asyncio.run(_serve(args))
    except (ValueError, TypeError, ImportError, OSError) as error:
        print(f"dev host: {error}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
