"""Reading the guardrails commands' arguments: times in the viewer's zone (DST included), durations, limits,
principals. Pure functions, no storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions.registry import default_registry
from governing.parsing import (
    InputError,
    MentionedPerson,
    mark_mentions,
    parse_actions,
    parse_duration,
    parse_limits,
    parse_principal,
    parse_scope,
    parse_time,
    split_words,
)
from guardrails.records import Principal

BERLIN = ZoneInfo("Europe/Berlin")
OID = "00000000-0000-0000-0000-0000000000021"


@pytest.mark.parametrize(
    ("words", "zone", "expected", "used"),
    [
        (["2026-12-01", "18:00"], BERLIN, datetime(2026, 12, 1, 17, 0, tzinfo=UTC), 2),  # winter: UTC+1
        (["2026-07-01", "18:00"], BERLIN, datetime(2026, 7, 1, 16, 0, tzinfo=UTC), 2),  # summer: UTC+2
        (["2026-12-01", "18:00"], None, datetime(2026, 12, 1, 18, 0, tzinfo=UTC), 2),  # no zone given: UTC
        (["2026-12-01T18:00Z", "x"], BERLIN, datetime(2026, 12, 1, 18, 0, tzinfo=UTC), 1),  # explicit Z wins
        (["2026-12-01T18:00+05:30"], BERLIN, datetime(2026, 12, 1, 12, 30, tzinfo=UTC), 1),
        (["2026-12-01", '"reason"'], BERLIN, datetime(2026, 11, 30, 23, 0, tzinfo=UTC), 1),  # a date alone: midnight
    ],
)
def test_times_are_read_in_the_viewers_zone_unless_they_say_otherwise(
    words: list[str], zone: ZoneInfo | None, expected: datetime, used: int
) -> None:
    assert parse_time(words, zone) == (expected, used)


@pytest.mark.parametrize("words", [["tomorrow"], ["18:00"], ["2026-13-01"], []])
def test_what_is_not_a_time_is_refused_with_the_form_to_use(words: list[str]) -> None:
    with pytest.raises(InputError, match=r"YYYY-MM-DD HH:MM|Say until when"):
        parse_time(words, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", timedelta(minutes=90)), ("8h", timedelta(hours=8)), ("7d", timedelta(days=7)),
     ("365d", timedelta(days=365)), ("1m", timedelta(minutes=1))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["366d", "0m", "2 weeks", "h", "-1h"])
def test_durations_outside_the_range_or_the_form_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration(text)


def test_limits_with_bounds_relative_changes_and_a_window_in_the_viewers_zone() -> None:
    registry = default_registry()
    limits = parse_limits(["count<=10", "count>=1", "count+<=3", "count-<=2", "days=mon-fri", "hours=9-17"],
                          frozenset({"aks-scale-node-pool"}), registry, "Europe/Berlin")

    bound = limits.parameters["count"]
    assert (bound.minimum, bound.maximum, bound.max_increase, bound.max_decrease) == (1, 10, 3, 2)
    assert limits.window is not None
    assert (limits.window.time_zone, limits.window.days, limits.window.start_hour, limits.window.end_hour) == (
        "Europe/Berlin", frozenset({1, 2, 3, 4, 5}), 9, 17)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["count<=1", "count>=5"], "These limits do not fit together: minimum 5 is above maximum 1."),
        (["capacity<=3"], "'capacity' is not a whole-number parameter of these actions (they have: count)."),
        (["hours=17-9"], "'17-9' are not hours"),
        (["days=fri-mon"], "'fri-mon': a range of days runs forward"),
        (["tz=Mars/Olympus"], "'Mars/Olympus' is not an IANA time zone"),
        (["count=5"], "'count=5' is not a limit."),
    ],
)
def test_bad_limits_are_named(words: list[str], message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_limits(words, frozenset({"aks-scale-node-pool"}), default_registry(), None)
    assert message in raised.value.message


def test_actions_are_catalog_names_aliases_or_star() -> None:
    registry = default_registry()
    assert parse_actions("aks-scale-node-pool,vm-restart", registry) == frozenset({"aks-scale-node-pool", "vm-restart"})
    assert parse_actions("*", registry) == frozenset({"*"})
    with pytest.raises(InputError, match="'delete-everything' is not an action"):
        parse_actions("delete-everything", registry)


def test_a_mentioned_name_becomes_one_word_bound_to_the_mentions_object_id() -> None:
    text, marks = mark_mentions("Megan Bowen, group:ops quorum 2", [MentionedPerson("Megan Bowen", OID)])
    words = split_words(text)

    assert parse_principal(words[0], marks).principal == Principal.user(OID)
    assert parse_principal(words[1], marks).principal == Principal.group("ops")


@pytest.mark.parametrize(
    ("word", "principal", "maybe_group"),
    [
        (OID, Principal.user(OID), False),
        (f"user:{OID.upper()}", Principal.user(OID), False),
        ("group:Platform-Approvers", Principal.group("platform-approvers"), False),
        ("platform-approvers", Principal.group("platform-approvers"), True),  # only if such a group exists
    ],
)
def test_principals_are_object_ids_or_groups(word: str, principal: Principal, maybe_group: bool) -> None:
    found = parse_principal(word, {})
    assert (found.principal, found.maybe_group) == (principal, maybe_group)


@pytest.mark.parametrize("word", ["user:megan", "group:Bad Name!", "Megan's", "@Megan"])
def test_what_is_not_a_principal_is_refused(word: str) -> None:
    with pytest.raises(InputError):
        parse_principal(word, {})


@pytest.mark.parametrize(
    "scope", ["rg-prod", "/subscriptions/s/resourceGroups", "/subscriptions/s/../t", "/tenants/x", ""]
)
def test_what_is_not_a_scope_is_refused_with_what_a_scope_is(scope: str) -> None:
    with pytest.raises(InputError, match=r"is not a scope: .* A scope is / or an Azure resource id prefix"):
        parse_scope(scope)


def test_quoted_reasons_are_one_word_and_an_unclosed_quote_is_named() -> None:
    assert split_words('x until 2026-12-01 "year end freeze"') == ["x", "until", "2026-12-01", "year end freeze"]
    assert split_words("x \u201cyear end\u201d") == ["x", "year end"]  # Teams' typographic quotes
    with pytest.raises(InputError, match="A quote is not closed"):
        split_words('x "year end')
