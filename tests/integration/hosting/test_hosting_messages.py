"""``/api/messages`` and ``/api/health`` called as the Functions host calls them (func.HttpRequest in)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from app.composition import build_switchboard
from app.settings import Settings
from bot import replies
from bot.edge_types import EdgeRequest
from bot.http_edge import MAX_BODY_BYTES, MessagesEndpoint
from tests.support.connector import TEST_TENANT_ID, ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp, json_body

JSON = {"Content-Type": "application/json"}
FOREIGN_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def no_trace(body: bytes) -> None:
    text = body.decode("utf-8", "replace")
    assert "Traceback" not in text
    assert 'File "' not in text


async def test_a_message_is_answered_200_and_the_reply_reaches_the_connector(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    activity = teams_activity(text="help", service_url=connector.service_url)
    response = await hosted.post_activity(activity)
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.kind == "reply"
    assert reply.activity_id == activity["id"]
    assert reply.conversation_id == activity["conversation"]["id"]
    assert reply.text.startswith("Here is what I can do:")
    assert reply.body["replyToId"] == activity["id"]
    assert reply.authorization is None  # anonymous local run: no token sent


async def test_a_channel_message_with_a_mention_is_answered_in_the_thread(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    activity = teams_activity(
        text="help", mention_bot=True, conversation_type="channel", service_url=connector.service_url
    )
    assert (await hosted.post_activity(activity)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.conversation_id == "19:general-channel@thread.tacv2"
    assert reply.text.startswith("Here is what I can do:")


@pytest.mark.parametrize(
    "text", ["<at>Switchboard</at>&nbsp;help", "<p><at>Switchboard</at>&nbsp;help</p>", "<at>Switchboard</at><br>help"]
)
async def test_teams_html_after_the_mention_is_understood_through_the_edge(
    hosted: HostedApp, connector: ConnectorStandIn, text: str
) -> None:
    activity = teams_activity(
        text="help", mention_bot=True, conversation_type="channel", service_url=connector.service_url
    )
    activity["text"] = text  # exactly as Teams sends it
    assert (await hosted.post_activity(activity)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith("Here is what I can do:")


async def test_a_message_only_in_an_html_attachment_is_understood_through_the_edge(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    activity = teams_activity(
        service_url=connector.service_url,
        attachments=[{"contentType": "text/html", "content": "<div><div>help&nbsp;</div></div>"}],
    )
    assert "text" not in activity
    assert (await hosted.post_activity(activity)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith("Here is what I can do:")


@pytest.mark.parametrize(
    ("channel_data", "conversation", "served"),
    [
        (None, TEST_TENANT_ID, True),  # the Playground's "Mock an Activity": conversation.tenantId only
        (None, FOREIGN_TENANT, False),
        (TEST_TENANT_ID, FOREIGN_TENANT, False),  # disagreeing sources
        (FOREIGN_TENANT, TEST_TENANT_ID, False),
    ],
)
async def test_the_tenant_is_read_from_the_conversation_too(
    hosted: HostedApp, connector: ConnectorStandIn, channel_data: str | None, conversation: str, served: bool
) -> None:
    activity = teams_activity(text="help", tenant_id=None, service_url=connector.service_url)
    if channel_data is not None:
        activity["channelData"]["tenant"] = {"id": channel_data}
    activity["conversation"]["tenantId"] = conversation
    assert (await hosted.post_activity(activity)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    if served:
        assert reply.text.startswith("Here is what I can do:")
    else:
        assert reply.text == replies.tenant_refused()


async def test_connector_and_token_clients_are_reused_across_turns(
    hosted: HostedApp, connector: ConnectorStandIn
) -> None:
    for _ in range(3):
        response = await hosted.post_activity(teams_activity(text="help", service_url=connector.service_url))
        assert response.status_code == 200
    await connector.wait_for_async(3)
    authentication = (await hosted.runtime.switchboard()).adapter.authentication
    assert authentication.connectors_created == 1
    assert authentication.token_clients_created == 1


async def test_an_invoke_is_answered_with_its_json_body(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    # Action.Execute on a Switchboard card whose form is no longer waiting: answered in the invoke response.
    activity = teams_activity("invoke", name="adaptiveCard/action", service_url=connector.service_url)
    card_data = {
        "switchboard": {
            "v": 1,
            "verb": "cancel:aks-scale-node-pool",
            "form": "f-0123456789abcdef",
            "owner": activity["from"]["aadObjectId"],
            "ownerName": "Alex Wilber",
        }
    }
    activity["value"] = {
        "action": {"type": "Action.Execute", "verb": "cancel:aks-scale-node-pool", "data": card_data},
        "trigger": "manual",
    }
    response = await hosted.post_activity(activity)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = json_body(response)
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "no longer" in body["value"]
    assert connector.calls == []  # the answer travels in the HTTP response, not through the connector


async def test_a_foreign_card_action_gets_a_400_error_body(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    invoke = teams_activity(
        "invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "somebody-else", "data": {"x": 1}}},
        service_url=connector.service_url,
    )
    response = await hosted.post_activity(invoke)
    assert response.status_code == 400
    body = json_body(response)
    assert body["type"] == "application/vnd.microsoft.error"
    assert set(body["value"]) == {"code", "message"}
    no_trace(response.get_body())


async def test_an_invoke_without_a_value_gets_a_400_error_body(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    invoke = teams_activity("invoke", name="adaptiveCard/action", service_url=connector.service_url)
    response = await hosted.post_activity(invoke)
    assert response.status_code == 400
    body = json_body(response)
    assert body["statusCode"] == 400
    assert body["type"] == "application/vnd.microsoft.error"
    assert body["value"]["code"] == "BadRequest"
    no_trace(response.get_body())


async def test_an_invoke_nobody_handles_is_501(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    invoke = teams_activity("invoke", name="composeExtension/unknown", service_url=connector.service_url)
    response = await hosted.post_activity(invoke)
    assert response.status_code == 501
    assert json_body(response)["error"]["code"] == "NotImplemented"  # the edge's short error body


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"[1, 2]", "not an activity"),
        (b'"message"', "not an activity"),
        (json.dumps({"text": "help"}).encode(), "lacks: type"),
        (json.dumps({**teams_activity(text="help"), "serviceUrl": "ftp://x"}).encode(), "serviceUrl"),
        (json.dumps({**teams_activity(text="help"), "conversation": None}).encode(), "conversation.id"),
        (json.dumps({**teams_activity(text="help"), "timestamp": {"not": "a date"}}).encode(), "not a valid activity"),
    ],
)
async def test_a_malformed_body_is_400_with_a_short_reason(hosted: HostedApp, body: bytes, reason: str) -> None:
    response = await hosted.call("messages", body=body, headers=JSON)
    assert response.status_code == 400
    assert reason in json_body(response)["error"]["message"]
    no_trace(response.get_body())


async def test_an_oversized_body_is_413(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    activity = teams_activity(text="help " + "x" * MAX_BODY_BYTES, service_url=connector.service_url)
    response = await hosted.call("messages", body=json.dumps(activity).encode(), headers=JSON)
    assert response.status_code == 413
    declared = await hosted.call(
        "messages", body=b"{}", headers={**JSON, "Content-Length": str(MAX_BODY_BYTES + 1)}
    )
    assert declared.status_code == 413
    assert connector.calls == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
async def test_a_wrong_content_type_is_415(hosted: HostedApp, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await hosted.call("messages", body=json.dumps(teams_activity(text="help")).encode(), headers=headers)
    assert response.status_code == 415


async def test_json_with_a_charset_is_accepted(hosted: HostedApp, connector: ConnectorStandIn) -> None:
    body = json.dumps(teams_activity(text="help", service_url=connector.service_url)).encode()
    response = await hosted.call("messages", body=body, headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_are_405(hosted: HostedApp, method: str) -> None:
    response = await hosted.call("messages", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


async def test_missing_authorization_with_an_app_id_is_401_and_never_reaches_the_bot(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], connector: ConnectorStandIn
) -> None:
    app_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    hosted = make_app({**local_env, "MicrosoftAppId": app_id, "MicrosoftAppPassword": "pw"})
    response = await hosted.post_activity(teams_activity(text="help", service_url=connector.service_url))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert connector.calls == []


async def test_health_is_200_without_secrets(hosted: HostedApp, local_env: dict[str, str]) -> None:
    response = await hosted.call("health", method="GET")
    assert response.status_code == 200
    assert json_body(response) == {"status": "ok", "authentication": "off"}
    assert local_env["SwitchboardStorage"].encode() not in response.get_body()


async def test_invalid_settings_answer_503_and_log_the_reason(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    hosted = make_app({**local_env, "SWITCHBOARD_ALLOWED_TENANTS": "", "MicrosoftAppType": "Sometimes"})
    caplog.set_level(logging.ERROR)
    health = await hosted.call("health", method="GET")
    assert health.status_code == 503
    assert json_body(health) == {"status": "misconfigured"}
    response = await hosted.post_activity(teams_activity(text="help"))
    assert response.status_code == 503
    assert json_body(response)["error"]["code"] == "NotConfigured"
    [logged] = [r.getMessage() for r in caplog.records if "cannot start" in r.getMessage()]  # logged once
    assert "SWITCHBOARD_ALLOWED_TENANTS: required" in logged
    assert "MicrosoftAppType: expected one of" in logged


async def test_an_unexpected_edge_error_is_500_with_a_correlation_id_and_no_trace(
    local_env: dict[str, str], caplog: pytest.LogCaptureFixture, connector: ConnectorStandIn
) -> None:
    # A turn handler whose invoke body is not JSON data: the edge cannot serialize it.
    async def broken_invoke(turn_context: TurnContext) -> None:
        body = InvokeResponse(status=200, body={"when": object()})
        await turn_context.send_activity(Activity(type=ActivityTypes.invoke_response, value=body))

    switchboard = build_switchboard(Settings.from_env(local_env))
    try:
        endpoint = MessagesEndpoint(switchboard.adapter, broken_invoke, authentication_enabled=False)
        invoke = teams_activity("invoke", name="custom/thing", service_url=connector.service_url)
        response = await endpoint.handle(EdgeRequest.build("POST", JSON, json.dumps(invoke).encode()))
    finally:
        await switchboard.close()
    assert response.status == 500
    payload = response.json_body()
    assert payload["error"]["code"] == "InternalError"
    reference = payload["error"]["correlationId"]
    no_trace(response.body)
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)
