"""Chat commands and the help text generated from declarations.

A :class:`Command` declares its name, aliases, one-line summary, usage and examples next
to the coroutine that runs it; :class:`CommandTable` looks commands up by parsed token.
Help is rendered from anything shaped like a :class:`HelpEntry` — the built-in commands
and, once the action registry provides them, action declarations (``actions.spec.Action``
has the same fields) — so chat help and docs never drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from botbuilder.core import TurnContext

__all__ = [
    "Command",
    "CommandCall",
    "CommandTable",
    "HelpEntry",
    "find_entry",
    "render_entry_help",
    "render_help",
]

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


@dataclass(frozen=True)
class CommandCall:
    """One invocation: the turn, the tokens after the command name, and where it was said."""

    turn_context: TurnContext
    args: tuple[str, ...]
    in_channel: bool  # a channel or group chat (the bot must be @mentioned there)


CommandRunner = Callable[[CommandCall], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A chat command declared in one place: names, help and the coroutine that runs it."""

    name: str
    summary: str
    run: CommandRunner
    usage: str = ""  # the arguments after the name, e.g. "[command]"
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for word in (self.name, *self.aliases):
            if not word or word != word.lower() or any(ch.isspace() for ch in word):
                raise ValueError(f"command names are single lower-case words, got {word!r}")


class CommandTable:
    """Commands by name and alias; a name or alias may be declared only once."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self._commands: tuple[Command, ...] = tuple(commands)
        self._by_word: dict[str, Command] = {}
        for command in self._commands:
            for word in (command.name, *command.aliases):
                if word in self._by_word:
                    raise ValueError(f"command word {word!r} is declared twice")
                self._by_word[word] = command

    def find(self, token: str) -> Command | None:
        """The command named (or aliased) ``token``, compared case-insensitively."""
        return self._by_word.get(token.lower())

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands)

    def __len__(self) -> int:
        return len(self._commands)


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
