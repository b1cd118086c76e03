"""The guardrails' chat commands in a conversation: build the call from the activity, show the reply.

Identity is the activity's sender (``from.aadObjectId``), never card data. A person @mentioned in
the command is taken from the activity's mention entities with the Entra object id Teams gives
for them (``mentioned.aadObjectId``); the bot's own mention is not a principal. The viewer's time
zone is the activity's ``localTimezone`` (Teams sends it with messages), else times are UTC.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext

from dialogs.suggestions import say_with_buttons
from dialogs.turn import TurnInputs
from governing import CommandCall, CommandReply, GovernanceCommands, MentionedPerson
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
    context: TurnContext, service: GovernanceCommands, name: str, text: str, inputs: TurnInputs
) -> CommandReply:
    """Run command ``name`` with ``text`` (what follows the command word), say the reply and return it
    (its ``run``, a command to run next, is the caller's to start)."""
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
    if reply.buttons:
        await say_with_buttons(context, reply.text, reply.buttons)
    else:
        await context.send_activity(MessageFactory.text(reply.text))
    return reply
