"""The guardrails' and operations' chat commands: what waits for me, my history, a dry run of the decision,
scoped administration, an operation's status, cancel and undo.

Above the stores (``storage``, ``telemetry``) and below the cards and dialogs: the dialogs hand
a command word and a :class:`CommandCall` to :class:`GovernanceCommands` and show its
:class:`CommandReply`. Each command is declared once in :mod:`governing.commands` (help and the
generated docs/commands.md come from there). docs/security.md ("Chat commands") describes them.
"""

from governing.calls import CommandCall, CommandReply, show_time
from governing.commands import COMMANDS, GovernanceCommand, Permission, find_command
from governing.operations_commands import OperationCommands, OperationJournalPort
from governing.parsing import MentionedPerson
from governing.policy_access import PolicyAccess
from governing.service import GovernanceCommands

__all__ = [
    "COMMANDS",
    "CommandCall",
    "CommandReply",
    "GovernanceCommand",
    "GovernanceCommands",
    "MentionedPerson",
    "OperationCommands",
    "OperationJournalPort",
    "Permission",
    "PolicyAccess",
    "find_command",
    "show_time",
]
