"""Administration is scoped: managing grants, approvers and freezes needs an admin grant covering the scope.

An admin of ``/subscriptions/S/resourceGroups/rg-dev`` may grant, revoke, name approvers and
declare freezes on ``rg-dev`` and anything inside it, and nothing else: not ``rg-prod``, not the
subscription. The first admin (on ``/``) is bootstrapped from the command line.
"""

from __future__ import annotations

from datetime import datetime

from guardrails.decision import PolicySnapshot
from guardrails.records import Actor, Grant, GrantKind
from guardrails.scopes import covers, is_valid_scope, scope_depth

__all__ = ["administering_grant", "can_administer"]


def administering_grant(actor: Actor, scope: str, snapshot: PolicySnapshot, now: datetime) -> Grant | None:
    """The actor's (or their groups') active admin grant whose scope covers ``scope`` — the most specific — or None.

    ``snapshot.grants`` holds the actor's grants. An invalid ``scope`` is administered by nobody.
    """
    if not actor.identified or not is_valid_scope(scope):
        return None
    principals = actor.principals
    held = [
        g
        for g in snapshot.grants
        if g.kind is GrantKind.ADMIN and g.principal in principals and g.active_at(now) and covers(g.scope, scope)
    ]
    if not held:
        return None
    return min(held, key=lambda g: (-scope_depth(g.scope), g.id))


def can_administer(actor: Actor, scope: str, snapshot: PolicySnapshot, now: datetime) -> bool:
    """Whether the actor may manage grants, approver rules and freezes on ``scope`` (and everything under it)."""
    return administering_grant(actor, scope, snapshot, now) is not None
