"""The decision: deny by default, standing approvals, approval-mode grants, freezes, break-glass, rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions.spec import Scope
from guardrails import (
    Actor,
    Approved,
    Frozen,
    GrantKind,
    GrantMode,
    Limits,
    NeedsApproval,
    ParameterLimit,
    Principal,
    Proposal,
    RateLimit,
    RateLimited,
    RefusalCode,
    Refused,
    TimeWindow,
    Verdict,
    decide,
    grants_allowing,
)
from requesting import Request, Requester
from tests.unit.guardrails.policy import (
    ALICE,
    BOB,
    CAROL,
    DEV,
    DEV_POOL,
    NOW,
    POOL,
    PROD,
    PRODUCTION,
    PRODUCTION_POOL,
    RESTART,
    SCALE,
    SUB,
    count_limit,
    freeze,
    grant,
    preview,
    proposal,
    rule,
    snapshot,
)

ADMIN_PROD = grant("g-admin-prod", PROD, ("*",), principal=Principal.user(CAROL), kind=GrantKind.ADMIN)
ADMIN_ROOT = grant("g-admin-root", "/", ("*",), principal=Principal.group("platform"), kind=GrantKind.ADMIN)
ADMIN_DEV = grant("g-admin-dev", DEV, ("*",), principal=Principal.user(BOB), kind=GrantKind.ADMIN)


def test_without_any_grant_the_request_is_refused_naming_the_permission_and_the_admins() -> None:
    decision = decide(proposal(), snapshot(admins=(ADMIN_PROD, ADMIN_ROOT, ADMIN_DEV)), NOW)
    assert isinstance(decision, Refused)
    assert decision.verdict is Verdict.REFUSED
    assert decision.code is RefusalCode.NO_GRANT
    assert decision.rule_id == "deny-by-default"
    assert (decision.missing.action, decision.missing.resource_id) == (SCALE, POOL)  # type: ignore[union-attr]
    assert decision.admins == (Principal.group("platform"), Principal.user(CAROL))  # not the admin of rg-dev
    assert "group:platform" in decision.reason
    assert f"user:{CAROL}" in decision.reason


def test_a_grant_within_its_auto_limits_approves_at_once() -> None:
    decision = decide(proposal(), snapshot(grant("g1", limits=count_limit(maximum=10))), NOW)
    assert decision == Approved(rule_id="g1", reason="Within the standing approval of grant g1.", grant_id="g1")


def test_a_grant_for_another_action_resource_group_or_person_does_not_apply() -> None:
    others = snapshot(
        grant("g-restart", PROD, (RESTART,)),
        grant("g-production", PRODUCTION),
        grant("g-dev", DEV),
        grant("g-bob", PROD, principal=Principal.user(BOB)),
        grant("g-group", PROD, principal=Principal.group("sre")),  # Alice is not in sre
    )
    decision = decide(proposal(), others, NOW)
    assert isinstance(decision, Refused)
    assert decision.code is RefusalCode.NO_GRANT


def test_a_grant_on_rg_production_never_covers_rg_prod_and_back() -> None:
    assert isinstance(decide(proposal(POOL), snapshot(grant("g", PRODUCTION)), NOW), Refused)
    assert isinstance(decide(proposal(PRODUCTION_POOL), snapshot(grant("g", PROD)), NOW), Refused)
    assert isinstance(decide(proposal(POOL.upper()), snapshot(grant("g", PROD)), NOW), Approved)


def test_a_wildcard_grant_allows_every_action_and_a_group_grant_its_members() -> None:
    wildcard = snapshot(grant("g-all", SUB, ("*",)))
    assert isinstance(decide(proposal(action=RESTART, args={}), wildcard, NOW), Approved)
    assert isinstance(decide(proposal(action="anything-else"), wildcard, NOW), Approved)
    group = snapshot(grant("g-sre", PROD, principal=Principal.group("SRE")))
    member = Actor(ALICE, groups=frozenset({"sre"}))
    assert isinstance(decide(proposal(actor=member), group, NOW), Approved)
    assert isinstance(decide(proposal(), group, NOW), Refused)


@pytest.mark.parametrize(
    ("expires_at", "verdict"),
    [
        (NOW - timedelta(days=1), Verdict.REFUSED),
        (NOW, Verdict.REFUSED),  # expiry is exclusive: at that instant the grant no longer holds
        (NOW + timedelta(microseconds=1), Verdict.APPROVED),
        (None, Verdict.APPROVED),
    ],
)
def test_an_expired_grant_is_ignored(expires_at: datetime | None, verdict: Verdict) -> None:
    assert decide(proposal(), snapshot(grant("g-jit", expires_at=expires_at)), NOW).verdict is verdict


def test_outside_the_auto_limits_but_inside_an_approval_grant_it_needs_the_scopes_approvers() -> None:
    policy = snapshot(
        grant("g-auto", limits=count_limit(maximum=4)),
        grant("g-approval", mode=GrantMode.APPROVAL, limits=count_limit(maximum=10)),
        rules=(rule("rule-prod", PROD, (BOB, CAROL), quorum=2, approval_ttl=timedelta(hours=4)),),
    )
    decision = decide(proposal(args={"count": 5}), policy, NOW)
    assert isinstance(decision, NeedsApproval)
    assert (decision.rule_id, decision.grant_id, decision.quorum) == ("rule-prod", "g-approval", 2)
    assert decision.approvers == (Principal.user(BOB), Principal.user(CAROL))
    assert decision.expires_at == NOW + timedelta(hours=4)
    assert decide(proposal(args={"count": 4}), policy, NOW) == Approved(
        rule_id="g-auto", reason="Within the standing approval of grant g-auto.", grant_id="g-auto"
    )


def test_outside_every_grants_limits_it_is_refused_with_each_broken_limit() -> None:
    policy = snapshot(
        grant("g-auto", limits=count_limit(maximum=4)),
        grant("g-approval", mode=GrantMode.APPROVAL, limits=count_limit(maximum=10, max_increase=5)),
        rules=(rule("rule-prod"),),
        admins=(ADMIN_PROD,),
    )
    decision = decide(proposal(args={"count": 11}, before={"count": 3}), policy, NOW)
    assert isinstance(decision, Refused)
    assert decision.code is RefusalCode.OUTSIDE_LIMITS
    assert [v.message for v in decision.violations] == [
        "count 11 is above the maximum 4",
        "count 11 is above the maximum 10",
        "count 3 → 11 raises it by 8; at most +5 is allowed",
    ]
    assert decision.admins == (Principal.user(CAROL),)


def test_an_auto_grant_outside_its_hours_falls_back_to_approval() -> None:
    office = Limits(window=TimeWindow("Europe/Berlin", days=frozenset(range(1, 6)), start_hour=9, end_hour=17))
    policy = snapshot(
        grant("g-office", limits=office),
        grant("g-approval", mode=GrantMode.APPROVAL),
        rules=(rule("rule-prod"),),
    )
    assert decide(proposal(), policy, datetime(2024, 6, 5, 10, 0, tzinfo=UTC)).verdict is Verdict.APPROVED
    assert decide(proposal(), policy, datetime(2024, 6, 8, 10, 0, tzinfo=UTC)).verdict is Verdict.NEEDS_APPROVAL


def test_the_most_specific_approver_rule_applies() -> None:
    policy = snapshot(
        grant("g-approval", SUB, mode=GrantMode.APPROVAL),
        rules=(
            rule("rule-sub", SUB, (BOB,), quorum=1),
            rule("rule-prod", PROD, (BOB, CAROL), quorum=2),
            rule("rule-production", PRODUCTION, (CAROL,), quorum=1),
        ),
    )
    assert decide(proposal(POOL), policy, NOW).rule_id == "rule-prod"  # type: ignore[union-attr]
    assert decide(proposal(PRODUCTION_POOL), policy, NOW).rule_id == "rule-production"
    assert decide(proposal(DEV_POOL), policy, NOW).rule_id == "rule-sub"


def test_an_approval_grant_without_approvers_or_without_enough_of_them_is_refused_up_front() -> None:
    no_rule = decide(proposal(), snapshot(grant("g-approval", mode=GrantMode.APPROVAL)), NOW)
    assert isinstance(no_rule, Refused)
    assert no_rule.code is RefusalCode.NO_APPROVERS
    only_me = snapshot(grant("g-approval", mode=GrantMode.APPROVAL), rules=(rule("rule-prod", PROD, (ALICE, BOB), 2),))
    decision = decide(proposal(), only_me, NOW)
    assert isinstance(decision, Refused)
    assert decision.code is RefusalCode.QUORUM_UNREACHABLE
    assert decision.rule_id == "rule-prod"


class TestFreezes:
    policy_grants = (grant("g-auto"), grant("g-approval", mode=GrantMode.APPROVAL, limits=count_limit(maximum=20)))

    def decide_at(self, now: datetime, *freezes: object, args: dict[str, int] | None = None) -> object:
        policy = snapshot(*self.policy_grants, rules=(rule("rule-prod"),), freezes=freezes)  # type: ignore[arg-type]
        return decide(proposal(args=args), policy, now)

    def test_a_freeze_refuses_with_its_reason_and_end(self) -> None:
        end = NOW + timedelta(days=2)
        decision = self.decide_at(NOW, freeze("f1", PROD, NOW - timedelta(hours=1), end, "quarter close"))
        assert isinstance(decision, Frozen)
        assert (decision.rule_id, decision.freeze_reason, decision.ends_at) == ("f1", "quarter close", end)
        assert "2024-06-07 10:00 UTC" in decision.reason
        assert "quarter close" in decision.reason

    def test_a_freeze_also_stops_what_would_need_approval(self) -> None:
        decision = self.decide_at(NOW, freeze("f1", SUB, NOW, NOW + timedelta(hours=1)), args={"count": 15})
        assert isinstance(decision, Frozen)

    def test_of_several_freezes_the_one_ending_last_is_named(self) -> None:
        short = freeze("f-short", PROD, NOW, NOW + timedelta(hours=1))
        long = freeze("f-long", SUB, NOW, NOW + timedelta(days=3))
        assert self.decide_at(NOW, short, long).rule_id == "f-long"  # type: ignore[attr-defined]

    def test_a_freeze_on_another_scope_does_not_apply(self) -> None:
        decision = self.decide_at(NOW, freeze("f1", PRODUCTION, NOW, NOW + timedelta(hours=1)))
        assert isinstance(decision, Approved)

    @pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
    def test_start_is_inclusive_and_end_exclusive_whatever_zone_it_was_declared_in(self, zone: str) -> None:
        tz = ZoneInfo(zone)
        start = datetime(2024, 12, 20, 18, 0, tzinfo=tz)  # Friday evening, local
        end = datetime(2024, 12, 23, 6, 0, tzinfo=tz)  # Monday morning, local
        xmas = freeze("f-xmas", PROD, start, end)
        assert xmas.starts_at.tzinfo is UTC  # stored in UTC, the same instant
        assert xmas.starts_at == start
        tick = timedelta(microseconds=1)
        assert isinstance(self.decide_at(start.astimezone(UTC) - tick, xmas), Approved)
        assert isinstance(self.decide_at(start.astimezone(UTC), xmas), Frozen)
        assert isinstance(self.decide_at(end.astimezone(UTC) - tick, xmas), Frozen)
        assert isinstance(self.decide_at(end.astimezone(UTC), xmas), Approved)

    def test_a_freeze_across_a_dst_change_lasts_its_real_duration(self) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        start = datetime(2024, 10, 26, 22, 0, tzinfo=berlin)  # CEST
        end = datetime(2024, 10, 27, 6, 0, tzinfo=berlin)  # CET: 9 real hours later, not 8
        night = freeze("f-night", PROD, start, end)
        assert night.ends_at - night.starts_at == timedelta(hours=9)
        assert isinstance(self.decide_at(datetime(2024, 10, 27, 4, 59, tzinfo=UTC), night), Frozen)
        assert isinstance(self.decide_at(datetime(2024, 10, 27, 5, 0, tzinfo=UTC), night), Approved)

    def test_without_a_grant_the_refusal_comes_first(self) -> None:
        policy = snapshot(freezes=(freeze("f1", PROD, NOW, NOW + timedelta(hours=1)),))
        assert isinstance(decide(proposal(), policy, NOW), Refused)


class TestBreakGlass:
    frozen = freeze("f1", PROD, NOW - timedelta(hours=1), NOW + timedelta(hours=1), "incident review")
    glass = grant("g-glass", PROD, ("*",), kind=GrantKind.BREAK_GLASS)

    def test_with_a_reason_and_a_break_glass_grant_it_runs_through_a_freeze_flagged(self) -> None:
        policy = snapshot(grant("g-auto"), self.glass, freezes=(self.frozen,))
        decision = decide(proposal(break_glass=True, reason="prod is down"), policy, NOW)
        assert isinstance(decision, Approved)
        assert decision.break_glass
        assert (decision.grant_id, decision.skipped_freeze_id) == ("g-glass", "f1")
        assert "approvers are told" in decision.reason

    def test_it_skips_approval_too(self) -> None:
        policy = snapshot(self.glass, rules=(rule("rule-prod", quorum=2),))
        decision = decide(proposal(break_glass=True, reason="prod is down"), policy, NOW)
        assert isinstance(decision, Approved)
        assert decision.break_glass
        assert decision.skipped_freeze_id == ""

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_without_a_reason_it_is_refused(self, reason: str) -> None:
        policy = snapshot(self.glass, freezes=(self.frozen,))
        decision = decide(proposal(break_glass=True, reason=reason), policy, NOW)
        assert isinstance(decision, Refused)
        assert decision.code is RefusalCode.BREAK_GLASS_NO_REASON

    def test_without_a_break_glass_grant_on_the_scope_it_is_refused_even_with_an_auto_grant(self) -> None:
        for grants in (
            (grant("g-auto"),),
            (grant("g-glass-dev", DEV, ("*",), kind=GrantKind.BREAK_GLASS),),
            (grant("g-glass-old", PROD, ("*",), kind=GrantKind.BREAK_GLASS, expires_at=NOW),),
            (grant("g-glass-bob", PROD, ("*",), kind=GrantKind.BREAK_GLASS, principal=Principal.user(BOB)),),
            (grant("g-glass-restart", PROD, (RESTART,), kind=GrantKind.BREAK_GLASS),),
        ):
            policy = snapshot(*grants, freezes=(self.frozen,))
            decision = decide(proposal(break_glass=True, reason="prod is down"), policy, NOW)
            assert isinstance(decision, Refused), grants
            assert decision.code is RefusalCode.BREAK_GLASS_NOT_GRANTED

    def test_a_break_glass_grant_gives_nothing_without_the_explicit_flag(self) -> None:
        assert isinstance(decide(proposal(), snapshot(self.glass, freezes=(self.frozen,)), NOW), Refused)
        assert isinstance(decide(proposal(), snapshot(self.glass), NOW), Refused)

    def test_a_break_glass_grants_limits_hold(self) -> None:
        limited = grant("g-glass", PROD, ("*",), kind=GrantKind.BREAK_GLASS, limits=count_limit(maximum=6))
        decision = decide(proposal(args={"count": 7}, break_glass=True, reason="prod is down"), snapshot(limited), NOW)
        assert isinstance(decision, Refused)
        assert [v.message for v in decision.violations] == ["count 7 is above the maximum 6"]


def test_the_rate_limit_refuses_with_the_time_to_try_again() -> None:
    limit = RateLimit(max_requests=20)
    policy = snapshot(grant("g-auto"), rate_limit=limit, recent_requests=19)
    assert isinstance(decide(proposal(), policy, NOW), Approved)
    at = NOW + timedelta(minutes=17)
    decision = decide(proposal(), snapshot(grant("g-auto"), rate_limit=limit, recent_requests=20), at)
    assert isinstance(decision, RateLimited)
    assert decision.retry_at == datetime(2024, 6, 5, 11, 0, tzinfo=UTC)
    assert "2024-06-05 11:00 UTC" in decision.reason


def test_a_requester_without_an_entra_identity_holds_nothing() -> None:
    decision = decide(proposal(actor=Actor("")), snapshot(grant("g", "/", ("*",))), NOW)
    assert isinstance(decision, Refused)
    assert decision.code is RefusalCode.NO_IDENTITY


def test_a_resource_id_that_cannot_be_read_is_refused() -> None:
    for bad in (f"{PROD}/../rg-dev/x/y", "rg-prod", f"{PROD}/providers"):
        decision = decide(proposal(bad), snapshot(grant("g", "/", ("*",))), NOW)
        assert isinstance(decision, Refused)
        assert decision.code is RefusalCode.INVALID_RESOURCE


def test_the_proposal_of_a_request_takes_identity_from_the_requester_and_the_scope_from_the_request() -> None:
    request = Request(
        id="req-9",
        action=SCALE,
        args={"pool": POOL, "count": 5},
        scope=Scope(SCALE, POOL),
        requester=Requester(user_id="29:teams-id", name="Alice", aad_object_id=ALICE.upper()),
        conversation={},
        preview=preview(),
    )
    made = Proposal.from_request(request, groups=("SRE",), before={"count": 3})
    assert (made.id, made.action, made.resource_id) == ("req-9", SCALE, POOL)
    assert made.actor == Actor(ALICE, "Alice", frozenset({"sre"}))
    assert made.before == {"count": 3}
    anonymous = Proposal.from_request(
        Request("r", SCALE, {}, Scope(SCALE, POOL), Requester("29:x", "X"), {}, preview())
    )
    assert isinstance(decide(anonymous, snapshot(grant("g", "/", ("*",))), NOW), Refused)


def test_dialogs_can_list_the_grants_allowing_an_action_on_a_resource() -> None:
    grants = (
        grant("g-prod"),
        grant("g-glass", PROD, ("*",), kind=GrantKind.BREAK_GLASS),
        grant("g-admin", PROD, ("*",), kind=GrantKind.ADMIN),
        grant("g-dev", DEV),
    )
    actor = Actor(ALICE)
    assert [g.id for g in grants_allowing(actor, SCALE, POOL, grants, NOW)] == ["g-prod", "g-glass"]
    assert [g.id for g in grants_allowing(actor, SCALE, PRODUCTION_POOL, grants, NOW)] == []


def test_a_limit_on_count_does_not_stop_an_action_without_count() -> None:
    policy = snapshot(grant("g", PROD, ("*",), limits=Limits({"count": ParameterLimit(maximum=1)})))
    assert isinstance(decide(proposal(action=RESTART, args={}), policy, NOW), Approved)
