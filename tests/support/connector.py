"""A local stand-in for the Bot Connector service: records what the bot sends.

The Bot Connector (``serviceUrl`` of an activity) is the true external boundary of
the bot's outgoing traffic. :class:`ConnectorStandIn` serves the few Bot Framework
REST routes the bot uses on ``127.0.0.1`` (an ephemeral port), in a background
thread with its own event loop, so it works with bots running in the test's event
loop, in another thread, or in a subprocess (the dev host)::

    with ConnectorStandIn() as connector:
        activity["serviceUrl"] = connector.service_url
        ...  # drive the bot
        [reply] = await connector.wait_for_async(1)   # or connector.wait_for(1, within=5) in sync code
        assert reply.body["text"].startswith("Here is what I can do")

Recorded routes (``{cid}`` conversation id, ``{aid}`` activity id):

- ``POST /v3/conversations/{cid}/activities``         -> kind ``send``
- ``POST /v3/conversations/{cid}/activities/{aid}``   -> kind ``reply`` (``reply_to_id`` = aid)
- ``PUT /v3/conversations/{cid}/activities/{aid}``    -> kind ``update``
- ``DELETE /v3/conversations/{cid}/activities/{aid}`` -> kind ``delete``
- ``POST /v3/conversations``                          -> kind ``create_conversation``

Anything else is answered 404 and recorded with kind ``unknown``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

__all__ = ["TEST_BOT_ID", "TEST_TENANT_ID", "ConnectorStandIn", "RecordedCall", "teams_activity"]

_ACTIVITY_KINDS = frozenset({"send", "reply"})


@dataclass(frozen=True)
class RecordedCall:
    """One request the bot made to the connector stand-in."""

    kind: str  # send | reply | update | delete | create_conversation | unknown
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None  # the replied-to, updated or deleted activity id
    body: dict[str, Any] | None
    authorization: str | None = field(default=None, repr=False)
    received_at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str | None:
        """The ``text`` of the sent activity, if any."""
        return (self.body or {}).get("text")

    @property
    def is_activity(self) -> bool:
        """True for activities posted to a conversation (a send or a reply)."""
        return self.kind in _ACTIVITY_KINDS


class ConnectorStandIn:
    """A Bot Connector service on loopback that records every call; start it with ``with`` or :meth:`start`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._calls: list[RecordedCall] = []
        self._condition = threading.Condition()
        self._failure_status: int | None = None
        self._failures_left = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> ConnectorStandIn:
        """Bind an ephemeral loopback port and serve in a background thread."""
        if self._thread is not None:
            return self
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((self._host, 0))
        self._thread = threading.Thread(target=self._serve, name="connector-stand-in", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout=10):
            raise RuntimeError("the connector stand-in did not start in time")
        if self._start_error is not None:
            raise RuntimeError("the connector stand-in failed to start") from self._start_error
        return self

    def stop(self) -> None:
        """Stop serving and join the background thread."""
        if self._loop is None or self._thread is None:
            return
        loop = self._loop
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> ConnectorStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the connector stand-in is not started")
        return int(self._socket.getsockname()[1])

    @property
    def service_url(self) -> str:
        """The ``serviceUrl`` to put on activities (ends with ``/``, like the real ones)."""
        return f"http://{self._host}:{self.port}/"

    # ----------------------------------------------------------------- inspection
    @property
    def calls(self) -> list[RecordedCall]:
        """Every call recorded so far, oldest first."""
        with self._condition:
            return list(self._calls)

    @property
    def activities(self) -> list[RecordedCall]:
        """Activities posted to conversations (sends and replies), oldest first."""
        return [call for call in self.calls if call.is_activity]

    def clear(self) -> None:
        """Forget every recorded call."""
        with self._condition:
            self._calls.clear()

    def fail_with(self, status: int | None, *, count: int | None = None) -> None:
        """Answer the next ``count`` calls (default: all following calls) with ``status`` (e.g. 503).

        ``fail_with(None)`` restores normal answers.
        """
        with self._condition:
            self._failure_status = status
            self._failures_left = -1 if count is None else count

    def wait_for(self, count: int, *, within: float = 10.0, kind: str | None = None) -> list[RecordedCall]:
        """Block until at least ``count`` activities (or calls of ``kind``) were received, at most ``within`` s.

        Raises :class:`TimeoutError` naming what arrived, so a failing test says why.
        """
        deadline = time.monotonic() + within
        with self._condition:
            while True:
                matching = self._matching(kind)
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = [(c.kind, c.path) for c in self._calls]
                    raise TimeoutError(f"expected {count} {kind or 'activities'}, got {len(matching)}: {summary}")
                self._condition.wait(remaining)

    async def wait_for_async(
        self, count: int, *, within: float = 10.0, kind: str | None = None
    ) -> list[RecordedCall]:
        """:meth:`wait_for` without blocking the caller's event loop."""
        return await asyncio.to_thread(self.wait_for, count, within=within, kind=kind)

    def _matching(self, kind: str | None) -> list[RecordedCall]:
        if kind is None:
            return [c for c in self._calls if c.is_activity]
        return [c for c in self._calls if c.kind == kind]

    # ----------------------------------------------------------------- server
    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as error:  # reported to start()
            self._start_error = error
            self._started.set()
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        assert self._socket is not None
        await web.SockSite(self._runner, self._socket).start()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body: dict[str, Any] | None = None
        if raw:
            try:
                parsed = json.loads(raw)
                body = parsed if isinstance(parsed, dict) else {"_": parsed}
            except ValueError:
                body = {"_raw": raw.decode("utf-8", "replace")}
        kind, conversation_id, activity_id = _classify(request.method, request.rel_url.raw_path)
        call = RecordedCall(
            kind=kind,
            method=request.method,
            path=request.path,
            conversation_id=conversation_id,
            activity_id=activity_id,
            body=body,
            authorization=request.headers.get("Authorization"),
        )
        with self._condition:
            self._calls.append(call)
            self._condition.notify_all()
            failure = self._failure_status if self._failures_left != 0 else None
            if failure is not None and self._failures_left > 0:
                self._failures_left -= 1
        if failure is not None:
            return web.json_response({"error": {"code": "ServiceError", "message": "stand-in failure"}}, status=failure)
        if kind == "unknown":
            return web.json_response({"error": {"code": "NotFound", "message": "no such route"}}, status=404)
        if kind == "delete":
            return web.Response(status=200)
        if kind == "create_conversation":
            return web.json_response(
                {"id": f"conversation-{uuid.uuid4().hex[:8]}", "activityId": uuid.uuid4().hex, "serviceUrl": ""},
                status=201,
            )
        return web.json_response({"id": activity_id if kind == "update" else uuid.uuid4().hex}, status=200)


def _classify(method: str, raw_path: str) -> tuple[str, str | None, str | None]:
    """Map a request onto (kind, conversation id, activity id); ``raw_path`` segments are decoded one by one."""
    parts = [unquote(p) for p in raw_path.split("/") if p]
    if parts[:2] != ["v3", "conversations"]:
        return "unknown", None, None
    if len(parts) == 2 and method == "POST":
        return "create_conversation", None, None
    if len(parts) >= 4 and parts[3] == "activities":
        conversation_id = parts[2]
        if len(parts) == 4 and method == "POST":
            return "send", conversation_id, None
        if len(parts) == 5:
            activity_id = parts[4]
            kind = {"POST": "reply", "PUT": "update", "DELETE": "delete"}.get(method, "unknown")
            return kind, conversation_id, activity_id
    return "unknown", parts[2] if len(parts) > 2 else None, None


@contextlib.contextmanager
def running_connector() -> Iterator[ConnectorStandIn]:
    """Context manager form for fixtures: ``with running_connector() as connector: ...``."""
    connector = ConnectorStandIn().start()
    try:
        yield connector
    finally:
        connector.stop()


# --------------------------------------------------------------------------- activities
# The Bot Connector also delivers activities *to* the bot; these build them as Teams would.

TEST_TENANT_ID = "00000000-0000-0000-0000-0000000000001"  # the Agents Playground's mock tenant
TEST_BOT_ID = "28:00000000-0000-0000-0000-00000000000011"
TEST_BOT_NAME = "Switchboard"
_CONVERSATION_IDS = {
    "personal": "a:1personal-chat-with-alex",
    "groupChat": "19:group-chat-1@thread.v2",
    "channel": "19:general-channel@thread.tacv2",
}


def teams_activity(
    activity_type: str = "message",
    *,
    text: str | None = None,
    service_url: str = "https://smba.trafficmanager.net/teams/",
    conversation_type: str = "personal",
    conversation_id: str | None = None,
    tenant_id: str | None = TEST_TENANT_ID,
    bot_id: str = TEST_BOT_ID,
    bot_name: str = TEST_BOT_NAME,
    user_id: str = "29:user-alex",
    user_aad_object_id: str = "00000000-0000-0000-0000-0000000000020",
    mention_bot: bool = False,
    activity_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A Teams activity as JSON (camelCase), as the channel would POST it to ``/api/messages``.

    ``mention_bot`` prefixes the text with ``<at>Switchboard</at>`` and adds the mention entity.
    Extra ``fields`` (e.g. ``membersAdded``, ``action``, ``name``, ``value``) are merged in.
    """
    team = {"id": "19:team-general@thread.tacv2", "name": "Platform"}
    channel_data: dict[str, Any] = {}
    if tenant_id is not None:
        channel_data["tenant"] = {"id": tenant_id}
    if conversation_type == "channel":
        channel_data.update({"team": team, "channel": {"id": conversation_id or _CONVERSATION_IDS["channel"]}})
    activity: dict[str, Any] = {
        "type": activity_type,
        "id": activity_id or uuid.uuid4().hex,
        "timestamp": "2026-11-26T10:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user_id, "name": "Alex Wilber", "aadObjectId": user_aad_object_id},
        "recipient": {"id": bot_id, "name": bot_name},
        "conversation": {
            "id": conversation_id or _CONVERSATION_IDS.get(conversation_type, "a:1conversation"),
            "conversationType": conversation_type,
            "isGroup": conversation_type != "personal",
            **({"tenantId": tenant_id} if tenant_id is not None else {}),
        },
        "channelData": channel_data,
    }
    if text is not None or mention_bot:
        markup = f"<at>{bot_name}</at>"
        activity["text"] = f"{markup} {text or ''}".rstrip() if mention_bot else text
        activity["textFormat"] = "plain"
    if mention_bot:
        activity["entities"] = [
            {"type": "mention", "mentioned": {"id": bot_id, "name": bot_name}, "text": f"<at>{bot_name}</at>"}
        ]
    activity.update(fields)
    return activity
