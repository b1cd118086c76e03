"""Adaptive Card checks for tests: one Node validator per session, and a helper to assert cards pass.

Every card the bot can send is parsed by the Adaptive Cards JavaScript library
(:mod:`tools.card_validation`); a failure lists each problem per card.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tools.card_validation import CardValidator

__all__ = ["assert_valid_cards", "card_validator"]


@pytest.fixture(scope="session")
def card_validator() -> Iterator[CardValidator]:
    """A running Node validator shared by the session's tests."""
    with CardValidator() as validator:
        yield validator


def assert_valid_cards(validator: CardValidator, cards: Mapping[str, Any]) -> None:
    """Fail with every problem of every card that the Adaptive Cards library rejects."""
    assert cards, "no cards to validate"
    failures = [str(report) for report in validator.validate(cards) if not report.ok]
    assert not failures, "invalid Adaptive Cards:\n" + "\n".join(failures)
