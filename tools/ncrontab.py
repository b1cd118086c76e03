"""A small NCRONTAB parser for the dev host's timer triggers.

Azure Functions timer schedules are NCRONTAB expressions with six fields,
``{second} {minute} {hour} {day} {month} {day-of-week}``, or (App Service plans) a TimeSpan
``hh:mm:ss`` meaning "every interval". Supported here: ``*``, numbers, lists (``1,15``),
ranges (``1-5``), steps (``*/10``, ``0-30/5``), month names (``Jan``…``Dec``) and weekday
names (``Sun``…``Sat``; 0 and 7 are Sunday), and TimeSpans. Like NCrontab, a day must match
*both* the day-of-month and the day-of-week fields. Not supported (rejected with
``ValueError``): five-field expressions, ``L``, ``W``, ``#``, ``?`` and year fields.
Times are UTC (``WEBSITE_TIME_ZONE`` is not emulated).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["CronSchedule", "IntervalSchedule", "Schedule", "parse_schedule"]

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
_WEEKDAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")
_FIELDS = (  # name, low, high, names
    ("second", 0, 59, None),
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day", 1, 31, None),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _WEEKDAYS),
)
_MAX_SEARCH_DAYS = 366 * 5


@dataclass(frozen=True)
class IntervalSchedule:
    """Every ``interval`` (a TimeSpan schedule)."""

    interval: dt.timedelta

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        return moment + self.interval


@dataclass(frozen=True)
class CronSchedule:
    """A six-field NCRONTAB schedule as sets of allowed values."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    def matches(self, moment: dt.datetime) -> bool:
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment.date())
        )

    def _day_matches(self, day: dt.date) -> bool:
        return day.month in self.months and day.day in self.days and (day.isoweekday() % 7) in self.weekdays

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first matching time strictly after ``moment`` (whole seconds, same tzinfo)."""
        start = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
        day = start.date()
        for _ in range(_MAX_SEARCH_DAYS):
            if self._day_matches(day):
                found = self._first_time_on(day, start if day == start.date() else None, start.tzinfo)
                if found is not None:
                    return found
            day += dt.timedelta(days=1)
        raise ValueError(f"schedule {self.expression!r} never fires")

    def _first_time_on(
        self, day: dt.date, not_before: dt.datetime | None, tz: dt.tzinfo | None
    ) -> dt.datetime | None:
        floor = not_before.time() if not_before is not None else dt.time(0, 0, 0)
        for hour in sorted(h for h in self.hours if h >= floor.hour):
            for minute in sorted(self.minutes):
                if hour == floor.hour and minute < floor.minute:
                    continue
                for second in sorted(self.seconds):
                    if hour == floor.hour and minute == floor.minute and second < floor.second:
                        continue
                    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz)
        return None


Schedule = CronSchedule | IntervalSchedule


def parse_schedule(expression: str) -> Schedule:
    """Parse a timer trigger schedule; raise ``ValueError`` naming what is not supported."""
    text = expression.strip()
    span = _TIMESPAN.match(text)
    if span:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in span.groups())
        interval = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if interval <= dt.timedelta(0):
            raise ValueError(f"schedule {expression!r}: the interval must be positive")
        return IntervalSchedule(interval)
    fields = text.split()
    if len(fields) != 6:
        raise ValueError(
            f"schedule {expression!r}: expected six NCRONTAB fields "
            "'{second} {minute} {hour} {day} {month} {day-of-week}' or a TimeSpan 'hh:mm:ss'"
        )
    values = [_parse_field(field, *spec) for field, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in values[5])
    return CronSchedule(text, *(frozenset(v) for v in values[:5]), weekdays=weekdays)


def _parse_field(field: str, name: str, low: int, high: int, names: dict[str, int] | None) -> set[int]:
    allowed: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, name, None) if step_text else 1
        if step < 1:
            raise ValueError(f"{name} field {field!r}: the step must be at least 1")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first_text, last_text = base.split("-", 1)
            first, last = _number(first_text, name, names), _number(last_text, name, names)
        else:
            first = _number(base, name, names)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or first > last:
            raise ValueError(f"{name} field {field!r}: values must be within {low}-{high}, in order")
        allowed.update(range(first, last + 1, step))
    return allowed


def _number(text: str, name: str, names: dict[str, int] | None) -> int:
    token = text.strip().lower()
    if names and token[:3] in names and token.isalpha():
        return names[token[:3]]
    if not token.isdigit():
        raise ValueError(f"{name} field: {text!r} is not supported (numbers, names, *, -, / and , only)")
    return int(token)
