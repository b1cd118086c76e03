"""The one generic action dialog: collect the parameters, preview, confirm, hand over the request.

Driven entirely by the action's declaration — there is no per-action dialog code:

1. **collect** (a loop): resolve what the user already said (inline arguments, in declaration
   order, each once its dependencies are known; a refused value is explained and asked for),
   then ask for the next missing parameter with the prompt its kind calls for
   (:mod:`dialogs.parameter_prompts`) — or, in form mode, send the next card form
   (:class:`~dialogs.card_steps.FormDialog`). An action named with no arguments starts in form
   mode; "use a form" / ``form`` switches to it at any question.
2. **preview**: ``action.preview`` (current → desired, validated against live state); a user
   error ends the dialog with its message; a no-op says so and ends.
3. **confirm**: the preview card with Confirm/Cancel, also answerable with yes/no; the answer
   claims the form's decision first (:mod:`dialogs.decisions`: the at-most-once guard).
4. **finish**: build the :class:`~requesting.request.Request` (identity from the activity); mark
   the dialog *submitted* and write that to storage **before** anything is sent (a failed
   write: nothing was sent, the turn says so and gives the decision back); record the request
   in the turn's started effects (:mod:`dialogs.turn_effects`: the turn's first effect — the
   replies held so far go out — read by the turn's failure path); pass it to the
   :class:`~requesting.request.RequestHandler`; show the outcome; end. The mark is what a later
   turn finds in the dialog state (the turn's last save failed, or that turn is still
   running) to answer truthfully: :func:`submitted_request` names it, and the main dialog
   answers `cancel` with "already started — check …", anything else with "already sent".

Everything kept between turns is plain data (see :mod:`dialogs.values`).
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions

from actions import params
from actions.registry import Registry
from actions.spec import Action, ActionError, ParameterError, ParamKind, unavailable_note
from cards import CardRef, Tone, Verb, decision_card, form_stage, new_form_id, outcome_card, preview_card
from dialogs import texts
from dialogs.answers import Answer, Sentinel
from dialogs.card_steps import (
    CONFIRM_PROMPT,
    FORM_DIALOG,
    FormDialog,
    RequestConfirmPrompt,
    form_fields,
    innermost_dialog,
)
from dialogs.form_return import back_to_form
from dialogs.parameter_prompts import parameter_prompts, prompt_for
from dialogs.suggestions import say_with_buttons, suggested_commands
from dialogs.turn import answers_invoke, card_activity, present_card, present_notice, turn_inputs
from dialogs.turn_effects import EffectStatus, record_settled, record_submitted
from dialogs.values import arg_facts, label_for, preview_from_dict, preview_to_dict
from requesting.request import Outcome, OutcomeState, Request, RequestHandler

__all__ = ["ACTION_DIALOG", "ActionDialog", "action_options", "submitted_request"]

ACTION_DIALOG = "action"
_RUN = "action.run"
_COLLECT = "action.collect"
_SUBMITTED = "submitted"  # the run step's value once the request was handed over: {"request", "target"}

_OUTCOME_LOOK = {
    OutcomeState.SUCCEEDED: ("Done", Tone.GOOD),
    OutcomeState.FAILED: ("Failed", Tone.ATTENTION),
    OutcomeState.STARTED: ("Started, not finished yet", Tone.WARNING),
    OutcomeState.UNCONFIRMED: ("Could not be confirmed", Tone.WARNING),
    OutcomeState.REFUSED: ("Not done", Tone.WARNING),
    OutcomeState.AWAITING_APPROVAL: ("Waiting for approval", Tone.ACCENT),
    OutcomeState.QUEUED: ("Queued", Tone.ACCENT),
}

_EFFECTS: dict[OutcomeState, EffectStatus | None] = {
    OutcomeState.SUCCEEDED: EffectStatus.DONE,
    OutcomeState.FAILED: EffectStatus.FAILED,
    OutcomeState.STARTED: EffectStatus.RUNNING,
    OutcomeState.UNCONFIRMED: EffectStatus.UNCONFIRMED,
    OutcomeState.REFUSED: None,  # nothing was sent
    OutcomeState.AWAITING_APPROVAL: None,  # nothing was sent; the approvers decide
    OutcomeState.QUEUED: None,  # nothing was sent yet; the operation's worker reports back
}


def action_options(action: str, raw: dict[str, str]) -> dict[str, Any]:
    """Options to begin :class:`ActionDialog`: the action's name and the raw arguments the user gave."""
    return {"action": action, "raw": dict(raw)}


class ActionDialog(ComponentDialog):
    """Collect → preview → confirm → request, for any action of the registry."""

    def __init__(self, registry: Registry, handler: RequestHandler) -> None:
        super().__init__(ACTION_DIALOG)
        self._registry = registry
        self._handler = handler
        self.add_dialog(WaterfallDialog(_RUN, [self._collect, self._preview, self._finish, self._submitted_already]))
        self.add_dialog(WaterfallDialog(_COLLECT, [self._ask, self._take]))
        for prompt in parameter_prompts(registry):
            self.add_dialog(prompt)
        self.add_dialog(FormDialog(registry))
        self.add_dialog(RequestConfirmPrompt(registry))
        self.initial_dialog_id = _RUN

    def _action(self, name: str) -> Action:
        action = self._registry.get(name)
        if action is None or action.name != name:
            raise ActionError(texts.card_not_active(name))
        return action

    # ------------------------------------------------------------------ run: collect, preview, finish
    async def _collect(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = step.options
        inputs = turn_inputs(step.context)
        action = self._action(options["action"])
        if isinstance(options.get("resume"), dict):  # back to the form after a refused value (see _preview)
            return await step.begin_dialog(_COLLECT, options["resume"])
        raw = options["raw"]
        form_mode = not raw and bool(params.missing(action, {}))
        state = {
            "action": action.name,
            "form": new_form_id(),
            "owner_id": inputs.requester.key,
            "owner_name": inputs.requester.name,
            "args": {},
            "labels": {},
            "pending": dict(raw),
            "mode": "form" if form_mode else "chat",
            "page": 0,
            "asked": False,
            "asking": None,
        }
        return await step.begin_dialog(_COLLECT, state)

    async def _preview(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = step.result
        if not isinstance(state, dict):
            return await step.end_dialog(None)
        action = self._action(state["action"])
        ctx = turn_inputs(step.context).actions
        try:
            preview = await action.preview(ctx, state["args"])
        except ActionError as exc:
            resume = back_to_form(action, state, exc)
            if resume is not None:  # a value on the form is refused: the form again, the others kept
                return await step.replace_dialog(_RUN, {**step.options, "resume": resume})
            commands = suggested_commands(self._registry, exc, action, state["labels"])
            await say_with_buttons(step.context, exc.message, commands, title="Can't do this", tone=Tone.WARNING)
            return await step.end_dialog(None)
        facts = arg_facts(action, state["labels"])
        step.values["collected"] = state
        step.values["preview"] = preview_to_dict(preview)
        validations = {
            "action": action.name,
            "form": state["form"],
            "owner_id": state["owner_id"],
            "owner_name": state["owner_name"],
            "facts": [[title, label] for title, label in facts],
            "preview": step.values["preview"],
            "mode": state["mode"],
        }
        if preview.no_op:
            card = preview_card(action, CardRef(Verb.CONFIRM, action.name, state["form"], state["owner_id"],
                                                state["owner_name"]),
                                requester_name=state["owner_name"], args=facts, preview=preview)
            await present_card(step.context, card, texts.no_op())
            return await step.end_dialog(None)
        return await step.prompt(CONFIRM_PROMPT, PromptOptions(validations=validations))

    async def _finish(self, step: WaterfallStepContext) -> DialogTurnResult:
        result = step.result
        state = step.values["collected"]
        action = self._action(state["action"])
        inputs = turn_inputs(step.context)
        preview = preview_from_dict(step.values["preview"])
        facts = arg_facts(action, state["labels"])
        if isinstance(result, Answer):  # gave up; already said
            return await step.end_dialog(None)
        if result is not True:
            if answers_invoke(step.context):
                await present_card(step.context, decision_card(
                    action, requester_name=state["owner_name"], args=facts, preview=preview,
                    decided_by=inputs.requester.name, confirmed=False, status="Nothing was changed.",
                ))
            else:
                await step.context.send_activity(MessageFactory.text(texts.cancelled()))
            return await step.end_dialog(None)
        request = Request(
            id=state["form"],
            action=action.name,
            args=dict(state["args"]),
            scope=action.scope(state["args"]),
            requester=inputs.requester,
            conversation=TurnContext.get_conversation_reference(step.context.activity).serialize(),
            preview=preview,
            labels=dict(state["labels"]),
            queue_when_busy=False,  # the requester is here: on a busy resource, they choose whether to wait
        )
        # The confirmation is used up before anything is sent: the stored dialog now says so, and a
        # later turn that finds it (this turn's last save failed, or this turn still runs) can
        # neither confirm it again nor claim that nothing changed. If this write fails, nothing was
        # sent, and the turn's failure message says so.
        step.values[_SUBMITTED] = {"request": request.id, "target": preview.target}
        await inputs.checkpoint()
        if answers_invoke(step.context):
            await present_card(step.context, decision_card(
                action, requester_name=state["owner_name"], args=facts, preview=preview,
                decided_by=inputs.requester.name, confirmed=True, status="The result follows below.",
            ))
        await step.context.send_activity(MessageFactory.text(texts.running(preview.target)))
        await record_submitted(step.context, request.id, preview.target)  # the first effect: held replies go out
        outcome = await self._handler.submit(request)
        record_settled(step.context, request.id, _EFFECTS[outcome.state])
        await step.context.send_activity(card_activity(self._outcome_card(action, request, outcome)))
        return await step.end_dialog(outcome)

    async def _submitted_already(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A later message reached a dialog whose request was already submitted (the main dialog
        usually answers first): say so, run nothing, end."""
        submitted = step.values.get(_SUBMITTED) or {}
        await step.context.send_activity(MessageFactory.text(texts.already_submitted(str(submitted.get("target")))))
        return await step.end_dialog(None)

    @staticmethod
    def _outcome_card(action: Action, request: Request, outcome: Outcome) -> dict[str, Any]:
        headline, tone = _OUTCOME_LOOK[outcome.state]
        details = [(key.capitalize(), value) for key, value in outcome.shown_details.items()]
        return outcome_card(
            action, requester_name=request.requester.name, target=request.preview.target,
            headline=headline, message=outcome.message, tone=tone, details=details, title=request.preview.title,
        )

    # ------------------------------------------------------------------ collect loop: ask, take
    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = step.options
        inputs = turn_inputs(step.context)
        action = self._action(state["action"])
        await self._resolve_pending(step.context, action, state)
        if state["mode"] == "form":
            return await self._ask_with_form(step, action, state)
        missing = params.missing(action, state["args"])
        if not missing:
            await self._fill_defaults(step.context, action, state)
            return await step.end_dialog(state)
        parameter = missing[0]
        listed = None
        if parameter.kind in (ParamKind.CHOICE, ParamKind.RESOURCE):
            listed = await params.choices(inputs.actions, action, parameter.name, state["args"])
            if not listed.choices:
                text = texts.nothing_to_choose(parameter.noun, listed.note or unavailable_note(listed))
                await step.context.send_activity(MessageFactory.text(text))
                return await step.end_dialog(None)
        prompt_id, options = prompt_for(
            action, parameter, state["args"], listed, state["page"], first=not state["asked"],
            in_channel=inputs.in_channel,
        )
        state["asked"] = True
        state["asking"] = parameter.name
        return await step.prompt(prompt_id, options)

    async def _ask_with_form(
        self, step: WaterfallStepContext, action: Action, state: dict[str, Any]
    ) -> DialogTurnResult:
        stage = form_stage(action.parameters, state["args"])
        if not stage:
            await self._fill_defaults(step.context, action, state)
            return await step.end_dialog(state)
        names = [parameter.name for parameter in stage]
        fields = await form_fields(turn_inputs(step.context).actions, action, names, state["args"])
        for form_field in fields:
            listed = form_field.choices
            if listed is not None and not listed.choices and form_field.parameter.required:
                text = texts.nothing_to_choose(form_field.parameter.noun, listed.note or unavailable_note(listed))
                await present_notice(step.context, "Can't continue", text, tone=Tone.WARNING)
                return await step.end_dialog(None)
        final = not form_stage(action.parameters, {**state["args"], **dict.fromkeys(names, "")})
        return await step.begin_dialog(FORM_DIALOG, {
            "action": action.name, "form": state["form"], "owner_id": state["owner_id"],
            "owner_name": state["owner_name"], "stage": names, "known": dict(state["args"]),
            "labels": dict(state["labels"]), "final": final,
            "values": state.pop("prefill", {}), "field_errors": state.pop("field_errors", {}),
        })

    async def _take(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = step.options
        answer = step.result
        if not isinstance(answer, Answer) or answer.sentinel is Sentinel.GAVE_UP:
            return await step.end_dialog(None)
        if answer.sentinel is Sentinel.CANCELLED:
            await present_notice(step.context, "Cancelled", texts.cancelled())
            return await step.end_dialog(None)
        if answer.sentinel is Sentinel.USE_FORM:
            state["mode"] = "form"
        elif answer.sentinel is Sentinel.NEXT_PAGE:
            state["page"] += 1
        elif answer.stage is not None:
            state["args"].update(answer.stage["args"])
            state["labels"].update(answer.stage["labels"])
        else:
            state["args"][state["asking"]] = answer.value
            state["labels"][state["asking"]] = answer.label
            state["page"] = 0
        return await step.replace_dialog(_COLLECT, state)

    # ------------------------------------------------------------------ helpers
    async def _resolve_pending(self, context: TurnContext, action: Action, state: dict[str, Any]) -> None:
        """Resolve inline arguments whose dependencies are known; explain and drop refused ones."""
        ctx = turn_inputs(context).actions
        pending: dict[str, str] = state["pending"]
        for parameter in action.parameters:
            name = parameter.name
            if name not in pending or any(dep not in state["args"] for dep in parameter.depends_on):
                continue
            raw = pending.pop(name)
            try:  # typed: the target's state is the preview's to check, with what to do instead
                value = await params.resolve(ctx, action, name, raw, state["args"], check_state=False)
            except ParameterError as exc:
                given = {**state["labels"], **pending, name: raw}
                commands = suggested_commands(self._registry, exc, action, given)
                await say_with_buttons(context, exc.message, commands)
                continue
            state["args"][name] = value
            state["labels"][name] = await label_for(ctx, action, name, value, state["args"])

    @staticmethod
    async def _fill_defaults(context: TurnContext, action: Action, state: dict[str, Any]) -> None:
        ctx = turn_inputs(context).actions
        for parameter in action.parameters:
            if parameter.name not in state["args"] and parameter.default is not None:
                value = parameter.coerce(parameter.default)
                state["args"][parameter.name] = value
                state["labels"][parameter.name] = await label_for(ctx, action, parameter.name, value, state["args"])


async def submitted_request(dialog_context: DialogContext) -> dict[str, str] | None:
    """The request the innermost action dialog of this stack already submitted, if any.

    ``{"request": <request id>, "target": <what to check, e.g. "aks-prod / node pool np1">}``: its
    platform call was started (or was about to be) in an earlier or concurrent turn, so it must
    not be confirmed again, and cancelling it cannot change what was started.
    """
    found = await innermost_dialog(dialog_context)
    if found is None:
        return None
    _, instance = found
    if instance.id != _RUN:
        return None
    submitted = instance.state.get("values", {}).get(_SUBMITTED)
    return dict(submitted) if isinstance(submitted, dict) else None
