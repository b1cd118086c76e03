"""Reading the arguments of the guardrails' chat commands: principals, scopes, durations, times, limits.

Everything here raises :class:`InputError` with a message written for the person who typed
the command (what is wrong and what to type instead); nothing here touches storage.

Principals are Entra object ids, ``group:{name}`` / a group name, or Teams @mentions. A mention
arrives in the text as the person's display name; :func:`mark_mentions` replaces each mentioned
name by a placeholder token bound to the object id the mention entity carried, so a display
name that is *not* a mention is never taken for a person.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.quoting import quoted, shown
from actions.registry import Registry
from actions.spec import ParamKind
from guardrails.records import ALL_ACTIONS, Limits, ParameterLimit, Principal, TimeWindow
from guardrails.scopes import ScopeError, scope_segments

__all__ = [
    "InputError",
    "MentionedPerson",
    "PrincipalText",
    "mark_mentions",
    "not_a_principal",
    "parse_actions",
    "parse_duration",
    "parse_limits",
    "parse_principal",
    "parse_scope",
    "parse_time",
    "split_words",
    "unknown_principal",
    "viewer_zone",
]

OBJECT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12,13}", re.IGNORECASE)
GROUP_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_MENTION_TOKEN = "@mention#"
_DURATION = re.compile(r"(\d{1,6})\s*(m|min|h|d)", re.IGNORECASE)
_MAX_DURATION = timedelta(days=365)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LIMIT = re.compile(r"([a-z][a-z0-9_]*)(<=|>=|\+<=|-<=)(\d{1,9})")
_MAX_SHOWN = 60


class InputError(ValueError):
    """A command's input cannot be used; ``message`` says why and what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MentionedPerson:
    """A person @mentioned in the message: the name shown and the Entra object id of the mention (if any)."""

    name: str
    object_id: str | None


@dataclass(frozen=True)
class PrincipalText:
    """A principal read from the command, and how to show it (the mention's name, or its key)."""

    principal: Principal
    shown: str
    maybe_group: bool = False  # a bare word: a Switchboard group only if one by that name exists


def mark_mentions(text: str, mentions: Sequence[MentionedPerson]) -> tuple[str, dict[str, MentionedPerson]]:
    """``text`` with each mentioned name (longest first) replaced by a placeholder word, and the placeholders."""
    marked: dict[str, MentionedPerson] = {}
    for index, person in enumerate(sorted(mentions, key=lambda m: -len(m.name))):
        if not person.name.strip() or person.name not in text:
            continue
        token = f"{_MENTION_TOKEN}{index}"
        text = text.replace(person.name, f" {token}")
        marked[token] = person
    return text, marked


def split_words(text: str) -> list[str]:
    """Words of the command; text in double quotes is one word. InputError for an unclosed quote."""
    lexer = shlex.shlex(text.replace("\u201c", '"').replace("\u201d", '"'), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        raise InputError('A quote is not closed: put the reason between two double quotes ("…").') from None


def parse_principal(word: str, mentions: Mapping[str, MentionedPerson]) -> PrincipalText:
    """A user (mention, object id, ``user:{id}``) or a group (``group:{name}``, or a bare name to look up).

    InputError for a mention without an object id, or anything else (a display name alone is never a person).
    """
    word = word.strip().strip(",")
    if word in mentions:
        person = mentions[word]
        if not person.object_id:
            raise InputError(
                f"Teams did not give me {shown(person.name, _MAX_SHOWN)}'s Entra object id with the mention. "
                "Give their object id instead (Entra ID → Users → the person → Object ID)."
            )
        return PrincipalText(Principal.user(person.object_id), f"{person.name} (user:{person.object_id.lower()})")
    text = word
    lowered = text.lower()
    if lowered.startswith("user:"):
        text, lowered = text[5:], lowered[5:]
        if not OBJECT_ID.fullmatch(lowered):
            raise InputError(
                f"{quoted(word, _MAX_SHOWN)} is not a user: user:{{Entra object id}} (8-4-4-4-12 hex digits)."
            )
    if OBJECT_ID.fullmatch(lowered):
        principal = Principal.user(lowered)
        return PrincipalText(principal, principal.key)
    if lowered.startswith("group:"):
        name = lowered[6:]
        if not GROUP_NAME.fullmatch(name):
            raise InputError(f"{quoted(word, _MAX_SHOWN)} is not a group name (lower-case letters, digits, . _ -).")
        return PrincipalText(Principal.group(name), f"group:{name}")
    if GROUP_NAME.fullmatch(lowered) and not lowered.startswith(_MENTION_TOKEN):
        return PrincipalText(Principal.group(lowered), f"group:{lowered}", maybe_group=True)
    raise InputError(not_a_principal(word))


def not_a_principal(word: str) -> str:
    return (
        f"I can't tell who {quoted(word, _MAX_SHOWN)} is. Name a person by @mentioning them or by their Entra "
        "object id, or a Switchboard group as group:{name}; a display name alone is not accepted."
    )


def unknown_principal(word: str) -> str:
    """The message for a bare word that is neither an object id nor an existing group."""
    return (
        f"There is no user or group {quoted(word, _MAX_SHOWN)}. Name a person by @mentioning them or by their "
        "Entra object id, or an existing Switchboard group as group:{name}; a display name alone is not accepted."
    )


def parse_scope(word: str) -> str:
    """A scope (``/``, ``/subscriptions/S``, ``…/resourceGroups/RG``, a resource id prefix), as typed and checked."""
    try:
        scope_segments(word)
    except (ScopeError, UnicodeDecodeError) as exc:
        detail = str(exc) if isinstance(exc, ScopeError) else "it contains an encoded sequence that is not UTF-8."
        raise InputError(
            f"{quoted(word, _MAX_SHOWN)} is not a scope: {detail} A scope is / or an Azure resource id prefix such as "
            "/subscriptions/{id}/resourceGroups/{name}."
        ) from None
    return word.strip()


def parse_duration(word: str) -> timedelta:
    """``90m``, ``8h``, ``7d`` (1 minute to 365 days)."""
    match = _DURATION.fullmatch(word.strip())
    if match is None:
        raise InputError(f"{quoted(word, _MAX_SHOWN)} is not a duration: write it like 90m, 8h or 7d.")
    amount, unit = int(match.group(1)), match.group(2).lower()
    value = {"m": timedelta(minutes=amount), "min": timedelta(minutes=amount), "h": timedelta(hours=amount)}.get(
        unit, timedelta(days=amount)
    )
    if not timedelta(minutes=1) <= value <= _MAX_DURATION:
        raise InputError(f"A duration is between 1 minute and 365 days, got {quoted(word, _MAX_SHOWN)}.")
    return value


def viewer_zone(name: str | None) -> tzinfo | None:
    """The IANA zone Teams named (``activity.localTimezone``), or None when absent or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_time(words: Sequence[str], zone: tzinfo | None) -> tuple[datetime, int]:
    """A moment from the first one or two ``words``: ``YYYY-MM-DD[ T]HH:MM`` or a date alone (midnight),
    optionally with ``Z`` or an offset; without one, in ``zone`` (the viewer's) or UTC. Returns the
    aware moment and how many words it used."""
    if not words:
        raise InputError("Say until when: a time such as 2026-12-28 09:00.")
    first = words[0]
    candidates = []
    if len(words) > 1 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", first):
        candidates.append((f"{first}T{words[1]}", 2))
    candidates.append((first, 1))
    for text, used in candidates:
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone or UTC)
        return moment, used
    raise InputError(
        f"{quoted(first, _MAX_SHOWN)} is not a time: write it as YYYY-MM-DD HH:MM (your time zone), "
        "e.g. 2026-12-28 09:00, "
        "or with Z or an offset, e.g. 2026-12-28T09:00+01:00."
    )


def parse_actions(word: str, registry: Registry) -> frozenset[str]:
    """Action names separated by commas, or ``*``; each must be an action of the catalog (by name or alias)."""
    names: set[str] = set()
    for part in (p.strip() for p in word.split(",")):
        if not part:
            continue
        if part == ALL_ACTIONS:
            names.add(ALL_ACTIONS)
            continue
        action = registry.get(part)
        if action is None:
            known = ", ".join(a.name for a in registry)
            raise InputError(f"{quoted(part, _MAX_SHOWN)} is not an action. Actions: {known}, or * for all.")
        names.add(action.name)
    if not names:
        raise InputError("Name the actions: names separated by commas, or * for all.")
    return frozenset(names)


def _integer_parameters(actions: Iterable[str], registry: Registry) -> set[str]:
    chosen = [a for a in registry if ALL_ACTIONS in actions or a.name in actions]
    return {p.name for a in chosen for p in a.parameters if p.kind is ParamKind.INTEGER}


def parse_limits(words: Sequence[str], actions: frozenset[str], registry: Registry, zone_name: str | None) -> Limits:
    """Limits from words such as ``count<=10``, ``count>=1``, ``count+<=3``, ``count-<=2``, ``days=mon-fri``,
    ``hours=9-17``, ``tz=Europe/Berlin`` (the window's zone defaults to the viewer's, else UTC)."""
    bounds: dict[str, dict[str, int]] = {}
    days: frozenset[int] | None = None
    hours: tuple[int, int] | None = None
    zone = zone_name or "UTC"
    allowed = _integer_parameters(actions, registry)
    for word in words:
        lowered = word.lower()
        if lowered.startswith("days="):
            days = _days(word[5:])
        elif lowered.startswith("hours="):
            hours = _hours(word[6:])
        elif lowered.startswith("tz="):
            zone = word[3:]
            if viewer_zone(zone) is None:
                raise InputError(f"{quoted(zone, _MAX_SHOWN)} is not an IANA time zone (e.g. Europe/Berlin).")
        else:
            match = _LIMIT.fullmatch(lowered)
            if match is None:
                raise InputError(
                    f"{quoted(word, _MAX_SHOWN)} is not a limit. Write count<=10, count>=1, count+<=3 (at most 3 more "
                    "than now), count-<=2, days=mon-fri, hours=9-17 or tz=Europe/Berlin."
                )
            name, operator, value = match.group(1), match.group(2), int(match.group(3))
            if name not in allowed:
                names = ", ".join(sorted(allowed)) or "none"
                raise InputError(
                    f"{quoted(name, _MAX_SHOWN)} is not a whole-number parameter of these actions (they have: {names})."
                )
            key = {"<=": "maximum", ">=": "minimum", "+<=": "max_increase", "-<=": "max_decrease"}[operator]
            bounds.setdefault(name, {})[key] = value
    try:
        parameters = {name: ParameterLimit(**values) for name, values in bounds.items()}
        window = None
        if days is not None or hours is not None:
            start, end = hours or (0, 24)
            window = TimeWindow(zone, days if days is not None else frozenset(range(1, 8)), start, end)
    except ValueError as exc:
        raise InputError(f"These limits do not fit together: {exc}") from None
    return Limits(parameters=parameters, window=window)


def _days(text: str) -> frozenset[int]:
    found: set[int] = set()
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            raise InputError(f"{quoted(text, _MAX_SHOWN)} are not days: write them like mon-fri or sat,sun.")
        start, end = _DAYS.index(first), _DAYS.index(last or first)
        if end < start:
            raise InputError(f"{quoted(text, _MAX_SHOWN)}: a range of days runs forward, like mon-fri.")
        found.update(range(start + 1, end + 2))
    return frozenset(found)


def _hours(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", text)
    if match is None or not 0 <= int(match.group(1)) < int(match.group(2)) <= 24:
        raise InputError(
            f"{quoted(text, _MAX_SHOWN)} are not hours: write them like 9-17 (start inclusive, end exclusive)."
        )
    return int(match.group(1)), int(match.group(2))
