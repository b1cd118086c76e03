"""Failures through the real HTTP edge: only a person's own message or card action hears about one.

Events nobody typed — installation and conversation updates, reactions, edits, deletes, typing —
that fail (storage unreachable, or an unexpected error) are logged with the turn's correlation id
and nothing is posted into the conversation: the Bot Connector stand-in receives nothing. A
message and a card action failing the same way still get the user-facing answer.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot import replies
from storage.keys import table_key
from telemetry import ContextFilter
from tests.support.connector import TEST_BOT_ID, ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp, json_body
from tools import azurite

REF = re.compile(r"\(ref ([0-9a-f]{12})\)")


def unreachable_storage(port: int) -> str:
    """A development-account connection string whose table endpoint is ``port``, a loopback port that refuses."""
    return azurite.connection_string({"Table": port})


def event(kind: str, conversation_id: str, service_url: str) -> dict[str, Any]:
    """An activity of ``kind`` nobody typed to the bot, in a channel thread."""
    common: dict[str, Any] = {
        "conversation_type": "channel", "conversation_id": conversation_id, "service_url": service_url,
    }
    if kind == "install":
        return teams_activity("installationUpdate", action="add", **common)
    if kind == "uninstall":
        return teams_activity("installationUpdate", action="remove", **common)
    if kind == "teammate joins":
        return teams_activity("conversationUpdate", membersAdded=[{"id": "29:megan"}], **common)
    if kind == "bot added":
        return teams_activity("conversationUpdate", membersAdded=[{"id": TEST_BOT_ID}], **common)
    if kind == "reaction":
        return teams_activity("messageReaction", reactionsAdded=[{"type": "like"}], replyToId="1700000000001",
                              **common)
    if kind == "edit":
        activity = teams_activity("messageUpdate", text="edited", **common)
        activity["channelData"]["eventType"] = "editMessage"
        return activity
    if kind == "delete":
        activity = teams_activity("messageDelete", **common)
        activity["channelData"]["eventType"] = "softDeleteMessage"
        return activity
    if kind == "typing":
        return teams_activity("typing", **common)
    raise AssertionError(kind)


EVENTS = ["install", "uninstall", "teammate joins", "bot added", "reaction", "edit", "delete", "typing"]


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Log records carrying the turn's ids (correlation id, activity id), as the console shows them."""
    caplog.set_level(logging.INFO)
    context = ContextFilter()
    caplog.handler.addFilter(context)
    yield caplog
    caplog.handler.removeFilter(context)


def failure_logged_with_its_reference(caplog: pytest.LogCaptureFixture, activity_id: str) -> str:
    """The turn's failure was logged at ERROR, naming the turn's correlation id; returns it."""
    for record in caplog.records:
        if record.levelno >= logging.ERROR and record.__dict__.get("activity_id") == activity_id:
            correlation_id = record.__dict__["correlation_id"]
            assert f"(ref {correlation_id})" in record.getMessage()
            return str(correlation_id)
    raise AssertionError("no failure logged for the activity")


def thread_id() -> str:
    return f"19:general@thread.tacv2;messageid={uuid.uuid4().int % 10**13}"


@pytest.fixture
def unreachable(make_app: Callable[..., HostedApp], local_env: dict[str, str], refused_port: int) -> HostedApp:
    return make_app({**local_env, "SwitchboardStorage": unreachable_storage(refused_port)})


# --------------------------------------------------------------------------- storage unreachable
@pytest.mark.parametrize("kind", EVENTS)
async def test_an_event_with_storage_unreachable_posts_nothing_and_logs_its_reference(
    unreachable: HostedApp, connector: ConnectorStandIn, logged: pytest.LogCaptureFixture, kind: str
) -> None:
    activity = event(kind, thread_id(), connector.service_url)
    response = await unreachable.post_activity(activity)
    assert response.status_code in (200, 201)  # acknowledged: retrying an event would change nothing
    assert connector.calls == []
    failure_logged_with_its_reference(logged, activity["id"])


async def test_a_message_with_storage_unreachable_is_told_so(
    unreachable: HostedApp, connector: ConnectorStandIn, logged: pytest.LogCaptureFixture
) -> None:
    activity = teams_activity(text="help", mention_bot=True, conversation_type="channel",
                              conversation_id=thread_id(), service_url=connector.service_url)
    assert (await unreachable.post_activity(activity)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    correlation_id = failure_logged_with_its_reference(logged, activity["id"])
    assert reply.text == replies.storage_unavailable(correlation_id)


async def test_a_card_action_with_storage_unreachable_is_told_so(
    unreachable: HostedApp, connector: ConnectorStandIn, logged: pytest.LogCaptureFixture
) -> None:
    activity = card_action(thread_id(), connector.service_url)
    response = await unreachable.post_activity(activity)
    correlation_id = failure_logged_with_its_reference(logged, activity["id"])
    assert response.status_code == 503
    assert json_body(response)["value"] == {
        "code": "ServiceUnavailable", "message": replies.storage_unavailable(correlation_id),
    }
    [reply] = await connector.wait_for_async(1)
    assert reply.text == replies.storage_unavailable(correlation_id)


def card_action(conversation_id: str, service_url: str) -> dict[str, Any]:
    """Alex presses Cancel on a Switchboard form in a channel thread."""
    activity = teams_activity("invoke", name="adaptiveCard/action", conversation_type="channel",
                              conversation_id=conversation_id, service_url=service_url)
    data = {"switchboard": {"v": 1, "verb": "cancel:app-restart", "form": "f-0123456789abcdef",
                            "owner": activity["from"]["aadObjectId"], "ownerName": "Alex Wilber"}}
    activity["value"] = {"action": {"type": "Action.Execute", "verb": "cancel:app-restart", "data": data},
                         "trigger": "manual"}
    return activity


# --------------------------------------------------------------------------- an unexpected error
async def corrupt_state(hosted: HostedApp, raw: dict[str, Any]) -> None:
    """Store unreadable state (an unknown format) under every state key the activity's turn reads:
    reading it is an error no turn expects."""
    switchboard = await hosted.runtime.switchboard()
    context = TurnContext(switchboard.adapter, Activity().deserialize(raw))
    states = switchboard.states
    keys = [states.conversation.get_storage_key(context), states.user.get_storage_key(context)]
    if states.private_conversation is not None:
        keys.append(states.private_conversation.get_storage_key(context))
    table = await switchboard.tables.table("botstate")  # the bot's own state table (created if missing)
    for key in keys:
        await table.upsert_entity({"PartitionKey": table_key(key), "RowKey": "state", "Key": key, "Format": 99})


@pytest.mark.parametrize("kind", EVENTS)
async def test_an_event_failing_unexpectedly_posts_nothing_and_logs_its_reference(
    hosted: HostedApp, connector: ConnectorStandIn, logged: pytest.LogCaptureFixture, kind: str
) -> None:
    activity = event(kind, thread_id(), connector.service_url)
    await corrupt_state(hosted, activity)
    response = await hosted.post_activity(activity)
    assert response.status_code in (200, 201)
    assert connector.calls == []
    failure_logged_with_its_reference(logged, activity["id"])


async def test_a_message_failing_unexpectedly_gets_the_short_answer(
    hosted: HostedApp, connector: ConnectorStandIn, logged: pytest.LogCaptureFixture
) -> None:
    activity = teams_activity(text="help", mention_bot=True, conversation_type="channel",
                              conversation_id=thread_id(), service_url=connector.service_url)
    await corrupt_state(hosted, activity)
    assert (await hosted.post_activity(activity)).status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text == replies.error_message(failure_logged_with_its_reference(logged, activity["id"]))


async def test_a_card_action_failing_unexpectedly_gets_the_short_answer(
    hosted: HostedApp, connector: ConnectorStandIn, logged: pytest.LogCaptureFixture
) -> None:
    activity = card_action(thread_id(), connector.service_url)
    await corrupt_state(hosted, activity)
    response = await hosted.post_activity(activity)
    correlation_id = failure_logged_with_its_reference(logged, activity["id"])
    assert response.status_code == 500
    assert json_body(response)["value"] == {"code": "InternalError", "message": replies.error_message(correlation_id)}
    [reply] = await connector.wait_for_async(1)
    assert reply.text == replies.error_message(correlation_id)
