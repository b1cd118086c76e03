"""What the asking steps hand back to the dialog that asked: a value, a form stage, or a sentinel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from actions.spec import ArgValue

__all__ = ["Answer", "Sentinel"]


class Sentinel(StrEnum):
    """Answers that are not a value."""

    NEXT_PAGE = "next_page"  # show the next page of choices
    USE_FORM = "use_form"  # switch to the card form
    CANCELLED = "cancelled"  # the user pressed Cancel on the card
    GAVE_UP = "gave_up"  # too many refused answers; the user has been told


@dataclass(frozen=True)
class Answer:
    """A step's result: a resolved value with its label, a form stage's values, or a :class:`Sentinel`.

    Results pass from a finished dialog to its parent within one turn; they are never stored.
    """

    value: ArgValue | None = None
    label: str = ""
    sentinel: Sentinel | None = None
    stage: Mapping[str, Any] | None = None  # a form stage: {"args": {...}, "labels": {...}}
