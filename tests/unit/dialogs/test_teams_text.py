"""Teams' HTML-flavoured text through the real bot and dialogs: commands, answers, and what is echoed.

Teams sends entities (``<at>Switchboard</at>&nbsp;help``), markup (``<p>``, ``<div>``, ``<br>``),
and from some clients the content only as a ``text/html`` attachment. The bot understands all of
it, and what it repeats of a user's text is plain: it cannot format the reply as markdown or HTML.
"""

from __future__ import annotations

from typing import Any

import pytest

from actions.context import ActionContext
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.connector import TEST_BOT_ID
from tests.unit.dialogs.conftest import (
    ALEX,
    MEGAN,
    Chat,
    Person,
    card_texts,
    changed_card,
    run_buttons,
    said,
    sent_cards,
    texts,
)

BOT_MENTION = {
    "type": "mention", "mentioned": {"id": TEST_BOT_ID, "name": "Switchboard"}, "text": "<at>Switchboard</at>",
}
AKS_PROD = (
    f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod"
)
# Characters Teams renders as HTML or markdown when they appear in a bot's message.
MARKUP = set("<>&[]*~|#\\")


async def pool_count(actions: ActionContext, pool: str = "np1") -> int:
    pools = actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools
    return int((await pools.get("rg-prod", "aks-prod", pool)).count)


def changes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")]


async def say_html(chat: Chat, person: Person, html: str, **fields: Any) -> list[Any]:
    """``person`` sends ``html`` as Teams would (in a channel, ``html`` includes the bot's ``<at>`` mention)."""
    if chat.in_channel:
        fields.setdefault("entities", [BOT_MENTION])
    return await chat.send(chat.activity(person, text=html, **fields))


def assert_plain(text: str) -> None:
    assert not MARKUP & set(text), text
    assert "nbsp" not in text
    assert "](" not in text


async def test_a_channel_command_in_a_paragraph_after_nbsp_runs_to_the_end(
    channel: Chat, actions: ActionContext
) -> None:
    sent = await say_html(channel, ALEX, "<p><at>Switchboard</at>&nbsp;scale node pool aks-prod np1 to 5</p>")
    [preview] = sent_cards(sent)
    assert "Node count: 3 → 5" in card_texts(preview)

    await say_html(channel, ALEX, "<p><at>Switchboard</at>&nbsp;yes</p>")
    assert "aks-prod / node pool np1 now has 5 nodes." in card_texts(changed_card(channel))
    assert await pool_count(actions) == 5


async def test_personal_chat_line_breaks_and_answers_in_markup(chat: Chat, sandbox: SandboxHandle) -> None:
    [question] = texts(await say_html(chat, ALEX, "<div>scale node pool</div><div>aks-prod<br>np1</div>"))
    assert question.startswith("How many nodes should it have? (0 to 1000)")

    sent = await say_html(chat, ALEX, "<p>&nbsp;4&#8203;</p>")  # the prompt sees the plain answer
    assert "Node count: 3 → 4" in card_texts(sent_cards(sent)[0])
    assert texts(await say_html(chat, ALEX, "<div>no</div>")) == ["Cancelled. Nothing was changed."]
    assert changes(sandbox) == []


async def test_a_choice_is_answered_in_markup(channel: Chat) -> None:
    [question] = texts(await say_html(channel, ALEX, "<at>Switchboard</at>&nbsp;scale&nbsp;node&nbsp;pool aks-prod"))
    assert question.startswith("Which node pool?")
    [question] = texts(await say_html(channel, ALEX, "<at>Switchboard</at>&nbsp;<b>np1</b>"))
    assert question.startswith("How many nodes should it have?")


@pytest.mark.parametrize("channel_type", ["personal", "channel"])
async def test_a_message_only_in_an_html_attachment_runs(
    chat: Chat, channel: Chat, channel_type: str
) -> None:
    conversation = chat if channel_type == "personal" else channel
    mention = (
        '<span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">Switchboard</span>&nbsp;'
        if conversation.in_channel else ""
    )
    attachment = {"contentType": "text/html", "content": f"<div><div>{mention}restart app <b>web-prod</b></div></div>"}
    sent = await say_html(conversation, ALEX, "", attachments=[attachment])
    [preview] = sent_cards(sent)
    assert any("web-prod" in line for line in card_texts(preview))


async def test_a_refused_answer_is_repeated_as_plain_text(chat: Chat) -> None:
    await say_html(chat, ALEX, "scale node pool aks-prod np1")
    [retry] = texts(await say_html(chat, ALEX, "&lt;b&gt;lots&lt;/b&gt;&nbsp;*now*"))
    assert retry.startswith("Node count must be a whole number, got 'blots/b now'.")
    assert_plain(retry.split("\n\n")[0])


async def test_a_refused_inline_value_is_repeated_as_plain_text(channel: Chat) -> None:
    sent = said(await say_html(
        channel, ALEX, "<at>Switchboard</at>&nbsp;scale node pool [aks](https://evil.example) np1 to 5"
    ))
    assert sent[0].startswith("There is no AKS cluster called 'aks(https://evil.example)'")
    assert_plain(sent[0])


async def test_a_near_miss_suggestion_is_plain(chat: Chat) -> None:
    [card] = sent_cards(await say_html(chat, ALEX, "scael&nbsp;node pool &lt;img src=x onerror=alert(1)&gt;"))
    [reply] = card_texts(card)
    # The rest ("<img src=x …") fits no command of the action: the suggestion is its name alone, which parses.
    assert reply == (
        "I don't know the action 'scael node pool'. Did you mean: scale node pool? Type `help` to see what I can do."
    )
    assert run_buttons(card) == {"scale node pool": "scale node pool"}
    assert_plain(reply)


async def test_a_forged_owner_name_is_not_rendered(channel: Chat) -> None:
    [form] = sent_cards(await say_html(channel, ALEX, "<at>Switchboard</at>&nbsp;scale node pool"))
    forged = {**form["actions"][0]["data"]}
    forged["switchboard"] = {**forged["switchboard"], "ownerName": "<b>Alex</b> [sign in](https://evil.example)"}
    response, _ = await channel.press(MEGAN, form, "Next", {"cluster": AKS_PROD}, data=forged)
    refusal = response.body["value"]
    assert refusal.startswith("This card belongs to bAlex/b sign in(https://evil.example): only they can use it.")
    assert_plain(refusal)
