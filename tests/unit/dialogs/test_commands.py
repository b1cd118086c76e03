"""Natural commands, buttons instead of retyping, and no choice that cannot work — as a user meets them.

The real bot, the real actions on the ARM sandbox: synonyms run the action they stand for,
suggestion buttons carry whole commands and run them when pressed (on both delivery paths),
help in a channel names the bot as the channel calls it, choices a precondition refuses are not
offered (and the user is told why), and a refused value on a form brings the form back with
everything else the user filled in.
"""

from __future__ import annotations

from typing import Any

import pytest

from actions.context import ActionContext
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.unit.dialogs.conftest import (
    ALEX,
    MEGAN,
    Chat,
    card_texts,
    inputs_of,
    run_buttons,
    said,
    sent_cards,
    texts,
)

AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod"
)
CARD = "application/vnd.microsoft.card.adaptive"
GO_AHEAD = 'Reply "yes" to confirm or "no" to cancel, or use the buttons.'  # on the preview card, in chat
RISKY = 'Tick the box and press Confirm to go ahead, or reply "no" (or press Cancel) to change nothing.'


def changes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")]


async def pool(actions: ActionContext, name: str) -> Any:
    return await actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools.get("rg-prod", "aks-prod", name)


async def vm_power(actions: ActionContext, name: str) -> str:
    view = await actions.compute(DEV_SUBSCRIPTION_ID).virtual_machines.instance_view("rg-dev", name)
    return next(s.code for s in view.statuses if s.code.startswith("PowerState/")).split("/")[1]


# ---------------------------------------------------------------- synonyms


RESTART_BUILD_AGENT_1 = "build-agent-1 will restart (brief downtime)"
STOP_BUILD_AGENT_2 = RISKY


@pytest.mark.parametrize(
    ("typed", "title", "change", "question"),
    [
        ("reboot vm build-agent-1", "Restart VM build-agent-1", RESTART_BUILD_AGENT_1, GO_AHEAD),
        ("bounce vm build-agent-1", "Restart VM build-agent-1", RESTART_BUILD_AGENT_1, GO_AHEAD),
        ("shut down vm build-agent-2", "Stop (deallocate) VM build-agent-2", "Power state: running → deallocated",
         STOP_BUILD_AGENT_2),
        ("power off vm build-agent-2", "Stop (deallocate) VM build-agent-2", "Power state: running → deallocated",
         STOP_BUILD_AGENT_2),
        ("bounce app web-prod", "Restart web-prod",
         "web-prod will restart (unavailable for a few seconds up to a minute)", GO_AHEAD),
        ("reboot app web-prod", "Restart web-prod",  # never "reboot vm app …"
         "web-prod will restart (unavailable for a few seconds up to a minute)", GO_AHEAD),
        ("resize node pool aks-prod np1 to 5", "Scale aks-prod / np1: 3 → 5 nodes", "Node count: 3 → 5", GO_AHEAD),
        ("power on vm build-agent-3", "Start VM build-agent-3", "Power state: deallocated → running", GO_AHEAD),
    ],
)
async def test_a_declared_synonym_runs_the_action_it_stands_for(
    chat: Chat, sandbox: SandboxHandle, typed: str, title: str, change: str, question: str
) -> None:
    sent = await chat.say(ALEX, typed)
    assert texts(sent) == []  # the question is on the card
    [preview] = sent_cards(sent)
    assert question in card_texts(preview)
    assert card_texts(preview)[0] == title
    assert change in card_texts(preview)
    assert texts(await chat.say(ALEX, "no")) == ["Cancelled. Nothing was changed."]
    assert changes(sandbox) == []


async def test_a_word_that_is_no_declared_synonym_is_not_guessed(chat: Chat) -> None:
    # "restart" contains "start", "reboots" starts like "reboot": neither is a declared phrase.
    [card] = sent_cards(await chat.say(ALEX, "reboots app web-prod"))
    assert card_texts(card) == [
        "I don't know the action 'reboots app'. Did you mean: reboot app web-prod? Type `help` to see what I can do."
    ]
    assert run_buttons(card) == {"reboot app web-prod": "reboot app web-prod"}


# ---------------------------------------------------------------- buttons that run a command


async def test_a_did_you_mean_button_runs_its_command_when_pressed(chat: Chat, actions: ActionContext) -> None:
    [card] = sent_cards(await chat.say(ALEX, "scael node pool aks-prod np1 to 5"))
    assert run_buttons(card) == {"scale node pool aks-prod np1 to 5": "scale node pool aks-prod np1 to 5"}

    response, messages = await chat.press(ALEX, card, "scale node pool aks-prod np1 to 5")
    # The pressed card says what was chosen and has no buttons left; the command runs as if typed.
    assert response.status == 200
    assert response.body["type"] == CARD
    assert card_texts(response.body["value"]) == ["Alex Wilber chose: scale node pool aks-prod np1 to 5"]
    assert "actions" not in response.body["value"]
    assert texts(messages) == []
    [preview] = sent_cards(messages)
    assert GO_AHEAD in card_texts(preview)
    assert card_texts(preview)[0] == "Scale aks-prod / np1: 3 → 5 nodes"

    await chat.say(ALEX, "yes")
    assert (await pool(actions, "np1")).count == 5


async def test_a_suggestion_button_works_through_the_action_submit_fallback(chat: Chat) -> None:
    [card] = sent_cards(await chat.say(ALEX, "restrat app web-prod"))
    sent = await chat.press_fallback(ALEX, card, "restart app web-prod")
    assert texts(sent) == []
    assert GO_AHEAD in card_texts(sent_cards(sent)[0])
    assert card_texts(sent_cards(sent)[0])[0] == "Restart web-prod"


async def test_the_autoscale_follow_up_is_a_button_that_changes_the_range(
    chat: Chat, actions: ActionContext
) -> None:
    [card] = sent_cards(await chat.say(ALEX, "scale node pool aks-prod np2 to 8"))
    assert card_texts(card)[0] == "Can't do this"
    # np2 autoscales between 2 and 6: the offer keeps the min and raises the max to the 8 asked for.
    assert run_buttons(card) == {"set autoscale aks-prod np2 min 2 max 8": "set autoscale aks-prod np2 min 2 max 8"}

    _, messages = await chat.press(ALEX, card, "set autoscale aks-prod np2 min 2 max 8")
    preview = card_texts(sent_cards(messages)[0])
    assert preview[0] == "Autoscale aks-prod / np2: 2\u20136 → 2\u20138 nodes"
    assert "Maximum nodes: 6 → 8" in preview
    await chat.say(ALEX, "yes")
    assert ((await pool(actions, "np2")).min_count, (await pool(actions, "np2")).max_count) == (2, 8)


async def test_a_follow_up_that_would_change_nothing_is_not_offered(chat: Chat) -> None:
    sent = await chat.say(ALEX, "scale node pool aks-prod np2 to 4")  # 4 is inside min 2 max 6 already
    assert sent_cards(sent) == []
    [reply] = texts(sent)
    assert reply.startswith("The cluster autoscaler is on for aks-prod / node pool np2 (min 2, max 6)")


async def test_a_misspelled_value_offers_the_whole_corrected_command(chat: Chat) -> None:
    sent = await chat.say(ALEX, "restart app web-prd")
    [card] = sent_cards(sent)
    assert card_texts(card)[0].startswith("There is no app called 'web-prd' in the scope Switchboard may operate on.")
    assert run_buttons(card) == {command: command for command in ("restart app web-prod", "restart app web-dev")}

    # Pressed while the bot asks "Which app?": the button replaces that question with its command.
    response, messages = await chat.press(ALEX, card, "restart app web-prod")
    assert response.status == 200
    assert texts(messages) == ["Leaving the previous request (nothing was changed) for this new one."]
    assert GO_AHEAD in card_texts(sent_cards(messages)[0])


async def test_a_refused_answer_to_a_question_offers_buttons_with_the_whole_command(chat: Chat) -> None:
    await chat.say(ALEX, "restart app")
    await chat.say(ALEX, "cancel")
    await chat.say(ALEX, "scale node pool aks-prod")  # asks which pool
    sent = await chat.say(ALEX, "np9")
    [retry] = texts(sent)
    assert retry.startswith("There is no node pool called 'np9' here. Did you mean np1?")
    [buttons] = sent_cards(sent)
    assert card_texts(buttons) == ["Or run one of these:"]
    assert run_buttons(buttons) == {"scale node pool aks-prod np1": "scale node pool aks-prod np1"}


async def test_anyone_may_press_a_suggestion_it_runs_as_their_own_command(channel: Chat) -> None:
    [card] = sent_cards(await channel.say(ALEX, "restrat app web-prod"))
    response, messages = await channel.press(MEGAN, card, "restart app web-prod")
    assert card_texts(response.body["value"]) == ["Megan Bowen chose: restart app web-prod"]
    [preview] = sent_cards(messages)
    assert any("Megan Bowen" in line for line in card_texts(preview))  # Megan's request, not Alex's


@pytest.mark.parametrize(
    "value",
    [
        {"switchboard": {"v": 1, "verb": "run"}},
        {"switchboard": {"v": 1, "verb": "run", "command": ["restart", "app"]}},
        {"switchboard": {"v": 1, "verb": "run", "command": "   "}},
        {"switchboard": {"v": 1, "verb": "run", "command": "x" * 501}},
    ],
)
async def test_a_run_button_without_a_usable_command_is_refused(chat: Chat, value: dict[str, Any]) -> None:
    [reply] = texts(await chat.send(chat.activity(ALEX, value=value)))
    assert reply.startswith("I can't use this card.")
    assert reply.endswith("Nothing was changed.")


async def test_a_run_button_is_only_ever_typed_text(chat: Chat, sandbox: SandboxHandle) -> None:
    # Whatever a forged button carries goes through the parser like a message: no shortcut to running.
    sent = await chat.send(chat.activity(ALEX, value={"switchboard": {"v": 1, "verb": "run",
                                                                       "command": "vm-deallocate vm=jump-prod"}}))
    assert texts(sent) == []
    assert RISKY in card_texts(sent_cards(sent)[0])  # the preview, waiting for the box and Confirm
    assert changes(sandbox) == []


# ---------------------------------------------------------------- help names the bot


async def test_help_in_a_channel_uses_the_bots_own_name(channel: Chat) -> None:
    [reply] = texts(await channel.send(channel.activity(ALEX, text="help", mention_bot=True, bot_name="Ops Helper")))
    assert "In a channel or group chat, @mention me first: type `@Ops Helper help`." in reply
    assert "Switchboard help" not in reply
    assert "- `restart app {app}` — Restart an App Service web app or a Function app. (also `app-restart`)" in reply


# ---------------------------------------------------------------- preconditions


async def test_a_deallocated_vm_is_not_offered_for_stop_and_the_form_says_why(chat: Chat) -> None:
    [form] = sent_cards(await chat.say(ALEX, "stop vm"))
    titles = [choice["title"].split(" (")[0] for choice in inputs_of(form)["vm"]["choices"]]
    assert titles == ["build-agent-1", "build-agent-2", "jump-prod"]
    assert "Not offered: build-agent-3 (already deallocated)." in card_texts(form)


async def test_only_a_stopped_vm_is_offered_for_start(chat: Chat) -> None:
    [form] = sent_cards(await chat.say(ALEX, "start vm"))
    titles = [choice["title"].split(" (")[0] for choice in inputs_of(form)["vm"]["choices"]]
    assert titles == ["build-agent-3"]
    assert (
        "Not offered: build-agent-1 (already running), build-agent-2 (already running), jump-prod (already running)."
        in card_texts(form)
    )


async def test_an_autoscaled_pool_is_not_offered_for_a_manual_scale(chat: Chat) -> None:
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    clusters = [choice["title"].split(" (")[0] for choice in inputs_of(form)["cluster"]["choices"]]
    assert "aks-sandbox" not in clusters  # stopped: its pools cannot change
    assert "Not offered: aks-sandbox (stopped — start it first)." in card_texts(form)

    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    second = response.body["value"]
    assert [choice["value"] for choice in inputs_of(second)["pool"]["choices"]] == ["np1", "system"]
    assert "Not offered: np2 (autoscaled — change its min/max instead)." in card_texts(second)


async def test_in_chat_a_refused_choice_is_explained_and_the_others_offered(chat: Chat, sandbox: SandboxHandle) -> None:
    await chat.say(ALEX, "restart vm")  # the form
    sent = await chat.say(ALEX, "cancel")
    assert texts(sent) == ["Cancelled. Nothing was changed."]
    [refusal, question] = said(await chat.say(ALEX, "restart vm build-agent-9"))
    assert refusal.startswith("There is no virtual machine called 'build-agent-9'")
    assert question.startswith("Which virtual machine?")
    assert "build-agent-3" not in question.split("Answer in chat")[1]  # not among the numbered choices
    assert "Not offered: build-agent-3 (deallocated — start it instead)." in question
    sent = await chat.say(ALEX, "build-agent-3")
    [retry] = texts(sent)
    assert retry.startswith("build-agent-3 can't be chosen here: it is deallocated — start it instead.")
    assert "1. build-agent-1" in retry  # asked again, with the choices
    [buttons] = sent_cards(sent)  # and each offered VM as a whole command, a press away
    assert run_buttons(buttons) == {f"restart vm {vm}": f"restart vm {vm}"
                                    for vm in ("build-agent-1", "build-agent-2", "jump-prod")}
    assert changes(sandbox) == []


async def test_nothing_to_choose_says_what_was_left_out_and_why(chat: Chat) -> None:
    [notice] = said(await chat.say(ALEX, "set autoscale aks-dev"))  # no pool of aks-dev autoscales
    assert notice == (
        "There is no node pool you can choose right now (Not offered: np1 (not autoscaled — scale it instead), "
        "system (not autoscaled — scale it instead).), so I can't continue. Nothing was changed."
    )


# ---------------------------------------------------------------- a refused value keeps the rest of the form


async def test_a_value_the_preview_refuses_brings_the_form_back_with_the_other_values(
    chat: Chat, sandbox: SandboxHandle
) -> None:
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    second = response.body["value"]
    response, messages = await chat.press(ALEX, second, "Review", {"pool": "system", "count": 0})

    # Not "can't do this" and start again: the same form, both values as the user left them, the
    # refusal under the field it is about.
    again = response.body["value"]
    assert messages == []
    fields = inputs_of(again)
    assert fields["pool"]["value"] == "system"
    assert fields["count"]["value"] == 0
    body = again["body"]
    count_at = next(i for i, element in enumerate(body) if element.get("id") == "count")
    assert body[count_at + 1]["style"] == "attention"
    assert card_texts({"body": [body[count_at + 1]]}) == [
        "aks-prod / node pool system is a System pool: it needs at least 1 node."
    ]

    response, messages = await chat.press(ALEX, again, "Review", {"pool": "system", "count": 4})
    assert card_texts(response.body["value"])[0] == "Scale aks-prod / system: 3 → 4 nodes"
    assert changes(sandbox) == []


async def test_a_refused_choice_on_a_form_is_shown_at_its_field_and_keeps_the_other_values(chat: Chat) -> None:
    [form] = sent_cards(await chat.say(ALEX, "scale node pool"))
    response, _ = await chat.press(ALEX, form, "Next", {"cluster": AKS_PROD})
    second = response.body["value"]
    # np2 was not offered; a client (or a form shown before the autoscaler was turned on) sends it anyway.
    response, _ = await chat.press(ALEX, second, "Review", {"pool": "np2", "count": 4})
    again = response.body["value"]
    fields = inputs_of(again)
    assert fields["count"]["value"] == 4
    body = again["body"]
    pool_at = next(i for i, element in enumerate(body) if element.get("id") == "pool")
    refusal = next(element for element in body[pool_at + 1:] if element.get("style") == "attention")
    assert card_texts({"body": [refusal]}) == [
        "np2 can't be chosen here: it is autoscaled — change its min/max instead. Choose one of: np1, system."
    ]
