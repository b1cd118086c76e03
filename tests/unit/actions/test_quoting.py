"""Repeating what a user typed: plain text that cannot format a Teams message or break its quotes."""

from __future__ import annotations

import pytest

from actions.quoting import MAX_QUOTED, quoted, shown

# Characters that Teams renders as HTML or markdown when they appear in a bot's message.
MARKUP = set("<>&`*[]~\\|#")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("np9", "'np9'"),
        ("aks-prod", "'aks-prod'"),
        ("/subscriptions/x/resourceGroups/rg_prod", "'/subscriptions/x/resourceGroups/rg_prod'"),
        (5, "'5'"),
        ("<b>bold</b>", "'bbold/b'"),
        ("<img src=x onerror=alert(1)>", "'img src=x onerror=alert(1)'"),
        ("[click](https://evil.example)", "'click(https://evil.example)'"),
        ("`rm -rf`", "'rm -rf'"),
        ("**loud** ~~gone~~ # title | cell \\*", "'loud gone title cell'"),
        ("_italic_ rg_prod a_ _b", "'italic rg_prod a b'"),
        ("fish &amp; chips &nbsp;", "'fish amp; chips nbsp;'"),
        ("a\nb\t\tc\u00a0d", "'a b c d'"),
        ("he\u200bl\u200dlo\u202e\ufeff", "'hello'"),  # zero-width, joiner, bidi override, BOM
        ("\x00\x07bell", "'bell'"),
        ("", "''"),
    ],
)
def test_quoted_keeps_what_names_are_made_of_and_strips_markup(value: object, expected: str) -> None:
    assert quoted(value) == expected
    assert not MARKUP & set(shown(value))


def test_long_values_are_cut() -> None:
    text = shown("x" * 500)
    assert len(text) == MAX_QUOTED
    assert text.endswith("…")
    assert quoted("abcdefgh", 5) == "'abcd…'"
