"""The main dialog's routing: help from the declarations, near misses, coming-soon commands, channels."""

from __future__ import annotations

import pytest
from botbuilder.core import MemoryStorage
from botbuilder.core.adapters import TestFlow
from botbuilder.schema import Activity

from dialogs import texts as replies
from tests.unit.dialogs.conftest import ALEX, Chat, card_texts, run_buttons, sent_cards, texts


async def test_help_lists_the_commands_and_every_action_of_the_registry(chat: Chat) -> None:
    def is_catalog(reply: Activity, description: str | None = None) -> None:
        assert reply.text.startswith("Here is what I can do:")
        expected = ("`help [command]`", "`cancel [operation]`", "`status [operation]`", "`undo {operation}`",
                    "`restart app {app}`",
                    "`scale node pool {cluster} {pool} to {count} nodes` — Set the node count of an AKS node pool. "
                    "(also `aks-scale-node-pool`)")
        for line in expected:
            assert line in reply.text

    flow = await TestFlow(None, chat.adapter).send(chat.activity(ALEX, text="help"))
    await flow.assert_reply(is_catalog)


async def test_help_for_an_action_alias_shows_its_declaration(chat: Chat) -> None:
    [reply] = texts(await chat.say(ALEX, "help scale node pool"))
    assert reply.startswith("**scale node pool** (`aks-scale-node-pool`) — Set the node count of an AKS node pool.")
    assert "Usage: `scale node pool {cluster} {pool} to {count} nodes`" in reply
    assert "Also: `aks-scale-node-pool`, `scale nodepool`, `scale pool`, `aks scale`" in reply
    assert "You can also say `resize` or `set count of` for `scale`." in reply
    assert "- `count`: the new node count (0 to 1000)" in reply
    assert "- `scale node pool aks-prod np1 to 5`" in reply


async def test_help_for_a_near_miss_suggests_the_action(chat: Chat) -> None:
    [card] = sent_cards(await chat.say(ALEX, "help scale nod pool"))
    assert card_texts(card) == ["Did you mean `help scale node pool`?"]
    assert run_buttons(card) == {"help scale node pool": "help scale node pool"}


async def test_a_near_miss_of_an_action_gets_did_you_mean(chat: Chat) -> None:
    [card] = sent_cards(await chat.say(ALEX, "scale nod pool aks-prod np1 to 5"))
    assert "Did you mean: scale node pool aks-prod np1 to 5?" in card_texts(card)[0]
    assert run_buttons(card) == {"scale node pool aks-prod np1 to 5": "scale node pool aks-prod np1 to 5"}


async def test_unknown_text_without_a_near_miss_gets_the_short_hint(chat: Chat) -> None:
    flow = await TestFlow(None, chat.adapter).send(chat.activity(ALEX, text="make me a sandwich"))
    await flow.assert_reply(replies.unknown_command(in_channel=False))


@pytest.mark.parametrize("command", ["status", "history", "approvals"])
async def test_later_commands_say_they_are_coming_and_fake_nothing(chat: Chat, command: str) -> None:
    [reply] = texts(await chat.say(ALEX, command))
    assert reply == f"`{command}` is coming soon: it isn't available yet. Type `help` to see what I can do now."


async def test_cancel_with_nothing_running(chat: Chat, storage: MemoryStorage) -> None:
    assert texts(await chat.say(ALEX, "cancel")) == ["There is nothing to cancel."]
    assert storage.memory == {}  # a turn that runs no dialog leaves no state behind


async def test_an_unknown_parameter_name_is_explained(chat: Chat) -> None:
    [reply] = texts(await chat.say(ALEX, "scale node pool clustr=aks-prod"))
    assert "has no parameter 'clustr'. Did you mean cluster?" in reply


async def test_in_a_channel_the_bot_answers_only_when_mentioned_and_in_the_thread(channel: Chat) -> None:
    silent = channel.activity(ALEX, text="scale node pool aks-prod np1 to 5")
    assert await channel.send(silent) == []

    mentioned = channel.activity(ALEX, text="help", mention_bot=True)
    [reply] = await channel.send(mentioned)
    assert reply.conversation.id == channel.conversation_id  # the thread (…;messageid=…)
    assert reply.reply_to_id == mentioned.id
    assert "@mention me first" in reply.text


async def test_in_a_channel_only_switchboard_card_submissions_pass_without_a_mention(channel: Chat) -> None:
    foreign = channel.activity(ALEX, value={"someone": "else's card"})
    assert await channel.send(foreign) == []
    ours = channel.activity(ALEX, value={"switchboard": {"v": 1}})  # ours, but malformed: said so, in the thread
    [reply] = texts(await channel.send(ours))
    assert reply.startswith("I can't use this card")
