"""The guardrails in the request path: application services between the conversations and execution.

- :class:`GuardedRequestHandler` (:mod:`governing.handler`) — the :class:`~requesting.RequestHandler`
  the dialogs submit to: reads the policy in one round, decides, audits, and hands approved
  requests to the executor, refuses with a precise message, or stores an approval request and
  sends its approval cards;
- :class:`ApprovalVotes` (:mod:`governing.votes`) — approval card votes and refreshes: identity
  from the activity, every abuse refused and audited, the quorum handed on exactly once after
  the re-check;
- :class:`Governance` (:mod:`governing.context`) — what both share: stores, clock, notifier,
  audit trail, the approval card renderer.

It sits above the adapters (``storage``, ``telemetry``) and below the cards and dialogs, which
is why the approval card's layout is injected (:class:`ApprovalCardRenderer`, implemented by
``cards.approvals``).
"""

from governing.choices import GrantChoiceFilter
from governing.context import (
    ApprovalCardRenderer,
    ApprovalView,
    Governance,
    Previewer,
    standing,
)
from governing.handler import GuardedRequestHandler
from governing.votes import ApprovalVotes, VoteAnswer

__all__ = [
    "ApprovalCardRenderer",
    "ApprovalView",
    "ApprovalVotes",
    "Governance",
    "GrantChoiceFilter",
    "GuardedRequestHandler",
    "Previewer",
    "VoteAnswer",
    "standing",
]
