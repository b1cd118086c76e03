"""Microsoft.Resources discovery: subscriptions, resource groups, and generic resource lists.

``GET /subscriptions``, ``GET /subscriptions/{id}``, ``GET /subscriptions/{id}/resourcegroups``
(and one group), and ``GET .../resources`` listing every modelled resource of a subscription or
group as ``GenericResource`` entries (id, name, type, kind, location, tags).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.estate import ResourceGroup, Subscription
from sandbox.routing import ArmContext, Router

__all__ = ["register", "render_group", "render_subscription"]

_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"


def register(router: Router) -> None:
    """Add the discovery routes to ``router``."""
    router.add("GET", "/subscriptions", list_subscriptions)
    router.add("GET", _SUB, get_subscription)
    router.add("GET", _SUB + "/resourceGroups", list_groups)
    router.add("GET", _GROUP, get_group)
    router.add("GET", _SUB + "/resources", list_resources)
    router.add("GET", _GROUP + "/resources", list_resources)


def render_subscription(sub: Subscription) -> dict[str, Any]:
    """A subscription as ``GET /subscriptions/{id}`` returns it."""
    return {
        "id": f"/subscriptions/{sub.subscription_id}",
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.subscription_id,
        "tenantId": sub.tenant_id,
        "displayName": sub.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "EnterpriseAgreement_2014-09-01",
            "spendingLimit": "Off",
        },
    }


def render_group(sub: Subscription, group: ResourceGroup) -> dict[str, Any]:
    """A resource group as ``GET /subscriptions/{id}/resourcegroups/{name}`` returns it."""
    return {
        "id": f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}",
        "name": group.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": group.location,
        "tags": dict(group.tags),
        "properties": {"provisioningState": "Succeeded"},
    }


def _generic(sub: Subscription, group: ResourceGroup) -> list[dict[str, Any]]:
    prefix = f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}/providers"
    entries: list[dict[str, Any]] = []

    def add(resource_type: str, name: str, location: str, tags: dict[str, str], kind: str | None = None) -> None:
        entry: dict[str, Any] = {
            "id": f"{prefix}/{resource_type}/{name}",
            "name": name,
            "type": resource_type,
            "location": location,
            "tags": dict(tags),
        }
        if kind:
            entry["kind"] = kind
        entries.append(entry)

    for cluster in group.clusters.values():
        add("Microsoft.ContainerService/managedClusters", cluster.name, cluster.location, cluster.tags)
    for scale_set in group.scale_sets.values():
        add("Microsoft.Compute/virtualMachineScaleSets", scale_set.name, scale_set.location, scale_set.tags)
    for vm in group.vms.values():
        add("Microsoft.Compute/virtualMachines", vm.name, vm.location, vm.tags)
    for site in group.sites.values():
        add("Microsoft.Web/sites", site.name, site.location, site.tags, site.kind)
    return entries


async def list_subscriptions(ctx: ArmContext) -> web.Response:
    """List every subscription of the estate."""
    subs = [render_subscription(sub) for sub in ctx.state.estate.subscriptions.values()]
    return web.json_response({"value": subs, "count": {"type": "Total", "value": len(subs)}})


async def get_subscription(ctx: ArmContext) -> web.Response:
    """Get one subscription."""
    return web.json_response(render_subscription(ctx.state.estate.subscription(ctx.params["subscription"])))


async def list_groups(ctx: ArmContext) -> web.Response:
    """List the resource groups of a subscription."""
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    return web.json_response({"value": [render_group(sub, group) for group in sub.resource_groups.values()]})


async def get_group(ctx: ArmContext) -> web.Response:
    """Get one resource group."""
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    return web.json_response(render_group(sub, sub.group(ctx.params["group"])))


async def list_resources(ctx: ArmContext) -> web.Response:
    """List the modelled resources of a subscription or resource group."""
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    groups = [sub.group(ctx.params["group"])] if "group" in ctx.params else list(sub.resource_groups.values())
    return web.json_response({"value": [entry for group in groups for entry in _generic(sub, group)]})
