"""``GuardedRequestHandler``: every confirmed request passes one policy decision before it runs.

``submit(request)``:

1. reads what the decision needs — the requester's and their groups' grants, the scope chain's
   approver rules, freezes and admins, the rate counter — from the **active** policy version in
   one parallel round (:class:`~storage.policy_snapshot.PolicySnapshotReader`);
2. decides (:func:`guardrails.decide`: rate limit, break-glass, grants and limits, freezes,
   standing approval, approver rule);
3. writes, in one parallel round, the audit record of the decision (with the id of the rule that
   decided; a break-glass adds a ``break_glass`` record), the rate counter and, when approval is
   needed, the :class:`~guardrails.records.ApprovalRequest` bound to the plan hash; then emits
   each audit record as a custom event;
4. approved → the executor's ``submit`` (a break-glass also tells the scope's approvers at
   once); refused, frozen, rate limited → ``REFUSED`` with the decision's message (the missing
   permission and who may grant it; the freeze's reason and end; when to try again); needs
   approval → ``AWAITING_APPROVAL``, and the approval cards go to the approvers (after the turn's
   answer, through the :class:`~requesting.Notifier`).

Storage failing before a decision: ``REFUSED`` saying nothing was changed (with a correlation
id), and no audit record — nothing was decided.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from governing.context import Governance, before_values
from guardrails import (
    ApprovalRequest,
    Approved,
    AuditKind,
    Frozen,
    NeedsApproval,
    PolicySnapshot,
    Proposal,
    RateLimited,
    RefusalCode,
    Refused,
    decide,
    most_specific_rule,
    plan_hash,
)
from guardrails.decision import Decision
from guardrails.ports import StoreError
from guardrails.records import Actor, GrantKind, Principal, PrincipalKind
from guardrails.scopes import ScopeError, scope_chain
from requesting import Notice, Outcome, OutcomeState, Request, RequestHandler
from storage.policy_versions import PolicyStores
from telemetry import current_correlation_id

__all__ = ["GuardedRequestHandler", "approver_ids"]

_NAMES_ADMINS = frozenset({
    RefusalCode.NO_GRANT, RefusalCode.OUTSIDE_LIMITS, RefusalCode.NO_APPROVERS, RefusalCode.QUORUM_UNREACHABLE,
    RefusalCode.BREAK_GLASS_NOT_GRANTED,
})

_log = logging.getLogger("switchboard.governing")


async def approver_ids(
    governance: Governance, approvers: tuple[Principal, ...], policy: PolicyStores | None = None
) -> list[str]:
    """The Entra object ids of ``approvers``: users as named, groups expanded from the active policy
    (``policy``: its stores, when the caller has them)."""
    users = [p.id for p in approvers if p.kind is PrincipalKind.USER]
    groups = [p.id for p in approvers if p.kind is PrincipalKind.GROUP]
    if groups:
        policy = policy or await governance.reader.policy()
        for name in groups:
            try:
                users.extend(sorted((await policy.groups.get(name)).members))
            except StoreError:
                _log.info("approver group %s could not be read", name)
    return list(dict.fromkeys(users))


def _unavailable(correlation_id: str) -> Outcome:
    return Outcome(
        OutcomeState.REFUSED,
        "Switchboard could not check your permissions just now, so nothing was changed. "
        f"Please try again in a minute (reference {correlation_id}).",
    )


class GuardedRequestHandler:
    """The :class:`~requesting.RequestHandler` that decides before anything runs.

    :param governance: the guardrail stores and ports.
    :param executor: where approved requests go (the direct runner today; the operation queue later).
    """

    def __init__(self, governance: Governance, executor: RequestHandler) -> None:
        self._gov = governance
        self._executor = executor

    @property
    def executor(self) -> RequestHandler:
        return self._executor

    async def decision_for(self, request: Request) -> Decision | None:
        """A dry run: the decision ``submit`` would make now (nothing written, nothing counted), or None
        when storage failed. The dialogs ask it whether to ask for a reason (approval needed)."""
        try:
            _, decision = await self._decide(request, self._gov.now())
        except StoreError:
            return None
        return decision

    async def approval_needed(self, request: Request) -> str | None:
        """Before submitting: a sentence saying who must approve ``request`` when it will wait for approvers
        (the dialog then asks for a reason), else None (also when storage failed: ``submit`` decides)."""
        decision = await self.decision_for(request)
        if not isinstance(decision, NeedsApproval):
            return None
        return (
            f"This needs {decision.quorum} approval(s) from the approvers of this scope (rule {decision.rule_id}) "
            "before it runs."
        )

    async def break_glass_offered(self, request: Request) -> bool:
        """Before submitting: whether the preview may offer to break glass for ``request`` — it would wait
        for approvers or is refused by a change freeze, and the requester holds a break-glass grant that
        would approve it (False also when storage failed). Only an offer: pressing it submits a
        break-glass request, which ``submit`` decides again like a typed ``--break-glass``."""
        if request.break_glass:
            return False
        now = self._gov.now()
        try:
            actor, snapshot, _ = await self._read(request, now)
        except StoreError:
            return False
        before = before_values(request.preview)
        plain = decide(Proposal.from_request(request, groups=actor.groups, before=before), snapshot, now)
        if not isinstance(plain, NeedsApproval | Frozen):
            return False
        glass = decide(Proposal.from_request(request, groups=actor.groups, before=before, break_glass=True,
                                             break_glass_reason="(the reason the requester will give)"),
                       snapshot, now)
        return isinstance(glass, Approved) and glass.break_glass

    async def _read(self, request: Request, now: datetime) -> tuple[Actor, PolicySnapshot, tuple[str, ...]]:
        """What a decision on ``request`` reads (one round): the actor with their groups, the snapshot, the
        scope chain (empty, and an empty snapshot, for an unreadable resource id: ``decide`` refuses it)."""
        requester = request.requester
        actor = Actor(object_id=requester.aad_object_id or "", name=requester.name)
        try:
            read = await self._gov.reader.read(
                actor, request.scope.resource_id, now=now, rate_limit=self._gov.rate_limit
            )
        except ScopeError:
            return actor, PolicySnapshot(rate_limit=self._gov.rate_limit), ()
        return read.actor, read.snapshot, tuple(read.scope_chain)

    async def _decide(self, request: Request, now: datetime) -> tuple[Actor, Decision]:
        actor, snapshot, chain = await self._read(request, now)
        proposal = Proposal.from_request(
            request,
            groups=actor.groups,
            before=before_values(request.preview),
            break_glass=request.break_glass,
            break_glass_reason=(request.reason or "") if request.break_glass else "",
        )
        decision = decide(proposal, snapshot, now)
        if isinstance(decision, Refused) and chain and decision.code in _NAMES_ADMINS:
            # Only a refusal names who may grant the permission: the scope's admins are read then (one more
            # round), so that an approved request's read stays one round.
            policy = await self._gov.reader.policy()
            admins = await policy.grants.on_scopes(chain, GrantKind.ADMIN)
            decision = decide(proposal, replace(snapshot, admins=tuple(admins)), now)
        return actor, decision

    async def submit(self, request: Request) -> Outcome:
        """Decide ``request``, audit the decision, and run, refuse or send it for approval (see the module)."""
        gov = self._gov
        now = gov.now()
        correlation_id = current_correlation_id()
        try:
            actor, decision = await self._decide(request, now)
        except StoreError:
            _log.exception("request %s: the policy could not be read (reference %s)", request.id, correlation_id)
            return _unavailable(correlation_id)

        action, scope = request.scope.action, request.scope.resource_id
        records = [
            gov.record(
                AuditKind.DECISION, actor=actor.object_id, at=now, action=action, scope=scope, request_id=request.id,
                correlation_id=correlation_id, decision=decision.verdict.value, rule_id=decision.rule_id,
                reason=decision.reason, break_glass=request.break_glass,
                details={"requester_name": request.requester.name[:100]},
            )
        ]
        if isinstance(decision, Approved) and decision.break_glass:
            records.append(gov.record(
                AuditKind.BREAK_GLASS, actor=actor.object_id, at=now, action=action, scope=scope,
                request_id=request.id, correlation_id=correlation_id, decision="used", rule_id=decision.grant_id,
                reason=request.reason or "", break_glass=True,
                details={"skipped_freeze": decision.skipped_freeze_id} if decision.skipped_freeze_id else {},
            ))
        also = []
        if actor.identified and not isinstance(decision, RateLimited):
            also.append(gov.rate.increment(Principal.user(actor.object_id).key, gov.rate_limit.window_start(now)))
        approval: ApprovalRequest | None = None
        if isinstance(decision, NeedsApproval):
            approval = self._approval(request, decision, now, correlation_id)
            also.append(gov.approvals.create(approval))
        try:
            await gov.audit(records, *also)
        except StoreError:
            _log.exception("request %s: the decision could not be recorded (reference %s)", request.id, correlation_id)
            return _unavailable(correlation_id)
        _log.info("request %s: %s under rule %s", request.id, decision.verdict.value, decision.rule_id)

        match decision:
            case Approved():
                if decision.break_glass:
                    gov.later(self._announce_break_glass(request, decision), f"break-glass notice {request.id}")
                return await self._executor.submit(request)
            case NeedsApproval():
                assert approval is not None
                gov.later(self._send_for_approval(approval, decision), f"approval cards {request.id}")
                return Outcome(OutcomeState.AWAITING_APPROVAL, _awaiting(decision), {"request": request.id})
            case Frozen():
                return Outcome(OutcomeState.REFUSED, f"Not run: {decision.reason} Nothing was changed.")
            case RateLimited():
                return Outcome(OutcomeState.REFUSED, f"Not run: {decision.reason} Nothing was changed.")
            case Refused():
                return Outcome(OutcomeState.REFUSED, f"Not allowed: {decision.reason} Nothing was changed.")
        raise AssertionError(f"unknown decision {decision!r}")  # pragma: no cover

    def _approval(
        self, request: Request, decision: NeedsApproval, now: datetime, correlation_id: str
    ) -> ApprovalRequest:
        before = before_values(request.preview)
        conversation = dict(request.conversation)
        if request.card_activity_id:  # the requester's card, updated when the request is decided
            conversation["activityId"] = request.card_activity_id
        return ApprovalRequest(
            id=request.id,
            requester_id=request.requester.aad_object_id or "",
            requester_name=request.requester.name,
            action=request.scope.action,
            resource_id=request.scope.resource_id,
            args=dict(request.args),
            preview=request.preview,
            before=before,
            plan_hash=plan_hash(request.scope.action, request.scope.resource_id, request.args, request.preview, before),
            rule_id=decision.rule_id,
            quorum=decision.quorum,
            expires_at=decision.expires_at,
            reason=request.reason or "",
            grant_id=decision.grant_id,
            created_at=now,
            conversation=conversation,
            correlation_id=correlation_id,
        )

    async def _send_for_approval(self, approval: ApprovalRequest, decision: NeedsApproval) -> None:
        approvers = await approver_ids(self._gov, decision.approvers)
        who = approval.requester_name or "Someone"
        text = f"{who} asks for your approval: {approval.preview.title or approval.preview.target}."
        delivered = await self._gov.send_card_copies(approval, approvers, text)
        _log.info("approval %s: %d approval card(s) delivered", approval.id, delivered)

    async def _announce_break_glass(self, request: Request, decision: Approved) -> None:
        gov = self._gov
        policy = await gov.reader.policy()
        rule = most_specific_rule(await policy.rules.on_scopes(scope_chain(request.scope.resource_id)),
                                  request.scope.resource_id)
        if rule is None:
            return
        text = (
            f"Break-glass: {request.requester.name} ran {request.preview.title or request.action} on "
            f"{request.preview.target} without approval"
            + (f", overriding freeze {decision.skipped_freeze_id}" if decision.skipped_freeze_id else "")
            + f". Reason: {request.reason}"
        )
        notice = Notice(text=text)
        for oid in await approver_ids(gov, tuple(rule.approvers)):
            if oid != (request.requester.aad_object_id or ""):
                await gov.notifier.send_to_user(oid, notice)
        channel = await gov.channel()
        if channel is not None:
            await gov.notifier.send(channel, notice)


def _awaiting(decision: NeedsApproval) -> str:
    return (
        f"This needs {decision.quorum} approval(s) before {decision.expires_at:%Y-%m-%d %H:%M} UTC. "
        "The approvers were sent an approval card; you will be told here when it is decided. Nothing was changed yet."
    )

