"""Many people, one channel: each dialog belongs to the person who started it."""

from __future__ import annotations

from actions.context import ActionContext
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.unit.dialogs.conftest import ALEX, MEGAN, Chat, card_texts, changed_card, sent_cards, texts, updated_cards


async def pool_count(actions: ActionContext) -> int:
    pools = actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools
    return int((await pools.get("rg-prod", "aks-prod", "np1")).count)


def restarts(sandbox: SandboxHandle) -> list[str]:
    return [r["path"] for r in sandbox.requests() if r["method"] == "POST" and r["path"].endswith("/restart")]


async def test_two_people_interleaving_in_one_thread_each_drive_only_their_own_dialog(
    channel: Chat, actions: ActionContext, sandbox: SandboxHandle
) -> None:
    [question] = texts(await channel.say(ALEX, "scale node pool aks-prod np1"))
    assert question.startswith("How many nodes should it have?")

    # Megan's "7" is not an answer to Alex's question: she has no dialog, so it is a command.
    [reply] = texts(await channel.say(MEGAN, "7"))
    assert reply.startswith("Sorry, I don't know that one.")

    [megan_preview] = sent_cards(await channel.say(MEGAN, "restart app web-prod"))
    assert "Requested by Megan Bowen" in card_texts(megan_preview)

    [alex_preview] = sent_cards(await channel.say(ALEX, "4"))  # Alex's question is still waiting for him
    assert "Requested by Alex Wilber" in card_texts(alex_preview)
    assert "Node count: 3 → 4" in card_texts(alex_preview)

    # Megan's "cancel" cancels Megan's request only.
    assert texts(await channel.say(MEGAN, "cancel")) == ["Cancelled. Nothing was changed."]

    await channel.say(ALEX, "yes")
    assert "Requested by Alex Wilber" in card_texts(changed_card(channel))
    assert await pool_count(actions) == 4
    assert restarts(sandbox) == []


async def test_each_persons_yes_confirms_their_own_request(
    channel: Chat, actions: ActionContext, sandbox: SandboxHandle
) -> None:
    [alex_card] = [a for a in await channel.say(ALEX, "scale node pool aks-prod np1 to 2") if a.attachments]
    [megan_card] = [a for a in await channel.say(MEGAN, "restart app web-prod") if a.attachments]

    await channel.say(MEGAN, "yes")
    assert "Requested by Megan Bowen" in card_texts(changed_card(channel))
    assert {activity_id for activity_id, _ in updated_cards(channel)} == {megan_card.id}  # her card, in place
    assert len(restarts(sandbox)) == 1
    assert await pool_count(actions) == 3  # Alex has not confirmed yet

    await channel.say(ALEX, "yes")
    assert "Requested by Alex Wilber" in card_texts(changed_card(channel))
    assert {activity_id for activity_id, _ in updated_cards(channel)} == {alex_card.id}
    assert await pool_count(actions) == 2


async def test_the_same_person_in_another_thread_has_another_dialog(channel: Chat) -> None:
    other_thread = Chat(channel.adapter, "channel", "19:general@thread.tacv2;messageid=1700000000999")
    await channel.say(ALEX, "scale node pool aks-prod np1")
    [reply] = texts(await other_thread.say(ALEX, "5"))
    assert reply.startswith("Sorry, I don't know that one.")
    [preview] = sent_cards(await channel.say(ALEX, "5"))
    assert "Node count: 3 → 5" in card_texts(preview)
