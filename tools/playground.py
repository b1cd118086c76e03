"""The Microsoft 365 Agents Playground: how to run it, and a client for its own HTTP API.

The Playground (npm ``@microsoft/m365agentsplayground``) is a Teams-like web page plus a stand-in
Bot Connector. Its page talks to its server over a small HTTP API and a WebSocket; the same API
lets ``make run --check`` and the end-to-end tests chat with the bot without a browser:

* ``GET /_internal/v1/config``: the mock tenant, bot, users, chats and teams;
* ``POST /_conversation/v1/conversations/{id}/messages``: the current user sends a message;
* ``GET /_internal/v1/customActivities/template`` and ``POST /_internal/v1/customActivities``: any activity;
* WebSocket ``/_ws_conversation/v1/conversations/stream``: what the bot sends, as
  ``{"action": "createMessage", "actionConversationId": ..., "message": {...}}``.

In channels and group chats the Playground only forwards messages that @mention the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from tools.processes import ProcessSpec

__all__ = [
    "BOT_ID",
    "BOT_NAME",
    "CURRENT_USER_ID",
    "DEFAULT_PORT",
    "GENERAL_CHANNEL_ID",
    "PLAYGROUND_BIN",
    "TEAM_ID",
    "TENANT_ID",
    "BotMessage",
    "MessageStream",
    "PlaygroundClient",
    "PlaygroundSocketClosing",
    "SentMessage",
    "has_display",
    "listening_port",
    "spec",
]

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND_BIN = ROOT / "node_modules" / ".bin" / "agentsplayground"
DEFAULT_PORT = 56150

# The Playground's mock identities (its default configuration).
TENANT_ID = "00000000-0000-0000-0000-0000000000001"
BOT_ID = "00000000-0000-0000-0000-00000000000011"
BOT_NAME = "Test Bot"
CURRENT_USER_ID = "user-id-0"
TEAM_ID = "team-id"
GENERAL_CHANNEL_ID = "team-id"  # the General channel's id is the team id, as in Teams

LISTENING_PATTERN = r"Listening on (\d+)"


def has_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether a browser window could open: always on macOS/Windows, with DISPLAY/WAYLAND_DISPLAY elsewhere."""
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system.startswith(("darwin", "win")):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def spec(
    bot_endpoint: str,
    *,
    port: int = DEFAULT_PORT,
    workdir: Path,
    environ: Mapping[str, str] | None = None,
    open_browser: bool = False,
    timeout: float = 30.0,
    log_path: Path | None = None,
    echo: Callable[[str, str], None] | None = None,
) -> ProcessSpec:
    """How to run the Playground in Teams mode against ``bot_endpoint`` (``.../api/messages``).

    It writes its ``devTools/`` log into ``workdir``. When ``port`` is taken it silently listens on
    a random port instead: read the real one from ``ready_matches[0]`` (see :func:`listening_port`).
    """
    if not PLAYGROUND_BIN.exists():
        raise RuntimeError(f"The Agents Playground is not installed ({PLAYGROUND_BIN} missing): run `npm ci` in {ROOT}")
    env = dict(os.environ if environ is None else environ)
    if not open_browser:
        env["TEAMSAPPTESTER_BROWSER"] = "none"
    workdir.mkdir(parents=True, exist_ok=True)
    return ProcessSpec(
        name="playground",
        argv=[
            str(PLAYGROUND_BIN),
            "-e", bot_endpoint,
            "-c", "msteams",
            "-p", str(port),
            "--disable-telemetry",
        ],
        cwd=workdir,
        env=env,
        ready_pattern=LISTENING_PATTERN,
        ready_timeout=timeout,
        log_path=log_path,
        echo=echo,
    )


def listening_port(ready_matches: list[Any]) -> int:
    """The port from the Playground's ``Listening on N`` line."""
    return int(ready_matches[0].group(1))




class PlaygroundSocketClosing(RuntimeError):
    """The Playground answered 500 ``WebSocketError``: its socket to a page that just closed is closing."""

@dataclass(frozen=True)
class SentMessage:
    """What the Playground answered to a message the current user sent.

    ``conversation_id`` is where replies arrive: in a channel each new post starts a thread whose
    conversation id is ``<channel>;messageid=<id>``.
    """

    message_id: str
    conversation_id: str


@dataclass(frozen=True)
class BotMessage:
    """A message (or an update of one) the bot sent, as the Playground's stream reports it."""

    action: str
    conversation_id: str
    message: dict[str, Any] = field(repr=False)

    @property
    def text(self) -> str:
        return str(self.message.get("text") or "")

    @property
    def attachments(self) -> list[dict[str, Any]]:
        return list(self.message.get("attachments") or [])

    @property
    def message_id(self) -> str:
        return str(self.message.get("messageId", ""))


class MessageStream:
    """Bot messages from the Playground's WebSocket, collected in the background while open."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._websocket = websocket
        self._received: list[BotMessage] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @property
    def received(self) -> tuple[BotMessage, ...]:
        """Everything the bot sent since the stream opened, in order."""
        return tuple(self._received)

    def in_conversation(self, conversation_id: str, action: str | None = "createMessage") -> list[BotMessage]:
        """Bot messages received so far in one conversation (``action=None``: creates and updates)."""
        return [
            message
            for message in self._received
            if message.conversation_id == conversation_id and (action is None or message.action == action)
        ]

    async def next_message(
        self,
        conversation_id: str,
        *,
        within: float = 15.0,
        after: int = 0,
        action: str | None = "createMessage",
    ) -> BotMessage:
        """Wait up to ``within`` seconds for the bot's ``after``-th (0-based) message in a conversation.

        Raises TimeoutError when it does not come.
        """

        def ready() -> bool:
            return len(self.in_conversation(conversation_id, action)) > after

        await self._wait(ready, within)
        return self.in_conversation(conversation_id, action)[after]

    async def wait_for(self, predicate: Callable[[BotMessage], bool], *, within: float = 15.0) -> BotMessage:
        """Wait up to ``within`` seconds for a bot message matching ``predicate`` (already received counts)."""

        def ready() -> bool:
            return any(predicate(message) for message in self._received)

        await self._wait(ready, within)
        return next(message for message in self._received if predicate(message))

    async def _wait(self, ready: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(ready)

    async def assert_silent(self, conversation_id: str, *, within: float = 3.0) -> None:
        """Wait ``within`` seconds and raise AssertionError if the bot sent anything to the conversation."""
        await asyncio.sleep(within)
        messages = self.in_conversation(conversation_id, action=None)
        if messages:
            raise AssertionError(f"expected no bot message in {conversation_id}, got {[m.text for m in messages]}")

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._websocket.close()

    async def _read(self) -> None:
        async for frame in self._websocket:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = frame.json()
            if not isinstance(data, dict) or not isinstance(data.get("message"), dict):
                continue
            message = BotMessage(
                action=str(data.get("action", "")),
                conversation_id=str(data.get("actionConversationId", "")),
                message=data["message"],
            )
            async with self._changed:
                self._received.append(message)
                self._changed.notify_all()


class PlaygroundClient:
    """Chat with the bot through the Playground's HTTP API, as its web page does."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def config(self) -> dict[str, Any]:
        """The mock tenant, bot, current user, users, personal chat, group chats and teams."""
        body = await self._request("GET", "/_internal/v1/config")
        return dict(body["config"])

    async def personal_chat_id(self) -> str:
        return str((await self.config())["personalChat"]["id"])

    async def send(self, conversation_id: str, text: str, *, mention_bot: bool = False) -> SentMessage:
        """Send ``text`` as the current user. With ``mention_bot`` the text starts with an @mention of the bot."""
        payload: dict[str, Any] = {"text": text, "textFormat": "plain", "from": {"id": CURRENT_USER_ID}}
        if mention_bot:
            mention = f"<at>{BOT_NAME}</at>"
            payload["text"] = f"{mention} {text}"
            payload["mentions"] = [{"mentioned": {"id": BOT_ID}, "text": mention}]
        body = await self._request("POST", f"/_conversation/v1/conversations/{conversation_id}/messages", payload)
        return SentMessage(
            message_id=str(body["messageId"]),
            conversation_id=str(body.get("postConversationId") or conversation_id),
        )

    async def activity_template(self, conversation_id: str) -> dict[str, Any]:
        """A ready-made activity addressed to the bot in a conversation; set ``type`` and the rest, then send it."""
        body = await self._request(
            "GET", "/_internal/v1/customActivities/template", params={"conversationId": conversation_id}
        )
        return dict(body)

    async def send_activity(self, activity: Mapping[str, Any]) -> None:
        """Deliver any activity to the bot (e.g. from another user, or a tenant that is not allowed)."""
        await self._request("POST", "/_internal/v1/customActivities", dict(activity))

    @contextlib.asynccontextmanager
    async def stream(self) -> AsyncIterator[MessageStream]:
        """Open the WebSocket that carries the bot's messages; open it before sending."""
        url = self.base_url.replace("http://", "ws://", 1) + "/_ws_conversation/v1/conversations/stream"
        websocket = await self._session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5), heartbeat=20)
        stream = MessageStream(websocket)
        try:
            yield stream
        finally:
            await stream.close()

    async def _request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        if method != "GET":
            return await self._request_once(method, path, payload, params)
        # A read is retried while the Playground answers 500 "WebSocketError": its socket to a page that
        # just closed is still closing (seen between tests); nothing was changed, so reading again is safe.
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(PlaygroundSocketClosing), stop=stop_after_attempt(5),
            wait=wait_exponential(multiplier=0.2, max=2), reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._request_once(method, path, payload, params)
        raise AssertionError("unreachable: the last attempt re-raises")

    async def _request_once(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        params: Mapping[str, str] | None,
    ) -> Any:
        async with self._session.request(
            method, self.base_url + path, json=payload, params=params, timeout=self._timeout
        ) as response:
            text = await response.text()
            if response.status == 500 and '"WebSocketError"' in text:
                raise PlaygroundSocketClosing(f"Playground {method} {path} answered 500: {text[:500]}")
            if response.status >= 400:
                raise RuntimeError(f"Playground {method} {path} answered {response.status}: {text[:500]}")
            return await response.json(content_type=None) if text else {}
