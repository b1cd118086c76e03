"""The walking skeleton's promise, in a real browser: the Agents Playground page shows the bot
answering `help` in a channel-style conversation (team "My Team", channel General) and in the
personal chat. Headless system Chromium, driven with playwright; nothing leaves loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.e2e.expectations import HELP_HEADLINE, assert_lists_commands, assert_shows_usages, help_command_names
from tests.e2e.pages import PlaygroundPage
from tests.e2e.screenshots import Screenshots
from tools.playground import GENERAL_CHANNEL_ID, PlaygroundClient

pytestmark = pytest.mark.e2e


async def test_help_in_a_channel_shows_the_commands_in_the_page(
    playground_page: PlaygroundPage, playground_client: PlaygroundClient, tmp_path: Path
) -> None:
    await playground_page.open_channel("General")
    async with playground_client.stream() as stream:
        post = await playground_page.post_in_channel("help", mention_bot=True)
        reply = await stream.wait_for(
            lambda message: message.conversation_id.startswith(f"{GENERAL_CHANNEL_ID};messageid="), within=20
        )

    assert_lists_commands(reply.text)
    # The reply is shown in the post's thread, under the user's "@Test Bot help".
    await expect(post).to_contain_text(HELP_HEADLINE)
    for name in help_command_names():
        await expect(post).to_contain_text(name)
    screenshot = tmp_path / "playground-channel-help.png"
    await playground_page.screenshot(str(screenshot))
    thread = tmp_path / "playground-channel-help-thread.png"
    await post.screenshot(path=str(thread))  # the whole thread, however long the reply
    print(f"screenshots: {screenshot} {thread}")
    assert screenshot.stat().st_size > 10_000
    assert thread.stat().st_size > 10_000
    # Only the unreachable font CDN was blocked; the page itself is served from loopback.
    assert all("127.0.0.1" not in url and "localhost" not in url for url in playground_page.blocked)


async def test_help_in_the_personal_chat_shows_the_commands_in_the_page(
    playground_page: PlaygroundPage, screenshots: Screenshots
) -> None:
    await playground_page.open_personal_chat()
    await playground_page.send_in_chat("help")

    reply = playground_page.bot_messages().filter(has_text=HELP_HEADLINE).last
    await expect(reply).to_be_visible(timeout=20_000)
    shown = await reply.inner_text()
    assert_lists_commands(shown)
    assert_shows_usages(shown)
    # The reply is taller than the page (every chat command and every action): the chat shows its
    # end, so scroll its headline into view, as a reader would, for the picture of it.
    await reply.get_by_text(HELP_HEADLINE).scroll_into_view_if_needed()
    await screenshots.take("help", playground_page, shows=HELP_HEADLINE)
