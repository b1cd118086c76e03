"""How the Playground is started, and the client for its HTTP API against a small stand-in server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tools import playground
from tools.playground import BOT_ID, PlaygroundClient


def test_spec_runs_the_playground_in_teams_mode_against_the_bot(tmp_path: Path) -> None:
    spec = playground.spec(
        "http://127.0.0.1:3978/api/messages", port=56150, workdir=tmp_path / "run", environ={"PATH": "/usr/bin"}
    )

    assert spec.argv[1:] == [
        "-e", "http://127.0.0.1:3978/api/messages", "-c", "msteams", "-p", "56150", "--disable-telemetry",
    ]  # fmt: skip
    assert spec.cwd == tmp_path / "run"  # its devTools/ log lands there
    assert spec.cwd.is_dir()
    assert spec.env is not None
    assert spec.env["TEAMSAPPTESTER_BROWSER"] == "none"
    assert spec.env["PATH"] == "/usr/bin"


def test_spec_lets_it_open_a_browser_when_asked(tmp_path: Path) -> None:
    spec = playground.spec("http://127.0.0.1:3978/api/messages", workdir=tmp_path, environ={}, open_browser=True)

    assert spec.env is not None
    assert "TEAMSAPPTESTER_BROWSER" not in spec.env


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_has_display(environ: dict[str, str], platform: str, expected: bool) -> None:
    assert playground.has_display(environ, platform) is expected


def test_listening_port_is_read_from_the_ready_line() -> None:
    match = re.search(playground.LISTENING_PATTERN, "Listening on 41234")
    assert match is not None
    assert playground.listening_port([match]) == 41234


class FakePlayground:
    """Just enough of the Playground's API: it records messages and 'the bot' echoes mentioned ones."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.sockets: list[web.WebSocketResponse] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/_internal/v1/config", self.config)
        app.router.add_post("/_conversation/v1/conversations/{id}/messages", self.message)
        app.router.add_get("/_ws_conversation/v1/conversations/stream", self.stream)
        return app

    async def config(self, _request: web.Request) -> web.Response:
        return web.json_response({"config": {"personalChat": {"id": "personal-1"}, "bot": {"id": BOT_ID}}})

    async def message(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        conversation = request.match_info["id"]
        if conversation == "team-id":
            conversation = "team-id;messageid=7"
            if not body.get("mentions"):
                return web.json_response({"messageId": "7", "postConversationId": conversation})
        frame = {
            "action": "createMessage",
            "actionConversationId": conversation,
            "message": {"messageId": "8", "from": {"id": BOT_ID}, "text": f"echo: {body['text']}"},
        }
        for socket in self.sockets:
            await socket.send_json({"action": "log", "message": "not a bot message"})
            await socket.send_json(frame)
        reply: dict[str, Any] = {"messageId": "7"}
        if conversation.startswith("team-id;"):
            reply["postConversationId"] = conversation
        return web.json_response(reply)

    async def stream(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        async for _ in socket:
            pass
        return socket


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakePlayground, str]]:
    server = FakePlayground()
    runner = web.AppRunner(server.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(fake: tuple[FakePlayground, str]) -> AsyncIterator[PlaygroundClient]:
    async with aiohttp.ClientSession() as session:
        yield PlaygroundClient(fake[1], session)


async def test_send_posts_plain_text_as_the_current_user(
    fake: tuple[FakePlayground, str], client: PlaygroundClient
) -> None:
    chat = await client.personal_chat_id()
    async with client.stream() as stream:
        sent = await client.send(chat, "help")
        reply = await stream.next_message(sent.conversation_id, within=30)

    assert fake[0].received == [{"text": "help", "textFormat": "plain", "from": {"id": "user-id-0"}}]
    assert reply.text == "echo: help"
    assert reply.conversation_id == "personal-1"
    assert len(stream.received) == 1  # the log frame is not a bot message


async def test_a_mention_is_sent_the_way_the_page_sends_it(
    fake: tuple[FakePlayground, str], client: PlaygroundClient
) -> None:
    async with client.stream() as stream:
        sent = await client.send("team-id", "help", mention_bot=True)
        reply = await stream.next_message(sent.conversation_id, within=30)

    (body,) = fake[0].received
    assert body["text"] == "<at>Test Bot</at> help"
    assert body["mentions"] == [{"mentioned": {"id": BOT_ID}, "text": "<at>Test Bot</at>"}]
    assert sent.conversation_id == "team-id;messageid=7"
    assert reply.conversation_id == sent.conversation_id


async def test_waiting_for_a_message_that_never_comes_times_out(client: PlaygroundClient) -> None:
    async with client.stream() as stream:
        sent = await client.send("team-id", "help")  # no mention: the fake bot stays silent
        with pytest.raises(TimeoutError):
            await stream.next_message(sent.conversation_id, within=0.3)
        await stream.assert_silent(sent.conversation_id, within=0.1)


async def test_assert_silent_fails_when_the_bot_spoke(client: PlaygroundClient) -> None:
    async with client.stream() as stream:
        sent = await client.send("personal-1", "hello")
        await stream.next_message(sent.conversation_id, within=30)
        with pytest.raises(AssertionError, match="echo: hello"):
            await stream.assert_silent(sent.conversation_id, within=0.05)


async def test_wait_for_sees_messages_received_before_the_call(client: PlaygroundClient) -> None:
    async with client.stream() as stream:
        await client.send("personal-1", "early")
        while not stream.received:  # noqa: ASYNC110 - the stream's reader fills it; wait until it has
            await asyncio.sleep(0.01)
        # Already received: found at once, without waiting (a wait would need the loop, and time out).
        message = await stream.wait_for(lambda m: m.text == "echo: early", within=0.01)

    assert message.message_id == "8"


async def test_an_error_status_is_raised_with_the_path(client: PlaygroundClient) -> None:
    with pytest.raises(RuntimeError, match=r"POST /_internal/v1/customActivities answered 404"):
        await client.send_activity({"type": "message"})
