"""One run of a guardrails chat command: who asked, with what, and what to answer.

The dialogs build a :class:`CommandCall` from the activity (identity from the activity's
``from.aadObjectId``, never from card data; @mentions from its entities; the viewer's time zone
from ``localTimezone``) and show the :class:`CommandReply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from actions.context import ActionContext
from actions.quoting import shown
from governing.parsing import MentionedPerson, viewer_zone
from guardrails.records import ApprovalRequest

__all__ = ["CommandCall", "CommandReply", "code", "plain", "show_time"]


@dataclass(frozen=True)
class CommandCall:
    """A command as typed: ``text`` is what follows the command word.

    ``object_id`` is the sender's Entra object id ("" when the channel gave none); ``sender_key``
    the channel's id for them (the audit's actor when there is no object id); ``time_zone`` the IANA
    zone Teams gave (``localTimezone``), None otherwise; ``actions`` this turn's Azure view (for
    ``explain``, which resolves the command's resource), None when there is none.
    """

    text: str
    object_id: str
    name: str = ""
    sender_key: str = ""
    mentions: tuple[MentionedPerson, ...] = ()
    time_zone: str | None = None
    correlation_id: str = ""
    actions: ActionContext | None = None

    @property
    def zone_name(self) -> str | None:
        """The viewer's zone if Teams named a known one."""
        return self.time_zone if viewer_zone(self.time_zone) is not None else None


@dataclass(frozen=True)
class CommandReply:
    """What to tell the person: Teams markdown ``text``; ``buttons``, commands to offer as suggestion
    buttons; ``approvals``, the approval requests shown (the dialogs may render each as its card);
    ``run``, a command to run next as if the person had typed it (``undo`` plans a request this
    way: the dialogs start the ordinary action dialog with it — preview, confirm, guardrails)."""

    text: str
    buttons: tuple[str, ...] = ()
    approvals: tuple[ApprovalRequest, ...] = field(default=())
    run: str | None = None


def show_time(moment: datetime, zone_name: str | None) -> str:
    """``2026-12-28 09:00 Europe/Berlin`` in the viewer's zone when known, else ``… UTC``."""
    zone = viewer_zone(zone_name)
    if zone is None:
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone_name}"


def code(text: str, limit: int = 300) -> str:
    """``text`` (a scope, an id, a command typed) as inline code, made safe to show (:func:`actions.quoting.shown`)."""
    return f"`{shown(text, limit)}`"


def plain(text: str, limit: int = 200) -> str:
    """Text someone typed (a reason, a name) made safe to show in a message."""
    return shown(text, limit)
