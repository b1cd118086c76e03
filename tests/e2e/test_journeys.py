"""Journeys people take, end to end: Alex types in the Agents Playground page (headless Chromium),
through the Playground's connector, the real HTTP edge and dev host, to the ARM sandbox.

Each journey checks what Alex sees in the page *and* what the platform looks like afterwards,
read from the sandbox over plain HTTP (:mod:`tests.e2e.estate`), which is reset before each one.

* a command typed with all its values, in personal chat (Confirm pressed) and in a channel
  thread (``yes`` answered with an @mention): queued as an operation, then the request's one card
  shows the result and a short completion message arrives, with nobody typing after the confirm;
* prompts answered one by one, and a card form in a channel thread;
* ``cancel`` typed at the preview, and the preview's Cancel button: nothing is written;
* a scale of an autoscaled pool: refused, with a button carrying the command that can work;
* an operation that fails in Azure: a failure with a reference, no exception text, nothing changed.

The journeys that run something act on rg-dev, where the demo policy (``tools/demo_policy.yaml``)
gives Alex a standing approval: the guardrails let the request through at once. A production change
waits for approvers; ``test_approvals.py`` walks that journey.

What the tests read in the page is kept to stable facts (node counts, resource names, power
states, a reference), not whole sentences.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Locator, expect

from tests.e2e.estate import DEV, PROD, EstateClient
from tests.e2e.expectations import ERROR_REPLY
from tests.e2e.pages import PlaygroundPage
from tests.e2e.screenshots import Screenshots
from tools.playground import PlaygroundClient
from tools.stack import ArmSandbox

pytestmark = pytest.mark.e2e

TURN = 45.0
"""Seconds one turn may take through the page, the Playground, the dev host and the sandbox on a
loaded 2-core machine (a turn that runs an operation includes the sandbox's 1 s operation)."""

# A reference as a user sees it ("Reference 1a2b3c4d5e6f", "ref 1a2b…"), never exception text.
_REFERENCE = re.compile(r"\bref(erence)?\b\W*[0-9a-f]{8,}", re.IGNORECASE)
# The completion message the operations worker sends where the request was made (the chat, the thread).
_COMPLETION = re.compile(r"Operation [0-9A-Z]{4,6}: aks-dev / node pool np1 now has 3 nodes")
_NEVER_SHOWN = ("Traceback", "Exception", "HttpResponseError", "azure.core", "Fault injected", "fault-")


@pytest_asyncio.fixture(loop_scope="session")
async def estate(arm_sandbox: ArmSandbox) -> AsyncIterator[EstateClient]:
    """The sandbox, reset to its demo estate (no faults, empty request log) before the journey."""
    async with aiohttp.ClientSession() as session:
        client = EstateClient(arm_sandbox.url, session)
        await client.reset()
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def personal_chat(
    playground_page: PlaygroundPage, playground_client: PlaygroundClient
) -> AsyncIterator[PlaygroundPage]:
    """The page on the personal chat. Afterwards ``cancel`` ends whatever the journey left waiting:
    the bot keeps a dialog across page loads, and the next journey must start from nothing."""
    await playground_page.open_personal_chat()
    yield playground_page
    chat = await playground_client.personal_chat_id()
    async with playground_client.stream() as stream:
        sent = await playground_client.send(chat, "cancel")
        await stream.next_message(sent.conversation_id, within=TURN)


async def card(page: PlaygroundPage, has_text: str | re.Pattern[str], *, inside: Locator | None = None) -> Locator:
    """The newest card showing ``has_text`` (waited for); fails at once if the bot answers with an error."""
    return await page.wait_for_card(has_text, inside=inside, within=TURN, unless=ERROR_REPLY)


async def say(page: PlaygroundPage, text: str, *, expect_reply: str | re.Pattern[str]) -> Locator:
    """Type ``text`` in the personal chat and wait for the bot's message showing ``expect_reply``."""
    await page.send_in_chat(text)
    reply = page.bot_messages().filter(has_text=expect_reply).last
    await expect(reply.or_(page.page.get_by_text(ERROR_REPLY)).first).to_be_visible(timeout=TURN * 1000)
    await assert_no_error_shown(page)
    return reply


async def assert_no_error_shown(page: PlaygroundPage) -> None:
    errors = page.page.get_by_text(ERROR_REPLY)
    assert await errors.count() == 0, f"the bot answered with an error: {await errors.all_inner_texts()}"


def assert_no_exception_text(shown: str) -> None:
    leaked = [marker for marker in _NEVER_SHOWN if marker.casefold() in shown.casefold()]
    assert not leaked, f"the user sees internal details {leaked}: {shown!r}"


async def test_a_command_typed_in_personal_chat_runs_after_confirm(
    personal_chat: PlaygroundPage, estate: EstateClient, screenshots: Screenshots
) -> None:
    cards_before = await personal_chat.cards().count()
    await personal_chat.send_in_chat("scale node pool aks-dev np1 to 3")

    preview = await card(personal_chat, "2 → 3")
    await expect(preview).to_contain_text("Scale aks-dev / np1: 2 → 3 nodes")
    assert await estate.writes() == [], "nothing may change before Confirm"
    await screenshots.take("typed-command-preview", personal_chat, shows="Scale aks-dev / np1: 2 → 3 nodes")
    await preview.get_by_role("button", name="Confirm").click()

    # One card for the request: the preview became the result, in place
    await expect(preview).to_contain_text("now has 3 nodes", timeout=TURN * 1000)
    await expect(preview).to_contain_text("aks-dev / node pool np1")
    await expect(preview).to_contain_text("Done")
    # ... and the completion message arrived by itself, nobody typed after Confirm
    await expect(personal_chat.bot_messages().filter(has_text=_COMPLETION).last).to_be_visible(timeout=TURN * 1000)
    await expect(personal_chat.cards()).to_have_count(cards_before + 1)
    await screenshots.take("typed-command-result", personal_chat, shows="now has 3 nodes")
    assert await estate.node_count(DEV, "aks-dev", "np1") == 3
    assert [(w["method"], w["status"]) for w in await estate.writes()] == [("PUT", 201)], "scaled exactly once"
    await assert_no_error_shown(personal_chat)


async def test_a_command_typed_in_a_channel_runs_after_yes_in_its_thread(
    playground_page: PlaygroundPage, estate: EstateClient
) -> None:
    await playground_page.open_channel("General")
    post = await playground_page.post_in_channel("scale node pool aks-dev np1 to 3", mention_bot=True)

    preview = await card(playground_page, "2 → 3", inside=post)
    await expect(preview).to_contain_text("Scale aks-dev / np1: 2 → 3 nodes")
    await playground_page.reply_in_thread(post, "yes", mention_bot=True)

    # One card for the request, changed in place to the result; one short reply in the thread
    await expect(preview).to_contain_text("now has 3 nodes", timeout=TURN * 1000)
    await expect(preview).to_contain_text("aks-dev / node pool np1")
    await expect(post).to_contain_text(_COMPLETION, timeout=TURN * 1000)
    await expect(playground_page.cards(post)).to_have_count(1)
    assert await estate.node_count(DEV, "aks-dev", "np1") == 3
    assert [w["method"] for w in await estate.writes()] == ["PUT"], "scaled exactly once"
    await assert_no_error_shown(playground_page)


async def test_a_scale_the_autoscaler_owns_is_refused_with_a_button_for_what_can_be_done(
    personal_chat: PlaygroundPage, estate: EstateClient, screenshots: Screenshots
) -> None:
    await personal_chat.send_in_chat("scale node pool aks-prod np2 to 8")

    refusal = await card(personal_chat, "The cluster autoscaler is on")
    suggestion = refusal.get_by_role("button", name="set autoscale aks-prod np2 min 2 max 8")
    await expect(suggestion).to_be_visible()
    await screenshots.take("refusal", personal_chat, shows="The cluster autoscaler is on")
    assert await estate.writes() == []

    # The button runs the whole command as if typed: its preview, and still nothing changed.
    await suggestion.click()
    await card(personal_chat, "6 → 8")
    assert await estate.writes() == []
    await assert_no_error_shown(personal_chat)


async def test_prompts_answered_one_by_one_in_personal_chat(
    personal_chat: PlaygroundPage, estate: EstateClient
) -> None:
    question = await say(personal_chat, "scale node pool aks-dev", expect_reply="Which node pool?")
    await expect(question).to_contain_text("np1")  # the pools of aks-dev are offered
    await expect(question).to_contain_text("system")

    await say(personal_chat, "np1", expect_reply="How many nodes")
    cards_before = await personal_chat.cards().count()
    await personal_chat.send_in_chat("4")
    preview = await card(personal_chat, "2 → 4")
    await expect(preview).to_contain_text("Scale aks-dev / np1: 2 → 4 nodes")
    await personal_chat.send_in_chat("yes")

    await expect(preview).to_contain_text("now has 4 nodes", timeout=TURN * 1000)  # in place: one card
    await expect(personal_chat.cards()).to_have_count(cards_before + 1)
    assert await estate.node_count(DEV, "aks-dev", "np1") == 4
    await assert_no_error_shown(personal_chat)


async def test_stop_a_vm_with_the_form_in_a_channel_thread(
    playground_page: PlaygroundPage, estate: EstateClient
) -> None:
    await playground_page.open_channel("General")
    post = await playground_page.post_in_channel("stop vm", mention_bot=True)

    form = await card(playground_page, "Virtual machine", inside=post)
    await form.get_by_role("combobox", name="Virtual machine").click()
    await playground_page.page.get_by_role("option", name=re.compile(r"^build-agent-2\b")).click()
    await form.get_by_role("button", name="Review").click()

    # The invoke's answers replace the form with the preview, then with the result, in place: one card.
    await expect(form).to_contain_text("running → deallocated", timeout=TURN * 1000)
    await expect(form).to_contain_text("Check before you confirm")  # stopping is risky: it needs the box ticked
    cards_before = await playground_page.cards(post).count()
    await form.get_by_role("checkbox", name="I understand: stop (deallocate) VM build-agent-2").check()
    await form.get_by_role("button", name="Confirm").click()

    await expect(form).to_contain_text("Done", timeout=TURN * 1000)
    await expect(form).to_contain_text("build-agent-2")
    await expect(form).to_contain_text("deallocated")
    await expect(playground_page.cards(post)).to_have_count(cards_before)
    assert await estate.vm_power_state(DEV, "build-agent-2") == "deallocated"
    assert await estate.vm_power_state(DEV, "build-agent-1") == "running", "only the chosen VM stops"
    await assert_no_error_shown(playground_page)


async def test_cancel_typed_at_the_preview_changes_nothing(
    personal_chat: PlaygroundPage, estate: EstateClient
) -> None:
    await personal_chat.send_in_chat("scale node pool aks-prod np1 to 5")
    preview = await card(personal_chat, "3 → 5")

    await say(personal_chat, "cancel", expect_reply=re.compile("cancelled", re.IGNORECASE))
    assert await estate.writes() == []

    # The preview says so, in place, and has no buttons left to press.
    await expect(preview).to_contain_text("Cancelled by Alex Wilber", timeout=TURN * 1000)
    await expect(preview.get_by_role("button", name="Confirm")).to_have_count(0)
    assert await estate.writes() == []
    assert await estate.node_count(PROD, "aks-prod", "np1") == 3
    await assert_no_error_shown(personal_chat)


async def test_the_preview_declined_with_its_cancel_button_changes_nothing(
    personal_chat: PlaygroundPage, estate: EstateClient
) -> None:
    await personal_chat.send_in_chat("scale node pool aks-prod np1 to 5")
    preview = await card(personal_chat, "3 → 5")
    await preview.get_by_role("button", name="Cancel").click()

    # The invoke's answer replaces the preview in place: decided, and no buttons left to press.
    await expect(preview).to_contain_text("Cancelled by Alex Wilber", timeout=TURN * 1000)
    await expect(preview.get_by_role("button", name="Confirm")).to_have_count(0)
    assert await estate.writes() == []
    assert await estate.node_count(PROD, "aks-prod", "np1") == 3
    await assert_no_error_shown(personal_chat)


async def test_an_operation_that_fails_in_azure_shows_a_reference_and_changes_nothing(
    personal_chat: PlaygroundPage, estate: EstateClient
) -> None:
    fault = await estate.inject_fault(method="PUT", path_contains="/managedClusters/aks-dev/agentPools/np1",
                                      operation_status="Failed")
    await personal_chat.send_in_chat("scale node pool aks-dev np1 to 3")
    await card(personal_chat, "2 → 3")
    await personal_chat.send_in_chat("yes")

    result = await card(personal_chat, _REFERENCE)
    shown = await result.inner_text()
    assert "aks-dev / node pool np1" in shown
    assert re.search(r"fail", shown, re.IGNORECASE), f"not shown as a failure: {shown!r}"
    assert_no_exception_text(shown)
    assert await estate.fault_hits(fault) == 1, "the scale request reached Azure once"
    assert await estate.node_count(DEV, "aks-dev", "np1") == 2
    await assert_no_error_shown(personal_chat)
