"""Administration is confined to the admin grant's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guardrails import Actor, GrantKind, Principal, administering_grant, can_administer
from tests.unit.guardrails.policy import ALICE, BOB, DEV, DEV_POOL, NOW, POOL, PROD, SUB, grant, snapshot

DEV_ADMIN = snapshot(grant("g-admin-dev", DEV, ("*",), kind=GrantKind.ADMIN))
ALICE_ACTOR = Actor(ALICE)


@pytest.mark.parametrize("scope", [DEV, DEV.upper(), DEV + "/", DEV_POOL])
def test_an_admin_of_rg_dev_administers_rg_dev_and_what_is_inside(scope: str) -> None:
    assert can_administer(ALICE_ACTOR, scope, DEV_ADMIN, NOW)


@pytest.mark.parametrize(
    "scope",
    [PROD, POOL, SUB, "/", f"{SUB}/resourceGroups/rg-dev2", f"{SUB}/resourceGroups/rg-development", DEV + "/.."],
)
def test_an_admin_of_rg_dev_cannot_administer_anything_else(scope: str) -> None:
    assert not can_administer(ALICE_ACTOR, scope, DEV_ADMIN, NOW)


def test_only_an_active_admin_grant_held_by_the_actor_or_their_group_counts() -> None:
    assert not can_administer(ALICE_ACTOR, DEV, snapshot(grant("g-action", DEV, ("*",))), NOW)
    assert not can_administer(
        ALICE_ACTOR, DEV, snapshot(grant("g-glass", DEV, ("*",), kind=GrantKind.BREAK_GLASS)), NOW
    )
    expired = snapshot(grant("g-old", DEV, ("*",), kind=GrantKind.ADMIN, expires_at=NOW))
    assert not can_administer(ALICE_ACTOR, DEV, expired, NOW)
    bobs = snapshot(grant("g-bob", DEV, ("*",), kind=GrantKind.ADMIN, principal=Principal.user(BOB)))
    assert not can_administer(ALICE_ACTOR, DEV, bobs, NOW)
    platform = snapshot(grant("g-platform", "/", ("*",), kind=GrantKind.ADMIN, principal=Principal.group("platform")))
    assert can_administer(Actor(ALICE, groups=frozenset({"platform"})), PROD, platform, NOW)
    assert not can_administer(ALICE_ACTOR, PROD, platform, NOW)
    assert not can_administer(Actor(""), DEV, DEV_ADMIN, NOW)


def test_the_most_specific_admin_grant_is_named() -> None:
    both = snapshot(
        grant("g-root", "/", ("*",), kind=GrantKind.ADMIN, expires_at=NOW + timedelta(days=1)),
        grant("g-dev", DEV, ("*",), kind=GrantKind.ADMIN),
    )
    assert administering_grant(ALICE_ACTOR, DEV_POOL, both, NOW).id == "g-dev"  # type: ignore[union-attr]
    assert administering_grant(ALICE_ACTOR, PROD, both, NOW).id == "g-root"  # type: ignore[union-attr]
