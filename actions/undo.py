"""Planning the undo of a finished operation: pure, from the action's ``undo`` declaration.

:func:`plan_undo` turns an operation (its action, its arguments, the resource's recorded
before-values) and the resource's values now into either an :class:`UndoPlan` — an ordinary
request (an action and raw arguments, as typed) that the caller sends through the normal dialog,
where it is previewed, confirmed and decided by the guardrails like any other request — or an
:class:`UndoRefusal` whose ``reason`` is written for the user.

What is compared: the *after* values, i.e. what the operation left — for each name the action's
:class:`~actions.spec.UndoRule` restores, the operation's own argument (``count=5``), and for a
state it changes, the rule's ``leaves`` (``power_state: running``) — against ``current``, the
:attr:`~actions.spec.Preview.before` of a fresh preview of the operation's own action with its
recorded arguments (the same keys as the recorded before-values). Values are compared as text,
ignoring case and surrounding spaces (``5`` and ``"5"``, ``Running`` and ``running`` are the
same). Any difference means someone or something changed the resource since: the undo is refused
rather than overwrite that change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from actions.params import command_text
from actions.registry import Registry
from actions.resource_ids import parse_resource_id
from actions.spec import Action, ArgValue, NotUndoable, phrasing_of, undo_of

__all__ = ["RefusalKind", "UndoPlan", "UndoRefusal", "plan_undo"]


class RefusalKind(StrEnum):
    """Why an undo is refused."""

    UNKNOWN_ACTION = "unknown_action"  # the operation's action is not (any longer) in the catalog
    NOT_UNDOABLE = "not_undoable"  # the action declares that it cannot be undone
    NOT_RECORDED = "not_recorded"  # the before-values (or the arguments) the undo needs were not recorded
    CANNOT_RESTORE = "cannot_restore"  # the reversing action would not bring back the state it had before
    NOTHING_CHANGED = "nothing_changed"  # the operation left everything as it was
    CURRENT_UNKNOWN = "current_unknown"  # the fresh preview did not read a value that is compared
    CHANGED_SINCE = "changed_since"  # the resource no longer has the values the operation left


@dataclass(frozen=True)
class UndoRefusal:
    """An undo that will not be planned; ``reason`` says why and what to do, for the user."""

    kind: RefusalKind
    reason: str


@dataclass(frozen=True)
class UndoPlan:
    """The request that undoes an operation: run ``action`` with the raw ``args`` (text, as typed).

    ``restores`` are the before-values it sets back (keyed like :attr:`~actions.spec.Preview.before`);
    ``caveat`` what it does not bring back ("" when nothing); ``undoes`` the undone action's name.
    """

    action: Action
    args: Mapping[str, str]
    undoes: str
    restores: Mapping[str, ArgValue] = field(default_factory=dict)
    caveat: str = ""

    def command_text(self) -> str:
        """The plan as a typed command (``scale node pool <cluster id> np1 to 3 nodes``): the command
        parser reads it back to this action and these arguments."""
        return command_text(self.action, self.args)


def _same(one: object, other: object) -> bool:
    return str(one).strip().lower() == str(other).strip().lower()


def _noun(action: Action, key: str) -> str:
    """How a value is named in a sentence: the parameter's noun (``node count``), else the key in words."""
    for param in action.parameters:
        if param.name == key:
            return param.noun
    return key.replace("_", " ")


def _target(values: Mapping[str, ArgValue]) -> str:
    """``aks-prod / np1``: the names of the resources the values identify (resource ids by their name)."""
    names = []
    for value in values.values():
        rid = parse_resource_id(str(value))
        names.append(rid.name if rid is not None else str(value))
    return " / ".join(names) or "the resource"


def plan_undo(
    registry: Registry,
    action_name: str,
    args: Mapping[str, ArgValue],
    before: Mapping[str, ArgValue] | None,
    current: Mapping[str, ArgValue],
) -> UndoPlan | UndoRefusal:
    """Plan the undo of an operation that ran ``action_name`` with the resolved ``args``.

    ``before`` is the :attr:`~actions.spec.Preview.before` recorded when the operation was
    previewed (None or empty when not recorded); ``current`` the ``before`` of a fresh preview of
    the same action and arguments, i.e. the resource's values now (see the module docstring).
    Pure: no I/O. Checks, in order: the action is known and undoable; the before-values and
    arguments the undo needs were recorded; the reversing action brings back the state it had
    (``UndoRule.restores``); the operation changed something; and the resource still has the values
    the operation left. Returns the first refusal, else the plan. Raises ValueError when the
    action's ``undo`` names an action that is not in ``registry`` (a declaration error).
    """
    action = registry.get(action_name)
    if action is None:
        return UndoRefusal(
            RefusalKind.UNKNOWN_ACTION,
            f"{action_name} is not an action Switchboard knows any more, so it can't be undone. "
            "Make the change you want as a new request.",
        )
    rule = undo_of(action)
    phrase = phrasing_of(action).phrase
    if isinstance(rule, NotUndoable):
        return UndoRefusal(RefusalKind.NOT_UNDOABLE, f"`{phrase}` can't be undone: {rule.reason}.")
    reverse = registry.get(rule.action)
    if reverse is None:
        raise ValueError(f"{action.name} is undone by {rule.action!r}, which is not in the catalog")
    kept = {name: args[name] for name in rule.same if name in args}
    target = _target(kept)
    needed = (*rule.restore, *rule.restores)
    if len(kept) < len(rule.same) or any(name not in args for name in rule.restore):
        return UndoRefusal(
            RefusalKind.NOT_RECORDED,
            "The operation's arguments were not recorded in full, so Switchboard can't tell what to set back. "
            "Make the change you want as a new request.",
        )
    if not before or any(name not in before for name in needed):
        return UndoRefusal(
            RefusalKind.NOT_RECORDED,
            f"The values {target} had before the operation were not recorded, so Switchboard can't tell what "
            "to set back. Make the change you want as a new request.",
        )
    for name, value in rule.restores.items():
        if not _same(before[name], value):
            return UndoRefusal(
                RefusalKind.CANNOT_RESTORE,
                f"{target} was {before[name]} before the operation, and `{phrasing_of(reverse).phrase}` would leave "
                f"it {value}, not as it was, so this can't be undone. Make the change you want as a new request.",
            )
    after: dict[str, ArgValue] = {name: args[name] for name in rule.restore}
    after.update(rule.leaves)
    if all(_same(after[name], before[name]) for name in rule.compared):
        values = ", ".join(f"{_noun(action, name)} {after[name]}" for name in rule.compared)
        return UndoRefusal(
            RefusalKind.NOTHING_CHANGED,
            f"The operation changed nothing ({target} already had {values}), so there is nothing to undo.",
        )
    unread = [name for name in rule.compared if name not in current]
    if unread:
        return UndoRefusal(
            RefusalKind.CURRENT_UNKNOWN,
            f"Switchboard could not read the {_noun(action, unread[0])} of {target} now, so it can't tell whether "
            "it changed since the operation. Try the undo again later.",
        )
    changed = [name for name in rule.compared if not _same(current[name], after[name])]
    if changed:
        facts = "; ".join(
            f"its {_noun(action, name)} is {current[name]} now, the operation left {after[name]}" for name in changed
        )
        return UndoRefusal(
            RefusalKind.CHANGED_SINCE,
            f"{target} has changed since the operation ({facts}), so undoing it could overwrite someone else's "
            "change. Make the change you want as a new request.",
        )
    raw = {name: str(value) for name, value in kept.items()}
    raw.update({name: str(before[name]) for name in rule.restore})
    restores: dict[str, ArgValue] = {name: before[name] for name in rule.compared}
    return UndoPlan(reverse, raw, action.name, restores, rule.caveat)
