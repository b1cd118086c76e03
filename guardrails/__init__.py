"""The guardrails' pure domain: who may do what where, approvals, freezes, break-glass, audit records.

No Bot Framework, no Azure SDK, no storage and no I/O: records (:mod:`guardrails.records`),
scope matching on ARM ids (:mod:`guardrails.scopes`) and the ports the Table Storage stores
implement (:mod:`guardrails.ports`); the decision and the vote rules are pure functions over
them. docs/security.md describes the model.
"""

from guardrails.records import (
    ALL_ACTIONS,
    DEFAULT_APPROVAL_TTL,
    Actor,
    ApprovalRequest,
    ApprovalStatus,
    ApproverRule,
    AuditKind,
    AuditRecord,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Group,
    Limits,
    ParameterLimit,
    Principal,
    PrincipalKind,
    RateLimit,
    TimeWindow,
    Vote,
    VoteChoice,
)
from guardrails.scopes import ROOT_SCOPE, ScopeError, covers, scope_chain, scope_key

__all__ = [
    "ALL_ACTIONS",
    "DEFAULT_APPROVAL_TTL",
    "ROOT_SCOPE",
    "Actor",
    "ApprovalRequest",
    "ApprovalStatus",
    "ApproverRule",
    "AuditKind",
    "AuditRecord",
    "Freeze",
    "Grant",
    "GrantKind",
    "GrantMode",
    "Group",
    "Limits",
    "ParameterLimit",
    "Principal",
    "PrincipalKind",
    "RateLimit",
    "ScopeError",
    "TimeWindow",
    "Vote",
    "VoteChoice",
    "covers",
    "scope_chain",
    "scope_key",
]
