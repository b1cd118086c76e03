"""Votes: every way to abuse one is refused with its reason; quorum of distinct approvers; one reject rejects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guardrails import (
    Actor,
    ApprovalStatus,
    Principal,
    VoteAccepted,
    VoteChoice,
    VoteRefusal,
    VoteRefused,
    cancel,
    cast_vote,
    expire,
)
from guardrails.records import ApprovalRequest, ApproverRule
from tests.unit.guardrails.policy import ALICE, BOB, CAROL, DAVE, DEV, EVE, NOW, approval, rule, with_status

PROD_RULE = rule("rule-prod", approvers=(BOB, CAROL, DAVE), quorum=2)
DEV_RULE = rule("rule-dev", DEV, approvers=(EVE,), quorum=1)
APPROVE, REJECT = VoteChoice.APPROVE, VoteChoice.REJECT


def vote(
    item: ApprovalRequest,
    who: str | Actor,
    choice: VoteChoice = APPROVE,
    *,
    governing: ApproverRule = PROD_RULE,
    at: timedelta = timedelta(minutes=5),
    plan: str | None = None,
    request_id: str | None = None,
    comment: str = "",
) -> VoteAccepted | VoteRefused:
    voter = who if isinstance(who, Actor) else Actor(who, who[:4])
    return cast_vote(
        item,
        governing,
        voter,
        choice,
        comment,
        NOW + at,
        item.plan_hash if plan is None else plan,
        item.id if request_id is None else request_id,
    )


def refusal(result: VoteAccepted | VoteRefused) -> VoteRefusal:
    assert isinstance(result, VoteRefused), result
    return result.refusal


def accepted(result: VoteAccepted | VoteRefused) -> ApprovalRequest:
    assert isinstance(result, VoteAccepted), result
    return result.approval


def test_the_quorum_of_distinct_approvers_approves() -> None:
    first = vote(approval(), BOB, comment="  fine by me  ")
    after_one = accepted(first)
    assert after_one.status is ApprovalStatus.PENDING
    assert not first.decided  # type: ignore[union-attr]
    assert [(v.voter_id, v.choice, v.comment, v.via) for v in after_one.votes] == [
        (BOB, APPROVE, "fine by me", Principal.user(BOB))
    ]
    second = vote(after_one, CAROL, at=timedelta(minutes=9))
    done = accepted(second)
    assert done.status is ApprovalStatus.APPROVED
    assert second.decided  # type: ignore[union-attr]
    assert done.decided_at == NOW + timedelta(minutes=9)


def test_one_reject_rejects_whatever_the_approvals() -> None:
    one_yes = accepted(vote(approval(), BOB))
    rejected = accepted(vote(one_yes, DAVE, REJECT, comment="not during the sale"))
    assert rejected.status is ApprovalStatus.REJECTED
    assert rejected.votes[-1].comment == "not during the sale"


def test_the_requester_cannot_approve_their_own_request_even_as_an_approver() -> None:
    approver_too = rule("rule-prod", approvers=(ALICE, BOB), quorum=1)
    assert refusal(vote(approval(), ALICE, governing=approver_too)) is VoteRefusal.SELF_APPROVAL
    assert refusal(vote(approval(), ALICE.upper(), governing=approver_too)) is VoteRefusal.SELF_APPROVAL
    assert refusal(vote(approval(), ALICE, REJECT, governing=approver_too)) is VoteRefusal.SELF_APPROVAL


def test_someone_who_is_not_an_approver_cannot_vote() -> None:
    result = vote(approval(), EVE)
    assert refusal(result) is VoteRefusal.NOT_APPROVER
    assert result.message == "You are not an approver for this resource's scope."  # type: ignore[union-attr]


def test_an_approver_of_another_scope_cannot_vote_here() -> None:
    assert refusal(vote(approval(), EVE)) is VoteRefusal.NOT_APPROVER  # Eve approves rg-dev only
    assert refusal(vote(approval(), EVE, governing=DEV_RULE)) is VoteRefusal.WRONG_SCOPE


def test_the_same_person_cannot_vote_twice_toward_the_quorum() -> None:
    once = accepted(vote(approval(), BOB))
    assert refusal(vote(once, BOB)) is VoteRefusal.ALREADY_VOTED
    assert refusal(vote(once, BOB.upper())) is VoteRefusal.ALREADY_VOTED
    assert refusal(vote(once, BOB, REJECT)) is VoteRefusal.ALREADY_VOTED
    # and through a group, too: one person, one vote
    by_group = rule("rule-prod", approvers=(BOB, "group:prod-approvers"), quorum=2)
    bob_in_group = Actor(BOB, groups=frozenset({"prod-approvers"}))
    assert refusal(vote(once, bob_in_group, governing=by_group)) is VoteRefusal.ALREADY_VOTED


def test_a_vote_at_or_after_expiry_is_refused_and_the_request_expires() -> None:
    item = approval(expires_at=NOW + timedelta(hours=1))
    assert isinstance(vote(item, BOB, at=timedelta(minutes=59, seconds=59)), VoteAccepted)
    for late in (timedelta(hours=1), timedelta(days=3)):
        result = vote(item, BOB, at=late)
        assert refusal(result) is VoteRefusal.EXPIRED
        assert result.approval.status is ApprovalStatus.EXPIRED  # type: ignore[union-attr]
        assert "2024-06-05 11:00 UTC" in result.message


@pytest.mark.parametrize("status", [s for s in ApprovalStatus if s is not ApprovalStatus.PENDING])
def test_a_vote_on_a_decided_request_is_refused(status: ApprovalStatus) -> None:
    result = vote(with_status(approval(), status=status, decided_at=NOW), BOB)
    assert refusal(result) is VoteRefusal.ALREADY_DECIDED
    assert result.message == f"This request was already {status.value}; your vote was not counted."  # type: ignore[union-attr]
    assert result.approval is None  # type: ignore[union-attr]


def test_a_replayed_card_of_another_request_or_an_older_plan_is_refused() -> None:
    item = approval()
    assert refusal(vote(item, BOB, request_id="appr-0")) is VoteRefusal.WRONG_REQUEST
    assert refusal(vote(item, BOB, request_id="")) is VoteRefusal.WRONG_REQUEST
    assert refusal(vote(item, BOB, plan="sha256:v1:" + "0" * 64)) is VoteRefusal.STALE_PLAN
    assert refusal(vote(item, BOB, plan="")) is VoteRefusal.STALE_PLAN


def test_a_group_named_by_the_rule_makes_its_members_approvers() -> None:
    by_group = rule("rule-prod", approvers=("group:prod-approvers",), quorum=1)
    member = Actor(EVE, groups=frozenset({"Prod-Approvers"}))
    done = accepted(vote(approval(), member, governing=by_group))
    assert done.status is ApprovalStatus.APPROVED
    assert done.votes[0].via == Principal.group("prod-approvers")
    assert refusal(vote(approval(), Actor(EVE, groups=frozenset({"other"})), governing=by_group)) is (
        VoteRefusal.NOT_APPROVER
    )


def test_a_voter_without_identity_and_an_overlong_comment_are_refused() -> None:
    assert refusal(vote(approval(), Actor(""))) is VoteRefusal.NO_IDENTITY
    assert refusal(vote(approval(), BOB, comment="x" * 1001)) is VoteRefusal.COMMENT_TOO_LONG
    assert isinstance(vote(approval(), BOB, comment="x" * 1000), VoteAccepted)


def test_the_current_rules_quorum_decides() -> None:
    one_needed = rule("rule-prod", approvers=(BOB, CAROL), quorum=1)
    assert accepted(vote(approval(quorum=2), BOB, governing=one_needed)).status is ApprovalStatus.APPROVED


def test_only_the_requester_can_cancel_a_pending_request() -> None:
    item = approval()
    cancelled = cancel(item, Actor(ALICE), NOW)
    assert isinstance(cancelled, ApprovalRequest)
    assert cancelled.status is ApprovalStatus.CANCELLED
    assert refusal(cancel(item, Actor(BOB), NOW)) is VoteRefusal.NOT_REQUESTER  # type: ignore[arg-type]
    assert refusal(cancel(cancelled, Actor(ALICE), NOW)) is VoteRefusal.ALREADY_DECIDED  # type: ignore[arg-type]


def test_expire_marks_only_pending_requests_past_their_expiry() -> None:
    item = approval(expires_at=NOW + timedelta(hours=1))
    assert expire(item, NOW) is None
    assert expire(item, NOW + timedelta(hours=1)).status is ApprovalStatus.EXPIRED  # type: ignore[union-attr]
    assert expire(with_status(item, status=ApprovalStatus.APPROVED), NOW + timedelta(hours=2)) is None
