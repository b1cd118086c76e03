"""The decision re-made just before an approved request runs.

Between approval and execution a grant may be revoked, an approver removed, a freeze begun or
the resource changed. :func:`recheck` runs the request only when it was approved, the plan
re-previewed now hashes the same, and the policy still allows it: a standing (auto) grant now
covers it, or its approval-mode grant still does and the approvals of people the scope's
current rule still names reach the current quorum. Otherwise it says why, for the requester,
who is asked to request again. (A request approved at once is simply decided again with
:func:`~guardrails.decision.decide` and its plan hash compared.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from actions.spec import Preview
from guardrails.decision import (
    Approved,
    Decision,
    Frozen,
    NeedsApproval,
    PolicySnapshot,
    Proposal,
    RateLimited,
    Refused,
    most_specific_rule,
)
from guardrails.decision import decide as _decide
from guardrails.plan import verify_plan
from guardrails.records import Actor, ApprovalRequest, ApprovalStatus, ApproverRule, PrincipalKind, Vote, VoteChoice

__all__ = ["RecheckReason", "RecheckResult", "recheck"]


class RecheckReason(StrEnum):
    NOT_APPROVED = "not_approved"  # the request is not (or no longer) approved
    PLAN_CHANGED = "plan_changed"  # arguments or the resource's state changed since approval
    GRANT_REVOKED = "grant_revoked"  # no grant allows it any more
    APPROVER_REMOVED = "approver_removed"  # too few of its approvers are still approvers (or the quorum rose)
    FROZEN = "frozen"  # a change freeze began


@dataclass(frozen=True)
class RecheckResult:
    """``run``, or ``reason`` and ``message`` (for the requester). ``decision``: the decision re-made (if any)."""

    run: bool
    message: str
    reason: RecheckReason | None = None
    decision: Decision | None = None


def _still_approver(vote: Vote, rule: ApproverRule, groups: Mapping[str, frozenset[str]]) -> bool:
    for principal in rule.approvers:
        if principal.kind is PrincipalKind.USER and principal.id == vote.voter_id:
            return True
        if principal.kind is PrincipalKind.GROUP and vote.voter_id in groups.get(principal.id, frozenset()):
            return True
    return False


def recheck(
    approval: ApprovalRequest,
    snapshot: PolicySnapshot,
    current_preview: Preview,
    current_before: Mapping[str, int],
    now: datetime,
    *,
    requester: Actor,
) -> RecheckResult:
    """Whether the approved ``approval`` may run now.

    ``snapshot`` is read now for the requester (``requester``: their identity and groups) and the
    resource's scope chain, with ``groups`` holding the members of groups the approver rule names
    (a vote through a group counts only while its voter is still a member). The rate limit is not
    applied again. ``current_preview``/``current_before``: the preview re-computed now.
    """
    if approval.status is not ApprovalStatus.APPROVED:
        return RecheckResult(
            False, f"This request is {approval.status.value}, not approved.", RecheckReason.NOT_APPROVED
        )
    if requester.object_id != approval.requester_id:
        raise ValueError("requester is not the approval's requester")
    if not verify_plan(approval, current_preview, current_before):
        return RecheckResult(
            False,
            "The resource or the request changed since it was approved, so the approved plan no longer holds. "
            "Nothing was changed; please request it again.",
            RecheckReason.PLAN_CHANGED,
        )
    proposal = Proposal(
        id=approval.id,
        actor=requester,
        action=approval.action,
        resource_id=approval.resource_id,
        args=approval.args,
        before=current_before,
    )
    decision = _decide(proposal, replace(snapshot, recent_requests=0), now)
    match decision:
        case Approved():
            return RecheckResult(True, f"Still allowed ({decision.reason})", None, decision)
        case Frozen():
            return RecheckResult(
                False,
                f"A change freeze began after approval: {decision.reason} Nothing was changed; request it again later.",
                RecheckReason.FROZEN,
                decision,
            )
        case Refused() | RateLimited():
            return RecheckResult(
                False,
                f"Your permission changed after approval: {decision.reason} Nothing was changed.",
                RecheckReason.GRANT_REVOKED,
                decision,
            )
        case NeedsApproval():
            rule = most_specific_rule(snapshot.approver_rules, approval.resource_id)
            if rule is None:  # pragma: no cover - decide answers NeedsApproval only with a rule
                return RecheckResult(False, "Nobody approves this scope any more.", RecheckReason.APPROVER_REMOVED)
            counted = {
                v.voter_id
                for v in approval.votes
                if v.choice is VoteChoice.APPROVE
                and v.voter_id != approval.requester_id
                and _still_approver(v, rule, snapshot.groups)
            }
            if len(counted) >= rule.quorum:
                return RecheckResult(True, f"Approved by {len(counted)} current approver(s).", None, decision)
            return RecheckResult(
                False,
                f"Only {len(counted)} of the approvals still count (rule {rule.id} needs {rule.quorum}): an approver "
                "was removed or the quorum rose after approval. Nothing was changed; please request it again.",
                RecheckReason.APPROVER_REMOVED,
                decision,
            )
    raise AssertionError(f"unknown decision {decision!r}")  # pragma: no cover
