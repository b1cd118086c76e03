"""Guardrail records for the store tests: valid by default, any field overridable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from actions.spec import Change, Preview
from guardrails.records import (
    Actor,
    ApprovalRequest,
    ApproverRule,
    AuditKind,
    AuditRecord,
    Freeze,
    Grant,
    GrantMode,
    Limits,
    ParameterLimit,
    Principal,
    TimeWindow,
    Vote,
    VoteChoice,
)
from guardrails.votes import VoteAccepted, cast_vote

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
RG_PROD = f"{SUB}/resourceGroups/rg-prod"
RG_PRODUCTION = f"{SUB}/resourceGroups/rg-production"
CLUSTER = f"{RG_PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod"
NODE_POOL = f"{CLUSTER}/agentPools/np1"
# ARM ids with what keys forbid or escape: percent signs, a decoded slash, unicode, '#', '?'
ODD_RG = f"{SUB}/resourceGroups/rg%25odd%2Fslash-ü#1?x"
ALICE = "00000000-0000-0000-0000-0000000000a1"
BOB = "00000000-0000-0000-0000-0000000000b2"


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def grant(**overrides: Any) -> Grant:
    values: dict[str, Any] = {
        "id": new_id("g"),
        "principal": Principal.user(ALICE),
        "actions": frozenset({"scale-node-pool"}),
        "scope": RG_PROD,
        "mode": GrantMode.AUTO,
        "limits": Limits(
            parameters={"count": ParameterLimit(minimum=1, maximum=10, max_increase=3)},
            window=TimeWindow("Europe/Berlin", frozenset({1, 2, 3, 4, 5}), 8, 18),
        ),
        "expires_at": T0 + timedelta(days=1),
        "created_by": BOB,
        "created_at": T0,
        "reason": "on call",
    }
    values.update(overrides)
    return Grant(**values)


def rule(**overrides: Any) -> ApproverRule:
    values: dict[str, Any] = {
        "id": new_id("r"),
        "scope": RG_PROD,
        "approvers": frozenset({Principal.user(BOB), Principal.group("platform")}),
        "quorum": 2,
        "approval_ttl": timedelta(hours=4),
        "created_by": BOB,
        "created_at": T0,
    }
    values.update(overrides)
    return ApproverRule(**values)


def freeze(**overrides: Any) -> Freeze:
    values: dict[str, Any] = {
        "id": new_id("f"),
        "scope": RG_PROD,
        "starts_at": T0,
        "ends_at": T0 + timedelta(days=2),
        "reason": "Black Friday",
        "declared_by": BOB,
        "declared_at": T0,
    }
    values.update(overrides)
    return Freeze(**values)


def approval(**overrides: Any) -> ApprovalRequest:
    values: dict[str, Any] = {
        "id": new_id("a"),
        "requester_id": ALICE,
        "requester_name": "Alice Ämberg",
        "action": "scale-node-pool",
        "resource_id": NODE_POOL,
        "args": {"count": 5, "pool": "np1"},
        "preview": Preview("aks-prod / node pool np1", NODE_POOL, (Change("nodes", "3", "5"),), ("autoscaler off",)),
        "plan_hash": "sha256:" + "ab" * 32,
        "rule_id": "r-prod",
        "quorum": 2,
        "expires_at": T0 + timedelta(hours=24),
        "before": {"count": 3},
        "reason": "traffic peak",
        "grant_id": "g-1",
        "created_at": T0,
        "conversation": {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/emea/"},
        "correlation_id": "corr-1",
    }
    values.update(overrides)
    return ApprovalRequest(**values)


def vote(voter: str, choice: VoteChoice = VoteChoice.APPROVE, **overrides: Any) -> Vote:
    values: dict[str, Any] = {
        "voter_id": voter,
        "choice": choice,
        "at": T0 + timedelta(minutes=5),
        "via": Principal.group("platform"),
        "voter_name": f"voter {voter[-4:]}",
        "comment": "ok",
    }
    values.update(overrides)
    return Vote(**values)


def with_vote(current: ApprovalRequest, new: Vote) -> tuple[ApprovalRequest | None, str]:
    """``new`` cast through the domain's vote rule (:func:`guardrails.votes.cast_vote`) by a member of
    the group ``platform``, which the scope's rule names, from a card showing this request.

    Returns the record to write (None: nothing to write) and ``recorded`` or the refusal's code.
    """
    platform = frozenset({Principal.group("platform")})
    governing = ApproverRule(id="r-test", scope=current.resource_id, approvers=platform, quorum=current.quorum)
    voter = Actor(new.voter_id, new.voter_name, frozenset({"platform"}))
    result = cast_vote(current, governing, voter, new.choice, new.comment, new.at, current.plan_hash, current.id)
    if isinstance(result, VoteAccepted):
        return result.approval, "recorded"
    return result.approval, result.refusal.value


def audit(**overrides: Any) -> AuditRecord:
    values: dict[str, Any] = {
        "id": new_id("audit"),
        "at": T0,
        "kind": AuditKind.DECISION,
        "actor": ALICE,
        "action": "scale-node-pool",
        "scope": NODE_POOL,
        "request_id": new_id("req"),
        "correlation_id": "corr-1",
        "decision": "approved",
        "rule_id": "g-1",
        "reason": "",
        "details": {"count": "5"},
    }
    values.update(overrides)
    return AuditRecord(**values)
