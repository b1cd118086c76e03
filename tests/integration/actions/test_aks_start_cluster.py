"""aks-start-cluster against the sandbox: the contract, plus a running cluster being a no-op."""

from __future__ import annotations

from actions._aks import cluster_power
from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.spec import Change, ProgressState
from tests.support.action_contract import ActionCase, ActionContract
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

AKS = "providers/Microsoft.ContainerService/managedClusters"
AKS_SANDBOX = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{AKS}/aks-sandbox"
AKS_CORE = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{AKS}/aks-core"


async def sandbox_power(ctx: ActionContext, sandbox: SandboxHandle) -> str:
    return cluster_power(await ctx.container_service(DEV_SUBSCRIPTION_ID).managed_clusters.get("rg-dev", "aks-sandbox"))


class TestAksStartCluster(ActionContract):
    case = ActionCase(
        command="start cluster aks-sandbox",
        changes=(Change("power state", "Stopped", "Running"),),
        title="Start cluster aks-sandbox",
        current={"power_state": "Stopped"},
        read_state=sandbox_power,
        before="Stopped",
        after="Running",
        target="aks-sandbox",
        fault_method="POST",
        fault_path="/managedClusters/aks-sandbox/start",
        outside_scope={"cluster": AKS_CORE},
        not_found={"cluster": AKS_SANDBOX.replace("aks-sandbox", "aks-ghost")},
        not_found_parameter="cluster",
        not_found_text="cluster aks-ghost was not found",
        invalid=(
            ({}, "cluster"),
            ({"cluster": "aks-sandbx"}, "cluster"),
            ({"cluster": f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev"}, "cluster"),
        ),
    )

    async def test_a_running_cluster_is_a_no_op(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("aks-start-cluster")
        assert action is not None
        args = await resolve_all(ctx, action, {"cluster": "aks-dev"})
        preview = await action.preview(ctx, args)
        assert preview.no_op
        assert preview.notes == ()
        progress = await action.start(ctx, args)
        assert progress.state is ProgressState.SUCCEEDED
        assert progress.message == "aks-dev is already running; nothing to do."
