"""The action declaration: what an action is, independent of chat, cards or hosting.

An action module declares one :class:`Action`: its name and aliases, help, typed
:class:`Parameter` s (and where their choices come from), the permission
:class:`Scope` it needs, a :class:`Preview` (current -> desired), and the
long-running ``start``/``poll`` pair. Dialogs, cards, the CLI and the docs are all
generated from these declarations; nothing else knows about a particular action.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from actions.quoting import quoted

if TYPE_CHECKING:  # pragma: no cover
    from actions.context import ActionContext

__all__ = [
    "Action",
    "ActionError",
    "Change",
    "Choice",
    "ChoiceList",
    "Discover",
    "ParamKind",
    "Parameter",
    "ParameterError",
    "Phrasing",
    "Precondition",
    "Preview",
    "Progress",
    "ProgressState",
    "Scope",
    "Unavailable",
    "phrasing_of",
    "preconditions_of",
    "unavailable_note",
]

ArgValue = str | int
Args = Mapping[str, ArgValue]


class ActionError(Exception):
    """A user-facing error: the message is shown to the user as written and says what to do.

    ``suggestions`` are complete commands the user may run instead (e.g. ``aks-set-autoscale
    cluster=aks-prod pool=np2 min=2 max=6``) or names they may have meant; chat can offer them
    as buttons.
    """

    def __init__(self, message: str, *, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions


class ParameterError(ActionError):
    """A parameter value is missing, malformed, out of range, or not among the offered choices."""

    def __init__(self, parameter: str, message: str, *, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message, suggestions=suggestions)
        self.parameter = parameter


class ParamKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    CHOICE = "choice"
    RESOURCE = "resource"  # an Azure resource: the value is its resource id; users may type its name


@dataclass(frozen=True)
class Choice:
    """One offered value: ``value`` is what is stored (e.g. a resource id), ``title`` what users see."""

    value: str
    title: str
    description: str = ""
    state: str = ""  # what a :class:`Precondition` is checked against, e.g. "deallocated"; "" when not known


@dataclass(frozen=True)
class ChoiceList:
    """Result of a discovery call. ``complete`` is False when the platform was too slow or partly failed."""

    choices: tuple[Choice, ...]
    complete: bool = True
    note: str = ""
    unavailable: tuple[Unavailable, ...] = ()  # discovered, but refused by a precondition (not offered)


# Discovery: given the context and the arguments known so far, list the valid choices.
Discover = Callable[["ActionContext", Args], Awaitable[ChoiceList]]


@dataclass(frozen=True)
class Parameter:
    """A typed parameter of an action."""

    name: str
    kind: ParamKind
    prompt: str  # the question the bot asks for it, e.g. "Which cluster?"
    description: str = ""
    required: bool = True
    default: ArgValue | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None  # full-match regex for TEXT
    choices: tuple[Choice, ...] = ()  # static choices for CHOICE
    discover: Discover | None = None  # live choices for CHOICE / RESOURCE
    resource_type: str | None = None  # e.g. "Microsoft.ContainerService/managedClusters"
    depends_on: tuple[str, ...] = ()  # parameters that must be known before discovery

    def coerce(self, raw: ArgValue) -> ArgValue:
        """Syntax-level check and conversion of one value; raises :class:`ParameterError`.

        Choice membership is checked against discovered choices by the caller
        (:func:`actions.params.resolve`), which has the context to discover them.
        """
        if self.kind is ParamKind.INTEGER:
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ParameterError(self.name, f"{self.name} must be a whole number, got {quoted(raw)}.") from None
            if self.minimum is not None and value < self.minimum:
                raise ParameterError(self.name, f"{self.name} must be at least {self.minimum}, got {value}.")
            if self.maximum is not None and value > self.maximum:
                raise ParameterError(self.name, f"{self.name} must be at most {self.maximum}, got {value}.")
            return value
        text = str(raw).strip()
        if not text:
            raise ParameterError(self.name, f"{self.name} cannot be empty.")
        if len(text) > 512:
            raise ParameterError(self.name, f"{self.name} is too long (at most 512 characters).")
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise ParameterError(
                self.name, f"{self.name} {quoted(text)} is not valid: {self.description or self.pattern}."
            )
        if self.kind is ParamKind.CHOICE and self.choices and self.discover is None:
            for choice in self.choices:
                if text.lower() in (choice.value.lower(), choice.title.lower()):
                    return choice.value
            allowed = ", ".join(c.title for c in self.choices)
            raise ParameterError(self.name, f"{self.name} must be one of: {allowed}.")
        return text


@dataclass(frozen=True)
class Scope:
    """The permission an action run needs: the action's name on one Azure resource id."""

    action: str
    resource_id: str


@dataclass(frozen=True)
class Change:
    """One field that the action changes: ``current`` -> ``desired`` (display strings)."""

    field: str
    current: str
    desired: str


@dataclass(frozen=True)
class Preview:
    """What-if of one action run, shown before the user confirms."""

    target: str  # e.g. "aks-prod / node pool np1"
    resource_id: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()  # warnings or hints, e.g. "the cluster autoscaler is on"
    no_op: bool = False  # the desired state is already the current state

    @property
    def text(self) -> str:
        """One line per change, e.g. ``aks-prod / node pool np1: nodes 3 → 5``."""
        lines = [f"{self.target}: {c.field} {c.current} → {c.desired}" for c in self.changes]
        return "\n".join(lines + list(self.notes)) if lines else "\n".join([self.target, *self.notes])


class ProgressState(StrEnum):
    """Where an action stands. Every state but ``RUNNING`` ends the waiting (``Progress.done``)."""

    RUNNING = "running"  # sent and accepted by Azure, not finished yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # Azure refused or failed it after it was sent: it may have partly happened
    TIMED_OUT = "timed_out"  # still running when the caller stopped waiting (the token still resumes it)
    UNKNOWN = "unknown"  # sent, but where it stands could not be read (status check failed): check the resource


@dataclass(frozen=True)
class Progress:
    """State of a long-running action. ``continuation_token`` resumes it in another process."""

    state: ProgressState
    message: str
    continuation_token: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state is not ProgressState.RUNNING


class Action(Protocol):
    """What every action module exposes (as a module-level ``ACTION`` object).

    ``usage`` is the positional form after the name, e.g. ``"{cluster} {pool} to {count}"``:
    words outside braces are optional filler the parser skips.

    ``args`` passed to ``scope``/``preview``/``start``/``poll`` are *resolved* values
    (:func:`actions.params.resolve_all`): integers coerced, resources given as resource ids.
    ``preview`` and ``start`` validate again against live state and raise :class:`ActionError`
    (or :class:`ParameterError`) for anything the user can correct: outside the configured scope,
    not found, out of the platform's limits, another operation running. Failures of the platform
    itself are not raised: ``start``/``poll`` return ``Progress(FAILED)`` with a short message
    carrying a reference that is logged with the details.
    """

    name: str
    aliases: tuple[str, ...]
    summary: str
    help: str
    usage: str
    examples: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    timeout_seconds: float

    def scope(self, args: Args) -> Scope: ...

    async def preview(self, ctx: ActionContext, args: Args) -> Preview: ...

    async def start(self, ctx: ActionContext, args: Args) -> Progress: ...

    async def poll(self, ctx: ActionContext, args: Args, continuation_token: str) -> Progress: ...


# ---------------------------------------------------------------- how people say it, what its target must be
# Two optional declarations of an action, read through :func:`phrasing_of` and
# :func:`preconditions_of` (a declaration without them gets the defaults):
#
# - ``phrasing``: a :class:`Phrasing` — the natural command help teaches first and the verb
#   synonyms people use (``reboot app web-prod`` is ``restart app web-prod``);
# - ``preconditions``: :class:`Precondition` s — the states a chosen target must be in (a VM to
#   start must be stopped or deallocated); discovery reports each choice's ``state``, choices in
#   other states are not offered, and such a value is refused with the declared reason.


@dataclass(frozen=True)
class Phrasing:
    """How people ask for an action in their own words.

    ``phrase`` is the command help teaches first, e.g. ``"scale node pool"`` (the action's
    hyphenated ``name`` stays a secondary name). ``synonyms`` is the declared synonym table: a
    leading verb of the phrase or of an alias → verbs meaning the same for this action
    (``{"restart": ("reboot", "bounce")}`` adds ``reboot app`` and ``bounce app`` to ``restart app``).
    Verbs are matched as whole leading words, never as substrings.
    """

    phrase: str
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def names(self, declared: tuple[str, ...]) -> tuple[str, ...]:
        """The phrase, then ``declared`` (name and aliases), then each of them with its leading verb
        replaced by each synonym; in that order, without repeats (compared as typed, lower case)."""
        found: list[str] = []
        for word in (self.phrase, *declared):
            if word.lower() not in (f.lower() for f in found):
                found.append(word)
        for word in list(found):
            words = word.split()
            for verb, alternatives in self.synonyms.items():
                verb_words = verb.split()
                if [w.lower() for w in words[: len(verb_words)]] != [v.lower() for v in verb_words]:
                    continue
                for alternative in alternatives:
                    spelled = " ".join([alternative, *words[len(verb_words):]])
                    if spelled.lower() not in (f.lower() for f in found):
                        found.append(spelled)
        return tuple(found)

    def verb_synonyms(self) -> tuple[str, ...]:
        """``"reboot" or "bounce" for "restart"`` style lines, one per declared verb, for help."""
        return tuple(
            " or ".join(f"`{alternative}`" for alternative in alternatives) + f" for `{verb}`"
            for verb, alternatives in self.synonyms.items()
            if alternatives
        )


_UNKNOWN_STATES = frozenset({"", "unknown"})


@dataclass(frozen=True)
class Precondition:
    """The states the target named by ``parameter`` must be in for the action to work.

    ``states`` are lower case (``("stopped", "deallocated")``). A choice whose state is known and
    not among them is not offered; a value naming it is refused with ``reasons[state]`` (a short
    phrase completing "it is …", e.g. ``"already deallocated"``), or the state itself. A choice
    whose state discovery could not tell (``""``, ``"unknown"``) is offered: the action's own
    checks against live state decide.
    """

    parameter: str
    states: tuple[str, ...]
    reasons: Mapping[str, str] = field(default_factory=dict)

    def refusal(self, state: str) -> str | None:
        """Why a target in ``state`` cannot be chosen (``"already deallocated"``), or None when it can."""
        state = state.strip().lower()
        if state in _UNKNOWN_STATES or state in self.states:
            return None
        return self.reasons.get(state, state)


@dataclass(frozen=True)
class Unavailable:
    """A discovered choice that a precondition refuses, and why (``"already deallocated"``)."""

    choice: Choice
    reason: str


def phrasing_of(action: Action) -> Phrasing:
    """The action's declared ``phrasing``; without one, its name is its phrase (and it has no synonyms)."""
    declared = getattr(action, "phrasing", None)
    if isinstance(declared, Phrasing):
        return declared
    return Phrasing(action.name)


def preconditions_of(action: Action) -> tuple[Precondition, ...]:
    """The action's declared ``preconditions`` (none when it declares none)."""
    declared = getattr(action, "preconditions", ())
    return tuple(p for p in declared if isinstance(p, Precondition))


_NAMED_UNAVAILABLE = 5  # name each choice not offered when there are at most this many


def unavailable_note(listed: ChoiceList) -> str:
    """What was not offered and why, for a form or a question; "" when everything was offered.

    ``Not offered: build-agent-3 (already deallocated).`` — or, for longer lists, the counts by
    reason: ``7 not offered: already deallocated (5), stopped (2).``
    """
    if not listed.unavailable:
        return ""
    if len(listed.unavailable) <= _NAMED_UNAVAILABLE:
        return "Not offered: " + ", ".join(f"{u.choice.title} ({u.reason})" for u in listed.unavailable) + "."
    counts: dict[str, int] = {}
    for item in listed.unavailable:
        counts[item.reason] = counts.get(item.reason, 0) + 1
    reasons = ", ".join(f"{reason} ({count})" for reason, count in counts.items())
    return f"{len(listed.unavailable)} not offered: {reasons}."
