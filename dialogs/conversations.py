"""Runs each person's dialogs: typed messages, card submissions, and card action invokes.

A dialog belongs to the person who started it: the dialog stack lives in
``PrivateConversationState`` (keyed by channel, conversation *and* user), so in a channel
where several people talk to the bot, each one has their own stack, and one person's
messages never reach another's dialog.

A card submission — an ``adaptiveCard/action`` invoke (``Action.Execute``) or its
``Action.Submit`` fallback (a message with ``value``) — drives a dialog only when it is a
button of the card the *submitter's own* current step is waiting on. Anything else is
refused: pressed by someone other than the card's owner ("this form belongs to …"), a
confirmation already answered ("already confirmed by …", see :mod:`dialogs.decisions`), an
old card ("no longer active"), or a malformed one (an invoke error response, 400). Identity
always comes from the activity; the owner named in card data only words the refusal.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, MessageFactory, PrivateConversationState, TurnContext
from botbuilder.dialogs import DialogContext, DialogSet, DialogTurnStatus

from actions.context import ActionContext
from actions.registry import Registry
from actions.spec import ActionError
from cards import (
    CARD_CONTENT_TYPE,
    CardSubmission,
    CommandPress,
    MalformedSubmission,
    Verb,
    chosen_card,
    read_command,
    read_submission,
)
from cards.protocol import VOTE_APPROVE_VERB, ApprovalPress, read_approval_press
from dialogs import texts
from dialogs.action_dialog import submitted_request
from dialogs.card_steps import waiting_card_step
from dialogs.decisions import DecisionLedger, already_decided, set_turn_decisions
from dialogs.main_dialog import MAIN_DIALOG, MainDialog
from dialogs.request_card import begin_card_turn, find_card, track_card
from dialogs.state_property import LoadedStateProperty
from dialogs.turn import (
    ChoiceFilter,
    TurnInputs,
    card_activity,
    invoke_card,
    invoke_message,
    requester_of,
    set_turn_inputs,
)
from governing import ApprovalVotes, GovernanceCommands
from guardrails.records import VoteChoice
from requesting.request import RequestHandler

__all__ = ["DIALOG_STATE_PROPERTY", "Conversations"]

_log = logging.getLogger("switchboard.dialogs")

DIALOG_STATE_PROPERTY = "dialogs"
_ERROR_TYPE = "application/vnd.microsoft.error"
_MESSAGE_TYPE = "application/vnd.microsoft.activity.message"


class Conversations:
    """The dialogs' entry point for the bot.

    :param state: the private conversation state (per user within a conversation) of the bot's states.
    :param registry: the action catalog.
    :param actions: the process's root :class:`ActionContext`; each turn uses its own view.
    :param handler: where confirmed requests go.
    :param governance: runs the guardrails' chat commands (``approvals``, ``grant``, …); None:
        they are announced as coming soon.
    :param decisions: where the decision on each confirmation is claimed before anything runs, so
        a request runs at most once however often its preview is answered (None: not claimed —
        only tests of other concerns run without it).
    :param votes: approval card votes and refreshes (None: approval cards are refused as unknown).
    :param choice_filter: narrows discovered choices to what the requester may act on (None: all offered).
    """

    def __init__(
        self,
        *,
        state: PrivateConversationState,
        registry: Registry,
        actions: ActionContext,
        handler: RequestHandler,
        decisions: DecisionLedger | None = None,
        governance: GovernanceCommands | None = None,
        votes: ApprovalVotes | None = None,
        choice_filter: ChoiceFilter | None = None,
    ) -> None:
        self._state = state
        self._dialog_state = LoadedStateProperty(state, DIALOG_STATE_PROPERTY)
        self._dialogs = DialogSet(self._dialog_state)
        self._dialogs.add(MainDialog(registry, handler, governance=governance, votes=votes))
        self._registry = registry
        self._actions = actions
        self._decisions = decisions
        self._votes = votes
        self._choice_filter = choice_filter

    async def on_message(
        self, turn_context: TurnContext, *, text: str, in_channel: bool, tenant_id: str | None
    ) -> None:
        """A message: ``text`` is the message with the bot's @mention removed. An ``Action.Submit``
        fallback (a message whose ``value`` is Switchboard card data) is a card submission; a
        suggestion button's fallback runs its command as if typed."""
        try:
            approval_press = read_approval_press(turn_context.activity)
            if approval_press is not None:
                answer = await self._approval(turn_context, approval_press, tenant_id)
                card, message = answer
                await turn_context.send_activity(
                    MessageFactory.text(message or "Done.") if card is None else card_activity(card, message or None)
                )
                return
            press = read_command(turn_context.activity)
            if press is not None:
                await self._say(turn_context, await self._run_command(turn_context, press, in_channel, tenant_id))
                return
            submission = read_submission(turn_context.activity)
        except MalformedSubmission as exc:
            _log.info("malformed card submission refused")
            await turn_context.send_activity(MessageFactory.text(texts.unknown_card_action(str(exc))))
            return
        if submission is None:
            turn_context.activity.text = text  # prompts recognize the text without the @mention markup
        refusal = await self._run(turn_context, text if submission is None else "", submission, in_channel, tenant_id)
        if refusal:
            await turn_context.send_activity(MessageFactory.text(refusal))

    async def on_card_action(
        self, turn_context: TurnContext, *, in_channel: bool, tenant_id: str | None
    ) -> InvokeResponse:
        """An ``adaptiveCard/action`` invoke; returns the invoke response (a card, a message or an error)."""
        try:
            approval_press = read_approval_press(turn_context.activity)
            if approval_press is not None:
                card, message = await self._approval(turn_context, approval_press, tenant_id)
                kind, answer = (CARD_CONTENT_TYPE, card) if card is not None else (_MESSAGE_TYPE, message or "Done.")
                return InvokeResponse(status=200, body={"statusCode": 200, "type": kind, "value": answer})
            press = read_command(turn_context.activity)
            if press is not None:
                return await self._run_pressed(turn_context, press, in_channel, tenant_id)
            submission = read_submission(turn_context.activity)
        except MalformedSubmission as exc:
            _log.info("malformed card action refused")
            return _error_response(str(exc))
        if submission is None:
            return _error_response("This is not a card action.")
        refusal = await self._run(turn_context, "", submission, in_channel, tenant_id)
        card = invoke_card(turn_context)
        if card is not None:
            return InvokeResponse(status=200, body={"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card})
        message = refusal or invoke_message(turn_context) or "Done."
        return InvokeResponse(status=200, body={"statusCode": 200, "type": _MESSAGE_TYPE, "value": message})

    async def _approval(
        self, turn_context: TurnContext, press: ApprovalPress, tenant_id: str | None
    ) -> tuple[dict[str, Any] | None, str]:
        """An approval card's vote or refresh: (the card to show the presser, or None; a message)."""
        if self._votes is None:
            return None, "Approvals are not handled by this installation."
        presser = requester_of(turn_context.activity, tenant_id)  # identity from the activity, never card data
        if not press.is_vote:
            answer = await self._votes.view(presser, press.approval_id)
        else:
            choice = VoteChoice.APPROVE if press.verb == VOTE_APPROVE_VERB else VoteChoice.REJECT
            answer = await self._votes.vote(presser, press.approval_id, press.plan_hash, choice, press.comment)
        return answer.card, answer.message

    async def _run_pressed(
        self, turn_context: TurnContext, press: CommandPress, in_channel: bool, tenant_id: str | None
    ) -> InvokeResponse:
        """A suggestion button (``Action.Execute``): its command runs as if typed (the replies are
        messages); the pressed card becomes "<who> chose: <command>", without buttons — unless the
        button is one to keep (an operation's Status and Undo): then the card stays as it is."""
        await self._say(turn_context, await self._run_command(turn_context, press, in_channel, tenant_id))
        if press.keep:
            return InvokeResponse(status=200, body={"statusCode": 200, "type": _MESSAGE_TYPE, "value": press.command})
        card = chosen_card(requester_of(turn_context.activity, tenant_id).name, press.command)
        return InvokeResponse(status=200, body={"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card})

    async def _run_command(
        self, turn_context: TurnContext, press: CommandPress, in_channel: bool, tenant_id: str | None
    ) -> str | None:
        turn_context.activity.text = press.command  # prompts recognize the activity's text
        return await self._run(turn_context, press.command, None, in_channel, tenant_id, pressed=True)

    @staticmethod
    async def _say(turn_context: TurnContext, text: str | None) -> None:
        if text:
            await turn_context.send_activity(MessageFactory.text(text))

    # ------------------------------------------------------------------ the turn
    async def _run(
        self,
        turn_context: TurnContext,
        text: str,
        submission: CardSubmission | None,
        in_channel: bool,
        tenant_id: str | None,
        *,
        pressed: bool = False,
    ) -> str | None:
        """Run the sender's dialogs for this turn; return a refusal to tell them, if any."""
        requester = requester_of(turn_context.activity, tenant_id)
        actions = self._actions.for_turn()

        async def save_state() -> None:
            await self._state.save_changes(turn_context)

        inputs = TurnInputs(text, submission, requester, actions, in_channel, save_state, pressed=pressed,
                            choice_filter=self._choice_filter)
        set_turn_inputs(turn_context, inputs)
        set_turn_decisions(turn_context, self._decisions)
        begin_card_turn(turn_context, self._registry)
        dialog_context = await self._dialogs.create_context(turn_context)
        slot = find_card(dialog_context)
        if slot is not None:  # the request this turn continues: its card is what a failure must not leave open
            track_card(turn_context, slot)
        try:
            if submission is not None:
                return await self._submit(dialog_context, submission, requester.key)
            result = await dialog_context.continue_dialog()
            if result.status == DialogTurnStatus.Empty:
                await dialog_context.begin_dialog(MAIN_DIALOG)
            return None
        except ActionError as exc:
            await dialog_context.cancel_all_dialogs()
            return exc.message
        finally:
            await actions.close()
            if not dialog_context.stack:
                # Nothing is running: leave no empty dialog state behind, so a turn that starts and
                # ends no dialog (help, a refusal) changes no state and costs no storage write.
                await self._dialog_state.delete(turn_context)

    async def _submit(self, dialog_context: DialogContext, submission: CardSubmission, sender: str) -> str | None:
        """Continue the sender's dialog with a card submission, or say why it is refused."""
        waiting = await waiting_card_step(dialog_context)
        if waiting is not None and waiting[0].accepts(waiting[1], submission):
            await dialog_context.continue_dialog()
            return None
        ref = submission.ref
        if self._registry.get(ref.action) is None:
            _log.info("card naming an unknown action refused")
            return texts.card_unknown_action(ref.action)
        submitted = await submitted_request(dialog_context)
        if submitted is not None and submitted.get("request") == ref.form_id:
            # The sender's own request, already sent to Azure (by an earlier or a concurrent turn):
            # the same answer as when its confirmation is answered again before that turn saved.
            _log.info("card of a request already submitted (verb %s)", ref.verb.value)
            target = submitted.get("target", "")
            return texts.cancel_too_late(target) if ref.verb is Verb.CANCEL else texts.already_submitted(target)
        if ref.verb in (Verb.CONFIRM, Verb.CANCEL, Verb.BREAK_GLASS) and self._decisions is not None:
            decision = await self._decisions.decision(ref.form_id)
            if decision is not None:  # a second answer after the request was decided and its dialog ended
                _log.info("answer to an already decided confirmation refused (verb %s)", ref.verb.value)
                return already_decided(decision)
        if ref.owner_id != sender:
            _log.info("card of another user refused (verb %s)", ref.verb.value)
            return texts.card_not_yours(ref.owner_name, ref.action)
        _log.info("card no longer active (verb %s)", ref.verb.value)
        return texts.card_not_active(ref.action)


def _error_response(message: str) -> InvokeResponse:
    """An invoke error: HTTP 400 with a Universal Actions error body; never exception text."""
    body = {"statusCode": 400, "type": _ERROR_TYPE, "value": {"code": "BadRequest", "message": message}}
    return InvokeResponse(status=400, body=body)
