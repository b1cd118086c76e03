"""Builders of guardrail records for the tests: a small platform with a dev and a prod resource group."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from actions.spec import ArgValue, Change, Preview
from guardrails import (
    Actor,
    ApprovalRequest,
    ApproverRule,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Limits,
    ParameterLimit,
    PolicySnapshot,
    Principal,
    Proposal,
    plan_hash,
)

SUB = "/subscriptions/00000000-0000-0000-0000-0000000000aa"
DEV = f"{SUB}/resourceGroups/rg-dev"
PROD = f"{SUB}/resourceGroups/rg-prod"
PRODUCTION = f"{SUB}/resourceGroups/rg-production"
AKS_PROD = f"{PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod"
POOL = f"{AKS_PROD}/agentPools/np1"
AKS_DEV = f"{DEV}/providers/Microsoft.ContainerService/managedClusters/aks-dev"
DEV_POOL = f"{AKS_DEV}/agentPools/np1"
PRODUCTION_POOL = f"{PRODUCTION}/providers/Microsoft.ContainerService/managedClusters/aks-prod/agentPools/np1"

SCALE = "aks-scale-node-pool"
RESTART = "vm-restart"

ALICE = "aaaaaaaa-0000-0000-0000-000000000001"  # the requester in most tests
BOB = "bbbbbbbb-0000-0000-0000-000000000002"
CAROL = "cccccccc-0000-0000-0000-000000000003"
DAVE = "dddddddd-0000-0000-0000-000000000004"
EVE = "eeeeeeee-0000-0000-0000-000000000005"

NOW = datetime(2024, 6, 5, 10, 0, tzinfo=UTC)  # a Wednesday


def grant(
    grant_id: str,
    scope: str = PROD,
    actions: Iterable[str] = (SCALE,),
    *,
    principal: Principal | None = None,
    mode: GrantMode = GrantMode.AUTO,
    kind: GrantKind = GrantKind.ACTION,
    limits: Limits | None = None,
    expires_at: datetime | None = None,
) -> Grant:
    return Grant(
        id=grant_id,
        principal=principal or Principal.user(ALICE),
        actions=frozenset(actions),
        scope=scope,
        kind=kind,
        mode=mode,
        limits=limits or Limits(),
        expires_at=expires_at,
        created_by=BOB,
        created_at=NOW - timedelta(days=30),
    )


def count_limit(**bounds: int) -> Limits:
    return Limits(parameters={"count": ParameterLimit(**bounds)})


def rule(
    rule_id: str, scope: str = PROD, approvers: Iterable[str] = (BOB, CAROL, DAVE), quorum: int = 1, **kw: object
) -> ApproverRule:
    return ApproverRule(
        id=rule_id,
        scope=scope,
        approvers=frozenset(Principal.user(a) if not a.startswith("group:") else Principal.parse(a) for a in approvers),
        quorum=quorum,
        created_at=NOW - timedelta(days=30),
        **kw,  # type: ignore[arg-type]
    )


def freeze(freeze_id: str, scope: str, starts_at: datetime, ends_at: datetime, reason: str = "release week") -> Freeze:
    return Freeze(id=freeze_id, scope=scope, starts_at=starts_at, ends_at=ends_at, reason=reason, declared_by=BOB)


def proposal(
    resource_id: str = POOL,
    action: str = SCALE,
    args: Mapping[str, ArgValue] | None = None,
    before: Mapping[str, int] | None = None,
    *,
    actor: Actor | None = None,
    break_glass: bool = False,
    reason: str = "",
) -> Proposal:
    return Proposal(
        id="req-1",
        actor=actor or Actor(ALICE, "Alice"),
        action=action,
        resource_id=resource_id,
        args={"count": 5} if args is None else args,
        before={"count": 3} if before is None else before,
        break_glass=break_glass,
        break_glass_reason=reason,
    )


def snapshot(
    *grants: Grant, rules: Iterable[ApproverRule] = (), freezes: Iterable[Freeze] = (), **kw: object
) -> PolicySnapshot:
    return PolicySnapshot(grants=tuple(grants), approver_rules=tuple(rules), freezes=tuple(freezes), **kw)  # type: ignore[arg-type]


def preview(current: int = 3, desired: int = 5, resource_id: str = POOL) -> Preview:
    return Preview(
        target="aks-prod / node pool np1",
        resource_id=resource_id,
        changes=(Change("nodes", str(current), str(desired)),),
    )


def approval(
    *, quorum: int = 2, rule_id: str = "rule-prod", requester: str = ALICE, expires_at: datetime | None = None
) -> ApprovalRequest:
    args: dict[str, ArgValue] = {"pool": POOL, "count": 5}
    before = {"count": 3}
    return ApprovalRequest(
        id="appr-1",
        requester_id=requester,
        requester_name="Alice",
        action=SCALE,
        resource_id=POOL,
        args=args,
        preview=preview(),
        before=before,
        reason="traffic peak tonight",
        plan_hash=plan_hash(SCALE, POOL, args, preview(), before),
        rule_id=rule_id,
        quorum=quorum,
        grant_id="g-approval",
        created_at=NOW,
        expires_at=expires_at or NOW + timedelta(hours=24),
    )


def with_status(item: ApprovalRequest, **changes: object) -> ApprovalRequest:
    return replace(item, **changes)  # type: ignore[arg-type]
