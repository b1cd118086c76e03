"""aks-stop-cluster: stop a running AKS cluster."""

from __future__ import annotations

from actions._aks_power import ClusterPowerAction, cluster_power_operations
from actions.phrases import STOP
from actions.spec import Phrasing, Precondition, UndoRule, stops

__all__ = ["ACTION", "AksStopCluster"]


class AksStopCluster(ClusterPowerAction):
    """Stop a running cluster (``managed_clusters.begin_stop``)."""

    name = "aks-stop-cluster"
    aliases = ("stop cluster", "stop aks", "aks stop")
    summary = "Stop a running AKS cluster (its nodes are deallocated)."
    help = (
        "Stops a running cluster: every node is deallocated, so every workload on it stops, and compute is no "
        "longer billed. The cluster keeps its configuration and can be started again with aks-start-cluster. "
        "Nothing happens when the cluster is already stopped."
    )
    examples = ("stop cluster aks-dev", "aks-stop-cluster cluster=aks-dev")
    change_title = "Stop cluster {cluster}"
    risk_rules = (stops("Every workload on the cluster stops until it is started again."),)
    desired = "Stopped"
    verb = "stop"
    arm_operations = cluster_power_operations("stop")
    undo = UndoRule(
        "aks-start-cluster", same=("cluster",), leaves={"power_state": "Stopped"}, restores={"power_state": "Running"}
    )
    gerund = "Stopping"
    phrasing = Phrasing("stop cluster", STOP)
    preconditions = (Precondition("cluster", ("running",), {"stopped": "already stopped"}),)


ACTION = AksStopCluster()
