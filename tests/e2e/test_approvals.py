"""An approval end to end: Alex asks for a production change in the Agents Playground page (headless
Chromium), gives a reason, and waits; Megan and Adele — the Playground's other mock users, acting
through its custom-activity API as ``python -m tools.act_as`` does — approve on the approval card
posted in the team's General channel. Nobody types after the second approval: the operation is queued,
the worker runs it, Alex's one card for the request shows the result in place and a short completion
message arrives in Alex's chat; the sandbox shows it ran exactly once.

The demo policy (``tools/demo_policy.yaml``, seeded like ``make run``) gives Alex an approval-mode
grant on rg-prod; two of the platform approvers must approve.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.e2e.estate import PROD, EstateClient
from tests.e2e.expectations import ERROR_REPLY
from tests.e2e.pages import PlaygroundPage
from tools.act_as import act_as
from tools.playground import GENERAL_CHANNEL_ID, PlaygroundClient
from tools.stack import ArmSandbox

pytestmark = pytest.mark.e2e

TURN = 45.0
"""Seconds one turn may take through the page, the Playground, the dev host and the sandbox (loaded machine)."""
_REQUEST_ID = re.compile(r"\bf-[0-9a-f]{16}\b")
# The completion message the operations worker sends to Alex's chat once the approved request ran.
_COMPLETION = re.compile(r"Operation [0-9A-Z]{4,6}: aks-prod / node pool np1 now has 5 nodes")


@pytest_asyncio.fixture(loop_scope="session")
async def estate(arm_sandbox: ArmSandbox) -> AsyncIterator[EstateClient]:
    async with aiohttp.ClientSession() as session:
        client = EstateClient(arm_sandbox.url, session)
        await client.reset()
        yield client


async def shown(page: PlaygroundPage, text: str) -> None:
    message = page.bot_messages().filter(has_text=text).last
    await expect(message.or_(page.page.get_by_text(ERROR_REPLY)).first).to_be_visible(timeout=TURN * 1000)
    errors = page.page.get_by_text(ERROR_REPLY)
    assert await errors.count() == 0, f"the bot answered with an error: {await errors.all_inner_texts()}"


async def test_a_production_change_waits_for_two_approvers_then_runs_and_alex_sees_it(
    playground_page: PlaygroundPage, playground_client: PlaygroundClient, estate: EstateClient
) -> None:
    # Switchboard is added to the team, whose General channel gets the approval cards.
    install = await playground_client.activity_template(GENERAL_CHANNEL_ID)
    install.update(type="installationUpdate", action="add")
    await playground_client.send_activity(install)

    page = playground_page
    await page.open_personal_chat()
    cards_before = await page.cards().count()
    await page.send_in_chat("scale node pool aks-prod np1 to 5")
    preview = await page.wait_for_card("3 → 5", within=TURN, unless=ERROR_REPLY)
    await preview.get_by_role("button", name="Confirm").click()
    await shown(page, "Why is it needed?")
    assert await estate.writes() == [], "nothing may change before the approvals"
    await page.send_in_chat("black friday traffic")
    waiting = await page.wait_for_card("Waiting for approval", within=TURN, unless=ERROR_REPLY)
    found = _REQUEST_ID.search(await waiting.inner_text())
    assert found, "the waiting card names the request"
    request_id = found.group(0)

    megan = await act_as(playground_client, "megan", "approve", request_id, comment="capacity checked")
    assert megan.counted, megan.shown
    assert "waiting for 1 more" in megan.shown
    assert await estate.writes() == [], "one approval of two runs nothing"
    adele = await act_as(playground_client, "adele", "approve", request_id)
    assert adele.counted, adele.shown
    assert "quorum is reached" in adele.shown

    await shown(page, "Your request was approved.")
    # Nobody types any more: the worker runs the queued operation, the request's one card shows the
    # result in place, and the completion message arrives in Alex's chat.
    await expect(preview).to_contain_text("now has 5 nodes", timeout=TURN * 1000)
    await expect(preview).to_contain_text("aks-prod / node pool np1")
    await expect(preview).to_contain_text("Done")
    await expect(page.bot_messages().filter(has_text=_COMPLETION).last).to_be_visible(timeout=TURN * 1000)
    await expect(page.cards()).to_have_count(cards_before + 1)
    assert await estate.node_count(PROD, "aks-prod", "np1") == 5
    assert [w["method"] for w in await estate.writes()] == ["PUT"], "scaled exactly once"
    again = await act_as(playground_client, "isaiah", "approve", request_id)
    assert not again.counted  # decided: no buttons for the third approver
