"""The operations' chat commands: ``status {operation}``, ``cancel {operation}``, ``queue {operation}``,
``undo {operation}``, and the operations part of ``history``.

Who may do what (checked on every run against the operation's resource, never against card data):

- **see** an operation (``status``, and ``undo``, which shows its before-values): the person who
  asked for it, the approvers the approver rule of its resource names (directly or through a
  group), and the admins of a scope covering it (an ``admin`` grant);
- **cancel** it, or **queue** it (a held operation: asked for on a busy resource, waiting for
  the choice to queue it behind the operation holding the resource): the person who asked for it
  and the admins of its scope.

``cancel`` of a queued operation is one write conditional on the ETag read (queued → cancelled):
the worker that picks up its message later finds it ended and sends nothing to Azure; a worker
that took the step first wins the write, and the answer then says the operation is running. A
running operation is not stopped: none of the platform operations Switchboard starts can be
stopped through the APIs it uses, and the answer says so. Every cancel — done, refused, too
late — and every undo — planned or refused — is audited (``cancel_requested``, ``undo``, with the
operation id and its ARM correlation id); the cancellation itself is an ``execution_ended`` record
like every end of an operation.

``undo`` plans the request that sets the resource back to the operation's recorded before-values
(:mod:`governing.undoing`) and returns it as a command to run (:attr:`CommandReply.run`): the
dialogs start the ordinary action dialog with it, so the undo is previewed, confirmed and
decided by the guardrails like any other request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from actions.registry import Registry
from actions.spec import phrasing_of
from governing.calls import CommandCall, CommandReply, code, plain, show_time
from governing.policy_access import PolicyAccess
from governing.undoing import UndoRefusal, plan_operation_undo, undoable
from guardrails.admin import administering_grant
from guardrails.decision import most_specific_rule
from guardrails.records import Actor, AuditKind
from guardrails.scopes import scope_chain
from operations import (
    IllegalTransition,
    Operation,
    OperationMessage,
    OperationState,
    cancel,
    mark_notified,
    normalize_operation_id,
    release_hold,
)
from storage import ConcurrencyConflictError, OperationQueue, StoredOperation, TableLeaseStore, TableOperationStore

__all__ = ["OperationCommands", "OperationJournalPort", "describe_duration"]

_NO_IDENTITY = (
    "I can't tell who you are on this channel (no Microsoft Entra identity), so I can't show or change "
    "operations. Use Switchboard from Microsoft Teams signed in with your work account."
)
_HISTORY_WINDOW = timedelta(days=30)
_HISTORY_SIZE = 10
_CANCEL_ATTEMPTS = 3


class OperationJournalPort(Protocol):
    """What the commands need of the operations' journal (:class:`app.execution.OperationJournal`)."""

    async def record(
        self, operation: Operation, kind: AuditKind, *, decision: str = "", details: Mapping[str, str] | None = None,
        actor: str = "",
    ) -> None:
        """Append one audit record about ``operation`` (never raises)."""
        ...

    async def show(self, operation: Operation) -> None:
        """Update the operation's request card in place to show it as it is now (never raises)."""
        ...

    async def tell(self, operation: Operation, conversation: Mapping[str, Any], text: str, what: str) -> None:
        """Say ``text`` in ``conversation`` about ``operation`` (never raises)."""
        ...


def describe_duration(delta: timedelta) -> str:
    """``45 s``, ``2 min 5 s``, ``1 h 3 min`` (negative durations read as 0 s)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass(frozen=True)
class _Standing:
    """How the caller stands to an operation."""

    requester: bool = False
    approver: bool = False
    admin: bool = False

    @property
    def may_see(self) -> bool:
        return self.requester or self.approver or self.admin

    @property
    def may_cancel(self) -> bool:
        return self.requester or self.admin


class OperationCommands:
    """``status``, ``cancel``, ``undo`` and the operations of ``history``.

    :param access: the policy (who approves and administers the operation's scope), the clock.
    :param registry: the action catalog (phrases, undo declarations).
    :param operations: the operation store; :param leases: the resource leases (a cancelled
        operation gives back a lease it may hold); :param queue: the operations queue (``queue``
        sends a held operation's first message); :param journal: audit records and card updates.
    """

    def __init__(
        self, access: PolicyAccess, registry: Registry, *, operations: TableOperationStore, leases: TableLeaseStore,
        queue: OperationQueue, journal: OperationJournalPort,
    ) -> None:
        self._access = access
        self._registry = registry
        self._operations = operations
        self._leases = leases
        self._queue = queue
        self._journal = journal

    # ------------------------------------------------------------------ shared
    async def _find(self, call: CommandCall, usage: str) -> StoredOperation | CommandReply:
        """The operation ``call.text`` names, or the answer saying why there is none."""
        if not call.object_id:
            return CommandReply(_NO_IDENTITY)
        typed = call.text.strip()
        if not typed:
            return CommandReply(f"Say which operation, e.g. `{usage} 7F3K`. `history` lists yours.")
        operation_id = normalize_operation_id(typed)
        if operation_id is None:
            return CommandReply(f"{code(typed, 40)} is not an operation id: it is 4 to 12 letters and digits, like "
                                "`7F3K`. `history` lists yours.")
        stored = await self._operations.get(operation_id)
        if stored is None:
            return CommandReply(f"There is no operation `{operation_id}`. `history` lists yours.")
        return stored

    async def _standing(self, call: CommandCall, operation: Operation) -> _Standing:
        me = call.object_id.lower()
        if operation.requester_key.lower() in {me, call.sender_key.lower()} - {""}:
            return _Standing(requester=True)
        stores = await self._access.stores()
        held = await self._access.actor_grants(stores, Actor(me, call.name))
        admin = administering_grant(held.actor, operation.resource_id, held.snapshot, self._access.now()) is not None
        rule = most_specific_rule(await stores.rules.on_scopes(scope_chain(operation.resource_id)),
                                  operation.resource_id)
        approver = rule is not None and bool(rule.approvers & held.actor.principals)
        return _Standing(approver=approver, admin=admin)

    def _undoable(self, action_name: str) -> bool:
        return undoable(self._registry, action_name)

    def _phrase(self, action_name: str) -> str:
        action = self._registry.get(action_name)
        return phrasing_of(action).phrase if action is not None else action_name

    # ------------------------------------------------------------------ status
    async def status(self, call: CommandCall) -> CommandReply:
        """An operation's state, progress, times and ARM correlation id (to those who may see it);
        without an id, the caller's operations that have not ended."""
        if not call.text.strip() and call.object_id:
            return await self._in_progress(call)
        found = await self._find(call, "status")
        if isinstance(found, CommandReply):
            return found
        operation = found.record
        standing = await self._standing(call, operation)
        if not standing.may_see:
            return CommandReply(f"You can't see operation `{operation.id}`: only the person who asked for it, the "
                                "approvers of its scope and its admins can.")
        now = self._access.now()
        zone = call.zone_name
        lines = [f"**Operation {operation.id}** — {plain(operation.title or operation.target, 300)}", "",
                 f"- State: {self._state_line(operation, now, zone)}",
                 f"- Asked by {plain(operation.requester_name or operation.requester_key, 80)} at "
                 f"{show_time(operation.created_at, zone)}"]
        if operation.intent_at is not None:
            lines.append(f"- Sent to Azure at {show_time(operation.intent_at, zone)}")
        if operation.correlation_id:
            lines.append(f"- ARM correlation id: `{plain(operation.correlation_id, 80)}` (Azure Activity Log)")
        elif operation.state is OperationState.QUEUED or operation.intent_at is None:
            lines.append("- ARM correlation id: none — nothing was sent to Azure")
        else:
            lines.append("- ARM correlation id: not reported yet")
        buttons: list[str] = []
        if operation.held and standing.may_cancel:
            buttons.append(f"queue {operation.id}")
        if operation.state is OperationState.QUEUED and standing.may_cancel:
            buttons.append(f"cancel {operation.id}")
        if operation.state is OperationState.SUCCEEDED and self._undoable(operation.action):
            buttons.append(f"undo {operation.id}")
        return CommandReply("\n".join(lines), buttons=tuple(buttons))

    @staticmethod
    def _state_line(operation: Operation, now: datetime, zone: str | None) -> str:
        state = operation.state
        if operation.held:
            return (f"held: {plain(operation.target, 200)} is busy with operation `{operation.waiting_on}`; "
                    f"`queue {operation.id}` queues it behind, else it is cancelled at "
                    f"{show_time(operation.held_until or now, zone)}")
        if state is OperationState.QUEUED:
            if operation.waiting_on:
                return (f"queued behind operation `{operation.waiting_on}`, which holds "
                        f"{plain(operation.target, 200)}; waiting for {describe_duration(now - operation.created_at)}")
            return f"queued for {describe_duration(now - operation.created_at)}, not sent to Azure yet"
        started = operation.intent_at or operation.created_at
        if state is OperationState.RUNNING:
            progress = f" — {plain(operation.message, 300)}" if operation.message else ""
            return f"running for {describe_duration(now - started)}{progress}"
        ended = operation.ended_at or now
        took = describe_duration(ended - started)
        when = show_time(ended, zone)
        if state is OperationState.SUCCEEDED:
            return f"succeeded at {when} after {took}"
        if state is OperationState.FAILED:
            return f"failed at {when} after {took}: {plain(operation.error or operation.message, 300)}"
        if state is OperationState.TIMED_OUT:
            return f"timed out at {when} after {took} (Azure may still complete it)"
        return f"cancelled at {when} before anything was sent to Azure: {plain(operation.message, 200)}"

    async def _in_progress(self, call: CommandCall) -> CommandReply:
        now = self._access.now()
        mine = [s.record for s in await self._operations.by_requester(call.object_id, since=now - _HISTORY_WINDOW)]
        active = [o for o in mine if not o.terminal]
        if not active:
            return CommandReply("You have no operations queued or running. `history` lists your recent ones; "
                                "`status 7F3K` shows one.")
        lines = ["Your operations in progress:", ""]
        lines += [f"- `{o.id}` {plain(o.title or o.target, 200)}: {self._state_line(o, now, call.zone_name)}"
                  for o in active[:_HISTORY_SIZE]]
        return CommandReply("\n".join(lines), buttons=tuple(f"status {o.id}" for o in active[:3]))

    # ------------------------------------------------------------------ cancel
    async def cancel(self, call: CommandCall) -> CommandReply:
        """Cancel a queued operation (a conditional write); say why not for a running or ended one. Audited."""
        for _ in range(_CANCEL_ATTEMPTS):
            found = await self._find(call, "cancel")
            if isinstance(found, CommandReply):
                return found
            operation = found.record
            standing = await self._standing(call, operation)
            if not standing.may_cancel:
                return await self._cancel_answer(
                    call, operation, "refused",
                    f"You can't cancel operation `{operation.id}`: only the person who asked for it and the admins "
                    "of its scope can.",
                )
            if operation.state is OperationState.RUNNING:
                undo = (f" Once it has finished, `undo {operation.id}` sets it back."
                        if self._undoable(operation.action) else "")
                return await self._cancel_answer(
                    call, operation, "not_cancellable",
                    f"Operation `{operation.id}` is already running in Azure, and Azure gives Switchboard no way to "
                    f"stop a {self._phrase(operation.action)} once it has started, so it can't be cancelled. It "
                    f"runs to its end and I'll tell you how it went.{undo}",
                )
            if operation.terminal:
                return await self._cancel_answer(
                    call, operation, "already_ended",
                    f"Operation `{operation.id}` has already ended ({operation.state.value.replace('_', ' ')}): there "
                    f"is nothing to cancel. `status {operation.id}` shows how it went.",
                )
            reply = await self._cancel_queued(call, found)
            if reply is not None:
                return reply
        return CommandReply(f"Operation `{operation.id}` kept changing while I tried to cancel it. "
                            f"`status {operation.id}` shows where it stands.")

    async def _cancel_queued(self, call: CommandCall, stored: StoredOperation) -> CommandReply | None:
        """queued → cancelled, conditional on the ETag read; None when a worker changed it first (read again)."""
        operation = stored.record
        who = plain(call.name or "someone", 80)
        now = self._access.now()
        try:
            cancelled = cancel(operation, now=now, message=f"{who} cancelled it.")
        except IllegalTransition:
            return None
        try:
            etag = await self._operations.replace(cancelled, stored.etag)
        except ConcurrencyConflictError:
            return None  # a worker took a step (or someone else cancelled): decide again on what is stored now
        actor = call.object_id.lower()
        await self._leases.release(operation.resource_id, operation.id)  # if a worker took it and died before starting
        await self._journal.record(cancelled, AuditKind.EXECUTION_ENDED, decision="cancelled", actor=actor,
                                   details={"to": "cancelled", "by": actor, "via": "chat"})
        await self._journal.record(cancelled, AuditKind.CANCEL_REQUESTED, decision="cancelled", actor=actor,
                                   details={"via": "chat"})
        await self._journal.show(cancelled)
        if operation.requester_key.lower() != actor:
            await self._journal.tell(
                cancelled, operation.conversation,
                f"Operation {operation.id} ({operation.title or operation.target}) was cancelled by {who} before "
                "anything was sent to Azure. Nothing was changed.",
                "reply",
            )
        with contextlib.suppress(ConcurrencyConflictError):  # told: a worker picking up its message says no more
            await self._operations.replace(mark_notified(cancelled), etag)
        return CommandReply(f"Cancelled operation `{operation.id}` ({plain(operation.title or operation.target, 300)}) "
                            "before anything was sent to Azure. Nothing was changed.")

    async def _cancel_answer(self, call: CommandCall, operation: Operation, decision: str, text: str) -> CommandReply:
        await self._journal.record(operation, AuditKind.CANCEL_REQUESTED, decision=decision,
                                   actor=call.object_id.lower(), details={"via": "chat", "reason": text[:200]})
        buttons = (f"status {operation.id}",) if decision != "refused" else ()
        return CommandReply(text, buttons=buttons)

    # ------------------------------------------------------------------ queue (a held operation)
    async def queue(self, call: CommandCall) -> CommandReply:
        """Queue a held operation (asked for on a busy resource) behind the operation holding it."""
        found = await self._find(call, "queue")
        if isinstance(found, CommandReply):
            return found
        operation = found.record
        standing = await self._standing(call, operation)
        if not standing.may_cancel:
            return CommandReply(f"You can't queue operation `{operation.id}`: only the person who asked for it and the "
                                "admins of its scope can.")
        if not operation.held:
            return CommandReply(f"Operation `{operation.id}` is not waiting for a choice "
                                f"({operation.state.value.replace('_', ' ')}). `status {operation.id}` shows where it "
                                "stands.", buttons=(f"status {operation.id}",))
        queued = release_hold(operation, now=self._access.now())
        try:
            await self._operations.replace(queued, found.etag)
        except ConcurrencyConflictError:  # cancelled, or chosen, meanwhile
            return CommandReply(f"Operation `{operation.id}` changed just now. `status {operation.id}` shows where it "
                                "stands.", buttons=(f"status {operation.id}",))
        await self._queue.send(OperationMessage(queued.id, queued.seq).encode())
        return CommandReply(
            f"Queued operation `{operation.id}` ({plain(operation.title or operation.target, 300)}) behind operation "
            f"`{operation.waiting_on}`: it starts once that one has finished, and I'll tell you here when it's done.",
            buttons=(f"status {operation.id}", f"cancel {operation.id}"),
        )

    # ------------------------------------------------------------------ undo
    async def undo(self, call: CommandCall) -> CommandReply:
        """Plan the request that undoes an operation; the reply's ``run`` is its command (previewed,
        confirmed and decided like any other). A refusal says why. Audited either way."""
        found = await self._find(call, "undo")
        if isinstance(found, CommandReply):
            return found
        operation = found.record
        standing = await self._standing(call, operation)
        if not standing.may_see:
            return await self._undo_refused(
                call, operation, "not_allowed",
                f"You can't undo operation `{operation.id}`: only the person who asked for it, the approvers of its "
                "scope and its admins can see it.",
            )
        reason = _not_finished(operation)
        if reason is not None:
            return await self._undo_refused(call, operation, "not_succeeded", reason)
        if call.actions is None:
            return CommandReply("I can't look up the operation's resource here, so I can't undo it.")
        plan = await plan_operation_undo(self._registry, call.actions, operation)
        if isinstance(plan, UndoRefusal):
            return await self._undo_refused(call, operation, plan.kind.value, plan.reason)
        command = plan.command_text()
        await self._journal.record(operation, AuditKind.UNDO, decision="planned", actor=call.object_id.lower(),
                                   details={"via": "chat", "command": command[:200], "action": plan.action.name})
        restores = ", ".join(f"{key} {value}" for key, value in plan.restores.items())
        caveat = f" Note: {plan.caveat}." if plan.caveat else ""
        text = (f"Undo of operation `{operation.id}` ({plain(operation.title or operation.target, 300)}): a new "
                f"request that sets {plain(operation.target, 200)} back to {restores or 'what it was'}.{caveat} Check "
                "the preview and confirm it; it is decided like any other request.")
        return CommandReply(text, run=command)

    async def _undo_refused(self, call: CommandCall, operation: Operation, kind: str, text: str) -> CommandReply:
        await self._journal.record(operation, AuditKind.UNDO, decision="refused", actor=call.object_id.lower(),
                                   details={"via": "chat", "refusal": kind, "reason": text[:200]})
        return CommandReply(text)

    # ------------------------------------------------------------------ history
    async def history_lines(self, call: CommandCall) -> list[tuple[str, str]]:
        """The caller's recent operations (the last 30 days), newest first: ``(request id, line)``, the
        line with the operation's outcome and duration; [] when there are none."""
        if not call.object_id:
            return []
        now = self._access.now()
        mine = await self._operations.by_requester(call.object_id, since=now - _HISTORY_WINDOW,
                                                   limit=_HISTORY_SIZE * 5)
        lines = []
        for stored in mine[:_HISTORY_SIZE]:
            operation = stored.record
            lines.append((operation.request_id, f"`{operation.id}` {show_time(operation.created_at, call.zone_name)} — "
                          f"{plain(operation.title or operation.target, 300)}: {_outcome(operation, now)}"))
        return lines


def _outcome(operation: Operation, now: datetime) -> str:
    """``succeeded in 1 min 10 s``, ``running for 40 s``, ``queued``…"""
    started = operation.intent_at or operation.created_at
    state = operation.state
    if operation.held:
        return f"held, waiting for your choice (`{operation.waiting_on}` holds the resource)"
    if state is OperationState.QUEUED:
        return "queued" + (f" behind `{operation.waiting_on}`" if operation.waiting_on else "")
    if state is OperationState.RUNNING:
        return f"running for {describe_duration(now - started)}"
    took = describe_duration((operation.ended_at or now) - started)
    if state is OperationState.CANCELLED:
        return "cancelled (nothing was sent to Azure)"
    words = {OperationState.SUCCEEDED: "succeeded", OperationState.FAILED: "failed",
             OperationState.TIMED_OUT: "timed out"}[state]
    return f"{words} in {took}"


def _not_finished(operation: Operation) -> str | None:
    """Why ``operation`` cannot be undone because of its state, or None (it succeeded)."""
    state = operation.state
    if state is OperationState.SUCCEEDED:
        return None
    if state in (OperationState.QUEUED, OperationState.RUNNING):
        stop = f" While it is queued, `cancel {operation.id}` stops it." if state is OperationState.QUEUED else ""
        return f"Operation `{operation.id}` has not finished yet, so there is nothing to undo.{stop}"
    if state is OperationState.CANCELLED:
        return f"Operation `{operation.id}` was cancelled before anything was sent to Azure: there is nothing to undo."
    ended = "failed" if state is OperationState.FAILED else "timed out"
    return (f"Operation `{operation.id}` {ended}, so it may have partly happened and Switchboard can't tell what to "
            f"set back. Check {operation.target} and make the change you want as a new request.")
