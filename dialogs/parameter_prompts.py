"""Asking for one parameter in chat: the right botbuilder prompt, and a validator that re-checks it.

- choice and resource parameters: a ``ChoicePrompt`` of the discovered (or declared) choices,
  :data:`PAGE_SIZE` per page with a "more…" entry, and always a "use a form" entry; a value
  typed by name that is on another page is accepted too;
- integer parameters: a ``NumberPrompt`` whose question states the bounds;
- text parameters: a ``TextPrompt`` checked against the declared pattern.

One validator serves all three: it resolves the answer with :func:`actions.params.resolve`
(bounds, pattern, membership in the discovered choices), re-asks with the reason when it is
refused, and after :data:`~dialogs.texts.MAX_TRIES` refused answers stops politely. The
prompt's result is an :class:`~dialogs.answers.Answer`: the resolved value and its label, or a sentinel.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.dialogs.choices import Choice as PromptChoice
from botbuilder.dialogs.choices import ListStyle
from botbuilder.dialogs.prompts import (
    ChoicePrompt,
    NumberPrompt,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
)

from actions import params
from actions.registry import Registry
from actions.resource_ids import parse_resource_id
from actions.spec import Action, ArgValue, ChoiceList, Parameter, ParameterError, ParamKind, unavailable_note
from dialogs import texts
from dialogs.answers import Answer, Sentinel
from dialogs.suggestions import as_message, suggested_commands
from dialogs.turn import turn_inputs
from dialogs.values import label_for

__all__ = [
    "CHOICE_PROMPT",
    "NUMBER_PROMPT",
    "PAGE_SIZE",
    "TEXT_PROMPT",
    "parameter_prompts",
    "prompt_for",
]

CHOICE_PROMPT = "parameter.choice"
NUMBER_PROMPT = "parameter.number"
TEXT_PROMPT = "parameter.text"
PAGE_SIZE = 10
MORE = "more…"
USE_FORM = "use a form"
_VALUE = "value"
_FORM_WORDS = frozenset({"form", "use a form", "use form", "card"})


def parameter_prompts(registry: Registry) -> list[Any]:
    """The three prompts, sharing one validator bound to ``registry``."""
    validator = _ParameterValidator(registry)
    choice = ChoicePrompt(CHOICE_PROMPT, validator)
    choice.style = ListStyle.list_style  # numbered text: works in channels, where buttons' imBack is not delivered
    return [choice, NumberPrompt(NUMBER_PROMPT, validator, default_locale="en-us"), TextPrompt(TEXT_PROMPT, validator)]


def prompt_for(
    action: Action, parameter: Parameter, known: dict[str, ArgValue], listed: ChoiceList | None, page: int,
    *, first: bool, in_channel: bool,
) -> tuple[str, PromptOptions]:
    """The prompt id and options asking for ``parameter`` (``listed``: its choices, for choice kinds)."""
    question = parameter.prompt
    validations: dict[str, Any] = {"action": action.name, "param": parameter.name, "known": dict(known)}
    hint = f"\n\n{texts.form_hint(in_channel)}" if first else ""
    if parameter.kind in (ParamKind.CHOICE, ParamKind.RESOURCE) and listed is not None:
        entries = _page_entries(listed, page)
        validations["entries"] = entries
        labels = [label for _, _, label in entries]
        note = f"\n\n({listed.note}.)" if not listed.complete and listed.note else ""
        hidden = unavailable_note(listed)
        if hidden:
            note += f"\n\n{hidden}"
        total = len(listed.choices)
        shown = question
        if total > PAGE_SIZE:
            first_shown = page * PAGE_SIZE + 1
            last_shown = first_shown + _count_values(entries) - 1
            shown = f"{question} (showing {first_shown} to {last_shown} of {total})"
        options = PromptOptions(
            prompt=MessageFactory.text(f"{shown}{note}{hint}"),
            retry_prompt=MessageFactory.text(question),
            choices=[PromptChoice(value=label) for label in labels],
            validations=validations,
        )
        return CHOICE_PROMPT, options
    if parameter.kind is ParamKind.INTEGER:
        question = f"{question}{_bounds(parameter)}"
        prompt_id = NUMBER_PROMPT
    else:
        if parameter.description:
            question = f"{question} ({parameter.description})"
        prompt_id = TEXT_PROMPT
    validations["question"] = question
    options = PromptOptions(
        prompt=MessageFactory.text(f"{question}{hint}"),
        retry_prompt=MessageFactory.text(question),
        validations=validations,
    )
    return prompt_id, options


def _typed(value: ArgValue) -> ArgValue:
    """A resolved value as a user would type it: a resource by its name, anything else as it is."""
    rid = parse_resource_id(str(value))
    return rid.name if rid is not None and not rid.child_type else value


def _bounds(parameter: Parameter) -> str:
    low, high = parameter.minimum, parameter.maximum
    if low is not None and high is not None:
        return f" ({low} to {high})"
    if low is not None:
        return f" (at least {low})"
    if high is not None:
        return f" (at most {high})"
    return ""


def _count_values(entries: list[list[str]]) -> int:
    return sum(1 for kind, _, _ in entries if kind == _VALUE)


def _page_entries(listed: ChoiceList, page: int) -> list[list[str]]:
    """[[kind, value, label], ...] for one page: its choices, "more…" if any remain, "use a form".

    ``kind`` is ``"value"`` for a choice, else the :class:`Sentinel` the entry stands for.
    """
    titles = [choice.title for choice in listed.choices]
    duplicated = {title.lower() for title in titles if titles.count(title) > 1}
    start = page * PAGE_SIZE
    entries: list[list[str]] = []
    for choice in listed.choices[start:start + PAGE_SIZE]:
        label = choice.title
        if choice.title.lower() in duplicated and choice.description:
            label = f"{choice.title} ({choice.description})"
        entries.append([_VALUE, choice.value, label])
    if len(listed.choices) > start + PAGE_SIZE:
        entries.append([Sentinel.NEXT_PAGE.value, "", MORE])
    entries.append([Sentinel.USE_FORM.value, "", USE_FORM])
    return entries


class _ParameterValidator:
    """Resolve the answer on the server; re-ask with the reason; stop after too many tries."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def __call__(self, prompt_context: PromptValidatorContext) -> bool:
        options = prompt_context.options
        validations: dict[str, Any] = options.validations
        inputs = turn_inputs(prompt_context.context)
        action = self._registry.get(validations["action"])
        if action is None:  # the catalog changed under a running dialog
            prompt_context.recognized.value = Answer(sentinel=Sentinel.GAVE_UP)
            await prompt_context.context.send_activity(texts.card_not_active(validations["action"]))
            return True
        parameter = params.parameter(action, validations["param"])
        known: dict[str, ArgValue] = validations["known"]
        text = inputs.text.strip()
        if text.lower() in _FORM_WORDS:
            prompt_context.recognized.value = Answer(sentinel=Sentinel.USE_FORM)
            return True
        raw: ArgValue = text
        recognized = prompt_context.recognized
        if "entries" in validations and recognized.succeeded:
            kind, offered, _ = validations["entries"][recognized.value.index]
            if kind != _VALUE:
                recognized.value = Answer(sentinel=Sentinel(kind))
                return True
            raw = offered  # the offered choice's value
        elif parameter.kind is ParamKind.INTEGER and recognized.succeeded and recognized.value == int(recognized.value):
            raw = int(recognized.value)
        try:
            value = await params.resolve(inputs.actions, action, parameter.name, raw, known)
        except ParameterError as exc:
            given = {name: _typed(value) for name, value in known.items()}
            commands = suggested_commands(self._registry, exc, action, given)
            return await self._refuse(prompt_context, parameter, exc.message, commands)
        label = await label_for(inputs.actions, action, parameter.name, value, known)
        recognized.value = Answer(value=value, label=label)
        return True

    async def _refuse(
        self, prompt_context: PromptValidatorContext, parameter: Parameter, reason: str, commands: list[str]
    ) -> bool:
        """Ask again with the reason (and a button per suggested command); stop after too many tries."""
        options = prompt_context.options
        attempt = options.number_of_attempts + 1
        if attempt >= texts.MAX_TRIES:
            stop = f"{reason}\n\n{texts.gave_up(parameter.noun)}"
            await prompt_context.context.send_activity(MessageFactory.text(stop))
            prompt_context.recognized.value = Answer(sentinel=Sentinel.GAVE_UP)
            return True
        question = options.validations.get("question", parameter.prompt)
        options.retry_prompt = as_message(texts.retry(reason, question, attempt), commands)
        return False
