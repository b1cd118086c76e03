"""The questions anyone may ask about their own requests: ``approvals``, ``history``, ``explain {command}``.

- ``approvals``: pending approval requests the caller may vote on — the approver rule now
  governing the request's resource names them (directly or through a group), they did not ask
  for it, have not voted on it, and it has not expired; the reply names how many, and carries the
  soonest to expire (at most :data:`SHOWN_APPROVALS`) for the dialogs to show as approval cards;
- ``history``: the caller's recent operations with their outcome and duration (the operation
  store, when operations are kept), then their recent requests and outcomes, from the approvals
  store (requests that needed approval) and the audit trail (the policy's decisions);
- ``explain {command}``: the decision the policy would make for the caller now, without running
  anything: the command is read and its resource resolved like a real one, the proposal is
  built without a preview (no current values), and :func:`guardrails.decide` names the grant,
  limit, approver rule or freeze that decides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from actions import params
from actions.registry import Registry
from actions.spec import ActionError
from governing.admin_commands import describe_limits
from governing.calls import CommandCall, CommandReply, code, plain, show_time
from governing.operations_commands import OperationCommands
from governing.policy_access import PolicyAccess
from guardrails.decision import (
    Approved,
    Decision,
    Frozen,
    NeedsApproval,
    Proposal,
    RateLimited,
    Refused,
    decide,
    grants_allowing,
    most_specific_rule,
)
from guardrails.limits import LimitKind
from guardrails.ports import AuditQuery
from guardrails.records import Actor, ApprovalRequest, ApprovalStatus, AuditKind, Grant, Limits, ParameterLimit
from guardrails.scopes import scope_chain

__all__ = ["SHOWN_APPROVALS", "Queries"]

_NO_IDENTITY = (
    "I can't tell who you are on this channel (no Microsoft Entra identity), so I have nothing to show. "
    "Use Switchboard from Microsoft Teams signed in with your work account."
)
_HISTORY_SIZE = 10
_PENDING_READ = 100
SHOWN_APPROVALS = 5
"""At most this many approval cards answer one ``approvals`` (a turn stays within Teams' message rate)."""


class Queries:
    """``approvals``, ``history`` and ``explain`` over :class:`PolicyAccess`."""

    def __init__(self, access: PolicyAccess, registry: Registry, operations: OperationCommands | None = None) -> None:
        self._access = access
        self._registry = registry
        self._operations = operations

    # ------------------------------------------------------------------ approvals
    async def approvals(self, call: CommandCall) -> CommandReply:
        """What waits for the caller's vote, soonest expiry first."""
        if not call.object_id:
            return CommandReply(_NO_IDENTITY)
        me = call.object_id.lower()
        now = self._access.now()
        stores = await self._access.stores()
        pending = await self._access.approvals.by_status(ApprovalStatus.PENDING, limit=_PENDING_READ)
        candidates = [a for a in pending if a.expires_at > now and a.requester_id != me and not a.voted(me)]
        if not candidates:
            return CommandReply("Nothing waits for your approval.")
        groups = await stores.groups.groups_of(me)
        keys = sorted({key for a in candidates for key in scope_chain(a.resource_id)})
        rules = await stores.rules.on_scopes(keys)
        mine = Actor(me, call.name, groups).principals
        waiting: list[ApprovalRequest] = []
        for approval in candidates:
            rule = most_specific_rule(rules, approval.resource_id)
            if rule is not None and rule.approvers & mine:
                waiting.append(approval)
        if not waiting:
            return CommandReply("Nothing waits for your approval.")
        waiting.sort(key=lambda a: (a.expires_at, a.id))
        shown = tuple(waiting[:SHOWN_APPROVALS])
        if len(waiting) == 1:
            text = "1 request waits for your approval: here is its approval card."
        elif len(waiting) <= SHOWN_APPROVALS:
            text = (f"{len(waiting)} requests wait for your approval: here are their approval cards, soonest to "
                    "expire first.")
        else:
            text = (f"{len(waiting)} requests wait for your approval: here are the cards of the {SHOWN_APPROVALS} "
                    f"soonest to expire. {len(waiting) - SHOWN_APPROVALS} more wait: vote on these, then send "
                    "`approvals` again to see the next ones.")
        return CommandReply(text, approvals=shown)

    # ------------------------------------------------------------------ history
    async def history(self, call: CommandCall) -> CommandReply:
        """The caller's recent requests, newest first: approvals (with their status) and the policy's decisions."""
        if not call.object_id:
            return CommandReply(_NO_IDENTITY)
        me = call.object_id.lower()
        approvals = await self._access.approvals.by_requester(me, limit=_HISTORY_SIZE)
        decisions = await self._access.audit.query(AuditQuery(actor=me, kind=AuditKind.DECISION, limit=_HISTORY_SIZE))
        operations = await self._operations.history_lines(call) if self._operations is not None else []
        entries: list[tuple[datetime, str]] = [(a.created_at, _history_line(a, call.zone_name)) for a in approvals]
        known = {a.id for a in approvals}
        ran = {request_id for request_id, _ in operations if request_id}
        for record in decisions:
            if record.request_id and record.request_id in known:
                continue  # the approval's line says more
            if record.request_id in ran and record.decision == "approved":
                continue  # approved at once and run: its operation's line says how it went
            what = record.action or "request"
            target = f" on {code(record.scope)}" if record.scope else ""
            rule = f" (rule `{record.rule_id}`)" if record.rule_id else ""
            reason = f": {plain(record.reason)}" if record.reason else ""
            entries.append((record.at, f"{show_time(record.at, call.zone_name)} — {what}{target}: "
                                       f"{record.decision or 'decided'}{rule}{reason}"))
        if not entries and not operations:
            return CommandReply("You have no recent requests.")
        lines: list[str] = []
        if operations:
            lines += ["Your recent operations, newest first (`status {id}` for one):", "",
                      *(f"- {line}" for _, line in operations)]
        if entries:
            entries.sort(key=lambda e: e[0], reverse=True)
            lines += [*([""] if lines else []), "Your recent requests, newest first:", "",
                      *(f"- {line}" for _, line in entries[:_HISTORY_SIZE])]
        return CommandReply("\n".join(lines))

    # ------------------------------------------------------------------ explain
    async def explain(self, call: CommandCall) -> CommandReply:
        """The policy's decision for ``call.text`` (a whole command), for the caller, now; nothing runs."""
        if not call.text.strip():
            return CommandReply("Say which command to explain, e.g. `explain scale node pool aks-prod np1 to 5`.")
        try:
            parsed = params.parse_command(self._registry, call.text)
        except ActionError as exc:
            return CommandReply(f"I can't read that command: {exc.message}")
        action = parsed.action
        if call.actions is None:
            return CommandReply("I can't look up the command's resource here, so I can't explain it.")
        try:
            resolved = await params.resolve_all(call.actions, action, parsed.args)
            resource_id = action.scope(resolved).resource_id
        except ActionError as exc:
            return CommandReply(f"I can't explain it yet: {exc.message}")
        stores = await self._access.stores()
        actor = Actor(call.object_id, call.name)
        read = await self._access.snapshot(stores, actor, resource_id)
        now = self._access.now()
        proposal = Proposal(id="explain", actor=read.actor, action=action.name, resource_id=resource_id,
                            args=dict(resolved), before={})
        relative = _relative_limits(read.snapshot.grants, read.actor, action.name, resource_id, dict(resolved), now)
        snapshot = read.snapshot
        if relative:
            # a dry run reads no current value: decide as if the change stays within the relative limits, and say so
            snapshot = replace(snapshot, grants=tuple(_without_relative(g) for g in snapshot.grants))
        decision = decide(proposal, snapshot, now)
        lines = [f"If you asked for {code(call.text.strip(), 200)} now ({action.name} on {code(resource_id)}):", "",
                 _verdict(decision, call.zone_name), ""]
        lines += _grounds(decision, snapshot.grants, read.actor, action.name, resource_id, now)
        if relative:
            lines.append(f"This assumes your change stays within the limits relative to the current value "
                         f"({', '.join(relative)}): a dry run does not read the resource's current value; your real "
                         "request checks them against it.")
        lines.append("Nothing was run or changed; a real request decides again when you confirm it.")
        return CommandReply("\n".join(lines))


def _history_line(approval: ApprovalRequest, zone_name: str | None) -> str:
    target = plain(approval.preview.target or approval.resource_id, 300)
    status = {
        ApprovalStatus.PENDING: f"waiting for approval ({len(approval.approvals)} of {approval.quorum}, "
                                f"expires {show_time(approval.expires_at, zone_name)})",
        ApprovalStatus.APPROVED: "approved",
        ApprovalStatus.REJECTED: "rejected",
        ApprovalStatus.EXPIRED: "expired without enough approvals",
        ApprovalStatus.CANCELLED: "cancelled",
    }[approval.status]
    by = ", ".join(plain(v.voter_name or v.voter_id, 80) for v in approval.votes)
    voters = f" (votes: {by})" if by and approval.status is not ApprovalStatus.PENDING else ""
    return f"{show_time(approval.created_at, zone_name)} — {approval.action} on {target}: {status}{voters}"


def _verdict(decision: Decision, zone_name: str | None) -> str:
    if isinstance(decision, Approved):
        return f"**Approved at once** — {decision.reason}"
    if isinstance(decision, NeedsApproval):
        approvers = ", ".join(p.key for p in decision.approvers)
        return (f"**Needs approval** — {decision.reason} Approvers: {approvers}; it would wait until "
                f"{show_time(decision.expires_at, zone_name)}.")
    if isinstance(decision, Frozen):
        return (f"**Refused: frozen** — freeze `{decision.rule_id}` until {show_time(decision.ends_at, zone_name)}: "
                f"{plain(decision.freeze_reason)}")
    if isinstance(decision, RateLimited):
        return f"**Refused: rate limit** — try again after {show_time(decision.retry_at, zone_name)}."
    return f"**Refused** — {decision.reason}"


def _grounds(decision: Decision, grants: tuple, actor: Actor, action: str, resource_id: str,  # type: ignore[type-arg]
             now: datetime) -> list[str]:
    """Which rule decided: the deciding grant with its limits, the approver rule, the freeze or built-in rule."""
    by_id = {g.id: g for g in grants}
    deciding = by_id.get(decision.rule_id)
    lines: list[str] = []
    if deciding is not None:
        lines.append(f"Decided by grant `{deciding.id}` ({deciding.mode.value} on {code(deciding.scope)}; limits: "
                     f"{describe_limits(deciding.limits)}).")
    elif isinstance(decision, NeedsApproval):
        grant = by_id.get(decision.grant_id)
        lines.append(f"Decided by approver rule `{decision.rule_id}` (quorum {decision.quorum}) under grant "
                     f"`{decision.grant_id}`" + (f" (limits: {describe_limits(grant.limits)})." if grant else "."))
    elif isinstance(decision, Frozen):
        lines.append(f"Decided by freeze `{decision.rule_id}`.")
    else:
        lines.append(f"Decided by rule `{decision.rule_id}`.")
    if isinstance(decision, Refused):
        for violation in decision.violations:
            if violation.kind is not LimitKind.CURRENT_UNKNOWN:
                lines.append(f"- limit broken: {violation.message}")
    allowing = grants_allowing(actor, action, resource_id, grants, now)
    if allowing and not isinstance(decision, Approved | NeedsApproval):
        lines.append("Your grants for it here: " + ", ".join(f"`{g.id}`" for g in sorted(allowing, key=lambda g: g.id))
                     + ".")
    return lines


def _relative_limits(grants: tuple, actor: Actor, action: str, resource_id: str,  # type: ignore[type-arg]
                    args: dict, now: datetime) -> list[str]:  # type: ignore[type-arg]
    """The relative limits (``grant id: count at most +3``) of the grants allowing the action, on its arguments."""
    found: list[str] = []
    for grant in sorted(grants_allowing(actor, action, resource_id, grants, now), key=lambda g: g.id):
        for name in sorted(grant.limits.parameters):
            bound = grant.limits.parameters[name]
            if bound.relative and name in args:
                limits = Limits({name: ParameterLimit(max_increase=bound.max_increase,
                                                      max_decrease=bound.max_decrease)})
                found.append(f"grant `{grant.id}`: {describe_limits(limits)}")
    return found


def _without_relative(grant: Grant) -> Grant:
    """``grant`` with its limits relative to the current value left out (the absolute ones kept)."""
    if not any(bound.relative for bound in grant.limits.parameters.values()):
        return grant
    parameters = {name: replace(bound, max_increase=None, max_decrease=None)
                  for name, bound in grant.limits.parameters.items()}
    return replace(grant, limits=Limits(parameters, grant.limits.window))
