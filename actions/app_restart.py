"""app-restart: restart an App Service web app or a Function app."""

from __future__ import annotations

from typing import Any

from actions.arm import act, read, text_of
from actions.context import ActionContext
from actions.discovery import location_text, resource_choices
from actions.resource_ids import ResourceId
from actions.spec import (
    ActionError,
    Args,
    Change,
    Choice,
    ChoiceList,
    Parameter,
    ParameterError,
    ParamKind,
    Preview,
    Progress,
    ProgressState,
    Scope,
)

__all__ = ["ACTION", "AppRestart", "app_kind", "discover_apps"]

SITE_TYPE = "Microsoft.Web/sites"


def app_kind(site: Any) -> str:
    """``function app`` or ``web app``, from the site's ``kind`` (e.g. ``functionapp,linux``)."""
    return "function app" if "functionapp" in str(getattr(site, "kind", "") or "").lower() else "web app"


async def discover_apps(ctx: ActionContext, args: Args) -> ChoiceList:
    """Web apps and function apps in scope."""

    def to_choice(site: Any) -> Choice:
        return Choice(site.id, site.name, f"{app_kind(site)} · {location_text(site.id)} · {text_of(site.state) or '?'}")

    return await resource_choices(
        ctx,
        what="apps",
        list_in_group=lambda sub, group: ctx.web(sub).web_apps.list_by_resource_group(group),
        list_in_subscription=lambda sub: ctx.web(sub).web_apps.list(),
        to_choice=to_choice,
    )


class AppRestart:
    """Restart a site (``web_apps.restart``): Azure answers once the restart is triggered, so no polling."""

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
            discover=discover_apps,
            resource_type=SITE_TYPE,
        ),
    )
    timeout_seconds = 300.0

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
            changes=(Change("state", state, "restarted"),),
            notes=("The app is unavailable for a few seconds up to a minute while it restarts.",),
        )

    async def start(self, ctx: ActionContext, args: Args) -> Progress:
        """Validate again and restart; done when Azure accepts it."""
        preview = await self.preview(ctx, args)
        rid = self._app_id(ctx, args)
        call = ctx.web(rid.subscription).web_apps.restart(rid.resource_group, rid.name, soft_restart=False)
        return await act(call, target=rid.name, doing="restart", succeeded=f"{preview.target} was restarted.")

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress:
        """A restart finishes in :meth:`start`; there is never anything left to check."""
        rid = self._app_id(ctx, args)
        return Progress(ProgressState.SUCCEEDED, f"{rid.name} was restarted.")


ACTION = AppRestart()
