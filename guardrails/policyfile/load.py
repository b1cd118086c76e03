"""Read a policy file: YAML text -> validated domain records, or every problem with its line and field.

:func:`parse_policy` parses the YAML with ``ruamel.yaml`` (which keeps the line of every key and
item), validates it against :data:`~guardrails.policyfile.schema.POLICY_SCHEMA` with
``jsonschema``, then makes the checks a schema cannot express (action names, ARM scopes, groups,
quorums, unique ids), and only then builds the records. Nothing is half-read: either every
entry becomes a record, or :class:`PolicyFileError` lists every problem found, each as
``FILE:LINE: FIELD: what is wrong``, e.g.
``policy.yaml:14: grants[2].limits.count.max: expected an integer, got 'ten'``.

Pure: the caller reads the file and passes its text; no I/O happens here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent

from actions.spec import Action, ParamKind
from guardrails.policyfile.schema import DAY_NAMES, DURATION_UNITS, POLICY_SCHEMA
from guardrails.records import (
    ALL_ACTIONS,
    ApproverRule,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Group,
    Limits,
    ParameterLimit,
    Principal,
    PrincipalKind,
    TimeWindow,
)
from guardrails.scopes import ScopeError, scope_key

__all__ = [
    "MAX_POLICY_BYTES",
    "ActionCatalog",
    "Policy",
    "PolicyFileError",
    "PolicyProblem",
    "parse_policy",
]

MAX_POLICY_BYTES = 5 * 1024 * 1024
"""A larger file is refused before it is parsed."""

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file: where (file, 1-based line, field path) and what."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PolicyFileError(ValueError):
    """The policy file is not valid; :attr:`problems` lists every problem (one line each in ``str()``)."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Policy:
    """A whole policy: what an import writes and an export reads."""

    groups: tuple[Group, ...] = ()
    grants: tuple[Grant, ...] = ()
    approver_rules: tuple[ApproverRule, ...] = ()
    freezes: tuple[Freeze, ...] = ()

    def counts(self) -> str:
        """E.g. ``2 groups, 5 grants, 2 approver rules, 1 freeze``."""
        parts = [(len(self.groups), "group"), (len(self.grants), "grant"),
                 (len(self.approver_rules), "approver rule"), (len(self.freezes), "freeze")]
        return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts)


@dataclass(frozen=True)
class ActionCatalog:
    """The action names a policy may name, each with the names of its integer parameters (what limits bound)."""

    parameters: Mapping[str, frozenset[str]]

    @classmethod
    def from_actions(cls, actions: Iterable[Action]) -> ActionCatalog:
        return cls({
            a.name: frozenset(p.name for p in a.parameters if p.kind is ParamKind.INTEGER) for a in actions
        })


# ------------------------------------------------------------------------------------------ YAML reading
class _Constructor(RoundTripConstructor):
    """Timestamps stay text: the schema asks for a zone, which YAML's timestamp type would silently drop."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


def _field(path: Path) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _line(root: Any, path: Path) -> int | None:
    """1-based line of the deepest element of ``path`` found in the parsed document (a key's line for containers)."""
    node, line = root, (root.lc.line if isinstance(root, CommentedMap | CommentedSeq) else None)
    for step in path:
        try:
            if isinstance(node, CommentedMap) and step in node:
                child = node[step]
                row, _ = node.lc.key(step) if isinstance(child, CommentedMap | CommentedSeq) else node.lc.value(step)
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                child = node[step]
                row, _ = node.lc.item(step)
            else:
                break
        except (KeyError, TypeError, AttributeError):  # ruamel keeps no position for this element
            break
        node, line = child, row
    return None if line is None else line + 1


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(str(value)) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "…'"


def _suggest(word: Any, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TYPE_WORDS = {
    "integer": "an integer",
    "string": "text",
    "array": "a list",
    "object": "a mapping of fields",
    "boolean": "true or false",
    "number": "a number",
}


class _Problems:
    def __init__(self, file: str, root: Any) -> None:
        self.file, self.root, self.items, self._seen = file, root, [], set()

    def add(self, path: Path, message: str) -> None:
        key = (path, message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(PolicyProblem(self.file, _line(self.root, path), _field(path), message))


def _schema_problems(data: Any, problems: _Problems) -> None:
    validator = Draft202012Validator(POLICY_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(s) for s in e.absolute_path])
    for error in errors:
        _explain(error, problems)


def _explain(error: ValidationError, problems: _Problems) -> None:
    path: Path = tuple(error.absolute_path)
    schema, instance, kind = error.schema, error.instance, error.validator
    if not isinstance(schema, Mapping):
        problems.add(path, error.message)
        return
    if "propertyNames" in error.schema_path:
        problems.add((*path, str(instance)), f"expected {schema.get('x-expected', 'another name')}")
    elif kind == "type":
        problems.add(path, f"expected {_TYPE_WORDS.get(str(error.validator_value), error.validator_value)}, "
                           f"got {_show(instance)}")
    elif kind == "required":
        for name in error.validator_value:
            if isinstance(instance, Mapping) and name not in instance:
                problems.add((*path, name), "missing (required)")
    elif kind == "additionalProperties" and isinstance(instance, Mapping):
        known = list(schema.get("properties", {}))
        for name in instance:
            if name not in known:
                problems.add((*path, name), f"unknown field{_suggest(name, known)}; expected one of "
                                            f"{', '.join(known)}")
    elif kind == "enum":
        choices = [str(c) for c in error.validator_value]
        problems.add(path, f"expected one of {', '.join(choices)}, got {_show(instance)}{_suggest(instance, choices)}")
    elif kind == "const":
        problems.add(path, f"expected {error.validator_value}, got {_show(instance)}")
    elif kind == "pattern":
        problems.add(path, f"expected {schema.get('x-expected', 'another value')}, got {_show(instance)}")
    elif kind == "minimum":
        problems.add(path, f"expected at least {error.validator_value}, got {_show(instance)}")
    elif kind == "maximum":
        problems.add(path, f"expected at most {error.validator_value}, got {_show(instance)}")
    elif kind in ("minItems", "minProperties", "minLength"):
        problems.add(path, "cannot be empty")
    elif kind == "uniqueItems":
        problems.add(path, "names the same value twice")
    else:  # pragma: no cover - every keyword the schema uses is explained above
        problems.add(path, error.message)


# ------------------------------------------------------------------------------------- semantic checks
def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" ", "T", 1))


def _duration(text: str) -> timedelta:
    return timedelta(seconds=int(text[:-1]) * DURATION_UNITS[text[-1]])


def _unique(items: Sequence[Mapping[str, Any]], section: str, field: str, problems: _Problems,
            normal: Any = str.lower) -> None:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        value = normal(item[field])
        if value in seen:
            problems.add((section, index, field), f"{item[field]!r} is already used by {section}[{seen[value]}]")
        else:
            seen[value] = index


def _check_scope(value: str, path: Path, problems: _Problems) -> bool:
    try:
        scope_key(value)
    except ScopeError as exc:
        problems.add(path, str(exc))
        return False
    return True


def _people(principals: Iterable[str], groups: Mapping[str, Mapping[str, Any]]) -> set[str]:
    people: set[str] = set()
    for text in principals:
        principal = Principal.parse(text)
        if principal.kind is PrincipalKind.USER:
            people.add(principal.id)
        elif principal.id in groups:
            people.update(m.lower() for m in groups[principal.id].get("members", []))
    return people


def _semantic_problems(data: Mapping[str, Any], catalog: ActionCatalog | None, problems: _Problems) -> None:
    groups_in = data.get("groups", [])
    grants_in = data.get("grants", [])
    rules_in = data.get("approver_rules", [])
    freezes_in = data.get("freezes", [])
    _unique(groups_in, "groups", "name", problems)
    _unique(grants_in, "grants", "id", problems)
    _unique(rules_in, "approver_rules", "id", problems)
    _unique(freezes_in, "freezes", "id", problems)
    groups = {g["name"].lower(): g for g in groups_in}

    def check_principal(text: str, path: Path) -> None:
        principal = Principal.parse(text)
        if principal.kind is PrincipalKind.GROUP and principal.id not in groups:
            problems.add(path, f"there is no group {principal.id!r} in this file{_suggest(principal.id, groups)}")

    for index, grant in enumerate(grants_in):
        at: Path = ("grants", index)
        check_principal(grant["principal"], (*at, "principal"))
        _check_scope(grant["scope"], (*at, "scope"), problems)
        kind = GrantKind(grant.get("kind", "action"))
        actions = grant.get("actions")
        if kind is GrantKind.ADMIN:
            for name in ("actions", "limits", "window"):
                if name in grant:
                    problems.add((*at, name), f"an admin grant has no {name} (it gives the right to manage the scope)")
            continue
        if actions is None:
            problems.add((*at, "actions"), f"missing (required for a {kind.value} grant; * for every action)")
            continue
        if catalog is not None:
            for position, name in enumerate(actions):
                if name != ALL_ACTIONS and name not in catalog.parameters:
                    problems.add((*at, "actions", position),
                                 f"unknown action {name!r}{_suggest(name, catalog.parameters)}")
            named = catalog.parameters if ALL_ACTIONS in actions else {
                a: catalog.parameters[a] for a in actions if a in catalog.parameters}
            bounded = frozenset().union(*named.values()) if named else frozenset()
            known = ALL_ACTIONS in actions or len(named) == len(actions)  # else the unknown action is the problem
            for parameter in grant.get("limits", {}) if known else ():
                if parameter not in bounded:
                    problems.add((*at, "limits", parameter),
                                 f"no action of this grant has an integer parameter {parameter!r}"
                                 f"{_suggest(parameter, bounded)}"
                                 + (f"; they have {', '.join(sorted(bounded))}" if bounded else ""))
        for parameter, bounds in grant.get("limits", {}).items():
            if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
                problems.add((*at, "limits", parameter, "min"), f"min {bounds['min']} is above max {bounds['max']}")
        window = grant.get("window")
        if window is not None:
            if window.get("start_hour", 0) >= window.get("end_hour", 24):
                problems.add((*at, "window", "end_hour"), "the window must end after its start_hour")
            try:
                TimeWindow(window["time_zone"])
            except ValueError as exc:
                problems.add((*at, "window", "time_zone"), str(exc))

    seen_scopes: dict[str, int] = {}
    for index, rule in enumerate(rules_in):
        at = ("approver_rules", index)
        for position, text in enumerate(rule["approvers"]):
            check_principal(text, (*at, "approvers", position))
        if _check_scope(rule["scope"], (*at, "scope"), problems):
            key = scope_key(rule["scope"])
            if key in seen_scopes:
                problems.add((*at, "scope"), f"approver_rules[{seen_scopes[key]}] has this scope already "
                                             "(one rule per scope)")
            seen_scopes.setdefault(key, index)
        quorum = rule.get("quorum", 1)
        people = _people(rule["approvers"], groups)
        named_groups = {Principal.parse(p).id for p in rule["approvers"] if p.startswith("group:")}
        if quorum > len(people) and named_groups <= set(groups):  # an unknown group is reported above
            problems.add((*at, "quorum"), f"quorum {quorum} is more than the {len(people)} "
                                          f"{'person' if len(people) == 1 else 'people'} the approvers name")
        if "approval_expiry" in rule and _duration(rule["approval_expiry"]) > timedelta(days=30):
            problems.add((*at, "approval_expiry"), f"expected at most 30 days, got {rule['approval_expiry']!r}")

    for index, freeze in enumerate(freezes_in):
        at = ("freezes", index)
        _check_scope(freeze["scope"], (*at, "scope"), problems)
        if _time(freeze["ends"]) <= _time(freeze["starts"]):
            problems.add((*at, "ends"), "the freeze must end after it starts")


# ------------------------------------------------------------------------------------------- building
def _build(data: Mapping[str, Any], actor: str, now: datetime, problems: _Problems) -> Policy:
    def build(path: Path, make: Any) -> Any:
        try:
            return make()
        except ValueError as exc:  # a rule of the records the checks above did not foresee
            problems.add(path, str(exc))
            return None

    groups = [
        build(("groups", i), lambda g=g: Group(
            name=g["name"], members=frozenset(g.get("members", [])), description=g.get("description", ""),
            created_by=actor, created_at=now))
        for i, g in enumerate(data.get("groups", []))
    ]
    grants = [build(("grants", i), lambda g=g: _grant(g, actor, now)) for i, g in enumerate(data.get("grants", []))]
    rules = [
        build(("approver_rules", i), lambda r=r: ApproverRule(
            id=r["id"], scope=r["scope"], approvers=frozenset(Principal.parse(p) for p in r["approvers"]),
            quorum=r.get("quorum", 1),
            approval_ttl=_duration(r["approval_expiry"]) if "approval_expiry" in r else timedelta(hours=24),
            created_by=actor, created_at=now))
        for i, r in enumerate(data.get("approver_rules", []))
    ]
    freezes = [
        build(("freezes", i), lambda f=f: Freeze(
            id=f["id"], scope=f["scope"], starts_at=_time(f["starts"]), ends_at=_time(f["ends"]),
            reason=f["reason"].strip(), declared_by=f.get("declared_by", actor).lower(), declared_at=now))
        for i, f in enumerate(data.get("freezes", []))
    ]
    return Policy(
        groups=tuple(g for g in groups if g is not None),
        grants=tuple(g for g in grants if g is not None),
        approver_rules=tuple(r for r in rules if r is not None),
        freezes=tuple(f for f in freezes if f is not None),
    )


def _grant(g: Mapping[str, Any], actor: str, now: datetime) -> Grant:
    kind = GrantKind(g.get("kind", "action"))
    window = g.get("window")
    return Grant(
        id=g["id"],
        principal=Principal.parse(g["principal"]),
        actions=frozenset(g.get("actions", [ALL_ACTIONS])),
        scope=g["scope"],
        kind=kind,
        mode=GrantMode(g.get("mode", "auto")),
        limits=Limits(
            parameters={
                name: ParameterLimit(minimum=b.get("min"), maximum=b.get("max"),
                                     max_increase=b.get("max_increase"), max_decrease=b.get("max_decrease"))
                for name, b in g.get("limits", {}).items()
            },
            window=None if window is None else TimeWindow(
                time_zone=window["time_zone"],
                days=frozenset(DAY_NAMES.index(d) + 1 for d in window.get("days", DAY_NAMES)),
                start_hour=window.get("start_hour", 0),
                end_hour=window.get("end_hour", 24),
            ),
        ),
        expires_at=_time(g["expires"]) if "expires" in g else None,
        created_by=actor,
        created_at=now,
        reason=g.get("reason", ""),
    )


def parse_policy(
    text: str | bytes, *, file: str, catalog: ActionCatalog | None, now: datetime, actor: str = ""
) -> Policy:
    """The policy in ``text`` (the content of ``file``, which names it in errors), as records.

    :param catalog: the actions a grant may name (None: action names and limit parameters are not checked).
    :param now: creation time stamped on the records (aware); :param actor: their creator (Entra object id).
    :raises PolicyFileError: listing every problem, each with file, line and field.
    """
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_POLICY_BYTES:
        raise PolicyFileError([PolicyProblem(file, None, "", f"is {size} bytes; a policy file is at most "
                                                               f"{MAX_POLICY_BYTES} bytes")])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyFileError([PolicyProblem(file, None, "", f"is not UTF-8 text ({exc.reason})")]) from None
    yaml = _yaml()
    try:
        for event in yaml.parse(text):
            if isinstance(event, AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else None
                raise PolicyFileError([PolicyProblem(file, line, "", "YAML aliases (*name) are not allowed in a "
                                                                     "policy file; write the value out")])
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise PolicyFileError([PolicyProblem(file, line, "", f"not valid YAML: {what}")]) from None
    except YAMLError as exc:
        raise PolicyFileError([PolicyProblem(file, None, "", f"not valid YAML: {exc}")]) from None
    if data is None:
        data = CommentedMap()
    problems = _Problems(file, data)
    _schema_problems(data, problems)
    if not problems.items:
        _semantic_problems(data, catalog, problems)
    if problems.items:
        raise PolicyFileError(sorted(problems.items, key=lambda p: p.line or 0))
    policy = _build(data, actor.strip().lower(), now, problems)
    if problems.items:
        raise PolicyFileError(problems.items)
    return policy
