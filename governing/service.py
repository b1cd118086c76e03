"""``GovernanceCommands``: runs a guardrails chat command by its declared name (:mod:`governing.commands`).

The dialogs call :meth:`GovernanceCommands.run` with the command word and a
:class:`~governing.calls.CommandCall`; it answers with a :class:`~governing.calls.CommandReply`.
Storage failures are not shown to the person: they are logged with a reference (the call's
correlation id, or a new one) and the reply says nothing was changed, or that it is unknown
whether the change was made when the failure came after its audit record.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from actions.registry import Registry
from governing.admin_commands import AdminCommands
from governing.calls import CommandCall, CommandReply
from governing.commands import COMMANDS, GovernanceCommand, find_command
from governing.operations_commands import OperationCommands
from governing.policy_access import PolicyAccess
from governing.queries import Queries
from guardrails.ports import StoreError

__all__ = ["GovernanceCommands"]

_log = logging.getLogger("switchboard.governing")


async def _no_operations(call: CommandCall) -> CommandReply:
    return CommandReply("Operations are not kept here (this Switchboard runs requests directly), so there is none "
                        "to show, cancel or undo.")


class GovernanceCommands:
    """The guardrails' chat commands over one :class:`PolicyAccess` and the action catalog; the
    operations' commands (``status``, ``cancel``, ``queue``, ``undo``, the operations in
    ``history``) over
    ``operations`` when given."""

    def __init__(self, access: PolicyAccess, registry: Registry, operations: OperationCommands | None = None) -> None:
        self.access = access
        admin = AdminCommands(access, registry)
        queries = Queries(access, registry, operations)
        self._handlers: dict[str, Callable[[CommandCall], Awaitable[CommandReply]]] = {
            "status": operations.status if operations else _no_operations,
            "cancel": operations.cancel if operations else _no_operations,
            "queue": operations.queue if operations else _no_operations,
            "undo": operations.undo if operations else _no_operations,
            "approvals": queries.approvals,
            "history": queries.history,
            "explain": queries.explain,
            "grants": admin.grants,
            "grant": admin.grant,
            "revoke": admin.revoke,
            "approvers": admin.approvers,
            "freeze": admin.freeze,
            "unfreeze": admin.unfreeze,
        }
        missing = {c.name for c in COMMANDS} ^ set(self._handlers)
        if missing:  # a declaration without a handler, or the reverse: fail at start, not in a chat
            raise RuntimeError(f"governance commands declared and handled differ: {sorted(missing)}")

    @staticmethod
    def command(word: str) -> GovernanceCommand | None:
        """The declared command named ``word``, or None."""
        return find_command(word)

    async def run(self, name: str, call: CommandCall) -> CommandReply:
        """Run the command ``name`` (a declared name) for ``call``; never raises for storage failures."""
        command = find_command(name)
        if command is None:
            raise KeyError(name)
        try:
            return await self._handlers[command.name](call)
        except StoreError:
            reference = call.correlation_id or uuid.uuid4().hex[:12]
            _log.exception("governance command %s failed on storage (reference %s)", command.name, reference)
            return CommandReply(
                f"I couldn't reach the policy store just now, so `{command.name}` did not complete. If it was a "
                f"change, check with `grants`, `approvers` or `history` before trying again (reference {reference})."
            )
