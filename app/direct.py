"""The first :class:`~requesting.request.RequestHandler`: run the action at once, in this turn.

It starts the action and polls it to the end within the action's time limit
(:func:`actions.runner.run_to_completion`), then reports. There are no guardrails yet: the
guardrails issue replaces this handler (grants, limits, approvals, freezes) and the queue
issue moves the polling to a worker, both behind the same ``submit``.
"""

from __future__ import annotations

import logging

from actions.context import ActionContext
from actions.registry import Registry
from actions.runner import run_to_completion
from actions.spec import ActionError, ProgressState
from requesting.request import Outcome, OutcomeState, Request

__all__ = ["DirectRequestHandler"]

_log = logging.getLogger("switchboard.requests")

_STATES = {
    ProgressState.SUCCEEDED: OutcomeState.SUCCEEDED,
    ProgressState.FAILED: OutcomeState.FAILED,
    ProgressState.TIMED_OUT: OutcomeState.TIMED_OUT,
}


class DirectRequestHandler:
    """Runs each confirmed request directly against Azure (or the ARM sandbox).

    :param registry: the action catalog; a request naming another action is refused.
    :param actions: the process's root :class:`ActionContext` (each request gets its own view).
    :param timeout: overrides every action's own time limit (tests); None keeps the action's.
    """

    def __init__(self, registry: Registry, actions: ActionContext, *, timeout: float | None = None) -> None:
        self._registry = registry
        self._actions = actions
        self._timeout = timeout

    async def submit(self, request: Request) -> Outcome:
        """Run the request's action to its end and report what happened."""
        action = self._registry.get(request.action)
        if action is None or action.name != request.action:
            return Outcome(OutcomeState.REFUSED, f"There is no action called {request.action!r}.")
        _log.info(
            "request %s: running %s on %s for %s",
            request.id, action.name, request.scope.resource_id, request.requester.key,
        )
        try:
            progress = await run_to_completion(self._actions.for_turn(), action, request.args, timeout=self._timeout)
        except ActionError as exc:
            _log.info("request %s: refused by %s's own checks", request.id, action.name)
            return Outcome(OutcomeState.REFUSED, exc.message)
        state = _STATES.get(progress.state, OutcomeState.FAILED)
        _log.info("request %s: %s", request.id, state.value)
        details = {str(key): str(value) for key, value in progress.details.items()}
        return Outcome(state, progress.message, details)
