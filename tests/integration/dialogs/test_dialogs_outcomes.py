"""Truthful outcomes with the dialog state in Table Storage (Azurite): storage lost, concurrent turns.

Once a confirmed request's platform call was started, no message says that nothing happened, and
the request cannot be confirmed again — also when the turn's last save fails, and also from a
turn that runs while the confirming turn still waits for Azure. The bot's storage is the real
:class:`~storage.TableBotStorage`; "storage lost" is the same storage class pointed at a closed
loopback port (the error a real outage raises), switched in at an exact point of the turn by the
Bot Connector stand-in (:class:`~tests.unit.dialogs.conftest.ConnectorStandIn`).
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from botbuilder.core import Storage
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from bot.teams_bot import SwitchboardBot
from storage import TableBotStorage, TableProvider
from tests.integration.dialogs.conftest import FAST_TABLES, CountingStorage, bot_logic
from tests.support.arm_sandbox import SandboxHandle
from tests.unit.dialogs.conftest import ALEX, Chat, ConnectorStandIn, card_texts, changed_card, sent_cards, texts
from tools import azurite

NP1 = "/managedClusters/aks-prod/agentPools/np1"
TINY_BUDGET = 0.3  # seconds: an operation that never completes outlives it
REF = re.compile(r"\(ref ([0-9a-f]+)\)")
ALREADY_SENT = (
    "Your request for aks-prod / node pool np1 was already sent to Azure, so it can't be confirmed again. "
    "Check aks-prod / node pool np1 to see where it stands."
)
TOO_LATE = (
    "Your change to aks-prod / node pool np1 was already started, so I can't stop it from here. "
    "Check aks-prod / node pool np1 to see where it stands."
)


def puts(sandbox: SandboxHandle) -> list[int]:
    """Statuses of the scale requests (PUTs of np1) the sandbox answered."""
    return [r["status"] for r in sandbox.requests() if r["method"] == "PUT" and NP1.lower() in r["path"].lower()]


def is_card(activity: Activity) -> bool:
    return activity.type == "message" and bool(activity.attachments)


def is_result(activity: Activity) -> bool:
    """The request's card showing what became of it (not "confirmed, working on it", shown before the start)."""
    return is_card(activity) and not any(
        line.startswith("Working on it") for line in card_texts(activity.attachments[0].content))


def card_states(adapter: ConnectorStandIn) -> list[str]:
    """The status headline of every request card the bot posted or changed in place, in order."""
    found: list[str] = []
    for _, activity in adapter.events:
        for attachment in activity.attachments or []:
            containers = [e for e in attachment.content["body"] if e.get("type") == "Container"]
            if containers:
                found.append(str(containers[-1]["items"][0]["text"]))
    return found


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def lost_storage(unique_name: str) -> AsyncIterator[TableBotStorage]:
    """The bot state storage class pointed at a closed loopback port: every call fails as in an outage."""
    tables = TableProvider(connection_string=azurite.connection_string({"Table": closed_port()}), options=FAST_TABLES)
    try:
        yield TableBotStorage(tables, table_name=f"dialogs{unique_name}")
    finally:
        await tables.close()


@dataclass
class ReadsHereWritesThere(Storage):
    """Reads from one storage, writes and deletes to another (both real): storage lost between the two."""

    reads: Storage
    writes: Storage

    async def read(self, keys: list[str]) -> dict[str, Any]:
        return await self.reads.read(keys)

    async def write(self, changes: dict[str, Any]) -> None:
        await self.writes.write(changes)

    async def delete(self, keys: list[str]) -> None:
        await self.writes.delete(keys)


def second_window(bot: SwitchboardBot, chat: Chat) -> Chat:
    """The same person in the same thread on another client: its turns run beside the first client's."""
    return Chat(TestAdapter(bot_logic(bot)), chat.conversation_type, chat.conversation_id)


# ------------------------------------------------------------------ storage lost after the start
@pytest.mark.parametrize(
    ("never_completes", "request_budget", "what_happened"),
    [
        (True, TINY_BUDGET, "The change to aks-prod / node pool np1 was started and Azure is still working on it."),
        (False, 60.0, "The change to aks-prod / node pool np1 was made."),
    ],
    ids=["still-running", "done"],
)
@pytest.mark.parametrize(("later", "answer"), [("yes", ALREADY_SENT), ("cancel", TOO_LATE)])
async def test_storage_lost_after_the_start_says_what_was_started_and_nothing_runs_twice(
    chat: Chat, storage: CountingStorage, lost_storage: TableBotStorage, sandbox: SandboxHandle,
    never_completes: bool, what_happened: str, later: str, answer: str,
) -> None:
    sandbox.never_complete(never_completes)
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    azurite_storage = storage.inner

    async def storage_goes_away() -> None:
        storage.inner = lost_storage

    assert isinstance(chat.adapter, ConnectorStandIn)
    chat.adapter.when_sending(is_result, storage_goes_away)  # the result on the card: the change was started
    sent = await chat.say(ALEX, "yes")

    outcome = changed_card(chat)
    assert "Started, not finished yet" in card_texts(outcome) if never_completes else "Done" in card_texts(outcome)
    message = texts(sent)[-1]
    assert message.startswith(f"{what_happened} Then I lost my storage, so this conversation may not show it (ref ")
    assert message.endswith("Check aks-prod / node pool np1 before trying again.")
    assert REF.search(message)
    assert "didn't do anything" not in message
    assert puts(sandbox) == [201]

    # Storage is back. The dialog was stored as submitted before the PUT, so the request is not
    # waiting for a confirmation any more: a second "yes" (or a "cancel") cannot run it or undo it.
    storage.inner = azurite_storage
    assert texts(await chat.say(ALEX, later)) == [answer]
    assert texts(await chat.say(ALEX, later))[0] != answer  # said once: the stale request is closed
    assert puts(sandbox) == [201]


async def test_storage_lost_before_the_start_says_nothing_was_done(
    chat: Chat, storage: CountingStorage, lost_storage: TableBotStorage, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    azurite_storage = storage.inner
    storage.inner = ReadsHereWritesThere(reads=storage.inner, writes=lost_storage)
    [message] = texts(await chat.say(ALEX, "yes"))  # the confirmation is read, its "submitted" mark cannot be saved
    assert message.startswith("I can't reach my storage right now, so I didn't do anything.")
    assert puts(sandbox) == []  # true: nothing was sent

    # Storage is back: the failed turn gave back the decision it had claimed, so "yes" runs the request once.
    storage.inner = azurite_storage
    sent = await chat.say(ALEX, "yes")
    assert texts(sent) == ["Done: scale aks-prod / np1: 3 → 4 nodes. The card above shows the details."]
    assert "Done" in card_texts(changed_card(chat))
    assert puts(sandbox) == [201]


# ------------------------------------------------------------------ a message while the request runs
@pytest.mark.parametrize(("meanwhile", "answer"), [("cancel", TOO_LATE), ("yes", ALREADY_SENT)])
@pytest.mark.parametrize("request_budget", [TINY_BUDGET])
async def test_a_message_while_the_request_runs_is_truthful_and_runs_nothing(
    chat: Chat, bot: SwitchboardBot, sandbox: SandboxHandle, meanwhile: str, answer: str
) -> None:
    sandbox.never_complete(True)
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    other_client = second_window(bot, chat)
    seen: dict[str, Any] = {}

    async def alex_types_meanwhile() -> None:
        seen["puts before"] = puts(sandbox)
        seen["answer"] = texts(await other_client.say(ALEX, meanwhile))

    assert isinstance(chat.adapter, ConnectorStandIn)
    chat.adapter.when_sending(is_result, alex_types_meanwhile)  # the confirming turn still runs
    sent = await chat.say(ALEX, "yes")

    assert seen["puts before"] == [201]  # Alex's message came after the platform call was started
    assert seen["answer"] == [answer]
    assert puts(sandbox) == [201]
    assert "Started, not finished yet" in card_texts(changed_card(chat))
    # The confirming turn's last save meets the other turn's write (an ETag conflict): it acted, so it
    # is not run again and keeps the other turn's state — and says what it started, never "nothing".
    assert texts(sent)[-1] == (
        "The change to aks-prod / node pool np1 was started and Azure is still working on it. "
        "Another message of yours here was handled at the same time, so I kept where that one left us. "
        "Check aks-prod / node pool np1 before trying again."
    )
    # the card said "confirmed" before the platform call (released at the start, never lost), then the result
    assert card_states(chat.adapter)[-2:] == ["Confirmed by Alex Wilber", "Started, not finished yet"]
    assert puts(sandbox) == [201]


@pytest.mark.parametrize(("button", "answer"), [("Cancel", TOO_LATE), ("Confirm", ALREADY_SENT)])
@pytest.mark.parametrize("request_budget", [TINY_BUDGET])
async def test_a_button_of_the_preview_pressed_while_the_request_runs_is_truthful_and_runs_nothing(
    chat: Chat, bot: SwitchboardBot, sandbox: SandboxHandle, button: str, answer: str
) -> None:
    sandbox.never_complete(True)
    [preview] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np1 to 4"))
    other_client = second_window(bot, chat)
    seen: dict[str, Any] = {}

    async def alex_presses_meanwhile() -> None:
        response, _ = await other_client.press(ALEX, preview, button)
        seen["answer"] = response.body["value"]

    assert isinstance(chat.adapter, ConnectorStandIn)
    chat.adapter.when_sending(is_result, alex_presses_meanwhile)
    await chat.say(ALEX, "yes")

    assert seen["answer"] == answer
    assert puts(sandbox) == [201]
