"""The verb synonyms actions declare in their :class:`~actions.spec.Phrasing`: one table per verb.

An action picks the tables that fit what it does (``Phrasing("restart app", RESTART)``), so
``reboot app web-prod`` and ``bounce app web-prod`` run ``restart app web-prod``. The words are
matched whole, at the start of a command; nothing else is guessed.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["RESTART", "SCALE", "START", "STOP"]

RESTART: Mapping[str, tuple[str, ...]] = {"restart": ("reboot", "bounce")}
"""``reboot vm``, ``bounce app`` for ``restart …``."""

STOP: Mapping[str, tuple[str, ...]] = {"stop": ("shut down", "power off", "turn off")}
"""``shut down vm``, ``power off cluster`` for ``stop …``."""

START: Mapping[str, tuple[str, ...]] = {"start": ("power on", "turn on", "boot")}
"""``power on vm``, ``boot vm`` for ``start …``."""

SCALE: Mapping[str, tuple[str, ...]] = {"scale": ("resize", "set count of")}
"""``resize node pool``, ``set count of pool`` for ``scale …``."""
