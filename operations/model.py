"""The operation record and its states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = ["TERMINAL_STATES", "Operation", "OperationState"]

ArgValue = str | int


class OperationState(StrEnum):
    """Where an operation stands. Every state but QUEUED and RUNNING is final."""

    QUEUED = "queued"  # recorded and queued; nothing sent to the platform yet
    RUNNING = "running"  # the start was (or is being) sent: ``intent_at`` set before the platform call
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # refused or failed by the platform, or could not be confirmed: ``error`` says which
    TIMED_OUT = "timed_out"  # still not done after the action's time limit (the platform may still finish it)
    CANCELLED = "cancelled"  # ended before the platform call (cancelled, or could not be queued)

    @property
    def terminal(self) -> bool:
        return self not in (OperationState.QUEUED, OperationState.RUNNING)


TERMINAL_STATES = frozenset(s for s in OperationState if s.terminal)


@dataclass(frozen=True)
class Operation:
    """One run of one action on one resource, from queueing to its outcome.

    Identity and request: ``id`` (short, shown in chat), ``request_id``, ``action``, ``args``
    (resolved), ``resource_id``, ``plan_hash`` (the approved plan), ``requester_key`` /
    ``requester_name``, ``conversation`` (serialized conversation reference to report to),
    ``card_activity_id`` (the card to update in place), ``target`` and ``title`` (display),
    ``before`` (the resource's values the change replaces, from the preview — what undo restores).
    What the request's card shows, as plain data, so the worker can render it again in every state:
    ``labels`` (display value per argument, ``{"count": "5"}``) and ``preview`` (the confirmed
    preview's title and changes, as :func:`dialogs.values.preview_to_dict` keeps it; empty when unknown).

    Progress: ``state``; ``seq`` the step counter every queue message carries (a message whose
    ``seq`` differs is stale); ``intent_at`` when the platform call was about to be sent (set, and
    written, before the call); ``continuation_token`` the platform poller's; ``polls``;
    ``next_check_at`` when the next message is due; ``last_progress_at`` the last card progress
    update; ``waiting_on`` the operation holding the resource's lease while this one waits;
    ``held_until`` set while the operation, asked for on a busy resource, waits for its requester
    to choose to queue it behind ``waiting_on`` (no queue message exists until they do; the
    sweeper cancels it after this time).

    Outcome: ``message`` (for the requester), ``error`` (a short reason, when not succeeded),
    ``correlation_id`` (``x-ms-correlation-request-id`` of the platform call), ``notified``.
    Times are aware UTC datetimes; ``timeout`` is the action's limit from the start.
    """

    id: str
    request_id: str
    action: str
    args: Mapping[str, ArgValue]
    resource_id: str
    requester_key: str
    requester_name: str
    conversation: Mapping[str, Any]
    target: str
    title: str
    created_at: datetime
    timeout: timedelta
    plan_hash: str = ""
    card_activity_id: str | None = None
    before: Mapping[str, ArgValue] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    preview: Mapping[str, Any] = field(default_factory=dict)
    state: OperationState = OperationState.QUEUED
    seq: int = 0
    updated_at: datetime | None = None
    intent_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    next_check_at: datetime | None = None
    last_progress_at: datetime | None = None
    continuation_token: str | None = None
    polls: int = 0
    waiting_on: str | None = None
    held_until: datetime | None = None
    message: str = ""
    error: str = ""
    correlation_id: str = ""
    notified: bool = False

    def __post_init__(self) -> None:
        if not self.id or not self.action or not self.resource_id:
            raise ValueError("an operation needs an id, an action and a resource id")
        for name in ("created_at", "updated_at", "intent_at", "started_at", "ended_at", "next_check_at",
                     "last_progress_at", "held_until"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        object.__setattr__(self, "state", OperationState(self.state))

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    @property
    def held(self) -> bool:
        """Queued on a busy resource and waiting for the requester's choice (nothing queued for the worker)."""
        return self.state is OperationState.QUEUED and self.held_until is not None

    @property
    def deadline(self) -> datetime | None:
        """When the operation times out: its action's limit after the platform call was sent."""
        start = self.intent_at or self.started_at
        return None if start is None else start + self.timeout

    def duration(self) -> timedelta | None:
        """From the platform call to the end (None while not both known)."""
        start = self.intent_at or self.started_at
        if start is None or self.ended_at is None:
            return None
        return self.ended_at - start
