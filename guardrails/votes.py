"""Approval votes: pure transitions of an :class:`~guardrails.records.ApprovalRequest`.

The rules (docs/security.md): a vote counts only from a person the scope's approver rule names
(directly or through a Switchboard group), never from the requester, once per person, while
the request is pending and not expired, and only from a card showing this request and this
plan (request id and plan hash). ``quorum`` distinct approvals approve the request; **one
rejection rejects it** (any approver may stop a change; the requester may ask again). The
caller writes the returned request with the ETag it read (:class:`~guardrails.ports.ApprovalStore`),
so of two concurrent votes exactly one outcome is recorded; the loser re-reads and votes again.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from guardrails.records import (
    Actor,
    ApprovalRequest,
    ApprovalStatus,
    ApproverRule,
    Principal,
    PrincipalKind,
    Vote,
    VoteChoice,
)
from guardrails.scopes import covers

__all__ = [
    "MAX_COMMENT_LENGTH",
    "VoteAccepted",
    "VoteRefusal",
    "VoteRefused",
    "VoteResult",
    "approver_principal",
    "cancel",
    "cast_vote",
    "expire",
]

MAX_COMMENT_LENGTH = 1000


class VoteRefusal(StrEnum):
    NO_IDENTITY = "no_identity"  # the voter has no Entra object id on this channel
    WRONG_REQUEST = "wrong_request"  # the card is for another request (a replayed or forged card)
    STALE_PLAN = "stale_plan"  # the card shows another plan than the request's (a replayed card)
    ALREADY_DECIDED = "already_decided"
    EXPIRED = "expired"
    SELF_APPROVAL = "self_approval"  # the requester voting on their own request
    WRONG_SCOPE = "wrong_scope"  # the rule given does not cover the request's resource
    NOT_APPROVER = "not_approver"
    ALREADY_VOTED = "already_voted"
    COMMENT_TOO_LONG = "comment_too_long"
    NOT_REQUESTER = "not_requester"  # only the requester may cancel their request


_MESSAGES = {
    VoteRefusal.NO_IDENTITY: "Your Microsoft Entra identity is not known on this channel, so your vote cannot count.",
    VoteRefusal.WRONG_REQUEST: "This card is not for this request. Use the latest approval card.",
    VoteRefusal.STALE_PLAN: "This card shows an older plan than the request now has. Use the latest approval card.",
    VoteRefusal.ALREADY_DECIDED: "This request was already {status}; your vote was not counted.",
    VoteRefusal.EXPIRED: "This request expired at {expires:%Y-%m-%d %H:%M} UTC; the requester may ask again.",
    VoteRefusal.SELF_APPROVAL: "You cannot vote on your own request; another approver must decide it.",
    VoteRefusal.WRONG_SCOPE: "Your approver rule is for another scope; you cannot decide requests on this resource.",
    VoteRefusal.NOT_APPROVER: "You are not an approver for this resource's scope.",
    VoteRefusal.ALREADY_VOTED: "You already voted on this request; each approver counts once.",
    VoteRefusal.COMMENT_TOO_LONG: f"A comment is at most {MAX_COMMENT_LENGTH} characters; shorten it and vote again.",
    VoteRefusal.NOT_REQUESTER: "Only the requester can cancel this request.",
}


@dataclass(frozen=True)
class VoteAccepted:
    """The vote counts: write ``approval`` (its status is the outcome; ``decided`` when this vote decided it)."""

    approval: ApprovalRequest
    vote: Vote
    decided: bool


@dataclass(frozen=True)
class VoteRefused:
    """The vote does not count; ``message`` says why (for the voter). ``approval`` is a record to write
    anyway (a request found expired becomes ``expired``), else None."""

    refusal: VoteRefusal
    message: str
    approval: ApprovalRequest | None = None


VoteResult = VoteAccepted | VoteRefused


def _refused(refusal: VoteRefusal, approval: ApprovalRequest, updated: ApprovalRequest | None = None) -> VoteRefused:
    message = _MESSAGES[refusal].format(status=approval.status.value, expires=approval.expires_at)
    return VoteRefused(refusal, message, updated)


def approver_principal(rule: ApproverRule, voter: Actor) -> Principal | None:
    """The principal of ``rule`` that makes ``voter`` an approver: the user, else one of their groups."""
    if not voter.identified:
        return None
    user = Principal.user(voter.object_id)
    if user in rule.approvers:
        return user
    groups = sorted(p for p in rule.approvers if p.kind is PrincipalKind.GROUP and p.id in voter.groups)
    return groups[0] if groups else None


def expire(approval: ApprovalRequest, now: datetime) -> ApprovalRequest | None:
    """The request marked ``expired`` when it is pending and ``now`` is at or past its expiry, else None."""
    if approval.status is ApprovalStatus.PENDING and now >= approval.expires_at:
        return replace(approval, status=ApprovalStatus.EXPIRED, decided_at=now)
    return None


def cancel(approval: ApprovalRequest, actor: Actor, now: datetime) -> ApprovalRequest | VoteRefused:
    """The request cancelled by its requester, or why not (someone else, already decided, expired)."""
    if not actor.identified or actor.object_id != approval.requester_id:
        return _refused(VoteRefusal.NOT_REQUESTER, approval)
    if approval.status.decided:
        return _refused(VoteRefusal.ALREADY_DECIDED, approval)
    expired = expire(approval, now)
    if expired is not None:
        return _refused(VoteRefusal.EXPIRED, approval, expired)
    return replace(approval, status=ApprovalStatus.CANCELLED, decided_at=now)


def cast_vote(
    approval: ApprovalRequest,
    rule: ApproverRule,
    voter: Actor,
    choice: VoteChoice,
    comment: str,
    now: datetime,
    presented_plan_hash: str,
    presented_request_id: str,
) -> VoteResult:
    """Record ``voter``'s ``choice`` on ``approval`` under ``rule`` (the rule now governing its resource).

    ``presented_*`` come from the card the voter pressed. Checks, in order: identity, the card's
    request id and plan hash, still pending, not expired, not the requester, the rule covers the
    resource, the voter is one of its approvers, first vote of this voter, comment length.
    The quorum is the rule's current one.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not voter.identified:
        return _refused(VoteRefusal.NO_IDENTITY, approval)
    if not hmac.compare_digest(presented_request_id.encode(), approval.id.encode()):
        return _refused(VoteRefusal.WRONG_REQUEST, approval)
    if not hmac.compare_digest(presented_plan_hash.encode(), approval.plan_hash.encode()):
        return _refused(VoteRefusal.STALE_PLAN, approval)
    if approval.status.decided:
        return _refused(VoteRefusal.ALREADY_DECIDED, approval)
    expired = expire(approval, now)
    if expired is not None:
        return _refused(VoteRefusal.EXPIRED, approval, expired)
    if voter.object_id == approval.requester_id:
        return _refused(VoteRefusal.SELF_APPROVAL, approval)
    if not covers(rule.scope, approval.resource_id):
        return _refused(VoteRefusal.WRONG_SCOPE, approval)
    via = approver_principal(rule, voter)
    if via is None:
        return _refused(VoteRefusal.NOT_APPROVER, approval)
    if approval.voted(voter.object_id):
        return _refused(VoteRefusal.ALREADY_VOTED, approval)
    text = comment.strip()
    if len(text) > MAX_COMMENT_LENGTH:
        return _refused(VoteRefusal.COMMENT_TOO_LONG, approval)

    vote = Vote(
        voter_id=voter.object_id, choice=VoteChoice(choice), at=now, via=via, voter_name=voter.name, comment=text
    )
    votes = (*approval.votes, vote)
    status = ApprovalStatus.PENDING
    if vote.choice is VoteChoice.REJECT:
        status = ApprovalStatus.REJECTED
    elif len({v.voter_id for v in votes if v.choice is VoteChoice.APPROVE}) >= rule.quorum:
        status = ApprovalStatus.APPROVED
    decided = status is not ApprovalStatus.PENDING
    updated = replace(approval, votes=votes, status=status, decided_at=now if decided else None)
    return VoteAccepted(updated, vote, decided)
