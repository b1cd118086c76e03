"""Microsoft.Web: sites (web apps, and function apps with ``kind`` "functionapp").

List (subscription / resource group), get, and the POST actions restart, start and stop, which
answer 200 with no body, as App Service does. A restart takes time: App Service answers once it
has accepted it (unless ``synchronous=true``) while the app restarts. The sandbox makes that
visible: the 200 carries ``Azure-AsyncOperation`` and ``Location`` for an operation that runs for
the operation delay (so a restart can be in progress, fail, or never end, like any operation);
the restart is counted and ``lastModifiedTimeUtc`` touched when it succeeds. With
``synchronous=true`` it is done before the 200, which then has no operation headers.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.estate import ResourceGroup, Subscription, WebSite, stable_uuid, utc_timestamp
from sandbox.routing import ArmContext, Router

__all__ = ["NAMESPACE", "register", "render_site"]

NAMESPACE = "Microsoft.Web"
_SUB = "/subscriptions/{subscription}"
_GROUP = _SUB + "/resourceGroups/{group}"
_SITES = "/providers/Microsoft.Web/sites"


def register(router: Router) -> None:
    """Add the web site routes to ``router``."""
    router.add("GET", _SUB + _SITES, list_sites)
    router.add("GET", _GROUP + _SITES, list_sites)
    router.add("GET", _GROUP + _SITES + "/{name}", get_site)
    router.add("POST", _GROUP + _SITES + "/{name}/restart", restart_site)
    router.add("POST", _GROUP + _SITES + "/{name}/start", start_site)
    router.add("POST", _GROUP + _SITES + "/{name}/stop", stop_site)


def render_site(sub: Subscription, group: ResourceGroup, site: WebSite) -> dict[str, Any]:
    """A site as ``GET .../sites/{name}`` returns it."""
    host = f"{site.name}.azurewebsites.net"
    farm = f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}/providers/Microsoft.Web/serverfarms"
    return {
        "id": _site_id(sub, group, site),
        "name": site.name,
        "type": "Microsoft.Web/sites",
        "kind": site.kind,
        "location": site.location,
        "tags": dict(site.tags),
        "properties": {
            "name": site.name,
            "state": site.state,
            "hostNames": [host],
            "repositorySiteName": site.name,
            "usageState": "Normal",
            "enabled": True,
            "enabledHostNames": [host, f"{site.name}.scm.azurewebsites.net"],
            "availabilityState": "Normal",
            "hostNameSslStates": [
                {"name": host, "sslState": "Disabled", "hostType": "Standard"},
                {"name": f"{site.name}.scm.azurewebsites.net", "sslState": "Disabled", "hostType": "Repository"},
            ],
            "serverFarmId": f"{farm}/{site.plan}",
            "reserved": True,
            "lastModifiedTimeUtc": site.last_modified,
            "resourceGroup": group.name,
            "defaultHostName": host,
            "httpsOnly": True,
            "clientAffinityEnabled": False,
            "containerSize": 1536 if site.kind == "functionapp" else 0,
            "customDomainVerificationId": stable_uuid(sub.subscription_id, site.name).replace("-", "").upper(),
            "outboundIpAddresses": "20.50.2.10,20.50.2.11",
            "possibleOutboundIpAddresses": "20.50.2.10,20.50.2.11,20.50.2.12",
            "publicNetworkAccess": "Enabled",
        },
    }


def _locate(ctx: ArmContext) -> tuple[Subscription, ResourceGroup, WebSite]:
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    group = sub.group(ctx.params["group"])
    return sub, group, group.site(ctx.params["name"])


async def list_sites(ctx: ArmContext) -> web.Response:
    """List sites (web and function apps) of a subscription or resource group."""
    sub = ctx.state.estate.subscription(ctx.params["subscription"])
    groups = [sub.group(ctx.params["group"])] if "group" in ctx.params else list(sub.resource_groups.values())
    return web.json_response({"value": [render_site(sub, g, s) for g in groups for s in g.sites.values()]})


async def get_site(ctx: ArmContext) -> web.Response:
    """Get one site."""
    return web.json_response(render_site(*_locate(ctx)))


def _site_id(sub: Subscription, group: ResourceGroup, site: WebSite) -> str:
    return f"/subscriptions/{sub.subscription_id}/resourceGroups/{group.name}{_SITES}/{site.name}"


async def restart_site(ctx: ArmContext) -> web.Response:
    """Restart a site: 200, no body, with the restart's operation headers (see the module docstring)."""
    sub, group, site = _locate(ctx)
    resource_id = _site_id(sub, group, site)

    def restarted() -> None:
        site.restart_count += 1
        site.last_modified = utc_timestamp()

    if (ctx.query("synchronous") or "").lower() == "true":
        ctx.state.operations.ensure_idle(resource_id)
        restarted()
        return web.Response(status=200)
    operation = ctx.begin_operation(
        lock_key=resource_id,
        resource_id=resource_id,
        action="Restart",
        namespace=NAMESPACE,
        location=site.location,
        on_success=restarted,
        on_end_without_success=lambda: None,
    )
    return ctx.accepted(operation, status=200)


async def start_site(ctx: ArmContext) -> web.Response:
    """Start a site: 200, no body; its state becomes "Running" (409 while it restarts)."""
    sub, group, site = _locate(ctx)
    ctx.state.operations.ensure_idle(_site_id(sub, group, site))
    site.state = "Running"
    site.last_modified = utc_timestamp()
    return web.Response(status=200)


async def stop_site(ctx: ArmContext) -> web.Response:
    """Stop a site: 200, no body; its state becomes "Stopped" (409 while it restarts)."""
    sub, group, site = _locate(ctx)
    ctx.state.operations.ensure_idle(_site_id(sub, group, site))
    site.state = "Stopped"
    site.last_modified = utc_timestamp()
    return web.Response(status=200)
