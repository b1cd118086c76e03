"""The guardrail records as JSON text, for one string column of a Table Storage entity.

Each record is written as a JSON object with a format version ``"v"`` and read back into the
same frozen dataclass (so a stored record is validated again on the way in: a malformed row
raises :class:`~storage.errors.SerializationError`, never yields a half-built record). Times are
ISO 8601 in UTC with microseconds; durations are seconds. Only plain JSON types are used: no
class names in the data, nothing else can be constructed from it.

A record's JSON must fit in one string property (32 Ki UTF-16 code units); a larger one is
refused with ``ValueError`` before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from actions.spec import Change, Preview
from guardrails.records import (
    ApprovalRequest,
    ApproverRule,
    AuditRecord,
    Freeze,
    Grant,
    Group,
    Limits,
    ParameterLimit,
    Principal,
    TimeWindow,
    Vote,
)
from storage.chunks import MAX_STRING_UTF16_UNITS
from storage.errors import SerializationError
from storage.keys import utf16_units

__all__ = [
    "approval_from_json",
    "approval_to_json",
    "audit_from_json",
    "audit_to_json",
    "freeze_from_json",
    "freeze_to_json",
    "grant_from_json",
    "grant_to_json",
    "group_from_json",
    "group_to_json",
    "rule_from_json",
    "rule_to_json",
    "utc",
]

_VERSION = 1
R = TypeVar("R")


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (records hold aware datetimes in any zone; storage keeps UTC)."""
    return moment.astimezone(UTC)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else utc(moment).isoformat(timespec="microseconds")


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("stored time without a time zone")
    return moment


def _dump(kind: str, data: dict[str, Any]) -> str:
    text = json.dumps({"v": _VERSION, **data}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    size = utf16_units(text)
    if size > MAX_STRING_UTF16_UNITS:
        raise ValueError(
            f"the {kind} is too large to store ({size:,} UTF-16 code units; the limit is "
            f"{MAX_STRING_UTF16_UNITS:,}): shorten its reason, comments or arguments"
        )
    return text


def _load(kind: str, text: object, build: Callable[[dict[str, Any]], R]) -> R:
    """Parse and rebuild; any malformation (bad JSON, missing field, failed validation) is a SerializationError."""
    try:
        if not isinstance(text, str):
            raise TypeError("not text")
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            raise ValueError("unknown format version")
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SerializationError(f"a stored {kind} is malformed and cannot be read") from exc


# --------------------------------------------------------------------------------------------- grants
def _limits(limits: Limits) -> dict[str, Any]:
    window = limits.window
    return {
        "parameters": {
            name: {
                "minimum": limit.minimum,
                "maximum": limit.maximum,
                "max_increase": limit.max_increase,
                "max_decrease": limit.max_decrease,
            }
            for name, limit in sorted(limits.parameters.items())
        },
        "window": None
        if window is None
        else {
            "time_zone": window.time_zone,
            "days": sorted(window.days),
            "start_hour": window.start_hour,
            "end_hour": window.end_hour,
        },
    }


def _limits_from(data: Mapping[str, Any]) -> Limits:
    window = data["window"]
    return Limits(
        parameters={name: ParameterLimit(**bounds) for name, bounds in data["parameters"].items()},
        window=None
        if window is None
        else TimeWindow(
            time_zone=window["time_zone"],
            days=frozenset(window["days"]),
            start_hour=window["start_hour"],
            end_hour=window["end_hour"],
        ),
    )


def grant_to_json(grant: Grant) -> str:
    return _dump(
        "grant",
        {
            "id": grant.id,
            "principal": grant.principal.key,
            "actions": sorted(grant.actions),
            "scope": grant.scope,
            "kind": grant.kind.value,
            "mode": grant.mode.value,
            "limits": _limits(grant.limits),
            "expires_at": _time(grant.expires_at),
            "created_by": grant.created_by,
            "created_at": _time(grant.created_at),
            "reason": grant.reason,
        },
    )


def grant_from_json(text: object) -> Grant:
    return _load(
        "grant",
        text,
        lambda d: Grant(
            id=d["id"],
            principal=Principal.parse(d["principal"]),
            actions=frozenset(d["actions"]),
            scope=d["scope"],
            kind=d["kind"],
            mode=d["mode"],
            limits=_limits_from(d["limits"]),
            expires_at=_parse_time(d["expires_at"]),
            created_by=d["created_by"],
            created_at=_parse_time(d["created_at"]),
            reason=d["reason"],
        ),
    )


# --------------------------------------------------------------------------------------------- groups
def group_to_json(group: Group) -> str:
    return _dump(
        "group",
        {
            "name": group.name,
            "members": sorted(group.members),
            "description": group.description,
            "created_by": group.created_by,
            "created_at": _time(group.created_at),
        },
    )


def group_from_json(text: object) -> Group:
    return _load(
        "group",
        text,
        lambda d: Group(
            name=d["name"],
            members=frozenset(d["members"]),
            description=d["description"],
            created_by=d["created_by"],
            created_at=_parse_time(d["created_at"]),
        ),
    )


# -------------------------------------------------------------------------------------- approver rules
def rule_to_json(rule: ApproverRule) -> str:
    return _dump(
        "approver rule",
        {
            "id": rule.id,
            "scope": rule.scope,
            "approvers": sorted(p.key for p in rule.approvers),
            "quorum": rule.quorum,
            "approval_ttl_seconds": rule.approval_ttl.total_seconds(),
            "created_by": rule.created_by,
            "created_at": _time(rule.created_at),
        },
    )


def rule_from_json(text: object) -> ApproverRule:
    return _load(
        "approver rule",
        text,
        lambda d: ApproverRule(
            id=d["id"],
            scope=d["scope"],
            approvers=frozenset(Principal.parse(p) for p in d["approvers"]),
            quorum=d["quorum"],
            approval_ttl=timedelta(seconds=d["approval_ttl_seconds"]),
            created_by=d["created_by"],
            created_at=_parse_time(d["created_at"]),
        ),
    )


# -------------------------------------------------------------------------------------------- freezes
def freeze_to_json(freeze: Freeze) -> str:
    return _dump(
        "freeze",
        {
            "id": freeze.id,
            "scope": freeze.scope,
            "starts_at": _time(freeze.starts_at),
            "ends_at": _time(freeze.ends_at),
            "reason": freeze.reason,
            "declared_by": freeze.declared_by,
            "declared_at": _time(freeze.declared_at),
        },
    )


def freeze_from_json(text: object) -> Freeze:
    return _load(
        "freeze",
        text,
        lambda d: Freeze(
            id=d["id"],
            scope=d["scope"],
            starts_at=_parse_time(d["starts_at"]),
            ends_at=_parse_time(d["ends_at"]),
            reason=d["reason"],
            declared_by=d["declared_by"],
            declared_at=_parse_time(d["declared_at"]),
        ),
    )


# ------------------------------------------------------------------------------------------- approvals
def _vote(vote: Vote) -> dict[str, Any]:
    return {
        "voter_id": vote.voter_id,
        "choice": vote.choice.value,
        "at": _time(vote.at),
        "via": vote.via.key,
        "voter_name": vote.voter_name,
        "comment": vote.comment,
    }


def _vote_from(d: Mapping[str, Any]) -> Vote:
    return Vote(
        voter_id=d["voter_id"],
        choice=d["choice"],
        at=_parse_time(d["at"]),  # type: ignore[arg-type]
        via=Principal.parse(d["via"]),
        voter_name=d["voter_name"],
        comment=d["comment"],
    )


def _check_args(args: Mapping[str, Any]) -> dict[str, str | int]:
    out: dict[str, str | int] = {}
    for name, value in args.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"argument {name!r} is neither text nor an integer")
        out[name] = value
    return out


def approval_to_json(approval: ApprovalRequest) -> str:
    preview = approval.preview
    return _dump(
        "approval request",
        {
            "id": approval.id,
            "requester_id": approval.requester_id,
            "requester_name": approval.requester_name,
            "action": approval.action,
            "resource_id": approval.resource_id,
            "args": _check_args(approval.args),
            "preview": {
                "target": preview.target,
                "resource_id": preview.resource_id,
                "changes": [[c.field, c.current, c.desired] for c in preview.changes],
                "notes": list(preview.notes),
                "no_op": preview.no_op,
            },
            "plan_hash": approval.plan_hash,
            "rule_id": approval.rule_id,
            "quorum": approval.quorum,
            "expires_at": _time(approval.expires_at),
            "before": dict(approval.before),
            "reason": approval.reason,
            "grant_id": approval.grant_id,
            "status": approval.status.value,
            "votes": [_vote(v) for v in approval.votes],
            "created_at": _time(approval.created_at),
            "decided_at": _time(approval.decided_at),
            "conversation": dict(approval.conversation),
            "correlation_id": approval.correlation_id,
        },
    )


def approval_from_json(text: object) -> ApprovalRequest:
    def build(d: dict[str, Any]) -> ApprovalRequest:
        p = d["preview"]
        return ApprovalRequest(
            id=d["id"],
            requester_id=d["requester_id"],
            requester_name=d["requester_name"],
            action=d["action"],
            resource_id=d["resource_id"],
            args=_check_args(d["args"]),
            preview=Preview(
                target=p["target"],
                resource_id=p["resource_id"],
                changes=tuple(Change(field, current, desired) for field, current, desired in p["changes"]),
                notes=tuple(p["notes"]),
                no_op=bool(p["no_op"]),
            ),
            plan_hash=d["plan_hash"],
            rule_id=d["rule_id"],
            quorum=d["quorum"],
            expires_at=_parse_time(d["expires_at"]),  # type: ignore[arg-type]
            before={k: int(v) for k, v in d["before"].items()},
            reason=d["reason"],
            grant_id=d["grant_id"],
            status=d["status"],
            votes=tuple(_vote_from(v) for v in d["votes"]),
            created_at=_parse_time(d["created_at"]),  # type: ignore[arg-type]
            decided_at=_parse_time(d["decided_at"]),
            conversation=d["conversation"],
            correlation_id=d["correlation_id"],
        )

    return _load("approval request", text, build)


# ----------------------------------------------------------------------------------------------- audit
def audit_to_json(record: AuditRecord) -> str:
    return _dump(
        "audit record",
        {
            "id": record.id,
            "at": _time(record.at),
            "kind": record.kind.value,
            "actor": record.actor,
            "action": record.action,
            "scope": record.scope,
            "request_id": record.request_id,
            "correlation_id": record.correlation_id,
            "decision": record.decision,
            "rule_id": record.rule_id,
            "reason": record.reason,
            "break_glass": record.break_glass,
            "details": {str(k): str(v) for k, v in record.details.items()},
        },
    )


def audit_from_json(text: object) -> AuditRecord:
    return _load(
        "audit record",
        text,
        lambda d: AuditRecord(
            id=d["id"],
            at=_parse_time(d["at"]),  # type: ignore[arg-type]
            kind=d["kind"],
            actor=d["actor"],
            action=d["action"],
            scope=d["scope"],
            request_id=d["request_id"],
            correlation_id=d["correlation_id"],
            decision=d["decision"],
            rule_id=d["rule_id"],
            reason=d["reason"],
            break_glass=bool(d["break_glass"]),
            details=dict(d["details"]),
        ),
    )
