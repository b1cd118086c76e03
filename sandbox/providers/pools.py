"""Agent pool PUT validation: what the pool will look like once the operation succeeds.

Rules (after AKS): ``count`` is 0..1000 for User pools and 1..1000 for System pools; with
autoscaling, ``minCount <= maxCount`` in the same ranges and the autoscaler owns ``count`` (a
``count`` in the request is accepted but the node count only moves into [minCount, maxCount]);
``vmSize`` and ``osType`` of an existing pool cannot change; a cluster keeps at least one System
pool. Properties the request omits keep their current values (``powerState`` and
``orchestratorVersion`` in the request are ignored).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sandbox.errors import ArmError
from sandbox.estate import AgentPool, ManagedCluster

__all__ = ["MAX_COUNT", "desired_pool"]

MAX_COUNT = 1000
_MODES = {"system": "System", "user": "User"}


def desired_pool(
    cluster: ManagedCluster, existing: AgentPool | None, name: str, properties: dict[str, Any]
) -> AgentPool:
    """Validate a PUT body's ``properties`` against ``existing``; returns the pool it asks for.

    Raises a 400 :class:`ArmError` naming the offending property.
    """
    base = existing or AgentPool(
        name=name,
        vm_size=str(properties.get("vmSize") or "Standard_D4s_v5"),
        orchestrator_version=cluster.kubernetes_version,
        power_state="Running",
    )
    mode = _mode(properties.get("mode"), base.mode)
    if existing is not None:
        _unchanged(properties, "vmSize", existing.vm_size)
        _unchanged(properties, "osType", existing.os_type)
    floor = 1 if mode == "System" else 0
    autoscale = properties.get("enableAutoScaling")
    autoscale = base.enable_auto_scaling if autoscale is None else bool(autoscale)
    requested_count = _optional_count(properties, "count", floor, mode)

    if autoscale:
        min_count = _optional_count(properties, "minCount", floor, mode)
        max_count = _optional_count(properties, "maxCount", floor, mode)
        min_count = base.min_count if min_count is None else min_count
        max_count = base.max_count if max_count is None else max_count
        if min_count is None or max_count is None:
            raise ArmError.bad_request(
                "minCount and maxCount are required when enableAutoScaling is true.", target="properties.minCount"
            )
        if min_count > max_count:
            raise ArmError.bad_request(
                f"minCount ({min_count}) must be less than or equal to maxCount ({max_count}).",
                target="properties.minCount",
            )
        # The cluster autoscaler owns the node count: only keep it within the new bounds.
        start = base.count if existing is not None else (requested_count if requested_count is not None else min_count)
        count = min(max(start, min_count), max_count)
    else:
        min_count = max_count = None
        count = base.count if requested_count is None else requested_count
        if count < floor:
            raise _count_error("count", count, mode)

    desired = dataclasses.replace(
        base,
        mode=mode,
        count=count,
        enable_auto_scaling=autoscale,
        min_count=min_count,
        max_count=max_count,
    )
    labels = properties.get("nodeLabels")
    if isinstance(labels, dict):
        desired.node_labels = {str(k): str(v) for k, v in labels.items()}
    tags = properties.get("tags")
    if isinstance(tags, dict):
        desired.tags = {str(k): str(v) for k, v in tags.items()}
    _keep_a_system_pool(cluster, name, mode)
    return desired


def _mode(value: Any, current: str) -> str:
    if value is None:
        return current
    mode = _MODES.get(str(value).lower())
    if mode is None:
        raise ArmError.bad_request(
            f"The value '{value}' of property 'mode' is invalid; use 'System' or 'User'.", target="properties.mode"
        )
    return mode


def _unchanged(properties: dict[str, Any], key: str, current: str) -> None:
    value = properties.get(key)
    if value is not None and str(value).lower() != current.lower():
        raise ArmError.bad_request(
            f"Changing property '{key}' is not allowed (from '{current}' to '{value}'); create a new pool instead.",
            code="PropertyChangeNotAllowed",
            target=f"properties.{key}",
        )


def _optional_count(properties: dict[str, Any], key: str, floor: int, mode: str) -> int | None:
    value = properties.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ArmError.bad_request(f"The value of property '{key}' must be an integer.", target=f"properties.{key}")
    count = int(value)
    if not floor <= count <= MAX_COUNT:
        raise _count_error(key, count, mode)
    return count


def _count_error(key: str, value: int, mode: str) -> ArmError:
    floor = 1 if mode == "System" else 0
    return ArmError.bad_request(
        f"The value {value} of property '{key}' is invalid: a {mode} mode agent pool allows "
        f"{floor} to {MAX_COUNT} nodes.",
        target=f"properties.{key}",
    )


def _keep_a_system_pool(cluster: ManagedCluster, name: str, mode: str) -> None:
    if mode == "System":
        return
    others = [p for key, p in cluster.pools.items() if key != name.lower() and p.mode == "System"]
    if not others:
        raise ArmError.bad_request(
            f"Agent pool '{name}' is the cluster's last System mode pool; a cluster needs at least one.",
            target="properties.mode",
        )
