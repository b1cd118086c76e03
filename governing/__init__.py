"""The guardrails' application services: the request path and the chat commands (the operations' too).

Above the stores (``storage``, ``telemetry``) and below the cards and dialogs, which is why the
approval card's layout is injected (:class:`ApprovalCardRenderer`, implemented by
``cards.approvals``).

In the request path:

- :class:`GuardedRequestHandler` (:mod:`governing.handler`) — the :class:`~requesting.RequestHandler`
  the dialogs submit to: reads the policy in one round, decides, audits, and hands approved
  requests to the executor, refuses with a precise message, or stores an approval request and
  sends its approval cards;
- :class:`ApprovalVotes` (:mod:`governing.votes`) — approval card votes and refreshes: identity
  from the activity, every abuse refused and audited, the quorum handed on exactly once after
  the re-check;
- :class:`Governance` (:mod:`governing.context`) — what both share: stores, clock, notifier,
  audit trail, the approval card renderer.

The chat commands (what waits for me, my history, a dry run of the decision, scoped
administration; an operation's status, cancel, queue and undo in
:mod:`governing.operations_commands`): the dialogs hand a command word and a :class:`CommandCall` to
:class:`GovernanceCommands` and show its :class:`CommandReply`. Each command is declared once in
:mod:`governing.commands` (help and the generated docs/commands.md come from there).
docs/security.md describes both.
"""

from governing.calls import CommandCall, CommandReply, show_time
from governing.choices import GrantChoiceFilter
from governing.commands import COMMANDS, GovernanceCommand, Permission, find_command
from governing.context import (
    ApprovalCardRenderer,
    ApprovalView,
    Governance,
    Previewer,
    standing,
)
from governing.handler import GuardedRequestHandler
from governing.operations_commands import OperationCommands, OperationJournalPort
from governing.parsing import MentionedPerson
from governing.policy_access import PolicyAccess
from governing.service import GovernanceCommands
from governing.votes import ApprovalVotes, VoteAnswer

__all__ = [
    "COMMANDS",
    "ApprovalCardRenderer",
    "ApprovalView",
    "ApprovalVotes",
    "CommandCall",
    "CommandReply",
    "Governance",
    "GovernanceCommand",
    "GovernanceCommands",
    "GrantChoiceFilter",
    "GuardedRequestHandler",
    "MentionedPerson",
    "OperationCommands",
    "OperationJournalPort",
    "Permission",
    "PolicyAccess",
    "Previewer",
    "VoteAnswer",
    "find_command",
    "show_time",
    "standing",
]
