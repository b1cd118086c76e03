"""Pictures for the docs, taken by the end-to-end journeys as they walk (``make screenshots``).

A journey calls ``await screenshots.take("typed-command-preview", page, shows="Scale aks-prod …")``
at the moment worth showing. Every run checks that the conversation pane shows ``shows`` in full
(the picture is of what it is named after); with ``--screenshots DIR`` the pane is also saved as
``DIR/<name>.png``. ``make screenshots`` runs only the tests that use the fixture (marker
``screenshots``) with ``--screenshots docs/images``; ``tests/unit/test_docs_pictures.py`` checks the
docs reference every picture and only pictures that exist and that a journey takes.

Pictures are deterministic in size and content for one Playground version: the conversation pane
at the page's fixed viewport, scrolled where the page left it and settled, the mouse moved away,
no caret, animations finished, and the message timestamps hidden.
"""

from __future__ import annotations

import re
from pathlib import Path
from re import Pattern

from playwright.async_api import expect

from tests.e2e.pages import PlaygroundPage

__all__ = ["MARKER", "OPTION", "PICTURE_NAME", "Screenshots"]

OPTION = "--screenshots"
"""The pytest option naming the folder pictures are saved in (``make screenshots``: docs/images)."""
MARKER = "screenshots"
"""The marker of every test that takes pictures (added to each test using the ``screenshots`` fixture)."""
PICTURE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
"""A picture's name: lowercase words joined by hyphens; the file is ``<name>.png``."""

_SHOWN_WITHIN = 30.0  # seconds for the text a picture is named after to be in view, on a loaded machine


class Screenshots:
    """Takes the docs' pictures of one test session; ``directory`` None: only the checks run.

    ``taken`` is shared by the session: a name taken twice (two tests writing one file) is an error.
    """

    def __init__(self, directory: Path | None, taken: set[str]) -> None:
        self.directory = directory
        self._taken = taken

    async def take(self, name: str, page: PlaygroundPage, *, shows: str | Pattern[str]) -> Path | None:
        """Check the conversation pane shows ``shows`` in full, then save it as ``<directory>/<name>.png``.

        ``shows`` is matched as playwright's ``get_by_text`` does (a string: a case-insensitive
        substring; a pattern: searched), in the newest element showing it. Returns the file written,
        or None without ``--screenshots``. Raises ``ValueError`` for a malformed or repeated name and
        ``AssertionError`` (playwright's) when ``shows`` is not fully in view within 30 s.
        """
        if not PICTURE_NAME.fullmatch(name):
            raise ValueError(f"a picture's name is lowercase words joined by hyphens, got {name!r}")
        if name in self._taken:
            raise ValueError(f"picture {name!r} is taken twice in this session: give each moment its own name")
        self._taken.add(name)
        pane = await page.conversation_pane()
        await expect(pane.get_by_text(shows).last).to_be_in_viewport(ratio=1, timeout=_SHOWN_WITHIN * 1000)
        if self.directory is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{name}.png"
        await page.picture(pane, str(path))
        return path
