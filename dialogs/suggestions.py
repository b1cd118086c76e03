"""Suggestions as buttons: turning what an error suggests into complete commands, and saying it.

An :class:`~actions.spec.ActionError` suggests either complete commands (``aks-set-autoscale
cluster=aks-prod pool=np2 min=2 max=8``, from an action's checks; said in their natural form,
``set autoscale aks-prod np2 min 2 max 8``) or, for a :class:`~actions.spec.ParameterError`,
values of that parameter (``web-prod`` for a misspelled app): those become the command the user
was running with the value replaced. Only commands that parse become buttons
(:func:`actions.params.natural_command`, :func:`actions.params.command_text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from actions import params
from actions.registry import Registry
from actions.spec import Action, ActionError, ArgValue, ParameterError
from cards import MAX_SUGGESTIONS, Tone, suggestion_card
from dialogs import texts
from dialogs.turn import card_activity, present_card, present_notice

__all__ = ["as_message", "say_with_buttons", "suggested_commands"]


def suggested_commands(
    registry: Registry,
    error: ActionError,
    action: Action | None = None,
    given: Mapping[str, ArgValue] | None = None,
) -> list[str]:
    """The complete commands ``error`` suggests, natural form, each once, at most :data:`MAX_SUGGESTIONS`.

    ``action`` and ``given`` (the arguments of the command being run, as the user may type them)
    turn a parameter value suggestion into that command with the value replaced.
    """
    found: list[str] = []
    for suggestion in error.suggestions:
        command = params.natural_command(registry, suggestion)
        if command is None and isinstance(error, ParameterError) and action is not None:
            command = params.command_text(action, {**(given or {}), error.parameter: suggestion})
            if not _runs(registry, command, action):
                command = None
        if command is not None and command not in found:
            found.append(command)
    return found[:MAX_SUGGESTIONS]


def _runs(registry: Registry, command: str, action: Action) -> bool:
    try:
        return params.parse_command(registry, command).action is action
    except ActionError:
        return False


async def say_with_buttons(
    context: TurnContext,
    text: str,
    commands: Sequence[str],
    *,
    title: str | None = None,
    tone: Tone = Tone.DEFAULT,
) -> None:
    """Say ``text``: with one button per command on a card when there are commands (in place of the
    pressed card for an invoke); otherwise as a notice (titled) or a plain message."""
    if commands:
        await present_card(context, suggestion_card(text, commands, title=title, tone=tone))
    elif title:
        await present_notice(context, title, text, tone=tone)
    else:
        await context.send_activity(MessageFactory.text(text))


def as_message(text: str, commands: Sequence[str]) -> Activity:
    """A message with ``text`` and, when there are commands, a card of their buttons below it. The
    text stays the message's own, so a prompt can append its numbered choices to it."""
    if commands:
        return card_activity(suggestion_card(texts.or_run(), commands), text)
    return MessageFactory.text(text)
