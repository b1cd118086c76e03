"""One living card per request, through the real HTTP edge and the Bot Connector stand-in.

``/api/messages`` of a hosted app (Table Storage on Azurite, actions on the ARM sandbox); every call
the bot makes to the connector is recorded: a post (send or reply) and an in-place update (``PUT
/v3/conversations/{id}/activities/{activityId}``). The request's card is posted once, its activity
id is kept in the stored dialog state, and every later state of a typed request is a PUT of that id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from actions.context import ClientOptions
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.connector import ConnectorStandIn, RecordedCall, teams_activity
from tests.support.hosted_app import HostedApp

FAST_CLIENTS = ClientOptions(polling_interval=0.02, retry_total=0, retry_backoff_factor=0.01, retry_backoff_max=0.05)
CARD = "application/vnd.microsoft.card.adaptive"


@pytest.fixture
def app(make_app: Callable[..., HostedApp], local_env: dict[str, str], sandbox: SandboxHandle) -> HostedApp:
    env = {
        **local_env,
        "SWITCHBOARD_ARM_SANDBOX_URL": sandbox.url,
        "SWITCHBOARD_SUBSCRIPTIONS": f"{DEV_SUBSCRIPTION_ID},{PROD_SUBSCRIPTION_ID}",
    }
    return make_app(env, client_options=FAST_CLIENTS, request_budget=60.0)


def headline(call: RecordedCall) -> str:
    """The status headline of the card a call carries (its last container's first line), or its title."""
    [card] = [a["content"] for a in (call.body or {}).get("attachments") or [] if a.get("contentType") == CARD]
    containers = [e for e in card["body"] if e.get("type") == "Container"]
    return str((containers[-1]["items"] if containers else card["body"])[0]["text"])


def seen(connector: ConnectorStandIn) -> list[tuple[str, str | None, str]]:
    """(kind, the updated activity id or None, the card's headline or the message text), in order."""
    found: list[tuple[str, str | None, str]] = []
    for call in connector.calls:
        if call.kind not in ("send", "reply", "update"):
            continue
        has_card = any(a.get("contentType") == CARD for a in (call.body or {}).get("attachments") or [])
        kind = "update" if call.kind == "update" else "post"
        found.append((kind, call.activity_id if kind == "update" else None,
                      headline(call) if has_card else str(call.text)))
    return found


async def say(app: HostedApp, connector: ConnectorStandIn, conversation_id: str, text: str) -> None:
    activity = teams_activity(text=text, conversation_id=conversation_id, service_url=connector.service_url)
    assert (await app.post_activity(activity)).status_code == 200


async def test_a_typed_request_posts_one_card_and_changes_it_in_place_by_its_id(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    connector.use_style("bot_service")  # every post is answered with the id Bot Service gives it
    connector.answer_next(200, {"id": "card-7"})  # the id of the first post: the request's card
    chat = f"a:personal-{uuid.uuid4().hex[:10]}"
    await say(app, connector, chat, "scale node pool aks-prod np1 to 5")
    await say(app, connector, chat, "yes")

    assert seen(connector) == [
        ("post", None, "Scale aks-prod / np1: 3 → 5 nodes"),  # the preview, its question on it
        ("update", "card-7", "Confirmed by Alex Wilber"),
        ("update", "card-7", "Done"),
        ("post", None, "Done: scale aks-prod / np1: 3 → 5 nodes. The card above shows the details."),
    ]
    assert [r["status"] for r in sandbox.requests() if r["method"] == "PUT"] == [201]


async def test_cancel_typed_at_the_preview_changes_its_card_in_place(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    connector.use_style("bot_service")
    connector.answer_next(200, {"id": "card-8"})
    chat = f"a:personal-{uuid.uuid4().hex[:10]}"
    await say(app, connector, chat, "restart app web-prod")
    await say(app, connector, chat, "cancel")

    update = [call for call in connector.calls if call.kind == "update"]
    assert [(call.activity_id, headline(call)) for call in update] == [("card-8", "Cancelled by Alex Wilber")]
    assert "actions" not in update[0].body["attachments"][0]["content"]
    assert seen(connector)[-1] == ("post", None, "Cancelled. Nothing was changed.")
    assert [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")] == []


async def test_a_channel_that_gives_no_activity_id_gets_the_result_as_one_new_card(
    app: HostedApp, connector: ConnectorStandIn
) -> None:
    # A connector that answers posts without an id: the card cannot be changed in place, so only the
    # result follows it (never an extra "confirmed" card).
    connector.use_style("bot_service")
    connector.answer_next(202, None, content_type=None)
    chat = f"a:personal-{uuid.uuid4().hex[:10]}"
    await say(app, connector, chat, "scale node pool aks-prod np1 to 4")
    await say(app, connector, chat, "yes")
    assert [(kind, text) for kind, _, text in seen(connector)] == [
        ("post", "Scale aks-prod / np1: 3 → 4 nodes"),
        ("post", "Done"),  # the result, with no note: it is the newest message
    ]

