"""The policy file's JSON Schema: the one definition of its format.

:data:`POLICY_SCHEMA` (JSON Schema 2020-12) is what :func:`guardrails.policyfile.parse_policy`
validates a file against (with the ``jsonschema`` library) and what ``docs/policy.md`` is
generated from (``python -m tools.gen_docs``). Every property carries a ``description`` and,
for scalars, ``examples``; a property with a ``pattern`` carries ``x-expected``, the words an
error message uses for what was expected ("a duration such as 24h").

What a schema cannot express — action names known to the catalog, scopes that are ARM ids,
groups that exist, quorums the approvers can reach, unique ids — is checked after the schema
by :mod:`guardrails.policyfile.load`; docs/policy.md lists those rules too (:data:`SEMANTIC_RULES`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DAY_NAMES", "DURATION_UNITS", "FORMAT_VERSION", "POLICY_SCHEMA", "SEMANTIC_RULES"]

FORMAT_VERSION = 1
"""The ``version`` a policy file declares; a later format gets a new number."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names of a time window, in ISO order (``mon`` is ISO weekday 1)."""

DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400}
"""Units of a duration (``90m``, ``24h``, ``7d``), in seconds."""

_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
_OBJECT_ID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12,13}"
_GROUP_NAME = r"[a-z0-9][a-z0-9._-]{0,63}"
_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"

_SCOPE_EXAMPLE = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev"


def _id(what: str, example: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": _ID,
        "x-expected": "an id of letters, digits and . _ : - (at most 128, starting with a letter or digit)",
        "description": f"Unique id of the {what} among the file's {what}s; audit records and chat name it.",
        "examples": [example],
    }


def _scope(of: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": "^/",
        "x-expected": "an ARM scope: / or /subscriptions/<id>[/resourceGroups/<name>[/providers/…]]",
        "description": (
            f"What {of} covers: `/` (everything), a subscription, a resource group or any longer resource id "
            "prefix. Compared on whole path segments and case-insensitively, as ARM compares ids."
        ),
        "examples": [_SCOPE_EXAMPLE],
    }


def _time(meaning: str, example: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": _TIME,
        "x-expected": "a date and time with its zone, e.g. 2026-12-31T18:00:00Z or 2026-12-31T19:00:00+01:00",
        "description": f"{meaning} ISO 8601 with a zone (`Z` or `±hh:mm`); stored in UTC.",
        "examples": [example],
    }


_PRINCIPAL = {
    "type": "string",
    "pattern": f"^(user:{_OBJECT_ID}|group:{_GROUP_NAME})$",
    "x-expected": "user:<Entra object id> or group:<name of a group in this file>",
    "description": (
        "A user by their Entra object id (`user:<object id>`, never a display name) or a group of this file "
        "(`group:<name>`)."
    ),
    "examples": ["user:00000000-0000-0000-0000-0000000000020", "group:platform-approvers"],
}

_PARAMETER_LIMIT = {
    "type": "object",
    "description": "Bounds on one integer parameter of the actions, all inclusive; leave a bound out for none.",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "min": {"type": "integer", "description": "Smallest value allowed.", "examples": [1]},
        "max": {"type": "integer", "description": "Largest value allowed.", "examples": [10]},
        "max_increase": {
            "type": "integer",
            "minimum": 0,
            "description": "Largest increase over the resource's current value (e.g. 3: from 4 nodes at most to 7).",
            "examples": [3],
        },
        "max_decrease": {
            "type": "integer",
            "minimum": 0,
            "description": "Largest decrease below the resource's current value.",
            "examples": [2],
        },
    },
}

_WINDOW = {
    "type": "object",
    "description": (
        "When the grant may be used: weekdays and hours in the wall-clock time of a time zone (daylight saving "
        "included). Leave it out for any time."
    ),
    "additionalProperties": False,
    "required": ["time_zone"],
    "properties": {
        "time_zone": {
            "type": "string",
            "minLength": 1,
            "description": "IANA time zone the days and hours are read in.",
            "examples": ["Europe/Berlin"],
        },
        "days": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(DAY_NAMES)},
            "description": "Weekdays of the local date (`mon` … `sun`); default every day.",
            "examples": [["mon", "tue", "wed", "thu", "fri"]],
        },
        "start_hour": {
            "type": "integer",
            "minimum": 0,
            "maximum": 23,
            "description": "First hour allowed, inclusive (0-23); default 0.",
            "examples": [8],
        },
        "end_hour": {
            "type": "integer",
            "minimum": 1,
            "maximum": 24,
            "description": "Hour the window closes, exclusive (1-24, after start_hour); default 24.",
            "examples": [18],
        },
    },
}

_GROUP = {
    "type": "object",
    "description": "A group of users kept by Switchboard; grants and approver rules may name it as `group:<name>`.",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {
            "type": "string",
            "pattern": f"^{_GROUP_NAME}$",
            "x-expected": "a group name of lower-case letters, digits and . _ - (at most 64)",
            "description": "The group's name, unique in the file.",
            "examples": ["platform-approvers"],
        },
        "description": {
            "type": "string",
            "description": "What the group is for.",
            "examples": ["Platform team members who approve production changes"],
        },
        "members": {
            "type": "array",
            "uniqueItems": True,
            "items": {
                "type": "string",
                "pattern": f"^{_OBJECT_ID}$",
                "x-expected": "an Entra object id (8-4-4-4-12 hex digits)",
            },
            "description": "The members' Entra object ids; default none.",
            "examples": [["00000000-0000-0000-0000-0000000000021"]],
        },
    },
}

_GRANT = {
    "type": "object",
    "description": "Who may do what where: a principal, actions, a scope and limits, with a mode and optional expiry.",
    "additionalProperties": False,
    "required": ["id", "principal", "scope"],
    "properties": {
        "id": _id("grant", "alex-dev-auto"),
        "principal": _PRINCIPAL,
        "kind": {
            "enum": ["action", "admin", "break_glass"],
            "description": (
                "`action`: may request the actions within the limits; `admin`: may manage grants, approver rules "
                "and freezes on the scope (actions and limits do not apply); `break_glass`: may skip approval and "
                "freezes for one explicit request with a reason. Default `action`."
            ),
            "examples": ["action"],
        },
        "mode": {
            "enum": ["auto", "approval"],
            "description": (
                "`auto`: within the limits the request runs at once (a standing approval); `approval`: it waits "
                "for the scope's approvers. Default `auto`."
            ),
            "examples": ["approval"],
        },
        "actions": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "type": "string",
                "pattern": r"^(\*|[a-z][a-z0-9-]*)$",
                "x-expected": "an action name (see docs/actions.md) or *",
            },
            "description": (
                "Action names of the catalog (docs/actions.md), or `*` for every action. Required for `action` "
                "and `break_glass` grants; an `admin` grant leaves it out."
            ),
            "examples": [["aks-scale-node-pool", "vm-restart"]],
        },
        "scope": _scope("the grant"),
        "limits": {
            "type": "object",
            "description": (
                "Per integer parameter of the actions (e.g. `count`), its bounds. A limit applies only to requests "
                "that carry that parameter."
            ),
            "propertyNames": {
                "pattern": "^[a-z][a-z0-9_-]*$",
                "x-expected": "a parameter name of the actions",
            },
            "additionalProperties": _PARAMETER_LIMIT,
            "examples": [{"count": {"max": 10, "max_increase": 3}}],
        },
        "window": _WINDOW,
        "expires": _time("When the grant stops holding (exclusive): a just-in-time grant.", "2026-12-31T18:00:00Z"),
        "reason": {
            "type": "string",
            "description": "Why the grant exists (shown to admins, kept in the audit).",
            "examples": ["on-call rotation Q4"],
        },
    },
}

_RULE = {
    "type": "object",
    "description": (
        "Who approves requests under a scope, and how many of them must: the most specific rule covering a "
        "resource applies. At most one rule per scope."
    ),
    "additionalProperties": False,
    "required": ["id", "scope", "approvers"],
    "properties": {
        "id": _id("approver rule", "prod-approvers"),
        "scope": _scope("the rule"),
        "approvers": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": _PRINCIPAL,
            "description": "Users and groups whose members may approve; the requester never counts.",
            "examples": [["user:00000000-0000-0000-0000-0000000000021", "group:platform-approvers"]],
        },
        "quorum": {
            "type": "integer",
            "minimum": 1,
            "description": "Distinct approvers needed (at most the number of people the approvers name); default 1.",
            "examples": [2],
        },
        "approval_expiry": {
            "type": "string",
            "pattern": r"^[1-9][0-9]{0,5}[mhd]$",
            "x-expected": "a duration such as 90m, 24h or 7d (1 minute to 30 days)",
            "description": "How long an approval request waits for its quorum (1 minute to 30 days); default 24h.",
            "examples": ["24h"],
        },
    },
}

_FREEZE = {
    "type": "object",
    "description": "A change freeze: requests on resources under the scope are refused from start to end.",
    "additionalProperties": False,
    "required": ["id", "scope", "starts", "ends", "reason"],
    "properties": {
        "id": _id("freeze", "core-upgrade-freeze"),
        "scope": _scope("the freeze"),
        "starts": _time("When the freeze begins (inclusive).", "2026-12-20T00:00:00+01:00"),
        "ends": _time("When the freeze ends (exclusive), after it starts.", "2027-01-04T00:00:00+01:00"),
        "reason": {
            "type": "string",
            "minLength": 1,
            "pattern": r"\S",
            "x-expected": "a reason that is not blank",
            "description": "Why; refused requests are told this reason and the end time.",
            "examples": ["year-end change freeze"],
        },
        "declared_by": {
            "type": "string",
            "pattern": f"^{_OBJECT_ID}$",
            "x-expected": "an Entra object id (8-4-4-4-12 hex digits)",
            "description": "Entra object id of who declared it; default who imports the file.",
            "examples": ["00000000-0000-0000-0000-0000000000021"],
        },
    },
}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Switchboard policy",
    "description": "The whole guardrail policy of an installation: groups, grants, approver rules and freezes.",
    "type": "object",
    "additionalProperties": False,
    "required": ["version"],
    "properties": {
        "version": {
            "const": FORMAT_VERSION,
            "description": f"Format version of the file: `{FORMAT_VERSION}`.",
            "examples": [FORMAT_VERSION],
        },
        "groups": {"type": "array", "items": _GROUP, "description": "Groups of users."},
        "grants": {"type": "array", "items": _GRANT, "description": "Grants: who may do what where."},
        "approver_rules": {"type": "array", "items": _RULE, "description": "Approvers and quorum per scope."},
        "freezes": {"type": "array", "items": _FREEZE, "description": "Change freezes."},
    },
}
"""The policy file format (JSON Schema 2020-12)."""

SEMANTIC_RULES: tuple[str, ...] = (
    "Every `id` is unique among its section's entries, and group names are unique (case-insensitively).",
    "Every scope is an ARM path: `/subscriptions/<id>…` alternating a type and a name, without `.`/`..` "
    "segments or control characters (or `/` for everything).",
    "Every action name is one of the catalog's (docs/actions.md), or `*`.",
    "A limit names an integer parameter of one of the grant's actions; `min` is at most `max`.",
    "An `admin` grant has no `actions`, `limits` or `window`; other grants name their `actions`.",
    "A window's `end_hour` is after its `start_hour`; its `time_zone` is an IANA zone.",
    "A `group:<name>` principal or approver names a group of the file.",
    "An approver rule's quorum is at most the number of distinct people its approvers name; one rule per scope.",
    "A freeze ends after it starts.",
    "YAML anchors and aliases, duplicate keys and files over 5 MB are refused.",
)
"""The checks made after the schema (each error names file, line and field, like the schema's)."""
