"""The approval card: what an approver decides on, and where the request stands for everyone else.

Adaptive Card 1.5 with Universal Actions: Approve / Reject are ``Action.Execute`` buttons (an
older client sends their ``Action.Submit`` fallback: the same data, with the verb inside) carrying
the request id and the plan hash shown (:func:`cards.protocol.approval_data`), plus an optional
comment. ``refresh`` (``refresh.userIds``: the approvers, at most 60) makes each approver's
client ask for their own view when they open it — the buttons while they may vote, the standing
after — and everyone else sees the card as last posted or updated.
"""

from __future__ import annotations

from typing import Any

from cards.elements import Tone, adaptive_card, container, execute_action, fact_set, text_block
from cards.protocol import (
    APPROVAL_REFRESH_VERB,
    COMMENT_INPUT,
    VOTE_APPROVE_VERB,
    VOTE_REJECT_VERB,
    approval_data,
)
from governing.context import ApprovalView
from guardrails.records import ApprovalStatus

__all__ = ["approval_card"]

_LOOK = {
    ApprovalStatus.PENDING: ("Waiting for approval", Tone.ACCENT),
    ApprovalStatus.APPROVED: ("Approved", Tone.GOOD),
    ApprovalStatus.REJECTED: ("Rejected", Tone.ATTENTION),
    ApprovalStatus.EXPIRED: ("Expired", Tone.WARNING),
    ApprovalStatus.CANCELLED: ("Cancelled", Tone.WARNING),
}


def approval_card(view: ApprovalView) -> dict[str, Any]:
    """The approval card for one viewer (see :class:`governing.context.ApprovalView`)."""
    approval = view.approval
    preview = approval.preview
    headline, tone = _LOOK[approval.status]
    facts = [
        ("Requested by", approval.requester_name or approval.requester_id),
        ("Action", approval.action),
        ("Target", preview.target),
        ("Reason", approval.reason or "(none given)"),
        ("Expires", f"{approval.expires_at:%Y-%m-%d %H:%M} UTC"),
        ("Request", approval.id),
    ]
    changes = [(c.field, f"{c.current} → {c.desired}") for c in preview.changes]
    body: list[dict[str, Any] | None] = [
        container([
            text_block(headline, weight="Bolder", size="Medium"),
            text_block(preview.title or f"{approval.action} on {preview.target}"),
        ], tone=tone),
        fact_set(facts),
        fact_set(changes),
        *(text_block(note, subtle=True) for note in preview.notes),
        text_block(view.status),
    ]
    if view.notice:
        body.append(text_block(view.notice, weight="Bolder"))
    if view.requester_view and approval.status is ApprovalStatus.PENDING:
        body.append(text_block("You will be told here when it is decided.", subtle=True))
    actions: list[dict[str, Any]] = []
    if view.can_vote and approval.status is ApprovalStatus.PENDING:
        body.append({
            "type": "Input.Text", "id": COMMENT_INPUT, "label": "Comment (optional)", "isMultiline": True,
            "maxLength": 1000, "placeholder": "Why you approve or reject",
        })
        actions = [
            execute_action("Approve", VOTE_APPROVE_VERB,
                           approval_data(VOTE_APPROVE_VERB, approval.id, approval.plan_hash), style="positive"),
            execute_action("Reject", VOTE_REJECT_VERB,
                           approval_data(VOTE_REJECT_VERB, approval.id, approval.plan_hash), style="destructive"),
        ]
    card = adaptive_card(body, actions)
    card["refresh"] = {
        "action": execute_action("Refresh", APPROVAL_REFRESH_VERB, approval_data(APPROVAL_REFRESH_VERB, approval.id),
                                 with_inputs=False),
        "userIds": list(view.approvers),
    }
    return card
