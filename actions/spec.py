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
    "NotUndoable",
    "ParamKind",
    "Parameter",
    "ParameterError",
    "Phrasing",
    "Precondition",
    "Preview",
    "Progress",
    "ProgressState",
    "Risk",
    "RiskKind",
    "RiskRule",
    "Scope",
    "Unavailable",
    "UndoRule",
    "assess_risk",
    "at_limit",
    "fill_title",
    "large_change",
    "lower_first",
    "phrasing_of",
    "preconditions_of",
    "stops",
    "to_zero",
    "unavailable_note",
    "undo_of",
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
    label: str = ""  # how people see it named, e.g. "Node count", "Virtual machine" (default: from ``name``)
    required: bool = True
    default: ArgValue | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None  # full-match regex for TEXT
    choices: tuple[Choice, ...] = ()  # static choices for CHOICE
    discover: Discover | None = None  # live choices for CHOICE / RESOURCE
    resource_type: str | None = None  # e.g. "Microsoft.ContainerService/managedClusters"
    depends_on: tuple[str, ...] = ()  # parameters that must be known before discovery

    @property
    def title(self) -> str:
        """The display label at the start of a line or as a field title: ``Node count``, ``AKS cluster``."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def noun(self) -> str:
        """The display label inside a sentence: ``node count``, ``virtual machine``, ``AKS cluster``."""
        return lower_first(self.title)

    def bounds_phrase(self) -> str:
        """``from 0 to 1000``, ``at least 1``, ``at most 20`` or empty: the allowed range in words."""
        if self.minimum is not None and self.maximum is not None:
            return f"from {self.minimum} to {self.maximum}"
        if self.minimum is not None:
            return f"at least {self.minimum}"
        if self.maximum is not None:
            return f"at most {self.maximum}"
        return ""

    def coerce(self, raw: ArgValue) -> ArgValue:
        """Syntax-level check and conversion of one value; raises :class:`ParameterError`.

        Choice membership is checked against discovered choices by the caller
        (:func:`actions.params.resolve`), which has the context to discover them.
        """
        title = self.title
        if self.kind is ParamKind.INTEGER:
            try:
                value = int(str(raw).strip())
            except ValueError:
                raise ParameterError(self.name, f"{title} must be a whole number, got {quoted(raw)}.") from None
            low, high = self.minimum, self.maximum
            if (low is not None and value < low) or (high is not None and value > high):
                raise ParameterError(self.name, f"{title} must be {self.bounds_phrase()}, got {value}.")
            return value
        text = str(raw).strip()
        if not text:
            raise ParameterError(self.name, f"{title} cannot be empty.")
        if len(text) > 512:
            raise ParameterError(self.name, f"{title} is too long (at most 512 characters).")
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise ParameterError(
                self.name, f"{title} {quoted(text)} is not valid: {self.description or self.pattern}."
            )
        if self.kind is ParamKind.CHOICE and self.choices and self.discover is None:
            for choice in self.choices:
                if text.lower() in (choice.value.lower(), choice.title.lower()):
                    return choice.value
            allowed = ", ".join(c.title for c in self.choices)
            raise ParameterError(self.name, f"{title} must be one of: {allowed}.")
        return text


@dataclass(frozen=True)
class Scope:
    """The permission an action run needs: the action's name on one Azure resource id."""

    action: str
    resource_id: str


@dataclass(frozen=True)
class Change:
    """One thing the action changes, as display strings.

    A state change has a ``current`` and a ``desired`` value (``nodes``: ``3`` → ``5``); an event
    that changes no lasting state (a restart) has no ``current`` and says in ``desired`` what will
    happen (``restart``: ``web-prod will restart (brief downtime)``). ``parameter`` names the
    parameter whose value this change sets, if any (``count``), so a card shows the two as one fact.
    """

    field: str
    current: str
    desired: str
    parameter: str = ""

    @property
    def is_event(self) -> bool:
        """Whether this is an event (nothing to compare) rather than current → desired."""
        return not self.current

    @property
    def shown(self) -> str:
        """``3 → 5``, or the event's text."""
        return self.desired if self.is_event else f"{self.current} → {self.desired}"


class RiskKind(StrEnum):
    """Why a change is flagged as risky."""

    TO_ZERO = "to_zero"  # a count goes to 0
    STOP = "stop"  # the action stops or deallocates something that runs
    LARGE_CHANGE = "large_change"  # more than double / less than half / more than ``step`` up or down
    AT_LIMIT = "at_limit"  # the value is at the end of the parameter's allowed range


@dataclass(frozen=True)
class Risk:
    """One risk of a previewed change, with the sentence a preview shows for it."""

    kind: RiskKind
    parameter: str  # the parameter it is about ("" for the action as a whole, e.g. a stop)
    message: str


@dataclass(frozen=True)
class RiskRule:
    """A declared rule of what counts as risky for an action (build them with :func:`to_zero`,
    :func:`stops`, :func:`large_change`, :func:`at_limit`); :func:`assess_risk` evaluates them.

    ``message`` may use ``{label}`` / ``{noun}`` (the parameter's display label), ``{value}``
    (desired), ``{before}`` (current), ``{limit}`` and ``{reason}``; empty means the kind's default.
    """

    kind: RiskKind
    parameter: str = ""
    message: str = ""
    factor: int = 2  # LARGE_CHANGE: more than ``factor`` times, or less than 1/``factor`` of, the current value
    step: int = 10  # LARGE_CHANGE: more than ``step`` up or down


def to_zero(parameter: str, message: str = "") -> RiskRule:
    """Risky when ``parameter`` goes to 0 (from anything else)."""
    return RiskRule(RiskKind.TO_ZERO, parameter, message)


def stops(message: str) -> RiskRule:
    """Risky whenever the action runs: it stops or deallocates what is running. ``message`` says what stops."""
    return RiskRule(RiskKind.STOP, "", message)


def large_change(parameter: str, *, factor: int = 2, step: int = 10, message: str = "") -> RiskRule:
    """Risky when ``parameter`` more than ``factor``-folds, falls below 1/``factor``, or moves by more than ``step``."""
    return RiskRule(RiskKind.LARGE_CHANGE, parameter, message, factor=factor, step=step)


def at_limit(parameter: str, message: str = "") -> RiskRule:
    """Risky when ``parameter`` is set to the minimum or maximum of its declared range (a minimum of 0
    is left to a :func:`to_zero` rule of the same parameter, when declared)."""
    return RiskRule(RiskKind.AT_LIMIT, parameter, message)


_DEFAULT_RISK_MESSAGES = {
    RiskKind.TO_ZERO: "{label} goes to 0.",
    RiskKind.LARGE_CHANGE: "{label} {before} → {value} is a large change ({reason}).",
    RiskKind.AT_LIMIT: "{value} is the {limit} {noun} allowed.",
}


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _large_change_reason(rule: RiskRule, value: int, before: int) -> str | None:
    if before > 0 and value > before * rule.factor:
        return "more than double" if rule.factor == 2 else f"more than {rule.factor} times"
    if before > 0 and value * rule.factor < before:
        return "less than half" if rule.factor == 2 else f"less than 1/{rule.factor}"
    if value - before > rule.step:
        return f"more than {rule.step} more"
    if before - value > rule.step:
        return f"more than {rule.step} fewer"
    return None


def _assess_one(action: Action, rule: RiskRule, args: Args, before: Mapping[str, ArgValue]) -> Risk | None:
    if rule.kind is RiskKind.STOP:
        return Risk(rule.kind, "", rule.message)
    param = next((p for p in action.parameters if p.name == rule.parameter), None)
    if param is None:
        raise ValueError(f"{action.name} declares a risk rule for an unknown parameter {rule.parameter!r}")
    value = _as_int(args.get(param.name))
    current = _as_int(before.get(param.name))
    if value is None or value == current:
        return None  # not given, not a number, or not changing: nothing new to flag
    fields: dict[str, object] = {"label": param.title, "noun": param.noun, "value": value, "before": current}
    if rule.kind is RiskKind.TO_ZERO:
        hit = value == 0
    elif rule.kind is RiskKind.LARGE_CHANGE:
        reason = None if current is None else _large_change_reason(rule, value, current)
        hit = reason is not None
        fields["reason"] = reason
    else:  # AT_LIMIT
        low, high = param.minimum, param.maximum
        zero_rule = any(r.kind is RiskKind.TO_ZERO and r.parameter == param.name for r in action.risk_rules)
        at_high = high is not None and value == high
        at_low = low is not None and value == low and not (low == 0 and zero_rule)
        hit = at_high or at_low
        fields["limit"] = "highest" if at_high else "lowest"
    if not hit:
        return None
    template = rule.message or _DEFAULT_RISK_MESSAGES[rule.kind]
    return Risk(rule.kind, param.name, template.format_map(fields))


def assess_risk(action: Action, args: Args, before: Mapping[str, ArgValue]) -> tuple[Risk, ...]:
    """The risks of running ``action`` with ``args`` (resolved) on a resource whose current values are
    ``before`` (:attr:`Preview.before`), from the action's declared ``risk_rules``. Pure: no I/O.

    Rules are checked in declaration order and a parameter gets at most one risk (the first rule
    that applies); a parameter whose value does not change is never flagged. Raises ValueError
    when a rule names a parameter the action does not declare.
    """
    found: list[Risk] = []
    flagged: set[str] = set()
    for rule in action.risk_rules:
        if rule.parameter and rule.parameter in flagged:
            continue
        risk = _assess_one(action, rule, args, before)
        if risk is not None:
            found.append(risk)
            flagged.add(risk.parameter)
    return tuple(found)


def lower_first(text: str) -> str:
    """``Node count`` → ``node count``; an initialism stays (``AKS cluster``, ``VM scale set``)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def fill_title(action: Action, names: Mapping[str, str], before: Mapping[str, ArgValue]) -> str:
    """The action's ``change_title`` template filled in: ``Scale aks-prod / np1: 3 → 5 nodes``.

    ``names`` are the display values of the arguments by parameter name (``{"cluster": "aks-prod",
    "pool": "np1", "count": "5"}``); the template reads them as ``{cluster}`` and the current values
    as ``{before[count]}``. Raises KeyError when the template names something not given.
    """
    return action.change_title.format_map({**names, "before": before})


@dataclass(frozen=True)
class Preview:
    """What-if of one action run, shown before the user confirms.

    ``title`` says the change in a few words (the action's ``change_title`` filled in);
    ``before`` holds the resource's raw current values the change replaces, keyed by the
    parameter that sets them (``{"count": 3}``) — or by the state it changes
    (``{"power_state": "running"}``) — for relative limits and undo; ``risks`` are
    :func:`assess_risk` of the run (empty for a no-op). A no-op's ``no_op_reason`` says why there
    is nothing to change (``build-agent-1 is already deallocated``).
    """

    target: str  # e.g. "aks-prod / node pool np1"
    resource_id: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()  # hints, e.g. "nodes are drained before removal"
    no_op: bool = False  # the desired state is already the current state
    title: str = ""
    before: Mapping[str, ArgValue] = field(default_factory=dict)
    risks: tuple[Risk, ...] = ()
    no_op_reason: str = ""

    @property
    def risky(self) -> bool:
        """Whether confirming needs an explicit acknowledgement of :attr:`risks`."""
        return bool(self.risks) and not self.no_op

    @property
    def text(self) -> str:
        """One line per change (``aks-prod / node pool np1: nodes 3 → 5``, ``restart: web-prod will restart
        (brief downtime)``), then the risks and notes; a no-op says ``… — nothing to change``."""
        if self.no_op:
            reason = self.no_op_reason or f"{self.target} is already as requested"
            return f"{reason} — nothing to change"
        lines = [
            f"{c.field}: {c.desired}" if c.is_event else f"{self.target}: {c.field} {c.current} → {c.desired}"
            for c in self.changes
        ] or [self.target]
        return "\n".join([*lines, *(f"Risk: {r.message}" for r in self.risks), *self.notes])


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


# ---------------------------------------------------------------- how a run is undone


@dataclass(frozen=True)
class UndoRule:
    """How a run of an action is undone: by a run of the action named ``action`` (possibly itself).

    The undo's arguments are the run's own arguments named in ``same`` (which resource, e.g.
    ``("cluster", "pool")``) and, for each name in ``restore``, the run's recorded before-value of
    that name (:attr:`Preview.before`: ``{"count": 3}`` gives ``count=3``).

    An action that changes a state rather than a parameter's value declares it with ``leaves`` —
    the values, keyed like :attr:`Preview.before`, that a run leaves (``{"power_state":
    "running"}``) — and ``restores`` — the values the reversing action brings back
    (``{"power_state": "deallocated"}``, same keys); a run whose before-values differ from
    ``restores`` cannot be undone by it (a VM that was powered off but still allocated would come
    back deallocated, not as it was).

    What a run left (its *after* values) is its own argument for each name in ``restore`` and
    ``leaves`` for the rest; :func:`actions.undo.plan_undo` compares them with a fresh preview.
    ``caveat`` says what the undo does not bring back, if anything ("the removed nodes do not come
    back: new ones join"); empty when it restores everything the action changed.
    Raises ValueError when the declaration is inconsistent (nothing to compare, overlapping names,
    ``leaves`` and ``restores`` with different keys).
    """

    action: str
    same: tuple[str, ...]
    restore: tuple[str, ...] = ()
    leaves: Mapping[str, ArgValue] = field(default_factory=dict)
    restores: Mapping[str, ArgValue] = field(default_factory=dict)
    caveat: str = ""

    def __post_init__(self) -> None:
        if not self.restore and not self.leaves:
            raise ValueError(f"the undo by {self.action!r} names nothing to set back (restore or leaves)")
        if set(self.leaves) != set(self.restores):
            raise ValueError(f"the undo by {self.action!r} declares leaves and restores with different keys")
        if set(self.restore) & (set(self.same) | set(self.leaves)):
            raise ValueError(f"the undo by {self.action!r} names a value both as restored and as kept or left")

    @property
    def compared(self) -> tuple[str, ...]:
        """The :attr:`Preview.before` keys the undo sets back (and that are checked for changes since)."""
        return (*self.restore, *self.leaves)


@dataclass(frozen=True)
class NotUndoable:
    """An action whose runs cannot be undone. ``reason`` is a short clause, lower case, no full stop,
    that completes "It can't be undone: …" (``"a restart cannot be taken back"``)."""

    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a NotUndoable declaration needs a reason")


def undo_of(action: Action) -> UndoRule | NotUndoable:
    """The action's declared ``undo``; an action declaring none cannot be undone (and says so)."""
    declared = getattr(action, "undo", None)
    if isinstance(declared, UndoRule | NotUndoable):
        return declared
    return NotUndoable("its declaration does not say how to undo it")


class Action(Protocol):
    """What every action module exposes (as a module-level ``ACTION`` object).

    ``usage`` is the positional form after the name, e.g. ``"{cluster} {pool} to {count}"``:
    words outside braces are optional filler the parser skips.

    ``change_title`` is the short title of a preview (:func:`fill_title`); ``risk_rules`` say
    which changes are risky (:func:`assess_risk`). ``preview`` fills :attr:`Preview.title`,
    :attr:`Preview.before` and :attr:`Preview.risks` from them.

    ``undo`` says how a run is taken back — an :class:`UndoRule` naming the action that reverses it
    and how its arguments are built from the run's arguments and :attr:`Preview.before` — or, as a
    :class:`NotUndoable`, why it cannot be (:func:`actions.undo.plan_undo` plans an undo from it).

    ``arm_operations`` are the Azure Resource Manager operations the action performs — its
    discovery reads, the reads of its preview, the change itself and the status checks of its
    long-running operation — as Azure RBAC operation names
    (``Microsoft.Compute/virtualMachines/deallocate/action``). The deployment's custom role is
    generated from them (``python -m tools.gen_role``), so the bot's identity holds exactly these.

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
    change_title: str  # the preview's title template, e.g. "Scale {cluster} / {pool}: {before[count]} → {count} nodes"
    risk_rules: tuple[RiskRule, ...]  # what counts as risky for it (see assess_risk)
    arm_operations: tuple[str, ...]  # the ARM operations it performs (RBAC names), e.g. "Microsoft.Web/sites/read"
    undo: UndoRule | NotUndoable  # how a run is undone, or why it cannot be (see actions.undo.plan_undo)

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
