"""Dialogs with their state in Table Storage (Azurite): round trips, storage calls per turn, composition."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter

from actions.context import ActionContext
from app.composition import Switchboard, build_switchboard
from app.direct import DEFAULT_TURN_BUDGET
from app.settings import Settings
from telemetry._configure import _uninstall
from tests.integration.dialogs.conftest import FAST_TABLES, CountingStorage
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.card_checks import assert_valid_cards
from tests.support.connector import TEST_TENANT_ID
from tests.support.guardrail_policy import allow_everything
from tests.unit.dialogs.conftest import (
    ALEX,
    FAST_CLIENTS,
    MEGAN,
    Chat,
    card_texts,
    changed_card,
    sent_cards,
    texts,
    updated_cards,
)
from tools.card_validation import CardValidator

AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod"
)


async def pool_count(actions: ActionContext) -> int:
    pools = actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools
    return int((await pools.get("rg-prod", "aks-prod", "np1")).count)


async def test_a_prompt_turn_costs_one_read_and_one_write(chat: Chat, storage: CountingStorage) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1")  # asks for the count
    storage.take()

    [retry] = texts(await chat.say(ALEX, "lots"))  # a prompt turn: re-asked with the reason
    assert "(try 2 of 3" in retry
    assert storage.take() == [("read", 1), ("write", 1)]  # the sender's dialog state: one point read

    await chat.say(ALEX, "5")  # the answer: the preview card, posted
    calls = storage.take()
    # the dialog state; then, once the card was sent, its activity id (to change it in place later)
    assert [operation for operation, _ in calls] == ["read", "write", "write"]


async def test_the_confirming_turn_writes_the_submitted_mark_then_the_ended_dialog(
    chat: Chat, storage: CountingStorage, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    storage.take()
    await chat.say(ALEX, "yes")
    # One point read; the mark, written before anything is sent; the ended dialog. (The decision on the
    # form is claimed in the delivery ledger, another table, between the read and the mark.)
    assert storage.take() == [("read", 1), ("write", 1), ("write", 1)]


async def test_a_turn_that_runs_no_dialog_writes_nothing(chat: Chat, storage: CountingStorage) -> None:
    await chat.say(ALEX, "help")
    assert storage.take() == [("read", 1)]


async def test_prompts_and_confirmation_round_trip_through_table_storage(
    chat: Chat, storage: CountingStorage, actions: ActionContext, card_validator: CardValidator
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod")
    await chat.say(MEGAN, "restart app web-prod")  # another person's dialog, stored beside Alex's
    await chat.say(ALEX, "np1")
    [card] = [activity for activity in await chat.say(ALEX, "4") if activity.attachments]
    await chat.say(ALEX, "yes")
    assert "aks-prod / node pool np1 now has 4 nodes." in card_texts(changed_card(chat))
    # the card's activity id, kept in the stored dialog state, is what the typed "yes" changed in place
    assert {activity_id for activity_id, _ in updated_cards(chat)} == {card.id}
    assert await pool_count(actions) == 4
    assert texts(await chat.say(MEGAN, "no")) == ["Cancelled. Nothing was changed."]
    assert_valid_cards(card_validator, chat.cards)


async def test_a_card_form_round_trips_through_table_storage(
    chat: Chat, actions: ActionContext, card_validator: CardValidator
) -> None:
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    response, _ = await chat.press(ALEX, response.body["value"], "Review", {"pool": "np1", "count": "7"})
    response, _ = await chat.press(MEGAN, response.body["value"], "Confirm")
    assert response.body["value"].startswith("This card belongs to Alex Wilber")
    preview = next(card for card in reversed(list(chat.cards.values())) if "actions" in card)
    # 3 → 7 is more than double: its risk, kept in the stored dialog, needs the box ticked
    response, _ = await chat.press(ALEX, preview, "Confirm")
    assert "Check before you confirm" in card_texts(response.body["value"])
    assert await pool_count(actions) == 3
    await chat.press(ALEX, preview, "Confirm", {"acknowledge": "understood"})
    assert await pool_count(actions) == 7
    assert_valid_cards(card_validator, chat.cards)


@pytest.fixture
async def composed(
    storage_connection_string: str, sandbox: SandboxHandle
) -> AsyncIterator[Switchboard]:
    """The whole composition root, as the hosts build it, on Azurite and the ARM sandbox."""
    settings = Settings.from_env({
        "MicrosoftAppId": "",
        "SwitchboardStorage": storage_connection_string,
        "SWITCHBOARD_ALLOWED_TENANTS": TEST_TENANT_ID,
        "SWITCHBOARD_ARM_SANDBOX_URL": sandbox.url,
        "SWITCHBOARD_SUBSCRIPTIONS": f"{DEV_SUBSCRIPTION_ID},{PROD_SUBSCRIPTION_ID}",
        "SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS": "30",  # a busy machine never cuts a list short
        "SWITCHBOARD_RATE_LIMIT_PER_HOUR": "10000",  # Alex's requests of the whole session are not limited here
    })
    await allow_everything(storage_connection_string, ALEX.aad_object_id)  # the guardrails decide "approved"
    # request_budget: confirmed requests run in the turn (the direct executor), so the outcome is in the reply
    switchboard = build_switchboard(
        settings, table_options=FAST_TABLES, client_options=FAST_CLIENTS, request_budget=DEFAULT_TURN_BUDGET
    )
    try:
        yield switchboard
    finally:
        await switchboard.close()
        _uninstall()


async def test_the_composition_root_wires_the_dialogs(composed: Switchboard, unique_name: str) -> None:
    async def logic(turn_context: TurnContext) -> None:
        await composed.bot.on_turn(turn_context)

    chat = Chat(TestAdapter(logic), "personal", f"a:composed-{unique_name}")
    await chat.say(ALEX, "scale node pool aks-prod np1 to 2")
    await chat.say(ALEX, "yes")
    assert "aks-prod / node pool np1 now has 2 nodes." in card_texts(changed_card(chat))
    assert await pool_count(composed.actions) == 2
