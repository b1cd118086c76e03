"""app-restart against the sandbox: the contract (a restart followed to its end), function apps, stopped apps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from actions.context import ActionContext
from actions.params import resolve_all
from actions.registry import Registry
from actions.runner import run_to_completion
from actions.spec import ActionError, Change, ProgressState
from tests.support.action_contract import ActionCase, ActionContract
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
        changes=(Change("restart", "", "web-prod will restart (unavailable for a few seconds up to a minute)"),),
        title="Restart web-prod",
        current={"state": "Running"},
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

    async def test_a_function_app_restarts_too(
        self, sandbox: SandboxHandle, ctx: ActionContext, registry: Registry
    ) -> None:
        action = registry.get("app-restart")
        assert action is not None
        args = await resolve_all(ctx, action, {"app": "func-dev-jobs"})
        preview = await action.preview(ctx, args)
        assert preview.target == "func-dev-jobs (function app)"
        progress = await run_to_completion(ctx, action, args)
        assert (progress.state, progress.message) == (ProgressState.SUCCEEDED, "func-dev-jobs was restarted.")
        site: Any = await ctx.web(DEV_SUBSCRIPTION_ID).web_apps.get("rg-dev", "func-dev-jobs")
        assert site.last_modified_time_utc != SEEDED

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
