"""The guardrails' section of the settings: where approval cards go besides approvers' chats, and the rate limit.

Read by the composition root into :class:`GuardrailSettings` (``Settings.guardrails``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from appsettings import SettingSpec

__all__ = ["DEFAULT_RATE_LIMIT_PER_HOUR", "GUARDRAIL_SETTINGS", "GuardrailSettings"]

DEFAULT_RATE_LIMIT_PER_HOUR = 20
_MAX_RATE_LIMIT = 10_000

GUARDRAIL_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        name='SWITCHBOARD_APPROVERS_CHANNEL',
        description=(
            "Conversation id of a Teams channel (with Switchboard installed in its team) that gets every approval "
            "card too, besides each approver's personal chat. Empty: personal chats only. Every copy refreshes "
            "to the request's current state; only approvers see the buttons."
        ),
        required='no',
        example='19:4a1f…@thread.tacv2',
    ),
    SettingSpec(
        name='SWITCHBOARD_RATE_LIMIT_PER_HOUR',
        description=(
            'Requests one person may send per hour (fixed windows aligned to the hour); one more is refused '
            'with the time they may try again.'
        ),
        required=f'no ({DEFAULT_RATE_LIMIT_PER_HOUR})',
        example='20',
    ),
)


@dataclass(frozen=True)
class GuardrailSettings:
    """``approvers_channel``: a channel's conversation id (None: personal chats only); ``rate_limit_per_hour``."""

    approvers_channel: str | None = None
    rate_limit_per_hour: int = DEFAULT_RATE_LIMIT_PER_HOUR

    @classmethod
    def read(cls, env: Mapping[str, str], problems: list[str]) -> GuardrailSettings:
        """The section from ``env``; each malformed setting adds a line to ``problems``."""
        channel = env.get("SWITCHBOARD_APPROVERS_CHANNEL", "").strip() or None
        raw = env.get("SWITCHBOARD_RATE_LIMIT_PER_HOUR", "").strip()
        limit = DEFAULT_RATE_LIMIT_PER_HOUR
        if raw:
            try:
                limit = int(raw)
            except ValueError:
                limit = -1
            if not 1 <= limit <= _MAX_RATE_LIMIT:
                problems.append(
                    f"SWITCHBOARD_RATE_LIMIT_PER_HOUR: expected a whole number from 1 to {_MAX_RATE_LIMIT}, got {raw!r}"
                )
                limit = DEFAULT_RATE_LIMIT_PER_HOUR
        return cls(approvers_channel=channel, rate_limit_per_hour=limit)
