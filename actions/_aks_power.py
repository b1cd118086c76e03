"""Shared shape of aks-start-cluster and aks-stop-cluster: one cluster, its power state, one LRO."""

from __future__ import annotations

from typing import Any

from actions._aks import AKS_OPERATION_RESULT, AKS_OPERATION_STATUS, CLUSTER_PARAMETER, cluster_power, get_cluster
from actions.arm import begin, ensure_idle, resume
from actions.context import ActionContext
from actions.spec import (
    Args,
    Change,
    NotUndoable,
    Phrasing,
    Precondition,
    Preview,
    Progress,
    ProgressState,
    RiskRule,
    Scope,
    UndoRule,
    assess_risk,
    fill_title,
)

__all__ = ["ClusterPowerAction", "cluster_power_operations"]


def cluster_power_operations(verb: str) -> tuple[str, ...]:
    """The ARM operations of ``managed_clusters.begin_<verb>``: read the cluster, POST the verb, follow it."""
    return (
        "Microsoft.ContainerService/managedClusters/read",  # discovery and the current power state
        f"Microsoft.ContainerService/managedClusters/{verb}/action",
        AKS_OPERATION_STATUS,
        AKS_OPERATION_RESULT,
    )


class ClusterPowerAction:
    """Moves a cluster's power state to ``desired`` with ``managed_clusters.begin_<verb>``.

    Subclasses declare the catalog fields (``change_title``, ``risk_rules`` included) plus
    ``desired`` (``Running``/``Stopped``), ``verb`` (``start``/``stop``), ``gerund``, ``notes`` and
    ``arm_operations`` (:func:`cluster_power_operations` of the verb) and ``undo`` (the opposite verb);
    and how people say it (``phrasing``) and the power state the cluster must be in (``preconditions``).
    """

    phrasing: Phrasing
    preconditions: tuple[Precondition, ...] = ()

    name: str
    aliases: tuple[str, ...]
    summary: str
    help: str
    examples: tuple[str, ...]
    desired: str
    verb: str
    gerund: str
    notes: tuple[str, ...] = ()
    change_title: str
    risk_rules: tuple[RiskRule, ...] = ()
    arm_operations: tuple[str, ...]
    undo: UndoRule | NotUndoable
    usage = "{cluster}"
    timeout_seconds = 1800.0
    parameters = (
        CLUSTER_PARAMETER,
    )

    def scope(self, args: Args) -> Scope:
        """Permission needed: this action on the cluster."""
        return Scope(self.name, str(args["cluster"]))

    async def preview(self, ctx: ActionContext, args: Args) -> Preview:
        """Current → desired power state; no-op when the cluster is already there."""
        rid, cluster = await get_cluster(ctx, args)
        ensure_idle(rid.name, cluster.provisioning_state)
        current = cluster_power(cluster)
        no_op = current.lower() == self.desired.lower()
        before = {"power_state": current}
        return Preview(
            target=rid.name,
            resource_id=str(rid),
            changes=(Change("power state", current, self.desired),),
            notes=() if no_op else self.notes,
            no_op=no_op,
            title=fill_title(self, {"cluster": rid.name}, before),
            before=before,
            risks=() if no_op else assess_risk(self, args, before),
            no_op_reason=f"{rid.name} is already {self.desired.lower()}" if no_op else "",
        )

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and send the start/stop request."""
        preview = await self.preview(ctx, args)
        if preview.no_op:
            message = f"{preview.target} is already {self.desired.lower()}; nothing to do."
            return Progress(ProgressState.SUCCEEDED, message)
        rid = ctx.ensure_in_scope(str(args["cluster"]))
        clusters = ctx.container_service(rid.subscription).managed_clusters
        operation: Any = getattr(clusters, f"begin_{self.verb}")
        return await begin(operation(rid.resource_group, rid.name), **self._messages(rid.name))

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """Check the operation once, from its continuation token."""
        rid = ctx.ensure_in_scope(str(args["cluster"]))
        clusters = ctx.container_service(rid.subscription).managed_clusters
        operation: Any = getattr(clusters, f"begin_{self.verb}")
        call = operation(rid.resource_group, rid.name, continuation_token=continuation_token)
        return await resume(call, **self._messages(rid.name))

    def _messages(self, target: str) -> dict[str, str]:
        return {
            "target": target,
            "doing": self.verb,
            "running": f"{self.gerund} {target}…",
            "succeeded": f"{target} is {self.desired.lower()}.",
        }
