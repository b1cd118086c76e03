"""The per-person rate limit: a pure check of a request count in a fixed window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from guardrails.records import RateLimit

__all__ = ["RateCheck", "check_rate"]


@dataclass(frozen=True)
class RateCheck:
    """``allowed``, or not before ``retry_at`` (UTC: the start of the next window)."""

    allowed: bool
    retry_at: datetime | None = None


def check_rate(limit: RateLimit, count: int, now: datetime) -> RateCheck:
    """Whether one more request is allowed when ``count`` requests were already counted in ``now``'s window."""
    if count < limit.max_requests:
        return RateCheck(True)
    return RateCheck(False, limit.window_end(now))
