"""Page object for the Agents Playground's web page, driven with playwright (async API).

Selectors are the Playground 0.2.28 page's roles and labels; keep them here so a new Playground
version means one file to fix. Channel conversations show each post as a card (``role=group``)
holding the post and its replies; the personal chat shows bot messages as ``.fai-OutputCard``.
"""

from __future__ import annotations

import re
from re import Pattern
from urllib.parse import urlsplit

from playwright.async_api import Locator, Page, Route, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from tools import playground

__all__ = ["LOOPBACK_HOSTS", "PlaygroundPage"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

_EDITOR = '[role="textbox"][contenteditable="true"]'
_BOT_OUTPUT = ".fai-OutputCard"
_POST_CARD = '[role="group"].fui-Card'
_ADAPTIVE_CARD = ".ac-adaptiveCard"
_MENTION_ATTEMPTS = 3
_MENTION_LIST_TIMEOUT = 10.0  # seconds for the mention list to open after "@", on a loaded machine
_HIDDEN_IN_PICTURES = '[aria-label="Message timestamp"] { visibility: hidden !important; }'
_PANE_MARK = "data-e2e-pane"
# The pane is the scrolling element holding the messages: found from a message, as the page's class
# names are generated. The mark lets a locator find it again.
_MARK_PANE = """(message) => {
  document.querySelectorAll('[data-e2e-pane]').forEach((e) => e.removeAttribute('data-e2e-pane'));
  for (let e = message.parentElement; e; e = e.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(e).overflowY)) {
      e.setAttribute('data-e2e-pane', '');
      return true;
    }
  }
  return false;
}"""
# Resolves once the pane's scroll position has not moved for 10 frames (at most 5 s).
_SETTLE = """async (pane) => {
  let last = -1, same = 0;
  const start = performance.now();
  while (same < 10 && performance.now() - start < 5000) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (pane.scrollTop === last) { same += 1; } else { same = 0; last = pane.scrollTop; }
  }
}"""


class PlaygroundPage:
    """One browser page on the Playground. Requests that leave loopback (its font CDN) are blocked."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.blocked: list[str] = []
        self._channel: tuple[str, str] | None = None  # (channel, team) last opened

    async def open(self, *, within: float = 60.0) -> None:
        """Load the page (the Playground then sends installationUpdate and conversationUpdate)."""
        await self.page.route("**/*", self._only_loopback)
        await self.page.goto(self.base_url, wait_until="domcontentloaded", timeout=within * 1000)
        await self.page.locator(_EDITOR).first.wait_for(state="visible", timeout=within * 1000)
        # Both install events answered: a greeting they caused has been sent by then. The page shows
        # a new personal-chat message by switching to that chat, which would pull a test out of a
        # channel it had just opened.
        for event in ("installationUpdate 200", "conversationUpdate 200"):
            await self.page.get_by_text(event).first.wait_for(state="visible", timeout=within * 1000)

    async def open_personal_chat(self) -> None:
        await self.page.get_by_role("treeitem", name="Personal Chat").click()
        await self.page.locator(_EDITOR).first.wait_for(state="visible")
        self._channel = None

    async def open_channel(self, channel: str = "General", team: str = "My Team") -> None:
        """Switch to a Teams channel: the page then shows a 'Start a new post' box above the posts."""
        await self.page.get_by_role("treeitem", name=f"{team} - {channel}").click()
        await self.page.get_by_role("button", name="Post").wait_for(state="visible")
        self._channel = (channel, team)

    async def send_in_chat(self, text: str) -> None:
        """Type ``text`` in a chat's message box and press its Send button."""
        editor = self.page.locator(_EDITOR).first
        await editor.click()
        await self.page.keyboard.type(text)
        await self.page.locator('button[aria-label="Send Message"]').click()

    async def post_in_channel(self, text: str, *, mention_bot: bool = True) -> Locator:
        """Start a new post in the open channel (after an @mention of the bot, picked from the mention list).

        Returns the post's card, which also shows its replies.
        """
        editor = self.page.locator(_EDITOR).first
        await editor.click()
        shown = text
        if mention_bot:
            await self._mention_bot(editor)
            await self.page.keyboard.type(f" {text}")
            shown = f"{playground.BOT_NAME} {text}"
        else:
            await self.page.keyboard.type(text)
        await self.page.get_by_role("button", name="Post").click()
        post = self.page.locator(_POST_CARD).filter(has_text=shown).first
        await post.wait_for(state="visible")
        return post

    async def _mention_bot(self, editor: Locator) -> None:
        """Type ``@`` in the (empty, focused) ``editor`` and pick the bot from the mention list.

        A message arriving meanwhile (the bot's greeting after the page loads) scrolls the page,
        which can close the list before it is seen: then empty the editor and type ``@`` again.
        """
        item = self.page.get_by_role("menuitem", name=playground.BOT_NAME)
        for attempt in range(1, _MENTION_ATTEMPTS + 1):
            await self.page.keyboard.type("@")
            try:
                await item.wait_for(state="visible", timeout=_MENTION_LIST_TIMEOUT * 1000)
            except PlaywrightTimeoutError:
                if attempt == _MENTION_ATTEMPTS:
                    raise
                if self._channel is not None and not await self.page.get_by_role("button", name="Post").is_visible():
                    await self.open_channel(*self._channel)  # a personal-chat message switched the page away
                await editor.click()
                await self.page.keyboard.press("ControlOrMeta+A")
                await self.page.keyboard.press("Delete")
                continue
            await item.click()
            return

    def bot_messages(self) -> Locator:
        """The bot's messages in the open personal or group chat."""
        return self.page.locator(_BOT_OUTPUT)

    async def reply_in_thread(self, post: Locator, text: str, *, mention_bot: bool = True) -> None:
        """Reply in a channel post's thread (after an @mention of the bot: in channels it only hears those)."""
        editor = post.get_by_role("textbox")
        await editor.click()
        if mention_bot:
            await self._mention_bot(editor)
            text = f" {text}"
        await self.page.keyboard.type(text)
        await post.get_by_role("button", name="Send Message").click()

    def invoke_messages(self) -> Locator:
        """What the page shows when the bot answers a card's button with a message instead of a card
        (each with its own Dismiss button), oldest first."""
        return self.page.get_by_role("button", name="Dismiss Invoke Message").locator("xpath=..")

    def cards(self, inside: Locator | None = None) -> Locator:
        """The Adaptive Cards (the bot's forms, previews and results) on the page or ``inside`` a post, oldest first."""
        return (inside or self.page).locator(_ADAPTIVE_CARD)

    async def wait_for_card(
        self,
        has_text: str | Pattern[str],
        *,
        inside: Locator | None = None,
        within: float = 15.0,
        unless: str | Pattern[str] | None = None,
    ) -> Locator:
        """Wait up to ``within`` seconds for a card showing ``has_text``; return the newest such card.

        The card is returned by its position, not its text: a button's invoke answer replaces the
        card's content in place, and the locator keeps pointing at it. With ``unless``, raise
        AssertionError as soon as the page (or ``inside``) shows that text instead, e.g. an error reply.
        """
        cards = self.cards(inside)
        wanted = cards.filter(has_text=has_text).last
        stop = (inside or self.page).get_by_text(unless) if unless is not None else None
        either = wanted if stop is None else wanted.or_(stop).first
        await expect(either).to_be_visible(timeout=within * 1000)
        if stop is not None and await stop.count():
            shown = await stop.all_inner_texts()
            raise AssertionError(f"waiting for a card showing {has_text!r}, the page shows {shown}")
        texts = await cards.all_text_contents()
        matches = [index for index, shown in enumerate(texts) if _shows(shown, has_text)]
        if not matches:
            raise AssertionError(f"no card shows {has_text!r} any more: {texts}")
        return cards.nth(matches[-1])

    async def conversation_pane(self) -> Locator:
        """The open chat's or channel's scrolling list of messages (without the message box)."""
        message = self.page.locator(f"{_BOT_OUTPUT}, {_POST_CARD}").first
        await message.wait_for(state="attached")
        if not await message.evaluate(_MARK_PANE):
            raise AssertionError("no scrolling element holds the conversation's messages")
        return self.page.locator(f"[{_PANE_MARK}]")

    async def picture(self, pane: Locator, path: str) -> None:
        """Save ``pane`` as a PNG the same way every time: scrolling settled, the mouse off it (no
        hover effects), no caret, animations finished, message timestamps hidden (they change every run)."""
        await self.page.mouse.move(0, 0)
        await pane.evaluate(_SETTLE)
        await pane.screenshot(path=path, animations="disabled", caret="hide", scale="css", style=_HIDDEN_IN_PICTURES)

    async def screenshot(self, path: str) -> None:
        await self.page.screenshot(path=path, full_page=True)

    async def _only_loopback(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK_HOSTS:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort("blockedbyclient")


def _shows(shown: str, has_text: str | Pattern[str]) -> bool:
    """Whether text shown on the page matches ``has_text`` as playwright's ``has_text`` filter does
    (a string: case-insensitive, whitespace collapsed; a pattern: searched as is)."""
    if isinstance(has_text, str):
        return " ".join(has_text.split()).casefold() in " ".join(shown.split()).casefold()
    return re.search(has_text, shown) is not None
