"""Cards whose buttons run commands: did-you-mean, "choose one of", and follow-ups such as
"this pool is autoscaled — change its min/max instead?".

Each button is an ``Action.Execute`` (verb ``run``) with an ``Action.Submit`` fallback, both
carrying the complete command text (:func:`cards.protocol.run_data`). Pressing one runs that
command as if the presser had typed it: the server reads only the text and sends it through the
normal command parser (:func:`cards.protocol.read_command`), so a button can do nothing a typed
message could not.
"""

from __future__ import annotations

from collections.abc import Sequence

from cards.elements import Json, Tone, adaptive_card, container, execute_action, text_block
from cards.protocol import RUN_VERB, run_data

__all__ = ["MAX_SUGGESTIONS", "chosen_card", "suggestion_card"]

MAX_SUGGESTIONS = 5
"""Buttons on one card at most: Teams shows a handful of actions before folding them away."""


def suggestion_card(text: str, commands: Sequence[str], *, title: str | None = None, tone: Tone = Tone.DEFAULT) -> Json:
    """``text`` (and a bold ``title``) with one button per command (the first :data:`MAX_SUGGESTIONS`).

    The button's title is the command itself, so what it does is what it says.
    """
    body: list[Json | None] = [text_block(title, weight="Bolder") if title else None, text_block(text)]
    styled = container(body, tone=tone) if tone is not Tone.DEFAULT else None
    actions = [
        execute_action(command, RUN_VERB, run_data(command), with_inputs=False)
        for command in dict.fromkeys(commands)  # each once, in order
    ][:MAX_SUGGESTIONS]
    return adaptive_card([styled] if styled else body, actions)


def chosen_card(person: str, command: str) -> Json:
    """What a suggestion card becomes once a button was pressed: who ran which command, no buttons."""
    return adaptive_card([text_block(f"{person} chose: {command}", subtle=True)])
