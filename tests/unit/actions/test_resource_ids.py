"""Resource ids: parsing and building without the SDKs."""

from __future__ import annotations

from actions.resource_ids import parse_resource_id

POOL = (
    "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod"
    "/providers/Microsoft.ContainerService/managedClusters/aks-prod/agentPools/np1"
)


def test_a_child_resource_id_round_trips() -> None:
    rid = parse_resource_id(POOL)
    assert rid is not None
    assert (rid.subscription, rid.resource_group, rid.name, rid.child_name) == (
        "22222222-2222-2222-2222-222222222222",
        "rg-prod",
        "aks-prod",
        "np1",
    )
    assert rid.resource_type == "Microsoft.ContainerService/managedClusters"
    assert str(rid) == POOL
    assert rid.parent_id == POOL.rsplit("/agentPools/", 1)[0]
    assert rid.is_type("microsoft.containerservice/MANAGEDCLUSTERS")


def test_the_subscription_is_normalized_to_lowercase() -> None:
    rid = parse_resource_id(POOL.replace("22222222-2222", "ABCDEF00-2222", 1))
    assert rid is not None
    assert rid.subscription == "abcdef00-2222-2222-2222-222222222222"


def test_child_builds_a_child_id() -> None:
    cluster = parse_resource_id(POOL.rsplit("/agentPools/", 1)[0])
    assert cluster is not None
    assert str(cluster.child("agentPools", "np1")) == POOL


def test_anything_else_is_not_a_resource_id() -> None:
    for value in ("aks-prod", "/subscriptions/x", "/subscriptions/x/resourceGroups/rg", "", POOL + "/extra"):
        assert parse_resource_id(value) is None
