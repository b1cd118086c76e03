"""Write a policy as a policy file: records -> YAML text that :func:`~guardrails.policyfile.parse_policy` reads back.

The output is deterministic (entries sorted by id or name, fields in the schema's order, times in
UTC), so exporting, importing and exporting again gives the same text. Who created a record and
when are not part of the file: the audit trail keeps them, and an import keeps them for every
record it leaves unchanged.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from ruamel.yaml import YAML

from guardrails.policyfile.load import Policy
from guardrails.policyfile.schema import DAY_NAMES, FORMAT_VERSION
from guardrails.records import ALL_ACTIONS, DEFAULT_APPROVAL_TTL, ApproverRule, Freeze, Grant, GrantKind, Group

__all__ = ["HEADER", "policy_to_data", "render_policy"]

HEADER = (
    "# Switchboard policy (format: docs/policy.md). Validate with `python -m app.policy validate FILE`,\n"
    "# apply with `python -m app.policy import FILE` (all or nothing; it replaces the whole policy).\n"
)


def _time(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def _duration(ttl: timedelta) -> str:
    seconds = ttl.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{math.ceil(seconds / 60)}m"


def _group(group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {"name": group.name}
    if group.description:
        data["description"] = group.description
    data["members"] = sorted(group.members)
    return data


def _grant(grant: Grant) -> dict[str, Any]:
    data: dict[str, Any] = {"id": grant.id, "principal": grant.principal.key}
    if grant.kind is not GrantKind.ACTION:
        data["kind"] = grant.kind.value
    if grant.kind is not GrantKind.ADMIN:
        data["mode"] = grant.mode.value
        data["actions"] = [ALL_ACTIONS] if ALL_ACTIONS in grant.actions else sorted(grant.actions)
    data["scope"] = grant.scope
    if grant.kind is not GrantKind.ADMIN:
        limits: dict[str, Any] = {}
        for name, bound in sorted(grant.limits.parameters.items()):
            values = {"min": bound.minimum, "max": bound.maximum, "max_increase": bound.max_increase,
                      "max_decrease": bound.max_decrease}
            limits[name] = {key: value for key, value in values.items() if value is not None}
        if limits:
            data["limits"] = limits
        window = grant.limits.window
        if window is not None:
            spec: dict[str, Any] = {"time_zone": window.time_zone}
            if window.days != frozenset(range(1, 8)):
                spec["days"] = [DAY_NAMES[day - 1] for day in sorted(window.days)]
            if window.start_hour:
                spec["start_hour"] = window.start_hour
            if window.end_hour != 24:
                spec["end_hour"] = window.end_hour
            data["window"] = spec
    if grant.expires_at is not None:
        data["expires"] = _time(grant.expires_at)
    if grant.reason:
        data["reason"] = grant.reason
    return data


def _rule(rule: ApproverRule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.id,
        "scope": rule.scope,
        "approvers": sorted(p.key for p in rule.approvers),
        "quorum": rule.quorum,
    }
    if rule.approval_ttl != DEFAULT_APPROVAL_TTL:
        data["approval_expiry"] = _duration(rule.approval_ttl)
    return data


def _freeze(freeze: Freeze) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": freeze.id,
        "scope": freeze.scope,
        "starts": _time(freeze.starts_at),
        "ends": _time(freeze.ends_at),
        "reason": freeze.reason,
    }
    if freeze.declared_by and freeze.declared_by != "system":
        data["declared_by"] = freeze.declared_by
    return data


def policy_to_data(policy: Policy) -> dict[str, Any]:
    """The policy as the file's data (plain dicts and lists, in the schema's shape)."""
    return {
        "version": FORMAT_VERSION,
        "groups": [_group(g) for g in sorted(policy.groups, key=lambda g: g.name)],
        "grants": [_grant(g) for g in sorted(policy.grants, key=lambda g: g.id)],
        "approver_rules": [_rule(r) for r in sorted(policy.approver_rules, key=lambda r: r.id)],
        "freezes": [_freeze(f) for f in sorted(policy.freezes, key=lambda f: f.id)],
    }


def render_policy(policy: Policy, *, header: str = HEADER) -> str:
    """The policy as YAML text, starting with ``header`` (comment lines)."""
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(policy_to_data(policy), out)
    return header + out.getvalue()
