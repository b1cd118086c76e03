"""A card form end to end, in a real browser: the Agents Playground page, the dev host, the ARM sandbox.

Alex asks to scale a node pool by naming the action alone, fills in the two forms the bot
generates from the action's declaration, reviews the preview, confirms, and reads the result,
which the ARM sandbox confirms: the node pool has the new node count. The pool is in rg-dev, where
the demo policy (``tools/demo_policy.yaml``) gives Alex a standing approval: the request is queued at
once, and the worker's result replaces the card's content in place.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from azure.mgmt.containerservice.aio import ContainerServiceClient
from playwright.async_api import Locator, expect

from tests.e2e.estate import EstateClient
from tests.e2e.pages import PlaygroundPage
from tests.e2e.screenshots import Screenshots
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, SandboxHandle, sdk_client_kwargs
from tools.stack import ArmSandbox

pytestmark = pytest.mark.e2e

_CARD = ".ac-adaptiveCard"


@pytest_asyncio.fixture(loop_scope="session")
async def estate(arm_sandbox: ArmSandbox) -> AsyncIterator[EstateClient]:
    """The sandbox, reset to its demo estate (no faults, empty request log) before the test."""
    async with aiohttp.ClientSession() as session:
        client = EstateClient(arm_sandbox.url, session)
        await client.reset()
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def aks_dev(arm_sandbox: ArmSandbox) -> AsyncIterator[ContainerServiceClient]:
    """The real SDK client on the e2e stack's sandbox (platform-dev), to check what changed."""
    kwargs = sdk_client_kwargs(SandboxHandle(arm_sandbox.url))
    async with ContainerServiceClient(subscription_id=DEV_SUBSCRIPTION_ID, **kwargs) as client:
        yield client


async def node_count(client: ContainerServiceClient) -> int:
    return int((await client.agent_pools.get("rg-dev", "aks-dev", "np1")).count)


async def choose(page: PlaygroundPage, card: Locator, label: str, option: str) -> None:
    """Pick ``option`` in the card's choice set labelled ``label`` (the Playground renders a combobox)."""
    await card.get_by_role("combobox", name=label).click()
    await page.page.get_by_role("option", name=option).click()


def latest_card(page: PlaygroundPage, has_text: str) -> Locator:
    """The last Adaptive Card in the chat showing ``has_text``."""
    return page.page.locator(_CARD).filter(has_text=has_text).last


async def test_scale_a_node_pool_with_the_card_form(
    playground_page: PlaygroundPage, estate: EstateClient, aks_dev: ContainerServiceClient, screenshots: Screenshots
) -> None:
    before = await node_count(aks_dev)
    wanted = before + 2
    await playground_page.open_personal_chat()
    cards_before = await playground_page.page.locator(_CARD).count()
    await playground_page.send_in_chat("scale node pool")

    await expect(latest_card(playground_page, "Form for Alex Wilber")).to_be_visible(timeout=20_000)
    # The card stays where it is while invoke answers replace its content: hold on to its position.
    form = playground_page.page.locator(_CARD).nth(await playground_page.page.locator(_CARD).count() - 1)
    await choose(playground_page, form, "AKS cluster", "aks-dev (rg-dev · sub 11111111 · Running)")
    await form.get_by_role("button", name="Next").click()

    # The invoke's answer replaces the card in place: the second form, for the pool and the count.
    await expect(form.get_by_role("combobox", name="Node pool")).to_be_visible(timeout=20_000)
    await choose(playground_page, form, "Node pool", f"np1 (User · {before} nodes)")
    await form.get_by_role("spinbutton", name="Node count (from 0 to 1000)").fill(str(wanted))
    await screenshots.take("card-form", playground_page, shows="Node count (from 0 to 1000)")
    await form.get_by_role("button", name="Review").click()

    await expect(form.get_by_text("Requested by Alex Wilber")).to_be_visible(timeout=20_000)
    await expect(form.get_by_text(f"Scale aks-dev / np1: {before} → {wanted} nodes")).to_be_visible()
    await expect(form.get_by_text(f"{before} → {wanted}", exact=True)).to_be_visible()
    await form.get_by_role("button", name="Confirm").click()

    # The answer to Confirm is the result, in place of the preview: the request has one card.
    await expect(form.get_by_text(f"now has {wanted} nodes")).to_be_visible(timeout=30_000)
    await expect(form.get_by_text("Confirmed by Alex Wilber")).to_be_visible()
    await expect(form.get_by_text("Done", exact=True)).to_be_visible()
    # the completion message arrived in the chat by itself: nobody typed after Confirm
    completion = re.compile(rf"Operation [0-9A-Z]{{4,6}}: aks-dev / node pool np1 now has {wanted} nodes")
    await expect(playground_page.bot_messages().filter(has_text=completion).last).to_be_visible()
    await expect(playground_page.page.locator(_CARD)).to_have_count(cards_before + 1)
    assert await node_count(aks_dev) == wanted
    assert [w["method"] for w in await estate.writes()] == ["PUT"], "scaled exactly once"
    await screenshots.take("card-form-result", playground_page, shows=f"now has {wanted} nodes")
