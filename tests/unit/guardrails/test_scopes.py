"""Scopes match ARM ids on whole segments, case-insensitively: no prefix confusion, no climbing out."""

from __future__ import annotations

import pytest

from guardrails import ROOT_SCOPE, ScopeError, covers, scope_chain, scope_key
from guardrails.scopes import is_valid_scope
from tests.unit.guardrails.policy import AKS_PROD, POOL, PROD, SUB


@pytest.mark.parametrize(
    "resource",
    [
        PROD,
        PROD + "/",
        PROD.upper(),
        PROD.replace("rg-prod", "RG-PROD"),
        PROD.replace("resourceGroups", "resourcegroups") + "/providers/x/y/z",
        POOL,
        POOL.lower() + "/",
        POOL.replace("rg-prod", "rg%2Dprod"),  # an encoded character, decoded once
        POOL.replace("rg-prod", "rg%2dprod"),
        POOL.replace("/rg-prod/", "//rg-prod//"),  # empty segments
        "  " + POOL + "  ",
    ],
)
def test_a_grant_on_a_resource_group_covers_it_and_everything_inside_whatever_the_spelling(resource: str) -> None:
    assert covers(PROD, resource)


@pytest.mark.parametrize(
    "resource",
    [
        f"{SUB}/resourceGroups/rg-production",  # a longer name that starts with the grant's
        f"{SUB}/resourceGroups/rg-production/providers/Microsoft.ContainerService/managedClusters/aks-prod",
        f"{SUB}/resourceGroups/rg-pro",  # a shorter one
        f"{SUB}/resourceGroups/rg-prod-eu/providers/x/y/z",
        f"{SUB}/resourceGroups/xrg-prod",
        f"{SUB}",  # the parent: a grant never covers upwards
        f"{SUB}b/resourceGroups/rg-prod",  # another subscription whose id starts with this one
        f"{SUB}/resourceGroups/rg-prod%2Fproviders/x/y",  # an encoded slash stays inside its segment
        f"{SUB}/resourceGroups/rg%252Dprod",  # double encoding is decoded once only: "rg%2Dprod"
        f"{SUB}/resourceGroups/rg-dev/../rg-prod",  # dot segments are refused, never resolved
        f"{SUB}/resourceGroups/rg-prod/../rg-dev",
        f"{SUB}/resourceGroups/rg-prod/./x",
        "subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-prod",  # no leading slash
        f"{SUB}/resourceGroups",  # a type without a name
        f"{SUB}/resourceGroups/rg-prod\x00",
        f"{SUB}/resourceGroups/rg-prod%00",
        f"{SUB}/resourceGroups/rg-prod%ff",  # not UTF-8 once decoded
        "",
    ],
)
def test_a_grant_on_a_resource_group_never_covers_a_look_alike(resource: str) -> None:
    assert not covers(PROD, resource)


def test_a_resource_whose_name_contains_anothers_is_not_covered_by_it() -> None:
    assert covers(AKS_PROD, AKS_PROD + "/agentPools/np1")
    assert not covers(AKS_PROD, AKS_PROD + "2/agentPools/np1")
    assert not covers(AKS_PROD, AKS_PROD.replace("aks-prod", "aks-prod-eu"))
    # a resource group named like a cluster is not the cluster
    assert not covers(AKS_PROD, f"{SUB}/resourceGroups/aks-prod")
    assert not covers(f"{SUB}/resourceGroups/aks-prod", AKS_PROD)


def test_the_grants_own_spelling_does_not_matter_either() -> None:
    for spelling in (PROD + "/", PROD.upper(), PROD.replace("rg-prod", "rg%2Dprod"), "//" + PROD[1:]):
        assert covers(spelling, POOL)
        assert not covers(spelling, f"{SUB}/resourceGroups/rg-production")


def test_the_root_scope_covers_every_resource_and_an_invalid_scope_covers_none() -> None:
    assert covers(ROOT_SCOPE, POOL)
    assert covers(ROOT_SCOPE, SUB)
    assert not covers("/resourceGroups/rg-prod", POOL)  # must start with /subscriptions
    assert not covers(PROD + "/..", POOL)
    assert not covers("rg-prod", POOL)


def test_scope_keys_are_equal_exactly_when_arm_treats_the_ids_as_equal() -> None:
    assert scope_key(PROD) == scope_key(PROD.upper() + "/") == scope_key(PROD.replace("-", "%2D"))
    assert scope_key(PROD) == "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/rg-prod"
    assert scope_key(f"{SUB}/resourceGroups/a%2Fb") != scope_key(f"{SUB}/resourceGroups/a/b/c")
    assert scope_key(f"{SUB}/resourceGroups/a%2Fb") == f"{SUB.lower()}/resourcegroups/a%2Fb"
    assert scope_key("/") == "/"


def test_the_scope_chain_lists_every_covering_scope_from_the_root_down() -> None:
    assert scope_chain(POOL.upper()) == (
        "/",
        "/subscriptions/00000000-0000-0000-0000-0000000000aa",
        "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/rg-prod",
        "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/rg-prod/providers/microsoft.containerservice",
        "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/rg-prod/providers/microsoft.containerservice"
        "/managedclusters/aks-prod",
        "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourcegroups/rg-prod/providers/microsoft.containerservice"
        "/managedclusters/aks-prod/agentpools/np1",
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("rg-prod", "starts with /subscriptions"),
        ("/resourceGroups/rg-prod", "starts with /subscriptions"),
        (f"{SUB}/resourceGroups", "ends with a type and no name"),
        (f"{SUB}/resourceGroups/..", "'.' or '..'"),
        (f"{SUB}/resourceGroups/%20", "blank segments"),
        (f"{SUB}/resourceGroups/a\x07", "control characters"),
        (f"{SUB}/resourceGroups/a%C3", "not UTF-8"),
        ("/" + "a/" * 1200, "at most 2048 characters"),
    ],
)
def test_a_malformed_scope_is_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(ScopeError, match=why):
        scope_key(text)
    assert not is_valid_scope(text)
