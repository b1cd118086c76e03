"""Parsing commands and resolving parameter values: shared by the CLI and the chat dialogs.

- :func:`parse_command` turns ``scale node pool aks-prod np1 to 5`` (or ``... cluster=aks-prod
  pool=np1 count=5``) into the action and its raw arguments, using each action's names, aliases
  and ``usage`` template (words outside braces are optional filler). Unknown commands raise an
  :class:`ActionError` with did-you-mean suggestions.
- :func:`choices` lists a parameter's valid values (discovery, cached per turn).
- :func:`resolve` validates one value given the arguments known so far: syntax and bounds
  (:meth:`Parameter.coerce`), then membership in the discovered choices; a resource typed by
  name resolves to its resource id.
- :func:`resolve_all` resolves a whole set of raw arguments; :func:`missing` lists what is
  still needed, in the order to ask for it.

Every error is an :class:`ActionError` / :class:`ParameterError` whose message says what to do.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from actions.context import ActionContext
from actions.quoting import quoted, shown
from actions.registry import Registry, normalize
from actions.resource_ids import parse_resource_id
from actions.spec import (
    Action,
    ActionError,
    Args,
    ArgValue,
    Choice,
    ChoiceList,
    Parameter,
    ParameterError,
    ParamKind,
    Unavailable,
    phrasing_of,
    preconditions_of,
)

__all__ = [
    "MAX_COMMAND_CHARS",
    "ParsedCommand",
    "UnknownActionError",
    "choices",
    "command_text",
    "missing",
    "natural_command",
    "parameter",
    "parse_command",
    "resolve",
    "resolve_all",
    "suggest_actions",
    "usage_line",
]

_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")
_MAX_COMMAND_WORDS = 5  # the longest name or alias, in words, considered when matching a command
_LISTED_CHOICES = 10  # name every choice in an error when there are at most this many
_SUGGESTION_CUTOFF = 0.75  # difflib similarity above which a name or alias is offered as "did you mean"
_SUGGESTION_LENGTH = 160  # characters of a corrected command repeated to the user
_SUGGESTION_SPREAD = 0.1  # a suggestion this much less similar than the best one is left out
_MAX_SUGGESTIONS = 3
_OFFERED_SUGGESTIONS = 5  # at most this many choices are offered as suggestions with a refusal
_MAX_NUMBER_LENGTH = 40  # longer "numbers" are left to Parameter.coerce to refuse
MAX_COMMAND_CHARS = 2000
"""Longest command text parsed, in characters: ten times the longest real command (resource ids included)."""


class UnknownActionError(ActionError):
    """The command names no action; ``suggestions`` hold the corrected commands it may have meant."""


@dataclass(frozen=True)
class ParsedCommand:
    """An action and the raw text of the arguments given for it (by parameter name)."""

    action: Action
    args: dict[str, str] = field(default_factory=dict)


def usage_line(action: Action) -> str:
    """``aks-scale-node-pool {cluster} {pool} to {count} nodes`` (or ``name k=v ...``)."""
    return f"{action.name} {action.usage}".strip()


def parameter(action: Action, name: str) -> Parameter:
    """The action's parameter called ``name`` (case-insensitive; ``-`` and ``_`` equivalent)."""
    wanted = name.strip().lower().replace("-", "_")
    for param in action.parameters:
        if param.name.lower() == wanted:
            return param
    known = [p.name for p in action.parameters]
    close = difflib.get_close_matches(wanted, known, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise ActionError(
        f"{action.name} has no parameter {quoted(name)}.{hint} Its parameters: {', '.join(known)}.",
        suggestions=tuple(close),
    )


def _near_misses(registry: Registry, tokens: list[str]) -> list[tuple[float, str, int]]:
    """Lookup names resembling the first tokens, as ``(similarity, key, tokens it replaces)``, best first.

    Whole phrases only: a name of *k* words is compared with the first tokens that make exactly *k*
    words (``aks-scael-node-pool`` is four), never with a shorter or longer start — so a
    correction never glues a name onto words that were meant as something else (``reboot`` is not
    compared with ``reboot vm``). A comparison runs only when difflib's cheap upper bounds (from
    the lengths, then from the letters) can reach the cutoff, so a long word costs no more than a
    short one: its length alone rules it out.
    """
    by_words: dict[int, tuple[str, int]] = {}
    for size in range(1, min(len(tokens), _MAX_COMMAND_WORDS) + 1):
        candidate = normalize(" ".join(tokens[:size]))
        by_words.setdefault(len(candidate.split()), (candidate, size))
    scored: list[tuple[float, str, int]] = []
    for key in registry.lookup_keys():
        aligned = by_words.get(len(key.split()))
        if aligned is None:
            continue
        candidate, size = aligned
        if 2 * min(len(candidate), len(key)) < _SUGGESTION_CUTOFF * (len(candidate) + len(key)):
            continue  # real_quick_ratio(): even a perfect overlap stays under the cutoff
        matcher = difflib.SequenceMatcher(None, candidate, key)
        if matcher.quick_ratio() < _SUGGESTION_CUTOFF:
            continue
        ratio = matcher.ratio()
        if ratio >= _SUGGESTION_CUTOFF:
            scored.append((ratio, key, size))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return scored


def suggest_actions(registry: Registry, text: str, *, limit: int = 3) -> tuple[str, ...]:
    """Names of the actions whose name, alias or phrase resembles the start of ``text``, best first."""
    found: list[str] = []
    for _, key, _ in _near_misses(registry, text.split()):
        action = registry.get(key)
        if action is not None and action.name not in found:
            found.append(action.name)
    return tuple(found[:limit])


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        raise ActionError("The command has an unclosed quote. Close it, or leave the quotes out.") from None


def parse_command(registry: Registry, text: str) -> ParsedCommand:
    """Split a command into its action and raw arguments (see the module docstring).

    Raises :class:`ActionError` for an empty command, one longer than :data:`MAX_COMMAND_CHARS`
    characters, or an unclosed quote; :class:`UnknownActionError` when it names no action.
    """
    if len(text) > MAX_COMMAND_CHARS:
        raise ActionError(
            f"That is too long for a command ({len(text)} characters; at most {MAX_COMMAND_CHARS}). "
            "Commands are short, e.g. `scale node pool aks-prod np1 to 5`; type `help` to see them."
        )
    tokens = _tokens(text)
    if not tokens or not any(tokens):
        raise ActionError("Say which action to run, e.g. `scale node pool aks-prod np1 to 5`, or ask for `help`.")
    action, used = _match_action(registry, tokens)
    if action is None:
        raise _unknown_action(registry, tokens)
    return ParsedCommand(action, _split_args(action, tokens[used:]))


def _unknown_action(registry: Registry, tokens: list[str]) -> UnknownActionError:
    """An unknown command, with the corrected commands it may have meant (one per action).

    Every suggestion is a real command: a lookup name replacing the words it was compared with,
    then the rest as typed (a misspelled ``name=`` corrected to the action's parameter) when that
    parses to the action, else the name alone (which opens the action's form). Only suggestions nearly as close as
    the best one are kept, at most three.
    """
    corrected: list[str] = []
    seen: set[str] = set()
    attempt = tokens[0]
    best: float | None = None
    for ratio, key, size in _near_misses(registry, tokens):
        action = registry.get(key)
        if action is None or action.name in seen:
            continue
        if best is not None and ratio < best - _SUGGESTION_SPREAD:
            break
        rest = [_corrected_key(action, token) for token in tokens[size:]]
        # Shown to the user as typed back: made safe to repeat in a message (see actions.quoting).
        command = shown(" ".join([registry.spelled(key), *(shlex.quote(t) for t in rest)]), _SUGGESTION_LENGTH)
        if not _parses_to(registry, command, action):
            command = registry.spelled(key)  # the rest does not fit this action: the name alone (its form)
        if best is None:
            best = ratio
            attempt = " ".join(tokens[:size])
        seen.add(action.name)
        corrected.append(command)
        if len(corrected) == _MAX_SUGGESTIONS:
            break
    hint = f" Did you mean: {' / '.join(corrected)}?" if corrected else ""
    return UnknownActionError(
        f"I don't know the action {quoted(attempt)}.{hint}",
        suggestions=tuple(corrected),
    )


def _corrected_key(action: Action, token: str) -> str:
    """``clustr=aks-prod`` as ``cluster=aks-prod`` when one parameter name is close; else as typed."""
    if "=" not in token or token.startswith("/"):
        return token
    key, _, value = token.partition("=")
    names = [p.name for p in action.parameters]
    if key.strip().lower().replace("-", "_") in names:
        return token
    close = difflib.get_close_matches(key.lower(), names, n=1)
    return f"{close[0]}={value}" if close else token


def _parses_to(registry: Registry, command: str, action: Action) -> bool:
    try:
        return parse_command(registry, command).action is action
    except ActionError:
        return False


def command_text(action: Action, args: Mapping[str, ArgValue]) -> str:
    """The natural command running ``action`` with ``args`` (raw or resolved values), e.g.
    ``scale node pool aks-prod np1 to 5``: the action's phrase, then the values in the order of
    its usage template (with its filler words) as far as they are given, the rest as
    ``name=value``. Always parses back to ``action`` and ``args``; a value the template would
    misread is written as ``name=value``.
    """
    phrase = phrasing_of(action).phrase
    values = {name: str(value) for name, value in args.items()}
    natural = _positional_text(action, values)
    for text in (f"{phrase} {natural}".strip(), " ".join([phrase, *_pairs(values)])):
        try:
            parsed = _split_args(action, _tokens(text)[len(phrase.split()):])
        except ActionError:
            continue
        if parsed == values:
            return text
    return " ".join([phrase, *_pairs(values)])


def _pairs(values: Mapping[str, str]) -> list[str]:
    return [f"{name}={shlex.quote(value)}" for name, value in values.items()]


def _positional_text(action: Action, values: Mapping[str, str]) -> str:
    words: list[str] = []
    pending_filler: list[str] = []
    used: set[str] = set()
    for word in action.usage.split():
        match = _PLACEHOLDER.match(word)
        if match is None:
            pending_filler.append(word)
            continue
        if match[1] not in values:
            break
        words += [*pending_filler, shlex.quote(values[match[1]])]
        pending_filler = []
        used.add(match[1])
    else:
        words += pending_filler  # trailing filler ("… nodes") reads naturally after the last value
    rest = {name: value for name, value in values.items() if name not in used}
    return " ".join([*words, *_pairs(rest)])


def natural_command(registry: Registry, text: str) -> str | None:
    """A suggested command (e.g. ``aks-set-autoscale cluster=aks-prod pool=np2 min=2 max=8``) in its
    natural form (``set autoscale aks-prod np2 min 2 max 8``); None when it does not parse."""
    try:
        parsed = parse_command(registry, text)
    except ActionError:
        return None
    return command_text(parsed.action, parsed.args)


def _match_action(registry: Registry, tokens: list[str]) -> tuple[Action | None, int]:
    """Longest prefix of ``tokens`` that is a name or alias."""
    for n in range(min(len(tokens), _MAX_COMMAND_WORDS), 0, -1):
        action = registry.get(" ".join(tokens[:n]))
        if action is not None:
            return action, n
    return None, 0


def _split_args(action: Action, tokens: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    positional: list[str] = []
    for token in tokens:
        if "=" in token and not token.startswith("/"):
            key, _, value = token.partition("=")
            param = parameter(action, key)
            if param.name in args:
                raise ParameterError(param.name, f"{param.name} is given twice. Give it once.")
            args[param.name] = value
        else:
            positional.append(token)
    _assign_positional(action, positional, args)
    return args


def _assign_positional(action: Action, values: list[str], args: dict[str, str]) -> None:
    """Fill the usage template's placeholders in order, skipping optional filler words and given k=v."""
    template = action.usage.split()
    slot = 0
    for value in values:
        while slot < len(template):
            word = template[slot]
            match = _PLACEHOLDER.match(word)
            if match is None:  # filler: consume it when the user wrote it, otherwise skip it
                slot += 1
                if value.lower() == word.lower():
                    break
                continue
            if match[1] in args:
                slot += 1
                continue
            args[match[1]] = value
            slot += 1
            break
        else:
            raise ActionError(
                f"Too many values: {quoted(value)} does not fit. Usage: {usage_line(action)} (or name=value pairs)."
            )


def missing(action: Action, args: Mapping[str, object]) -> list[Parameter]:
    """Required parameters without a value (and without a default), in the order to ask for them."""
    return [p for p in action.parameters if p.required and p.default is None and p.name not in args]


async def choices(ctx: ActionContext, action: Action, name: str, args: Args) -> ChoiceList:
    """The parameter's choices given the (resolved) arguments known so far; discovery is cached per turn.

    Choices that the action's preconditions refuse (:class:`~actions.spec.Precondition`) are
    moved to ``unavailable`` with the reason: they are not offered. Raises
    :class:`ParameterError` when a parameter it depends on is still unknown.
    """
    param = parameter(action, name)
    if param.discover is None:
        return _offered(action, param.name, ChoiceList(param.choices))
    for dependency in param.depends_on:
        if dependency not in args:
            needed = parameter(action, dependency)
            raise ParameterError(dependency, f"Choose the {needed.noun} first: {needed.prompt}")
    discover = param.discover
    key = (
        "discover",
        f"{discover.__module__}.{discover.__qualname__}",
        tuple((dep, str(args[dep]).lower()) for dep in param.depends_on),
    )
    return _offered(action, param.name, await ctx.cached(key, lambda: discover(ctx, args)))


def _offered(action: Action, name: str, listed: ChoiceList) -> ChoiceList:
    """``listed`` with the choices the action's preconditions on ``name`` refuse moved to ``unavailable``."""
    conditions = [condition for condition in preconditions_of(action) if condition.parameter == name]
    if not conditions:
        return listed
    offered: list[Choice] = []
    refused: list[Unavailable] = []
    for choice in listed.choices:
        reason = next((r for c in conditions if (r := c.refusal(choice.state)) is not None), None)
        if reason is None:
            offered.append(choice)
        else:
            refused.append(Unavailable(choice, reason))
    return ChoiceList(tuple(offered), listed.complete, listed.note, (*listed.unavailable, *refused))


async def resolve(
    ctx: ActionContext, action: Action, name: str, raw: ArgValue, known: Args, *, check_state: bool = True
) -> ArgValue:
    """Validate one value given the resolved arguments known so far; returns the value to store.

    A choice that a precondition refuses is refused with the reason ("build-agent-3 can't be
    chosen: it is already deallocated."), unless ``check_state`` is False: then it is accepted and
    the action's own checks against live state (its ``preview``) say what to do instead.
    """
    param = parameter(action, name)
    if param.kind is ParamKind.INTEGER:
        raw = _whole_number(raw)
    value = param.coerce(raw)
    if param.kind not in (ParamKind.CHOICE, ParamKind.RESOURCE) or param.discover is None:
        return value
    text = str(value)
    if param.kind is ParamKind.RESOURCE and text.startswith("/"):
        return await _resolve_resource_id(ctx, action, param, text, known, check_state)
    listed = await choices(ctx, action, param.name, known)
    wanted = text.lower()
    candidates = _candidates(listed, check_state)
    exact = [c for c in candidates if wanted in (c.value.lower(), c.title.lower())]
    if param.kind is ParamKind.RESOURCE and not exact:
        exact = [c for c in candidates if _group_and_name(c.value) == wanted]
    if not exact:
        for item in listed.unavailable:
            names = (item.choice.value.lower(), item.choice.title.lower(), _group_and_name(item.choice.value))
            if wanted in names:
                raise _refused(param, item, listed)
    if len(exact) == 1:
        return exact[0].value
    if len(exact) > 1:
        lines = "; ".join(f"{c.title} ({c.description})" if c.description else c.value for c in exact)
        raise ParameterError(
            param.name,
            f"More than one {param.noun} is called {quoted(text)}: {lines}. Say which one as resource-group/name "
            "or give its resource id.",
            suggestions=tuple(c.value for c in exact),
        )
    raise _not_among(param, text, listed)


def _whole_number(raw: ArgValue) -> ArgValue:
    """A whole number written with a decimal point (``"5.0"``, as some clients send numbers) as the int;
    anything else unchanged, for :meth:`Parameter.coerce` to accept or refuse (``"5.5"`` is refused)."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if "." not in text or len(text) > _MAX_NUMBER_LENGTH:
        return raw
    try:
        number = Decimal(text)
    except InvalidOperation:
        return raw
    if number.is_finite() and number == number.to_integral_value() and "e" not in text.lower():
        return int(number)
    return raw


def _group_and_name(resource_id: str) -> str:
    rid = parse_resource_id(resource_id)
    return f"{rid.resource_group}/{rid.name}".lower() if rid else ""


def _candidates(listed: ChoiceList, check_state: bool) -> tuple[Choice, ...]:
    if check_state:
        return listed.choices
    return (*listed.choices, *(item.choice for item in listed.unavailable))


def _refused(param: Parameter, item: Unavailable, listed: ChoiceList) -> ParameterError:
    """A choice a precondition refuses: the reason, and what may be chosen instead."""
    titles = [c.title for c in listed.choices]
    parts = [f"{item.choice.title} can't be chosen here: it is {item.reason}."]
    if titles and len(titles) <= _LISTED_CHOICES:
        parts.append(f"Choose one of: {', '.join(titles)}.")
    elif not titles:
        parts.append(f"There is no other {param.noun} to choose from.")
    return ParameterError(param.name, " ".join(parts), suggestions=tuple(titles[:_OFFERED_SUGGESTIONS]))


async def _resolve_resource_id(
    ctx: ActionContext, action: Action, param: Parameter, text: str, known: Args, check_state: bool
) -> str:
    try:
        rid = ctx.ensure_in_scope(text)
    except ParameterError:
        raise
    except ActionError as exc:
        raise ParameterError(param.name, exc.message) from None
    if param.resource_type and (not rid.is_type(param.resource_type) or rid.child_type):
        raise ParameterError(param.name, f"{quoted(text)} is not a {param.resource_type} resource. {param.prompt}")
    listed = await choices(ctx, action, param.name, known)
    for choice in _candidates(listed, check_state):
        if choice.value.lower() == str(rid).lower():
            return choice.value
    for item in listed.unavailable:
        if item.choice.value.lower() == str(rid).lower():
            raise _refused(param, item, listed)
    if not listed.complete:
        return str(rid)  # not listed in time: the action's own checks read it and say if it does not exist
    raise ParameterError(
        param.name, f"There is no {param.noun} {shown(rid.name)} in resource group {shown(rid.resource_group)}."
    )


def _not_among(param: Parameter, text: str, listed: ChoiceList) -> ParameterError:
    titles = [c.title for c in listed.choices]
    close = difflib.get_close_matches(text, titles, n=3, cutoff=0.6)
    if param.kind is ParamKind.RESOURCE:
        parts = [f"There is no {param.noun} called {quoted(text)} in the scope Switchboard may operate on."]
    else:
        parts = [f"There is no {param.noun} called {quoted(text)} here."]
    refused = {item.choice.title: item.reason for item in listed.unavailable}
    near_refused = difflib.get_close_matches(text, list(refused), n=1, cutoff=0.6)
    if close:
        parts.append(f"Did you mean {', '.join(close)}?")
    elif near_refused:
        parts.append(f"{near_refused[0]} is {refused[near_refused[0]]}.")
    if not close and len(titles) <= _OFFERED_SUGGESTIONS:
        close = titles  # nothing close that may be chosen: offer the few there are
    if titles and len(titles) <= _LISTED_CHOICES:
        parts.append(f"Choose one of: {', '.join(titles)}.")
    elif not titles:
        parts.append(f"There is no {param.noun} to choose from.")
    if not listed.complete:
        parts.append(f"({listed.note}.)" if listed.note else "(The list may be incomplete.)")
    return ParameterError(param.name, " ".join(parts), suggestions=tuple(close))


async def resolve_all(ctx: ActionContext, action: Action, raw: Mapping[str, ArgValue]) -> dict[str, ArgValue]:
    """Resolve every argument of a typed command in declaration order (dependencies first); fill defaults.

    The states of the targets are not checked here (``check_state=False``): the action's
    ``preview`` checks them against live state and says what to do instead. Raises
    :class:`ParameterError` for the first unknown, invalid or missing parameter.
    """
    names = {p.name for p in action.parameters}
    for key in raw:
        if key not in names:
            parameter(action, key)  # raises with did-you-mean
    resolved: dict[str, ArgValue] = {}
    for param in action.parameters:
        if param.name in raw:
            resolved[param.name] = await resolve(ctx, action, param.name, raw[param.name], resolved, check_state=False)
        elif param.default is not None:
            resolved[param.name] = param.coerce(param.default)
        elif param.required:
            raise ParameterError(
                param.name, f"{param.title} is missing: {param.prompt} Usage: {usage_line(action)}."
            )
    return resolved
