"""Azure resource ids: parse, compare and build them without importing any Azure SDK.

``/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{child type}/{child name}]``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ResourceId", "parse_resource_id"]

_PATTERN = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/(?P<ns>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)"
    r"(?:/(?P<child_type>[^/]+)/(?P<child_name>[^/]+))?/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResourceId:
    """The parts of an ARM resource id (a top-level resource, optionally one child)."""

    subscription: str
    resource_group: str
    namespace: str
    type: str
    name: str
    child_type: str | None = None
    child_name: str | None = None

    @property
    def resource_type(self) -> str:
        """``Namespace/type`` of the top-level resource, e.g. ``Microsoft.Compute/virtualMachines``."""
        return f"{self.namespace}/{self.type}"

    @property
    def parent_id(self) -> str:
        """The id of the top-level resource (the resource itself when it has no child part)."""
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{self.namespace}/{self.type}/{self.name}"
        )

    def __str__(self) -> str:
        if self.child_type and self.child_name:
            return f"{self.parent_id}/{self.child_type}/{self.child_name}"
        return self.parent_id

    def child(self, child_type: str, child_name: str) -> ResourceId:
        """The id of a child resource, e.g. ``cluster.child("agentPools", "np1")``."""
        return ResourceId(
            self.subscription, self.resource_group, self.namespace, self.type, self.name, child_type, child_name
        )

    def is_type(self, resource_type: str) -> bool:
        """Case-insensitive comparison of the top-level ``Namespace/type``."""
        return self.resource_type.lower() == resource_type.lower()


def parse_resource_id(value: str) -> ResourceId | None:
    """Parse an ARM resource id; None when ``value`` is not one."""
    match = _PATTERN.match(value.strip())
    if match is None:
        return None
    return ResourceId(
        subscription=match["sub"].lower(),
        resource_group=match["rg"],
        namespace=match["ns"],
        type=match["type"],
        name=match["name"],
        child_type=match["child_type"],
        child_name=match["child_name"],
    )
