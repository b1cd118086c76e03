"""Properties of the decision over random policies and requests (hypothesis).

- nothing is ever approved (or sent for approval) that no grant of the requester covers: checked
  against an independent reading of the policy (segment-wise, case-insensitive prefixes);
- adding a grant never turns an approval into a refusal;
- adding a freeze never approves anything;
- while a freeze covers the resource, nothing is approved without a valid break-glass.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from guardrails import (
    Actor,
    Approved,
    ApproverRule,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Limits,
    NeedsApproval,
    ParameterLimit,
    PolicySnapshot,
    Principal,
    Proposal,
    Refused,
    check_limits,
    decide,
)
from tests.unit.guardrails.policy import ALICE, BOB, DEV, NOW, POOL, PROD, PRODUCTION, SUB

SCOPES = [
    "/",
    SUB,
    SUB.upper(),
    PROD,
    PROD.upper() + "/",
    PRODUCTION,
    DEV,
    f"{PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod",
    f"{PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod2",
    POOL,
]
RESOURCES = [
    POOL,
    POOL,
    POOL,
    POOL.upper(),
    f"{PRODUCTION}/providers/Microsoft.ContainerService/managedClusters/aks-prod/agentPools/np1",
    f"{DEV}/providers/Microsoft.Compute/virtualMachines/vm1",
    f"{PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod2/agentPools/np1",
]
ACTIONS = ["aks-scale-node-pool", "vm-restart"]
PRINCIPALS = [Principal.user(ALICE), Principal.user(BOB), Principal.group("sre"), Principal.group("ops")]

bounds = st.one_of(st.none(), st.integers(0, 12))
limits = st.builds(
    lambda lo, hi, up, down, use: Limits(
        {"count": ParameterLimit(min(lo, hi) if lo is not None and hi is not None else lo, hi, up, down)} if use else {}
    ),
    bounds,
    bounds,
    bounds,
    bounds,
    st.sampled_from([False, False, True]),
)
expiries = st.sampled_from([None, None, None, NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=1)])


@st.composite
def grants(draw: st.DrawFn, grant_id: str | None = None) -> Grant:
    return Grant(
        id=grant_id or f"g-{draw(st.integers(0, 10**6))}",
        principal=draw(st.sampled_from([*PRINCIPALS, Principal.user(ALICE), Principal.group("sre")])),
        actions=frozenset(draw(st.sets(st.sampled_from([*ACTIONS, ACTIONS[0], "*"]), min_size=1, max_size=2))),
        scope=draw(st.sampled_from(SCOPES)),
        kind=draw(st.sampled_from([GrantKind.ACTION, GrantKind.ACTION, GrantKind.ACTION, *GrantKind])),
        mode=draw(st.sampled_from(GrantMode)),
        limits=draw(limits),
        expires_at=draw(expiries),
        created_at=NOW - timedelta(days=1),
    )


@st.composite
def freezes(draw: st.DrawFn) -> Freeze:
    start = NOW + timedelta(minutes=draw(st.sampled_from([-120, -60, -1, 0, 0, 1, 60])))
    return Freeze(
        id=f"f-{draw(st.integers(0, 10**6))}",
        scope=draw(st.sampled_from(SCOPES)),
        starts_at=start,
        ends_at=start + timedelta(minutes=draw(st.sampled_from([1, 60, 120, 240]))),
        reason="random freeze",
    )


rules = st.builds(
    lambda i, scope, approvers, quorum: ApproverRule(f"r-{i}", scope, frozenset(approvers), quorum),
    st.integers(0, 10**6),
    st.sampled_from(SCOPES),
    st.sets(st.sampled_from(PRINCIPALS), min_size=1, max_size=3),
    st.integers(1, 3),
)

snapshots = st.builds(
    lambda g, r, f, n: PolicySnapshot(grants=tuple(g), approver_rules=tuple(r), freezes=tuple(f), recent_requests=n),
    st.lists(grants(), min_size=1, max_size=5, unique_by=lambda g: g.id),
    st.lists(rules, max_size=3),
    st.lists(freezes(), max_size=1),
    st.sampled_from([0, 0, 0, 19, 20]),
)

proposals = st.builds(
    lambda groups, resource, action, count, before, glass, reason: Proposal(
        id="req",
        actor=Actor(ALICE, groups=frozenset(groups)),
        action=action,
        resource_id=resource,
        args={"count": count},
        before={"count": before} if before is not None else {},
        break_glass=glass,
        break_glass_reason=reason,
    ),
    st.sets(st.sampled_from(["sre", "ops"]), min_size=1, max_size=2),
    st.sampled_from(RESOURCES),
    st.sampled_from([*ACTIONS, ACTIONS[0]]),
    st.integers(0, 12),
    st.one_of(st.none(), st.integers(0, 12)),
    st.sampled_from([False, False, False, True]),
    st.sampled_from(["", "prod is down", "prod is down"]),
)


def naive_covers(scope: str, resource: str) -> bool:
    """An independent reading of scope coverage for the generated (unencoded) ids."""
    outer = [s.lower() for s in scope.split("/") if s]
    inner = [s.lower() for s in resource.split("/") if s]
    return inner[: len(outer)] == outer


def qualifying(proposal: Proposal, snapshot: PolicySnapshot, kinds: set[GrantKind]) -> set[str]:
    """Ids of the requester's grants that by themselves allow the request (action, scope, expiry, limits)."""
    held = {Principal.user(ALICE), *(Principal.group(g) for g in proposal.actor.groups)}
    return {
        g.id
        for g in snapshot.grants
        if g.principal in held
        and g.kind in kinds
        and (g.expires_at is None or g.expires_at > NOW)
        and ("*" in g.actions or proposal.action in g.actions)
        and naive_covers(g.scope, proposal.resource_id)
        and not check_limits(g.limits, proposal.args, proposal.before, NOW)
    }


@settings(max_examples=200, deadline=None)
@given(proposals, snapshots)
def test_nothing_is_approved_or_sent_for_approval_that_no_grant_covers(
    proposal: Proposal, policy: PolicySnapshot
) -> None:
    decision = decide(proposal, policy, NOW)
    if isinstance(decision, Approved):
        kinds = {GrantKind.BREAK_GLASS} if decision.break_glass else {GrantKind.ACTION}
        assert decision.grant_id in qualifying(proposal, policy, kinds)
        assert decision.break_glass == proposal.break_glass
        if decision.break_glass:
            assert proposal.break_glass_reason.strip()
        else:
            auto = {g.id for g in policy.grants if g.mode is GrantMode.AUTO}
            assert decision.grant_id in auto
    if isinstance(decision, NeedsApproval):
        assert decision.grant_id in qualifying(proposal, policy, {GrantKind.ACTION})
        assert any(
            r.id == decision.rule_id and naive_covers(r.scope, proposal.resource_id) for r in policy.approver_rules
        )
    if not qualifying(proposal, policy, {GrantKind.ACTION, GrantKind.BREAK_GLASS}):
        assert not isinstance(decision, Approved | NeedsApproval)


@settings(max_examples=200, deadline=None)
@given(proposals, snapshots, grants(grant_id="g-added"))
def test_adding_a_grant_never_turns_an_approval_into_a_refusal(
    proposal: Proposal, policy: PolicySnapshot, added: Grant
) -> None:
    before = decide(proposal, policy, NOW)
    after = decide(proposal, replace(policy, grants=(*policy.grants, added)), NOW)
    if isinstance(before, Approved):
        assert isinstance(after, Approved)
    if isinstance(before, NeedsApproval):
        assert isinstance(after, Approved | NeedsApproval)
    assert not (isinstance(before, Approved | NeedsApproval) and isinstance(after, Refused))


@settings(max_examples=200, deadline=None)
@given(proposals, snapshots, freezes())
def test_adding_a_freeze_never_approves_anything(proposal: Proposal, policy: PolicySnapshot, added: Freeze) -> None:
    before = decide(proposal, policy, NOW)
    after = decide(proposal, replace(policy, freezes=(*policy.freezes, added)), NOW)
    if isinstance(after, Approved):  # only a break-glass may go through the new freeze, and it did before
        assert isinstance(before, Approved)
        assert (before.grant_id, before.break_glass) == (after.grant_id, after.break_glass)
        assert after.break_glass or not added.active_at(NOW) or not naive_covers(added.scope, proposal.resource_id)
    if isinstance(after, NeedsApproval):
        assert before == after


@settings(max_examples=200, deadline=None)
@given(proposals, snapshots)
def test_during_a_freeze_only_break_glass_is_approved(proposal: Proposal, policy: PolicySnapshot) -> None:
    frozen = any(f.active_at(NOW) and naive_covers(f.scope, proposal.resource_id) for f in policy.freezes)
    decision = decide(proposal, policy, NOW)
    if frozen and not proposal.break_glass:
        assert not isinstance(decision, Approved | NeedsApproval)
    if frozen and isinstance(decision, Approved):
        assert decision.break_glass
        assert decision.skipped_freeze_id
