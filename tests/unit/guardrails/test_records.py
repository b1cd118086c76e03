"""A malformed guardrail record cannot be built, so it can never be stored; times are kept in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guardrails import ApproverRule, Freeze, Grant, Principal, PrincipalKind, RateLimit
from tests.unit.guardrails.policy import NOW, PROD, approval, grant


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: grant("g", "/resourceGroups/rg-prod"), "A grant's scope: A scope starts with /subscriptions"),
        (lambda: grant("g", PROD + "/.."), r"'\.' or '\.\.'"),
        (lambda: grant("g", actions=()), "at least one action"),
        (lambda: grant("", PROD), "A grant's id cannot be empty"),
        (lambda: grant("g", expires_at=datetime(2024, 6, 5)), "expires_at must be timezone-aware"),
        (lambda: ApproverRule("r", PROD, frozenset(), 1), "at least one approver"),
        (lambda: ApproverRule("r", PROD, frozenset({Principal.user("b")}), 0), "quorum must be at least 1"),
        (
            lambda: ApproverRule("r", PROD, frozenset({Principal.user("b")}), 1, timedelta(days=31)),
            "approval_ttl must be between",
        ),
        (lambda: Freeze("f", PROD, NOW, NOW, "x"), "A freeze ends after it starts"),
        (lambda: Freeze("f", PROD, NOW, NOW + timedelta(hours=1), "  "), "A freeze's reason cannot be empty"),
        (lambda: Principal.parse("alice"), "user:<object id> or group:<name>"),
        (lambda: Principal.parse("role:x"), "user:<object id> or group:<name>"),
        (lambda: Principal.user("  "), "A principal's id cannot be empty"),
        (lambda: RateLimit(max_requests=0), "max_requests must be at least 1"),
    ],
)
def test_a_malformed_record_is_refused_with_the_field_named(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_principals_are_normalized_and_round_trip_through_their_key() -> None:
    user = Principal.user(" AAAA-BBBB ")
    assert user.key == "user:aaaa-bbbb"
    assert Principal.parse(user.key) == user
    assert Principal.parse("group:SRE") == Principal(PrincipalKind.GROUP, "sre")


def test_times_are_stored_in_utc_as_the_same_instants() -> None:
    berlin = datetime(2024, 6, 5, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    made = grant("g", expires_at=berlin)
    assert made.expires_at == berlin
    assert made.expires_at.utcoffset() == timedelta(0)  # type: ignore[union-attr]
    assert approval(expires_at=berlin).expires_at.isoformat() == "2024-06-05T10:00:00+00:00"


def test_grant_actions_compare_case_insensitively() -> None:
    made = Grant("g", Principal.user("a"), frozenset({"AKS-Scale-Node-Pool"}), PROD)
    assert made.allows_action("aks-scale-node-pool")
    assert not made.allows_action("vm-restart")
