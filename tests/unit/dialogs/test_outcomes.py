"""Truthful outcomes: once a request's platform call was started, nothing says that nothing happened.

The real bot and dialogs, the real actions against the ARM sandbox (with its fault injection),
botbuilder's TestAdapter as the Bot Connector. Where something must happen at an exact point of
a turn — the connector failing — :class:`ConnectorStandIn` does it when the bot sends a given
activity. Budgets are injected (a tiny one to see a request outlive it); nothing asserts
elapsed time. What needs real storage (a message while the request runs, storage lost after
the start) is in ``tests/integration/dialogs/test_dialogs_outcomes.py``: ``MemoryStorage`` hands
every turn the same live objects, so it cannot show what another turn reads.
"""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from tests.support.arm_sandbox import SandboxHandle
from tests.unit.dialogs.conftest import ALEX, Chat, ConnectorStandIn, card_texts, changed_card, sent_cards, texts

NP1 = "/managedClusters/aks-prod/agentPools/np1"
STARTED = (
    "The change to aks-prod / node pool np1 was started and Azure is still working on it, so I can't confirm "
    "the result yet. Check aks-prod / node pool np1 in a few minutes before trying again."
)
TINY_BUDGET = 0.3  # seconds: an operation that never completes outlives it


def puts(sandbox: SandboxHandle) -> list[int]:
    """Statuses of the scale requests (PUTs of np1) the sandbox answered."""
    return [r["status"] for r in sandbox.requests() if r["method"] == "PUT" and NP1.lower() in r["path"].lower()]


def is_card(activity: Activity) -> bool:
    return activity.type == "message" and bool(activity.attachments)


def is_working_on_it(activity: Activity) -> bool:
    """The request's card saying it was confirmed and is being worked on (shown before the request is sent)."""
    return is_card(activity) and any(
        line.startswith("Working on it") for line in card_texts(activity.attachments[0].content))


def is_result(activity: Activity) -> bool:
    """The request's card showing what became of it."""
    return is_card(activity) and not is_working_on_it(activity)


def no_nothing_claims(lines: list[str]) -> None:
    joined = " ".join(lines).lower()
    assert "nothing was changed" not in joined
    assert "didn't do anything" not in joined


# ------------------------------------------------------------------ the wait fits a Teams turn
@pytest.mark.parametrize("request_budget", [TINY_BUDGET])
async def test_an_operation_that_never_completes_is_reported_started_with_what_to_check(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    sandbox.never_complete(True)
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    sent = await chat.say(ALEX, "yes")

    assert texts(sent) == [
        "Started, not finished yet: scale aks-prod / np1: 3 → 4 nodes. The card above shows the details."]
    assert sent_cards(sent) == []
    outcome = changed_card(chat)
    lines = card_texts(outcome)
    assert "Started, not finished yet" in lines
    assert STARTED in lines
    no_nothing_claims(lines)
    assert "continuation" not in str(outcome).lower()  # kept for a later resume, never shown
    assert puts(sandbox) == [201]  # the write was made
    assert [op["status"] for op in sandbox.operations()] == ["InProgress"]

    # The request is closed: a second "yes" runs nothing.
    assert texts(await chat.say(ALEX, "yes"))[0].startswith("Sorry, I don't know that one.")
    assert texts(await chat.say(ALEX, "cancel")) == ["There is nothing to cancel."]
    assert puts(sandbox) == [201]


@pytest.mark.parametrize("request_budget", [TINY_BUDGET])
async def test_confirm_on_the_card_is_answered_within_the_budget_and_cannot_be_pressed_again(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    sandbox.never_complete(True)
    [preview] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np1 to 4"))
    response, messages = await chat.press(ALEX, preview, "Confirm")

    assert "Confirmed by Alex Wilber" in card_texts(response.body["value"])
    assert STARTED in card_texts(response.body["value"])  # in place of the preview
    assert messages == []
    again, _ = await chat.press(ALEX, preview, "Confirm")  # the decision on the form stands: it runs once
    assert again.body == {
        "statusCode": 200, "type": "application/vnd.microsoft.activity.message",
        "value": "This request was already confirmed by Alex Wilber: it runs once. Nothing more was done.",
    }
    assert puts(sandbox) == [201]


# ------------------------------------------------------------------ what is known, and only that
async def test_a_refusal_before_the_start_says_nothing_was_changed(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    sandbox.inject_fault(method="PUT", path_contains=NP1, status=409, times=1)  # ARM refuses it
    await chat.say(ALEX, "yes")
    lines = card_texts(changed_card(chat))
    assert "Not done" in lines
    assert (
        "Another operation is running on aks-prod / node pool np1; try again when it finishes. Nothing was changed."
    ) in lines


async def test_a_server_error_after_the_start_says_it_may_have_partly_happened(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    sandbox.inject_fault(method="PUT", path_contains=NP1, status=500, times=None)
    await chat.say(ALEX, "yes")
    lines = card_texts(changed_card(chat))
    assert "Failed" in lines
    [message] = [line for line in lines if line.startswith("Azure could not scale aks-prod / node pool np1.")]
    assert message.endswith("It may have partly happened: check aks-prod / node pool np1 before trying again.")
    [reference] = [line for line in lines if line.startswith("Reference: ")]
    assert reference.removeprefix("Reference: ") in message
    assert "fault injected" not in " ".join(lines).lower()  # what ARM said is translated, not echoed
    no_nothing_claims(lines)
    assert set(puts(sandbox)) == {500}


async def test_an_operation_that_fails_in_azure_says_what_azure_said_and_what_to_check(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    sandbox.inject_fault(method="PUT", path_contains=NP1, operation_status="Failed", times=1)
    await chat.say(ALEX, "yes")
    lines = card_texts(changed_card(chat))
    assert "Failed" in lines
    [message] = [line for line in lines if "(SandboxInjectedFailure)" in line]
    assert message.endswith("check aks-prod / node pool np1 before trying again.")


async def test_a_status_that_cannot_be_read_is_could_not_be_confirmed(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    sandbox.set_operation_delay(30)
    sandbox.inject_fault(method="GET", path_contains="/operations/", status=500, times=None)
    await chat.say(ALEX, "yes")
    lines = card_texts(changed_card(chat))
    assert "Could not be confirmed" in lines
    [message] = [line for line in lines if line.startswith("The change to aks-prod / node pool np1 was sent")]
    assert "could not be confirmed (reference " in message
    assert message.endswith("Check aks-prod / node pool np1 before trying again.")
    assert puts(sandbox) == [201]


# ------------------------------------------------------------------ the turn fails after the start
@pytest.mark.parametrize("request_budget", [TINY_BUDGET])
async def test_a_turn_that_fails_after_the_start_says_what_was_started(chat: Chat, sandbox: SandboxHandle) -> None:
    sandbox.never_complete(True)
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")

    async def connector_fails() -> None:
        raise ConnectionError("the Bot Connector reset the connection")

    assert isinstance(chat.adapter, ConnectorStandIn)
    chat.adapter.when_sending(is_result, connector_fails, times=2)  # the result is lost (update and re-post)
    sent = await chat.say(ALEX, "yes")

    message = texts(sent)[-1]
    assert message.startswith(
        "The change to aks-prod / node pool np1 was started and Azure is still working on it. "
        "Then something went wrong on my side (ref "
    )
    assert message.endswith("Check aks-prod / node pool np1 before trying again.")
    assert "ConnectionError" not in message
    no_nothing_claims([message])
    assert puts(sandbox) == [201]
    assert texts(await chat.say(ALEX, "yes"))[0].startswith("Sorry, I don't know that one.")  # closed
    assert puts(sandbox) == [201]


async def test_a_turn_that_fails_before_the_start_still_says_to_try_again(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")

    async def connector_fails() -> None:
        raise ConnectionError("the Bot Connector reset the connection")

    assert isinstance(chat.adapter, ConnectorStandIn)
    chat.adapter.when_sending(is_working_on_it, connector_fails, times=2)  # before the request is handed over
    [message] = texts(await chat.say(ALEX, "yes"))
    assert message.startswith("Something went wrong on my side (ref ")
    assert message.endswith("Please try again.")
    assert puts(sandbox) == []  # nothing was started, and the message does not pretend otherwise


async def test_a_turn_that_fails_after_a_refusal_says_to_try_again(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    sandbox.inject_fault(method="PUT", path_contains=NP1, status=409, times=1)  # ARM refuses: nothing started

    async def connector_fails() -> None:
        raise ConnectionError("the Bot Connector reset the connection")

    assert isinstance(chat.adapter, ConnectorStandIn)
    chat.adapter.when_sending(is_result, connector_fails, times=2)
    message = texts(await chat.say(ALEX, "yes"))[-1]
    assert message.startswith("Something went wrong on my side (ref ")
    assert message.endswith("Please try again.")
    assert puts(sandbox) == [409]
