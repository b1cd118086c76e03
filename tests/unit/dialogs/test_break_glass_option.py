"""`--break-glass "reason"` is taken off a typed command, and a missing reason is explained."""

from __future__ import annotations

import pytest

from dialogs.break_glass import BreakGlassError, split_break_glass


@pytest.mark.parametrize(
    ("typed", "command", "reason"),
    [
        ('scale node pool aks-prod np1 to 5 --break-glass "checkout is down"', "scale node pool aks-prod np1 to 5",
         "checkout is down"),
        ("restart app web-prod --BREAK-GLASS 'outage'", "restart app web-prod", "outage"),
        ('scale node pool --break-glass "site down" aks-prod np1 to 5', "scale node pool aks-prod np1 to 5",
         "site down"),
        ("scale node pool aks-prod np1 to 5", "scale node pool aks-prod np1 to 5", None),
        ("restart app 'unclosed --break-glass", "restart app 'unclosed --break-glass", None),
    ],
)
def test_the_option_is_taken_off_the_command(typed: str, command: str, reason: str | None) -> None:
    assert split_break_glass(typed) == (command, reason)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("restart app web-prod --break-glass", "needs a reason in quotes"),
        ('restart app web-prod --break-glass "  "', "needs a reason in quotes"),
        ("restart app web-prod --break-glass --other", "needs a reason in quotes"),
        ('restart app web-prod --break-glass "a" --break-glass "b"', "once, with one reason"),
        (f'restart app web-prod --break-glass "{"x" * 501}"', "at most 500 characters"),
    ],
)
def test_a_break_glass_without_a_usable_reason_says_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(BreakGlassError, match=says):
        split_break_glass(typed)
