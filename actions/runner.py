"""Driving an action in one process: start it, then poll until it is done or the wait is over.

Two kinds of caller wait for different lengths of time:

- the CLI and the action tests wait up to the action's own limit (:func:`run_to_completion`,
  :func:`poll_until_done`): minutes for a node pool scale;
- the bot waits inside a Teams turn, which Teams gives about 10-15 s (5 s for a card button's
  invoke), so it uses :func:`run_within` with a budget of a few seconds
  (:class:`app.direct.DirectRequestHandler`). What is not done by then ends ``TIMED_OUT``
  with its continuation token: it is still running in Azure, and the token resumes it. The
  queue issue moves this waiting out of the turn, to a worker.

Every wait is bounded: each status check runs under the time left (a status check only reads,
so cutting it short changes nothing), and :func:`run_within` bounds the start request too — a
start that does not answer in time ends ``UNKNOWN``, since it may have reached Azure.
"""

from __future__ import annotations

import asyncio

from actions.context import ActionContext
from actions.spec import Action, Args, Progress, ProgressState

__all__ = ["poll_until_done", "run_to_completion", "run_within"]


async def poll_until_done(
    ctx: ActionContext,
    action: Action,
    args: Args,
    progress: Progress,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - ends in TIMED_OUT with a resumable token, not a cancel
    interval: float | None = None,
) -> Progress:
    """Poll a started action until it is done or ``timeout`` (default: the action's limit) has passed.

    Each poll resumes from the latest continuation token (as another process would) and checks
    once, within the time left. Ends in ``TIMED_OUT`` (carrying the last token, so it can still be
    resumed) when the limit passes first; a status check that fails ends ``UNKNOWN``, also
    carrying the last token.
    """
    limit = action.timeout_seconds if timeout is None else timeout
    loop = asyncio.get_running_loop()
    return await _poll(ctx, action, args, progress, deadline=loop.time() + limit, limit=limit, interval=interval)


async def run_to_completion(
    ctx: ActionContext,
    action: Action,
    args: Args,
    *,
    timeout: float | None = None,  # noqa: ASYNC109 - ends in TIMED_OUT with a resumable token, not a cancel
    interval: float | None = None,
) -> Progress:
    """Start an action with resolved ``args`` and poll it to the end (see :func:`poll_until_done`).

    User errors (:class:`actions.spec.ActionError`) raised by ``start`` propagate.
    """
    progress = await action.start(ctx, args)
    return await poll_until_done(ctx, action, args, progress, timeout=timeout, interval=interval)


async def run_within(
    ctx: ActionContext, action: Action, args: Args, *, budget: float, interval: float | None = None
) -> Progress:
    """Start an action and wait for it at most ``budget`` seconds in all (start and status checks).

    - :class:`actions.spec.ActionError` raised by ``start`` propagates: nothing was sent.
    - ``start`` not answered within the budget: ``UNKNOWN`` — the request may have reached Azure.
    - otherwise what :func:`poll_until_done` says within the time left: ``SUCCEEDED``, ``FAILED``,
      ``UNKNOWN``, or ``TIMED_OUT`` (still running; ``continuation_token`` resumes it).

    :param budget: seconds, > 0.
    :param interval: seconds between status checks; default ``ctx.options.polling_interval``.
    """
    if budget <= 0:
        raise ValueError(f"budget must be positive, got {budget!r}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    scope = asyncio.timeout_at(deadline)
    try:
        async with scope:
            progress = await action.start(ctx, args)
    except TimeoutError:
        if not scope.expired():
            raise
        return Progress(
            ProgressState.UNKNOWN,
            f"Azure did not answer the {action.name} request within {_duration(budget)}: "
            "it may or may not have started. Check the resource before trying again.",
        )
    return await _poll(ctx, action, args, progress, deadline=deadline, limit=budget, interval=interval)


async def _poll(
    ctx: ActionContext,
    action: Action,
    args: Args,
    progress: Progress,
    *,
    deadline: float,
    limit: float,
    interval: float | None,
) -> Progress:
    pause = ctx.options.polling_interval if interval is None else interval
    loop = asyncio.get_running_loop()
    while not progress.done:
        token = progress.continuation_token
        if token is None:
            return progress
        remaining = deadline - loop.time()
        if remaining > 0:
            await asyncio.sleep(min(pause, remaining))
        checked = await _check_before(ctx, action, args, token, deadline) if loop.time() < deadline else None
        if checked is None:
            return Progress(
                ProgressState.TIMED_OUT,
                f"{action.name} did not finish within {_duration(limit)}. Azure may still complete it: "
                "check the resource before trying again.",
                continuation_token=token,
                details=progress.details,
            )
        progress = checked
        if progress.state is ProgressState.UNKNOWN and progress.continuation_token is None:
            progress = Progress(progress.state, progress.message, continuation_token=token, details=progress.details)
    return progress


async def _check_before(ctx: ActionContext, action: Action, args: Args, token: str, deadline: float) -> Progress | None:
    """One status check, cut short at ``deadline`` (None then: it only read, so nothing changed)."""
    scope = asyncio.timeout_at(deadline)
    try:
        async with scope:
            return await action.poll(ctx, args, token)
    except TimeoutError:
        if not scope.expired():
            raise
        return None


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
