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
   claims the form's decision first (:mod:`dialogs.decisions`: the at-most-once guard). When the
   guardrails forecast it (:class:`BreakGlassForecast`), the card offers Break glass too: pressed
   with a reason, the request is submitted as a break-glass request, exactly like a typed
   ``--break-glass "reason"``.
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

import asyncio
from typing import Any, Protocol, runtime_checkable

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt

from actions import params
from actions.registry import Registry
from actions.spec import Action, ActionError, ParameterError, ParamKind, unavailable_note
from cards import REQUEST_CARD_LOOKS, CardRef, Json, RequestCardState, Tone, Verb, form_stage, new_form_id, request_card
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
from dialogs.offered import narrower, offered_choices
from dialogs.parameter_prompts import parameter_prompts, prompt_for
from dialogs.request_card import (
    CARD_KEY,
    card_activity_id,
    close_request_card,
    current_card,
    new_card,
    show_request_card,
    track_card,
)
from dialogs.suggestions import say_with_buttons, suggested_commands
from dialogs.turn import answers_invoke, present_notice, turn_inputs
from dialogs.turn_effects import EffectStatus, record_settled, record_submitted
from dialogs.values import arg_facts, label_for, preview_from_dict, preview_to_dict
from requesting.request import OutcomeState, Request, RequestHandler

__all__ = [
    "ACTION_DIALOG", "ActionDialog", "ApprovalForecast", "BreakGlassForecast", "action_options", "submitted_request",
]

ACTION_DIALOG = "action"
_RUN = "action.run"
_COLLECT = "action.collect"
_REASON_PROMPT = "action.reason"
_APPROVAL_NEEDED = "approval_needed"  # the preview step's answer: who must approve (str), or None
_MAX_REASON = 500
_SUBMITTED = "submitted"  # the run step's value once the request was handed over: {"request", "target"}

_OUTCOME_CARD = {  # each outcome is a state of the request's one card
    OutcomeState.SUCCEEDED: RequestCardState.SUCCEEDED,
    OutcomeState.FAILED: RequestCardState.FAILED,
    OutcomeState.STARTED: RequestCardState.STARTED,
    OutcomeState.UNCONFIRMED: RequestCardState.UNCONFIRMED,
    OutcomeState.REFUSED: RequestCardState.REFUSED,
    OutcomeState.AWAITING_APPROVAL: RequestCardState.AWAITING_APPROVAL,
    OutcomeState.QUEUED: RequestCardState.QUEUED,
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


def action_options(action: str, raw: dict[str, str], *, break_glass: str | None = None) -> dict[str, Any]:
    """Options to begin :class:`ActionDialog`: the action's name, the raw arguments the user gave, and the
    break-glass reason when the command carried ``--break-glass "reason"``."""
    options: dict[str, Any] = {"action": action, "raw": dict(raw)}
    if break_glass is not None:
        options["break_glass"] = break_glass
    return options


async def _no_offer() -> bool:
    return False


@runtime_checkable
class BreakGlassForecast(Protocol):
    """A request handler that can tell, before a request is submitted, whether its preview may offer to
    break glass (``governing.GuardedRequestHandler``)."""

    async def break_glass_offered(self, request: Request) -> bool:
        """Whether the requester may break glass for ``request`` and it would otherwise wait or be frozen."""
        ...


@runtime_checkable
class ApprovalForecast(Protocol):
    """A request handler that can tell, before a request is submitted, that it will wait for approvers."""

    async def approval_needed(self, request: Request) -> str | None:
        """A sentence saying who must approve ``request`` (the dialog then asks for a reason), or None."""
        ...


class ActionDialog(ComponentDialog):
    """Collect → preview → confirm → request, for any action of the registry."""

    def __init__(self, registry: Registry, handler: RequestHandler) -> None:
        super().__init__(ACTION_DIALOG)
        self._registry = registry
        self._handler = handler
        self.add_dialog(WaterfallDialog(
            _RUN, [self._collect, self._preview, self._ask_reason, self._finish, self._submitted_already]
        ))
        self.add_dialog(TextPrompt(_REASON_PROMPT, _reason_given))
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
            slot = options.pop("card", None)
            if isinstance(slot, dict):  # the same request, the same card
                step.values[CARD_KEY] = slot
                track_card(step.context, slot)
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
            "break_glass": options.get("break_glass"),
        }
        slot = new_card(state["form"], action.name, inputs.requester.name)
        step.values[CARD_KEY] = slot
        track_card(step.context, slot)
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
                return await step.replace_dialog(_RUN, {**step.options, "resume": resume,
                                                        "card": step.values.get(CARD_KEY)})
            commands = suggested_commands(self._registry, exc, action, state["labels"])
            if not answers_invoke(step.context):  # an invoke's answer replaces the form with the buttons
                await close_request_card(step.context, step.values.get(CARD_KEY), RequestCardState.STOPPED,
                                         message=exc.message)
            await say_with_buttons(step.context, exc.message, commands, title="Can't do this", tone=Tone.WARNING)
            return await step.end_dialog(None)
        facts = arg_facts(action, state["labels"])
        step.values["collected"] = state
        step.values["preview"] = preview_to_dict(preview)
        slot = step.values[CARD_KEY]
        slot["facts"] = [[title, label] for title, label in facts]
        slot["preview"] = step.values["preview"]
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
            ref = CardRef(Verb.CONFIRM, action.name, state["form"], state["owner_id"], state["owner_name"])
            card = request_card(action, RequestCardState.NO_OP, requester_name=state["owner_name"], args=facts,
                                preview=preview, ref=ref)
            typed = turn_inputs(step.context).submission is None
            await show_request_card(step.context, slot, RequestCardState.NO_OP, card,
                                    text=texts.no_op() if typed else None)
            return await step.end_dialog(None)
        # Whether it will wait for approvers is asked now, with the preview: after Confirm nothing may come
        # between the claimed decision and the submitted mark (dialogs.decisions), so the reason step reads
        # this answer instead of asking the guardrails then. The decision at submit stays the one that counts.
        # Whether the preview offers Break glass is asked at the same time (the requester holds a break-glass
        # grant that would approve it, and it would wait for approvers or is frozen).
        step.values[_APPROVAL_NEEDED] = None
        if not state.get("break_glass") and isinstance(self._handler, ApprovalForecast):
            request = self._request(step, state, preview)
            offer = self._handler.break_glass_offered(request) if isinstance(self._handler, BreakGlassForecast) \
                else _no_offer()
            step.values[_APPROVAL_NEEDED], validations["break_glass_offer"] = await asyncio.gather(
                self._handler.approval_needed(request), offer)
        return await step.prompt(CONFIRM_PROMPT, PromptOptions(validations=validations))

    async def _ask_reason(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Confirmed, and the request will wait for approvers: ask why it is needed (they see the reason)
        before it is submitted. Anything else goes straight on."""
        result = step.result
        state = step.values.get("collected") or {}
        needed = step.values.get(_APPROVAL_NEEDED)
        if result is not True or not isinstance(needed, str):
            return await step.next(result)
        request = self._request(step, state, preview_from_dict(step.values["preview"]))
        action = self._action(state["action"])
        # The card says it was confirmed and waits for the reason (in place: the invoke's answer, or an update)
        await show_request_card(step.context, step.values[CARD_KEY], RequestCardState.CONFIRMED, request_card(
            action, RequestCardState.CONFIRMED, requester_name=state["owner_name"],
            args=arg_facts(action, state["labels"]), preview=request.preview,
            by=turn_inputs(step.context).requester.name, message=texts.waiting_for_reason(),
        ))
        prompt = MessageFactory.text(texts.reason_prompt(needed))
        retry = MessageFactory.text(texts.reason_retry(_MAX_REASON))
        return await step.prompt(_REASON_PROMPT, PromptOptions(prompt=prompt, retry_prompt=retry))

    def _request(
        self, step: WaterfallStepContext, state: dict[str, Any], preview: Any, reason: str | None = None,
        *, card_activity_id: str | None = None,
    ) -> Request:
        action = self._action(state["action"])
        break_glass = state.get("break_glass")
        return Request(
            id=state["form"],
            action=action.name,
            args=dict(state["args"]),
            scope=action.scope(state["args"]),
            requester=turn_inputs(step.context).requester,
            conversation=TurnContext.get_conversation_reference(step.context.activity).serialize(),
            preview=preview,
            labels=dict(state["labels"]),
            reason=break_glass or reason,
            break_glass=bool(break_glass),
            card_activity_id=card_activity_id,
            queue_when_busy=False,  # the requester is here: on a busy resource, they choose whether to wait
        )

    async def _finish(self, step: WaterfallStepContext) -> DialogTurnResult:
        result = step.result
        reason: str | None = None
        state = step.values["collected"]
        if isinstance(result, str):  # the reason asked for when approval is needed: confirmed
            reason, result = result.strip(), True
        elif isinstance(result, dict) and isinstance(result.get("break_glass"), str):
            # Break glass pressed on the preview (with a reason): submitted like `--break-glass "reason"`
            state["break_glass"], result = result["break_glass"], True
        action = self._action(state["action"])
        inputs = turn_inputs(step.context)
        preview = preview_from_dict(step.values["preview"])
        facts = arg_facts(action, state["labels"])
        slot = step.values[CARD_KEY]
        typed = inputs.submission is None
        if isinstance(result, Answer):  # gave up; already said
            await close_request_card(step.context, slot, RequestCardState.STOPPED, message=texts.gave_up("answer"))
            return await step.end_dialog(None)

        def card(state_: RequestCardState, message: str, details: list[tuple[str, str]] | None = None) -> Json:
            return request_card(action, state_, requester_name=state["owner_name"], args=facts, preview=preview,
                                by=inputs.requester.name, message=message, details=details or ())

        if result is not True:
            await show_request_card(step.context, slot, RequestCardState.DECLINED,
                                    card(RequestCardState.DECLINED, "Nothing was changed."),
                                    text=texts.cancelled() if typed else None)
            return await step.end_dialog(None)
        request = self._request(step, state, preview, reason, card_activity_id=card_activity_id(step.context, slot))
        # The confirmation is used up before anything is sent: the stored dialog now says so, and a
        # later turn that finds it (this turn's last save failed, or this turn still runs) can
        # neither confirm it again nor claim that nothing changed. If this write fails, nothing was
        # sent, and the turn's failure message says so.
        step.values[_SUBMITTED] = {"request": request.id, "target": preview.target}
        await inputs.checkpoint()
        # The card says it was confirmed before anything is sent (an update waits for the held replies,
        # which go out at the first effect: the person sees it while Azure works).
        await show_request_card(step.context, slot, RequestCardState.CONFIRMED,
                                card(RequestCardState.CONFIRMED, texts.running(preview.target)))
        await record_submitted(step.context, request.id, preview.target)  # the first effect: held replies go out
        outcome = await self._handler.submit(request)
        record_settled(step.context, request.id, _EFFECTS[outcome.state])
        shown = _OUTCOME_CARD[outcome.state]
        details = [(key.capitalize(), value) for key, value in outcome.shown_details.items()]
        headline = REQUEST_CARD_LOOKS[shown].headline.format(by=inputs.requester.name)
        await show_request_card(step.context, slot, shown, card(shown, outcome.message, details),
                                note=texts.outcome_line(headline, preview.title or preview.target) if typed else None)
        return await step.end_dialog(outcome)

    async def _submitted_already(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A later message reached a dialog whose request was already submitted (the main dialog
        usually answers first): say so, run nothing, end."""
        submitted = step.values.get(_SUBMITTED) or {}
        await step.context.send_activity(MessageFactory.text(texts.already_submitted(str(submitted.get("target")))))
        return await step.end_dialog(None)

    # ------------------------------------------------------------------ collect loop: ask, take
    async def _ask(self, step: WaterfallStepContext) -> DialogTurnResult:
        state = step.options
        inputs = turn_inputs(step.context)
        action = self._action(state["action"])
        await self._resolve_pending(step.context, action, state)
        slot = current_card(step.context)
        if slot is not None and slot["form"] == state["form"]:
            slot["facts"] = [[title, label] for title, label in arg_facts(action, state["labels"])]
        if state["mode"] == "form":
            return await self._ask_with_form(step, action, state)
        missing = params.missing(action, state["args"])
        if not missing:
            await self._fill_defaults(step.context, action, state)
            return await step.end_dialog(state)
        parameter = missing[0]
        listed = None
        if parameter.kind in (ParamKind.CHOICE, ParamKind.RESOURCE):
            listed = await offered_choices(step.context, action, parameter.name, state["args"])
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
        fields = await form_fields(turn_inputs(step.context).actions, action, names, state["args"],
                                   narrow=narrower(step.context, action))
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
            by = turn_inputs(step.context).requester.name
            closed = await close_request_card(step.context, current_card(step.context),
                                              RequestCardState.DECLINED, by=by, message="Nothing was changed.")
            if not closed:
                await present_notice(step.context, "Cancelled", texts.cancelled())
            elif turn_inputs(step.context).submission is None:
                await step.context.send_activity(MessageFactory.text(texts.cancelled()))
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


async def _reason_given(prompt: PromptValidatorContext) -> bool:
    """A reason is some text, at most 500 characters."""
    text = (prompt.recognized.value or "").strip() if prompt.recognized.succeeded else ""
    return 0 < len(text) <= _MAX_REASON
