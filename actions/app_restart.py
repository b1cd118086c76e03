"""app-restart: restart an App Service web app or a Function app.

``POST …/sites/{name}/restart`` answers once Azure has accepted the restart. When the answer
carries an ``Azure-AsyncOperation`` (or ``Location``) header, the restart is still in progress
and is followed like any long-running ARM operation: ``start`` returns ``RUNNING`` with a
continuation token, ``poll`` checks its status once, and a restart that fails, whose status
checks fail, or that never completes ends ``FAILED`` / ``TIMED_OUT`` like every other action.
An answer without those headers means the restart is done (``SUCCEEDED`` at once).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from actions.arm import begin, read, resume, text_of
from actions.context import ActionContext
from actions.discovery import location_text, resource_choices
from actions.phrases import RESTART
from actions.resource_ids import ResourceId
from actions.spec import (
    ActionError,
    Args,
    Change,
    Choice,
    ChoiceList,
    NotUndoable,
    Parameter,
    ParameterError,
    ParamKind,
    Phrasing,
    Precondition,
    Preview,
    Progress,
    Scope,
    fill_title,
)

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.polling import AsyncLROPoller
    from azure.mgmt.web.aio import WebSiteManagementClient

__all__ = ["ACTION", "AppRestart", "app_kind", "discover_apps"]

SITE_TYPE = "Microsoft.Web/sites"


def app_kind(site: Any) -> str:
    """``function app`` or ``web app``, from the site's ``kind`` (e.g. ``functionapp,linux``)."""
    return "function app" if "functionapp" in str(getattr(site, "kind", "") or "").lower() else "web app"


async def discover_apps(ctx: ActionContext, args: Args) -> ChoiceList:
    """Web apps and function apps in scope."""

    def to_choice(site: Any) -> Choice:
        state = text_of(site.state)
        return Choice(site.id, site.name, f"{app_kind(site)} · {location_text(site.id)} · {state or '?'}",
                      state=state.lower())

    return await resource_choices(
        ctx,
        what="apps",
        list_in_group=lambda sub, group: ctx.web(sub).web_apps.list_by_resource_group(group),
        list_in_subscription=lambda sub: ctx.web(sub).web_apps.list(),
        to_choice=to_choice,
    )


def _no_result(_pipeline_response: Any) -> None:
    return None


async def _restart_poller(
    client: WebSiteManagementClient, rid: ResourceId, continuation_token: str | None = None
) -> AsyncLROPoller[None]:
    """A poller following the restart of site ``rid``: sends the restart request, or (with
    ``continuation_token``) resumes following an earlier one without sending anything.

    ``web_apps.restart`` is not declared long-running in the SDK, so its poller is built here
    the way the SDK's own ``begin_*`` methods build theirs (its pipeline and polling interval,
    azure-mgmt-core's ``AsyncARMPolling``). Raises the SDK's ``HttpResponseError`` s.
    """
    from azure.core.polling import AsyncLROPoller
    from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling

    operations: Any = client.web_apps
    pipeline = operations._client  # the SDK's ARM pipeline client, as its begin_* methods use it
    polling = AsyncARMPolling(operations._config.polling_interval)
    if continuation_token is not None:
        return AsyncLROPoller.from_continuation_token(
            polling_method=polling, continuation_token=continuation_token, client=pipeline,
            deserialization_callback=_no_result,
        )  # fmt: skip
    initial = await operations.restart(
        rid.resource_group, rid.name, soft_restart=False, cls=lambda response, _body, _headers: response
    )
    return AsyncLROPoller(pipeline, initial, _no_result, polling)


class AppRestart:
    name = "app-restart"
    aliases = ("restart app", "restart web app", "restart webapp", "restart function app", "restart function")
    summary = "Restart an App Service web app or a Function app."
    help = (
        "Restarts every instance of a web app or function app (a full restart, not a soft one). The app is "
        "unavailable for a few seconds up to a minute while it starts again. A stopped app stays stopped."
    )
    usage = "{app}"
    examples = ("restart app web-prod", "app-restart app=func-orders")
    parameters = (
        Parameter(
            "app",
            ParamKind.RESOURCE,
            "Which app?",
            description="a web app or function app, by name or resource id",
            label="App",
            discover=discover_apps,
            resource_type=SITE_TYPE,
        ),
    )
    timeout_seconds = 300.0
    phrasing = Phrasing("restart app", RESTART)
    preconditions = (Precondition("app", ("running",), {"stopped": "stopped — a restart would not start it"}),)
    change_title = "Restart {app}"
    risk_rules = ()
    arm_operations = (
        "Microsoft.Web/sites/read",  # discovery, the app's state
        "Microsoft.Web/sites/restart/action",
        "Microsoft.Web/locations/operations/read",  # a restart Azure reports in progress: its status ...
        "Microsoft.Web/locations/operationresults/read",  # ... and its result
    )
    undo = NotUndoable("a restart cannot be taken back")

    def scope(self, args: Args) -> Scope:
        """Permission needed: this action on the app."""
        return Scope(self.name, str(args["app"]))

    def _app_id(self, ctx: ActionContext, args: Args) -> ResourceId:
        rid = ctx.ensure_in_scope(str(args["app"]))
        if not rid.is_type(SITE_TYPE) or rid.child_type:
            raise ParameterError("app", f"{rid.name} is not a web app or function app. Choose an app.")
        return rid

    async def preview(self, ctx: ActionContext, args: Args) -> Preview:
        """The app's state → restarted; refused for a stopped app."""
        rid = self._app_id(ctx, args)
        site = await read(ctx.web(rid.subscription).web_apps.get(rid.resource_group, rid.name), f"app {rid.name}")
        state = text_of(site.state) or "Unknown"
        if state.lower() == "stopped":
            raise ActionError(f"{rid.name} is stopped: a restart would not start it. Start the app first.")
        return Preview(
            target=f"{rid.name} ({app_kind(site)})",
            resource_id=str(rid),
            changes=(Change("restart", "", f"{rid.name} will restart (unavailable for a few seconds up to a minute)"),),
            title=fill_title(self, {"app": rid.name}, {"state": state}),
            before={"state": state},
        )

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and restart; ``RUNNING`` (with a token) while Azure reports it in progress."""
        await self.preview(ctx, args)
        rid = self._app_id(ctx, args)
        return await begin(_restart_poller(ctx.web(rid.subscription), rid), **self._messages(rid))

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """Check the restart once, from its continuation token."""
        rid = self._app_id(ctx, args)
        call: Awaitable[AsyncLROPoller[None]] = _restart_poller(ctx.web(rid.subscription), rid, continuation_token)
        return await resume(call, **self._messages(rid))

    @staticmethod
    def _messages(rid: ResourceId) -> dict[str, str]:
        return {
            "target": rid.name,
            "doing": "restart",
            "running": f"Restarting {rid.name}…",
            "succeeded": f"{rid.name} was restarted.",
        }


ACTION = AppRestart()
