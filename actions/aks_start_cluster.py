"""aks-start-cluster: start a stopped AKS cluster."""

from __future__ import annotations

from actions._aks_power import ClusterPowerAction, cluster_power_operations
from actions.phrases import START
from actions.spec import Phrasing, Precondition, UndoRule

__all__ = ["ACTION", "AksStartCluster"]


class AksStartCluster(ClusterPowerAction):
    """Start a stopped cluster (``managed_clusters.begin_start``)."""

    name = "aks-start-cluster"
    aliases = ("start cluster", "start aks", "aks start")
    summary = "Start a stopped AKS cluster."
    help = (
        "Starts a cluster that was stopped: its nodes come back with the node counts it had, and its workloads "
        "are scheduled again. Starting takes several minutes. Nothing happens when the cluster is already running."
    )
    examples = ("start cluster aks-sandbox", "aks-start-cluster cluster=aks-sandbox")
    change_title = "Start cluster {cluster}"
    desired = "Running"
    verb = "start"
    arm_operations = cluster_power_operations("start")
    undo = UndoRule(
        "aks-stop-cluster", same=("cluster",), leaves={"power_state": "Running"}, restores={"power_state": "Stopped"}
    )
    gerund = "Starting"
    notes = ("Starting takes several minutes; workloads come back as the nodes join.",)
    phrasing = Phrasing("start cluster", START)
    preconditions = (Precondition("cluster", ("stopped",), {"running": "already running"}),)


ACTION = AksStartCluster()
