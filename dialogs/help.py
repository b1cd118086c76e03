"""Chat help, generated from the action declarations, the chat commands declared here and the
guardrails' commands declared in :mod:`governing.commands`.

Help and the docs never drift from the code: an action's help is its declaration (name,
aliases, summary, help text, usage, parameters, examples); a guardrails command's help is its
declaration too (usage, summary, who may use it, details, examples).
"""

from __future__ import annotations

from dataclasses import dataclass

from actions.registry import Registry, normalize
from actions.spec import Action, ParamKind, phrasing_of
from dialogs.help_text import HelpEntry, find_entry, render_entry_help, render_help, spoken
from governing.commands import COMMANDS as GOVERNANCE_COMMANDS
from governing.commands import GovernanceCommand

__all__ = ["COMMANDS", "ChatCommand", "HelpBook"]

_MAX_OVERVIEWS = 16


@dataclass(frozen=True)
class ChatCommand:
    """A word the main dialog understands besides action names."""

    name: str
    summary: str
    usage: str = ""
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    available: bool = True  # False: announced, not built yet (the bot says so instead of faking it)


COMMANDS: tuple[ChatCommand | GovernanceCommand, ...] = (
    ChatCommand("help", "list what I can do; `help` and a command (e.g. `help start vm`) explains it", "[command]",
                ("help", "help help", "help scale node pool")),
    *GOVERNANCE_COMMANDS,  # `cancel` among them: alone it stops the dialog, with an operation id it cancels that
)


class HelpBook:
    """Help (Teams markdown) for the catalog and the chat commands, rendered like the bot's own help
    (:func:`dialogs.help_text.render_help`) so every help text has one shape."""

    def __init__(self, registry: Registry, commands: tuple[ChatCommand | GovernanceCommand, ...] = COMMANDS) -> None:
        self._registry = registry
        self._commands = commands
        # The registry and the commands never change, so neither does the overview: rendered once
        # per form (personal chat, channel under the bot's name) rather than on every `help` turn.
        self._overviews: dict[tuple[bool, str], str] = {}

    def command(self, word: str) -> ChatCommand | GovernanceCommand | None:
        """The chat command named ``word`` (case-insensitive), if any."""
        return next((c for c in self._commands if c.name == word.lower()), None)

    def overview(self, *, in_channel: bool, bot_name: str = "") -> str:
        """Everything the bot can do, one line each, natural phrases first. In a channel it says how
        to address the bot by ``bot_name`` (``activity.recipient.name``)."""
        key = (in_channel, bot_name if in_channel else "")
        overview = self._overviews.get(key)
        if overview is None:
            if len(self._overviews) > _MAX_OVERVIEWS:  # bot names come from activities: keep the cache small
                self._overviews.clear()
            overview = self._overviews[key] = render_help(
                self._commands, list(self._registry), in_channel=in_channel, bot_name=key[1]
            )
        return overview

    def phrase(self, action_name: str) -> str:
        """The natural phrase of the action called ``action_name`` (the name itself when unknown)."""
        action = self._registry.get(action_name)
        return spoken(action) if action is not None else action_name

    def topic(self, words: tuple[str, ...]) -> str | None:
        """Help for the action (name or alias, several words) or command named by ``words``, or None."""
        if not words:
            return None
        action = self._registry.get(" ".join(words))
        if action is not None:
            return self.action_help(action)
        entry = find_entry(words[0], self._commands) if len(words) == 1 else None
        if entry is None:
            return None
        return _governance_help(entry) if isinstance(entry, GovernanceCommand) else render_entry_help(entry)

    @staticmethod
    def action_help(action: Action) -> str:
        """An action's full help: its natural phrase and name, summary, help text, usage, other names,
        the verb synonyms it understands, parameters and examples."""
        phrasing = phrasing_of(action)
        lines = [f"**{phrasing.phrase}** (`{action.name}`) — {action.summary}", "", action.help, "",
                 f"Usage: `{phrasing.phrase} {action.usage}`"]
        others = [word for word in (action.name, *action.aliases) if normalize(word) != normalize(phrasing.phrase)]
        if others:
            lines.append("Also: " + ", ".join(f"`{word}`" for word in others))
        synonyms = phrasing.verb_synonyms()
        if synonyms:
            lines.append("You can also say " + "; ".join(synonyms) + ".")
        lines += ["", "Parameters:"]
        for parameter in action.parameters:
            detail = parameter.description or parameter.prompt
            if parameter.kind is ParamKind.INTEGER and (parameter.minimum is not None or parameter.maximum is not None):
                detail += f" ({parameter.minimum if parameter.minimum is not None else '…'} to "
                detail += f"{parameter.maximum if parameter.maximum is not None else '…'})"
            optional = "" if parameter.required and parameter.default is None else " (optional)"
            lines.append(f"- `{parameter.name}`{optional}: {detail}")
        if action.examples:
            lines += ["", "Examples:"]
            lines += [f"- `{example}`" for example in action.examples]
        return "\n".join(lines)

    def is_action_word(self, text: str) -> bool:
        """Whether ``text`` is exactly an action name or alias."""
        return normalize(text) in self._registry


def _governance_help(command: GovernanceCommand) -> str:
    """A guardrails command's help: its usage and examples, who may use it and the details."""
    entry: HelpEntry = command
    text = render_entry_help(entry)
    head, _, examples = text.partition("\n\nExamples:")
    lines = [head, "", f"Who may use it: {command.permission.text}."]
    if command.details:
        lines += ["", command.details]
    if examples:
        lines += ["", "Examples:" + examples]
    return "\n".join(lines)
