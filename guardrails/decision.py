"""The policy decision: one pure function of (proposal, policy snapshot, clock).

:func:`decide` answers, for one confirmed request, exactly one of

- :class:`Approved` — a grant's ``auto`` limits cover it (or a valid break-glass): run it now;
- :class:`NeedsApproval` — only an ``approval``-mode grant covers it: ask the scope's approvers;
- :class:`Refused` — deny by default: no grant covers it (naming the missing permission and who
  may grant it), it is outside every grant's limits, or a break-glass is not valid;
- :class:`Frozen` — a change freeze covers the resource now;
- :class:`RateLimited` — the person sent too many requests in the current window;

each with ``rule_id`` (the grant, approver rule, freeze or built-in rule that decided) and a
human ``reason``. The order of the checks (docs/security.md): identity and resource id → rate
limit → break-glass (when asked for) → grants and limits → freezes → auto grant → approver rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from actions.spec import ArgValue
from guardrails.limits import LimitViolation, check_limits
from guardrails.ratelimit import check_rate
from guardrails.records import (
    Actor,
    ApproverRule,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Principal,
    PrincipalKind,
    RateLimit,
)
from guardrails.scopes import ScopeError, covers, scope_depth, scope_segments

if TYPE_CHECKING:  # pragma: no cover
    from requesting.request import Request

__all__ = [
    "RULE_BREAK_GLASS",
    "RULE_DENY_BY_DEFAULT",
    "RULE_IDENTITY",
    "RULE_RATE_LIMIT",
    "Approved",
    "Decision",
    "Frozen",
    "MissingPermission",
    "NeedsApproval",
    "PolicySnapshot",
    "Proposal",
    "RateLimited",
    "RefusalCode",
    "Refused",
    "Verdict",
    "administrators",
    "decide",
    "grants_allowing",
    "most_specific_rule",
]

RULE_DENY_BY_DEFAULT = "deny-by-default"
RULE_IDENTITY = "identity"
RULE_RATE_LIMIT = "rate-limit"
RULE_BREAK_GLASS = "break-glass"


@dataclass(frozen=True)
class Proposal:
    """What is to be decided: who (with their groups), which action, on which resource, with what.

    ``before`` are the resource's current integer values (parameter -> value, as the preview
    read them) for relative limits. ``break_glass`` is the explicit request to skip approval and
    freezes, with its ``break_glass_reason``.
    """

    id: str
    actor: Actor
    action: str
    resource_id: str
    args: Mapping[str, ArgValue] = field(default_factory=dict)
    before: Mapping[str, int] = field(default_factory=dict)
    break_glass: bool = False
    break_glass_reason: str = ""

    @classmethod
    def from_request(
        cls,
        request: Request,
        *,
        groups: Iterable[str] = (),
        before: Mapping[str, int] | None = None,
        break_glass: bool = False,
        break_glass_reason: str = "",
    ) -> Proposal:
        """The proposal of a confirmed :class:`~requesting.request.Request`.

        The actor is the requester's Entra object id (none: the decision refuses); ``groups`` their
        Switchboard groups; ``before`` the preview's current values.
        """
        requester = request.requester
        return cls(
            id=request.id,
            actor=Actor(requester.aad_object_id or "", requester.name, frozenset(groups)),
            action=request.scope.action,
            resource_id=request.scope.resource_id,
            args=dict(request.args),
            before=dict(before or {}),
            break_glass=break_glass,
            break_glass_reason=break_glass_reason,
        )


@dataclass(frozen=True)
class PolicySnapshot:
    """What a decision reads, gathered by the stores in one parallel round.

    ``grants``: the actor's and their groups' grants (any others are ignored). ``approver_rules``,
    ``freezes`` and ``admins`` (admin grants): those on the resource's scope chain (any that do
    not cover it are ignored). ``groups``: members of the groups the approver rules name (for
    re-checking votes). ``recent_requests``: requests already counted in the actor's current
    rate-limit window, this one not included.
    """

    grants: tuple[Grant, ...] = ()
    approver_rules: tuple[ApproverRule, ...] = ()
    freezes: tuple[Freeze, ...] = ()
    admins: tuple[Grant, ...] = ()
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    recent_requests: int = 0
    rate_limit: RateLimit = field(default_factory=RateLimit)


class Verdict(StrEnum):
    APPROVED = "approved"
    NEEDS_APPROVAL = "needs_approval"
    REFUSED = "refused"
    FROZEN = "frozen"
    RATE_LIMITED = "rate_limited"


class RefusalCode(StrEnum):
    NO_IDENTITY = "no_identity"  # the channel gave no Entra object id
    INVALID_RESOURCE = "invalid_resource"  # the resource id is not a comparable ARM id
    NO_GRANT = "no_grant"  # no grant covers the action on this resource
    OUTSIDE_LIMITS = "outside_limits"  # grants cover it, but not with these values or at this time
    NO_APPROVERS = "no_approvers"  # it needs approval, and no approver rule covers the scope
    QUORUM_UNREACHABLE = "quorum_unreachable"  # fewer approvers besides the requester than the quorum
    BREAK_GLASS_NO_REASON = "break_glass_no_reason"
    BREAK_GLASS_NOT_GRANTED = "break_glass_not_granted"


@dataclass(frozen=True)
class MissingPermission:
    """The permission a refused request lacked: ``action`` on ``resource_id``."""

    action: str
    resource_id: str


@dataclass(frozen=True)
class Approved:
    """Run it now, under grant ``grant_id`` (a break-glass grant when ``break_glass``: notify the approvers)."""

    verdict: ClassVar[Verdict] = Verdict.APPROVED
    rule_id: str
    reason: str
    grant_id: str
    break_glass: bool = False
    skipped_freeze_id: str = ""  # the freeze a break-glass overrode, if any


@dataclass(frozen=True)
class NeedsApproval:
    """Ask ``approvers`` (rule ``rule_id``) for ``quorum`` distinct approvals before ``expires_at``."""

    verdict: ClassVar[Verdict] = Verdict.NEEDS_APPROVAL
    rule_id: str
    reason: str
    grant_id: str
    quorum: int
    approvers: tuple[Principal, ...]
    expires_at: datetime


@dataclass(frozen=True)
class Refused:
    """Not allowed. ``missing`` and ``admins`` (who may grant it) when a permission is missing."""

    verdict: ClassVar[Verdict] = Verdict.REFUSED
    rule_id: str
    reason: str
    code: RefusalCode
    missing: MissingPermission | None = None
    admins: tuple[Principal, ...] = ()
    violations: tuple[LimitViolation, ...] = ()


@dataclass(frozen=True)
class Frozen:
    """A change freeze (``rule_id`` is its id) covers the resource until ``ends_at`` (UTC)."""

    verdict: ClassVar[Verdict] = Verdict.FROZEN
    rule_id: str
    reason: str
    freeze_reason: str
    ends_at: datetime


@dataclass(frozen=True)
class RateLimited:
    """Too many requests in the current window; try again at ``retry_at`` (UTC)."""

    verdict: ClassVar[Verdict] = Verdict.RATE_LIMITED
    rule_id: str
    reason: str
    retry_at: datetime


Decision = Approved | NeedsApproval | Refused | Frozen | RateLimited


def _held(actor: Actor, grants: Iterable[Grant], resource_id: str, now: datetime) -> list[Grant]:
    principals = actor.principals
    return [g for g in grants if g.principal in principals and g.active_at(now) and covers(g.scope, resource_id)]


def _best(grants: Iterable[Grant]) -> Grant:
    """The most specific grant (deepest scope), ties broken by id, so the answer is deterministic."""
    return min(grants, key=lambda g: (-scope_depth(g.scope), g.id))


def grants_allowing(actor: Actor, action: str, resource_id: str, grants: Iterable[Grant], now: datetime) -> list[Grant]:
    """The actor's active action and break-glass grants allowing ``action`` on ``resource_id`` (limits unchecked).

    What the dialogs use to offer only resources the person may act on.
    """
    return [
        g
        for g in _held(actor, grants, resource_id, now)
        if g.kind in (GrantKind.ACTION, GrantKind.BREAK_GLASS) and g.allows_action(action)
    ]


def most_specific_rule(rules: Iterable[ApproverRule], resource_id: str) -> ApproverRule | None:
    """The approver rule with the deepest scope covering ``resource_id`` (ties: lowest id), or None."""
    covering = [r for r in rules if covers(r.scope, resource_id)]
    if not covering:
        return None
    return min(covering, key=lambda r: (-scope_depth(r.scope), r.id))


def administrators(admin_grants: Iterable[Grant], resource_id: str, now: datetime) -> tuple[Principal, ...]:
    """Principals holding an active admin grant covering ``resource_id``, sorted, each once."""
    return tuple(
        sorted(
            {
                g.principal
                for g in admin_grants
                if g.kind is GrantKind.ADMIN and g.active_at(now) and covers(g.scope, resource_id)
            }
        )
    )


def _refuse_missing(
    proposal: Proposal,
    snapshot: PolicySnapshot,
    now: datetime,
    code: RefusalCode,
    rule_id: str,
    reason: str,
    violations: tuple[LimitViolation, ...] = (),
) -> Refused:
    admins = administrators(snapshot.admins, proposal.resource_id, now)
    who = ", ".join(p.key for p in admins) if admins else "the platform team"
    return Refused(
        rule_id=rule_id,
        reason=f"{reason} Ask an admin of this scope ({who}) for a grant.",
        code=code,
        missing=MissingPermission(proposal.action, proposal.resource_id),
        admins=admins,
        violations=violations,
    )


def _break_glass(proposal: Proposal, snapshot: PolicySnapshot, held: list[Grant], now: datetime) -> Decision:
    if not proposal.break_glass_reason.strip():
        return Refused(
            rule_id=RULE_BREAK_GLASS,
            reason="Breaking glass needs a reason: say why this cannot wait for approval or for the freeze to end.",
            code=RefusalCode.BREAK_GLASS_NO_REASON,
        )
    candidates = [g for g in held if g.kind is GrantKind.BREAK_GLASS and g.allows_action(proposal.action)]
    within = [g for g in candidates if not check_limits(g.limits, proposal.args, proposal.before, now)]
    if not within:
        outside = tuple(v for g in candidates for v in check_limits(g.limits, proposal.args, proposal.before, now))
        return _refuse_missing(
            proposal,
            snapshot,
            now,
            RefusalCode.BREAK_GLASS_NOT_GRANTED,
            RULE_BREAK_GLASS,
            f"You hold no break-glass grant for {proposal.action} on this resource"
            + (f" with these values ({'; '.join(v.message for v in outside)})." if outside else "."),
            outside,
        )
    grant = _best(within)
    freezes = [f for f in snapshot.freezes if f.active_at(now) and covers(f.scope, proposal.resource_id)]
    skipped = max(freezes, key=lambda f: (f.ends_at, f.id)).id if freezes else ""
    return Approved(
        rule_id=grant.id,
        reason=f"Break-glass under grant {grant.id}"
        + (f", overriding freeze {skipped}" if skipped else "")
        + ": runs now; the scope's approvers are told at once.",
        grant_id=grant.id,
        break_glass=True,
        skipped_freeze_id=skipped,
    )


def _approvers_besides(rule: ApproverRule, requester_id: str) -> int | None:
    """Distinct user approvers other than the requester; None when a group makes the count unknown."""
    if any(p.kind is PrincipalKind.GROUP for p in rule.approvers):
        return None
    return len({p.id for p in rule.approvers if p.id != requester_id})


def decide(proposal: Proposal, snapshot: PolicySnapshot, now: datetime) -> Decision:
    """Decide one request. Pure: no I/O, the same inputs always give the same decision.

    ``now`` is timezone-aware. Expired grants are ignored; freezes hold from start (inclusive)
    to end (exclusive); limits are inclusive.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    actor, action, resource_id = proposal.actor, proposal.action, proposal.resource_id
    if not actor.identified:
        return Refused(
            rule_id=RULE_IDENTITY,
            reason="Your Microsoft Entra identity is not known on this channel, so no grant can apply. "
            "Use Switchboard from Microsoft Teams signed in with your work account.",
            code=RefusalCode.NO_IDENTITY,
        )
    try:
        scope_segments(resource_id)
    except (ScopeError, UnicodeDecodeError):
        return Refused(
            rule_id=RULE_DENY_BY_DEFAULT,
            reason="The resource id cannot be read as an Azure resource id, so no grant can apply.",
            code=RefusalCode.INVALID_RESOURCE,
        )
    rate = check_rate(snapshot.rate_limit, snapshot.recent_requests, now)
    if not rate.allowed and rate.retry_at is not None:
        return RateLimited(
            rule_id=RULE_RATE_LIMIT,
            reason=f"You sent {snapshot.recent_requests} requests in the current window, the most allowed "
            f"({snapshot.rate_limit.max_requests}). Try again after {rate.retry_at:%Y-%m-%d %H:%M} UTC.",
            retry_at=rate.retry_at,
        )
    held = _held(actor, snapshot.grants, resource_id, now)
    if proposal.break_glass:
        return _break_glass(proposal, snapshot, held, now)

    allowing = [g for g in held if g.kind is GrantKind.ACTION and g.allows_action(action)]
    verdicts = [(g, check_limits(g.limits, proposal.args, proposal.before, now)) for g in allowing]
    auto = [g for g, found in verdicts if not found and g.mode is GrantMode.AUTO]
    approval = [g for g, found in verdicts if not found and g.mode is GrantMode.APPROVAL]
    if not auto and not approval:
        if not allowing:
            return _refuse_missing(
                proposal,
                snapshot,
                now,
                RefusalCode.NO_GRANT,
                RULE_DENY_BY_DEFAULT,
                f"You have no grant for {action} on this resource.",
            )
        violations = tuple(v for _, found in verdicts for v in found)
        worst = _best(allowing)
        return _refuse_missing(
            proposal,
            snapshot,
            now,
            RefusalCode.OUTSIDE_LIMITS,
            worst.id,
            f"Your grants for {action} here do not allow this: {'; '.join(v.message for v in violations)}.",
            violations,
        )

    freezes = [f for f in snapshot.freezes if f.active_at(now) and covers(f.scope, resource_id)]
    if freezes:
        freeze = max(freezes, key=lambda f: (f.ends_at, f.id))
        return Frozen(
            rule_id=freeze.id,
            reason=f"A change freeze covers this resource until {freeze.ends_at:%Y-%m-%d %H:%M} UTC: {freeze.reason}",
            freeze_reason=freeze.reason,
            ends_at=freeze.ends_at,
        )

    if auto:
        grant = _best(auto)
        reason = f"Within the standing approval of grant {grant.id}."
        return Approved(rule_id=grant.id, reason=reason, grant_id=grant.id)

    grant = _best(approval)
    rule = most_specific_rule(snapshot.approver_rules, resource_id)
    if rule is None:
        return Refused(
            rule_id=grant.id,
            reason=f"Grant {grant.id} allows this with approval, but nobody is set to approve requests on this "
            "scope. Ask an admin of this scope to name approvers.",
            code=RefusalCode.NO_APPROVERS,
            missing=MissingPermission(action, resource_id),
            admins=administrators(snapshot.admins, resource_id, now),
        )
    others = _approvers_besides(rule, actor.object_id)
    if others is not None and others < rule.quorum:
        return Refused(
            rule_id=rule.id,
            reason=f"This needs {rule.quorum} approvals, but approver rule {rule.id} names only {others} "
            "approver(s) besides you. Ask an admin of this scope to add approvers.",
            code=RefusalCode.QUORUM_UNREACHABLE,
            admins=administrators(snapshot.admins, resource_id, now),
        )
    return NeedsApproval(
        rule_id=rule.id,
        reason=f"Grant {grant.id} allows this with approval: {rule.quorum} approval(s) under rule {rule.id}.",
        grant_id=grant.id,
        quorum=rule.quorum,
        approvers=tuple(sorted(rule.approvers)),
        expires_at=now + rule.approval_ttl,
    )
