"""The demo estate: subscriptions, resource groups and the resources in them, as mutable state.

Loaded from a compact JSON seed (``sandbox/estate.json``); provider modules render these
objects as ARM JSON. Names are looked up case-insensitively, as ARM does, and keep the
spelling of the seed. Lookups raise :class:`~sandbox.errors.ArmError` 404s shaped like ARM's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sandbox.errors import ArmError

__all__ = [
    "DEFAULT_ESTATE_PATH",
    "AgentPool",
    "Estate",
    "ManagedCluster",
    "ResourceGroup",
    "ScaleSet",
    "Subscription",
    "VirtualMachine",
    "WebSite",
    "load_estate",
    "stable_uuid",
    "utc_timestamp",
]

DEFAULT_ESTATE_PATH = Path(__file__).with_name("estate.json")
"""The seeded demo estate shipped with the sandbox."""

_SEED_TIME = "2026-01-05T09:00:00.000000Z"

_T = TypeVar("_T")


def stable_uuid(*parts: str) -> str:
    """A UUID derived from ``parts``: the same estate always yields the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(p.lower() for p in parts)))


def utc_timestamp(moment: datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp as ARM writes them (``2026-01-05T09:00:00.000000Z``)."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class AgentPool:
    """An AKS agent pool. ``count`` is the node count; with autoscaling the autoscaler owns it."""

    name: str
    mode: str = "User"
    count: int = 1
    vm_size: str = "Standard_D4s_v5"
    os_type: str = "Linux"
    os_sku: str = "Ubuntu"
    max_pods: int = 110
    enable_auto_scaling: bool = False
    min_count: int | None = None
    max_count: int | None = None
    orchestrator_version: str = ""
    provisioning_state: str = "Succeeded"
    power_state: str = "Running"
    node_labels: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ManagedCluster:
    """An AKS managed cluster and its agent pools (keyed by lower-case name, in seed order)."""

    name: str
    location: str
    kubernetes_version: str = "1.32.6"
    power_state: str = "Running"
    provisioning_state: str = "Succeeded"
    sku_tier: str = "Free"
    tags: dict[str, str] = field(default_factory=dict)
    pools: dict[str, AgentPool] = field(default_factory=dict)

    def pool(self, name: str, resource_group: str) -> AgentPool:
        """The pool called ``name`` or a 404."""
        found = self.pools.get(name.lower())
        if found is None:
            raise ArmError.resource_not_found(
                f"Microsoft.ContainerService/managedClusters/{self.name}/agentPools", name, resource_group
            )
        return found


@dataclass
class ScaleSet:
    """A virtual machine scale set; ``capacity`` is ``sku.capacity``."""

    name: str
    location: str
    sku_name: str = "Standard_D2s_v5"
    sku_tier: str = "Standard"
    capacity: int = 1
    upgrade_mode: str = "Manual"
    provisioning_state: str = "Succeeded"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class VirtualMachine:
    """A virtual machine; ``power_state`` is the suffix of its ``PowerState/...`` status code."""

    name: str
    location: str
    vm_size: str = "Standard_D2s_v5"
    os_type: str = "Linux"
    power_state: str = "running"
    provisioning_state: str = "Succeeded"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class WebSite:
    """An App Service site: a web app (``kind`` "app") or a function app (``kind`` "functionapp")."""

    name: str
    location: str
    kind: str = "app"
    state: str = "Running"
    plan: str = ""
    last_modified: str = _SEED_TIME
    restart_count: int = 0
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ResourceGroup:
    """A resource group and the resources the sandbox models, each keyed by lower-case name."""

    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    clusters: dict[str, ManagedCluster] = field(default_factory=dict)
    scale_sets: dict[str, ScaleSet] = field(default_factory=dict)
    vms: dict[str, VirtualMachine] = field(default_factory=dict)
    sites: dict[str, WebSite] = field(default_factory=dict)

    def cluster(self, name: str) -> ManagedCluster:
        """The managed cluster called ``name`` or a 404."""
        return _find(self.clusters, name, "Microsoft.ContainerService/managedClusters", self.name)

    def scale_set(self, name: str) -> ScaleSet:
        """The scale set called ``name`` or a 404."""
        return _find(self.scale_sets, name, "Microsoft.Compute/virtualMachineScaleSets", self.name)

    def vm(self, name: str) -> VirtualMachine:
        """The virtual machine called ``name`` or a 404."""
        return _find(self.vms, name, "Microsoft.Compute/virtualMachines", self.name)

    def site(self, name: str) -> WebSite:
        """The site called ``name`` or a 404."""
        return _find(self.sites, name, "Microsoft.Web/sites", self.name)


@dataclass
class Subscription:
    """A subscription and its resource groups (keyed by lower-case name)."""

    subscription_id: str
    display_name: str
    tenant_id: str
    resource_groups: dict[str, ResourceGroup] = field(default_factory=dict)

    def group(self, name: str) -> ResourceGroup:
        """The resource group called ``name`` or a 404 ``ResourceGroupNotFound``."""
        found = self.resource_groups.get(name.lower())
        if found is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return found


@dataclass
class Estate:
    """Every subscription the sandbox serves (keyed by lower-case id)."""

    subscriptions: dict[str, Subscription] = field(default_factory=dict)

    def subscription(self, subscription_id: str) -> Subscription:
        """The subscription or a 404 ``SubscriptionNotFound``."""
        found = self.subscriptions.get(subscription_id.lower())
        if found is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")
        return found

    def group(self, subscription_id: str, resource_group: str) -> ResourceGroup:
        """The resource group ``resource_group`` of ``subscription_id`` or a 404."""
        return self.subscription(subscription_id).group(resource_group)


def _find(table: dict[str, _T], name: str, resource_type: str, resource_group: str) -> _T:
    found = table.get(name.lower())
    if found is None:
        raise ArmError.resource_not_found(resource_type, name, resource_group)
    return found


def load_estate(path: Path | None = None) -> Estate:
    """Read the seed file (default: :data:`DEFAULT_ESTATE_PATH`) into a fresh :class:`Estate`.

    Raises ``ValueError`` naming the offending entry when the seed is malformed.
    """
    seed_path = path or DEFAULT_ESTATE_PATH
    data = json.loads(Path(seed_path).read_text(encoding="utf-8"))
    try:
        return _parse_estate(data)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{seed_path}: malformed estate seed ({exc!r})") from exc


def _parse_estate(data: dict[str, Any]) -> Estate:
    estate = Estate()
    for sub_data in data["subscriptions"]:
        sub = Subscription(
            subscription_id=sub_data["subscriptionId"],
            display_name=sub_data["displayName"],
            tenant_id=sub_data.get("tenantId", "99999999-9999-9999-9999-999999999999"),
        )
        for rg_data in sub_data.get("resourceGroups", []):
            group = _parse_group(rg_data)
            sub.resource_groups[group.name.lower()] = group
        estate.subscriptions[sub.subscription_id.lower()] = sub
    return estate


def _parse_group(data: dict[str, Any]) -> ResourceGroup:
    location = data["location"]
    tags = dict(data.get("tags", {}))
    group = ResourceGroup(name=data["name"], location=location, tags=tags)

    def common(item: dict[str, Any]) -> dict[str, Any]:
        return {"name": item["name"], "location": item.get("location", location), "tags": dict(item.get("tags", tags))}

    for item in data.get("managedClusters", []):
        cluster = ManagedCluster(
            **common(item),
            kubernetes_version=item.get("kubernetesVersion", "1.32.6"),
            power_state=item.get("powerState", "Running"),
            sku_tier=item.get("skuTier", "Free"),
        )
        for pool_data in item["agentPools"]:
            pool = _parse_pool(pool_data, cluster)
            cluster.pools[pool.name.lower()] = pool
        group.clusters[cluster.name.lower()] = cluster
    for item in data.get("virtualMachineScaleSets", []):
        scale_set = ScaleSet(**common(item), sku_name=item["sku"], capacity=int(item["capacity"]))
        group.scale_sets[scale_set.name.lower()] = scale_set
    for item in data.get("virtualMachines", []):
        vm = VirtualMachine(**common(item), vm_size=item["vmSize"], power_state=item.get("powerState", "running"))
        group.vms[vm.name.lower()] = vm
    for item in data.get("sites", []):
        site = WebSite(**common(item), kind=item.get("kind", "app"), plan=item.get("plan", f"asp-{group.name}"))
        group.sites[site.name.lower()] = site
    return group


def _parse_pool(data: dict[str, Any], cluster: ManagedCluster) -> AgentPool:
    autoscale = bool(data.get("enableAutoScaling", False))
    return AgentPool(
        name=data["name"],
        mode=data.get("mode", "User"),
        count=int(data["count"]),
        vm_size=data.get("vmSize", "Standard_D4s_v5"),
        os_type=data.get("osType", "Linux"),
        enable_auto_scaling=autoscale,
        min_count=data.get("minCount") if autoscale else None,
        max_count=data.get("maxCount") if autoscale else None,
        orchestrator_version=data.get("orchestratorVersion", cluster.kubernetes_version),
        power_state=cluster.power_state,
        node_labels=dict(data.get("nodeLabels", {})),
    )
