"""Human-readable descriptions of actions, from their declarations: one source for CLI help and docs."""

from __future__ import annotations

from dataclasses import dataclass

from actions.spec import (
    Action,
    NotUndoable,
    Parameter,
    ParamKind,
    RiskKind,
    RiskRule,
    phrasing_of,
    preconditions_of,
    undo_of,
)

__all__ = [
    "ParameterRow",
    "bounds_text",
    "choices_source",
    "describe",
    "parameter_rows",
    "precondition_lines",
    "risk_text",
    "scope_text",
    "synonym_text",
    "undo_text",
]

_RESOURCE_NOUNS = {
    "microsoft.containerservice/managedclusters": "AKS cluster",
    "microsoft.compute/virtualmachinescalesets": "VM scale set",
    "microsoft.compute/virtualmachines": "virtual machine",
    "microsoft.web/sites": "web app or function app",
}


@dataclass(frozen=True)
class ParameterRow:
    """One parameter as the catalog shows it."""

    name: str
    label: str
    kind: str
    required: str
    bounds: str
    choices: str
    description: str


def bounds_text(param: Parameter) -> str:
    """``0 to 1000``, ``at least 1``, a pattern, or empty."""
    if param.minimum is not None and param.maximum is not None:
        return f"{param.minimum} to {param.maximum}"
    if param.minimum is not None:
        return f"at least {param.minimum}"
    if param.maximum is not None:
        return f"at most {param.maximum}"
    if param.pattern:
        return f"matches `{param.pattern}`"
    return ""


def choices_source(param: Parameter) -> str:
    """Where the valid values come from: the discovery function's docstring, or the static list."""
    if param.discover is not None:
        doc = (param.discover.__doc__ or "").strip().splitlines()
        source = doc[0].rstrip(".") if doc else "discovered live"
        after = f" (after {', '.join(param.depends_on)})" if param.depends_on else ""
        return f"discovered: {source}{after}"
    if param.choices:
        return "one of: " + ", ".join(c.title for c in param.choices)
    return ""


def _kind_text(param: Parameter) -> str:
    if param.kind is ParamKind.RESOURCE and param.resource_type:
        noun = _RESOURCE_NOUNS.get(param.resource_type.lower(), param.resource_type)
        return f"resource ({noun})"
    return param.kind.value


def parameter_rows(action: Action) -> list[ParameterRow]:
    """The action's parameters, in declaration order."""
    rows = []
    for param in action.parameters:
        if param.required and param.default is None:
            required = "yes"
        else:
            required = "no" if param.default is None else f"no (default {param.default})"
        rows.append(
            ParameterRow(
                name=param.name,
                label=param.title,
                kind=_kind_text(param),
                required=required,
                bounds=bounds_text(param),
                choices=choices_source(param),
                description=param.description or param.prompt,
            )
        )
    return rows


def _rule_text(action: Action, rule: RiskRule) -> str:
    noun = next((p.noun for p in action.parameters if p.name == rule.parameter), rule.parameter)
    if rule.kind is RiskKind.STOP:
        return f"always (it stops what runs: {rule.message.rstrip('.')})"
    if rule.kind is RiskKind.TO_ZERO:
        return f"{noun} to 0"
    if rule.kind is RiskKind.LARGE_CHANGE:
        ratio = "double or under half" if rule.factor == 2 else f"{rule.factor} times or under 1/{rule.factor}"
        return f"{noun} more than {ratio} of its current value, or more than {rule.step} up or down"
    return f"{noun} at the end of its allowed range"


def risk_text(action: Action) -> str:
    """When a preview of the action is flagged as risky (and needs an explicit acknowledgement), in words;
    ``never`` when it declares no risk rule."""
    return "; ".join(_rule_text(action, rule) for rule in action.risk_rules) or "never"


def scope_text(action: Action) -> str:
    """The permission a run needs, from the action's own ``scope``.

    E.g. ``aks-scale-node-pool on <cluster>/agentPools/<pool>``.
    """
    placeholders = {param.name: f"<{param.name}>" for param in action.parameters}
    scope = action.scope(placeholders)
    return f"{scope.action} on {scope.resource_id}"


def synonym_text(action: Action) -> str:
    """``reboot`` or ``bounce`` for ``restart`` — the declared verb synonyms, or ""."""
    return "; ".join(phrasing_of(action).verb_synonyms())


def precondition_lines(action: Action) -> list[str]:
    """One line per precondition, by the parameter's label and name:
    ``Virtual machine (vm): stopped or deallocated (others are not offered: running → already running)``."""
    titles = {param.name: param.title for param in action.parameters}
    lines = []
    for condition in preconditions_of(action):
        states = " or ".join(condition.states)
        reasons = ", ".join(f"{state} → {reason}" for state, reason in condition.reasons.items())
        refused = f" (others are not offered: {reasons})" if reasons else " (others are not offered)"
        title = titles.get(condition.parameter, condition.parameter)
        lines.append(f"{title} ({condition.parameter}): {states}{refused}")
    return lines


def _noun(action: Action, key: str) -> str:
    return next((p.noun for p in action.parameters if p.name == key), key.replace("_", " "))


def undo_text(action: Action, undoing: Action | None = None) -> str:
    """How a run of the action is undone, in words, from its ``undo`` declaration; ``undoing`` is the
    reversing action (for its phrase; its declared name is used when not given). E.g.
    ``by `scale node pool` (aks-scale-node-pool) on the same AKS cluster and node pool, setting the node
    count back to its value before; refused when the node count has changed since``, or
    ``not possible (a restart cannot be taken back)``.
    """
    rule = undo_of(action)
    if isinstance(rule, NotUndoable):
        return f"not possible ({rule.reason})"
    named = f"`{phrasing_of(undoing).phrase}` ({rule.action})" if undoing is not None else f"`{rule.action}`"
    same = " and ".join(_noun(action, name) for name in rule.same)
    parts = [f"by {named} on the same {same}"]
    if rule.restore:
        values = " and ".join(_noun(action, name) for name in rule.restore)
        their = "its value" if len(rule.restore) == 1 else "their values"
        parts.append(f", setting the {values} back to {their} before")
    for name, value in rule.restores.items():
        parts.append(f", only when its {_noun(action, name)} was {value} before (it leaves it {rule.leaves[name]})")
    compared = " and ".join(_noun(action, name) for name in rule.compared)
    verb = "have" if len(rule.compared) > 1 else "has"
    parts.append(f"; refused when the {compared} {verb} changed since")
    if rule.caveat:
        parts.append(f" ({rule.caveat})")
    return "".join(parts)


def describe(action: Action) -> str:
    """A plain-text description for the CLI's ``describe``."""
    phrase = phrasing_of(action).phrase
    lines = [f"{phrase} ({action.name}): {action.summary}"]
    if action.aliases:
        lines.append(f"  also: {', '.join(action.aliases)}")
    if synonym_text(action):
        lines.append(f"  synonyms: {synonym_text(action).replace('`', '')}")
    lines += ["", action.help, "", f"Usage: {phrase} {action.usage}", f"   or: {action.name} name=value ...", ""]
    if preconditions_of(action):
        lines += ["Choices offered only when:", *(f"  {line}" for line in precondition_lines(action)), ""]
    lines.append("Parameters:")
    for row in parameter_rows(action):
        facts = ", ".join(x for x in (row.kind, "required" if row.required == "yes" else row.required, row.bounds) if x)
        lines.append(f"  {row.name} — {row.label} ({facts}): {row.description}")
        if row.choices:
            lines.append(f"      {row.choices}")
    lines += ["", f"Preview title: {action.change_title}", f"Risky: {risk_text(action)}"]
    lines.append(f"Undo: {undo_text(action)}")
    lines += ["", f"Permission: {scope_text(action)}", f"Time limit: {action.timeout_seconds:g} s", ""]
    lines.append("Examples:")
    lines += [f"  {example}" for example in action.examples]
    return "\n".join(lines)
