"""Fixtures for card tests: the session's Adaptive Cards validator and sample declarations."""

from tests.support.card_checks import card_validator

__all__ = ["card_validator"]
