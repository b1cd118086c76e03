"""Microsoft.ContainerService: managed clusters (list, get, start, stop) and agent pools.

Agent pool PUT answers 201 with ``Azure-AsyncOperation``; start/stop answer 202 with
``Location`` and ``Azure-AsyncOperation``. While an operation runs on a cluster or any of its
pools, every other mutating call on that cluster gets 409 ``OperationNotAllowed``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from sandbox.errors import ArmError
from sandbox.estate import AgentPool, ManagedCluster, ResourceGroup, Subscription, stable_uuid
from sandbox.providers.pools import desired_pool
from sandbox.routing import ArmContext, Router

__all__ = ["NAMESPACE", "register", "render_cluster", "render_pool"]

NAMESPACE = "Microsoft.ContainerService"
_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"
_CLUSTERS = "/providers/Microsoft.ContainerService/managedClusters"
_CLUSTER = _GROUP + _CLUSTERS + "/{name}"


def register(router: Router) -> None:
    """Add the container service routes to ``router``."""
    router.add("GET", _SUB + _CLUSTERS, list_clusters)
    router.add("GET", _GROUP + _CLUSTERS, list_clusters)
    router.add("GET", _CLUSTER, get_cluster)
    router.add("POST", _CLUSTER + "/start", start_cluster)
    router.add("POST", _CLUSTER + "/stop", stop_cluster)
    router.add("GET", _CLUSTER + "/agentPools", list_pools)
    router.add("GET", _CLUSTER + "/agentPools/{pool}", get_pool)
    router.add("PUT", _CLUSTER + "/agentPools/{pool}", put_pool)


def cluster_id(sub: Subscription, group: ResourceGroup, cluster: ManagedCluster) -> str:
    """The cluster's ARM resource id."""
    return f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}{_CLUSTERS}/{cluster.name}"


def _pool_properties(cluster: ManagedCluster, pool: AgentPool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "count": pool.count,
        "vmSize": pool.vm_size,
        "osDiskSizeGB": 128,
        "osDiskType": "Managed",
        "kubeletDiskType": "OS",
        "maxPods": pool.max_pods,
        "type": "VirtualMachineScaleSets",
        "enableAutoScaling": pool.enable_auto_scaling,
        "scaleDownMode": "Delete",
        "provisioningState": pool.provisioning_state,
        "powerState": {"code": pool.power_state},
        "orchestratorVersion": pool.orchestrator_version,
        "currentOrchestratorVersion": pool.orchestrator_version,
        "enableNodePublicIP": False,
        "mode": pool.mode,
        "osType": pool.os_type,
        "osSKU": pool.os_sku,
        "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202510.13.0",
        "upgradeSettings": {"maxSurge": "10%"},
        "enableFIPS": False,
    }
    if pool.enable_auto_scaling:
        properties["minCount"] = pool.min_count
        properties["maxCount"] = pool.max_count
    if pool.node_labels:
        properties["nodeLabels"] = dict(pool.node_labels)
    if pool.tags:
        properties["tags"] = dict(pool.tags)
    return properties


def render_pool(sub: Subscription, group: ResourceGroup, cluster: ManagedCluster, pool: AgentPool) -> dict[str, Any]:
    """An agent pool as ``GET .../agentPools/{name}`` returns it."""
    return {
        "id": f"{cluster_id(sub, group, cluster)}/agentPools/{pool.name}",
        "name": pool.name,
        "type": "Microsoft.ContainerService/managedClusters/agentPools",
        "properties": _pool_properties(cluster, pool),
    }


def render_cluster(sub: Subscription, group: ResourceGroup, cluster: ManagedCluster) -> dict[str, Any]:
    """A managed cluster as ``GET .../managedClusters/{name}`` returns it."""
    dns_prefix = f"{cluster.name}-dns"
    fqdn = f"{dns_prefix}-{stable_uuid(cluster.name)[:8]}.hcp.{cluster.location}.azmk8s.io"
    profiles = [{"name": pool.name, **_pool_properties(cluster, pool)} for pool in cluster.pools.values()]
    return {
        "id": cluster_id(sub, group, cluster),
        "location": cluster.location,
        "name": cluster.name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "tags": dict(cluster.tags),
        "sku": {"name": "Base", "tier": cluster.sku_tier},
        "identity": {
            "type": "SystemAssigned",
            "principalId": stable_uuid(sub.subscription_id, group.name, cluster.name, "identity"),
            "tenantId": sub.tenant_id,
        },
        "properties": {
            "provisioningState": cluster.provisioning_state,
            "powerState": {"code": cluster.power_state},
            "kubernetesVersion": cluster.kubernetes_version,
            "currentKubernetesVersion": cluster.kubernetes_version,
            "dnsPrefix": dns_prefix,
            "fqdn": fqdn,
            "azurePortalFQDN": fqdn.replace(".hcp.", ".portal.hcp."),
            "agentPoolProfiles": profiles,
            "nodeResourceGroup": f"MC_{group.name}_{cluster.name}_{cluster.location}",
            "enableRBAC": True,
            "supportPlan": "KubernetesOfficial",
            "networkProfile": {
                "networkPlugin": "azure",
                "networkPluginMode": "overlay",
                "loadBalancerSku": "standard",
                "outboundType": "loadBalancer",
                "podCidr": "10.244.0.0/16",
                "serviceCidr": "10.0.0.0/16",
                "dnsServiceIP": "10.0.0.10",
            },
            "maxAgentPools": 100,
            "disableLocalAccounts": True,
            "resourceUID": stable_uuid(sub.subscription_id, group.name, cluster.name).replace("-", "")[:24],
        },
    }


def _locate(ctx: ArmContext) -> tuple[Subscription, ResourceGroup, ManagedCluster]:
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    group = sub.group(ctx.params["group"])
    return sub, group, group.cluster(ctx.params["name"])


async def list_clusters(ctx: ArmContext) -> web.Response:
    """List managed clusters of a subscription, or of one resource group."""
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    groups = [sub.group(ctx.params["group"])] if "group" in ctx.params else list(sub.resource_groups.values())
    value = [render_cluster(sub, group, cluster) for group in groups for cluster in group.clusters.values()]
    return web.json_response({"value": value})


async def get_cluster(ctx: ArmContext) -> web.Response:
    """Get one managed cluster."""
    return web.json_response(render_cluster(*_locate(ctx)))


async def list_pools(ctx: ArmContext) -> web.Response:
    """List the agent pools of a managed cluster."""
    sub, group, cluster = _locate(ctx)
    return web.json_response({"value": [render_pool(sub, group, cluster, pool) for pool in cluster.pools.values()]})


async def get_pool(ctx: ArmContext) -> web.Response:
    """Get one agent pool."""
    sub, group, cluster = _locate(ctx)
    return web.json_response(render_pool(sub, group, cluster, cluster.pool(ctx.params["pool"], group.name)))


async def start_cluster(ctx: ArmContext) -> web.Response:
    """Start a stopped cluster: 202; the cluster is "Starting" and shows Running once the operation succeeds."""
    return await _change_power(ctx, target="Running", action="Starting")


async def stop_cluster(ctx: ArmContext) -> web.Response:
    """Stop a running cluster: 202; the cluster is "Stopping" and shows Stopped once the operation succeeds."""
    return await _change_power(ctx, target="Stopped", action="Stopping")


async def _change_power(ctx: ArmContext, *, target: str, action: str) -> web.Response:
    sub, group, cluster = _locate(ctx)
    resource_id = cluster_id(sub, group, cluster)
    ctx.state.operations.ensure_idle(resource_id)
    if cluster.power_state == target:
        verb = "started" if target == "Running" else "stopped"
        raise ArmError.not_allowed(
            f"Managed cluster '{cluster.name}' is already {target.lower()}; it cannot be {verb} again."
        )
    pools = list(cluster.pools.values())

    def succeed() -> None:
        cluster.power_state = target
        cluster.provisioning_state = "Succeeded"
        for pool in pools:
            pool.power_state = target
            pool.provisioning_state = "Succeeded"

    def fail() -> None:
        cluster.provisioning_state = "Failed"
        for pool in pools:
            pool.provisioning_state = "Failed"

    operation = ctx.begin_operation(
        lock_key=resource_id,
        resource_id=resource_id,
        action=action,
        namespace=NAMESPACE,
        location=cluster.location,
        on_success=succeed,
        on_end_without_success=fail,
    )
    cluster.provisioning_state = action
    for pool in pools:
        pool.provisioning_state = action
    return ctx.accepted(operation, status=202)


async def put_pool(ctx: ArmContext) -> web.Response:
    """Create or update an agent pool (scale, autoscale settings, mode): 201 + ``Azure-AsyncOperation``.

    The new settings only show once the operation succeeded; meanwhile the pool is "Scaling"
    (count change only), "Updating" (other changes) or "Creating" (new pool).
    """
    sub, group, cluster = _locate(ctx)
    body = await ctx.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ArmError.bad_request("The request body must contain an object 'properties'.", target="properties")
    pool_name = ctx.params["pool"]
    existing = cluster.pools.get(pool_name.lower())
    desired = desired_pool(cluster, existing, pool_name, properties)
    resource_id = cluster_id(sub, group, cluster)
    ctx.state.operations.ensure_idle(resource_id)
    if cluster.power_state != "Running":
        raise ArmError.not_allowed(
            f"Managed cluster '{cluster.name}' is stopped: a stopped cluster can only be started or deleted. "
            "Start the cluster first."
        )
    if existing is None:
        action = "Creating"
        current = dataclasses.replace(desired, provisioning_state=action)
        cluster.pools[pool_name.lower()] = current
    else:
        current = existing
        only_count = dataclasses.replace(existing, count=desired.count) == desired
        action = "Scaling" if only_count and desired.count != existing.count else "Updating"

    def succeed() -> None:
        for item in dataclasses.fields(desired):
            setattr(current, item.name, getattr(desired, item.name))
        current.provisioning_state = "Succeeded"

    def fail() -> None:
        current.provisioning_state = "Failed"

    operation = ctx.begin_operation(
        lock_key=resource_id,
        resource_id=f"{resource_id}/agentPools/{current.name}",
        action=action,
        namespace=NAMESPACE,
        location=cluster.location,
        on_success=succeed,
        on_end_without_success=fail,
    )
    current.provisioning_state = action
    return ctx.accepted(operation, status=201, body=render_pool(sub, group, cluster, current), location=False)
