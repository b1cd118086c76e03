"""The notifier port: messages and card updates sent outside a turn (proactively).

An approval decided by someone else, an operation finished by a worker, a reminder from the
sweeper: each reaches the requester (or the approvers) with no turn of theirs to answer in. The
domain says *what* to send and *where* (a stored, serialized ``ConversationReference`` and, for an
update, the activity id of the card to change); the Teams edge (``bot/``) implements
:class:`Notifier` with the Bot Framework's ``continue_conversation``, Teams' rate limits and
retries. Delivery failures are results, never exceptions: a notice that cannot be delivered
never changes what it reports on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

__all__ = ["Notice", "NoticeReceipt", "NoticeStatus", "Notifier"]


@dataclass(frozen=True)
class Notice:
    """One message: a short text, an Adaptive Card (the card's JSON), or both (text first)."""

    text: str | None = None
    card: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.text is None and self.card is None:
            raise ValueError("a notice needs a text, a card, or both")


class NoticeStatus(StrEnum):
    """What became of a notice."""

    DELIVERED = "delivered"
    GONE = "gone"  # the bot is not in the conversation any more (403) or it was deleted (404)
    FAILED = "failed"  # could not be delivered after retries (throttled, connector down): logged


@dataclass(frozen=True)
class NoticeReceipt:
    """The result of one delivery: its status and, for a new message, its activity id and the conversation
    it was posted in (a serialized ``ConversationReference``: what :meth:`Notifier.update` needs to
    change it later, e.g. an approval card sent with :meth:`Notifier.send_to_user`)."""

    status: NoticeStatus
    activity_id: str | None = None
    reason: str | None = None  # for the log and the audit, never shown to a user
    conversation: Mapping[str, Any] | None = None

    @property
    def delivered(self) -> bool:
        return self.status is NoticeStatus.DELIVERED


class Notifier(Protocol):
    """Sends notices into conversations outside a turn. Never raises for a delivery failure."""

    async def send(self, conversation: Mapping[str, Any], notice: Notice) -> NoticeReceipt:
        """Post a new message in ``conversation`` (a serialized ``ConversationReference``; a channel
        reference posts in its thread). The receipt carries the new message's activity id."""
        ...

    async def update(self, conversation: Mapping[str, Any], activity_id: str, notice: Notice) -> NoticeReceipt:
        """Replace the message ``activity_id`` in ``conversation`` with ``notice`` (a card updated in place)."""
        ...

    async def send_to_user(self, user_key: str, notice: Notice) -> NoticeReceipt:
        """Post a new message in the personal chat of ``user_key`` (Entra object id), from the stored
        conversation references; ``GONE`` when the bot has no personal chat with them."""
        ...
