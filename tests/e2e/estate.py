"""What the platform looks like after a journey: the e2e stack's ARM sandbox, read over plain HTTP.

The journeys assert what a user sees in the page *and* what really happened in the platform.
This client reads resources through the sandbox's ARM surface (a GET with a bearer token, as any
client would) and drives its admin API (``/_sandbox/``: reset, faults, request log). It imports
nothing of Switchboard, so a fact it reports is never computed by the code under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["ARM_WRITE_METHODS", "DEV", "PROD", "EstateClient", "ResourceGroup"]

ARM_WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
"""Methods that change something in ARM (a GET or HEAD only reads)."""

_API_VERSION = "2024-05-01"  # the sandbox accepts any api-version; ARM requires one
_TOKEN = "e2e-journeys"  # the sandbox only checks that a bearer token is present


@dataclass(frozen=True)
class ResourceGroup:
    """A resource group of the sandbox's demo estate (``sandbox/estate.json``)."""

    subscription_id: str
    name: str

    @property
    def path(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


DEV = ResourceGroup("11111111-1111-1111-1111-111111111111", "rg-dev")
"""platform-dev / rg-dev: aks-dev (np1 has 2 nodes), build-agent-1..3 (running, running, deallocated)."""
PROD = ResourceGroup("22222222-2222-2222-2222-222222222222", "rg-prod")
"""platform-prod / rg-prod: aks-prod (np1 has 3 nodes), jump-prod (running), web-prod."""


class EstateClient:
    """The sandbox at ``base_url``: its resources (ARM reads) and its admin API.

    Every method raises ``RuntimeError`` with the sandbox's answer when it answers an error status.
    """

    def __init__(self, base_url: str, session: aiohttp.ClientSession, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    # ------------------------------------------------------------------ admin API
    async def reset(self) -> None:
        """Reseed the demo estate; clear faults, operations and the request log."""
        await self._request("POST", "/_sandbox/reset")

    async def inject_fault(self, **spec: Any) -> str:
        """Add a fault rule (see ``sandbox/faults.py``: ``method``, ``path_contains``, ``status``,
        ``operation_status``, ``times`` …); returns its id."""
        return str((await self._request("POST", "/_sandbox/faults", spec))["id"])

    async def fault_hits(self, fault_id: str) -> int:
        """How many ARM requests the rule ``fault_id`` has affected."""
        faults = (await self._request("GET", "/_sandbox/faults"))["faults"]
        return next(int(fault["hits"]) for fault in faults if fault["id"] == fault_id)

    async def writes(self) -> list[dict[str, Any]]:
        """The recorded ARM requests that change something (PUT, PATCH, POST, DELETE), oldest first:
        ``{"method", "path", "query", "status", "fault", "time"}``."""
        recorded = (await self._request("GET", "/_sandbox/requests"))["requests"]
        return [entry for entry in recorded if str(entry["method"]).upper() in ARM_WRITE_METHODS]

    # ------------------------------------------------------------------ ARM reads
    async def node_pool(self, group: ResourceGroup, cluster: str, pool: str) -> dict[str, Any]:
        """The agent pool resource as ARM returns it (``properties.count``, ``properties.provisioningState``)."""
        path = f"{group.path}/providers/Microsoft.ContainerService/managedClusters/{cluster}/agentPools/{pool}"
        return dict(await self._arm(path))

    async def node_count(self, group: ResourceGroup, cluster: str, pool: str) -> int:
        """The node pool's current node count."""
        return int((await self.node_pool(group, cluster, pool))["properties"]["count"])

    async def vm_power_state(self, group: ResourceGroup, vm: str) -> str:
        """The VM's power state from its instance view: ``running``, ``deallocated``, ``deallocating`` …"""
        path = f"{group.path}/providers/Microsoft.Compute/virtualMachines/{vm}/instanceView"
        statuses = (await self._arm(path)).get("statuses", [])
        codes = [str(status.get("code", "")) for status in statuses]
        power = [code.split("/", 1)[1] for code in codes if code.startswith("PowerState/")]
        if not power:
            raise RuntimeError(f"no PowerState in the instance view of {vm}: {codes}")
        return power[0]

    async def _arm(self, path: str) -> Mapping[str, Any]:
        headers = {"Authorization": f"Bearer {_TOKEN}"}
        return dict(await self._request("GET", path, params={"api-version": _API_VERSION}, headers=headers))

    async def _request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        async with self._session.request(
            method, self.base_url + path, json=payload, params=params, headers=headers, timeout=self._timeout
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise RuntimeError(f"ARM sandbox {method} {path} answered {response.status}: {text[:500]}")
            return await response.json(content_type=None) if text else {}
