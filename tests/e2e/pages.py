"""Page object for the Agents Playground's web page, driven with playwright (async API).

Selectors are the Playground 0.2.28 page's roles and labels; keep them here so a new Playground
version means one file to fix. Channel conversations show each post as a card (``role=group``)
holding the post and its replies; the personal chat shows bot messages as ``.fai-OutputCard``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Locator, Page, Route

from tools import playground

__all__ = ["LOOPBACK_HOSTS", "PlaygroundPage"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

_EDITOR = '[role="textbox"][contenteditable="true"]'
_BOT_OUTPUT = ".fai-OutputCard"
_POST_CARD = '[role="group"].fui-Card'


class PlaygroundPage:
    """One browser page on the Playground. Requests that leave loopback (its font CDN) are blocked."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.blocked: list[str] = []

    async def open(self, *, within: float = 20.0) -> None:
        """Load the page (the Playground then sends installationUpdate and conversationUpdate)."""
        await self.page.route("**/*", self._only_loopback)
        await self.page.goto(self.base_url, wait_until="domcontentloaded", timeout=within * 1000)
        await self.page.locator(_EDITOR).first.wait_for(state="visible", timeout=within * 1000)

    async def open_personal_chat(self) -> None:
        await self.page.get_by_role("treeitem", name="Personal Chat").click()
        await self.page.locator(_EDITOR).first.wait_for(state="visible")

    async def open_channel(self, channel: str = "General", team: str = "My Team") -> None:
        """Switch to a Teams channel: the page then shows a 'Start a new post' box above the posts."""
        await self.page.get_by_role("treeitem", name=f"{team} - {channel}").click()
        await self.page.get_by_role("button", name="Post").wait_for(state="visible")

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
            await self.page.keyboard.type("@")
            await self.page.get_by_role("menuitem", name=playground.BOT_NAME).click()
            await self.page.keyboard.type(f" {text}")
            shown = f"{playground.BOT_NAME} {text}"
        else:
            await self.page.keyboard.type(text)
        await self.page.get_by_role("button", name="Post").click()
        post = self.page.locator(_POST_CARD).filter(has_text=shown).first
        await post.wait_for(state="visible")
        return post

    def bot_messages(self) -> Locator:
        """The bot's messages in the open personal or group chat."""
        return self.page.locator(_BOT_OUTPUT)

    async def screenshot(self, path: str) -> None:
        await self.page.screenshot(path=path, full_page=True)

    async def _only_loopback(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK_HOSTS:
            await route.continue_()
        else:
            self.blocked.append(route.request.url)
            await route.abort("blockedbyclient")
