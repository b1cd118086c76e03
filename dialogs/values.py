"""Plain-data helpers for dialog state: display labels of values, previews as dicts.

Dialog state is stored as JSON with an allow-list of classes (:mod:`storage.codec`), so what
the dialogs keep between turns is plain data: arguments as str/int, labels as str, and the
confirmed preview as a dict rebuilt into :class:`actions.spec.Preview` when needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions import params
from actions.context import ActionContext
from actions.resource_ids import parse_resource_id
from actions.spec import Action, ActionError, ArgValue, Change, ParamKind, Preview, Risk, RiskKind

__all__ = ["arg_facts", "label_for", "preview_from_dict", "preview_to_dict"]


async def label_for(ctx: ActionContext, action: Action, name: str, value: ArgValue, known: Mapping[str, Any]) -> str:
    """How to show a resolved value: a choice's title, a resource's name, or the value itself."""
    parameter = params.parameter(action, name)
    if parameter.kind in (ParamKind.CHOICE, ParamKind.RESOURCE):
        try:
            listed = await params.choices(ctx, action, name, known)
        except ActionError:
            listed = None
        if listed is not None:
            for choice in (*listed.choices, *(item.choice for item in listed.unavailable)):
                if choice.value == str(value):
                    return choice.title
        rid = parse_resource_id(str(value))
        if rid is not None:
            return rid.child_name or rid.name
    return str(value)


def arg_facts(action: Action, labels: Mapping[str, str]) -> list[tuple[str, str]]:
    """(parameter display label, value label) pairs in declaration order, for cards: ``("Node count", "5")``."""
    return [(p.title, labels[p.name]) for p in action.parameters if p.name in labels]


def preview_to_dict(preview: Preview) -> dict[str, Any]:
    """A JSON-safe copy of a preview, for dialog state."""
    return {
        "target": preview.target,
        "resource_id": preview.resource_id,
        "changes": [[c.field, c.current, c.desired, c.parameter] for c in preview.changes],
        "notes": list(preview.notes),
        "no_op": preview.no_op,
        "title": preview.title,
        "before": dict(preview.before),
        "risks": [[r.kind.value, r.parameter, r.message] for r in preview.risks],
        "no_op_reason": preview.no_op_reason,
    }


def preview_from_dict(data: Mapping[str, Any]) -> Preview:
    """The preview stored by :func:`preview_to_dict` (a dialog stored before titles and risks existed
    reads back with none)."""
    return Preview(
        target=str(data["target"]),
        resource_id=str(data["resource_id"]),
        changes=tuple(Change(*(str(part) for part in change)) for change in data["changes"]),
        notes=tuple(str(note) for note in data["notes"]),
        no_op=bool(data["no_op"]),
        title=str(data.get("title", "")),
        before={str(key): value for key, value in dict(data.get("before", {})).items()},
        risks=tuple(Risk(RiskKind(kind), str(name), str(message)) for kind, name, message in data.get("risks", [])),
        no_op_reason=str(data.get("no_op_reason", "")),
    )
