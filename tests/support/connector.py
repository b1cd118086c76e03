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

Answers are shaped as real connectors shape them, so every test that sends through the stand-in
exercises them. ``ConnectorStandIn(style=...)``:

- ``"mixed"`` (default): each kind of call cycles through the shapes real connectors give, in a
  fixed order (so a test is reproducible): sends and replies get the Agents Playground's ``202``
  with no body and no content type, then Bot Service's ``200`` + ``{"id"}``, ``201`` + ``{"id"}``,
  ``200`` + ``{"id"}`` without a content type, ``200`` with no body; updates ``200`` + ``{"id"}``,
  ``204``, ``202`` empty, ``200`` empty; deletes ``200``, ``204``, ``202``; conversations created
  ``201`` then ``200`` (always with their JSON body);
- ``"bot_service"``: always Bot Service's JSON answers (``200`` + ``{"id"}``, ``201`` on create).

A test scripts the next answers with :meth:`ConnectorStandIn.answer_next` (e.g. a 429 with
``Retry-After`` and then the normal answer); :meth:`ConnectorStandIn.fail_with` answers every
following call with one status. Each :class:`RecordedCall` carries the ``status`` it was answered
with; :attr:`ConnectorStandIn.delivered` lists the activities that were accepted (2xx).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote

from aiohttp import web

__all__ = [
    "TEST_BOT_ID",
    "TEST_TENANT_ID",
    "Answer",
    "AnswerStyle",
    "ConnectorStandIn",
    "RecordedCall",
    "teams_activity",
    "teams_error",
]

_ACTIVITY_KINDS = frozenset({"send", "reply"})
_NO_CONTENT_TYPE = web.ResponseKey("no-content-type", bool)  # drop the Content-Type header aiohttp adds

AnswerStyle = Literal["mixed", "bot_service"]


@dataclass(frozen=True)
class Answer:
    """One answer of the stand-in: ``body`` is a JSON value, raw bytes, or ``None`` (no body).

    ``content_type=None`` sends no ``Content-Type`` header at all (with or without a body).
    ``{"id"}`` in a JSON body is filled in by the stand-in when ``with_id`` is set.
    """

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = "application/json; charset=utf-8"
    with_id: bool = False


def teams_error(code: str, message: str = "") -> dict[str, Any]:
    """The error body Teams sends, e.g. ``teams_error("BotNotInConversationRoster")``."""
    return {"error": {"code": code, "message": message or f"{code} (connector stand-in)"}}


_ID = Answer(200, with_id=True)
_SHAPES: dict[str, tuple[Answer, ...]] = {
    "activity": (
        Answer(202, content_type=None),  # the Agents Playground
        _ID,  # Bot Service
        Answer(201, with_id=True),
        Answer(200, with_id=True, content_type=None),
        Answer(200, content_type=None),
    ),
    "update": (_ID, Answer(204, content_type=None), Answer(202, content_type=None), Answer(200, content_type=None)),
    "delete": (Answer(200, content_type=None), Answer(204, content_type=None), Answer(202, content_type=None)),
    "create_conversation": (Answer(201, with_id=True), Answer(200, with_id=True)),
}
_BOT_SERVICE: dict[str, tuple[Answer, ...]] = {
    "activity": (_ID,),
    "update": (_ID,),
    "delete": (Answer(200, content_type=None),),
    "create_conversation": (Answer(201, with_id=True),),
}


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
    status: int = 0  # the HTTP status the stand-in answered with

    @property
    def accepted(self) -> bool:
        """True when the stand-in answered 2xx (the connector took the call)."""
        return 200 <= self.status < 300

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

    def __init__(self, host: str = "127.0.0.1", *, style: AnswerStyle = "mixed") -> None:
        self._host = host
        self._shapes = _SHAPES
        self._served: dict[str, int] = {}  # answers given so far per shape group (the rotation)
        self._scripted: deque[tuple[str | None, Answer]] = deque()
        self._calls: list[RecordedCall] = []
        self._condition = threading.Condition()
        self._failure_status: int | None = None
        self._failures_left = 0
        self.use_style(style)
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

    @property
    def delivered(self) -> list[RecordedCall]:
        """Activities the stand-in accepted (answered 2xx), oldest first: what a user would see."""
        return [call for call in self.activities if call.accepted]

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

    def use_style(self, style: AnswerStyle) -> None:
        """Answer the following calls in ``style`` (``"mixed"`` or ``"bot_service"``)."""
        if style not in ("mixed", "bot_service"):
            raise ValueError(f"unknown answer style {style!r}")
        with self._condition:
            self._shapes = _SHAPES if style == "mixed" else _BOT_SERVICE

    def answer_next(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json; charset=utf-8",
        kind: str | None = None,
        count: int = 1,
    ) -> None:
        """Script the answer to the next ``count`` calls (of ``kind``, if given), before any other rule.

        ``body``: a JSON value, raw bytes, or ``None`` for no body; ``content_type=None`` sends no
        ``Content-Type``. E.g. ``answer_next(429, teams_error("Throttled"), headers={"Retry-After": "0"})``
        and the call after it gets the normal answer. Scripted answers queue up in order.
        """
        answer = Answer(status, body, tuple((headers or {}).items()), content_type)
        with self._condition:
            self._scripted.extend([(kind, answer)] * count)

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
        app = self._startup_app()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        assert self._socket is not None
        await web.SockSite(self._runner, self._socket).start()

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _startup_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        app.on_response_prepare.append(_drop_content_type)
        return app

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
        with self._condition:
            answer = self._answer_for(kind)
            call = RecordedCall(
                kind=kind,
                method=request.method,
                path=request.path,
                conversation_id=conversation_id,
                activity_id=activity_id,
                body=body,
                authorization=request.headers.get("Authorization"),
                status=answer.status,
            )
            self._calls.append(call)
            self._condition.notify_all()
        return _response(answer, kind, activity_id)

    def _answer_for(self, kind: str) -> Answer:
        """The answer to a call of ``kind`` (called with the condition held): scripted, failure, or style."""
        for index, (wanted, answer) in enumerate(self._scripted):
            if wanted is None or wanted == kind:
                del self._scripted[index]
                return answer
        if self._failures_left != 0 and self._failure_status is not None:
            if self._failures_left > 0:
                self._failures_left -= 1
            return Answer(self._failure_status, teams_error("ServiceError", "stand-in failure"))
        if kind == "unknown":
            return Answer(404, teams_error("NotFound", "no such route"))
        group = "activity" if kind in _ACTIVITY_KINDS else kind
        shapes = self._shapes[group]
        served = self._served.get(group, 0)
        self._served[group] = served + 1
        return shapes[served % len(shapes)]


def _response(answer: Answer, kind: str, activity_id: str | None) -> web.Response:
    body = answer.body
    if answer.with_id:
        if kind == "create_conversation":
            body = {"id": f"conversation-{uuid.uuid4().hex[:8]}", "activityId": uuid.uuid4().hex, "serviceUrl": ""}
        else:
            body = {"id": activity_id if kind == "update" and activity_id else uuid.uuid4().hex}
    if body is None:
        raw = None
    elif isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    response = web.Response(status=answer.status, body=raw)
    for name, value in answer.headers:
        response.headers[name] = value
    if answer.content_type is None:
        response[_NO_CONTENT_TYPE] = True
    elif raw is not None:
        response.headers["Content-Type"] = answer.content_type
    return response


async def _drop_content_type(request: web.Request, response: web.StreamResponse) -> None:
    """aiohttp adds ``application/octet-stream`` to any body; some connectors send no content type."""
    if response.get(_NO_CONTENT_TYPE):
        response.headers.pop("Content-Type", None)


def _classify(method: str, raw_path: str) -> tuple[str, str | None, str | None]:
    """Map a request onto (kind, conversation id, activity id); ``raw_path`` segments are decoded one by one.

    A path before ``/v3/`` is ignored: Teams service URLs carry one (``https://smba.trafficmanager.net/amer/``).
    """
    parts = [unquote(p) for p in raw_path.split("/") if p]
    for start in range(len(parts) - 1):
        if parts[start : start + 2] == ["v3", "conversations"]:
            parts = parts[start:]
            break
    else:
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
