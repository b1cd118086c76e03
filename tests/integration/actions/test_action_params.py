"""Resolving values against discovered choices: names to ids, ambiguity, dependencies, incomplete lists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.context import ActionContext
from actions.params import missing, parse_command, resolve, resolve_all
from actions.registry import Registry
from actions.spec import ParameterError
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

VMSS = "providers/Microsoft.Compute/virtualMachineScaleSets"
DEV_WEB = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/{VMSS}/vmss-web"
PROD_WEB = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/{VMSS}/vmss-web"


async def add_second_vmss_web(ctx: ActionContext) -> None:
    """Create a scale set named vmss-web in rg-dev too (the sandbox supports create), making the name ambiguous."""
    poller = await ctx.compute(DEV_SUBSCRIPTION_ID).virtual_machine_scale_sets.begin_create_or_update(
        "rg-dev", "vmss-web", {"location": "westeurope", "sku": {"name": "Standard_D2s_v5", "capacity": 1}}
    )
    await poller.result()


async def test_a_command_resolves_names_to_resource_ids(ctx: ActionContext, registry: Registry) -> None:
    command = parse_command(registry, "scale vmss vmss-web to 6")
    assert await resolve_all(ctx, command.action, command.args) == {"vmss": PROD_WEB, "capacity": 6}


async def test_names_are_case_insensitive(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("vmss-set-capacity")
    assert action is not None
    assert await resolve(ctx, action, "vmss", "VMSS-Web", {}) == PROD_WEB


async def test_an_ambiguous_name_lists_the_candidates(ctx: ActionContext, registry: Registry) -> None:
    await add_second_vmss_web(ctx)
    action = registry.get("vmss-set-capacity")
    assert action is not None
    turn = ctx.for_turn()
    with pytest.raises(ParameterError) as caught:
        await resolve(turn, action, "vmss", "vmss-web", {})
    assert caught.value.parameter == "vmss"
    assert "More than one VM scale set is called 'vmss-web'" in caught.value.message
    assert "rg-dev · sub 11111111" in caught.value.message
    assert "rg-prod · sub 22222222" in caught.value.message
    assert set(caught.value.suggestions) == {DEV_WEB, PROD_WEB}
    assert await resolve(turn, action, "vmss", "rg-dev/vmss-web", {}) == DEV_WEB  # group/name disambiguates
    assert await resolve(turn, action, "vmss", PROD_WEB, {}) == PROD_WEB  # so does the id


async def test_a_near_miss_gets_did_you_mean(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("vm-deallocate")
    assert action is not None
    with pytest.raises(ParameterError) as caught:
        await resolve(ctx, action, "vm", "jump-prd", {})
    assert "Did you mean jump-prod?" in caught.value.message
    assert caught.value.suggestions == ("jump-prod",)


async def test_a_near_miss_of_a_choice_a_precondition_refuses_says_why_and_offers_the_others(
    ctx: ActionContext, registry: Registry
) -> None:
    action = registry.get("vm-start")  # jump-prod runs: it cannot be started
    assert action is not None
    with pytest.raises(ParameterError) as caught:
        await resolve(ctx, action, "vm", "jump-prd", {})
    assert caught.value.message == (
        "There is no virtual machine called 'jump-prd' in the scope Switchboard may operate on. "
        "jump-prod is already running. Choose one of: build-agent-3."
    )
    assert caught.value.suggestions == ("build-agent-3",)


async def test_a_choice_a_precondition_refuses_is_refused_with_the_reason(
    ctx: ActionContext, registry: Registry
) -> None:
    action = registry.get("vm-deallocate")
    assert action is not None
    with pytest.raises(ParameterError) as caught:
        await resolve(ctx, action, "vm", "build-agent-3", {})
    assert caught.value.parameter == "vm"
    assert caught.value.message == (
        "build-agent-3 can't be chosen here: it is already deallocated. "
        "Choose one of: build-agent-1, build-agent-2, jump-prod."
    )
    # A typed command leaves the state to the action's preview, which reads it live.
    assert await resolve(ctx, action, "vm", "build-agent-3", {}, check_state=False) == (
        f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev/providers/Microsoft.Compute/virtualMachines/build-agent-3"
    )


async def test_a_dependent_parameter_needs_its_dependency_first(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    with pytest.raises(ParameterError) as caught:
        await resolve(ctx, action, "pool", "np1", {})
    assert caught.value.parameter == "cluster"
    assert caught.value.message == "Choose the AKS cluster first: Which AKS cluster?"


async def test_pools_are_checked_against_the_chosen_cluster(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    known = {"cluster": await resolve(ctx, action, "cluster", "aks-dev", {})}
    assert await resolve(ctx, action, "pool", "NP1", known) == "np1"
    with pytest.raises(ParameterError, match="There is no node pool called 'np2' here") as caught:
        await resolve(ctx, action, "pool", "np2", known)  # aks-prod has np2, aks-dev does not
    assert "Choose one of: np1, system." in caught.value.message


async def test_missing_lists_what_to_ask_next(ctx: ActionContext, registry: Registry) -> None:
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    assert [p.name for p in missing(action, {})] == ["cluster", "pool", "count"]
    assert [p.name for p in missing(action, {"cluster": "x", "count": 3})] == ["pool"]
    with pytest.raises(ParameterError) as caught:
        await resolve_all(ctx, action, {"cluster": "aks-dev", "count": "3"})
    assert caught.value.parameter == "pool"
    assert caught.value.message.startswith("Node pool is missing: Which node pool?")


async def test_an_id_not_listed_in_time_is_left_for_the_action_to_check(
    sandbox: SandboxHandle, make_context: Callable[..., ActionContext], registry: Registry
) -> None:
    sandbox.inject_fault(method="GET", path_contains="/virtualMachineScaleSets", delay=600, times=None)  # until reset
    action = registry.get("vmss-set-capacity")
    assert action is not None
    ctx = make_context(discovery_timeout_seconds=0.5)
    assert await resolve(ctx, action, "vmss", PROD_WEB, {}) == PROD_WEB  # in scope; the list timed out


async def test_a_name_not_listed_in_time_says_the_list_may_be_incomplete(
    sandbox: SandboxHandle, make_context: Callable[..., ActionContext], registry: Registry
) -> None:
    sandbox.inject_fault(method="GET", path_contains="/virtualMachineScaleSets", delay=600, times=None)  # until reset
    action = registry.get("vmss-set-capacity")
    assert action is not None
    ctx = make_context(discovery_timeout_seconds=0.5)
    with pytest.raises(ParameterError) as caught:
        await resolve(ctx, action, "vmss", "vmss-web", {})
    assert caught.value.message.startswith(
        "There is no VM scale set called 'vmss-web' in the scope Switchboard may operate on."
    )
    assert caught.value.message.endswith("(the list may be incomplete: Azure was slow to list scale sets.)")
