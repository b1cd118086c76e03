"""Checking a grant's limits against one request: per-parameter bounds, relative change, time window.

All bounds are inclusive: ``maximum=10`` allows 10 and refuses 11; ``max_increase=3`` allows
3 → 6 and refuses 3 → 7. A relative limit needs the resource's current value (the request's
``before``); without it the limit is not met (never assumed). Time windows are read in their
zone's wall-clock time at the decision's ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from actions.spec import ArgValue
from guardrails.records import Limits, ParameterLimit, TimeWindow

__all__ = ["LimitKind", "LimitViolation", "check_limits", "describe_window"]

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class LimitKind(StrEnum):
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    MAX_INCREASE = "max_increase"
    MAX_DECREASE = "max_decrease"
    CURRENT_UNKNOWN = "current_unknown"  # a relative limit, but the current value was not given
    NOT_A_NUMBER = "not_a_number"  # a numeric limit on a value that is not a whole number
    WINDOW = "window"  # outside the allowed days and hours


@dataclass(frozen=True)
class LimitViolation:
    """One limit a request does not meet. ``parameter`` is empty for the time window."""

    kind: LimitKind
    parameter: str
    message: str  # e.g. "count 12 is above the maximum 10"
    bound: int | None = None
    value: int | None = None


def describe_window(window: TimeWindow) -> str:
    """E.g. ``Mon-Fri 09:00-17:00 Europe/Berlin``."""
    days = sorted(window.days)
    if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        day_text = f"{_DAY_NAMES[days[0] - 1]}-{_DAY_NAMES[days[-1] - 1]}"
    else:
        day_text = ", ".join(_DAY_NAMES[d - 1] for d in days)
    if len(days) == 7:
        day_text = "every day"
    return f"{day_text} {window.start_hour:02d}:00-{window.end_hour:02d}:00 {window.time_zone}"


def _integer(value: ArgValue) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return None


def _check_parameter(
    name: str, limit: ParameterLimit, value: ArgValue, before: Mapping[str, int]
) -> list[LimitViolation]:
    number = _integer(value)
    if number is None:
        return [LimitViolation(LimitKind.NOT_A_NUMBER, name, f"{name} is not a whole number")]
    found: list[LimitViolation] = []
    if limit.minimum is not None and number < limit.minimum:
        found.append(
            LimitViolation(
                LimitKind.MINIMUM, name, f"{name} {number} is below the minimum {limit.minimum}", limit.minimum, number
            )
        )
    if limit.maximum is not None and number > limit.maximum:
        found.append(
            LimitViolation(
                LimitKind.MAXIMUM, name, f"{name} {number} is above the maximum {limit.maximum}", limit.maximum, number
            )
        )
    if limit.relative:
        current = before.get(name)
        if current is None or isinstance(current, bool):
            found.append(
                LimitViolation(
                    LimitKind.CURRENT_UNKNOWN, name, f"the current {name} is not known, so the change cannot be checked"
                )
            )
            return found
        change = number - current
        if limit.max_increase is not None and change > limit.max_increase:
            found.append(
                LimitViolation(
                    LimitKind.MAX_INCREASE,
                    name,
                    f"{name} {current} → {number} raises it by {change}; at most +{limit.max_increase} is allowed",
                    limit.max_increase,
                    number,
                )
            )
        if limit.max_decrease is not None and -change > limit.max_decrease:
            found.append(
                LimitViolation(
                    LimitKind.MAX_DECREASE,
                    name,
                    f"{name} {current} → {number} lowers it by {-change}; at most -{limit.max_decrease} is allowed",
                    limit.max_decrease,
                    number,
                )
            )
    return found


def check_limits(
    limits: Limits, args: Mapping[str, ArgValue], before: Mapping[str, int], now: datetime
) -> tuple[LimitViolation, ...]:
    """Every limit of ``limits`` that the request (``args``, current values ``before``, at ``now``) breaks.

    Empty when the request is within the limits. A parameter limit applies only when ``args``
    has that parameter.
    """
    found: list[LimitViolation] = []
    for name in sorted(limits.parameters):
        if name in args:
            found.extend(_check_parameter(name, limits.parameters[name], args[name], before))
    window = limits.window
    if window is not None and not window.contains(now):
        allowed = describe_window(window)
        found.append(LimitViolation(LimitKind.WINDOW, "", f"it is outside the allowed times ({allowed})"))
    return tuple(found)
