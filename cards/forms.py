"""The one form builder: an Adaptive Card form generated from an action's declaration.

No action has hand-written card JSON. For each parameter still to be filled, the form has
an input of the matching kind — a choice set of the offered (discovered or declared) choices,
a number input with the declared bounds, a text input with the declared pattern — with its
label, default, ``isRequired`` and an ``errorMessage``, so the client validates before sending.
The server validates again (:mod:`dialogs`): nothing a client sends is trusted.

Parameters whose choices depend on another parameter (a node pool depends on its cluster)
are asked on a following form once that one is known: :func:`form_stage` picks which
parameters one form can hold.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from actions.spec import Action, ArgValue, Choice, ChoiceList, Parameter, ParamKind, unavailable_note
from cards.elements import Json, Tone, adaptive_card, container, execute_action, fact_set, text_block
from cards.protocol import ACKNOWLEDGE_INPUT, CARD_DATA_KEY, CardRef, Verb

__all__ = ["MAX_FORM_CHOICES", "FormField", "form_card", "form_stage"]

MAX_FORM_CHOICES = 100
_CHOICES_BUDGET = 14_000  # characters of choice titles and values per input: Teams caps a message near 28 KB
_FILTERED_FROM = 8  # longer lists get a type-ahead ("filtered") choice set


@dataclass(frozen=True)
class FormField:
    """One input of a form: the parameter, the choices offered for it, and a value to prefill."""

    parameter: Parameter
    choices: ChoiceList | None = None
    value: ArgValue | None = None


def form_stage(parameters: Sequence[Parameter], known: Mapping[str, object]) -> list[Parameter]:
    """The parameters the next form asks for: missing ones, in declaration order, up to (not
    including) the first whose ``depends_on`` names a parameter that is still missing."""
    missing = [p for p in parameters if p.name not in known]
    missing_names = {p.name for p in missing}
    stage: list[Parameter] = []
    for parameter in missing:
        if any(dependency in missing_names for dependency in parameter.depends_on):
            break
        stage.append(parameter)
    return stage


def form_card(
    action: Action,
    ref: CardRef,
    fields: Sequence[FormField],
    *,
    known: Sequence[tuple[str, str]] = (),
    errors: Sequence[str] = (),
    final: bool = True,
    field_errors: Mapping[str, str] | None = None,
) -> Json:
    """The form for ``fields`` of ``action``, owned by ``ref.owner_name``.

    ``known`` are (label, display value) pairs already settled (shown, not editable);
    ``errors`` are the server's reasons a previous submission was refused, ``field_errors`` those
    about one field (shown under it, by parameter name); ``final`` says whether submitting leads
    to the preview ("Review") or to another form ("Next").
    """
    if ref.verb is not Verb.SUBMIT or ref.action != action.name:
        raise ValueError("a form's reference must be a submit of the same action")
    body: list[Json | None] = [
        text_block(action.summary, size="Medium", weight="Bolder"),
        text_block(f"Form for {ref.owner_name}. Only they can submit it.", size="Small", subtle=True, spacing="None"),
        container([text_block(error) for error in errors], tone=Tone.ATTENTION),
        fact_set(known),
    ]
    for form_field in fields:
        body.extend(_field_elements(form_field))
        refusal = (field_errors or {}).get(form_field.parameter.name)
        if refusal:
            body.append(container([text_block(refusal)], tone=Tone.ATTENTION))
    actions = [
        execute_action("Review" if final else "Next", ref.verb_text, ref.data(), style="positive"),
        execute_action("Cancel", ref.with_verb(Verb.CANCEL).verb_text, ref.with_verb(Verb.CANCEL).data(),
                       with_inputs=False),
    ]
    return adaptive_card(body, actions)


def _field_elements(form_field: FormField) -> list[Json | None]:
    parameter = form_field.parameter
    if parameter.name in (CARD_DATA_KEY, ACKNOWLEDGE_INPUT):
        raise ValueError(f"a parameter may not be named {parameter.name!r}")
    if parameter.kind is ParamKind.INTEGER:
        return [_number_input(parameter, form_field.value)]
    if parameter.kind is ParamKind.TEXT:
        return [_text_input(parameter, form_field.value)]
    return _choice_elements(parameter, form_field)


def _base_input(parameter: Parameter, input_type: str, error_message: str) -> Json:
    element: Json = {"type": input_type, "id": parameter.name, "label": parameter.title}
    if parameter.required:
        element["isRequired"] = True
    element["errorMessage"] = error_message
    return element


def _number_input(parameter: Parameter, value: ArgValue | None) -> Json:
    """An ``Input.Number`` WITHOUT ``min``/``max``: renderers (Teams' and the Playground's spin buttons)
    clamp a typed value into those bounds, silently turning 99999 into 1000. The range is stated in
    the label and the error message instead, and the server refuses a value outside it, saying so."""
    bounds = parameter.bounds_phrase()
    message = f"Enter a whole number {bounds}." if bounds else "Enter a whole number."
    element = _base_input(parameter, "Input.Number", message)
    if bounds:
        element["label"] = f"{parameter.title} ({bounds})"
    if parameter.description:
        element["placeholder"] = parameter.description
    initial = value if value is not None else parameter.default
    if initial is not None:
        # a non-number prefill (a refused entry) is left out for the user to retype
        with contextlib.suppress(TypeError, ValueError):
            element["value"] = int(initial)
    return element


def _text_input(parameter: Parameter, value: ArgValue | None) -> Json:
    message = parameter.description or f"Enter the {parameter.noun}."
    element = _base_input(parameter, "Input.Text", message)
    element["maxLength"] = 512
    if parameter.pattern:
        element["regex"] = f"^(?:{parameter.pattern})$"
    if parameter.description:
        element["placeholder"] = parameter.description
    initial = value if value is not None else parameter.default
    if initial is not None:
        element["value"] = str(initial)
    return element


def _within_budget(choices: Sequence[Choice]) -> Sequence[Choice]:
    used = 0
    for index, choice in enumerate(choices):
        used += len(choice.value) + len(choice.title) + len(choice.description) + 40
        if used > _CHOICES_BUDGET:
            return choices[:index]
    return choices


def _choice_elements(parameter: Parameter, form_field: FormField) -> list[Json | None]:
    offered = form_field.choices if form_field.choices is not None else ChoiceList(parameter.choices)
    if not offered.choices:
        reason = f" ({offered.note})" if offered.note else ""
        hidden = unavailable_note(offered)
        return [
            text_block(parameter.title, weight="Bolder"),
            container([text_block(f"Nothing is available to choose here right now{reason}.")], tone=Tone.ATTENTION),
            text_block(hidden, size="Small", subtle=True, spacing="None") if hidden else None,
        ]
    shown = _within_budget(offered.choices[:MAX_FORM_CHOICES])
    element = _base_input(parameter, "Input.ChoiceSet", f"Choose a {parameter.noun} from the list.")
    element["style"] = "filtered" if len(shown) > _FILTERED_FROM else "compact"
    element["placeholder"] = "Choose…" if len(shown) <= _FILTERED_FROM else "Type to search…"
    element["choices"] = [
        {"title": f"{choice.title} ({choice.description})" if choice.description else choice.title,
         "value": choice.value}
        for choice in shown
    ]
    initial = form_field.value if form_field.value is not None else parameter.default
    if initial is not None and any(choice.value == str(initial) for choice in shown):
        element["value"] = str(initial)
    notes: list[Json | None] = [element]
    if len(offered.choices) > len(shown):
        notes.append(text_block(
            f"Showing the first {len(shown)} of {len(offered.choices)}. To pick another, name it in your command.",
            size="Small", subtle=True, spacing="None",
        ))
    hidden = unavailable_note(offered)
    if hidden:  # Input.ChoiceSet cannot show a choice disabled: left out, and said why
        notes.append(text_block(hidden, size="Small", subtle=True, spacing="None"))
    if not offered.complete:
        notes.append(container([text_block(f"Note: {offered.note or 'the list may be incomplete'}.", size="Small")],
                               tone=Tone.WARNING))
    return notes
