"""One living card per request: posted once, then changed in place through its whole life.

Transcript tests with the real bot, dialogs and actions (ARM sandbox) and botbuilder's TestAdapter
as the Bot Connector (:class:`ConnectorStandIn` records every post and every in-place update in
order, and gives posts ids as the channel would). Each flow asserts what the person sees, in order:
how many messages, one card for the request, and the card's final state — without buttons once it
stops meaning anything (cancelled, replaced by a newer request, broken by a failed turn).
"""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import Storage
from botbuilder.schema import Activity

from actions.context import ActionContext
from actions.registry import Registry
from app.direct import DirectRequestHandler
from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from dialogs import Conversations
from requesting.request import Outcome, Request, RequestHandler
from storage import DeliveryLedger
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.connector import TEST_TENANT_ID
from tests.unit.dialogs.conftest import (
    ALEX,
    Chat,
    ConnectorStandIn,
    MemoryReferences,
    card_texts,
    inputs_of,
    sent_cards,
    texts,
)

AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod"
)
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
NP1 = "/managedClusters/aks-prod/agentPools/np1"


def events(chat: Chat) -> list[tuple[str, Activity]]:
    adapter = chat.adapter
    assert isinstance(adapter, ConnectorStandIn)
    return adapter.events


def card_of(activity: Activity) -> dict[str, Any] | None:
    for attachment in activity.attachments or []:
        if attachment.content_type == CARD:
            return dict(attachment.content)
    return None


def transcript(chat: Chat) -> list[str]:
    """What the person saw, in order: "card #<id>" (a card posted), "update #<id>: <first status line>" (a card
    changed in place), or the text of a message."""
    seen: list[str] = []
    for kind, activity in events(chat):
        card = card_of(activity)
        if kind == "post" and card is not None:
            seen.append(f"card #{activity.id}")
        elif kind == "update" and card is not None:
            seen.append(f"update #{activity.id}: {status_line(card)}")
        if kind == "post" and activity.text:
            seen.append(activity.text)
    return seen


def status_line(card: dict[str, Any]) -> str:
    """The headline of a card's last status container (e.g. "Done"), or its title when it has none."""
    containers = [e for e in card["body"] if e.get("type") == "Container"]
    if containers:
        return str(containers[-1]["items"][0]["text"])
    return str(card["body"][0]["text"])


def posted_cards(chat: Chat) -> list[Activity]:
    return [activity for kind, activity in events(chat) if kind == "post" and card_of(activity) is not None]


def last_state(chat: Chat, activity_id: str) -> dict[str, Any]:
    """The card the person now sees in place of activity ``activity_id``."""
    shown = [card_of(a) for _, a in events(chat) if a.id == activity_id and card_of(a) is not None]
    assert shown, f"no card #{activity_id}"
    card = shown[-1]
    assert card is not None
    return card


def puts(sandbox: SandboxHandle) -> list[int]:
    return [r["status"] for r in sandbox.requests() if r["method"] == "PUT" and NP1.lower() in r["path"].lower()]


async def pool_count(actions: ActionContext) -> int:
    pools = actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools
    return int((await pools.get("rg-prod", "aks-prod", "np1")).count)


# ------------------------------------------------------------------ the whole life of one card
async def test_a_typed_command_confirmed_by_typing_yes_is_one_card_that_ends_showing_the_result(
    chat: Chat, actions: ActionContext
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    [preview] = posted_cards(chat)
    card = card_of(preview)
    assert card is not None
    # the question is on the card: no "Go ahead?" message before it
    assert transcript(chat) == [f"card #{preview.id}"]
    assert 'Reply "yes" to confirm or "no" to cancel, or use the buttons.' in card_texts(card)

    await chat.say(ALEX, "yes")
    assert transcript(chat) == [
        f"card #{preview.id}",
        f"update #{preview.id}: Confirmed by Alex Wilber",  # before Azure is called
        f"update #{preview.id}: Done",
        "Done: scale aks-prod / np1: 3 → 5 nodes. The card above shows the details.",
    ]
    final = last_state(chat, str(preview.id))
    assert "aks-prod / node pool np1 now has 5 nodes." in card_texts(final)
    assert "actions" not in final
    assert await pool_count(actions) == 5


async def test_prompts_one_by_one_then_one_card_for_the_request(chat: Chat, actions: ActionContext) -> None:
    await chat.say(ALEX, "scale node pool aks-prod")
    await chat.say(ALEX, "np1")
    await chat.say(ALEX, "4")
    await chat.say(ALEX, "yes")
    [card] = posted_cards(chat)  # the questions were messages; the request has one card
    seen = transcript(chat)
    assert seen[-3:] == [
        f"update #{card.id}: Confirmed by Alex Wilber",
        f"update #{card.id}: Done",
        "Done: scale aks-prod / np1: 3 → 4 nodes. The card above shows the details.",
    ]
    assert seen.index(f"card #{card.id}") == len(seen) - 4  # the card came with the last answer
    assert await pool_count(actions) == 4


async def test_a_form_request_is_one_card_replaced_in_place_until_it_shows_the_result(
    chat: Chat, actions: ActionContext
) -> None:
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    response, sent = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    assert (response.body["type"], sent, chat.updated) == (CARD, [], [])
    response, sent = await chat.press(ALEX, response.body["value"], "Review", {"pool": "np1", "count": "6"})
    assert (response.body["type"], sent, chat.updated) == (CARD, [], [])
    response, sent = await chat.press(ALEX, response.body["value"], "Confirm")

    # the answer to Confirm is the result, in place of the preview; nothing else is posted
    assert (sent, chat.updated) == ([], [])
    result = response.body["value"]
    assert card_texts(result)[0] == "Scale aks-prod / np1: 3 → 6 nodes"
    assert "Done" in card_texts(result)
    assert "aks-prod / node pool np1 now has 6 nodes." in card_texts(result)
    assert "actions" not in result
    assert len(posted_cards(chat)) == 1
    assert await pool_count(actions) == 6


async def test_confirm_by_button_answers_with_the_result_in_place(chat: Chat, actions: ActionContext) -> None:
    [preview] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np1 to 5"))
    response, sent = await chat.press(ALEX, preview, "Confirm")
    assert (sent, chat.updated) == ([], [])
    assert response.body["type"] == CARD
    assert "Done" in card_texts(response.body["value"])
    assert "actions" not in response.body["value"]
    assert len(posted_cards(chat)) == 1
    assert await pool_count(actions) == 5


async def test_decline_by_typing_no_turns_the_card_into_cancelled_without_buttons(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    [preview] = posted_cards(chat)
    await chat.say(ALEX, "no")
    assert transcript(chat) == [
        f"card #{preview.id}", f"update #{preview.id}: Cancelled by Alex Wilber", "Cancelled. Nothing was changed.",
    ]
    assert "actions" not in last_state(chat, str(preview.id))
    assert puts(sandbox) == []


# ------------------------------------------------------------------ cards that stop meaning anything
async def test_cancel_typed_at_the_preview_closes_its_card_and_a_stale_press_is_answered_cleanly(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    [preview_card] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np1 to 5"))
    [preview] = posted_cards(chat)
    await chat.say(ALEX, "cancel")
    assert transcript(chat)[1:] == [
        f"update #{preview.id}: Cancelled by Alex Wilber", "Cancelled. Nothing was changed.",
    ]
    final = last_state(chat, str(preview.id))
    assert "actions" not in final
    assert not [e for e in final["body"] if str(e.get("type", "")).startswith("Input.")]

    response, sent = await chat.press(ALEX, preview_card, "Confirm")  # a button of the old card, pressed later
    assert (response.body["type"], sent) == (MESSAGE, [])
    assert response.body["value"].startswith("This card is no longer active")
    assert "`" not in response.body["value"]
    assert puts(sandbox) == []


async def test_cancel_typed_while_a_form_waits_closes_the_form(chat: Chat) -> None:
    await chat.say(ALEX, "scale node pool")
    [form] = posted_cards(chat)
    await chat.say(ALEX, "cancel")
    assert transcript(chat)[1:] == [f"update #{form.id}: Cancelled by Alex Wilber", "Cancelled. Nothing was changed."]
    final = last_state(chat, str(form.id))
    assert "actions" not in final
    assert card_texts(final)[:2] == ["Set the node count of an AKS node pool.", "Requested by Alex Wilber"]


async def test_cancel_before_any_card_is_just_the_answer(chat: Chat) -> None:
    await chat.say(ALEX, "scale node pool aks-prod")  # asked in chat: no card yet
    await chat.say(ALEX, "cancel")
    assert posted_cards(chat) == []
    assert transcript(chat)[-1] == "Cancelled. Nothing was changed."


async def test_a_newer_request_replaces_the_waiting_one_and_its_card_says_so(chat: Chat) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    [old] = posted_cards(chat)
    await chat.say(ALEX, "restart app web-prod")
    seen = transcript(chat)
    [_, new] = posted_cards(chat)
    assert seen == [
        f"card #{old.id}",
        f"update #{old.id}: Replaced by a newer request",
        "Leaving the previous request (nothing was changed) for this new one.",
        f"card #{new.id}",
    ]
    assert "actions" not in last_state(chat, str(old.id))
    assert "Restart web-prod" in card_texts(last_state(chat, str(new.id)))


async def test_a_turn_that_fails_before_the_start_marks_the_card_and_changes_nothing(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    [preview] = posted_cards(chat)

    async def connector_fails() -> None:
        raise ConnectionError("the Bot Connector reset the connection")

    adapter = chat.adapter
    assert isinstance(adapter, ConnectorStandIn)
    # the connector goes away just as the card would say "Confirmed" (updated, then posted again)
    adapter.when_sending(lambda activity: card_of(activity) is not None, connector_fails, times=2)
    sent = await chat.say(ALEX, "yes")

    [message] = texts(sent)
    assert message.startswith("Something went wrong on my side (ref ")
    final = last_state(chat, str(preview.id))
    assert status_line(final) == "Something went wrong"
    assert "Nothing was changed. Start again when you're ready." in card_texts(final)
    assert "actions" not in final
    assert puts(sandbox) == []  # nothing was started


async def test_a_turn_that_fails_after_the_start_marks_the_card_with_what_to_check(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    [preview] = posted_cards(chat)

    async def connector_fails() -> None:
        raise ConnectionError("the Bot Connector reset the connection")

    adapter = chat.adapter
    assert isinstance(adapter, ConnectorStandIn)
    adapter.when_sending(lambda activity: "Done" in card_texts(card_of(activity) or {"body": []}),
                         connector_fails, times=2)  # the result cannot be shown
    sent = await chat.say(ALEX, "yes")

    assert "Then something went wrong on my side (ref " in texts(sent)[-1]
    final = last_state(chat, str(preview.id))
    assert status_line(final) == "Something went wrong"
    assert ("The request was sent before the failure: check aks-prod / node pool np1 before trying again."
            in card_texts(final))
    assert "actions" not in final
    assert puts(sandbox) == [201]



# ------------------------------------------------------------------ the card's id travels with the request
class HandedOver:
    """The request seam as the dialogs use it: records each request handed over, then passes it to the real
    executor (the direct handler on the ARM sandbox)."""

    def __init__(self, inner: RequestHandler) -> None:
        self.inner = inner
        self.requests: list[Request] = []

    async def submit(self, request: Request) -> Outcome:
        self.requests.append(request)
        return await self.inner.submit(request)


@pytest.fixture
def handed_over(registry: Registry, actions: ActionContext, request_budget: float) -> HandedOver:
    return HandedOver(DirectRequestHandler(registry, actions, budget=request_budget))


@pytest.fixture
def bot(
    storage: Storage, registry: Registry, actions: ActionContext, ledger: DeliveryLedger, handed_over: HandedOver
) -> SwitchboardBot:
    """The real bot, its dialogs handing requests over through :class:`HandedOver`."""
    states = BotStates.create(storage, private_conversation=True)
    assert states.private_conversation is not None
    conversations = Conversations(state=states.private_conversation, registry=registry, actions=actions,
                                  handler=handed_over, decisions=ledger)
    return SwitchboardBot(states=states, references=MemoryReferences(), allowed_tenants=[TEST_TENANT_ID],
                          conversations=conversations, deliveries=ledger)


async def test_the_request_names_its_card_typed_and_on_a_form(chat: Chat, handed_over: HandedOver) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    [preview] = posted_cards(chat)
    await chat.say(ALEX, "yes")

    [form_card] = sent_cards(await chat.say(ALEX, "restart app"))
    form = posted_cards(chat)[-1]
    [web_prod] = [c["value"] for c in inputs_of(form_card)["app"]["choices"] if c["title"].startswith("web-prod ")]
    response, _ = await chat.press(ALEX, form_card, "Review", {"app": web_prod})
    await chat.press(ALEX, response.body["value"], "Confirm")

    assert [request.card_activity_id for request in handed_over.requests] == [preview.id, form.id]
    assert preview.id != form.id
