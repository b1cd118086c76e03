"""The plan hash binds an approval to the exact change; the re-check before execution refuses what changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from actions.spec import Change, Preview
from guardrails import (
    Actor,
    ApprovalStatus,
    GrantMode,
    Principal,
    RecheckReason,
    Vote,
    VoteChoice,
    plan_hash,
    recheck,
    verify_plan,
)
from guardrails.records import ApprovalRequest
from tests.unit.guardrails.policy import (
    BOB,
    CAROL,
    DAVE,
    NOW,
    POOL,
    PROD,
    RESTART,
    SCALE,
    approval,
    count_limit,
    freeze,
    grant,
    preview,
    rule,
    snapshot,
)

ARGS = {"pool": POOL, "count": 5}


def test_the_plan_hash_is_stable_and_canonical() -> None:
    reference = plan_hash(SCALE, POOL, ARGS, preview(), {"count": 3})
    assert reference.startswith("sha256:v1:")
    assert len(reference) == len("sha256:v1:") + 64
    assert plan_hash(SCALE, POOL, {"count": 5, "pool": POOL}, preview(), {"count": 3}) == reference
    assert plan_hash(SCALE.upper(), POOL.upper() + "/", ARGS, preview(), {"count": 3}) == reference
    assert plan_hash(SCALE, POOL, ARGS, replace(preview(), notes=("a note",), target="renamed"), {"count": 3}) == (
        reference
    )


def test_the_plan_hash_changes_with_anything_that_changes_what_runs() -> None:
    reference = plan_hash(SCALE, POOL, ARGS, preview(), {"count": 3})
    variants = [
        plan_hash(RESTART, POOL, ARGS, preview(), {"count": 3}),
        plan_hash(SCALE, POOL.replace("np1", "np2"), ARGS, preview(), {"count": 3}),
        plan_hash(SCALE, POOL, {**ARGS, "count": 6}, preview(), {"count": 3}),
        plan_hash(SCALE, POOL, {**ARGS, "count": "5"}, preview(), {"count": 3}),
        plan_hash(SCALE, POOL, ARGS, preview(current=4), {"count": 3}),
        plan_hash(SCALE, POOL, ARGS, preview(), {"count": 4}),
        plan_hash(SCALE, POOL, ARGS, Preview("t", POOL, (Change("nodes", "3", "5"), Change("mode", "a", "b"))), {}),
    ]
    assert reference not in variants
    assert len(set(variants)) == len(variants)


def test_verify_plan_compares_the_re_previewed_plan_with_the_approved_one() -> None:
    item = approval()
    assert verify_plan(item, preview(), {"count": 3})
    assert not verify_plan(item, preview(current=4), {"count": 4})


PROD_RULE = rule("rule-prod", PROD, (BOB, CAROL, DAVE), quorum=2)
APPROVAL_GRANT = grant("g-approval", mode=GrantMode.APPROVAL, limits=count_limit(maximum=10))
ALICE_ACTOR = Actor(approval().requester_id, "Alice")
LATER = NOW + timedelta(hours=2)


def approved(*voters: str, via_group: str = "") -> ApprovalRequest:
    votes = tuple(
        Vote(
            v,
            VoteChoice.APPROVE,
            NOW + timedelta(minutes=i),
            Principal.group(via_group) if via_group else Principal.user(v),
        )
        for i, v in enumerate(voters)
    )
    return replace(approval(), votes=votes, status=ApprovalStatus.APPROVED, decided_at=NOW + timedelta(minutes=5))


def run_recheck(
    item: ApprovalRequest, *grants: object, rules: tuple[object, ...] = (PROD_RULE,), **kw: object
) -> object:
    policy = snapshot(*grants, rules=rules, **kw)  # type: ignore[arg-type]
    return recheck(item, policy, preview(), {"count": 3}, LATER, requester=ALICE_ACTOR)


def test_an_approved_request_with_the_same_policy_and_plan_runs() -> None:
    result = run_recheck(approved(BOB, CAROL), APPROVAL_GRANT)
    assert result.run  # type: ignore[attr-defined]
    assert result.reason is None  # type: ignore[attr-defined]


def test_a_grant_revoked_after_approval_stops_it() -> None:
    result = run_recheck(approved(BOB, CAROL))
    assert not result.run  # type: ignore[attr-defined]
    assert result.reason is RecheckReason.GRANT_REVOKED  # type: ignore[attr-defined]
    assert "Nothing was changed" in result.message  # type: ignore[attr-defined]


def test_an_approver_removed_after_approval_stops_it() -> None:
    without_carol = rule("rule-prod", PROD, (BOB, DAVE), quorum=2)
    result = run_recheck(approved(BOB, CAROL), APPROVAL_GRANT, rules=(without_carol,))
    assert result.reason is RecheckReason.APPROVER_REMOVED  # type: ignore[attr-defined]
    assert "Only 1 of the approvals still count (rule rule-prod needs 2)" in result.message  # type: ignore[attr-defined]


def test_a_quorum_raised_after_approval_stops_it() -> None:
    three = rule("rule-prod", PROD, (BOB, CAROL, DAVE), quorum=3)
    assert run_recheck(approved(BOB, CAROL), APPROVAL_GRANT, rules=(three,)).reason is RecheckReason.APPROVER_REMOVED  # type: ignore[attr-defined]


def test_a_vote_through_a_group_counts_only_while_the_voter_is_still_a_member() -> None:
    by_group = rule("rule-prod", PROD, ("group:prod-approvers",), quorum=2)
    item = approved(BOB, CAROL, via_group="prod-approvers")
    both = {"prod-approvers": frozenset({BOB, CAROL})}
    assert run_recheck(item, APPROVAL_GRANT, rules=(by_group,), groups=both).run  # type: ignore[attr-defined]
    carol_left = {"prod-approvers": frozenset({BOB})}
    assert run_recheck(item, APPROVAL_GRANT, rules=(by_group,), groups=carol_left).reason is (  # type: ignore[attr-defined]
        RecheckReason.APPROVER_REMOVED
    )


def test_a_freeze_begun_after_approval_stops_it() -> None:
    begun = freeze("f1", PROD, NOW + timedelta(hours=1), NOW + timedelta(days=1), "incident")
    result = run_recheck(approved(BOB, CAROL), APPROVAL_GRANT, freezes=(begun,))
    assert result.reason is RecheckReason.FROZEN  # type: ignore[attr-defined]
    assert "incident" in result.message  # type: ignore[attr-defined]


def test_a_resource_changed_since_approval_stops_it() -> None:
    policy = snapshot(APPROVAL_GRANT, rules=(PROD_RULE,))
    result = recheck(approved(BOB, CAROL), policy, preview(current=4), {"count": 4}, LATER, requester=ALICE_ACTOR)
    assert not result.run
    assert result.reason is RecheckReason.PLAN_CHANGED


def test_arguments_changed_since_approval_stop_it() -> None:
    tampered = replace(approved(BOB, CAROL), args={**ARGS, "count": 9})
    assert run_recheck(tampered, APPROVAL_GRANT).reason is RecheckReason.PLAN_CHANGED  # type: ignore[attr-defined]


def test_a_request_that_is_not_approved_does_not_run() -> None:
    for status in (ApprovalStatus.PENDING, ApprovalStatus.REJECTED, ApprovalStatus.EXPIRED, ApprovalStatus.CANCELLED):
        item = replace(approved(BOB, CAROL), status=status)
        assert run_recheck(item, APPROVAL_GRANT).reason is RecheckReason.NOT_APPROVED  # type: ignore[attr-defined]


def test_the_rate_limit_is_not_applied_again_before_execution() -> None:
    assert run_recheck(approved(BOB, CAROL), APPROVAL_GRANT, recent_requests=10_000).run  # type: ignore[attr-defined]


def test_a_standing_grant_added_since_lets_it_run_without_the_votes() -> None:
    assert run_recheck(approved(BOB), grant("g-auto")).run  # type: ignore[attr-defined]
