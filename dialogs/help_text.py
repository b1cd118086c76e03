"""Help text rendered from declarations: the chat commands and the action catalog.

Anything shaped like a :class:`HelpEntry` — a :class:`dialogs.help.ChatCommand` or an
``actions.spec.Action`` declaration (same fields) — renders the same way, so chat help and
the generated docs never drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

__all__ = ["HelpEntry", "find_entry", "render_entry_help", "render_help", "safe_word"]

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


def _invocation(entry: HelpEntry) -> str:
    return f"{entry.name} {entry.usage}".strip()


def render_help(
    commands: Sequence[HelpEntry], actions: Sequence[HelpEntry] = (), *, in_channel: bool = False
) -> str:
    """The full help message (Teams markdown): one line per command and per action."""
    lines = ["Here is what I can do:", ""]
    for entry in commands:
        lines.append(f"- `{_invocation(entry)}` — {entry.summary}")
    if actions:
        lines += ["", "Operations (I show you a preview and ask before changing anything):", ""]
        for entry in actions:
            lines.append(f"- `{_invocation(entry)}` — {entry.summary}")
    lines.append("")
    if in_channel:
        lines.append("In a channel or group chat, @mention me first, e.g. `@Switchboard help`.")
    lines.append("Type `help` and a command (e.g. `help vm-start`) for details and examples.")
    return "\n".join(lines)


def render_entry_help(entry: HelpEntry) -> str:
    """Help for one command or action: usage, aliases and examples."""
    lines = [f"**{entry.name}** — {entry.summary}", "", f"Usage: `{_invocation(entry)}`"]
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
