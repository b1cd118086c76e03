"""The guardrail records: who may do what where, approvals, freezes and the audit trail.

Plain frozen dataclasses, validated on construction (a bad record cannot be built, so it cannot
be stored): every time is timezone-aware and converted to UTC, every scope is one
:mod:`guardrails.scopes` accepts. The stores (:mod:`guardrails.ports`) persist them; the pure
functions of this package decide with them. Concurrency (ETags) is the stores' business:
no record carries an ETag.

Identity is the Entra object id (``aad_object_id``), never a display name and never anything
taken from card data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions.spec import ArgValue, Preview
from guardrails.scopes import ScopeError, scope_segments

__all__ = [
    "ALL_ACTIONS",
    "DEFAULT_APPROVAL_TTL",
    "MAX_APPROVAL_TTL",
    "Actor",
    "ApprovalRequest",
    "ApprovalStatus",
    "ApproverRule",
    "AuditKind",
    "AuditRecord",
    "Freeze",
    "Grant",
    "GrantKind",
    "GrantMode",
    "Group",
    "Limits",
    "ParameterLimit",
    "Principal",
    "PrincipalKind",
    "RateLimit",
    "TimeWindow",
    "Vote",
    "VoteChoice",
]

ALL_ACTIONS = "*"
"""In :attr:`Grant.actions`: every action."""

DEFAULT_APPROVAL_TTL = timedelta(hours=24)
"""How long an approval request waits for its quorum unless the scope's rule says otherwise."""

MAX_APPROVAL_TTL = timedelta(days=30)


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware (UTC), got a naive datetime.")


def _in_utc(record: object, *names: str) -> None:
    """Check the named datetime fields are aware and store them in UTC (the same instants)."""
    for name in names:
        value = getattr(record, name)
        _aware(name, value)
        if value is not None:
            object.__setattr__(record, name, value.astimezone(UTC))


def _scope(name: str, value: str) -> None:
    try:
        scope_segments(value)
    except ScopeError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _text(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} cannot be empty.")


def _now() -> datetime:
    return datetime.now(UTC)


class PrincipalKind(StrEnum):
    USER = "user"  # an Entra user, by object id
    GROUP = "group"  # a group kept by Switchboard (:class:`Group`), by name


@dataclass(frozen=True, order=True)
class Principal:
    """Who a grant or an approver rule names: a user (Entra object id) or a Switchboard group (name).

    The id is normalized to lower case (object ids are GUIDs; group names are case-insensitive).
    :attr:`key` (``user:<oid>`` / ``group:<name>``) is the text form stores key rows by.
    """

    kind: PrincipalKind
    id: str

    def __post_init__(self) -> None:
        _text("A principal's id", self.id)
        object.__setattr__(self, "kind", PrincipalKind(self.kind))
        object.__setattr__(self, "id", self.id.strip().lower())

    @classmethod
    def user(cls, object_id: str) -> Principal:
        return cls(PrincipalKind.USER, object_id)

    @classmethod
    def group(cls, name: str) -> Principal:
        return cls(PrincipalKind.GROUP, name)

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, key: str) -> Principal:
        """The principal of a :attr:`key`; raises ValueError for anything else."""
        kind, sep, ident = key.partition(":")
        if not sep or kind not in {k.value for k in PrincipalKind}:
            raise ValueError(f"A principal is user:<object id> or group:<name>, got {key[:80]!r}.")
        return cls(PrincipalKind(kind), ident)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Actor:
    """A person acting now: their Entra object id and the Switchboard groups they belong to.

    ``object_id`` is empty when the channel gave no Entra identity; such an actor holds nothing.
    ``groups`` are group names (lower-cased), resolved by the group store before deciding.
    """

    object_id: str
    name: str = ""
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "object_id", (self.object_id or "").strip().lower())
        object.__setattr__(self, "groups", frozenset(g.strip().lower() for g in self.groups if g.strip()))

    @property
    def identified(self) -> bool:
        return bool(self.object_id)

    @property
    def principal(self) -> Principal:
        """The actor as a user principal; raises ValueError when unidentified."""
        return Principal.user(self.object_id)

    @property
    def principals(self) -> frozenset[Principal]:
        """Every principal whose grants this actor holds: themselves and their groups (empty if unidentified)."""
        if not self.identified:
            return frozenset()
        return frozenset({Principal.user(self.object_id), *(Principal.group(g) for g in self.groups)})


@dataclass(frozen=True)
class Group:
    """A group of users kept by Switchboard; ``members`` are Entra object ids (lower-cased)."""

    name: str
    members: frozenset[str] = frozenset()
    description: str = ""
    created_by: str = ""
    created_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        _text("A group's name", self.name)
        _in_utc(self, "created_at")
        object.__setattr__(self, "name", self.name.strip().lower())
        object.__setattr__(self, "members", frozenset(m.strip().lower() for m in self.members if m.strip()))

    @property
    def principal(self) -> Principal:
        return Principal.group(self.name)


@dataclass(frozen=True)
class ParameterLimit:
    """Bounds on one integer parameter, all inclusive; ``None`` means unbounded.

    ``minimum``/``maximum`` bound the requested value; ``max_increase``/``max_decrease`` bound
    the change from the resource's current value (the request's ``before``), e.g.
    ``max_increase=3``: from 4 nodes at most to 7.
    """

    minimum: int | None = None
    maximum: int | None = None
    max_increase: int | None = None
    max_decrease: int | None = None

    def __post_init__(self) -> None:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}.")
        for name in ("max_increase", "max_decrease"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} cannot be negative, got {value}.")

    @property
    def relative(self) -> bool:
        """Whether checking it needs the current value."""
        return self.max_increase is not None or self.max_decrease is not None


@dataclass(frozen=True)
class TimeWindow:
    """When a grant may be used: some weekdays, from ``start_hour`` (inclusive) to ``end_hour``
    (exclusive), in wall-clock time of the IANA zone ``time_zone`` (e.g. ``Europe/Berlin``).

    ``days`` are ISO weekday numbers of the local date (1 Monday … 7 Sunday). Daylight saving
    is the zone's: 09-17 in Europe/Berlin is 08-16 UTC in winter and 07-15 UTC in summer. A
    window never wraps midnight (use two grants for a night shift).
    """

    time_zone: str
    days: frozenset[int] = frozenset(range(1, 8))
    start_hour: int = 0
    end_hour: int = 24

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.time_zone!r} is not an IANA time zone (e.g. Europe/Berlin).") from None
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days or not self.days <= frozenset(range(1, 8)):
            raise ValueError("days are ISO weekdays 1 (Monday) … 7 (Sunday), at least one.")
        if not 0 <= self.start_hour < self.end_hour <= 24:
            raise ValueError(f"hours must satisfy 0 <= start < end <= 24, got {self.start_hour}-{self.end_hour}.")

    def contains(self, moment: datetime) -> bool:
        """Whether the aware ``moment`` falls inside the window (local weekday and hour)."""
        _aware("moment", moment)
        local = moment.astimezone(ZoneInfo(self.time_zone))
        return local.isoweekday() in self.days and self.start_hour <= local.hour < self.end_hour


@dataclass(frozen=True)
class Limits:
    """What a grant allows beyond the action and scope: per-parameter bounds and an optional time window.

    A parameter limit applies only to requests that carry that parameter (a limit on ``count``
    does not stop a restart, which has no count).
    """

    parameters: Mapping[str, ParameterLimit] = field(default_factory=dict)
    window: TimeWindow | None = None

    @property
    def unlimited(self) -> bool:
        return not self.parameters and self.window is None


class GrantKind(StrEnum):
    ACTION = "action"  # may request the actions on the scope, within the limits
    ADMIN = "admin"  # may manage grants, approver rules and freezes on the scope (not run actions)
    BREAK_GLASS = "break_glass"  # may skip approval and freezes for one explicit, reasoned request


class GrantMode(StrEnum):
    AUTO = "auto"  # within the limits, the request runs with no human: a standing approval
    APPROVAL = "approval"  # within the limits, the request waits for the scope's approvers


@dataclass(frozen=True)
class Grant:
    """A principal may request ``actions`` (names, or :data:`ALL_ACTIONS`) on resources under ``scope``.

    ``expires_at`` (exclusive) makes it a just-in-time grant; an expired grant is ignored.
    ``mode`` and ``limits`` matter for :attr:`GrantKind.ACTION` and :attr:`GrantKind.BREAK_GLASS`
    grants; an :attr:`GrantKind.ADMIN` grant ignores its actions and limits.
    """

    id: str
    principal: Principal
    actions: frozenset[str]
    scope: str
    kind: GrantKind = GrantKind.ACTION
    mode: GrantMode = GrantMode.AUTO
    limits: Limits = field(default_factory=Limits)
    expires_at: datetime | None = None
    created_by: str = ""
    created_at: datetime = field(default_factory=_now)
    reason: str = ""

    def __post_init__(self) -> None:
        _text("A grant's id", self.id)
        _scope("A grant's scope", self.scope)
        _in_utc(self, "expires_at", "created_at")
        object.__setattr__(self, "kind", GrantKind(self.kind))
        object.__setattr__(self, "mode", GrantMode(self.mode))
        actions = frozenset(a.strip().lower() for a in self.actions if a.strip())
        if not actions:
            raise ValueError("A grant names at least one action (or * for all).")
        object.__setattr__(self, "actions", actions)

    def active_at(self, now: datetime) -> bool:
        """Not expired at ``now`` (expiry is exclusive: at ``expires_at`` it no longer holds)."""
        return self.expires_at is None or now < self.expires_at

    def allows_action(self, action: str) -> bool:
        return ALL_ACTIONS in self.actions or action.strip().lower() in self.actions


@dataclass(frozen=True)
class ApproverRule:
    """Who approves requests under ``scope``: ``quorum`` distinct approvers among ``approvers``.

    The most specific rule covering a resource applies (a rule on a resource group overrides one
    on its subscription). ``approval_ttl``: how long a request waits before it expires.
    """

    id: str
    scope: str
    approvers: frozenset[Principal]
    quorum: int = 1
    approval_ttl: timedelta = DEFAULT_APPROVAL_TTL
    created_by: str = ""
    created_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        _text("An approver rule's id", self.id)
        _scope("An approver rule's scope", self.scope)
        _in_utc(self, "created_at")
        object.__setattr__(self, "approvers", frozenset(self.approvers))
        if not self.approvers:
            raise ValueError("An approver rule names at least one approver.")
        if self.quorum < 1:
            raise ValueError(f"quorum must be at least 1, got {self.quorum}.")
        if not timedelta(minutes=1) <= self.approval_ttl <= MAX_APPROVAL_TTL:
            raise ValueError(f"approval_ttl must be between 1 minute and {MAX_APPROVAL_TTL.days} days.")


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def decided(self) -> bool:
        return self is not ApprovalStatus.PENDING


class VoteChoice(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Vote:
    """One approver's decision on an approval request. ``via``: the rule's principal that made them an approver."""

    voter_id: str  # Entra object id
    choice: VoteChoice
    at: datetime
    via: Principal
    voter_name: str = ""
    comment: str = ""

    def __post_init__(self) -> None:
        _text("A vote's voter id", self.voter_id)
        _in_utc(self, "at")
        object.__setattr__(self, "voter_id", self.voter_id.strip().lower())
        object.__setattr__(self, "choice", VoteChoice(self.choice))


@dataclass(frozen=True)
class ApprovalRequest:
    """A request waiting for (or decided by) its scope's approvers, bound to the exact change.

    ``args`` are the resolved arguments, ``preview``/``before`` what the requester saw (``before``:
    the current integer values, parameter -> value). ``plan_hash`` (:func:`guardrails.plan.plan_hash`)
    covers action, resource, arguments and current values: what later runs must hash the same.
    ``rule_id``/``quorum`` are those of the approver rule that applied when it was created;
    ``grant_id`` the approval-mode grant that allowed it. ``conversation``: the serialized
    conversation reference to tell the requester. Times are UTC.
    """

    id: str
    requester_id: str
    action: str
    resource_id: str
    args: Mapping[str, ArgValue]
    preview: Preview
    plan_hash: str
    rule_id: str
    quorum: int
    expires_at: datetime
    requester_name: str = ""
    before: Mapping[str, int] = field(default_factory=dict)
    reason: str = ""
    grant_id: str = ""
    status: ApprovalStatus = ApprovalStatus.PENDING
    votes: tuple[Vote, ...] = ()
    created_at: datetime = field(default_factory=_now)
    decided_at: datetime | None = None
    conversation: Mapping[str, Any] = field(default_factory=dict)
    correlation_id: str = ""

    def __post_init__(self) -> None:
        _text("An approval request's id", self.id)
        _text("An approval request's requester id", self.requester_id)
        _scope("An approval request's resource id", self.resource_id)
        _in_utc(self, "expires_at", "created_at", "decided_at")
        object.__setattr__(self, "requester_id", self.requester_id.strip().lower())
        object.__setattr__(self, "status", ApprovalStatus(self.status))
        object.__setattr__(self, "votes", tuple(self.votes))
        if self.quorum < 1:
            raise ValueError(f"quorum must be at least 1, got {self.quorum}.")

    @property
    def approvals(self) -> tuple[Vote, ...]:
        return tuple(v for v in self.votes if v.choice is VoteChoice.APPROVE)

    def voted(self, voter_id: str) -> bool:
        voter = voter_id.strip().lower()
        return any(v.voter_id == voter for v in self.votes)


@dataclass(frozen=True)
class Freeze:
    """A change freeze on ``scope`` from ``starts_at`` (inclusive) to ``ends_at`` (exclusive), both UTC."""

    id: str
    scope: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    declared_by: str = ""
    declared_at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        _text("A freeze's id", self.id)
        _scope("A freeze's scope", self.scope)
        _text("A freeze's reason", self.reason)
        _in_utc(self, "starts_at", "ends_at", "declared_at")
        if self.ends_at <= self.starts_at:
            raise ValueError("A freeze ends after it starts.")

    def active_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class AuditKind(StrEnum):
    REQUEST = "request"  # a confirmed request reached the guardrails
    DECISION = "decision"  # the policy decided (verdict and rule id in the record)
    VOTE = "vote"  # an approval vote was recorded
    VOTE_REFUSED = "vote_refused"  # a vote was refused (self-approval, not an approver, replay, …)
    APPROVAL_DECIDED = "approval_decided"  # approved / rejected / expired / cancelled
    RECHECK = "recheck"  # the decision re-made just before execution
    BREAK_GLASS = "break_glass"
    FREEZE_DECLARED = "freeze_declared"
    FREEZE_LIFTED = "freeze_lifted"
    GRANT_ADDED = "grant_added"
    GRANT_REVOKED = "grant_revoked"
    GRANTS_VIEWED = "grants_viewed"  # an admin listed another person's or a group's grants (or was refused)
    APPROVERS_CHANGED = "approvers_changed"
    GROUP_CHANGED = "group_changed"
    POLICY_IMPORTED = "policy_imported"  # a policy file replaced the whole policy (decision: activated / failed)
    ADMIN_BOOTSTRAPPED = "admin_bootstrapped"  # an admin grant added from the command line, outside any chat
    EXECUTION_STARTED = "execution_started"  # an operation's platform call is about to be sent (queued -> running)
    EXECUTION_ENDED = "execution_ended"  # an operation ended: succeeded / failed / timed_out / cancelled
    NOTICE_FAILED = "notice_failed"  # a notice about an operation could not be delivered (the outcome stands)
    CANCEL_REQUESTED = "cancel_requested"  # `cancel <operation>`: cancelled / refused / not_cancellable / already_ended
    UNDO = "undo"  # `undo <operation>`: planned (a new request follows) / refused (the reason says why)


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the append-only audit trail (also emitted as a telemetry event with the same ids).

    ``actor`` is an Entra object id (or ``system``); ``scope`` the resource id or scope concerned;
    ``decision`` the verdict or vote (``approved``, ``refused``, ``approve`` …); ``rule_id`` the
    grant, approver rule, freeze or limit that decided; ``details`` short facts, never secrets.
    """

    id: str
    at: datetime
    kind: AuditKind
    actor: str
    action: str = ""
    scope: str = ""
    request_id: str = ""
    correlation_id: str = ""
    decision: str = ""
    rule_id: str = ""
    reason: str = ""
    break_glass: bool = False
    details: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _text("An audit record's id", self.id)
        _in_utc(self, "at")
        object.__setattr__(self, "kind", AuditKind(self.kind))


@dataclass(frozen=True)
class RateLimit:
    """At most ``max_requests`` requests per person in each fixed ``window`` (aligned to the Unix epoch).

    Fixed windows keep the counter one row per person and window; at a window's boundary a person
    may send up to twice the limit within a short time, which is the accepted trade-off.
    """

    max_requests: int = 20
    window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_requests < 1:
            raise ValueError(f"max_requests must be at least 1, got {self.max_requests}.")
        if self.window < timedelta(seconds=1):
            raise ValueError("window must be at least one second.")

    def window_start(self, now: datetime) -> datetime:
        """Start (UTC) of the window ``now`` falls in."""
        _aware("now", now)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        elapsed = (now - epoch) // self.window
        return epoch + elapsed * self.window

    def window_end(self, now: datetime) -> datetime:
        return self.window_start(now) + self.window
