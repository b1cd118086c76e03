"""The generic action dialog in chat: inline arguments, prompts, re-asking, limits, interruptions.

Every action runs for real against the ARM sandbox; the assertions check what the user reads
and what changed (or did not) in the sandbox's estate.
"""

from __future__ import annotations

from actions.context import ActionContext
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.unit.dialogs.conftest import ALEX, Chat, card_texts, changed_card, run_buttons, said, sent_cards, texts

PROD = PROD_SUBSCRIPTION_ID


async def pool_count(actions: ActionContext, pool: str, cluster: str = "aks-prod") -> int:
    client = actions.container_service(PROD)
    return int((await client.agent_pools.get("rg-prod", cluster, pool)).count)


def changes(sandbox: SandboxHandle) -> list[dict[str, object]]:
    """Requests that would change the estate (anything but reads)."""
    return [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")]


async def test_all_parameters_inline_preview_confirm_and_the_result(chat: Chat, actions: ActionContext) -> None:
    sent = await chat.say(ALEX, "scale node pool aks-prod np1 to 5")
    assert texts(sent) == []  # the question is on the card
    [preview] = sent_cards(sent)
    assert 'Reply "yes" to confirm or "no" to cancel, or use the buttons.' in card_texts(preview)
    assert card_texts(preview)[:5] == [
        "Scale aks-prod / np1: 3 → 5 nodes", "Requested by Alex Wilber", "AKS cluster: aks-prod", "Node pool: np1",
        "Node count: 3 → 5",
    ]
    assert [a["title"] for a in preview["actions"]] == ["Confirm", "Cancel"]

    sent = await chat.say(ALEX, "yes")
    assert texts(sent) == ["Done: scale aks-prod / np1: 3 → 5 nodes. The card above shows the details."]
    assert sent_cards(sent) == []  # the preview's card became the result
    outcome = changed_card(chat)
    assert "Done" in card_texts(outcome)
    assert "aks-prod / node pool np1 now has 5 nodes." in card_texts(outcome)
    assert await pool_count(actions, "np1") == 5


async def test_parameters_are_prompted_one_by_one_with_the_right_prompt(
    chat: Chat, actions: ActionContext, sandbox: SandboxHandle
) -> None:
    [question] = texts(await chat.say(ALEX, "scale node pool aks-prod"))
    assert question.startswith("Which node pool?")
    for line in ("1. np1", "2. system"):  # discovered, numbered
        assert line in question
    # The autoscaler owns np2's count: not offered for a manual scale, and the question says why.
    assert "np2." not in question
    assert "Not offered: np2 (autoscaled — change its min/max instead)." in question
    assert "use a form" in question
    assert "say `form` to fill in a card instead" in question

    [question] = texts(await chat.say(ALEX, "1"))  # by number
    assert question.startswith("How many nodes should it have? (0 to 1000)")

    sent = await chat.say(ALEX, "four")  # the number prompt understands words
    assert "Node count: 3 → 4" in card_texts(sent_cards(sent)[0])

    assert texts(await chat.say(ALEX, "no")) == ["Cancelled. Nothing was changed."]
    assert await pool_count(actions, "np1") == 3
    assert changes(sandbox) == []


async def test_a_resource_can_be_typed_by_name_and_a_refused_inline_value_is_asked_again(chat: Chat) -> None:
    sent = said(await chat.say(ALEX, "scale node pool aks-prod np9 to 5"))
    assert sent[0].startswith("There is no node pool called 'np9' here.")  # the reason, worded by actions.params
    assert sent[1].startswith("Which node pool?")

    sent = await chat.say(ALEX, "np1")
    assert "Node pool: np1" in card_texts(sent_cards(sent)[0])


async def test_invalid_then_valid_input_is_reasked_with_the_reason(chat: Chat) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1")

    [retry] = texts(await chat.say(ALEX, "lots"))
    assert retry.startswith("Node count must be a whole number, got 'lots'.")
    assert "How many nodes should it have? (0 to 1000) (try 2 of 3, or say `cancel`)" in retry

    [retry] = texts(await chat.say(ALEX, "5000"))
    assert retry.startswith("Node count must be from 0 to 1000, got 5000.")
    assert "(try 3 of 3" in retry

    sent = await chat.say(ALEX, "2")
    assert "Node count: 3 → 2" in card_texts(sent_cards(sent)[0])


async def test_three_invalid_answers_stop_politely_and_nothing_runs(
    chat: Chat, sandbox: SandboxHandle, storage: object
) -> None:
    await chat.say(ALEX, "scale node pool aks-prod")
    await chat.say(ALEX, "np7")
    await chat.say(ALEX, "np8")
    [stop] = texts(await chat.say(ALEX, "np9"))
    assert stop.startswith("There is no node pool called 'np9' here.")
    assert "That's 3 tries without a valid node pool, so I've stopped here. Nothing was changed." in stop

    assert texts(await chat.say(ALEX, "cancel")) == ["There is nothing to cancel."]  # the dialog is gone
    assert changes(sandbox) == []


async def test_cancel_midway_ends_the_dialog(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1")
    assert texts(await chat.say(ALEX, "cancel")) == ["Cancelled. Nothing was changed."]
    [reply] = texts(await chat.say(ALEX, "5"))  # no longer an answer: routed as a new command
    assert reply.startswith("Sorry, I don't know that one.")
    assert changes(sandbox) == []


async def test_help_midway_explains_the_action_and_asks_again(chat: Chat, actions: ActionContext) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1")
    [help_text, question] = texts(await chat.say(ALEX, "help"))
    assert help_text.startswith("**scale node pool** (`aks-scale-node-pool`) — Set the node count of an AKS node pool.")
    assert help_text.endswith("Answer below, or say `cancel` to stop.")
    assert question.startswith("How many nodes should it have?")

    await chat.say(ALEX, "6")
    await chat.say(ALEX, "yes")
    assert await pool_count(actions, "np1") == 6


async def test_decline_at_the_preview_changes_nothing(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "restart app web-prod")
    assert texts(await chat.say(ALEX, "no")) == ["Cancelled. Nothing was changed."]
    assert changes(sandbox) == []


async def test_an_unclear_confirmation_is_asked_again(chat: Chat, actions: ActionContext) -> None:
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    [retry] = texts(await chat.say(ALEX, "maybe"))
    assert retry.startswith("Please answer `yes` or `no`.")
    await chat.say(ALEX, "yes")
    assert await pool_count(actions, "np1") == 4


async def test_the_actions_own_checks_stop_before_the_preview_with_a_suggestion(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    [card] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np2 to 8"))
    assert "The cluster autoscaler is on for aks-prod / node pool np2 (min 2, max 6): it sets the node count itself. " \
        "Change its min/max instead." in card_texts(card)
    # The follow-up is a button carrying the whole command, in its natural form, and it changes something.
    assert run_buttons(card) == {"set autoscale aks-prod np2 min 2 max 8": "set autoscale aks-prod np2 min 2 max 8"}
    assert changes(sandbox) == []


async def test_nothing_to_change_says_so_and_asks_nothing(chat: Chat) -> None:
    sent = await chat.say(ALEX, "scale node pool aks-prod np1 to 3")
    assert texts(sent) == ["Nothing to change, so nothing was run."]
    [card] = sent_cards(sent)
    assert "actions" not in card
    assert texts(await chat.say(ALEX, "yes"))[0].startswith("Sorry, I don't know that one.")


async def test_use_a_form_switches_to_the_card(chat: Chat) -> None:
    await chat.say(ALEX, "scale node pool aks-prod")
    sent = await chat.say(ALEX, "use a form")
    [form] = sent_cards(sent)
    assert "AKS cluster: aks-prod" in card_texts(form)  # what was already said is kept
    assert {e["id"] for e in form["body"] if e["type"].startswith("Input.")} == {"pool", "count"}


async def test_a_platform_failure_is_reported_with_a_reference_not_the_exception(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    await chat.say(ALEX, "restart app web-prod")
    sandbox.inject_fault(method="POST", path_contains="/restart", status=500, times=10)
    await chat.say(ALEX, "yes")
    lines = card_texts(changed_card(chat))
    assert "Failed" in lines
    assert any("Reference" in line for line in lines)
    assert not any("Traceback" in line or "HttpResponseError" in line for line in lines)
