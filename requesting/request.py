"""The request: what a conversation hands over once the user confirmed — the one seam to execution.

A :class:`Request` is an action, its resolved arguments, the permission :class:`Scope` it
needs, who asked (from the activity, never from card data), where to answer (a
conversation reference) and the preview the user confirmed. Dialogs pass it to a
:class:`RequestHandler` and show the :class:`Outcome`; they know nothing else about how a
request is executed. The first handler, :class:`app.direct.DirectRequestHandler`, runs
the action at once; the guardrails (grants, limits, approvals, freezes) and the operation
queue replace it behind the same ``submit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from actions.spec import ArgValue, Preview, Scope

__all__ = ["OUTCOME_CONTINUATION_TOKEN", "Outcome", "OutcomeState", "Request", "RequestHandler", "Requester"]


@dataclass(frozen=True)
class Requester:
    """Who asked, as the channel identified them on the activity."""

    user_id: str  # the channel's user id (``activity.from.id``)
    name: str
    aad_object_id: str | None = None  # Entra object id; what grants will be keyed by
    tenant_id: str | None = None

    @property
    def key(self) -> str:
        """The stable identity used to compare owners: the Entra object id, else the channel user id."""
        return self.aad_object_id or self.user_id


@dataclass(frozen=True)
class Request:
    """A confirmed request to run one action."""

    id: str
    action: str
    args: Mapping[str, ArgValue]  # resolved values (resource ids, integers)
    scope: Scope
    requester: Requester
    conversation: Mapping[str, Any]  # serialized ``ConversationReference``: where to report
    preview: Preview
    labels: Mapping[str, str] = field(default_factory=dict)  # display value per argument
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    card_activity_id: str | None = None  # the request's one card in ``conversation``, updated in place
    reason: str | None = None  # the requester's reason (asked for when approval is needed)
    break_glass: bool = False  # the requester invoked break-glass for this one request (needs ``reason``)
    # On a resource another operation is changing: True (the proactive path, e.g. a quorum reached while the
    # requester is away) queues it behind that operation at once; False (the requester is in the conversation)
    # holds it and lets them choose to queue it behind (`queue <operation>`) or cancel it.
    queue_when_busy: bool = True


class OutcomeState(StrEnum):
    """Where a request stood when ``submit`` returned — only what is known, never more.

    ``REFUSED``, ``AWAITING_APPROVAL`` and ``QUEUED`` are the states in which nothing was sent to Azure
    yet; every other one comes after the platform call was started, so its message never says
    "nothing was changed".
    """

    SUCCEEDED = "succeeded"  # done, confirmed by Azure
    FAILED = "failed"  # sent, then refused or failed in Azure: it may have partly happened (check the resource)
    STARTED = "started"  # accepted by Azure and still running when the wait ended: check the resource
    UNCONFIRMED = "unconfirmed"  # sent, but Azure did not say what became of it: check the resource
    REFUSED = "refused"  # not run, nothing was changed: the message says why and what to do
    AWAITING_APPROVAL = "awaiting_approval"  # kept, waiting for approvers; nothing was sent yet
    QUEUED = "queued"  # approved and queued as an operation; a worker starts it and reports back


OUTCOME_CONTINUATION_TOKEN = "continuation_token"
"""``Outcome.details`` key of the operation's continuation token (for a later resume; never shown)."""

_INTERNAL_DETAILS = frozenset({OUTCOME_CONTINUATION_TOKEN})

_NOT_SENT = frozenset({"refused", "awaiting_approval", "queued"})


@dataclass(frozen=True)
class Outcome:
    """What became of a request: a state and a message written for the requester.

    ``details`` are short facts (``reference``), plus internal ones such as the continuation token
    (:data:`OUTCOME_CONTINUATION_TOKEN`) that :attr:`shown_details` leaves out.
    """

    state: OutcomeState
    message: str
    details: Mapping[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.state is OutcomeState.SUCCEEDED

    @property
    def started(self) -> bool:
        """Whether the platform call was started (not refused, waiting or queued): something may have changed."""
        return self.state.value not in _NOT_SENT

    @property
    def shown_details(self) -> dict[str, str]:
        """The details a user may see (no continuation token)."""
        return {key: value for key, value in self.details.items() if key not in _INTERNAL_DETAILS}


class RequestHandler(Protocol):
    """The seam between conversations and execution: one confirmed request in, its outcome out."""

    async def submit(self, request: Request) -> Outcome:
        """Take the request; return its outcome. User errors come back as ``REFUSED``, never raised.

        Returns within the handler's time budget: what is not done by then is ``STARTED``.
        """
        ...
