"""The guardrails' chat commands, each declared once: name, usage, summary, examples, permission.

Help (:mod:`dialogs.help`) and the generated ``docs/commands.md`` (``python -m tools.gen_docs``)
are rendered from these declarations, as the actions' help is rendered from theirs, so what
``help`` says, what the docs say and what the bot understands cannot drift apart. Each
declaration has the shape of :class:`dialogs.help_text.HelpEntry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["COMMANDS", "GovernanceCommand", "Permission", "find_command"]


class Permission(StrEnum):
    """Who may run a command."""

    ANYONE = "anyone"  # anyone with an Entra identity; it shows or explains only their own things
    SCOPE_ADMIN = "scope_admin"  # an admin (an `admin` grant) of the scope the command names
    OPERATION_VIEWERS = "operation_viewers"  # the operation's requester, its scope's approvers and admins
    OPERATION_OWNERS = "operation_owners"  # the operation's requester and its scope's admins

    @property
    def text(self) -> str:
        if self is Permission.SCOPE_ADMIN:
            return "admins of the scope it names (an `admin` grant covering it)"
        if self is Permission.OPERATION_VIEWERS:
            return ("the person who asked for the operation, the approvers of its resource's scope and its admins "
                    "(an `admin` grant covering it)")
        if self is Permission.OPERATION_OWNERS:
            return "the person who asked for the operation and the admins of its scope (an `admin` grant covering it)"
        return "anyone signed in with a work account (about their own requests)"


@dataclass(frozen=True)
class GovernanceCommand:
    """One chat command of the guardrails.

    ``usage`` follows the name (``{…}`` a value, ``[…]`` optional, ``a|b`` one of them);
    ``what`` is the one-line summary; ``permission`` who may run it (checked on each run
    against the scope the command names, never against card data).
    """

    name: str
    usage: str
    what: str
    examples: tuple[str, ...]
    permission: Permission = Permission.ANYONE
    details: str = ""
    aliases: tuple[str, ...] = ()
    available: bool = True

    @property
    def summary(self) -> str:
        """The summary help shows: what it does, and for admin commands who may use it."""
        return f"{self.what} (scope admins)" if self.permission is Permission.SCOPE_ADMIN else self.what


_SUB = "/subscriptions/22222222-2222-2222-2222-222222222222"
_PROD = f"{_SUB}/resourceGroups/rg-prod"
_DEV = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev"
_OID = "00000000-0000-0000-0000-0000000000021"

COMMANDS: tuple[GovernanceCommand, ...] = (
    GovernanceCommand(
        "cancel", "[operation]",
        "alone: stop what we are doing, nothing is changed; with an operation: cancel it while it is queued",
        ("cancel", "cancel 7F3K"),
        permission=Permission.OPERATION_OWNERS,
        details="A queued operation is cancelled at once and nothing is sent to Azure, even if a worker picks "
        "it up a moment later. A running one cannot be stopped: Azure gives Switchboard no way to stop the "
        "changes it makes once started, so the answer says so and the operation runs to its end. Every "
        "cancel is recorded in the audit trail.",
    ),
    GovernanceCommand(
        "status", "[operation]",
        "where an operation stands: its state, progress, elapsed time and ARM correlation id; alone, yours in progress",
        ("status 7F3K", "status"),
        permission=Permission.OPERATION_VIEWERS,
        details="An operation is what a confirmed (and, where the policy asks, approved) request becomes: "
        "Switchboard names it when it queues it (`Operation 7F3K`) and on the request's card. The id is "
        "typed in any case. The ARM correlation id finds the change in the Azure Activity Log.",
    ),
    GovernanceCommand(
        "queue", "{operation}",
        "queue an operation held on a busy resource behind the operation that holds it",
        ("queue 9QX2",),
        permission=Permission.OPERATION_OWNERS,
        details="When you confirm a change on a resource another operation is changing, Switchboard tells you "
        "which one and since when, and holds yours: `queue` it to have it start once the other has finished, "
        "or `cancel` it. A held operation nobody queues is cancelled after 15 minutes. A request approved "
        "while you are away is queued behind at once.",
    ),
    GovernanceCommand(
        "undo", "{operation}",
        "a new request that sets the resource back to what it was before the operation (e.g. 5 → 3 nodes)",
        ("undo 7F3K",),
        permission=Permission.OPERATION_VIEWERS,
        details="Only an operation that succeeded, whose action says how it is undone, and whose resource "
        "has not changed since: otherwise the answer says why not. The undo is an ordinary request — you see "
        "its preview and confirm it, and the guardrails decide it (it may need approval). Restarts cannot be "
        "undone.",
    ),
    GovernanceCommand(
        "approvals", "",
        "requests waiting for your approval, each as its approval card: Approve or Reject right there",
        ("approvals",),
        details="Shows the approval card of each pending request whose scope's approver rule names you "
        "(directly or through a group), that you did not ask for and have not voted on — the 5 soonest to "
        "expire; when more wait it says how many: vote, then send `approvals` again for the next ones. A vote "
        "on these cards counts exactly like one on the card you were sent, and they are kept up to date with it.",
    ),
    GovernanceCommand(
        "history", "",
        "your recent operations (outcome, duration) and requests, and what became of them (approved, waiting, "
        "refused, …)",
        ("history",),
        details="Your operations of the last 30 days with their outcome and duration, then your last requests "
        "that needed approval and the policy's recent decisions on your requests, newest first, times in "
        "your time zone when Teams gives it.",
    ),
    GovernanceCommand(
        "explain", "{command}",
        "a dry run of the policy decision for you: which grant, limit, approver rule or freeze decides "
        "— nothing runs",
        ("explain scale node pool aks-prod np1 to 5", "explain restart app web-dev"),
        details="The command is read like a real one and its resource resolved, but no preview is "
        "computed and nothing is sent to Azure: a limit relative to the current value (e.g. at most +3 "
        "nodes) cannot be checked, so the answer assumes it is met and names it. Your rate limit is not "
        "counted, and nothing is recorded.",
    ),
    GovernanceCommand(
        "grants", "[user|group]",
        "the grants held by you, or by a user (mention or object id) or group",
        ("grants", f"grants {_OID}", "grants group:platform-approvers"),
        details="Your own grants are yours to see. Another person's or a group's grants are shown to "
        "admins only, and only the grants on scopes they administer.",
    ),
    GovernanceCommand(
        "grant", "{user|group} {actions} on {scope} [limits…] [for {duration}] [auto|approval|break-glass]",
        "give a user or group the right to request actions on a scope", (
            f"grant @Megan Bowen aks-scale-node-pool on {_DEV} count<=5 for 8h auto",
            f"grant group:platform-approvers * on {_PROD} count+<=3 approval",
            f"grant {_OID} admin on {_DEV}",
        ),
        permission=Permission.SCOPE_ADMIN,
        details="The principal is an @mention, an Entra object id or `group:{name}` (never a display "
        "name). Actions: names separated by commas, `*` for all, or `admin` for an admin grant. "
        "Limits: `count<=10`, `count>=1`, `count+<=3` (at most 3 more than now), `count-<=2`, "
        "`days=mon-fri`, `hours=9-17`, `tz=Europe/Berlin` (default: your time zone). Duration: "
        "`90m`, `8h`, `7d` (up to 365 days). Mode: `auto` (standing approval, the default), "
        "`approval` (waits for the scope's approvers) or `break-glass`.",
    ),
    GovernanceCommand(
        "revoke", "{grant id}", "take a grant back", ("revoke g-3f9a1c2b7d10",),
        permission=Permission.SCOPE_ADMIN,
        details="Needs an admin grant covering the grant's scope.",
    ),
    GovernanceCommand(
        "approvers", "{scope} [set {principals} quorum {N}]",
        "who approves requests on a scope (the rule that applies), or set them", (
            f"approvers {_PROD}",
            f"approvers {_PROD} set group:platform-approvers quorum 2",
            f"approvers {_DEV} set @Megan Bowen, {_OID} quorum 1",
        ),
        permission=Permission.SCOPE_ADMIN,
        details="Principals are @mentions, Entra object ids or `group:{name}`, separated by commas or "
        "spaces. The quorum is how many distinct approvers must approve (the requester never counts).",
    ),
    GovernanceCommand(
        "freeze", '{scope} until {time} "{reason}"', "declare a change freeze on a scope, from now", (
            f'freeze {_PROD} until 2026-12-28 09:00 "year-end freeze"',
            f'freeze {_DEV} until 2026-12-01T18:00+01:00 "migration"',
        ),
        permission=Permission.SCOPE_ADMIN,
        details="The time is `YYYY-MM-DD HH:MM` (in your time zone when Teams gives it, else UTC), "
        "optionally with `Z` or an offset; it must be in the future. The reason is in quotes.",
    ),
    GovernanceCommand(
        "unfreeze", "{freeze id}", "lift a change freeze", ("unfreeze frz-5be1d0a9",),
        permission=Permission.SCOPE_ADMIN,
        details="Needs an admin grant covering the freeze's scope.",
    ),
)


def find_command(word: str) -> GovernanceCommand | None:
    """The command named ``word`` (case-insensitive), or None."""
    wanted = word.strip().lower()
    return next((c for c in COMMANDS if c.name == wanted or wanted in c.aliases), None)
