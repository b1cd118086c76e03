"""AKS helpers shared by the AKS actions: discovery of clusters and node pools, validated reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actions.arm import read, text_of
from actions.context import ActionContext
from actions.discovery import location_text, resource_choices
from actions.resource_ids import ResourceId
from actions.spec import ActionError, Args, Choice, ChoiceList, Parameter, ParameterError, ParamKind, Precondition

if TYPE_CHECKING:  # pragma: no cover
    from azure.mgmt.containerservice.models import AgentPool, ManagedCluster

__all__ = [
    "AGENT_POOLS",
    "AKS_OPERATION_RESULT",
    "AKS_OPERATION_STATUS",
    "AUTOSCALED",
    "CLUSTER_PARAMETER",
    "CLUSTER_RUNNING",
    "CLUSTER_TYPE",
    "MANUAL",
    "MAX_POOL_NODES",
    "POOL_OPERATIONS",
    "cluster_power",
    "discover_clusters",
    "discover_pools",
    "ensure_cluster_running",
    "get_cluster",
    "get_pool",
    "pool_id",
    "pool_parameter",
    "pool_summary",
    "put_pool",
]

CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
AGENT_POOLS = "agentPools"
MAX_POOL_NODES = 1000  # AKS: at most 1000 nodes per node pool
AUTOSCALED = "autoscaled"  # a node pool's state when the cluster autoscaler sets its node count
MANUAL = "manual"  # a node pool's state when its node count is set by hand

# ARM operations (Azure RBAC names) of the AKS actions, for their ``arm_operations``.
AKS_OPERATION_STATUS = "Microsoft.ContainerService/locations/operations/read"
"""The status check of a long-running AKS operation (its ``Azure-AsyncOperation`` URL)."""
AKS_OPERATION_RESULT = "Microsoft.ContainerService/locations/operationresults/read"
"""The final read of a long-running AKS POST (its ``Location`` URL)."""
POOL_OPERATIONS = (
    "Microsoft.ContainerService/managedClusters/read",  # cluster discovery, the cluster's power state
    "Microsoft.ContainerService/managedClusters/agentPools/read",  # pool discovery, the pool's count and range
    "Microsoft.ContainerService/managedClusters/agentPools/write",  # the PUT of the changed pool
    AKS_OPERATION_STATUS,
)
"""What a node-pool action (scale, autoscale range) does in Azure."""

CLUSTER_RUNNING = Precondition("cluster", ("running",), {"stopped": "stopped — start it first"})
"""Node pools change only on a running cluster."""


def cluster_power(cluster: Any) -> str:
    """``Running`` or ``Stopped`` (``Unknown`` when Azure does not say)."""
    power = getattr(cluster, "power_state", None)
    return text_of(getattr(power, "code", None)) or "Unknown"


def pool_summary(pool: Any) -> str:
    """``User · 3 nodes`` or ``User · autoscale min 2 max 6 · 3 nodes``."""
    parts = [text_of(pool.mode) or "User"]
    if pool.enable_auto_scaling:
        parts.append(f"autoscale min {pool.min_count} max {pool.max_count}")
    parts.append(f"{pool.count} nodes" if pool.count != 1 else "1 node")
    return " · ".join(parts)


def pool_id(args: Args) -> str:
    """Resource id of the node pool named by ``args`` (``cluster`` id + ``pool`` name)."""
    return f"{args['cluster']}/agentPools/{args['pool']}"


async def discover_clusters(ctx: ActionContext, args: Args) -> ChoiceList:
    """AKS clusters in scope.

    Each choice's ``state`` is the cluster's power state, ``running`` or ``stopped``.
    """

    def to_choice(cluster: Any) -> Choice:
        power = cluster_power(cluster)
        return Choice(cluster.id, cluster.name, f"{location_text(cluster.id)} · {power}", state=power.lower())

    return await resource_choices(
        ctx,
        what="clusters",
        list_in_group=lambda sub, group: ctx.container_service(sub).managed_clusters.list_by_resource_group(group),
        list_in_subscription=lambda sub: ctx.container_service(sub).managed_clusters.list(),
        to_choice=to_choice,
    )


async def discover_pools(ctx: ActionContext, args: Args) -> ChoiceList:
    """Node pools of the chosen cluster.

    ``args["cluster"]`` is the cluster's resource id; each choice's ``state`` is
    :data:`AUTOSCALED` or :data:`MANUAL`.
    """
    rid = _cluster_id(ctx, args)
    client = ctx.container_service(rid.subscription)

    async def source(found: list[Choice]) -> None:
        async for pool in client.agent_pools.list(rid.resource_group, rid.name):
            state = AUTOSCALED if pool.enable_auto_scaling else MANUAL
            found.append(Choice(pool.name, pool.name, pool_summary(pool), state=state))

    return await ctx.gather_choices([source], what=f"node pools of {rid.name}")


def _cluster_id(ctx: ActionContext, args: Args) -> ResourceId:
    rid = ctx.ensure_in_scope(str(args["cluster"]))
    if not rid.is_type(CLUSTER_TYPE) or rid.child_type:
        raise ParameterError("cluster", f"{rid.name} is not an AKS cluster. Choose an AKS cluster.")
    return rid


async def get_cluster(ctx: ActionContext, args: Args) -> tuple[ResourceId, ManagedCluster]:
    """The chosen cluster, checked to be in scope; :class:`ActionError` when it cannot be read."""
    rid = _cluster_id(ctx, args)
    client = ctx.container_service(rid.subscription)
    cluster = await read(client.managed_clusters.get(rid.resource_group, rid.name), f"cluster {rid.name}")
    return rid, cluster


async def get_pool(ctx: ActionContext, rid: ResourceId, pool_name: str) -> AgentPool:
    """A node pool of a cluster; a :class:`ParameterError` on ``pool`` when it does not exist."""
    client = ctx.container_service(rid.subscription)
    missing = ParameterError("pool", f"{rid.name} has no node pool named {pool_name!r}. Choose one of its node pools.")
    return await read(
        client.agent_pools.get(rid.resource_group, rid.name, pool_name),
        f"{rid.name} / node pool {pool_name}",
        not_found=missing,
    )


def ensure_cluster_running(rid: ResourceId, cluster: Any) -> None:
    """Node pools of a stopped cluster cannot change: say so and offer to start it."""
    if cluster_power(cluster).lower() == "stopped":
        raise ActionError(
            f"{rid.name} is stopped, so its node pools cannot change. Start the cluster first.",
            suggestions=(f"aks-start-cluster cluster={rid.name}",),
        )


CLUSTER_PARAMETER = Parameter(
    "cluster",
    ParamKind.RESOURCE,
    "Which AKS cluster?",
    description="an AKS cluster, by name or resource id",
    label="AKS cluster",
    discover=discover_clusters,
    resource_type=CLUSTER_TYPE,
)
"""The ``cluster`` parameter every AKS action declares."""


def pool_parameter(description: str) -> Parameter:
    """The ``pool`` parameter of a node-pool action: a pool of the chosen cluster."""
    return Parameter(
        "pool",
        ParamKind.CHOICE,
        "Which node pool?",
        description=description,
        label="Node pool",
        discover=discover_pools,
        depends_on=("cluster",),
    )


def put_pool(
    ctx: ActionContext, rid: ResourceId, pool_name: str, pool: Any, continuation_token: str | None = None
) -> Any:
    """``agent_pools.begin_create_or_update`` of ``pool`` on cluster ``rid`` (the call, not awaited);
    with ``continuation_token`` (and ``pool`` None) it resumes that operation instead."""
    client = ctx.container_service(rid.subscription)
    if continuation_token is None:
        return client.agent_pools.begin_create_or_update(rid.resource_group, rid.name, pool_name, pool)
    return client.agent_pools.begin_create_or_update(
        rid.resource_group, rid.name, pool_name, None, continuation_token=continuation_token
    )
