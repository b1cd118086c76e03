"""GuardedRequestHandler: every confirmed request is decided, audited, and run, refused or sent for approval."""

from __future__ import annotations

from datetime import timedelta

from guardrails.ports import AuditQuery
from guardrails.records import (
    ApprovalStatus,
    ApproverRule,
    AuditKind,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Limits,
    ParameterLimit,
    Principal,
    RateLimit,
)
from requesting import OutcomeState
from tests.integration.governing.conftest import ADELE, AKS_PROD, ALEX, MEGAN, NP1, RG_PROD, Guarded


def auto_grant(**overrides: object) -> Grant:
    fields: dict[str, object] = {
        "id": "alex-prod-auto", "principal": Principal.user(ALEX.aad_object_id or ""),
        "actions": frozenset({"aks-scale-node-pool"}), "scope": RG_PROD, "mode": GrantMode.AUTO,
        "limits": Limits({"count": ParameterLimit(minimum=1, maximum=4)}),
    }
    fields.update(overrides)
    return Grant(**fields)  # type: ignore[arg-type]


def approval_grant() -> Grant:
    return auto_grant(id="alex-prod-approval", mode=GrantMode.APPROVAL,
                      limits=Limits({"count": ParameterLimit(minimum=1, maximum=10)}))


def prod_rule(quorum: int = 1, *approvers: str) -> ApproverRule:
    people = approvers or (MEGAN.aad_object_id or "", ADELE.aad_object_id or "")
    return ApproverRule(id="prod-approvers", scope=RG_PROD, approvers=frozenset(Principal.user(p) for p in people),
                        quorum=quorum)


async def audit_of(guarded: Guarded, request_id: str) -> list:
    return await guarded.governance.audit_store.query(AuditQuery(request_id=request_id))


async def test_a_request_within_a_standing_approval_runs_at_once_and_is_audited(guarded: Guarded) -> None:
    await guarded.policy.grants.add(auto_grant())
    request = await guarded.request(ALEX, 4)
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.SUCCEEDED, outcome.message
    assert await guarded.pool_count() == 4
    [record] = await audit_of(guarded, request.id)
    assert (record.kind, record.decision, record.rule_id) == (AuditKind.DECISION, "approved", "alex-prod-auto")
    assert (record.actor, record.action, record.scope) == (ALEX.aad_object_id, "aks-scale-node-pool", NP1)


async def test_no_grant_is_refused_naming_the_permission_and_the_admins_and_nothing_runs(guarded: Guarded) -> None:
    await guarded.policy.grants.add(Grant(
        id="megan-admin", principal=Principal.user(MEGAN.aad_object_id or ""), actions=frozenset({"*"}),
        scope=RG_PROD, kind=GrantKind.ADMIN,
    ))
    request = await guarded.request(ALEX, 4)
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.REFUSED
    assert "no grant for aks-scale-node-pool" in outcome.message
    assert f"user:{MEGAN.aad_object_id}" in outcome.message  # who can grant it
    assert "Nothing was changed" in outcome.message
    assert guarded.scale_puts() == []
    [record] = await audit_of(guarded, request.id)
    assert (record.decision, record.rule_id) == ("refused", "deny-by-default")


async def test_outside_the_limits_is_refused_with_the_broken_limit(guarded: Guarded) -> None:
    await guarded.policy.grants.add(auto_grant())
    outcome = await guarded.handler.submit(await guarded.request(ALEX, 9))
    assert outcome.state is OutcomeState.REFUSED
    assert "9" in outcome.message
    assert "4" in outcome.message
    assert guarded.scale_puts() == []


async def test_a_freeze_refuses_with_its_reason_and_end(guarded: Guarded) -> None:
    await guarded.policy.grants.add(auto_grant())
    now = guarded.clock()
    await guarded.policy.freezes.add(Freeze(
        id="prod-freeze", scope=AKS_PROD, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5),
        reason="quarter-end close",
    ))
    request = await guarded.request(ALEX, 4)
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.REFUSED
    assert "quarter-end close" in outcome.message
    assert f"{now + timedelta(hours=5):%Y-%m-%d %H:%M} UTC" in outcome.message
    assert guarded.scale_puts() == []
    [record] = await audit_of(guarded, request.id)
    assert (record.decision, record.rule_id) == ("frozen", "prod-freeze")


async def test_the_rate_limit_says_when_to_try_again(guarded: Guarded) -> None:
    guarded.governance.rate_limit = RateLimit(max_requests=1, window=timedelta(hours=1))
    await guarded.policy.grants.add(auto_grant())
    first = await guarded.handler.submit(await guarded.request(ALEX, 1))
    assert first.state is OutcomeState.SUCCEEDED, first.message
    second = await guarded.handler.submit(await guarded.request(ALEX, 2))
    assert second.state is OutcomeState.REFUSED
    retry = guarded.governance.rate_limit.window_end(guarded.clock())
    assert f"Try again after {retry:%Y-%m-%d %H:%M} UTC" in second.message
    assert await guarded.pool_count() == 1


async def test_needing_approval_stores_the_request_bound_to_its_plan_and_sends_cards_to_the_approvers(
    guarded: Guarded,
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(2))
    request = await guarded.request(ALEX, 6, reason="black friday traffic")
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.AWAITING_APPROVAL, outcome.message
    assert not outcome.started
    assert "2 approval(s)" in outcome.message
    stored = (await guarded.governance.approvals.get(request.id)).record
    assert stored.status is ApprovalStatus.PENDING
    assert (stored.reason, stored.quorum, stored.rule_id) == ("black friday traffic", 2, "prod-approvers")
    assert stored.plan_hash.startswith("sha256:v1:")
    await guarded.governance.drain()
    assert sorted(user for user, _ in guarded.notifier.to_users) == sorted(
        [MEGAN.aad_object_id, ADELE.aad_object_id]
    )
    card = guarded.notifier.to_users[0][1].card
    assert card is not None
    assert card["version"] == "1.5"
    assert sorted(card["refresh"]["userIds"]) == sorted(
        [f"8:orgid:{MEGAN.aad_object_id}", f"8:orgid:{ADELE.aad_object_id}"]
    )
    verbs = [action["verb"] for action in card["actions"]]
    assert verbs == ["vote:approve", "vote:reject"]
    assert card["actions"][0]["fallback"]["type"] == "Action.Submit"
    assert card["actions"][0]["data"]["switchboard"]["plan"] == stored.plan_hash
    assert guarded.scale_puts() == []
    assert len(await guarded.governance.cards.copies(request.id)) == 2


async def test_break_glass_runs_through_a_freeze_is_flagged_and_tells_the_approvers(guarded: Guarded) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.grants.add(auto_grant(id="alex-break-glass", kind=GrantKind.BREAK_GLASS, limits=Limits()))
    await guarded.policy.rules.put(prod_rule(1))
    now = guarded.clock()
    await guarded.policy.freezes.add(Freeze(
        id="prod-freeze", scope=RG_PROD, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=5),
        reason="incident review",
    ))
    request = await guarded.request(ALEX, 3, reason="pods evicted, customers down", break_glass=True)
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.SUCCEEDED, outcome.message
    records = await audit_of(guarded, request.id)
    assert {r.kind for r in records} == {AuditKind.DECISION, AuditKind.BREAK_GLASS}
    assert all(r.break_glass for r in records)
    glass = next(r for r in records if r.kind is AuditKind.BREAK_GLASS)
    assert glass.details["skipped_freeze"] == "prod-freeze"
    await guarded.governance.drain()
    told = sorted(user for user, notice in guarded.notifier.to_users if "Break-glass" in (notice.text or ""))
    assert told == sorted([MEGAN.aad_object_id, ADELE.aad_object_id])


async def test_break_glass_without_a_reason_is_refused_and_nothing_runs(guarded: Guarded) -> None:
    await guarded.policy.grants.add(auto_grant(id="alex-break-glass", kind=GrantKind.BREAK_GLASS, limits=Limits()))
    request = await guarded.request(ALEX, 3, reason="  ", break_glass=True)
    outcome = await guarded.handler.submit(request)
    assert outcome.state is OutcomeState.REFUSED
    assert "needs a reason" in outcome.message
    assert guarded.scale_puts() == []
    [record] = await audit_of(guarded, request.id)
    assert record.break_glass
    assert record.rule_id == "break-glass"


async def test_a_request_without_an_entra_identity_is_refused(guarded: Guarded) -> None:
    await guarded.policy.grants.add(auto_grant())
    from requesting import Requester

    nobody = Requester("29:guest", "Guest", None, "tenant")
    outcome = await guarded.handler.submit(await guarded.request(nobody, 3))
    assert outcome.state is OutcomeState.REFUSED
    assert "Entra identity" in outcome.message
    assert guarded.scale_puts() == []
