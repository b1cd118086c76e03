"""``ApprovalVotes``: approval card votes and refreshes, answered at once, handed on exactly once.

A vote arrives as a card action of an approval card (``cards.protocol.read_vote``). The voter is
who the activity says (their Entra object id), never anything in card data; the card data only
names the request and the plan hash the card showed. :meth:`ApprovalVotes.vote`:

1. reads the request and the active policy's approver rule for its resource and the voter's
   groups;
2. applies :func:`guardrails.cast_vote` inside :meth:`TableApprovalStore.update` (ETag: of
   concurrent votes exactly one outcome is recorded, and one call reports ``approved_here``);
3. audits the vote — or the refused vote, with the refusal (own request, not an approver or an
   approver of another scope, twice, after expiry, already decided, a replayed card with another
   id or plan hash) — and a decided request;
4. answers with the voter's view of the card (their notice, the request's standing);
5. after the answer: refreshes every copy of the card, tells the requester where it stands, and,
   when this vote reached the quorum, re-decides and re-previews (:func:`guardrails.recheck`) and
   hands the request to the executor — exactly once.

:meth:`ApprovalVotes.view` answers a card refresh: buttons for an approver who may still vote,
the standing for everyone else; the ``approvals`` command shows the same view of each request
waiting for the caller, and :meth:`ApprovalVotes.record_copy` registers each such copy so that it
is refreshed with the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from actions.spec import ActionError
from governing.context import Governance, Previewer, before_values, request_of, standing
from governing.handler import approver_ids
from guardrails import (
    Actor,
    ApprovalRequest,
    ApprovalStatus,
    ApproverRule,
    AuditKind,
    Principal,
    VoteAccepted,
    VoteChoice,
    cast_vote,
    most_specific_rule,
    recheck,
)
from guardrails.ports import RecordNotFound, StoreError
from guardrails.scopes import ScopeError, scope_chain
from guardrails.votes import VoteRefusal, VoteResult, approver_principal
from requesting import Outcome, OutcomeState, Requester, RequestHandler
from storage.approval_cards import CardCopy
from storage.guardrail_rows import gather_all
from storage.policy_versions import PolicyStores
from telemetry import current_correlation_id

__all__ = ["COUNTED_MESSAGES", "ApprovalVotes", "VoteAnswer"]

_log = logging.getLogger("switchboard.governing.votes")


@dataclass(frozen=True)
class VoteAnswer:
    """What the voter is answered: their view of the card, and a message (why a vote was refused, or
    what it did). ``accepted``: the vote counts; ``refusal``: why not."""

    card: dict[str, Any] | None
    message: str
    accepted: bool
    refusal: VoteRefusal | None = None


COUNTED_MESSAGES = {
    ApprovalStatus.PENDING: "Your approval is recorded; more approvals are needed.",
    ApprovalStatus.APPROVED: "Approved: the quorum is reached; it is re-checked and runs now. The requester is told.",
    ApprovalStatus.REJECTED: "Rejected: nothing runs. The requester is told.",
}
"""What a voter is told when their vote counted, by the request's status after it."""

_UNKNOWN = "This approval card is for no request Switchboard knows. Use the latest approval card."


def _not_recorded(correlation_id: str) -> VoteAnswer:
    return VoteAnswer(None, f"Your vote could not be recorded just now; try again (reference {correlation_id}).", False)


def _unknown_card(message: str) -> VoteAnswer:
    return VoteAnswer(None, message, False, VoteRefusal.WRONG_REQUEST)


class ApprovalVotes:
    """Votes on, and views of, approval cards.

    :param governance: the guardrail stores and ports.
    :param executor: where a request goes once approved and re-checked (the guarded handler's executor).
    :param previewer: re-computes a request's preview for the re-check.
    """

    def __init__(self, governance: Governance, executor: RequestHandler, previewer: Previewer) -> None:
        self._gov = governance
        self._executor = executor
        self._previewer = previewer
        self._in_flight: dict[tuple[Any, ...], asyncio.Future[Any]] = {}

    async def _context(
        self, voter: Actor, approval_id: str
    ) -> tuple[Any, ApproverRule | None, Actor, PolicyStores]:
        """The request (versioned), the rule now governing its resource, the voter with their groups, and the
        active policy's stores."""
        gov = self._gov
        stored, policy = await gather_all([
            self._shared(("approval", approval_id), lambda: gov.approvals.get(approval_id)),
            self._shared(("policy",), gov.reader.policy),
        ])
        approval: ApprovalRequest = stored.record  # type: ignore[union-attr]
        chain = scope_chain(approval.resource_id)

        async def no_groups() -> frozenset[str]:
            return frozenset()

        groups, rules = await gather_all([
            policy.groups.groups_of(voter.object_id) if voter.identified else no_groups(),  # type: ignore[union-attr]
            self._shared(("rules", policy.version, chain),  # type: ignore[union-attr]
                         lambda: policy.rules.on_scopes(chain)),  # type: ignore[union-attr]
        ])
        rule = most_specific_rule(rules, approval.resource_id)  # type: ignore[arg-type]
        voter_now = Actor(voter.object_id, voter.name, frozenset(groups))  # type: ignore[arg-type]
        return stored, rule, voter_now, policy  # type: ignore[return-value]

    async def _shared(self, key: tuple[Any, ...], read: Callable[[], Awaitable[Any]]) -> Any:
        """``read()``, or the result of the same read already in flight in this process (single flight).

        Votes pressed at the same moment on one request read the same rows: they share one read
        started while they were all waiting, which is as fresh as a read of each. Nothing is kept
        once the read has finished.
        """
        pending = self._in_flight.get(key)
        if pending is None:
            pending = asyncio.ensure_future(read())
            self._in_flight[key] = pending
            pending.add_done_callback(lambda _: self._in_flight.pop(key, None))
        return await asyncio.shield(pending)

    async def vote(
        self, voter: Requester, approval_id: str, presented_plan: str, choice: VoteChoice, comment: str = ""
    ) -> VoteAnswer:
        """Cast ``voter``'s vote on the request the card names (see the module). Never raises for a user
        error: every refusal is answered, audited and explained."""
        gov = self._gov
        now = gov.now()
        correlation_id = current_correlation_id()
        actor = Actor(voter.aad_object_id or "", voter.name)
        try:
            stored, rule, actor, policy = await self._context(actor, approval_id)
        except RecordNotFound:
            await self._audit_refusal(actor, approval_id, "", VoteRefusal.WRONG_REQUEST, choice, correlation_id)
            return _unknown_card(_UNKNOWN)
        except (StoreError, ScopeError):
            _log.exception("vote on %s could not be read (reference %s)", approval_id, correlation_id)
            return _not_recorded(correlation_id)
        governing_rule = rule or ApproverRule(  # nobody approves this scope now: every vote is refused
            id=stored.record.rule_id, scope=stored.record.resource_id,
            approvers=frozenset({Principal.user(stored.record.requester_id)}),
        )

        def change(current: ApprovalRequest) -> tuple[ApprovalRequest | None, VoteResult]:
            result = cast_vote(current, governing_rule, actor, choice, comment, now, presented_plan, approval_id)
            return result.approval, result  # an expired request is written as expired (else None: unchanged)

        try:
            update = await gov.approvals.update(approval_id, change)
        except StoreError:
            _log.exception("vote on %s could not be written (reference %s)", approval_id, correlation_id)
            return _not_recorded(correlation_id)
        result, approval = update.result, update.after
        records = []
        if isinstance(result, VoteAccepted):
            records.append(gov.record(
                AuditKind.VOTE, actor=actor.object_id, at=now, action=approval.action, scope=approval.resource_id,
                request_id=approval.id, correlation_id=correlation_id, decision=result.vote.choice.value,
                rule_id=governing_rule.id, reason=result.vote.comment, details={"via": result.vote.via.key},
            ))
        else:
            records.append(self._refusal_record(actor, approval, result.refusal, choice, correlation_id, now,
                                                governing_rule.id, presented_plan))
        if update.written and approval.status.decided:
            records.append(gov.record(
                AuditKind.APPROVAL_DECIDED, actor=actor.object_id, at=now, action=approval.action,
                scope=approval.resource_id, request_id=approval.id, correlation_id=correlation_id,
                decision=approval.status.value, rule_id=governing_rule.id,
            ))
        approvers, audited = await asyncio.gather(
            self._approvers(rule, policy), gov.audit(records), return_exceptions=True
        )
        if isinstance(approvers, BaseException):  # pragma: no cover - _approvers answers without raising
            raise approvers
        if isinstance(audited, StoreError):
            _log.error("vote audit of %s not written (reference %s)", approval.id, correlation_id, exc_info=audited)
        elif isinstance(audited, BaseException):
            raise audited

        if update.written:
            gov.later(self._after_change(approval, approvers, hand_on=update.approved_here),
                      f"after vote on {approval.id}")
        if isinstance(result, VoteAccepted):
            message = COUNTED_MESSAGES.get(approval.status, COUNTED_MESSAGES[ApprovalStatus.PENDING])
            card = gov.view(approval, approvers, can_vote=False, notice=message, quorum=governing_rule.quorum)
            return VoteAnswer(card, message, True)
        can_vote = self._may_vote(approval, governing_rule, actor)
        card = gov.view(approval, approvers, can_vote=can_vote, notice=result.message, quorum=governing_rule.quorum)
        return VoteAnswer(card, result.message, False, result.refusal)

    async def view(self, viewer: Requester, approval_id: str) -> VoteAnswer:
        """The card of the request for ``viewer`` now (a Universal Actions refresh): buttons only for an
        approver who may still vote."""
        actor = Actor(viewer.aad_object_id or "", viewer.name)
        try:
            stored, rule, actor, policy = await self._context(actor, approval_id)
        except RecordNotFound:
            return _unknown_card("This approval card is for no request Switchboard knows.")
        approval = stored.record
        approvers = await self._approvers(rule, policy)
        can_vote = rule is not None and self._may_vote(approval, rule, actor)
        card = self._gov.view(approval, approvers, can_vote=can_vote, requester_view=actor.object_id ==
                              approval.requester_id, quorum=rule.quorum if rule else None)
        return VoteAnswer(card, "", False)

    async def record_copy(self, approval_id: str, conversation: Mapping[str, Any], activity_id: str) -> bool:
        """Register a copy of the request's card posted in a turn (``conversation``: its serialized
        reference; ``activity_id``: the posted message) so that later votes refresh it too. False when it
        could not be recorded (logged): that copy still refreshes on view, through Universal Actions."""
        try:
            await self._gov.cards.add(approval_id, CardCopy(dict(conversation), activity_id))
        except StoreError:
            _log.warning("a copy of the approval card of %s was not recorded", approval_id, exc_info=True)
            return False
        return True

    def _may_vote(self, approval: ApprovalRequest, rule: ApproverRule, actor: Actor) -> bool:
        return (
            approval.status is ApprovalStatus.PENDING
            and self._gov.now() < approval.expires_at
            and actor.identified
            and actor.object_id != approval.requester_id
            and not approval.voted(actor.object_id)
            and approver_principal(rule, actor) is not None
        )

    async def _approvers(self, rule: ApproverRule | None, policy: PolicyStores | None = None) -> list[str]:
        if rule is None:
            return []
        try:
            return await approver_ids(self._gov, tuple(rule.approvers), policy)
        except StoreError:
            return [p.id for p in rule.approvers]

    def _refusal_record(
        self, actor: Actor, approval: ApprovalRequest | None, refusal: VoteRefusal, choice: VoteChoice,
        correlation_id: str, now: Any, rule_id: str = "", presented_plan: str = "", approval_id: str = "",
    ) -> Any:
        return self._gov.record(
            AuditKind.VOTE_REFUSED, actor=actor.object_id, at=now,
            action=approval.action if approval else "", scope=approval.resource_id if approval else "",
            request_id=approval.id if approval else approval_id, correlation_id=correlation_id,
            decision=refusal.value, rule_id=rule_id, details={"choice": choice.value, "plan": presented_plan[:80]},
        )

    async def _audit_refusal(
        self, actor: Actor, approval_id: str, presented_plan: str, refusal: VoteRefusal, choice: VoteChoice,
        correlation_id: str,
    ) -> None:
        record = self._refusal_record(actor, None, refusal, choice, correlation_id, self._gov.now(),
                                      presented_plan=presented_plan, approval_id=approval_id[:200])
        try:
            await self._gov.audit([record])
        except StoreError:
            _log.exception("refused vote not audited (reference %s)", correlation_id)

    # ------------------------------------------------------------------ after the answer
    async def _after_change(self, approval: ApprovalRequest, approvers: list[str], *, hand_on: bool) -> None:
        gov = self._gov
        await gov.refresh_copies(approval, approvers, can_vote=not approval.status.decided)
        if approval.status is ApprovalStatus.PENDING:  # the requester's card shows the standing; no message per vote
            await gov.update_requester_card(approval, approvers)
            return
        if approval.status is ApprovalStatus.REJECTED:
            await gov.tell_requester(approval, approvers, f"Your request was rejected; nothing was changed. "
                                     f"{_standing_text(gov, approval)}")
            return
        if approval.status is ApprovalStatus.EXPIRED:
            await gov.tell_requester(approval, approvers, "Your request expired before it was approved; "
                                     "nothing was changed. Request it again if it is still needed.")
            return
        if hand_on:
            outcome = await self._hand_on(approval)
            await gov.tell_requester(approval, approvers, f"Your request was approved. {outcome.message}")

    async def _hand_on(self, approval: ApprovalRequest) -> Outcome:
        """Re-decide and re-preview, then run the approved request once (this call made the transition)."""
        gov = self._gov
        now = gov.now()
        request = request_of(approval)
        correlation_id = approval.correlation_id or current_correlation_id()
        requester = Actor(approval.requester_id, approval.requester_name)
        try:
            preview = await self._previewer(request)
        except ActionError as exc:
            message = f"It could not be checked again before running: {exc.message} Nothing was changed; " \
                      "request it again."
            await self._audit_recheck(approval, now, correlation_id, "plan_changed", message)
            return Outcome(OutcomeState.REFUSED, message)
        read = await gov.reader.read(requester, approval.resource_id, now=now, rate_limit=gov.rate_limit,
                                     with_approver_groups=True)
        checked = recheck(approval, read.snapshot, preview, before_values(preview), now, requester=read.actor)
        await self._audit_recheck(approval, now, correlation_id, "run" if checked.run else str(checked.reason),
                                  checked.message)
        if not checked.run:
            return Outcome(OutcomeState.REFUSED, checked.message)
        return await self._executor.submit(request)

    async def _audit_recheck(
        self, approval: ApprovalRequest, now: Any, correlation_id: str, decision: str, message: str
    ) -> None:
        record = self._gov.record(
            AuditKind.RECHECK, actor="system", at=now, action=approval.action, scope=approval.resource_id,
            request_id=approval.id, correlation_id=correlation_id, decision=decision, reason=message[:500],
        )
        await self._gov.audit([record])


def _standing_text(gov: Governance, approval: ApprovalRequest) -> str:
    return standing(approval)
