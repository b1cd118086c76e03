"""actions.runner.run_within: the bot's bounded wait for an action, against the ARM sandbox.

A Teams turn cannot wait for Azure (a node pool scale takes minutes), so the bot waits for a
budget of a few seconds and reports what is known then. These tests inject tiny budgets and
sandbox faults; they assert states, messages and what the sandbox saw, never elapsed time.
"""

from __future__ import annotations

import asyncio

import pytest

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.runner import run_within
from actions.spec import Action, ActionError, Args, ProgressState
from tests.support.action_contract import mutating_statuses
from tests.support.arm_sandbox import SandboxHandle

NP1 = "/managedClusters/aks-prod/agentPools/np1"


async def scale_np1(ctx: ActionContext, registry: Registry, count: int) -> tuple[Action, Args]:
    action = registry.get("aks-scale-node-pool")
    assert action is not None
    return action, await resolve_all(ctx, action, {"cluster": "aks-prod", "pool": "np1", "count": str(count)})


async def test_an_operation_that_never_completes_ends_the_wait_timed_out_with_the_write_made(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action, args = await scale_np1(ctx, registry, 4)
    sandbox.never_complete(True)
    progress = await run_within(ctx, action, args, budget=0.3)
    assert progress.state is ProgressState.TIMED_OUT
    assert progress.continuation_token  # the operation goes on in Azure; the token follows it
    assert mutating_statuses(sandbox, "PUT", NP1) == [201]  # the write was made, once
    [operation] = sandbox.operations()
    assert operation["status"] == "InProgress"
    assert (await action.poll(ctx, args, progress.continuation_token)).state is ProgressState.RUNNING


async def test_a_start_that_does_not_answer_within_the_budget_is_unknown(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action, args = await scale_np1(ctx, registry, 4)
    sandbox.inject_fault(method="PUT", path_contains=NP1, delay=1.0, times=1)
    progress = await run_within(ctx, action, args, budget=0.3)
    assert progress.state is ProgressState.UNKNOWN  # the PUT may have reached Azure: never "not done"
    assert "may or may not have started" in progress.message
    assert "Check the resource before trying again." in progress.message
    await _until_answered(sandbox, "PUT", NP1)  # the sandbox still applies the delayed PUT


async def test_a_refusal_before_sending_propagates_and_sends_nothing(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action, args = await scale_np1(ctx, registry, 4)
    sandbox.inject_fault(method="PUT", path_contains=NP1, status=409, times=1)
    with pytest.raises(ActionError, match="Another operation is running"):
        await run_within(ctx, action, args, budget=30)
    assert mutating_statuses(sandbox, "PUT", NP1) == [409]  # refused by ARM: nothing changed


async def test_within_a_generous_budget_it_waits_for_the_end(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action, args = await scale_np1(ctx, registry, 4)
    progress = await run_within(ctx, action, args, budget=60)
    assert progress.state is ProgressState.SUCCEEDED
    assert progress.message == "aks-prod / node pool np1 now has 4 nodes."


async def test_an_operation_that_fails_in_azure_after_the_start_is_failed(
    sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
) -> None:
    action, args = await scale_np1(ctx, registry, 4)
    sandbox.inject_fault(method="PUT", path_contains=NP1, operation_status="Failed", times=1)
    progress = await run_within(ctx, action, args, budget=60)
    assert progress.state is ProgressState.FAILED
    assert "(SandboxInjectedFailure)" in progress.message


@pytest.mark.parametrize("budget", [0, -1.0])
async def test_the_budget_must_be_positive(ctx: ActionContext, registry: Registry, budget: float) -> None:
    action, args = await scale_np1(ctx, registry, 4)
    with pytest.raises(ValueError, match="budget must be positive"):
        await run_within(ctx, action, args, budget=budget)


async def _until_answered(sandbox: SandboxHandle, method: str, path: str, attempts: int = 200) -> None:
    """Wait until the sandbox has answered a request (so it cannot land in the next test's estate)."""
    for _ in range(attempts):
        if mutating_statuses(sandbox, method, path):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the sandbox never answered the {method} {path}")
