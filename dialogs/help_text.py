"""Help text rendered from declarations: the chat commands and the action catalog.

Anything shaped like a :class:`HelpEntry` — a :class:`dialogs.help.ChatCommand` or an
``actions.spec.Action`` declaration (same fields) — renders the same way, so chat help and
the generated docs never drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from actions.quoting import shown

__all__ = ["HelpEntry", "find_entry", "render_entry_help", "render_help", "safe_word", "spoken"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class HelpEntry(Protocol):
    """What help needs to know about a command or an action."""

    @property
    def name(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def usage(self) -> str: ...

    @property
    def examples(self) -> Sequence[str]: ...


def _aliases(entry: HelpEntry) -> tuple[str, ...]:
    return tuple(getattr(entry, "aliases", ()) or ())


def spoken(entry: HelpEntry) -> str:
    """What people say to run ``entry``: an action's natural phrase (its ``phrasing``), else its name."""
    phrase = getattr(getattr(entry, "phrasing", None), "phrase", None)
    return phrase if isinstance(phrase, str) and phrase else entry.name


def _invocation(entry: HelpEntry) -> str:
    return f"{spoken(entry)} {entry.usage}".strip()


def _also_named(entry: HelpEntry) -> str:
    return f" (also `{entry.name}`)" if spoken(entry) != entry.name else ""


def render_help(
    commands: Sequence[HelpEntry],
    actions: Sequence[HelpEntry] = (),
    *,
    in_channel: bool = False,
    bot_name: str = "",
) -> str:
    """The full help message (Teams markdown): one line per command and per action, each action by
    its natural phrase first and its name second. ``bot_name`` (the bot as the channel calls it)
    words how to address it in a channel."""
    lines = ["Here is what I can do:", ""]
    for entry in commands:
        lines.append(f"- `{_invocation(entry)}` — {entry.summary}")
    if actions:
        lines += ["", "Operations (I show you a preview and ask before changing anything):", ""]
        for entry in actions:
            lines.append(f"- `{_invocation(entry)}` — {entry.summary}{_also_named(entry)}")
    lines.append("")
    if in_channel:
        name = shown(bot_name, 60) if bot_name else ""
        how = f": type `@{name} help`" if name else ", then type `help`"
        lines.append(f"In a channel or group chat, @mention me first{how}.")
    example = f"help {spoken(actions[0])}" if actions else "help help"
    lines.append(f"Type `help` and a command (e.g. `{example}`) for details and examples.")
    return "\n".join(lines)


def render_entry_help(entry: HelpEntry) -> str:
    """Help for one command or action: usage, aliases and examples."""
    lines = [f"**{spoken(entry)}** — {entry.summary}", "", f"Usage: `{_invocation(entry)}`"]
    aliases = _aliases(entry)
    if aliases:
        lines.append("Also: " + ", ".join(f"`{alias}`" for alias in aliases))
    if entry.examples:
        lines += ["", "Examples:"]
        lines += [f"- `{example}`" for example in entry.examples]
    return "\n".join(lines)


def find_entry(token: str, *groups: Sequence[HelpEntry]) -> HelpEntry | None:
    """The entry named or aliased ``token`` (case-insensitive) in the first group that has it."""
    word = token.lower()
    for group in groups:
        for entry in group:
            if word == entry.name.lower() or word in (alias.lower() for alias in _aliases(entry)):
                return entry
    return None


def safe_word(token: str, limit: int = 40) -> str:
    """A user-typed word reduced to characters safe to echo inside inline code."""
    return _SAFE_NAME.sub("", token)[:limit] or "?"
