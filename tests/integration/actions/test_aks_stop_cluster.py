"""aks-stop-cluster against the sandbox: the contract, plus a stopped cluster being a no-op."""

from __future__ import annotations

from actions._aks import cluster_power
from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import Change, RiskKind
from tests.support.action_contract import ActionCase, ActionContract
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

AKS = "providers/Microsoft.ContainerService/managedClusters"
AKS_DEV = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{AKS}/aks-dev"
AKS_CORE = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{AKS}/aks-core"


async def dev_power(ctx: ActionContext, sandbox: SandboxHandle) -> str:
    return cluster_power(await ctx.container_service(DEV_SUBSCRIPTION_ID).managed_clusters.get("rg-dev", "aks-dev"))


class TestAksStopCluster(ActionContract):
    case = ActionCase(
        command="stop cluster aks-dev",
        changes=(Change("power state", "Running", "Stopped"),),
        title="Stop cluster aks-dev",
        current={"power_state": "Running"},
        risks=(RiskKind.STOP,),
        read_state=dev_power,
        before="Running",
        after="Stopped",
        target="aks-dev",
        fault_method="POST",
        fault_path="/managedClusters/aks-dev/stop",
        outside_scope={"cluster": AKS_CORE},
        not_found={"cluster": AKS_DEV.replace("aks-dev", "aks-ghost")},
        not_found_parameter="cluster",
        not_found_text="cluster aks-ghost was not found",
        invalid=(
            ({}, "cluster"),
            ({"cluster": "vmss-build"}, "cluster"),
            ({"cluster": AKS_DEV.replace(AKS, "providers/Microsoft.Compute/virtualMachines")}, "cluster"),
        ),
    )

    async def test_a_stopped_cluster_is_a_no_op(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-stop-cluster")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-sandbox"})
        preview = await action.preview(ctx, args)
        assert preview.no_op
        assert preview.text == "aks-sandbox is already stopped — nothing to change"
        assert preview.risks == ()

    async def test_the_preview_warns_that_workloads_stop(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-stop-cluster")
        assert action is not None
        preview = await action.preview(ctx, await resolve_all(ctx, action, {"cluster": "aks-dev"}))
        assert [risk.message for risk in preview.risks] == [
            "Every workload on the cluster stops until it is started again.",
        ]
