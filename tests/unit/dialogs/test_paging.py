"""Long choice lists are paged in chat: ten at a time, "more…" for the next page, names from any page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, SandboxHandle, running_sandbox
from tests.unit.dialogs.conftest import ALEX, Chat, card_texts, sent_cards, texts

ESTATE = Path(__file__).resolve().parents[3] / "sandbox" / "estate.json"
EXTRA_POOLS = 25  # with the 2 seeded ones: 27 node pools in aks-dev, three pages


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """A sandbox whose aks-dev cluster has many node pools."""
    estate = json.loads(ESTATE.read_text(encoding="utf-8"))
    dev = next(s for s in estate["subscriptions"] if s["subscriptionId"] == DEV_SUBSCRIPTION_ID)
    cluster = next(c for c in dev["resourceGroups"][0]["managedClusters"] if c["name"] == "aks-dev")
    cluster["agentPools"] += [
        {"name": f"batch{index:02d}", "mode": "User", "count": 1, "vmSize": "Standard_D2s_v5"}
        for index in range(EXTRA_POOLS)
    ]
    path = tmp_path_factory.mktemp("estate") / "estate.json"
    path.write_text(json.dumps(estate), encoding="utf-8")
    with running_sandbox(operation_delay=0.05, estate_path=path) as handle:
        yield handle


async def test_choices_come_ten_per_page_with_more(chat: Chat) -> None:
    [first] = texts(await chat.say(ALEX, "scale node pool aks-dev"))
    assert first.startswith("Which node pool? (showing 1 to 10 of 27)")
    assert "1. batch00" in first
    assert "10. batch09" in first
    assert "11. more…" in first
    assert "12. use a form" in first

    [second] = texts(await chat.say(ALEX, "more"))
    assert "(showing 11 to 20 of 27)" in second
    assert "1. batch10" in second

    [third] = texts(await chat.say(ALEX, "11"))  # "more…" by its number
    assert "(showing 21 to 27 of 27)" in third
    assert "more…" not in third


async def test_a_name_from_another_page_is_accepted(chat: Chat) -> None:
    await chat.say(ALEX, "scale node pool aks-dev count=2")
    sent = await chat.say(ALEX, "np1")  # on the last page, not the first
    [preview] = sent_cards(sent)
    assert "aks-dev / node pool np1 already has 2 nodes" in card_texts(preview)
