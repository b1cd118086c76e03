"""The first :class:`~requesting.request.RequestHandler`: run the action at once, in this turn.

It starts the action and waits for it **within a time budget that fits a Teams turn**
(:func:`actions.runner.run_within`), then reports only what is known:

- ``REFUSED`` — the action's own checks refused it before anything was sent: nothing changed;
- ``SUCCEEDED`` — done;
- ``FAILED`` — sent, then refused or failed in Azure: it may have partly happened, check it;
- ``STARTED`` — Azure accepted it and was still working when the budget ran out: check it later;
- ``UNCONFIRMED`` — sent, but Azure did not say what became of it: check it.

``STARTED`` and ``UNCONFIRMED`` keep the operation's continuation token in the outcome's details
(:data:`~requesting.request.OUTCOME_CONTINUATION_TOKEN`) for the queue issue, which moves the
waiting out of the turn to a worker; the guardrails issue replaces this handler (grants, limits,
approvals, freezes) — both behind the same ``submit``.
"""

from __future__ import annotations

import logging

from actions.context import ActionContext
from actions.registry import Registry
from actions.runner import run_within
from actions.spec import ActionError, Progress, ProgressState
from dialogs import texts
from requesting.request import OUTCOME_CONTINUATION_TOKEN, Outcome, OutcomeState, Request

__all__ = ["DEFAULT_TURN_BUDGET", "DirectRequestHandler"]

_log = logging.getLogger("switchboard.requests")

DEFAULT_TURN_BUDGET = 3.0
"""Seconds a request may take inside the turn, start and status checks together.

Teams shows the user an error when a bot takes longer than about 10-15 s to answer a turn, and
about 5 s for a card button's ``adaptiveCard/action`` invoke (Confirm is such a button). The turn
also reads and writes state and sends two messages, so the wait for Azure gets 3 s of those 5 s.
A request not done by then is reported as started, with what to check.
"""


class DirectRequestHandler:
    """Runs each confirmed request directly against Azure (or the ARM sandbox), within a time budget.

    :param registry: the action catalog; a request naming another action is refused.
    :param actions: the process's root :class:`ActionContext` (each request gets its own view).
    :param budget: seconds ``submit`` may wait for Azure (> 0); default :data:`DEFAULT_TURN_BUDGET`.
        Tests pass a tiny one to see a request outlive it, or a large one to wait for the end.
    """

    def __init__(self, registry: Registry, actions: ActionContext, *, budget: float = DEFAULT_TURN_BUDGET) -> None:
        if budget <= 0:
            raise ValueError(f"budget must be positive, got {budget!r}")
        self._registry = registry
        self._actions = actions
        self._budget = budget

    @property
    def budget(self) -> float:
        """Seconds ``submit`` waits for Azure at most."""
        return self._budget

    async def submit(self, request: Request) -> Outcome:
        """Start the request's action, wait for it within the budget, and report what is known."""
        action = self._registry.get(request.action)
        if action is None or action.name != request.action:
            reason = f"There is no action called {request.action!r}."
            return Outcome(OutcomeState.REFUSED, texts.refused_before_start(reason))
        _log.info(
            "request %s: running %s on %s for %s",
            request.id, action.name, request.scope.resource_id, request.requester.key,
        )
        try:
            progress = await run_within(self._actions.for_turn(), action, request.args, budget=self._budget)
        except ActionError as exc:
            _log.info("request %s: refused by %s's own checks", request.id, action.name)
            return Outcome(OutcomeState.REFUSED, texts.refused_before_start(exc.message))
        outcome = _outcome(progress, request.preview.target)
        _log.info("request %s: %s (action progress %s)", request.id, outcome.state.value, progress.state.value)
        return outcome


def _outcome(progress: Progress, target: str) -> Outcome:
    """The requester's outcome for where the action stands after the wait."""
    details = {str(key): str(value) for key, value in progress.details.items()}
    if progress.continuation_token:
        details[OUTCOME_CONTINUATION_TOKEN] = progress.continuation_token
    if progress.state is ProgressState.SUCCEEDED:
        return Outcome(OutcomeState.SUCCEEDED, progress.message, details)
    if progress.state is ProgressState.FAILED:
        return Outcome(OutcomeState.FAILED, texts.outcome_failed(progress.message, target), details)
    if progress.state in (ProgressState.RUNNING, ProgressState.TIMED_OUT):
        return Outcome(OutcomeState.STARTED, texts.outcome_started(target), details)
    return Outcome(OutcomeState.UNCONFIRMED, texts.outcome_unconfirmed(target, details.get("reference")), details)
