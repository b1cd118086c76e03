"""The scoped administration commands: ``grants``, ``grant``, ``revoke``, ``approvers``, ``freeze``, ``unfreeze``.

Each run checks its own permission against the scope it names
(:func:`guardrails.admin.administering_grant`: an admin of ``rg-dev`` cannot grant on
``rg-prod``) and leaves an audit record on every path — made, refused (not an admin), invalid
input — appended to the audit table and emitted as a custom event with the same ids. A change
is recorded *before* it is written (so nothing is ever in effect without its record); if the
write then fails, a second record with decision ``failed`` follows.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from datetime import timedelta

from actions.quoting import quoted
from actions.registry import Registry
from governing.calls import CommandCall, CommandReply, code, plain, show_time
from governing.parsing import (
    InputError,
    PrincipalText,
    mark_mentions,
    not_a_principal,
    parse_actions,
    parse_duration,
    parse_limits,
    parse_principal,
    parse_scope,
    parse_time,
    split_words,
    unknown_principal,
    viewer_zone,
)
from governing.policy_access import PolicyAccess
from guardrails.admin import administering_grant, can_administer
from guardrails.decision import administrators, most_specific_rule
from guardrails.limits import describe_window
from guardrails.ports import RecordNotFound
from guardrails.records import (
    ALL_ACTIONS,
    DEFAULT_APPROVAL_TTL,
    Actor,
    ApproverRule,
    AuditKind,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Limits,
    Principal,
    PrincipalKind,
)
from guardrails.scopes import scope_chain, scope_key
from storage.policy_versions import PolicyStores

__all__ = ["AdminCommands", "describe_grant", "describe_limits"]

_NO_IDENTITY = (
    "I can't tell who you are on this channel (no Microsoft Entra identity), so I can't check your "
    "admin grants. Use Switchboard from Microsoft Teams signed in with your work account."
)
_MODES = {"auto": GrantMode.AUTO, "approval": GrantMode.APPROVAL}


class _Refusal(Exception):
    """A refusal to tell the admin, with what to audit."""

    def __init__(self, message: str, *, decision: str = "invalid", scope: str = "", rule_id: str = "") -> None:
        super().__init__(message)
        self.message, self.decision, self.scope, self.rule_id = message, decision, scope, rule_id


def describe_limits(limits: Limits) -> str:
    """E.g. ``count ≤ 10, count at most +3, <the window>``, or ``no limits``."""
    parts: list[str] = []
    for name in sorted(limits.parameters):
        bound = limits.parameters[name]
        if bound.minimum is not None:
            parts.append(f"{name} ≥ {bound.minimum}")
        if bound.maximum is not None:
            parts.append(f"{name} ≤ {bound.maximum}")
        if bound.max_increase is not None:
            parts.append(f"{name} at most +{bound.max_increase}")
        if bound.max_decrease is not None:
            parts.append(f"{name} at most -{bound.max_decrease}")
    if limits.window is not None:
        parts.append(describe_window(limits.window))
    return ", ".join(parts) or "no limits"


def describe_grant(grant: Grant, zone_name: str | None) -> str:
    """One line: id, principal, what, where, how, until."""
    if grant.kind is GrantKind.ADMIN:
        what = "admin"
    else:
        what = ", ".join(sorted(grant.actions)) + (" (break-glass)" if grant.kind is GrantKind.BREAK_GLASS else "")
    mode = "" if grant.kind is GrantKind.ADMIN else f" — {grant.mode.value}, {describe_limits(grant.limits)}"
    until = f" — until {show_time(grant.expires_at, zone_name)}" if grant.expires_at else ""
    return f"`{grant.id}` {grant.principal.key}: {what} on {code(grant.scope)}{mode}{until}"


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


class AdminCommands:
    """The administration commands over :class:`PolicyAccess`; ``registry`` names the actions grants may name."""

    def __init__(self, access: PolicyAccess, registry: Registry) -> None:
        self._access = access
        self._registry = registry

    # ------------------------------------------------------------------ shared
    async def _audit(self, kind: AuditKind, call: CommandCall, *, decision: str, reason: str = "", scope: str = "",
                     rule_id: str = "", **details: str) -> None:
        await self._access.record(
            kind, call.object_id or call.sender_key, scope=scope, decision=decision, rule_id=rule_id,
            reason=reason[:500], correlation_id=call.correlation_id,
            details={"via": "chat", **{k: v[:200] for k, v in details.items() if v}},
        )

    async def _run(
        self, kind: AuditKind, call: CommandCall, work: Callable[[CommandCall], Awaitable[CommandReply]]
    ) -> CommandReply:
        """Run ``work(call)``; audit and answer a refusal or an input error it raises."""
        try:
            if not call.object_id:
                raise _Refusal(_NO_IDENTITY, decision="refused")
            return await work(call)
        except InputError as exc:
            await self._audit(kind, call, decision="invalid", reason=exc.message)
            return CommandReply(exc.message)
        except _Refusal as exc:
            await self._audit(kind, call, decision=exc.decision, reason=exc.message, scope=exc.scope,
                              rule_id=exc.rule_id)
            return CommandReply(exc.message)

    async def _admin_of(self, stores: PolicyStores, call: CommandCall, scope: str, doing: str) -> Grant:
        """The caller's admin grant covering ``scope``; :class:`_Refusal` naming who could do it otherwise."""
        held = await self._access.actor_grants(stores, Actor(call.object_id, call.name))
        grant = administering_grant(held.actor, scope, held.snapshot, self._access.now())
        if grant is not None:
            return grant
        admins = administrators(
            await stores.grants.on_scopes(scope_chain(scope), GrantKind.ADMIN), scope, self._access.now()
        )
        who = ", ".join(p.key for p in admins) if admins else "the platform team (nobody administers it in chat yet)"
        raise _Refusal(
            f"You can't {doing} on {code(scope)}: you hold no admin grant covering that scope. Admins of it: {who}.",
            decision="refused", scope=scope,
        )

    async def _principal(self, stores: PolicyStores, word: str, marks: dict) -> PrincipalText:  # type: ignore[type-arg]
        found = parse_principal(word, marks)
        if found.maybe_group:
            try:
                await stores.groups.get(found.principal.id)
            except RecordNotFound:
                raise InputError(unknown_principal(word)) from None
        elif found.principal.kind is PrincipalKind.GROUP:
            try:
                await stores.groups.get(found.principal.id)
            except RecordNotFound:
                raise InputError(f"There is no Switchboard group `{found.principal.id}`.") from None
        return found

    # ------------------------------------------------------------------ grants [user|group]
    async def grants(self, call: CommandCall) -> CommandReply:
        """Your own grants; or, for an admin, another principal's grants on the scopes they administer."""
        return await self._run(AuditKind.GRANTS_VIEWED, call, self._grants)

    async def _grants(self, call: CommandCall) -> CommandReply:
        stores = await self._access.stores()
        text, marks = mark_mentions(call.text, call.mentions)
        words = split_words(text)
        now = self._access.now()
        if not words:
            held = await self._access.actor_grants(stores, Actor(call.object_id, call.name))
            mine = sorted(held.snapshot.grants, key=lambda g: g.id)
            active = [g for g in mine if g.active_at(now)]
            if not active:
                return CommandReply("You hold no grants, so every request of yours is refused. Ask an admin of the "
                                    "scope you work on for one.")
            lines = [f"Your grants ({len(active)}), yours and your groups':", ""]
            return CommandReply("\n".join([*lines, *(f"- {describe_grant(g, call.zone_name)}" for g in active)]))
        if len(words) > 1:
            raise InputError("Name one user or group: `grants [user|group]`.")
        who = await self._principal(stores, words[0], marks)
        held = await self._access.actor_grants(stores, Actor(call.object_id, call.name))
        theirs = [g for g in await stores.grants.for_principals([who.principal]) if g.active_at(now)]
        shown = [g for g in theirs if can_administer(held.actor, g.scope, held.snapshot, now)]
        if who.principal == Principal.user(call.object_id):
            shown = theirs
        hidden = len(theirs) - len(shown)
        if not shown and hidden:
            raise _Refusal(
                f"{who.shown} holds {hidden} grant(s), none on a scope you administer, so I can't show them.",
                decision="refused",
            )
        await self._audit(AuditKind.GRANTS_VIEWED, call, decision="shown", principal=who.principal.key,
                          shown=str(len(shown)), hidden=str(hidden))
        if not shown:
            return CommandReply(f"{who.shown} holds no grants.")
        lines = [f"Grants of {who.shown} ({len(shown)}):", ""]
        lines += [f"- {describe_grant(g, call.zone_name)}" for g in shown]
        if hidden:
            lines += ["", f"({hidden} more on scopes you don't administer.)"]
        return CommandReply("\n".join(lines))

    # ------------------------------------------------------------------ grant
    async def grant(self, call: CommandCall) -> CommandReply:
        """``grant {user|group} {actions} on {scope} [limits…] [for {duration}] [auto|approval|break-glass]``."""
        return await self._run(AuditKind.GRANT_ADDED, call, self._grant)

    async def _grant(self, call: CommandCall) -> CommandReply:
        usage = ("Usage: `grant {user|group} {actions} on {scope} [limits…] [for {duration}] "
                 "[auto|approval|break-glass]`.")
        text, marks = mark_mentions(call.text, call.mentions)
        words = split_words(text)
        lowered = [w.lower() for w in words]
        if "on" in lowered and lowered.index("on") > 2 and not any(w in marks for w in words[:lowered.index("on")]):
            # several words before the actions: a display name typed without an @mention
            raise InputError(not_a_principal(" ".join(words[: lowered.index("on") - 1])))
        if "on" not in lowered or lowered.index("on") != 2 or len(words) < 4:
            raise InputError(f"I need who, which actions and on which scope. {usage}")
        stores = await self._access.stores()
        who = await self._principal(stores, words[0], marks)
        scope = parse_scope(words[3])
        rest = words[4:]
        kind, mode = GrantKind.ACTION, GrantMode.AUTO
        if rest and rest[-1].lower() in (*_MODES, "break-glass"):
            word = rest.pop().lower()
            if word == "break-glass":
                kind = GrantKind.BREAK_GLASS
            else:
                mode = _MODES[word]
        duration: timedelta | None = None
        if len(rest) >= 2 and rest[-2].lower() == "for":
            duration = parse_duration(rest[-1])
            rest = rest[:-2]
        if words[1].lower() == "admin":
            if rest or kind is not GrantKind.ACTION or mode is not GrantMode.AUTO:
                raise InputError("An admin grant has no limits and no mode: `grant {user|group} admin on {scope} "
                                 "[for {duration}]`.")
            kind, actions, limits = GrantKind.ADMIN, frozenset({ALL_ACTIONS}), Limits()
        else:
            actions = parse_actions(words[1], self._registry)
            limits = parse_limits(rest, actions, self._registry, call.zone_name)
        admin = await self._admin_of(stores, call, scope, "grant")
        now = self._access.now()
        grant = Grant(
            id=_new_id("g"), principal=who.principal, actions=actions, scope=scope, kind=kind, mode=mode,
            limits=limits, expires_at=now + duration if duration else None, created_by=call.object_id, created_at=now,
            reason=f"granted in chat by {call.name or call.object_id}",
        )
        details = {"principal": who.principal.key, "actions": ",".join(sorted(actions)), "grant_kind": kind.value,
                   "mode": mode.value, "admin_grant": admin.id}
        await self._audit(AuditKind.GRANT_ADDED, call, decision="added", scope=scope, rule_id=grant.id, **details)
        try:
            await stores.grants.add(grant)
        except Exception as exc:
            with suppress(Exception):
                await self._audit(AuditKind.GRANT_ADDED, call, decision="failed", scope=scope, rule_id=grant.id,
                                  reason=type(exc).__name__, **details)
            raise
        return CommandReply(f"Granted: {describe_grant(grant, call.zone_name)}.\nRevoke it with `revoke {grant.id}`.")

    # ------------------------------------------------------------------ revoke
    async def revoke(self, call: CommandCall) -> CommandReply:
        """``revoke {grant id}``: needs an admin grant covering the grant's scope."""
        return await self._run(AuditKind.GRANT_REVOKED, call, self._revoke)

    async def _revoke(self, call: CommandCall) -> CommandReply:
        words = split_words(call.text)
        if len(words) != 1:
            raise InputError("Name one grant by its id: `revoke {grant id}` (`grants` lists ids).")
        stores = await self._access.stores()
        try:
            grant = await stores.grants.get(words[0])
        except RecordNotFound:
            raise InputError(f"There is no grant {quoted(words[0], 64)}. `grants {{user|group}}` lists ids.") from None
        admin = await self._admin_of(stores, call, grant.scope, "revoke grants")
        details = {"principal": grant.principal.key, "admin_grant": admin.id}
        await self._audit(AuditKind.GRANT_REVOKED, call, decision="revoked", scope=grant.scope, rule_id=grant.id,
                          **details)
        try:
            await stores.grants.revoke(grant.id)
        except RecordNotFound:
            pass  # revoked meanwhile by someone else: the end state is the one asked for
        except Exception as exc:
            with suppress(Exception):
                await self._audit(AuditKind.GRANT_REVOKED, call, decision="failed", scope=grant.scope,
                                  rule_id=grant.id, reason=type(exc).__name__, **details)
            raise
        return CommandReply(f"Revoked: {describe_grant(grant, call.zone_name)}.")

    # ------------------------------------------------------------------ approvers
    async def approvers(self, call: CommandCall) -> CommandReply:
        """``approvers {scope}`` shows the rule that applies; ``… set {principals} quorum N`` sets the scope's rule."""
        return await self._run(AuditKind.APPROVERS_CHANGED, call, self._approvers)

    async def _approvers(self, call: CommandCall) -> CommandReply:
        text, marks = mark_mentions(call.text, call.mentions)
        words = split_words(text)
        if not words:
            raise InputError("Name the scope: `approvers {scope} [set {principals} quorum {N}]`.")
        scope = parse_scope(words[0])
        stores = await self._access.stores()
        if len(words) == 1:
            await self._admin_of(stores, call, scope, "see the approvers")
            rules = await stores.rules.on_scopes(scope_chain(scope))
            rule = most_specific_rule(rules, scope)
            await self._audit(AuditKind.APPROVERS_CHANGED, call, decision="shown", scope=scope,
                              rule_id=rule.id if rule else "")
            if rule is None:
                return CommandReply(f"Nobody approves requests on {code(scope)}: requests that need approval there are "
                                    "refused. Set approvers with `approvers {scope} set {principals} quorum {N}`.")
            return CommandReply(_describe_rule(rule, scope))
        return await self._set_approvers(call, stores, scope, words[1:], marks)

    async def _set_approvers(self, call: CommandCall, stores: PolicyStores, scope: str, words: Sequence[str],
                             marks: dict) -> CommandReply:  # type: ignore[type-arg]
        usage = "Usage: `approvers {scope} set {principals} quorum {N}`."
        lowered = [w.lower().strip(",") for w in words]
        if lowered[0] != "set" or "quorum" not in lowered or lowered.index("quorum") != len(words) - 2:
            raise InputError(f"I need the approvers and the quorum. {usage}")
        names = [w for part in words[1:-2] for w in part.split(",") if w.strip()]
        if not names:
            raise InputError(f"Name at least one approver. {usage}")
        try:
            quorum = int(words[-1])
        except ValueError:
            raise InputError(f"The quorum is a whole number of approvers, got {quoted(words[-1], 20)}.") from None
        principals = [await self._principal(stores, name, marks) for name in names]
        approvers = frozenset(p.principal for p in principals)
        users = {p.id for p in approvers if p.kind is PrincipalKind.USER}
        has_group = any(p.kind is PrincipalKind.GROUP for p in approvers)
        if quorum < 1:
            raise InputError("The quorum is at least 1.")
        if not has_group and quorum > len(users):
            raise InputError(f"A quorum of {quorum} needs at least {quorum} approvers; you named {len(users)}.")
        admin = await self._admin_of(stores, call, scope, "set approvers")
        existing = await stores.rules.on_scopes([scope_key(scope)])
        now = self._access.now()
        rule = ApproverRule(
            id=existing[0].id if existing else _new_id("ar"), scope=scope, approvers=approvers, quorum=quorum,
            approval_ttl=existing[0].approval_ttl if existing else DEFAULT_APPROVAL_TTL,
            created_by=call.object_id, created_at=now,
        )
        details = {"approvers": ",".join(sorted(p.key for p in approvers)), "quorum": str(quorum),
                   "admin_grant": admin.id}
        await self._audit(AuditKind.APPROVERS_CHANGED, call, decision="set", scope=scope, rule_id=rule.id, **details)
        try:
            await stores.rules.put(rule)
        except Exception as exc:
            with suppress(Exception):
                await self._audit(AuditKind.APPROVERS_CHANGED, call, decision="failed", scope=scope, rule_id=rule.id,
                                  reason=type(exc).__name__, **details)
            raise
        return CommandReply("Set. " + _describe_rule(rule, scope))

    # ------------------------------------------------------------------ freeze / unfreeze
    async def freeze(self, call: CommandCall) -> CommandReply:
        """``freeze {scope} until {time} "reason"``: from now until then (stored in UTC)."""
        return await self._run(AuditKind.FREEZE_DECLARED, call, self._freeze)

    async def _freeze(self, call: CommandCall) -> CommandReply:
        usage = ('Usage: `freeze {scope} until {time} "{reason}"`, '
                 'e.g. `freeze {scope} until 2026-12-28 09:00 "year-end"`.')
        words = split_words(call.text)
        if len(words) < 3 or words[1].lower() != "until":
            raise InputError(f"I need the scope and until when. {usage}")
        scope = parse_scope(words[0])
        ends_at, used = parse_time(words[2:], viewer_zone(call.zone_name))
        reason = " ".join(words[2 + used:]).strip()
        if not reason:
            raise InputError(f"A freeze needs a reason, in double quotes after the time. {usage}")
        now = self._access.now()
        if ends_at <= now:
            raise InputError(f"{show_time(ends_at, call.zone_name)} is already past (it is "
                             f"{show_time(now, call.zone_name)} now): give an end in the future.")
        stores = await self._access.stores()
        admin = await self._admin_of(stores, call, scope, "declare a freeze")
        freeze = Freeze(id=_new_id("frz"), scope=scope, starts_at=now, ends_at=ends_at, reason=reason[:500],
                        declared_by=call.object_id, declared_at=now)
        details = {"ends_at": ends_at.isoformat(), "admin_grant": admin.id}
        await self._audit(AuditKind.FREEZE_DECLARED, call, decision="declared", scope=scope, rule_id=freeze.id,
                          reason=freeze.reason, **details)
        try:
            await stores.freezes.add(freeze)
        except Exception as exc:
            with suppress(Exception):
                await self._audit(AuditKind.FREEZE_DECLARED, call, decision="failed", scope=scope, rule_id=freeze.id,
                                  reason=type(exc).__name__, **details)
            raise
        until = show_time(ends_at, call.zone_name)
        return CommandReply(f"Frozen: {code(scope)} until {until} ({plain(freeze.reason)}). "
                            f"Requests there are refused until then. Lift it with `unfreeze {freeze.id}`.")

    async def unfreeze(self, call: CommandCall) -> CommandReply:
        """``unfreeze {freeze id}``: needs an admin grant covering the freeze's scope."""
        return await self._run(AuditKind.FREEZE_LIFTED, call, self._unfreeze)

    async def _unfreeze(self, call: CommandCall) -> CommandReply:
        words = split_words(call.text)
        if len(words) != 1:
            raise InputError("Name one freeze by its id: `unfreeze {freeze id}`.")
        stores = await self._access.stores()
        try:
            freeze = await stores.freezes.get(words[0])
        except RecordNotFound:
            raise InputError(f"There is no freeze {quoted(words[0], 64)}.") from None
        admin = await self._admin_of(stores, call, freeze.scope, "lift a freeze")
        details = {"admin_grant": admin.id}
        await self._audit(AuditKind.FREEZE_LIFTED, call, decision="lifted", scope=freeze.scope, rule_id=freeze.id,
                          **details)
        try:
            await stores.freezes.remove(freeze.id)
        except RecordNotFound:
            pass  # lifted meanwhile: the end state is the one asked for
        except Exception as exc:
            with suppress(Exception):
                await self._audit(AuditKind.FREEZE_LIFTED, call, decision="failed", scope=freeze.scope,
                                  rule_id=freeze.id, reason=type(exc).__name__, **details)
            raise
        return CommandReply(f"Lifted freeze {code(freeze.id)} on {code(freeze.scope)} ({plain(freeze.reason)}).")


def _describe_rule(rule: ApproverRule, scope: str) -> str:
    names = ", ".join(sorted(p.key for p in rule.approvers))
    where = "" if scope_key(rule.scope) == scope_key(scope) else f" (from {code(rule.scope)}, which covers it)"
    hours = rule.approval_ttl.total_seconds() / 3600
    return (f"Approvers on {code(scope)}{where}: {names}; quorum {rule.quorum}; a request waits {hours:g} h. "
            f"Rule `{rule.id}`.")
