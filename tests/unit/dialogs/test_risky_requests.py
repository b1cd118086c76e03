"""Risky requests need an explicit acknowledgement, checked on the server; the form refuses out-of-range
numbers with the allowed range instead of clamping them. Real bot, real actions, the ARM sandbox."""

from __future__ import annotations

from typing import Any

from actions.context import ActionContext
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.unit.dialogs.conftest import ALEX, Chat, card_texts, changed_card, inputs_of, sent_cards, texts

AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod"
)
ACK = "I understand: scale aks-dev / np1: 2 → 0 nodes"
REFUSED = f'This change is risky: tick "{ACK}", then press Confirm. Nothing was changed.'


def changes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")]


async def dev_np1(actions: ActionContext) -> int:
    pools = actions.container_service(DEV_SUBSCRIPTION_ID).agent_pools
    return int((await pools.get("rg-dev", "aks-dev", "np1")).count)


ASK = 'Tick the box and press Confirm to go ahead, or reply "no" (or press Cancel) to change nothing.'
TYPED_YES = (
    f'This change is risky, so `yes` is not enough: on the card, tick "{ACK}" and press Confirm — '
    "or reply `no` to cancel."
)


async def risky_preview(chat: Chat) -> dict[str, Any]:
    sent = await chat.say(ALEX, "scale node pool aks-dev np1 to 0")
    assert texts(sent) == []  # the question is on the card
    [preview] = sent_cards(sent)
    assert ASK in card_texts(preview)  # not 'Reply "yes"'
    return preview


async def test_a_risky_preview_flags_the_risk_and_asks_for_the_box(chat: Chat) -> None:
    preview = await risky_preview(chat)
    assert card_texts(preview)[:4] == [
        "Scale aks-dev / np1: 2 → 0 nodes",
        "Requested by Alex Wilber",
        "Check before you confirm",
        "• 0 nodes: workloads that run only on this node pool stop running.",
    ]
    assert preview["body"][2]["style"] == "warning"
    toggle = inputs_of(preview)["acknowledge"]
    assert (toggle["type"], toggle["title"], toggle["isRequired"]) == ("Input.Toggle", ACK, True)


async def test_confirm_without_the_box_is_refused_and_nothing_runs(
    chat: Chat, sandbox: SandboxHandle, actions: ActionContext
) -> None:
    preview = await risky_preview(chat)
    response, sent = await chat.press(ALEX, preview, "Confirm")  # forged: the client would not send it unticked
    again = response.body["value"]
    assert REFUSED in card_texts(again)
    assert [a["title"] for a in again["actions"]] == ["Confirm", "Cancel"]  # the request still waits
    assert sent == []
    assert changes(sandbox) == []

    response, _ = await chat.press(ALEX, again, "Confirm", {"acknowledge": "true"})  # not the ticked value
    assert REFUSED in card_texts(response.body["value"])
    assert changes(sandbox) == []

    response, sent = await chat.press(ALEX, again, "Confirm", {"acknowledge": "understood"})
    assert "Confirmed by Alex Wilber" in card_texts(response.body["value"])
    assert "aks-dev / node pool np1 now has 0 nodes." in card_texts(response.body["value"])
    assert sent == []
    assert await dev_np1(actions) == 0


async def test_the_submit_fallback_is_checked_the_same_way(
    chat: Chat, sandbox: SandboxHandle, actions: ActionContext
) -> None:
    preview = await risky_preview(chat)
    sent = await chat.press_fallback(ALEX, preview, "Confirm")
    assert sent_cards(sent) == []  # the preview is shown again in place, saying why
    again = changed_card(chat)
    assert REFUSED in card_texts(again)
    assert changes(sandbox) == []
    await chat.press_fallback(ALEX, again, "Confirm", {"acknowledge": "understood"})
    assert "aks-dev / node pool np1 now has 0 nodes." in card_texts(changed_card(chat))
    assert await dev_np1(actions) == 0


async def test_typing_yes_is_not_enough_for_a_risky_request(chat: Chat, sandbox: SandboxHandle) -> None:
    await risky_preview(chat)
    sent = await chat.say(ALEX, "yes")
    assert texts(sent) == [TYPED_YES]
    assert changes(sandbox) == []
    assert texts(await chat.say(ALEX, "no")) == ["Cancelled. Nothing was changed."]
    assert changes(sandbox) == []


async def test_a_stop_needs_the_box_too(chat: Chat, sandbox: SandboxHandle) -> None:
    [preview] = sent_cards(await chat.say(ALEX, "stop vm build-agent-2"))
    assert card_texts(preview)[:4] == [
        "Stop (deallocate) VM build-agent-2",
        "Requested by Alex Wilber",
        "Check before you confirm",
        "• Everything running on the VM stops until it is started again; its disks are kept.",
    ]
    assert inputs_of(preview)["acknowledge"]["title"] == "I understand: stop (deallocate) VM build-agent-2"
    response, _ = await chat.press(ALEX, preview, "Confirm")
    assert 'This change is risky: tick "I understand: stop (deallocate) VM build-agent-2", then press Confirm.' in (
        " ".join(card_texts(response.body["value"]))
    )
    assert changes(sandbox) == []


async def test_a_number_out_of_range_is_refused_with_the_range_not_clamped(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    form = response.body["value"]
    count = inputs_of(form)["count"]
    assert "max" not in count
    assert "min" not in count
    for typed in ("99999", "-1"):
        response, _ = await chat.press(ALEX, form, "Review", {"pool": "np1", "count": typed})
        again = response.body["value"]
        assert f"Node count must be from 0 to 1000, got {typed}." in card_texts(again)
        assert inputs_of(again)["count"]["value"] == int(typed)  # shown as typed, to correct
        form = again
    assert changes(sandbox) == []
