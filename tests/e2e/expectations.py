"""What the bot's replies must contain, derived from the declarations (so tests follow the catalog)."""

from __future__ import annotations

from actions.registry import default_registry
from dialogs.help import COMMANDS

__all__ = ["ERROR_REPLY", "HELP_HEADLINE", "assert_lists_commands", "assert_shows_usages", "help_command_names"]

HELP_HEADLINE = "Here is what I can do"
ERROR_REPLY = "Something went wrong"
"""How the bot's answer to a turn that failed inside it begins (``bot/replies.py``): a journey never shows it."""


def help_command_names() -> list[str]:
    """Every command `help` must list: each declared chat command (`help`, the operations' and the
    guardrails' commands) and each declared action."""
    return [*(command.name for command in COMMANDS), *(action.name for action in default_registry())]


def assert_lists_commands(text: str) -> None:
    """Fail unless ``text`` is the help reply: its headline and every command name."""
    assert HELP_HEADLINE in text, f"not the help reply: {text[:300]!r}"
    missing = [name for name in help_command_names() if name not in text]
    assert not missing, f"help does not list {missing}: {text[:600]!r}"


def assert_shows_usages(text: str) -> None:
    """Fail unless ``text`` (the help reply as the page shows it) has each chat command's usage as
    declared, e.g. ``queue {operation}``: a placeholder the page read as HTML would be missing or
    shown as ``&lt;operation&gt;``."""
    missing = [f"{c.name} {c.usage}" for c in COMMANDS if c.usage and f"{c.name} {c.usage}" not in text]
    assert not missing, f"help does not show the usages {missing}: {text[:600]!r}"
    assert "&lt;" not in text
    assert "&gt;" not in text
