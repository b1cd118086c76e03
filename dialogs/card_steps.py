"""The two dialog steps a card button can drive: the parameter form, and the confirmation.

Each is a dialog on its owner's stack that knows its form id. A card submission reaches it
only when :class:`dialogs.conversations.Conversations` finds it as the leaf of the
*submitter's* stack and :meth:`accepts` says the card is its own — so a card pressed by
anyone else, or an old card, never drives a dialog. Submitted values are resolved on the
server exactly like typed ones (:func:`actions.params.resolve`); fields the form did not
offer are refused. A field sent empty or as ``null`` (:mod:`cards.protocol` leaves ``null`` out) is
missing: the form is shown again saying which to fill in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogContext,
    DialogInstance,
    DialogReason,
    DialogTurnResult,
)
from botbuilder.dialogs.prompts import ConfirmPrompt, PromptOptions, PromptValidatorContext

from actions import params
from actions.context import ActionContext
from actions.quoting import quoted
from actions.registry import Registry
from actions.spec import Action, ArgValue, ChoiceList, ParameterError, ParamKind
from cards import (
    BREAK_GLASS_INPUT,
    CardRef,
    CardSubmission,
    FormField,
    RequestCardState,
    Tone,
    Verb,
    acknowledged,
    acknowledgement_text,
    notice_card,
    request_card,
)
from dialogs import texts
from dialogs.answers import Answer, Sentinel
from dialogs.decisions import already_decided, claim_decision
from dialogs.offered import narrower
from dialogs.request_card import close_request_card, current_card, show_request_card
from dialogs.turn import present_card, present_message, turn_inputs
from dialogs.values import arg_facts, label_for, preview_from_dict

__all__ = [
    "CONFIRM_PROMPT",
    "FORM_DIALOG",
    "MAX_BREAK_GLASS_REASON",
    "CardStep",
    "FormDialog",
    "RequestConfirmPrompt",
    "form_fields",
    "innermost_dialog",
    "waiting_card_step",
]

FORM_DIALOG = "request.form"
CONFIRM_PROMPT = "request.confirm"
MAX_BREAK_GLASS_REASON = 500
"""Longest break-glass reason, in characters (as ``--break-glass "reason"``)."""


class CardStep(Protocol):
    """A dialog that a card button may drive."""

    def accepts(self, instance: DialogInstance, submission: CardSubmission) -> bool:
        """Whether ``submission`` is a button of the card this dialog instance is waiting on."""
        ...


async def innermost_dialog(dialog_context: DialogContext) -> tuple[Any, DialogInstance] | None:
    """The innermost active dialog of this stack and its instance, or None when nothing is active.

    Component dialogs keep their own stack in their instance state; this walks down to the leaf.
    """
    instance = dialog_context.active_dialog
    if instance is None:
        return None
    dialog: Any = await dialog_context.find_dialog(instance.id)
    while isinstance(dialog, ComponentDialog):
        inner = instance.state.get(ComponentDialog.persisted_dialog_state)
        if inner is None or not inner.dialog_stack:
            return None
        instance = inner.dialog_stack[0]
        dialog = await dialog.find_dialog(instance.id)
    return dialog, instance


async def waiting_card_step(dialog_context: DialogContext) -> tuple[CardStep, DialogInstance] | None:
    """The card step (form or confirmation) the innermost active dialog of this stack is, if any."""
    found = await innermost_dialog(dialog_context)
    if found is not None and isinstance(found[0], FormDialog | RequestConfirmPrompt):
        return found
    return None


def _ref(options: Mapping[str, Any], verb: Verb) -> CardRef:
    return CardRef(verb, options["action"], options["form"], options["owner_id"], options["owner_name"])


async def form_fields(
    ctx: ActionContext, action: Action, stage: Sequence[str], known: Mapping[str, ArgValue],
    values: Mapping[str, str] | None = None,
    narrow: Callable[[ChoiceList], Awaitable[ChoiceList]] | None = None,
) -> list[FormField]:
    """The form's inputs for the ``stage`` parameters, with their choices discovered (concurrently) and
    passed through ``narrow`` (the requester's choice filter, :mod:`dialogs.offered`)."""
    parameters = [params.parameter(action, name) for name in stage]

    async def offered(name: str, kind: ParamKind) -> ChoiceList | None:
        if kind not in (ParamKind.CHOICE, ParamKind.RESOURCE):
            return None
        found = await params.choices(ctx, action, name, known)
        return await narrow(found) if narrow is not None else found

    listed = await asyncio.gather(*(offered(p.name, p.kind) for p in parameters))
    prefill = values or {}
    return [FormField(p, choices, prefill.get(p.name)) for p, choices in zip(parameters, listed, strict=True)]


class FormDialog(Dialog):
    """Waits for the owner's submission of one form; validates it; shows it again with the reasons.

    Options (plain data): ``action``, ``form``, ``owner_id``, ``owner_name``, ``stage`` (the
    parameter names on this form), ``known`` (resolved arguments), ``labels``, ``final``.
    Result: an :class:`Answer` whose ``value`` is ``{"args": ..., "labels": ...}`` for this
    stage, or the CANCELLED / GAVE_UP sentinel.
    """

    def __init__(self, registry: Registry) -> None:
        super().__init__(FORM_DIALOG)
        self._registry = registry

    def accepts(self, instance: DialogInstance, submission: CardSubmission) -> bool:
        options = instance.state["options"]
        ref = submission.ref
        return ref.form_id == options["form"] and ref.action == options["action"] and ref.verb in (
            Verb.SUBMIT, Verb.CANCEL,
        )

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        if not isinstance(options, dict):
            raise TypeError("FormDialog needs its options as a dict")
        state = dialog_context.active_dialog.state
        state.update({
            "options": options, "attempts": 0, "errors": [], "values": dict(options.get("values") or {}),
            "field_errors": dict(options.get("field_errors") or {}),
        })
        await self._show(dialog_context.context, state)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        instance = dialog_context.active_dialog
        submission = turn_inputs(dialog_context.context).submission
        if submission is None:
            await dialog_context.context.send_activity(MessageFactory.text(texts.fill_in_the_form()))
            return Dialog.end_of_turn
        if not self.accepts(instance, submission):
            return Dialog.end_of_turn
        if submission.ref.verb is Verb.CANCEL:
            return await dialog_context.end_dialog(Answer(sentinel=Sentinel.CANCELLED))
        state = instance.state
        options = state["options"]
        action = self._registry.get(options["action"])
        if action is None:
            return await dialog_context.end_dialog(Answer(sentinel=Sentinel.GAVE_UP))
        args, labels, errors, field_errors = await self._validate(
            dialog_context.context, action, options, submission.inputs
        )
        if not errors and not field_errors:
            return await dialog_context.end_dialog(Answer(stage={"args": args, "labels": labels}))
        state["attempts"] += 1
        if state["attempts"] >= texts.MAX_TRIES:
            why = " ".join([*errors, *field_errors.values(), texts.gave_up("form")])
            if not await close_request_card(dialog_context.context, self._card(dialog_context.context, options),
                                            RequestCardState.STOPPED, message=why):
                await present_card(dialog_context.context, notice_card("Stopped", why, tone=Tone.ATTENTION))
            return await dialog_context.end_dialog(Answer(sentinel=Sentinel.GAVE_UP))
        state["errors"] = errors
        state["field_errors"] = field_errors
        state["values"] = {name: value for name, value in submission.inputs.items() if name in options["stage"]}
        await self._show(dialog_context.context, state)
        return Dialog.end_of_turn

    async def resume_dialog(
        self, dialog_context: DialogContext, reason: DialogReason, result: object
    ) -> DialogTurnResult:
        await self.reprompt_dialog(dialog_context.context, dialog_context.active_dialog)
        return Dialog.end_of_turn

    async def reprompt_dialog(self, context: TurnContext, instance: DialogInstance) -> None:
        await self._show(context, instance.state)

    async def _show(self, context: TurnContext, state: dict[str, Any]) -> None:
        options = state["options"]
        action = self._registry.get(options["action"])
        if action is None:
            return
        ctx = turn_inputs(context).actions
        fields = await form_fields(ctx, action, options["stage"], options["known"], state["values"],
                                   narrow=narrower(context, action))
        card = request_card(
            action, RequestCardState.FORM, requester_name=options["owner_name"], ref=_ref(options, Verb.SUBMIT),
            fields=fields, args=arg_facts(action, options["labels"]), errors=state["errors"], final=options["final"],
            field_errors=state.get("field_errors") or {},
        )
        slot = self._card(context, options)
        if slot is None:  # not part of a request (never so today): a card of its own
            await present_card(context, card)
            return
        await show_request_card(context, slot, RequestCardState.FORM, card)

    @staticmethod
    def _card(context: TurnContext, options: Mapping[str, Any]) -> dict[str, Any] | None:
        """The card slot of the request this form belongs to."""
        slot = current_card(context)
        return slot if slot is not None and slot["form"] == options["form"] else None

    async def _validate(
        self, context: TurnContext, action: Action, options: Mapping[str, Any], inputs: Mapping[str, str]
    ) -> tuple[dict[str, ArgValue], dict[str, str], list[str], dict[str, str]]:
        """Resolve each offered field like a typed answer; collect every reason a field is refused
        (by field; ``errors`` for what concerns the form as a whole)."""
        ctx = turn_inputs(context).actions
        stage: list[str] = options["stage"]
        errors: list[str] = []
        field_errors: dict[str, str] = {}
        extra = sorted(name for name in inputs if name not in stage)
        if extra:
            shown = ", ".join(quoted(name, 40) for name in extra[:5])
            errors.append(f"The form sent fields it did not offer ({shown}). Nothing was run.")
        resolved: dict[str, ArgValue] = dict(options["known"])
        labels: dict[str, str] = {}
        for name in stage:
            parameter = params.parameter(action, name)
            raw: ArgValue | None = inputs.get(name)
            if raw is None or not str(raw).strip():
                if parameter.default is not None:
                    raw = parameter.default
                elif parameter.required:
                    field_errors[name] = f"{parameter.prompt} This field is missing: fill it in."
                    continue
                else:
                    continue
            try:
                value = await params.resolve(ctx, action, name, raw, resolved)
            except ParameterError as exc:
                field_errors[name] = exc.message
                continue
            resolved[name] = value
            labels[name] = await label_for(ctx, action, name, value, resolved)
        stage_args = {name: resolved[name] for name in stage if name in resolved}
        return stage_args, labels, errors, field_errors


class RequestConfirmPrompt(ConfirmPrompt):
    """Shows the preview card and waits for Confirm/Cancel — pressed on the card or typed yes/no.

    The first answer claims the form's decision (:func:`dialogs.decisions.claim_decision`)
    before the dialog goes on; a later answer of the same form (a double click, a typed ``yes``
    after the button) is told what stands and leaves the dialog state untouched.

    ``validations`` (plain data): ``action``, ``form``, ``owner_id``, ``owner_name``,
    ``facts`` ([[title, label], ...]), ``preview`` (dict), ``mode`` ("chat" or "form"),
    ``break_glass_offer`` (the card offers Break glass, optional).
    Result: True (confirmed), False (declined), ``{"break_glass": reason}`` (Break glass pressed with a
    reason: confirmed as a break-glass request), or an :class:`Answer` with GAVE_UP.
    """

    def __init__(self, registry: Registry) -> None:
        super().__init__(CONFIRM_PROMPT, self._validate, default_locale="en-us")
        self._registry = registry

    def accepts(self, instance: DialogInstance, submission: CardSubmission) -> bool:
        options: PromptOptions = instance.state[self.persisted_options]
        validations = options.validations
        ref = submission.ref
        return ref.form_id == validations["form"] and ref.action == validations["action"] and ref.verb in (
            Verb.CONFIRM, Verb.CANCEL, Verb.BREAK_GLASS,
        )

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        submission = turn_inputs(dialog_context.context).submission
        if submission is None:
            typed = await self._typed_decision(dialog_context)
            if typed is True and self._is_risky(dialog_context):
                typed = None  # `yes` is not enough for a risky change: the validator says so; nothing is claimed
            if typed is not None and not await self._claim(dialog_context, typed):
                return Dialog.end_of_turn
            return await super().continue_dialog(dialog_context)
        if not self.accepts(dialog_context.active_dialog, submission):
            return Dialog.end_of_turn
        breaking = submission.ref.verb is Verb.BREAK_GLASS
        confirmed = submission.ref.verb is Verb.CONFIRM or breaking
        options: PromptOptions = dialog_context.active_dialog.state[self.persisted_options]
        preview = preview_from_dict(options.validations["preview"])
        if confirmed and preview.risky and not acknowledged(submission):
            # checked here, not only by the card's required check box: card data can be forged;
            # nothing is claimed, so the owner can still tick the box and confirm
            await self._show_preview(dialog_context.context, options.validations, [texts.acknowledge_first(
                acknowledgement_text(preview))])
            return Dialog.end_of_turn
        reason = submission.inputs.get(BREAK_GLASS_INPUT, "").strip()
        if breaking and not 0 < len(reason) <= MAX_BREAK_GLASS_REASON:
            # the card's required input is a convenience: checked here; nothing is claimed, the card stays
            await self._show_preview(dialog_context.context, options.validations,
                                     [texts.break_glass_reason_needed(MAX_BREAK_GLASS_REASON)])
            return Dialog.end_of_turn
        if not await self._claim(dialog_context, confirmed):
            return Dialog.end_of_turn
        # Break glass: the guardrails decide it again at submit (a press without a break-glass grant is refused)
        return await dialog_context.end_dialog({"break_glass": reason} if breaking else confirmed)

    def _is_risky(self, dialog_context: DialogContext) -> bool:
        options: PromptOptions = dialog_context.active_dialog.state[self.persisted_options]
        return preview_from_dict(options.validations["preview"]).risky

    async def _typed_decision(self, dialog_context: DialogContext) -> bool | None:
        """What a typed answer decides (yes: True, no: False), or None when it is not an answer."""
        instance = dialog_context.active_dialog
        recognized = await self.on_recognize(
            dialog_context.context, instance.state[self.persisted_state], instance.state[self.persisted_options]
        )
        return recognized.value if recognized.succeeded and isinstance(recognized.value, bool) else None

    async def _claim(self, dialog_context: DialogContext, confirmed: bool) -> bool:
        """Claim the decision on this form before anything runs; False when it was taken already:
        the person is told what stands (confirmed — the request was sent, it can't be confirmed again
        or stopped from here; or cancelled, by whom), the pressed card is left as it is, and the
        dialog state is left untouched (the turn that took the decision may still be running)."""
        validations = dialog_context.active_dialog.state[self.persisted_options].validations
        requester = turn_inputs(dialog_context.context).requester
        taken = await claim_decision(
            dialog_context.context, validations["form"], confirmed=confirmed, by_key=requester.key,
            by_name=requester.name,
        )
        if taken is None:
            return True
        if taken.confirmed:  # by another delivery of the owner's, which hands the request over
            target = preview_from_dict(validations["preview"]).target
            answer = texts.already_submitted(target) if confirmed else texts.cancel_too_late(target)
        else:
            answer = already_decided(taken)
        await present_message(dialog_context.context, answer)
        return False

    async def on_prompt(
        self, turn_context: TurnContext, state: dict[str, object], options: PromptOptions, is_retry: bool
    ) -> None:
        if is_retry and options.retry_prompt is not None:
            await turn_context.send_activity(options.retry_prompt)
            return
        await self._show_preview(turn_context, options.validations)

    async def _show_preview(
        self, turn_context: TurnContext, validations: Mapping[str, Any], errors: Sequence[str] = ()
    ) -> None:
        action = self._registry.get(validations["action"])
        if action is None:
            return
        preview = preview_from_dict(validations["preview"])
        # The question belongs to the card: in chat it says that typed answers work too.
        question = texts.confirm_on_card(preview.risky) if validations["mode"] == "chat" else None
        card = request_card(
            action, RequestCardState.PREVIEW, ref=_ref(validations, Verb.CONFIRM),
            requester_name=validations["owner_name"],
            args=[(title, label) for title, label in validations["facts"]],
            preview=preview,
            errors=errors,
            question=question,
            break_glass=bool(validations.get("break_glass_offer")),
        )
        slot = current_card(turn_context)
        if slot is None or slot["form"] != validations["form"]:
            await present_card(turn_context, card)
            return
        await show_request_card(turn_context, slot, RequestCardState.PREVIEW, card)

    @staticmethod
    async def _validate(prompt_context: PromptValidatorContext) -> bool:
        preview = preview_from_dict(prompt_context.options.validations["preview"])
        risky_yes = prompt_context.recognized.succeeded and prompt_context.recognized.value is True and preview.risky
        if prompt_context.recognized.succeeded and not risky_yes:
            return True
        attempt = prompt_context.options.number_of_attempts + 1
        if attempt >= texts.MAX_TRIES:
            await prompt_context.context.send_activity(MessageFactory.text(texts.gave_up("answer")))
            prompt_context.recognized.value = Answer(sentinel=Sentinel.GAVE_UP)
            return True
        retry = texts.confirm_risky(acknowledgement_text(preview)) if risky_yes else texts.confirm_retry(attempt)
        prompt_context.options.retry_prompt = MessageFactory.text(retry)
        return False
