"""Bot Connector calls on the event loop (bot.connector_pipeline): headers, retries, errors, no worker threads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AppCredentials, MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.connector_pipeline import ConnectorSession, RetrySettings, use_aiohttp
from storage import http_env_settings_present
from tests.support.connector import ConnectorStandIn, teams_activity
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
