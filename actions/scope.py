"""What the actions may touch: the subscriptions and resource groups of the ARM section.

Pure domain: resource ids in, answers or user-facing :class:`~actions.spec.ActionError` s out;
no SDK, no I/O. Today the scope is the configured subscriptions and groups, checked by the
actions themselves; deciding who may do what where becomes the guardrails' job.
"""

from __future__ import annotations

from dataclasses import dataclass

from actions.quoting import quoted, shown
from actions.resource_ids import ResourceId, parse_resource_id
from actions.settings import ArmSettings
from actions.spec import ActionError

__all__ = ["ArmScope"]


@dataclass(frozen=True)
class ArmScope:
    """The subscriptions (lowercase, in configured order) and resource groups (lowercase; empty: all) in scope."""

    subscriptions: tuple[str, ...] = ()
    resource_groups: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, arm: ArmSettings) -> ArmScope:
        """The scope the ARM section configures."""
        return cls(subscriptions=arm.subscriptions, resource_groups=arm.resource_groups)

    def require_subscriptions(self) -> tuple[str, ...]:
        """The subscriptions in scope; raises :class:`ActionError` when none are configured."""
        if not self.subscriptions:
            raise ActionError(
                "No Azure subscriptions are configured for actions. "
                "An administrator must set SWITCHBOARD_SUBSCRIPTIONS."
            )
        return self.subscriptions

    def in_scope(self, resource_id: str | ResourceId) -> bool:
        """Whether a resource id lies inside the configured subscriptions and resource groups."""
        rid = resource_id if isinstance(resource_id, ResourceId) else parse_resource_id(resource_id)
        if rid is None or rid.subscription.lower() not in self.subscriptions:
            return False
        return not self.resource_groups or rid.resource_group.lower() in self.resource_groups

    def ensure_in_scope(self, resource_id: str | ResourceId) -> ResourceId:
        """Parse ``resource_id`` and check it is in scope; raises a user-facing :class:`ActionError`."""
        self.require_subscriptions()
        rid = resource_id if isinstance(resource_id, ResourceId) else parse_resource_id(resource_id)
        if rid is None:
            raise ActionError(
                f"{quoted(resource_id)} is not an Azure resource id. "
                "Give the resource's name, or an id like /subscriptions/…/resourceGroups/…/providers/…."
            )
        if not self.in_scope(rid):
            raise ActionError(
                f"{shown(rid.name)} (resource group {shown(rid.resource_group)}, "
                f"subscription {shown(rid.subscription)}) is outside "
                "what Switchboard may operate on. Pick a resource in the configured subscriptions and resource "
                "groups, or ask the platform team to add this one."
            )
        return rid

    def scope_targets(self) -> list[tuple[str, str | None]]:
        """(subscription, resource group or None for all groups) pairs to list resources in."""
        subscriptions = self.require_subscriptions()
        groups: list[str | None] = sorted(self.resource_groups) or [None]
        return [(sub, group) for sub in subscriptions for group in groups]
