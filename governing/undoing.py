"""Planning the undo of an operation: the resource's values now, then the action's own undo plan.

:func:`plan_operation_undo` reads the resource as it is now (a fresh preview of the operation's own
action with its recorded arguments: its :attr:`~actions.spec.Preview.before` holds the current
values, keyed like the operation's recorded before-values) and hands both to
:func:`actions.undo.plan_undo`, which decides — purely — whether the operation can be undone and
with which request. :func:`undoable` says whether an action declares how it is undone at all (the
operation's card offers Undo only then).
"""

from __future__ import annotations

from actions.context import ActionContext
from actions.registry import Registry
from actions.spec import ActionError, NotUndoable, undo_of
from actions.undo import RefusalKind, UndoPlan, UndoRefusal, plan_undo
from operations import Operation

__all__ = ["RefusalKind", "UndoPlan", "UndoRefusal", "plan_operation_undo", "undoable"]


def undoable(registry: Registry, action_name: str) -> bool:
    """Whether the action called ``action_name`` declares how a run of it is undone."""
    action = registry.get(action_name)
    return action is not None and not isinstance(undo_of(action), NotUndoable)


async def plan_operation_undo(
    registry: Registry, actions: ActionContext, operation: Operation
) -> UndoPlan | UndoRefusal:
    """The request that sets ``operation``'s resource back to its recorded before-values, or why not.

    Reads the resource once (a preview, nothing is changed); a resource that cannot be read now
    (gone, not allowed, Azure unavailable) is a refusal carrying the action's own message.
    """
    action = registry.get(operation.action)
    if action is None or isinstance(undo_of(action), NotUndoable):
        return plan_undo(registry, operation.action, operation.args, operation.before, {})
    try:
        preview = await action.preview(actions, dict(operation.args))
    except ActionError as exc:
        return UndoRefusal(
            RefusalKind.CURRENT_UNKNOWN,
            f"Switchboard could not read {operation.target or 'the resource'} now, so it can't tell whether it "
            f"changed since the operation: {exc.message}",
        )
    return plan_undo(registry, operation.action, operation.args, operation.before, preview.before)
