"""The vocabulary of settings sections, shared by every package that reads app settings.

Each package declares the section it reads next to its code (``bot/bot_settings.py``,
``storage/settings.py``, ``actions/settings.py``, ``telemetry/settings.py``): a frozen dataclass
with a ``read(env, problems)`` class method that appends one line per missing or malformed
setting to ``problems`` instead of raising, and a tuple of :class:`SettingSpec` declarations (the
source of ``docs/settings.md``). The composition root (:mod:`app.settings`) gathers the sections
into one validated object, so start-up names every problem at once.

Standard library only: every layer may import this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["GUID", "SettingSpec", "SettingsError", "raise_problems"]

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
"""An Entra or Azure id: app, tenant, subscription or managed identity client id."""


class SettingsError(ValueError):
    """A setting is missing or malformed. The message names every bad setting and what it expects."""


@dataclass(frozen=True)
class SettingSpec:
    """Declaration of one environment setting, the source of the docs' settings table.

    ``unset_in_azure`` says why the deployment (``infra/bicep``) leaves the setting unset, e.g. an
    alternative it does not use; empty means the deployment sets it (a test holds the Bicep to that).
    """

    name: str
    description: str
    required: str  # "yes", "no", or a condition such as "in Azure"
    example: str
    secret: bool = False
    unset_in_azure: str = ""


def raise_problems(problems: Sequence[str], heading: str = "Fix these settings:") -> None:
    """Raise one :class:`SettingsError` listing every problem under ``heading``; return when there are none."""
    if problems:
        raise SettingsError(heading + "\n  - " + "\n  - ".join(problems))
