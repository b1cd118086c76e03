"""ApprovalVotes: every abuse of a vote refused, audited and explained; a quorum handed on exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from guardrails.ports import AuditQuery
from guardrails.records import ApprovalStatus, ApproverRule, AuditKind, Principal, VoteChoice
from guardrails.votes import VoteRefusal
from requesting import OutcomeState, Requester
from tests.integration.governing.conftest import ADELE, ALEX, ISAIAH, MEGAN, PATTI, Guarded
from tests.integration.governing.test_governing_requests import approval_grant, prod_rule

APPROVE, REJECT = VoteChoice.APPROVE, VoteChoice.REJECT


async def pending(guarded: Guarded, quorum: int = 2, *approvers: str, count: int = 6) -> tuple[str, str]:
    """Alex asks to scale aks-prod/np1 to ``count`` under an approval grant: (request id, plan hash)."""
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(quorum, *approvers))
    request = await guarded.request(ALEX, count, reason="black friday traffic")
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.AWAITING_APPROVAL, outcome.message
    await guarded.governance.drain()
    stored = (await guarded.governance.approvals.get(request.id)).record
    return request.id, stored.plan_hash


async def refused_votes(guarded: Guarded, request_id: str) -> list[str]:
    records = await guarded.governance.audit_store.query(AuditQuery(request_id=request_id, kind=AuditKind.VOTE_REFUSED))
    return sorted(r.decision for r in records)


async def status(guarded: Guarded, request_id: str) -> ApprovalStatus:
    return (await guarded.governance.approvals.get(request_id)).record.status


async def test_the_requester_cannot_approve_their_own_request(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 1, MEGAN.aad_object_id or "", ALEX.aad_object_id or "")
    answer = await guarded.votes.vote(ALEX, request_id, plan, APPROVE)
    assert answer.refusal is VoteRefusal.SELF_APPROVAL
    assert "own request" in answer.message
    assert await status(guarded, request_id) is ApprovalStatus.PENDING
    assert await refused_votes(guarded, request_id) == ["self_approval"]


async def test_someone_who_is_no_approver_or_approves_another_scope_cannot_vote(guarded: Guarded) -> None:
    dev = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev"
    await guarded.policy.rules.put(ApproverRule(
        id="dev-approvers", scope=dev, approvers=frozenset({Principal.user(ISAIAH.aad_object_id or "")}),
    ))
    request_id, plan = await pending(guarded, 1)
    for voter in (PATTI, ISAIAH):
        answer = await guarded.votes.vote(voter, request_id, plan, APPROVE)
        assert answer.refusal is VoteRefusal.NOT_APPROVER
        assert "not an approver" in answer.message
        assert answer.card is not None
        assert "actions" not in answer.card  # no buttons for them
    assert await status(guarded, request_id) is ApprovalStatus.PENDING
    assert await refused_votes(guarded, request_id) == ["not_approver", "not_approver"]
    assert guarded.scale_puts() == []


async def test_an_approver_counts_once_and_sees_where_it_stands(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 2)
    first = await guarded.votes.vote(MEGAN, request_id, plan, APPROVE, "looks right")
    assert first.accepted
    assert first.card is not None
    texts = str(first.card)
    assert "Approved by Megan Bowen at" in texts
    assert "waiting for 1 more (2 needed)" in texts
    again = await guarded.votes.vote(MEGAN, request_id, plan, APPROVE)
    assert again.refusal is VoteRefusal.ALREADY_VOTED
    assert await status(guarded, request_id) is ApprovalStatus.PENDING
    assert await refused_votes(guarded, request_id) == ["already_voted"]
    await guarded.governance.drain()
    refreshed = [notice.card for _, activity, notice in guarded.notifier.updates if activity.startswith("card-")]
    assert len(refreshed) == 2  # Megan's and Adele's copies
    assert all("waiting for 1 more" in str(card) for card in refreshed)  # every copy shows the new state
    [mine] = [notice.card for _, activity, notice in guarded.notifier.updates if activity == "requester-card"]
    assert "waiting for 1 more" in str(mine)  # the requester's card shows where it stands
    assert not any(notice.text for _, notice in guarded.notifier.sent)  # no message until it is decided
    assert guarded.scale_puts() == []


async def test_a_replayed_card_with_another_plan_or_request_id_is_refused(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 1)
    stale = await guarded.votes.vote(MEGAN, request_id, "sha256:v1:" + "0" * 64, APPROVE)
    assert stale.refusal is VoteRefusal.STALE_PLAN
    unknown = await guarded.votes.vote(MEGAN, "f-0000000000000000", plan, APPROVE)
    assert unknown.refusal is VoteRefusal.WRONG_REQUEST
    assert "no request Switchboard knows" in unknown.message
    assert await status(guarded, request_id) is ApprovalStatus.PENDING
    assert await refused_votes(guarded, request_id) == ["stale_plan"]
    assert await refused_votes(guarded, "f-0000000000000000") == ["wrong_request"]
    assert guarded.scale_puts() == []


async def test_a_vote_after_the_expiry_expires_the_request_and_tells_the_requester(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 1)
    guarded.clock.advance(timedelta(hours=24, seconds=1))
    answer = await guarded.votes.vote(MEGAN, request_id, plan, APPROVE)
    assert answer.refusal is VoteRefusal.EXPIRED
    assert await status(guarded, request_id) is ApprovalStatus.EXPIRED
    await guarded.governance.drain()
    told = [notice.text for conversation, notice in guarded.notifier.sent if notice.text]
    assert any("expired" in text for text in told)
    assert guarded.scale_puts() == []


async def test_one_rejection_decides_and_later_votes_are_refused(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 2)
    rejected = await guarded.votes.vote(MEGAN, request_id, plan, REJECT, "not during the sale")
    assert rejected.accepted
    assert await status(guarded, request_id) is ApprovalStatus.REJECTED
    late = await guarded.votes.vote(ADELE, request_id, plan, APPROVE)
    assert late.refusal is VoteRefusal.ALREADY_DECIDED
    await guarded.governance.drain()
    told = " ".join(notice.text or "" for _, notice in guarded.notifier.sent)
    assert "rejected" in told
    assert "not during the sale" in told
    assert guarded.scale_puts() == []


async def test_the_quorum_runs_the_request_once_and_the_requester_is_told(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 2, count=6)
    assert (await guarded.votes.vote(MEGAN, request_id, plan, APPROVE)).accepted
    final = await guarded.votes.vote(ADELE, request_id, plan, APPROVE)
    assert final.accepted
    assert "quorum is reached" in final.message
    await guarded.governance.drain()
    assert await guarded.pool_count() == 6
    assert len(guarded.scale_puts()) == 1
    told = [notice.text or "" for conversation, notice in guarded.notifier.sent
            if conversation["conversation"]["id"] == f"chat-{ALEX.user_id}"]
    assert any(text.startswith("Your request was approved.") for text in told)
    assert any(activity == "requester-card" for _, activity, _ in guarded.notifier.updates)
    kinds = [r.kind for r in await guarded.governance.audit_store.query(AuditQuery(request_id=request_id))]
    assert kinds.count(AuditKind.VOTE) == 2
    assert AuditKind.APPROVAL_DECIDED in kinds
    assert AuditKind.RECHECK in kinds


async def test_concurrent_votes_record_one_outcome_and_hand_on_exactly_once(guarded: Guarded) -> None:
    approvers = [f"00000000-0000-0000-0000-00000000{n:04d}" for n in range(100, 110)]
    request_id, plan = await pending(guarded, 2, *approvers)
    voters = [Requester(f"29:{oid}", f"Approver {oid[-3:]}", oid, "tenant") for oid in approvers]
    answers = await asyncio.gather(*(guarded.votes.vote(v, request_id, plan, APPROVE) for v in voters))
    await guarded.governance.drain()
    assert sum(a.accepted for a in answers) == 2
    assert {a.refusal for a in answers if not a.accepted} == {VoteRefusal.ALREADY_DECIDED}
    stored = (await guarded.governance.approvals.get(request_id)).record
    assert stored.status is ApprovalStatus.APPROVED
    assert len(stored.votes) == 2
    assert len(guarded.scale_puts()) == 1


async def test_a_grant_revoked_before_the_quorum_stops_the_run(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 1)
    await guarded.policy.grants.revoke("alex-prod-approval")
    assert (await guarded.votes.vote(MEGAN, request_id, plan, APPROVE)).accepted
    await guarded.governance.drain()
    assert guarded.scale_puts() == []
    told = " ".join(notice.text or "" for _, notice in guarded.notifier.sent)
    assert "Your permission changed after approval" in told
    [recheck] = await guarded.governance.audit_store.query(AuditQuery(request_id=request_id, kind=AuditKind.RECHECK))
    assert recheck.decision == "grant_revoked"


async def test_a_resource_changed_since_the_preview_does_not_run_on_the_old_plan(guarded: Guarded) -> None:
    request_id, plan = await pending(guarded, 1, count=6)
    other = await guarded.request(ALEX, 2)
    assert (await guarded.handler.executor.submit(other)).state is OutcomeState.SUCCEEDED  # someone scaled it
    guarded.sandbox.clear_requests()
    assert (await guarded.votes.vote(MEGAN, request_id, plan, APPROVE)).accepted
    await guarded.governance.drain()
    assert guarded.scale_puts() == []
    assert await guarded.pool_count() == 2
    told = " ".join(notice.text or "" for _, notice in guarded.notifier.sent)
    assert "changed since it was approved" in told


async def test_a_refresh_shows_buttons_only_to_an_approver_who_may_still_vote(guarded: Guarded) -> None:
    request_id, _ = await pending(guarded, 2)
    megan = await guarded.votes.view(MEGAN, request_id)
    patti = await guarded.votes.view(PATTI, request_id)
    alex = await guarded.votes.view(ALEX, request_id)
    assert megan.card is not None
    assert [a["verb"] for a in megan.card["actions"]] == ["vote:approve", "vote:reject"]
    assert patti.card is not None
    assert "actions" not in patti.card
    assert alex.card is not None
    assert "actions" not in alex.card
    assert "You will be told here when it is decided." in str(alex.card)
