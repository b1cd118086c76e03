"""Limits: inclusive bounds, changes relative to the current value, allowed hours in a zone across DST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guardrails import LimitKind, Limits, ParameterLimit, TimeWindow, check_limits
from tests.unit.guardrails.policy import NOW


def kinds(limits: Limits, value: object, before: dict[str, int] | None = None, at: datetime = NOW) -> list[str]:
    args = {} if value is None else {"count": value}
    return [v.kind.value for v in check_limits(limits, args, {"count": 4} if before is None else before, at)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [(9, []), (10, []), (11, ["maximum"])])
def test_the_maximum_is_inclusive(value: int, expected: list[str]) -> None:
    assert kinds(Limits({"count": ParameterLimit(maximum=10)}), value) == expected


@pytest.mark.parametrize(("value", "expected"), [(1, ["minimum"]), (2, []), (3, [])])
def test_the_minimum_is_inclusive(value: int, expected: list[str]) -> None:
    assert kinds(Limits({"count": ParameterLimit(minimum=2)}), value) == expected


@pytest.mark.parametrize(("value", "expected"), [(6, []), (7, []), (8, ["max_increase"]), (4, []), (0, [])])
def test_an_increase_of_at_most_three_from_the_current_four(value: int, expected: list[str]) -> None:
    assert kinds(Limits({"count": ParameterLimit(max_increase=3)}), value) == expected


@pytest.mark.parametrize(("value", "expected"), [(3, []), (2, []), (1, ["max_decrease"]), (9, [])])
def test_a_decrease_of_at_most_two_from_the_current_four(value: int, expected: list[str]) -> None:
    assert kinds(Limits({"count": ParameterLimit(max_decrease=2)}), value) == expected


def test_a_zero_change_limit_allows_only_the_current_value() -> None:
    frozen = Limits({"count": ParameterLimit(max_increase=0, max_decrease=0)})
    assert kinds(frozen, 4) == []
    assert kinds(frozen, 5) == ["max_increase"]
    assert kinds(frozen, 3) == ["max_decrease"]


def test_every_broken_bound_is_named_with_values() -> None:
    limits = Limits({"count": ParameterLimit(maximum=10, max_increase=3)})
    found = check_limits(limits, {"count": 12}, {"count": 4}, NOW)
    assert [v.message for v in found] == [
        "count 12 is above the maximum 10",
        "count 4 → 12 raises it by 8; at most +3 is allowed",
    ]


def test_a_relative_limit_without_the_current_value_is_not_met() -> None:
    assert kinds(Limits({"count": ParameterLimit(max_increase=3)}), 5, before={}) == ["current_unknown"]


def test_a_numeric_limit_on_a_value_that_is_not_a_number_is_not_met() -> None:
    assert kinds(Limits({"count": ParameterLimit(maximum=10)}), "5") == ["not_a_number"]
    assert kinds(Limits({"count": ParameterLimit(maximum=10)}), True) == ["not_a_number"]


def test_a_limit_on_a_parameter_the_request_does_not_have_does_not_apply() -> None:
    assert kinds(Limits({"count": ParameterLimit(maximum=1)}), None) == []


def berlin_office_hours() -> Limits:
    return Limits(window=TimeWindow("Europe/Berlin", start_hour=9, end_hour=17))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (utc(2024, 3, 30, 7, 59), False),  # Saturday, CET: 08:59
        (utc(2024, 3, 30, 8, 0), True),  # 09:00 CET
        (utc(2024, 3, 30, 15, 59), True),  # 16:59 CET
        (utc(2024, 3, 30, 16, 0), False),  # 17:00 CET: the end is exclusive
        (utc(2024, 3, 31, 6, 59), False),  # DST began at 01:00 UTC: 08:59 CEST
        (utc(2024, 3, 31, 7, 0), True),  # 09:00 CEST, an hour earlier in UTC than the day before
        (utc(2024, 3, 31, 14, 59), True),  # 16:59 CEST
        (utc(2024, 3, 31, 15, 0), False),  # 17:00 CEST
        (utc(2024, 10, 26, 7, 0), True),  # 09:00 CEST
        (utc(2024, 10, 27, 7, 0), False),  # DST ended: 08:00 CET
        (utc(2024, 10, 27, 8, 0), True),  # 09:00 CET
        (utc(2024, 10, 27, 16, 0), False),  # 17:00 CET
    ],
)
def test_allowed_hours_in_berlin_follow_daylight_saving(moment: datetime, inside: bool) -> None:
    assert (kinds(berlin_office_hours(), None, at=moment) == []) is inside


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (utc(2024, 3, 9, 13, 0), False),  # Saturday 08:00 EST
        (utc(2024, 3, 9, 14, 0), True),  # 09:00 EST
        (utc(2024, 3, 10, 13, 0), True),  # Sunday, DST began at 07:00 UTC: 09:00 EDT
        (utc(2024, 3, 10, 12, 59), False),  # 08:59 EDT
        (utc(2024, 3, 10, 20, 59), True),  # 16:59 EDT
        (utc(2024, 3, 10, 21, 0), False),  # 17:00 EDT
        (utc(2024, 11, 3, 13, 0), False),  # DST ended at 06:00 UTC: 08:00 EST
        (utc(2024, 11, 3, 14, 0), True),  # 09:00 EST
    ],
)
def test_allowed_hours_in_new_york_follow_daylight_saving(moment: datetime, inside: bool) -> None:
    limits = Limits(window=TimeWindow("America/New_York", start_hour=9, end_hour=17))
    assert (kinds(limits, None, at=moment) == []) is inside


def test_the_repeated_hour_when_clocks_go_back_is_inside_both_times_and_the_skipped_hour_never() -> None:
    one_am = Limits(window=TimeWindow("America/New_York", start_hour=1, end_hour=2))
    assert kinds(one_am, None, at=utc(2024, 11, 3, 5, 30)) == []  # 01:30 EDT
    assert kinds(one_am, None, at=utc(2024, 11, 3, 6, 30)) == []  # 01:30 EST, the same wall-clock hour again
    assert kinds(one_am, None, at=utc(2024, 11, 3, 7, 0)) == ["window"]  # 02:00 EST
    two_am = Limits(window=TimeWindow("America/New_York", start_hour=2, end_hour=3))
    assert kinds(two_am, None, at=utc(2024, 3, 10, 6, 59)) == ["window"]  # 01:59 EST
    assert kinds(two_am, None, at=utc(2024, 3, 10, 7, 0)) == ["window"]  # 03:00 EDT: 02:xx never happened


def test_allowed_days_are_the_local_date_in_the_zone() -> None:
    weekdays = Limits(window=TimeWindow("Pacific/Auckland", days=frozenset({1, 2, 3, 4, 5})))
    assert kinds(weekdays, None, at=utc(2024, 6, 2, 22, 0)) == []  # Sunday in UTC, Monday 10:00 in Auckland
    assert kinds(weekdays, None, at=utc(2024, 6, 7, 12, 0)) == ["window"]  # Friday in UTC, Saturday 00:00 there


def test_the_window_violation_names_the_allowed_times() -> None:
    limits = Limits(window=TimeWindow("Europe/Berlin", days=frozenset(range(1, 6)), start_hour=9, end_hour=17))
    [violation] = check_limits(limits, {}, {}, utc(2024, 6, 8, 10, 0))  # a Saturday
    assert violation.kind is LimitKind.WINDOW
    assert violation.message == "it is outside the allowed times (Mon-Fri 09:00-17:00 Europe/Berlin)"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ParameterLimit(minimum=5, maximum=4), "minimum 5 is above maximum 4"),
        (lambda: ParameterLimit(max_increase=-1), "max_increase cannot be negative"),
        (lambda: TimeWindow("Mars/Olympus"), "not an IANA time zone"),
        (lambda: TimeWindow("UTC", start_hour=17, end_hour=9), "0 <= start < end <= 24"),
        (lambda: TimeWindow("UTC", days=frozenset({0})), "ISO weekdays"),
    ],
)
def test_a_malformed_limit_cannot_be_built(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]
