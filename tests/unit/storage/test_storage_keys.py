"""Key escaping: reversible, deterministic, collision-free, within the 1 KiB key limit."""

from __future__ import annotations

import random
import re

import pytest

from storage.keys import MAX_KEY_UTF16_UNITS, escape_key, table_key, unescape_key, utf16_units

FORBIDDEN_IN_KEYS = re.compile("[/\\\\#?\x00-\x1f\x7f-\x9f]")


@pytest.mark.parametrize(
    ("key", "escaped"),
    [
        ("plain", "plain"),
        ("a/b", "a%2Fb"),
        ("a\\b#c?d", "a%5Cb%23c%3Fd"),
        ("100%", "100%25"),
        ("\x00\x1f\x7f\x9f", "%00%1F%7F%9F"),
        ("19:abc@thread.tacv2;messageid=1", "19:abc@thread.tacv2;messageid=1"),
        ("é😀", "é😀"),
        ("lone\ud800", "lone%uD800"),
        ("", ""),
    ],
)
def test_escape_known_values(key: str, escaped: str) -> None:
    assert escape_key(key) == escaped
    assert unescape_key(escaped) == key


def test_random_keys_round_trip_and_never_contain_forbidden_characters() -> None:
    rng = random.Random(20261126)
    alphabet = "ab%/\\#?:;@~ \x00\x01\x1f\x7f\x85\x9fé😀\ud800"
    keys = {"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3000)}

    escaped = {key: escape_key(key) for key in keys}

    assert len(set(escaped.values())) == len(keys)  # injective
    assert all(not FORBIDDEN_IN_KEYS.search(value) for value in escaped.values())
    assert all(unescape_key(value) == key for key, value in escaped.items())


def test_short_keys_use_the_escaped_form_and_long_keys_a_hash() -> None:
    assert table_key("a/b") == "a%2Fb"
    fits = "k" * MAX_KEY_UTF16_UNITS
    assert table_key(fits) == fits
    long_key = "k" * (MAX_KEY_UTF16_UNITS + 1)
    hashed = table_key(long_key)
    assert hashed.startswith("%~")
    assert len(hashed) == 66
    assert table_key(long_key) == hashed  # deterministic
    assert table_key(long_key[:-1] + "j") != hashed


def test_escaping_can_push_a_key_over_the_limit() -> None:
    key = "/" * 200  # 200 characters, 600 once escaped
    assert table_key(key).startswith("%~")


def test_limit_counts_utf16_code_units() -> None:
    key = "😀" * 256  # 256 code points, 512 UTF-16 code units: fits exactly
    assert utf16_units(key) == 512
    assert table_key(key) == key
    assert table_key(key + "x").startswith("%~")


def test_hashed_and_malformed_keys_cannot_be_unescaped() -> None:
    with pytest.raises(ValueError, match="hashed"):
        unescape_key(table_key("x" * 600))
    with pytest.raises(ValueError, match="malformed"):
        unescape_key("a%zz")


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="strings"):
        escape_key(42)  # type: ignore[arg-type]
