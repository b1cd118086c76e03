"""Driving an action to its end in one process: start, then poll until done or out of time.

The bot does not do this (a queue worker polls with the continuation token instead, so no
process waits on Azure); the CLI and the tests do.
"""

from __future__ import annotations

import asyncio
import time

from actions.context import ActionContext
from actions.spec import Action, Args, Progress, ProgressState

__all__ = ["poll_until_done", "run_to_completion"]


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
    once. Ends in ``TIMED_OUT`` (carrying the last token, so it can still be resumed) when the
    limit passes first.
    """
    limit = action.timeout_seconds if timeout is None else timeout
    pause = ctx.options.polling_interval if interval is None else interval
    deadline = time.monotonic() + limit
    while not progress.done:
        token = progress.continuation_token
        if token is None:
            return progress
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Progress(
                ProgressState.TIMED_OUT,
                f"{action.name} did not finish within {_duration(limit)}. Azure may still complete it: "
                "check the resource before trying again.",
                continuation_token=token,
                details=progress.details,
            )
        await asyncio.sleep(min(pause, remaining))
        progress = await action.poll(ctx, args, token)
    return progress


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


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"
