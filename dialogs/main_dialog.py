"""The main dialog: route what the user said; let `help` and `cancel` interrupt at any step.

Routing works on parsed tokens (the @mention is already removed):

- ``help [action]`` — the catalog, or one action's help;
- ``cancel`` — nothing to cancel (when a dialog runs, the interruption handles it);
- the guardrails' and operations' commands (``status``, ``cancel {operation}``, ``queue``, ``undo``,
  ``approvals``, ``history``, ``explain``, ``grants``, ``grant``, ``revoke``, ``approvers``,
  ``freeze``, ``unfreeze``; :mod:`governing.commands`) — run by the injected
  :class:`governing.GovernanceCommands` (without one they are announced as coming soon;
  ``approvals`` answers with the approval cards, through the injected
  :class:`governing.ApprovalVotes`); an
  ``undo`` that plans a request goes on to the action dialog with the planned command, so it is
  previewed and confirmed like a typed one;
- ``{action} [arguments]`` — names and aliases from the registry
  (:func:`actions.params.parse_command`); starts the generic :class:`ActionDialog`;
- anything else — "did you mean …" from near misses of whole action phrases, names and aliases,
  with a button per suggested command (:mod:`dialogs.suggestions`).

A suggestion button pressed (``TurnInputs.pressed``) runs its command as if typed; when it names an
action while another request is being collected, it replaces that request.

While an action dialog runs, ``help`` shows that action's help and asks the pending question
again, and so do ``status {operation}`` and ``cancel {operation}`` after their answer; ``cancel``
(or ``stop``) ends everything, changing nothing. Once a request was submitted
(its platform call started, in an earlier turn whose last save failed or in a turn still
running), ``cancel`` says it was already started and cannot be stopped from here, and names
what to check; any other message says it was already sent and is not run again.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)

from actions import params
from actions.registry import Registry
from actions.spec import ActionError
from cards import RequestCardState
from dialogs import texts
from dialogs.action_dialog import ACTION_DIALOG, ActionDialog, action_options, submitted_request
from dialogs.break_glass import BreakGlassError, split_break_glass
from dialogs.card_steps import waiting_card_step
from dialogs.governance import run_governance_command
from dialogs.help import HelpBook
from dialogs.help_text import safe_word
from dialogs.request_card import close_request_card, find_card
from dialogs.suggestions import say_with_buttons
from dialogs.turn import turn_inputs
from governing import ApprovalVotes, GovernanceCommand, GovernanceCommands
from operations import normalize_operation_id
from requesting.request import RequestHandler

__all__ = ["MAIN_DIALOG", "MainDialog"]

MAIN_DIALOG = "main"
_ROUTE = "main.route"
_CANCEL_WORDS = frozenset({"cancel", "stop", "quit"})
_OPERATION_QUERIES = frozenset({"status", "cancel"})  # answered in the middle of a dialog (with an operation id)
_ACTION_KEY = "action"


class MainDialog(ComponentDialog):
    """The root of every user's dialog stack."""

    def __init__(
        self,
        registry: Registry,
        handler: RequestHandler,
        help_book: HelpBook | None = None,
        governance: GovernanceCommands | None = None,
        votes: ApprovalVotes | None = None,
    ) -> None:
        super().__init__(MAIN_DIALOG)
        self._registry = registry
        self._governance = governance
        self._votes = votes
        self._help = help_book or HelpBook(registry)
        self.add_dialog(WaterfallDialog(_ROUTE, [self._route, self._done]))
        self.add_dialog(ActionDialog(registry, handler))
        self.initial_dialog_id = _ROUTE

    # ------------------------------------------------------------------ interruptions
    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        interrupted = await self._interrupt(inner_dc)
        if interrupted is not None:
            return interrupted
        return await super().on_continue_dialog(inner_dc)

    async def _interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        inputs = turn_inputs(inner_dc.context)
        if inputs.submission is not None:
            return None
        words = tuple(inputs.text.lower().split())
        if not words:
            return None
        submitted = await submitted_request(inner_dc)
        if submitted is not None:
            return await self._after_submission(inner_dc, words, submitted.get("target", ""))
        if len(words) == 1 and words[0] in _CANCEL_WORDS:
            # the waiting request's card says so and loses its buttons; the short reply answers the message
            await close_request_card(inner_dc.context, find_card(inner_dc), RequestCardState.CANCELLED,
                                     by=inputs.requester.name, message="Nothing was changed.")
            await inner_dc.context.send_activity(MessageFactory.text(texts.cancelled()))
            return await inner_dc.cancel_all_dialogs()
        if words[0] == "help":
            topic = self._help.topic(words[1:]) if len(words) > 1 else None
            if topic is None:
                action = self._registry.get(_running_action(inner_dc))
                topic = self._help.action_help(action) if action else self._help.overview(
                    in_channel=inputs.in_channel, bot_name=_bot_name(inner_dc.context))
            await inner_dc.context.send_activity(MessageFactory.text(texts.help_while_asking(topic, None)))
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        if (self._governance is not None and len(words) == 2 and words[0] in _OPERATION_QUERIES
                and normalize_operation_id(words[1]) is not None):
            # `status 7F3K` / `cancel 7F3K` while a question waits: answer it, then ask the question again
            await run_governance_command(inner_dc.context, self._governance, words[0], words[1], inputs)
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        replaceable = inputs.pressed or await waiting_card_step(inner_dc) is not None
        if replaceable and self._names_an_action(inputs.text):
            # A form or a confirmation is waiting for a button, or a suggestion button names a whole
            # command: the user asks for something new.
            await close_request_card(inner_dc.context, find_card(inner_dc), RequestCardState.SUPERSEDED,
                                     message=texts.superseded())
            await inner_dc.context.send_activity(MessageFactory.text(texts.replaced_waiting_request()))
            await inner_dc.cancel_all_dialogs()
            return await inner_dc.begin_dialog(_ROUTE)
        return None

    async def _after_submission(
        self, inner_dc: DialogContext, words: tuple[str, ...], target: str
    ) -> DialogTurnResult:
        """A message to a request already submitted: never run it again, never say nothing changed."""
        # "no" is a cancel here, as the confirmation it answers would have read it
        cancelling = len(words) == 1 and (words[0] in _CANCEL_WORDS or words[0] == "no")
        text = texts.cancel_too_late(target) if cancelling else texts.already_submitted(target)
        await inner_dc.context.send_activity(MessageFactory.text(text))
        result = await inner_dc.cancel_all_dialogs()
        if not cancelling and (words[0] == "help" or self._names_an_action(turn_inputs(inner_dc.context).text)):
            return await inner_dc.begin_dialog(_ROUTE)  # something new: handle it as usual
        return result

    def _names_an_action(self, text: str) -> bool:
        try:
            params.parse_command(self._registry, text)
        except ActionError:
            return False
        return True

    # ------------------------------------------------------------------ routing
    async def _route(self, step: WaterfallStepContext) -> DialogTurnResult:
        inputs = turn_inputs(step.context)
        text = inputs.text.strip()
        words = tuple(text.split())
        first = words[0].lower().rstrip("?!.,;:") if words else ""
        reply: str | None = None
        if not first:
            reply = texts.empty_message(inputs.in_channel)
        elif first == "help":
            await self._help_reply(step, words[1:], inputs.in_channel)
            return await step.end_dialog(None)
        elif first in _CANCEL_WORDS and len(words) == 1:
            reply = texts.nothing_to_cancel()
        elif (command := self._help.command(first)) is not None and isinstance(command, GovernanceCommand):
            if self._governance is None:
                reply = texts.coming_soon(command.name)
            else:
                rest = text.split(None, 1)[1] if len(words) > 1 else ""
                answer = await run_governance_command(step.context, self._governance, command.name, rest, inputs,
                                                      self._votes)
                if answer.run is None:
                    return await step.end_dialog(None)
                text = answer.run  # `undo`: the planned request, run through the ordinary action dialog
        elif command is not None and not command.available and len(words) == 1:
            reply = texts.coming_soon(command.name)
        if reply is not None:
            await step.context.send_activity(MessageFactory.text(reply))
            return await step.end_dialog(None)
        try:
            text, break_glass = split_break_glass(text)
        except BreakGlassError as exc:
            await step.context.send_activity(MessageFactory.text(str(exc)))
            return await step.end_dialog(None)
        try:
            parsed = params.parse_command(self._registry, text)
        except params.UnknownActionError as exc:
            await say_with_buttons(step.context, self._unknown(exc, inputs.in_channel), exc.suggestions)
            return await step.end_dialog(None)
        except ActionError as exc:
            await step.context.send_activity(MessageFactory.text(exc.message))
            return await step.end_dialog(None)
        step.values[_ACTION_KEY] = parsed.action.name
        options = action_options(parsed.action.name, parsed.args, break_glass=break_glass)
        return await step.begin_dialog(ACTION_DIALOG, options)

    async def _done(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.end_dialog(step.result)

    async def _help_reply(self, step: WaterfallStepContext, topic_words: tuple[str, ...], in_channel: bool) -> None:
        """Answer ``help [topic]``: the overview, a topic, or did-you-mean with a button per topic."""
        context = step.context
        reply: str | None
        if not topic_words:
            reply = self._help.overview(in_channel=in_channel, bot_name=_bot_name(context))
        else:
            reply = self._help.topic(tuple(word.lower() for word in topic_words))
        if reply is not None:
            await context.send_activity(MessageFactory.text(reply))
            return
        names = params.suggest_actions(self._registry, " ".join(topic_words)[:80])
        if names:
            commands = [f"help {self._help.phrase(name)}" for name in names]
            await say_with_buttons(context, texts.did_you_mean_help(commands), commands)
            return
        await context.send_activity(MessageFactory.text(texts.unknown_help_topic(safe_word(topic_words[0]))))

    @staticmethod
    def _unknown(exc: params.UnknownActionError, in_channel: bool) -> str:
        """The parser's did-you-mean for a near miss of an action name or alias; else the short hint."""
        if exc.suggestions:
            return texts.action_not_understood(exc.message)
        return texts.unknown_command(in_channel)


def _bot_name(context: TurnContext) -> str:
    """The bot's name as the channel calls it (``activity.recipient.name``), "" when not given."""
    return str(getattr(context.activity.recipient, "name", None) or "")


def _running_action(inner_dc: DialogContext) -> str:
    """The name of the action whose dialog runs under the route step (kept in the step's values)."""
    for instance in inner_dc.stack:
        if instance.id == _ROUTE:
            return str(instance.state.get("values", {}).get(_ACTION_KEY, ""))
    return ""
