"""When the worker checks a running platform operation again (a queue message's visibility delay)."""

from __future__ import annotations

__all__ = ["next_poll_delay"]


def next_poll_delay(
    polls: int, retry_after: float | None, *, initial: float = 2.0, maximum: float = 60.0
) -> int:
    """Seconds until the next status check: ``initial`` doubling with each poll, up to the platform's
    ``Retry-After`` when it sent one, else up to ``maximum``; whole seconds (a queue visibility
    timeout is whole seconds). ``polls`` is how many checks were made so far (0 before the first).

    >>> [next_poll_delay(n, 10) for n in range(5)]
    [2, 4, 8, 10, 10]
    """
    if polls < 0:
        raise ValueError("polls cannot be negative")
    ceiling = maximum if retry_after is None or retry_after <= 0 else min(retry_after, maximum)
    delay = min(ceiling, initial * (2 ** min(polls, 30)))
    return max(0, round(delay))
