"""The contract every action meets, run against the ARM sandbox through the real SDKs.

Each action's test module subclasses :class:`ActionContract` with an :class:`ActionCase`
describing its happy path (which the undo check runs and then undoes), how to read the changed
state, the request to inject faults into,
and its invalid / outside-scope / not-found inputs; then adds its own specific tests.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from actions.context import ActionContext
from actions.params import parse_command, resolve_all
from actions.registry import Registry
from actions.runner import poll_until_done, run_to_completion, run_within
from actions.spec import (
    Action,
    ActionError,
    ArgValue,
    Change,
    NotUndoable,
    ParameterError,
    ProgressState,
    RiskKind,
    undo_of,
)
from actions.undo import RefusalKind, UndoPlan, UndoRefusal, plan_undo
from tests.support.arm_operations import arm_operation
from tests.support.arm_sandbox import LONG_OPERATION, SandboxHandle

ReadState = Callable[[ActionContext, SandboxHandle], Awaitable[Any]]


@dataclass(frozen=True)
class ActionCase:
    """What the contract needs to know about one action."""

    command: str  # the happy path, as a user types it
    changes: tuple[Change, ...]  # the preview's figures for it
    title: str  # the preview's title for it, e.g. "Scale aks-prod / np1: 3 → 5 nodes"
    current: Mapping[str, ArgValue]  # the preview's ``before``: the raw current values it replaces
    read_state: ReadState  # reads the state the action changes (through the SDK, or the sandbox's records)
    before: Any
    after: Any
    target: str  # how messages name the target, e.g. "aks-prod / node pool np1"
    fault_method: str  # the mutating request, for fault injection
    fault_path: str
    outside_scope: Mapping[str, ArgValue]  # resolved-form args naming a resource in rg-platform-core
    not_found: Mapping[str, ArgValue]  # resolved-form args naming a missing resource in scope
    not_found_parameter: str
    not_found_text: str  # part of the message preview gives for it
    invalid: tuple[tuple[Mapping[str, ArgValue], str], ...]  # (raw args, parameter the error names)
    preview_target: str = ""  # the preview's target when it differs from ``target``
    risks: tuple[RiskKind, ...] = ()  # the risks the happy path is flagged with


def status_checks(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    """The recorded status checks of long-running operations (``GET …/operations/{id}``)."""
    return [r for r in sandbox.requests() if r["method"] == "GET" and "/operations/" in r["path"].lower()]


def mutating_statuses(sandbox: SandboxHandle, method: str, path: str) -> list[int]:
    """Statuses of the recorded requests with this method whose path contains ``path``."""
    return [
        r["status"] for r in sandbox.requests() if r["method"] == method and path.lower() in r["path"].lower()
    ]


class ActionContract:
    """Tests every action passes. Subclasses set ``case``."""

    case: ClassVar[ActionCase]

    async def resolved(self, ctx: ActionContext, registry: Registry) -> tuple[Action, dict[str, ArgValue]]:
        command = parse_command(registry, self.case.command)
        return command.action, await resolve_all(ctx, command.action, command.args)

    async def test_preview_shows_current_and_desired(self, ctx: ActionContext, registry: Registry) -> None:
        action, args = await self.resolved(ctx, registry)
        preview = await action.preview(ctx, args)
        assert preview.changes == self.case.changes
        assert not preview.no_op
        assert preview.target == (self.case.preview_target or self.case.target)
        assert preview.title == self.case.title
        assert dict(preview.before) == dict(self.case.current)
        assert tuple(risk.kind for risk in preview.risks) == self.case.risks

    async def test_happy_path_changes_the_resource(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        assert await self.case.read_state(ctx, sandbox) == self.case.before
        progress = await run_to_completion(ctx, action, args)
        assert progress.state is ProgressState.SUCCEEDED, progress.message
        assert await self.case.read_state(ctx, sandbox) == self.case.after

    async def test_resumes_from_its_token_in_a_fresh_context(
        self, sandbox: SandboxHandle, make_context: Callable[..., ActionContext], registry: Registry
    ) -> None:
        sandbox.set_operation_delay(LONG_OPERATION)  # in progress until the test ends it, however slow the machine
        first = make_context()
        action, args = await self.resolved(first, registry)
        started = await action.start(first, args)
        await first.close()
        assert started.state is ProgressState.RUNNING
        assert started.continuation_token
        second = make_context()  # another "process": new credential, new clients, only the token carried over
        checks_before = len(status_checks(sandbox))
        checked = await action.poll(second, args, started.continuation_token)
        assert checked.state is ProgressState.RUNNING  # it did not wait for the end ...
        assert len(status_checks(sandbox)) == checks_before + 1  # ... it checked the status once
        assert sandbox.finish_operations() == 1
        done = await poll_until_done(second, action, args, checked, timeout=LONG_OPERATION)
        assert done.state is ProgressState.SUCCEEDED, done.message
        assert await self.case.read_state(second, sandbox) == self.case.after

    async def test_declares_exactly_the_arm_operations_it_performs(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        # The deployment's custom role is generated from ``arm_operations``: an operation missing
        # from it would be refused in Azure (403), one declared but never used would widen the role.
        action, args = await self.resolved(ctx, registry)
        for parameter in action.parameters:
            if parameter.discover is not None:
                await parameter.discover(ctx, args)
        progress = await run_to_completion(ctx, action, args)
        assert progress.state is ProgressState.SUCCEEDED, progress.message
        performed = {arm_operation(r["method"], r["path"]).lower() for r in sandbox.requests()}
        declared = {operation.lower() for operation in action.arm_operations}
        assert len(declared) == len(action.arm_operations), "an operation is declared twice"
        assert performed - declared == set(), "performed but not declared (the role would refuse them)"
        assert declared - performed == set(), "declared but never performed (the role would be wider than needed)"

    async def test_invalid_and_out_of_range_parameters(self, ctx: ActionContext, registry: Registry) -> None:
        action = parse_command(registry, self.case.command).action
        for raw, parameter in self.case.invalid:
            with pytest.raises(ParameterError) as caught:
                await resolve_all(ctx, action, raw)
            assert caught.value.parameter == parameter, caught.value.message
            assert caught.value.message

    async def test_outside_the_configured_scope_is_refused_before_any_call(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action = parse_command(registry, self.case.command).action
        with pytest.raises(ParameterError, match="outside what Switchboard may operate on"):
            await resolve_all(ctx, action, self.case.outside_scope)
        with pytest.raises(ActionError, match="outside what Switchboard may operate on"):
            await action.preview(ctx, self.case.outside_scope)
        with pytest.raises(ActionError, match="outside what Switchboard may operate on"):
            await action.start(ctx, self.case.outside_scope)
        assert not [r for r in sandbox.requests() if "rg-platform-core" in r["path"].lower()]

    async def test_not_found(self, ctx: ActionContext, registry: Registry) -> None:
        action = parse_command(registry, self.case.command).action
        with pytest.raises(ParameterError) as caught:
            await resolve_all(ctx, action, self.case.not_found)
        assert caught.value.parameter == self.case.not_found_parameter
        with pytest.raises(ActionError, match=self.case.not_found_text):
            await action.preview(ctx, self.case.not_found)

    async def test_throttling_is_retried_then_succeeds(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(
            method=self.case.fault_method, path_contains=self.case.fault_path, status=429, retry_after=0, times=1
        )
        progress = await run_to_completion(ctx, action, args)
        assert progress.state is ProgressState.SUCCEEDED, progress.message
        statuses = mutating_statuses(sandbox, self.case.fault_method, self.case.fault_path)
        assert statuses[0] == 429
        assert 200 <= statuses[1] < 300
        assert await self.case.read_state(ctx, sandbox) == self.case.after

    async def test_conflict_is_a_clear_message(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(method=self.case.fault_method, path_contains=self.case.fault_path, status=409, times=1)
        with pytest.raises(ActionError) as caught:
            await action.start(ctx, args)
        assert caught.value.message == (
            f"Another operation is running on {self.case.target}; try again when it finishes."
        )
        assert await self.case.read_state(ctx, sandbox) == self.case.before

    async def test_server_errors_after_retries_fail_with_a_reference(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(
            method=self.case.fault_method, path_contains=self.case.fault_path, status=500, times=None
        )
        progress = await action.start(ctx, args)
        assert progress.state is ProgressState.FAILED
        assert "Reference" in progress.message
        assert "fault injected" not in progress.message.lower()  # the error text is logged, not shown
        assert progress.details["reference"] in progress.message
        attempts = mutating_statuses(sandbox, self.case.fault_method, self.case.fault_path)
        assert attempts == [500] * (ctx.options.retry_total + 1)
        assert await self.case.read_state(ctx, sandbox) == self.case.before

    async def test_status_check_failures_leave_the_outcome_unknown_with_a_reference(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        # The operation was accepted; only the question "how is it going?" failed. That is not a
        # failure of the operation (it goes on in Azure): the answer is UNKNOWN, never FAILED.
        action, args = await self.resolved(ctx, registry)
        sandbox.set_operation_delay(LONG_OPERATION)
        started = await action.start(ctx, args)
        assert started.continuation_token
        sandbox.inject_fault(method="GET", path_contains="/operations/", status=500, times=None)
        progress = await action.poll(ctx, args, started.continuation_token)
        assert progress.state is ProgressState.UNKNOWN
        assert f"(reference {progress.details['reference']})" in progress.message
        assert f"Check {self.case.target} before trying again." in progress.message
        assert "fault injected" not in progress.message.lower()
        assert [op["status"] for op in sandbox.operations()] == ["InProgress"]  # still going on in Azure

    async def test_a_status_check_failure_ends_the_wait_unknown_and_resumable(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.set_operation_delay(5)
        sandbox.inject_fault(method="GET", path_contains="/operations/", status=500, times=None)
        progress = await run_within(ctx, action, args, budget=30)
        assert progress.state is ProgressState.UNKNOWN
        assert progress.continuation_token  # the later worker can still ask again
        sandbox.clear_faults()
        assert (await action.poll(ctx, args, progress.continuation_token)).state is ProgressState.RUNNING

    async def test_an_operation_that_fails_in_azure_ends_failed(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(
            method=self.case.fault_method, path_contains=self.case.fault_path, operation_status="Failed", times=1
        )
        progress = await run_to_completion(ctx, action, args)
        assert progress.state is ProgressState.FAILED
        assert progress.message.startswith("Azure could not ")
        assert f"{self.case.target} (SandboxInjectedFailure). Reference " in progress.message
        assert await self.case.read_state(ctx, sandbox) == self.case.before

    async def test_an_operation_that_never_completes_times_out(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.never_complete(True)
        began = time.monotonic()
        progress = await run_to_completion(ctx, action, args, timeout=0.3)
        assert progress.state is ProgressState.TIMED_OUT  # the operation never ends: only the limit ends the wait
        assert progress.continuation_token  # still resumable later
        assert time.monotonic() - began >= 0.3
        assert "did not finish within 0.3 seconds" in progress.message

    async def test_its_undo_sets_back_the_values_before_or_it_says_why_it_cannot_be_undone(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        # Run the happy path, plan its undo from the recorded before-values and a fresh preview, send
        # the plan through the typed-command path (command text -> parse -> resolve), run it, preview.
        action, args = await self.resolved(ctx, registry)
        rule = undo_of(action)
        before = dict((await action.preview(ctx, args)).before)
        progress = await run_to_completion(ctx, action, args)
        assert progress.state is ProgressState.SUCCEEDED, progress.message
        if isinstance(rule, NotUndoable):
            assert rule.reason.strip()
            assert not rule.reason.endswith(".")
            refusal = plan_undo(registry, action.name, args, before, before)
            assert isinstance(refusal, UndoRefusal)
            assert refusal.kind is RefusalKind.NOT_UNDOABLE
            assert rule.reason in refusal.reason
            return
        current = dict((await action.preview(ctx, args)).before)
        assert current != before  # the run changed what the preview reads
        plan = plan_undo(registry, action.name, args, before, current)
        assert isinstance(plan, UndoPlan), plan
        assert plan.action.name == rule.action
        parsed = parse_command(registry, plan.command_text())
        assert parsed.action is plan.action
        assert parsed.args == dict(plan.args)
        undo_args = await resolve_all(ctx, parsed.action, parsed.args)
        undo_preview = await parsed.action.preview(ctx, undo_args)
        assert not undo_preview.no_op
        assert dict(undo_preview.before) == current  # it reads the same values, keyed the same way
        undone = await run_to_completion(ctx, parsed.action, undo_args)
        assert undone.state is ProgressState.SUCCEEDED, undone.message
        assert dict((await action.preview(ctx, args)).before) == before
        assert await self.case.read_state(ctx, sandbox) == self.case.before
