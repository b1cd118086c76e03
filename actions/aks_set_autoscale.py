"""aks-set-autoscale: change the min/max node counts of an autoscaled AKS node pool."""

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

__all__ = ["ACTION", "AksSetAutoscale"]


@dataclass(frozen=True)
class _Plan:
    rid: ResourceId
    pool: Any
    minimum: int
    maximum: int
    preview: Preview


class AksSetAutoscale:
    """The manual counterpart of the cluster autoscaler: what aks-scale-node-pool offers for autoscaled pools."""

    name = "aks-set-autoscale"
    aliases = ("set autoscale", "autoscale pool", "aks autoscale", "set autoscaler")
    summary = "Change the min/max node counts of an autoscaled AKS node pool."
    help = (
        "When the cluster autoscaler is on for a node pool, it picks the node count between a minimum and a "
        "maximum. This action changes that range; the autoscaler then moves the node count into it. A User pool's "
        "minimum can be 0; a System pool keeps at least 1. For a pool without the autoscaler, use "
        "aks-scale-node-pool."
    )
    usage = "{cluster} {pool} min {min} max {max}"
    examples = (
        "set autoscale aks-prod np2 min 2 max 8",
        "aks-set-autoscale cluster=aks-prod pool=np2 min=3 max=6",
    )
    parameters = (
        CLUSTER_PARAMETER,
        pool_parameter("an autoscaled node pool of the cluster"),
        Parameter(
            "min",
            ParamKind.INTEGER,
            "At least how many nodes?",
            description="the autoscaler's minimum node count",
            label="Minimum nodes",
            minimum=0,
            maximum=MAX_POOL_NODES,
        ),
        Parameter(
            "max",
            ParamKind.INTEGER,
            "At most how many nodes?",
            description="the autoscaler's maximum node count",
            label="Maximum nodes",
            minimum=1,
            maximum=MAX_POOL_NODES,
        ),
    )
    timeout_seconds = 1800.0
    phrasing = Phrasing("set autoscale", {"set": ("change",)})
    preconditions = (
        CLUSTER_RUNNING,
        Precondition("pool", (AUTOSCALED,), {MANUAL: "not autoscaled — scale it instead"}),
    )
    change_title = "Autoscale {cluster} / {pool}: {before[min]}\u2013{before[max]} → {min}\u2013{max} nodes"
    risk_rules = (
        to_zero("min", "Minimum 0: the autoscaler may remove every node of this pool."),
        large_change("min"),
        at_limit("min"),
        large_change("max"),
        at_limit("max"),
    )
    arm_operations = POOL_OPERATIONS
    undo = UndoRule(
        "aks-set-autoscale",
        same=("cluster", "pool"),
        restore=("min", "max"),
        caveat="the range comes back; the node count is the autoscaler's to move into it again",
    )

    def scope(self, args: Args) -> Scope:
        """Permission needed: this action on the node pool."""
        return Scope(self.name, pool_id(args))

    async def _plan(self, ctx: ActionContext, args: Args) -> _Plan:
        minimum, maximum = int(args["min"]), int(args["max"])
        if minimum > maximum:
            raise ParameterError("max", f"max ({maximum}) must be at least min ({minimum}).")
        rid, cluster = await get_cluster(ctx, args)
        pool = await get_pool(ctx, rid, str(args["pool"]))
        target = f"{rid.name} / node pool {pool.name}"
        if not pool.enable_auto_scaling:
            raise ParameterError(
                "pool",
                f"The cluster autoscaler is off for {target}: its node count ({pool.count}) is set by hand. "
                "Scale it instead.",
                suggestions=_scale_instead(rid.name, pool, minimum, maximum),
            )
        if text_of(pool.mode).lower() == "system" and minimum < 1:
            raise ParameterError("min", f"{target} is a System pool: its minimum must be at least 1.")
        ensure_cluster_running(rid, cluster)
        ensure_idle(target, pool.provisioning_state)
        count = int(pool.count or 0)
        notes: list[str] = []
        if count < minimum:
            notes.append(f"The pool has {count} nodes: the autoscaler will add nodes to reach {minimum}.")
        elif count > maximum:
            notes.append(f"The pool has {count} nodes: the autoscaler will remove nodes down to {maximum}.")
        before = {"min": int(pool.min_count or 0), "max": int(pool.max_count or 0)}
        no_op = (before["min"], before["max"]) == (minimum, maximum)
        names = {"cluster": rid.name, "pool": str(pool.name), "min": str(minimum), "max": str(maximum)}
        preview = Preview(
            target=target,
            resource_id=pool_id(args),
            changes=(
                Change("minimum nodes", str(before["min"]), str(minimum), parameter="min"),
                Change("maximum nodes", str(before["max"]), str(maximum), parameter="max"),
            ),
            notes=() if no_op else tuple(notes),
            no_op=no_op,
            title=fill_title(self, names, before),
            before=before,
            risks=() if no_op else assess_risk(self, args, before),
            no_op_reason=f"{target} already autoscales between {minimum} and {maximum} nodes" if no_op else "",
        )
        return _Plan(rid, pool, minimum, maximum, preview)

    async def preview(self, ctx: ActionContext, args: Args) -> Preview:
        """Current → desired autoscale range, after validating against the live pool."""
        return (await self._plan(ctx, args)).preview

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and send the change (a PUT of the pool with the new min/max)."""
        plan = await self._plan(ctx, args)
        target = plan.preview.target
        if plan.preview.no_op:
            return Progress(ProgressState.SUCCEEDED, f"{target} already autoscales within that range; nothing to do.")
        plan.pool.min_count = plan.minimum
        plan.pool.max_count = plan.maximum
        call = put_pool(ctx, plan.rid, plan.pool.name, plan.pool)
        return await begin(call, **self._messages(target, plan.minimum, plan.maximum))

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """Check the update once, from its continuation token."""
        rid = ctx.ensure_in_scope(str(args["cluster"]))
        call = put_pool(ctx, rid, str(args["pool"]), None, continuation_token=continuation_token)
        target = f"{rid.name} / node pool {args['pool']}"
        return await resume(call, **self._messages(target, int(args["min"]), int(args["max"])))

    @staticmethod
    def _messages(target: str, minimum: int, maximum: int) -> dict[str, str]:
        return {
            "target": target,
            "doing": "change the autoscale range of",
            "running": f"Changing the autoscale range of {target} to min {minimum} max {maximum}…",
            "succeeded": f"{target} now autoscales between {minimum} and {maximum} nodes.",
        }


def _scale_instead(cluster: str, pool: Any, minimum: int, maximum: int) -> tuple[str, ...]:
    """Scaling the manual pool into the requested range, as a command — only when its node count is
    outside it (then to the nearer bound); none when the count is already within the range."""
    count = int(pool.count or 0)
    if minimum <= count <= maximum:
        return ()
    target = minimum if count < minimum else maximum
    return (f"aks-scale-node-pool cluster={cluster} pool={pool.name} count={target}",)


ACTION = AksSetAutoscale()
