"""Back to the form when the preview refuses one of its values — the rest of the form kept.

A form's values are checked one by one when it is submitted (:class:`dialogs.card_steps.FormDialog`),
but some checks need the whole request and live state: the preview refuses, say, 0 nodes for a
System pool, or a node pool the autoscaler took over since the form was shown. When such a
refusal names a parameter that was filled in on a form, the user gets that form again: every
value of it prefilled as they left it, the refusal shown at the field it is about.
"""

from __future__ import annotations

from typing import Any

from actions.spec import Action, ActionError, ParameterError
from cards import form_stage

__all__ = ["back_to_form", "stage_of"]


def stage_of(action: Action, name: str) -> list[str]:
    """The parameters on the same form as ``name``, when the forms are filled in from the start."""
    known: dict[str, object] = {}
    while stage := form_stage(action.parameters, known):
        names = [parameter.name for parameter in stage]
        if name in names:
            return names
        known.update(dict.fromkeys(names, ""))
    return [name]


def back_to_form(action: Action, state: dict[str, Any], error: ActionError) -> dict[str, Any] | None:
    """The collect state that shows the refused value's form again, or None when ``error`` is not
    about a value the user gave on a form (then the refusal ends the request as before).

    The form's parameters leave the collected arguments; their values become the form's prefill and
    the refusal its error at the field (``prefill``, ``field_errors`` in the state).
    """
    if state.get("mode") != "form" or not isinstance(error, ParameterError) or error.parameter not in state["args"]:
        return None
    names = [name for name in stage_of(action, error.parameter) if name in state["args"]]
    resumed = dict(state)
    resumed["args"] = {k: v for k, v in state["args"].items() if k not in names}
    resumed["labels"] = {k: v for k, v in state["labels"].items() if k not in names}
    resumed["prefill"] = {name: str(state["args"][name]) for name in names}
    resumed["field_errors"] = {error.parameter: error.message}
    return resumed
