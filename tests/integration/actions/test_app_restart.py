"""app-restart against the sandbox: the contract (a restart completes in one request), function apps, stopped apps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from action_contract import ActionCase, ActionContract

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.runner import run_to_completion, run_within
from actions.spec import ActionError, Change, ProgressState
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

SITES = "providers/Microsoft.Web/sites"
WEB_PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod/{SITES}/web-prod"
CORE_APP = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-platform-core/{SITES}/core-app"
SEEDED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def web_prod_restarted(ctx: ActionContext, sandbox: SandboxHandle) -> bool:
    """Whether web-prod changed since the seed (App Service touches lastModifiedTimeUtc on a restart)."""
    site: Any = await ctx.web(PROD_SUBSCRIPTION_ID).web_apps.get("rg-prod", "web-prod")
    return bool(site.last_modified_time_utc != SEEDED)


class TestAppRestart(ActionContract):
    case = ActionCase(
        command="restart app web-prod",
        changes=(Change("state", "Running", "restarted"),),
        read_state=web_prod_restarted,
        before=False,
        after=True,
        target="web-prod",
        preview_target="web-prod (web app)",
        fault_method="POST",
        fault_path="/sites/web-prod/restart",
        outside_scope={"app": CORE_APP},
        not_found={"app": WEB_PROD.replace("web-prod", "web-ghost")},
        not_found_parameter="app",
        not_found_text="app web-ghost was not found",
        invalid=(({}, "app"), ({"app": "web-prd"}, "app"), ({"app": "vmss-web"}, "app")),
    )

    # A restart completes in its one request: there is no token to resume, nothing to poll or time out.

    async def test_resumes_from_its_token_in_a_fresh_context(
        self, sandbox: SandboxHandle, make_context: Callable[[], ActionContext], registry: Registry
    ) -> None:
        first = make_context()
        action, args = await self.resolved(first, registry)
        started = await action.start(first, args)
        assert started.state is ProgressState.SUCCEEDED
        assert started.continuation_token is None
        polled = await action.poll(make_context(), args, "no-token")
        assert polled.state is ProgressState.SUCCEEDED
        assert await web_prod_restarted(first, sandbox)

    async def test_status_check_failures_leave_the_outcome_unknown_with_a_reference(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(method="GET", path_contains="/operations/", status=500, times=None)
        assert (await action.start(ctx, args)).state is ProgressState.SUCCEEDED  # no status checks at all

    async def test_a_status_check_failure_ends_the_wait_unknown_and_resumable(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(method="GET", path_contains="/operations/", status=500, times=None)
        progress = await run_within(ctx, action, args, budget=30)
        assert progress.state is ProgressState.SUCCEEDED  # a restart is done when Azure answers: nothing to check
        assert await web_prod_restarted(ctx, sandbox)

    async def test_an_operation_that_fails_in_azure_ends_failed(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.inject_fault(method="POST", path_contains="/sites/web-prod/restart", status=503, times=None)
        progress = await action.start(ctx, args)
        assert progress.state is ProgressState.FAILED
        assert progress.message.startswith("Azure could not restart web-prod. Reference ")

    async def test_an_operation_that_never_completes_times_out(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action, args = await self.resolved(ctx, registry)
        sandbox.never_complete(True)
        progress = await run_to_completion(ctx, action, args, timeout=0.3)
        assert progress.state is ProgressState.SUCCEEDED

    async def test_a_function_app_restarts_too(self, ctx: ActionContext, registry: Registry) -> None:
        action = registry.get("app-restart")
        assert action is not None
        args = await resolve_all(ctx, action, {"app": "func-dev-jobs"})
        preview = await action.preview(ctx, args)
        assert preview.target == "func-dev-jobs (function app)"
        progress = await action.start(ctx, args)
        assert progress.message == "func-dev-jobs (function app) was restarted."

    async def test_a_stopped_app_is_not_restarted(self, ctx: ActionContext, registry: Registry) -> None:
        await ctx.web(DEV_SUBSCRIPTION_ID).web_apps.stop("rg-dev", "web-dev")
        action = registry.get("app-restart")
        assert action is not None
        args = await resolve_all(ctx, action, {"app": "web-dev"})
        with pytest.raises(ActionError, match="web-dev is stopped: a restart would not start it"):
            await action.preview(ctx, args)

    async def test_apps_are_listed_with_their_kind(self, ctx: ActionContext, registry: Registry) -> None:
        from actions.params import choices

        action = registry.get("app-restart")
        assert action is not None
        listed = await choices(ctx, action, "app", {})
        kinds = {c.title: c.description.split(" · ")[0] for c in listed.choices}
        assert kinds == {
            "func-dev-jobs": "function app",
            "func-orders": "function app",
            "web-dev": "web app",
            "web-prod": "web app",
        }
