"""The guardrails' chat commands in a conversation: build the call from the activity, show the reply.

Identity is the activity's sender (``from.aadObjectId``), never card data. A person @mentioned in
the command is taken from the activity's mention entities with the Entra object id Teams gives
for them (``mentioned.aadObjectId``); the bot's own mention is not a principal. The viewer's time
zone is the activity's ``localTimezone`` (Teams sends it with messages), else times are UTC.

A reply naming approval requests (``approvals``) is shown as the approval card of each, as the
caller sees it now (:meth:`governing.ApprovalVotes.view`: Approve / Reject for an approver who
may still vote), the reply's text with the first card; each posted copy is registered
(:meth:`governing.ApprovalVotes.record_copy`) so that later votes refresh it like the others.
"""

from __future__ import annotations

import asyncio

from botbuilder.core import MessageFactory, TurnContext

from dialogs.suggestions import say_with_buttons
from dialogs.turn import TurnInputs, after_replies_sent, card_activity, replies_held
from governing import ApprovalVotes, CommandCall, CommandReply, GovernanceCommands, MentionedPerson
from telemetry import current_correlation_id

__all__ = ["mentioned_people", "run_governance_command"]


def mentioned_people(context: TurnContext) -> tuple[MentionedPerson, ...]:
    """People @mentioned in the activity (not the bot), with the object id of each mention when given."""
    activity = context.activity
    bot_id = getattr(activity.recipient, "id", None)
    found: list[MentionedPerson] = []
    for entity in activity.entities or []:
        if (entity.type or "").lower() != "mention":
            continue
        mentioned = (entity.additional_properties or {}).get("mentioned")
        if not isinstance(mentioned, dict) or mentioned.get("id") == bot_id:
            continue
        name = str(mentioned.get("name") or "").strip()
        object_id = mentioned.get("aadObjectId") or mentioned.get("aad_object_id")
        if name:
            found.append(MentionedPerson(name, str(object_id) if object_id else None))
    return tuple(found)


async def run_governance_command(
    context: TurnContext, service: GovernanceCommands, name: str, text: str, inputs: TurnInputs,
    votes: ApprovalVotes | None = None,
) -> CommandReply:
    """Run command ``name`` with ``text`` (what follows the command word), say the reply and return it
    (its ``run``, a command to run next, is the caller's to start). ``votes``: shows the approval
    requests a reply names as their cards (without it, only the reply's text is said)."""
    requester = inputs.requester
    call = CommandCall(
        text=text,
        object_id=requester.aad_object_id or "",
        name=requester.name,
        sender_key=requester.key,
        mentions=mentioned_people(context),
        time_zone=getattr(context.activity, "local_timezone", None) or None,
        correlation_id=current_correlation_id(),
        actions=inputs.actions,
    )
    reply = await service.run(name, call)
    if reply.approvals and votes is not None and await _show_approval_cards(context, reply, inputs, votes):
        return reply
    if reply.buttons:
        await say_with_buttons(context, reply.text, reply.buttons)
    else:
        await context.send_activity(MessageFactory.text(reply.text))
    return reply


async def _show_approval_cards(
    context: TurnContext, reply: CommandReply, inputs: TurnInputs, votes: ApprovalVotes
) -> bool:
    """Post the caller's view of each approval card of ``reply`` (the text with the first) and register
    each copy; False when none could be shown (the caller then says the text alone)."""
    views = await asyncio.gather(*(votes.view(inputs.requester, a.id) for a in reply.approvals))
    shown = [(approval.id, view.card) for approval, view in zip(reply.approvals, views, strict=True)
             if view.card is not None]
    if not shown:
        return False
    activities = [card_activity(card, reply.text if i == 0 else None) for i, (_, card) in enumerate(shown)]
    held = replies_held(context)
    responses = await context.send_activities(activities)
    conversation = TurnContext.get_conversation_reference(context.activity).serialize()
    posted = list(context.buffered_reply_activities[-len(activities):]) if held else []

    async def register() -> None:
        ids = [a.id for a in posted] if held else [getattr(r, "id", None) for r in responses or []]
        await asyncio.gather(*(
            votes.record_copy(approval_id, conversation, str(activity_id))
            for (approval_id, _), activity_id in zip(shown, ids, strict=False) if activity_id
        ))

    if held:  # the ids are known once the bot sends what it holds
        after_replies_sent(context, register)
    else:
        await register()
    return True
