"""aks-scale-node-pool: set the node count of a manually scaled AKS node pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actions._aks import (
    AUTOSCALED,
    CLUSTER_PARAMETER,
    CLUSTER_RUNNING,
    MANUAL,
    MAX_POOL_NODES,
    POOL_OPERATIONS,
    ensure_cluster_running,
    get_cluster,
    get_pool,
    pool_id,
    pool_parameter,
    put_pool,
)
from actions.arm import begin, ensure_idle, resume, text_of
from actions.context import ActionContext
from actions.phrases import SCALE
from actions.resource_ids import ResourceId
from actions.spec import (
    Args,
    Change,
    Parameter,
    ParameterError,
    ParamKind,
    Phrasing,
    Precondition,
    Preview,
    Progress,
    ProgressState,
    Scope,
    UndoRule,
    assess_risk,
    at_limit,
    fill_title,
    large_change,
    to_zero,
)

__all__ = ["ACTION", "AksScaleNodePool"]


@dataclass(frozen=True)
class _Plan:
    rid: ResourceId
    pool: Any
    count: int
    preview: Preview


class AksScaleNodePool:
    """Scale a node pool by hand. Autoscaled pools are refused with an offer to change min/max instead."""

    name = "aks-scale-node-pool"
    aliases = ("scale node pool", "scale nodepool", "scale pool", "aks scale")
    summary = "Set the node count of an AKS node pool."
    help = (
        "Sets how many nodes a manually scaled node pool runs. Scaling down drains the removed nodes first, "
        "so their pods move to the remaining nodes. A User pool can go down to 0 nodes; a System pool keeps "
        "at least 1. When the cluster autoscaler is on for the pool, it owns the node count: use "
        "aks-set-autoscale to change its min/max instead."
    )
    usage = "{cluster} {pool} to {count} nodes"
    examples = (
        "scale node pool aks-prod np1 to 5",
        "aks-scale-node-pool cluster=aks-dev pool=np1 count=0",
    )
    parameters = (
        CLUSTER_PARAMETER,
        pool_parameter("a node pool of the cluster"),
        Parameter(
            "count",
            ParamKind.INTEGER,
            "How many nodes should it have?",
            description="the new node count",
            label="Node count",
            minimum=0,
            maximum=MAX_POOL_NODES,
        ),
    )
    timeout_seconds = 1800.0
    phrasing = Phrasing("scale node pool", SCALE)
    preconditions = (
        CLUSTER_RUNNING,
        Precondition("pool", (MANUAL,), {AUTOSCALED: "autoscaled — change its min/max instead"}),
    )
    change_title = "Scale {cluster} / {pool}: {before[count]} → {count} nodes"
    risk_rules = (
        to_zero("count", "0 nodes: workloads that run only on this node pool stop running."),
        large_change("count"),
        at_limit("count"),
    )
    arm_operations = POOL_OPERATIONS
    undo = UndoRule(
        "aks-scale-node-pool",
        same=("cluster", "pool"),
        restore=("count",),
        caveat="the node count comes back, not the same nodes: scaling up again adds new ones",
    )

    def scope(self, args: Args) -> Scope:
        """Permission needed: this action on the node pool."""
        return Scope(self.name, pool_id(args))

    async def _plan(self, ctx: ActionContext, args: Args) -> _Plan:
        rid, cluster = await get_cluster(ctx, args)
        pool = await get_pool(ctx, rid, str(args["pool"]))
        target = f"{rid.name} / node pool {pool.name}"
        count = int(args["count"])
        if pool.enable_auto_scaling:
            raise ParameterError(
                "pool",
                f"The cluster autoscaler is on for {target} (min {pool.min_count}, max {pool.max_count}): "
                "it sets the node count itself. Change its min/max instead.",
                suggestions=_autoscale_instead(rid.name, pool, count),
            )
        if text_of(pool.mode).lower() == "system" and count < 1:
            raise ParameterError("count", f"{target} is a System pool: it needs at least 1 node.")
        ensure_cluster_running(rid, cluster)
        ensure_idle(target, pool.provisioning_state)
        current = int(pool.count or 0)
        notes: list[str] = []
        if count < current:
            notes.append("Nodes are drained before removal: their pods move to the remaining nodes.")
        before = {"count": current}
        no_op = current == count
        names = {"cluster": rid.name, "pool": str(pool.name), "count": str(count)}
        preview = Preview(
            target=target,
            resource_id=pool_id(args),
            changes=(Change("nodes", str(current), str(count), parameter="count"),),
            notes=() if no_op else tuple(notes),
            no_op=no_op,
            title=fill_title(self, names, before),
            before=before,
            risks=() if no_op else assess_risk(self, args, before),
            no_op_reason=f"{target} already has {_nodes(count)}" if no_op else "",
        )
        return _Plan(rid, pool, count, preview)

    async def preview(self, ctx: ActionContext, args: Args) -> Preview:
        """Current → desired node count, after validating against the live pool."""
        return (await self._plan(ctx, args)).preview

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and send the scale request (a PUT of the pool with the new count)."""
        plan = await self._plan(ctx, args)
        target = plan.preview.target
        if plan.preview.no_op:
            return Progress(ProgressState.SUCCEEDED, f"{target} already has {plan.count} nodes; nothing to do.")
        plan.pool.count = plan.count
        call = put_pool(ctx, plan.rid, plan.pool.name, plan.pool)
        return await begin(call, **self._messages(target, plan.count))

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """Check the scale operation once, from its continuation token."""
        rid = ctx.ensure_in_scope(str(args["cluster"]))
        call = put_pool(ctx, rid, str(args["pool"]), None, continuation_token=continuation_token)
        return await resume(call, **self._messages(f"{rid.name} / node pool {args['pool']}", int(args["count"])))

    @staticmethod
    def _messages(target: str, count: int) -> dict[str, str]:
        return {
            "target": target,
            "doing": "scale",
            "running": f"Scaling {target} to {count} nodes…",
            "succeeded": f"{target} now has {count} nodes.",
        }


def _autoscale_instead(cluster: str, pool: Any, count: int) -> tuple[str, ...]:
    """The autoscale range that lets the pool reach ``count`` nodes, as a command — only when it
    differs from the current range: keep the min and raise the max to ``count``, or keep the max and
    lower the min to it. None when ``count`` is already within the range (the autoscaler decides)."""
    low, high = int(pool.min_count or 0), int(pool.max_count or 0)
    floor = 1 if text_of(pool.mode).lower() == "system" else 0
    if count > high:
        low, high = low, count
    elif floor <= count < low:
        low = count
    else:
        return ()
    return (f"aks-set-autoscale cluster={cluster} pool={pool.name} min={low} max={high}",)


def _nodes(count: int) -> str:
    return "1 node" if count == 1 else f"{count} nodes"


ACTION = AksScaleNodePool()
