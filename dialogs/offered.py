"""The choices a question or form offers: discovered, then narrowed to what the requester may act on.

:func:`offered_choices` discovers a parameter's choices (:func:`actions.params.choices`, preconditions
applied) and passes them through the turn's :data:`~dialogs.turn.ChoiceFilter` (the guardrails': only
resources the person holds a grant for), so nobody is walked through a form they cannot submit.
What is filtered out is listed as not offered, with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from botbuilder.core import TurnContext

from actions import params
from actions.spec import Action, ArgValue, ChoiceList
from dialogs.turn import turn_inputs

__all__ = ["narrower", "offered_choices"]


async def offered_choices(
    context: TurnContext, action: Action, name: str, args: Mapping[str, ArgValue]
) -> ChoiceList:
    """The choices of parameter ``name`` to offer this turn's requester (raises as ``params.choices``)."""
    inputs = turn_inputs(context)
    listed = await params.choices(inputs.actions, action, name, dict(args))
    return await narrower(context, action)(listed)


def narrower(context: TurnContext, action: Action) -> Callable[[ChoiceList], Awaitable[ChoiceList]]:
    """The turn's filter for ``action``'s discovered choices (identity when the turn has none)."""
    inputs = turn_inputs(context)
    choice_filter = inputs.choice_filter

    async def narrow(listed: ChoiceList) -> ChoiceList:
        if choice_filter is None:
            return listed
        return await choice_filter(inputs.requester, action.name, listed)

    return narrow
