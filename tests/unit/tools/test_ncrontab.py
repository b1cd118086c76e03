"""The dev host's NCRONTAB parser: the schedule forms timer triggers use."""

from __future__ import annotations

import datetime as dt

import pytest

from tools.ncrontab import CronSchedule, IntervalSchedule, parse_schedule

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("*/5 * * * * *", at(2026, 1, 1, 0, 0, 3), at(2026, 1, 1, 0, 0, 5)),
        ("*/5 * * * * *", at(2026, 1, 1, 0, 0, 5), at(2026, 1, 1, 0, 0, 10)),  # strictly after
        ("0 */5 * * * *", at(2026, 1, 1, 0, 7, 30), at(2026, 1, 1, 0, 10, 0)),
        ("0 0 * * * *", at(2026, 1, 1, 23, 30, 0), at(2026, 1, 2, 0, 0, 0)),
        ("0 30 9 * * 1-5", at(2026, 11, 27, 10, 0, 0), at(2026, 11, 30, 9, 30, 0)),  # Fri 10:00 -> Mon 9:30
        ("0 30 9 * * Mon-Fri", at(2026, 11, 28, 8, 0, 0), at(2026, 11, 30, 9, 30, 0)),
        ("0 0 12 1 Jan,Jul *", at(2026, 2, 1, 0, 0, 0), at(2026, 7, 1, 12, 0, 0)),
        ("0 0 0 29 2 *", at(2026, 3, 1, 0, 0, 0), at(2028, 2, 29, 0, 0, 0)),  # leap day
        ("0 0 0 * * 0", at(2026, 11, 26, 0, 0, 0), at(2026, 11, 29, 0, 0, 0)),  # Sunday as 0
        ("0 0 0 * * 7", at(2026, 11, 26, 0, 0, 0), at(2026, 11, 29, 0, 0, 0)),  # and as 7
        ("10,20 0-1 0 * * *", at(2026, 1, 1, 0, 0, 15), at(2026, 1, 1, 0, 0, 20)),
        ("10,20 0-1 0 * * *", at(2026, 1, 1, 0, 0, 25), at(2026, 1, 1, 0, 1, 10)),
        ("5-20/5 * * * * *", at(2026, 1, 1, 0, 0, 21), at(2026, 1, 1, 0, 1, 5)),
    ],
)
def test_next_occurrence(expression: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert parse_schedule(expression).next_after(after) == expected


def test_a_day_must_match_both_day_fields_like_ncrontab() -> None:
    schedule = parse_schedule("0 0 12 13 * 5")  # Friday the 13th
    assert schedule.next_after(at(2026, 1, 1, 0, 0, 0)) == at(2026, 2, 13, 12, 0, 0)


def test_microseconds_are_dropped_and_the_timezone_kept() -> None:
    result = parse_schedule("* * * * * *").next_after(at(2026, 1, 1, 0, 0, 0).replace(microsecond=999))
    assert result == at(2026, 1, 1, 0, 0, 1)
    assert result.tzinfo is UTC


def test_a_timespan_is_an_interval() -> None:
    schedule = parse_schedule("00:00:10")
    assert isinstance(schedule, IntervalSchedule)
    assert schedule.next_after(at(2026, 1, 1, 0, 0, 3)) == at(2026, 1, 1, 0, 0, 13)
    assert parse_schedule("1.02:00:00").interval == dt.timedelta(days=1, hours=2)


def test_parsed_fields() -> None:
    schedule = parse_schedule("0 15,45 8-9 * * *")
    assert isinstance(schedule, CronSchedule)
    assert schedule.minutes == {15, 45}
    assert schedule.hours == {8, 9}


@pytest.mark.parametrize(
    "expression",
    ["* * * * *", "0 0 0 L * *", "0 0 0 * * 5#3", "0 0 0 ? * *", "60 * * * * *", "*/0 * * * * *", "0 0 0 31 2 *",
     "00:00:00", "5-1 * * * * *", "every minute"],
)
def test_unsupported_or_invalid_schedules_are_rejected(expression: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_schedule(expression).next_after(at(2026, 1, 1, 0, 0, 0))
