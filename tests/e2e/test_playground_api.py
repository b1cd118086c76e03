"""End to end through the Agents Playground's own HTTP API and WebSocket (no browser): fast checks
of what the bot answers in a personal chat and in a channel, through the real dev host."""

from __future__ import annotations

import time

import pytest

from tests.e2e.expectations import assert_lists_commands
from tools.playground import BOT_ID, GENERAL_CHANNEL_ID, PlaygroundClient

pytestmark = pytest.mark.e2e


async def test_help_in_personal_chat_lists_the_commands(playground_client: PlaygroundClient) -> None:
    chat = await playground_client.personal_chat_id()
    async with playground_client.stream() as stream:
        sent = await playground_client.send(chat, "help")
        reply = await stream.next_message(sent.conversation_id, within=20)

    assert reply.message["from"]["id"] == BOT_ID
    assert_lists_commands(reply.text)


async def test_channel_message_that_mentions_the_bot_gets_a_reply_in_its_thread(
    playground_client: PlaygroundClient,
) -> None:
    async with playground_client.stream() as stream:
        sent = await playground_client.send(GENERAL_CHANNEL_ID, "help", mention_bot=True)
        reply = await stream.next_message(sent.conversation_id, within=20)

    assert sent.conversation_id.startswith(f"{GENERAL_CHANNEL_ID};messageid=")
    assert reply.conversation_id == sent.conversation_id
    assert_lists_commands(reply.text)
    assert "<at>" not in reply.text


async def test_channel_message_without_a_mention_gets_no_reply(playground_client: PlaygroundClient) -> None:
    async with playground_client.stream() as stream:
        # First show the bot answers here, and how fast, so the silence below means something.
        started = time.monotonic()
        mentioned = await playground_client.send(GENERAL_CHANNEL_ID, "help", mention_bot=True)
        await stream.next_message(mentioned.conversation_id, within=20)
        latency = time.monotonic() - started

        unmentioned = await playground_client.send(GENERAL_CHANNEL_ID, "help")
        await stream.assert_silent(unmentioned.conversation_id, within=max(3.0, 5 * latency))

    assert unmentioned.conversation_id != mentioned.conversation_id
