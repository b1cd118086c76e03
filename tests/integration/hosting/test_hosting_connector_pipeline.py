"""Bot Connector calls on the event loop (bot.connector_pipeline): headers, retries, errors, no worker threads."""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AppCredentials, MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.connector_errors import (
    BotNotInConversation,
    ConnectorError,
    ConnectorThrottled,
    ConversationBlocked,
    ConversationNotFound,
    MessageTooLarge,
)
from bot.connector_pipeline import ConnectorSession, RetrySettings, retry_after_seconds, use_aiohttp
from storage import http_env_settings_present
from tests.support.connector import ConnectorStandIn, teams_activity, teams_error
from tests.support.hosted_app import HostedApp

FAST_RETRY = RetrySettings(retries=3, backoff_factor=0.01)


class CountingExecutor(ThreadPoolExecutor):
    """A default executor that counts the work handed to it (and still runs it)."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


class StaticTokenCredentials(AppCredentials):
    """App credentials with a fixed access token (no Entra)."""

    def __init__(self) -> None:
        super().__init__(app_id="3f2504e0-4f89-11d3-9a0c-0305e82c3301")

    def get_access_token(self, force_refresh: bool = False) -> str:
        return "token-for-the-connector"


@pytest.fixture
async def session() -> AsyncIterator[ConnectorSession]:
    connector_session = ConnectorSession(FAST_RETRY)
    yield connector_session
    await connector_session.close()


def client_for(
    service_url: str, session: ConnectorSession, credentials: AppCredentials | None = None
) -> ConnectorClient:
    client = ConnectorClient(credentials or MicrosoftAppCredentials(None, None), base_url=service_url)
    use_aiohttp(client, session)
    return client


def reply() -> Activity:
    return Activity(
        type=ActivityTypes.message,
        text="hello",
        from_property=ChannelAccount(id="bot"),
        recipient=ChannelAccount(id="user"),
        conversation=ConversationAccount(id="a:conversation"),
        reply_to_id="activity-1",
    )


async def test_a_reply_carries_the_credentials_token(
    connector: ConnectorStandIn, session: ConnectorSession
) -> None:
    connector.use_style("bot_service")  # an answer with the new activity's id
    client = client_for(connector.service_url, session, StaticTokenCredentials())
    response = await client.conversations.reply_to_activity("a:conversation", "activity-1", reply())
    assert response.id
    [call] = await connector.wait_for_async(1)
    assert call.kind == "reply"
    assert call.authorization == "Bearer token-for-the-connector"
    assert call.body is not None
    assert call.body["text"] == "hello"


async def test_anonymous_credentials_send_no_authorization(
    connector: ConnectorStandIn, session: ConnectorSession
) -> None:
    client = client_for(connector.service_url, session)
    await client.conversations.reply_to_activity("a:conversation", "activity-1", reply())
    [call] = await connector.wait_for_async(1)
    assert call.authorization is None


async def test_an_update_is_retried_after_a_503(connector: ConnectorStandIn, session: ConnectorSession) -> None:
    client = client_for(connector.service_url, session)
    connector.fail_with(503, count=1)
    await client.conversations.update_activity("a:conversation", "activity-1", reply())
    assert [call.kind for call in connector.calls] == ["update", "update"]


async def test_a_reply_is_never_sent_twice(connector: ConnectorStandIn, session: ConnectorSession) -> None:
    client = client_for(connector.service_url, session)
    connector.fail_with(503, count=1)
    with pytest.raises(ErrorResponseException):
        await client.conversations.reply_to_activity("a:conversation", "activity-1", reply())
    assert [call.kind for call in connector.calls] == ["reply"]


async def test_an_unreachable_connector_is_a_client_request_error(session: ConnectorSession, refused_port: int) -> None:
    client = client_for(f"http://127.0.0.1:{refused_port}/", session)
    with pytest.raises(ClientRequestError):
        await client.conversations.reply_to_activity("a:conversation", "activity-1", reply())


def test_backoff_grows_like_the_requests_sender() -> None:
    retry = RetrySettings()
    assert [retry.backoff(attempt) for attempt in (1, 2, 3)] == [0.0, 1.6, 3.2]


async def test_a_help_turn_hands_no_work_to_worker_threads(
    without_http_env_settings: None, hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    """The reply is sent on the event loop (no requests in a thread) and the state read needs no thread either."""
    assert not http_env_settings_present()
    await hosted.post_activity(teams_activity(text="help", service_url=connector.service_url))  # composes the app
    await connector.wait_for_async(1)
    executor = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    try:
        response = await hosted.post_activity(teams_activity(text="help", service_url=connector.service_url))
        submitted = executor.submitted  # before waiting: the stand-in's async wait uses a thread itself
        assert response.status_code == 200
        assert len(connector.wait_for(2, within=5)) == 2  # the reply was sent within the turn
        assert submitted == 0
    finally:
        executor.shutdown(wait=False)


async def test_a_reply_answered_202_with_an_empty_body_succeeds(session: ConnectorSession) -> None:
    """The Agents Playground answers replies ``202`` with no body: the send must not fail the turn."""
    from aiohttp import web

    async def accepted(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", accepted)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        client = client_for(f"http://127.0.0.1:{port}", session)
        response = await client.conversations.reply_to_activity("a:conversation", "activity-1", reply())
        assert response is None  # no id to report; botbuilder falls back to the activity's own id
    finally:
        await runner.cleanup()


# --------------------------------------------------------------------------- answer shapes
# Every shape a real connector answers a successful call with; each operation the bot uses:
# a reply, an update (PUT) and a send to a conversation (the proactive path).

Operation = Callable[[ConnectorClient], Awaitable[Any]]
OPERATIONS: dict[str, tuple[str, Operation]] = {
    "reply": ("reply", lambda c: c.conversations.reply_to_activity("a:conversation", "activity-1", reply())),
    "update": ("update", lambda c: c.conversations.update_activity("a:conversation", "activity-1", reply())),
    "send": ("send", lambda c: c.conversations.send_to_conversation("a:conversation", reply())),
}
JSON = "application/json; charset=utf-8"
SUCCESS_SHAPES: dict[str, tuple[int, Any, str | None, str | None]] = {
    # name: (status, body, content type, the id the caller gets)
    "200 with a body": (200, {"id": "new-1"}, JSON, "new-1"),
    "201 with a body": (201, {"id": "new-1"}, JSON, "new-1"),
    "200 with a body and no content type": (200, {"id": "new-1"}, None, "new-1"),
    "202 with a body declared as text": (202, b'{"id":"new-1"}', "text/plain", "new-1"),
    "200 empty": (200, None, None, None),
    "200 empty declared as JSON": (200, None, JSON, None),
    "202 empty (the Agents Playground)": (202, None, None, None),
    "204 No Content": (204, None, None, None),
    "200 with a body that is not JSON": (200, b"OK", "text/plain", None),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("shape", list(SUCCESS_SHAPES))
async def test_every_successful_answer_shape_succeeds(
    connector: ConnectorStandIn, session: ConnectorSession, operation: str, shape: str
) -> None:
    kind, call = OPERATIONS[operation]
    status, body, content_type, expected_id = SUCCESS_SHAPES[shape]
    connector.answer_next(status, body, content_type=content_type)
    response = await call(client_for(connector.service_url, session))
    assert (response.id if response is not None else None) == expected_id
    assert [(c.kind, c.status) for c in connector.calls] == [(kind, status)]


async def test_the_stand_in_sends_no_content_type_when_asked(connector: ConnectorStandIn) -> None:
    """The shapes above are what the client received (aiohttp would otherwise add a content type)."""
    connector.answer_next(200, {"id": "x"}, content_type=None)
    connector.answer_next(202, None, content_type=None)
    async with aiohttp.ClientSession() as http:
        for expected in (b'{"id": "x"}', b""):
            async with http.post(f"{connector.service_url}v3/conversations/c/activities/a", json={}) as answer:
                assert "Content-Type" not in answer.headers
                assert await answer.read() == expected


async def test_the_default_stand_in_answers_in_every_real_shape(connector: ConnectorStandIn) -> None:
    async with aiohttp.ClientSession() as http:
        shapes = set()
        for _ in range(5):
            async with http.post(f"{connector.service_url}v3/conversations/c/activities/a", json={}) as answer:
                shapes.add((answer.status, answer.headers.get("Content-Type"), bool(await answer.read())))
    assert shapes == {
        (202, None, False),
        (200, JSON, True),
        (201, JSON, True),
        (200, None, True),
        (200, None, False),
    }


# --------------------------------------------------------------------------- throttling and retries


def http_date(seconds_from_now: float) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("retry_after", ["0", "http-date in the past"])
async def test_a_429_with_retry_after_is_retried_and_the_message_delivered_once(
    connector: ConnectorStandIn, session: ConnectorSession, operation: str, retry_after: str
) -> None:
    kind, call = OPERATIONS[operation]
    value = http_date(-30) if retry_after.startswith("http-date") else retry_after
    connector.answer_next(429, teams_error("Throttled"), headers={"Retry-After": value})
    connector.answer_next(201, {"id": "new-1"})
    response = await call(client_for(connector.service_url, session))
    assert response.id == "new-1"
    assert [(c.kind, c.status) for c in connector.calls] == [(kind, 429), (kind, 201)]
    if kind != "update":
        assert len(connector.delivered) == 1


@pytest.mark.parametrize("retry_after", ["120", "http-date in an hour"])
async def test_a_retry_after_longer_than_a_turn_is_not_waited_for(
    connector: ConnectorStandIn, session: ConnectorSession, retry_after: str
) -> None:
    value = http_date(3600) if retry_after.startswith("http-date") else retry_after
    connector.answer_next(429, teams_error("Throttled"), headers={"Retry-After": value})
    with pytest.raises(ConnectorThrottled) as raised:
        await OPERATIONS["reply"][1](client_for(connector.service_url, session))
    assert raised.value.status == 429
    assert raised.value.code == "Throttled"
    expected = 120 if retry_after == "120" else 3600
    assert raised.value.retry_after is not None
    assert expected - 5 <= raised.value.retry_after <= expected
    assert len(connector.calls) == 1


async def test_throttling_that_outlasts_the_retries_is_a_typed_error(
    connector: ConnectorStandIn, session: ConnectorSession
) -> None:
    connector.answer_next(429, teams_error("Throttled"), count=10)  # no Retry-After: backoff
    with pytest.raises(ConnectorThrottled):
        await OPERATIONS["send"][1](client_for(connector.service_url, session))
    assert len(connector.calls) == 1 + FAST_RETRY.retries
    assert connector.delivered == []


async def test_retries_stop_when_the_total_wait_would_exceed_the_budget(connector: ConnectorStandIn) -> None:
    budget = ConnectorSession(RetrySettings(retries=5, backoff_factor=0.01, max_total_wait=0.025))
    try:
        connector.answer_next(429, count=10)  # waits 0.01 s, then 0.02 s would exceed 0.025 s in all
        with pytest.raises(ConnectorThrottled):
            await OPERATIONS["reply"][1](client_for(connector.service_url, budget))
    finally:
        await budget.close()
    assert len(connector.calls) == 2


async def test_an_update_answered_503_with_retry_after_is_retried(
    connector: ConnectorStandIn, session: ConnectorSession
) -> None:
    connector.answer_next(503, teams_error("ServiceUnavailable"), headers={"Retry-After": "0"})
    connector.answer_next(204, content_type=None)
    assert await OPERATIONS["update"][1](client_for(connector.service_url, session)) is None
    assert [(c.kind, c.status) for c in connector.calls] == [("update", 503), ("update", 204)]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_reply_answered_5xx_is_not_retried(
    connector: ConnectorStandIn, session: ConnectorSession, status: int
) -> None:
    """The reply may have been posted: it is never sent twice."""
    connector.answer_next(status, teams_error("ServiceError"), headers={"Retry-After": "0"})
    with pytest.raises(ConnectorError) as raised:
        await OPERATIONS["reply"][1](client_for(connector.service_url, session))
    assert raised.value.status == status
    assert [c.kind for c in connector.calls] == ["reply"]


async def test_a_turn_whose_reply_is_throttled_once_answers_the_user_once(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    connector.answer_next(429, teams_error("Throttled"), headers={"Retry-After": "0"}, kind="reply")
    response = await hosted.post_activity(teams_activity(text="help", service_url=connector.service_url))
    assert response.status_code == 200
    [delivered] = connector.delivered
    assert delivered.text is not None
    assert delivered.text.startswith("Here is what I can do:")
    assert [c.status for c in connector.activities] == [429, delivered.status]


# --------------------------------------------------------------------------- typed errors

ERRORS: dict[str, tuple[int, Any, type[ConnectorError], str | None]] = {
    "403 BotNotInConversationRoster": (
        403, teams_error("BotNotInConversationRoster"), BotNotInConversation, "BotNotInConversationRoster"
    ),
    "403 ConversationBlockedByUser": (
        403, teams_error("ConversationBlockedByUser"), ConversationBlocked, "ConversationBlockedByUser"
    ),
    "403 BotDisabledByAdmin": (403, teams_error("BotDisabledByAdmin"), ConversationBlocked, "BotDisabledByAdmin"),
    "403 with another code": (403, teams_error("Forbidden"), ConnectorError, "Forbidden"),
    "404 ConversationNotFound": (
        404, teams_error("ConversationNotFound"), ConversationNotFound, "ConversationNotFound"
    ),
    "404 without a body": (404, None, ConversationNotFound, None),
    "413 MessageSizeTooBig": (413, teams_error("MessageSizeTooBig"), MessageTooLarge, "MessageSizeTooBig"),
    "400 with an HTML body": (400, b"<html>Bad Request</html>", ConnectorError, None),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("case", list(ERRORS))
async def test_an_error_answer_is_a_typed_error_with_the_teams_code(
    connector: ConnectorStandIn, session: ConnectorSession, operation: str, case: str
) -> None:
    status, body, error_type, code = ERRORS[case]
    connector.answer_next(status, body, content_type="text/html" if isinstance(body, bytes) else JSON)
    with pytest.raises(error_type) as raised:
        await OPERATIONS[operation][1](client_for(connector.service_url, session))
    error = raised.value
    assert type(error) is error_type
    assert isinstance(error, ErrorResponseException)  # what botbuilder's own handlers catch
    assert (error.status, error.code) == (status, code)
    assert len(connector.calls) == 1  # 4xx is final


async def test_an_error_answer_is_logged_with_a_correlation_id_and_without_the_token(
    connector: ConnectorStandIn, session: ConnectorSession, caplog: pytest.LogCaptureFixture
) -> None:
    client = client_for(connector.service_url, session, StaticTokenCredentials())
    connector.answer_next(403, teams_error("BotNotInConversationRoster"))
    with (
        caplog.at_level(logging.DEBUG, logger="switchboard.connector"),
        pytest.raises(BotNotInConversation) as raised,
    ):
        await client.conversations.send_to_conversation("a:conversation", reply())
    [record] = [r for r in caplog.records if r.name == "switchboard.connector" and r.levelno >= logging.WARNING]
    message = record.getMessage()
    assert "403 BotNotInConversationRoster" in message
    assert raised.value.correlation_id in message
    assert "token-for-the-connector" not in caplog.text
    assert "token-for-the-connector" not in str(raised.value)


# --------------------------------------------------------------------------- Retry-After values


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(" 0 ", now) == 0.0
    assert retry_after_seconds("Mon, 30 Nov 2026 10:00:42 GMT", now) == 42.0
    assert retry_after_seconds("Mon, 30 Nov 2026 09:59:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("Monday, 30-Nov-26 10:00:42 GMT", now) == 42.0  # RFC 850 (obsolete, still valid)
    assert retry_after_seconds("Mon Nov 30 10:00:42 2026", now) == 42.0  # asctime (GMT)
    for malformed in (None, "", "soon", "-5", "1.5", "Mon, 99 Nov 2026 10:00:42 GMT"):
        assert retry_after_seconds(malformed, now) is None, malformed


def test_which_answers_are_retried() -> None:
    retry = RetrySettings()
    assert retry.delay("POST", 429, None, 1) == 0.8  # not accepted: a POST may be retried
    assert retry.delay("POST", 429, 2.0, 1) == 2.0
    assert retry.delay("POST", 429, 60.0, 1) is None  # longer than a turn can wait
    assert retry.delay("POST", 429, 0.0, 4) is None  # out of retries
    assert retry.delay("POST", 503, 0.0, 1) is None  # maybe posted: never twice
    assert retry.delay("POST", 500, None, 1) is None
    assert retry.delay("PUT", 503, 2.0, 1) == 2.0
    assert retry.delay("PUT", 502, 2.0, 2) == 1.6  # Retry-After counts for 429 and 503 only
    assert retry.delay("PUT", 404, None, 1) is None
    assert retry.delay("DELETE", 501, None, 1) is None
