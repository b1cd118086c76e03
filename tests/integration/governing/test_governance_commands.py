"""The guardrails' chat commands through the real bot (botbuilder's TestAdapter), the policy and audit stores
on Azurite, and the ARM sandbox for ``explain``.

Alex administers rg-dev (an ``admin`` grant there) and holds an ``auto`` grant on it; Megan administers
everything (``/``). Every admin command leaves an audit record — made, refused or invalid — in the audit
table and as a ``SwitchboardAudit`` custom event with the same id.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botbuilder.core import MemoryStorage

from actions.context import ActionContext
from actions.registry import Registry, default_registry
from actions.settings import ArmSettings
from actions.spec import Change, Preview
from app.direct import DirectRequestHandler
from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from dialogs import Conversations
from governing import CommandCall, GovernanceCommands, PolicyAccess
from guardrails.ports import AuditQuery
from guardrails.records import (
    ApprovalRequest,
    ApproverRule,
    AuditKind,
    AuditRecord,
    Freeze,
    Grant,
    GrantKind,
    GrantMode,
    Group,
    Limits,
    ParameterLimit,
    Principal,
    Vote,
    VoteChoice,
)
from storage import TableProvider
from storage.policy_versions import PolicyStores
from telemetry.audit_events import AuditEventEmitter
from telemetry.custom_events import CustomEventEmitter
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.connector import TEST_TENANT_ID
from tests.support.table_storage import RecordingTransport
from tests.unit.dialogs.conftest import (
    ALEX,
    FAST_CLIENTS,
    FAST_TABLES,
    MEGAN,
    Chat,
    ConnectorStandIn,
    MemoryReferences,
    Person,
    texts,
)

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday
DEV = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev"
DEV2 = f"/subscriptions/{DEV_SUBSCRIPTION_ID}/resourceGroups/rg-dev2"
PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod"
PROD_POOL = f"{PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod/agentPools/np1"
ADELE = Person("29:user-adele", "00000000-0000-0000-0000-0000000000022", "Adele Vance")


class Events(logging.Handler):
    """Collects the custom events an :class:`AuditEventEmitter` logs (the records' ``extra`` attributes)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def audit_ids(self) -> list[str]:
        return [str(getattr(r, "audit_id", "")) for r in self.records]


@pytest.fixture
def events(unique_name: str) -> Iterator[Events]:
    handler = Events()
    logger = logging.getLogger(f"switchboard.test.audit.{unique_name}")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
async def tables(storage_connection_string: str) -> AsyncIterator[TableProvider]:
    async with TableProvider(connection_string=storage_connection_string, options=FAST_TABLES) as provider:
        yield provider


@pytest.fixture
def namespace(unique_name: str) -> str:
    return f"t{unique_name}"


@pytest.fixture
async def policy(tables: TableProvider, namespace: str) -> PolicyStores:
    """The initial policy version: Alex administers rg-dev and may act there at once; Megan administers all."""
    stores = PolicyStores.for_version(tables, "", namespace=namespace)
    await stores.grants.add(Grant("alex-dev-admin", Principal.user(ALEX.aad_object_id), frozenset({"*"}), DEV,
                                  kind=GrantKind.ADMIN, created_at=NOW))
    await stores.grants.add(Grant("alex-dev-auto", Principal.user(ALEX.aad_object_id), frozenset({"*"}), DEV,
                                  limits=Limits({"count": ParameterLimit(minimum=1, maximum=5)}), created_at=NOW))
    await stores.grants.add(Grant("megan-root-admin", Principal.user(MEGAN.aad_object_id), frozenset({"*"}), "/",
                                  kind=GrantKind.ADMIN, created_at=NOW))
    await stores.groups.put(Group("platform-approvers", frozenset({MEGAN.aad_object_id, ADELE.aad_object_id}),
                                  created_at=NOW))
    return stores


@pytest.fixture
def access(tables: TableProvider, namespace: str, events: Events, unique_name: str) -> PolicyAccess:
    emitter = AuditEventEmitter(CustomEventEmitter(f"switchboard.test.audit.{unique_name}"))
    return PolicyAccess(tables, namespace=namespace, events=emitter, clock=lambda: NOW)


@pytest.fixture
async def actions(sandbox: SandboxHandle) -> AsyncIterator[ActionContext]:
    arm = ArmSettings(sandbox_url=sandbox.url, subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
                      discovery_timeout_seconds=30.0)
    async with ActionContext(arm, options=FAST_CLIENTS) as context:
        yield context


@pytest.fixture
def chat(access: PolicyAccess, policy: PolicyStores, actions: ActionContext) -> Chat:
    registry: Registry = default_registry()
    states = BotStates.create(MemoryStorage(), private_conversation=True)
    assert states.private_conversation is not None
    conversations = Conversations(
        state=states.private_conversation, registry=registry, actions=actions,
        handler=DirectRequestHandler(registry, actions, budget=60.0),
        governance=GovernanceCommands(access, registry),
    )
    bot = SwitchboardBot(states=states, references=MemoryReferences(), allowed_tenants=[TEST_TENANT_ID],
                         conversations=conversations)

    async def logic(turn_context: Any) -> None:
        await bot.on_turn(turn_context)

    return Chat(ConnectorStandIn(logic))


async def say(chat: Chat, person: Person, text: str, **fields: Any) -> str:
    """``person`` types ``text``; the bot's one text reply."""
    [reply] = texts(await chat.send(chat.activity(person, text=text, **fields)))
    return reply


def mention(person: Person, *, with_object_id: bool = True) -> dict[str, Any]:
    mentioned = {"id": person.user_id, "name": person.name}
    if with_object_id:
        mentioned["aadObjectId"] = person.aad_object_id
    return {"type": "mention", "mentioned": mentioned, "text": f"<at>{person.name}</at>"}


async def audit_of(access: PolicyAccess, person: Person, kind: AuditKind) -> list[AuditRecord]:
    return await access.audit.query(AuditQuery(actor=person.aad_object_id, kind=kind))


# ---------------------------------------------------------------------- help
async def test_help_lists_the_guardrail_commands_and_explains_who_may_use_one(chat: Chat) -> None:
    overview = await say(chat, ALEX, "help")
    for line in ("- `approvals` —", "- `history` —", "- `explain {command}` —", "- `grants [user|group]` —",
                 "- `revoke {grant id}` — take a grant back (scope admins)", "- `unfreeze {freeze id}` —",
                 '- `freeze {scope} until {time} "{reason}"` —', "- `approvers {scope} [set {principals} quorum {N}]`"):
        assert line in overview
    assert "coming soon" not in overview.split("Operations (")[0]
    freeze_help = await say(chat, ALEX, "help freeze")
    assert 'Usage: `freeze {scope} until {time} "{reason}"`' in freeze_help
    assert "Who may use it: admins of the scope it names" in freeze_help


# ---------------------------------------------------------------------- grant: confinement, audit, bad input
async def test_an_admin_of_rg_dev_grants_there_with_a_mention_and_the_grant_and_its_audit_are_stored(
    chat: Chat, access: PolicyAccess, policy: PolicyStores, events: Events
) -> None:
    reply = await say(chat, ALEX, f"grant {MEGAN.name} aks-scale-node-pool on {DEV} count<=4 for 8h approval",
                      entities=[mention(MEGAN)])

    assert reply.startswith("Granted: `g-")
    [granted] = [g for g in await policy.grants.for_principals([Principal.user(MEGAN.aad_object_id)])
                 if g.id != "megan-root-admin"]
    assert (granted.actions, granted.scope, granted.mode) == (frozenset({"aks-scale-node-pool"}), DEV,
                                                              GrantMode.APPROVAL)
    assert granted.limits.parameters["count"].maximum == 4
    assert granted.expires_at == NOW + timedelta(hours=8)
    assert granted.created_by == ALEX.aad_object_id
    [record] = await audit_of(access, ALEX, AuditKind.GRANT_ADDED)
    assert (record.decision, record.rule_id, record.scope) == ("added", granted.id, DEV)
    assert record.details["principal"] == f"user:{MEGAN.aad_object_id}"
    assert record.details["admin_grant"] == "alex-dev-admin"
    assert events.audit_ids() == [record.id]


@pytest.mark.parametrize("scope", [PROD, DEV2, f"/subscriptions/{DEV_SUBSCRIPTION_ID}"])
async def test_an_admin_of_rg_dev_cannot_grant_outside_it_and_the_refusal_is_audited(
    chat: Chat, access: PolicyAccess, policy: PolicyStores, events: Events, scope: str
) -> None:
    reply = await say(chat, ALEX, f"grant {ADELE.aad_object_id} aks-scale-node-pool on {scope}")

    assert reply == (f"You can't grant on `{scope}`: you hold no admin grant covering that scope. "
                     f"Admins of it: user:{MEGAN.aad_object_id}.")
    assert await policy.grants.for_principals([Principal.user(ADELE.aad_object_id)]) == []
    [record] = await audit_of(access, ALEX, AuditKind.GRANT_ADDED)
    assert (record.decision, record.scope) == ("refused", scope)
    assert events.audit_ids() == [record.id]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (f"grant Megan aks-scale-node-pool on {DEV}",
         "There is no user or group 'Megan'. Name a person by @mentioning them"),
        (f"grant {ADELE.aad_object_id} aks-scale-node-pool on rg-dev", "'rg-dev' is not a scope: A scope starts with"),
        (f"grant {ADELE.aad_object_id} scale-everything on {DEV}", "'scale-everything' is not an action. Actions:"),
        (f"grant {ADELE.aad_object_id} aks-scale-node-pool on {DEV} nodes<=3",
         "'nodes' is not a whole-number parameter of these actions (they have: count)."),
        (f"grant {ADELE.aad_object_id} aks-scale-node-pool on {DEV} for 2 weeks", "is not a limit"),
        (f"grant {MEGAN.name} aks-scale-node-pool on {DEV}", "I can't tell who 'Megan Bowen' is. Name a person by "
         "@mentioning them or by their Entra object id, or a Switchboard group as group:{name}; a display name alone "
         "is not accepted."),
    ],
)
async def test_bad_grant_input_gets_a_precise_answer_changes_nothing_and_is_audited(
    chat: Chat, access: PolicyAccess, policy: PolicyStores, command: str, answer: str
) -> None:
    reply = await say(chat, ALEX, command)

    assert answer in reply
    assert await policy.grants.for_principals([Principal.user(ADELE.aad_object_id)]) == []
    [record] = await audit_of(access, ALEX, AuditKind.GRANT_ADDED)
    assert record.decision == "invalid"
    assert answer in record.reason


async def test_a_mention_without_an_object_id_is_not_taken_for_a_person(chat: Chat, policy: PolicyStores) -> None:
    reply = await say(chat, ALEX, f"grant {MEGAN.name} aks-scale-node-pool on {DEV}",
                      entities=[mention(MEGAN, with_object_id=False)])

    assert reply.startswith("Teams did not give me Megan Bowen's Entra object id with the mention.")
    held = await policy.grants.for_principals([Principal.user(MEGAN.aad_object_id)])
    assert [g.id for g in held] == ["megan-root-admin"]


# ---------------------------------------------------------------------- revoke, grants
async def test_revoke_is_confined_to_the_scopes_one_administers(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    await policy.grants.add(Grant("adele-prod", Principal.user(ADELE.aad_object_id), frozenset({"*"}), PROD))
    await policy.grants.add(Grant("adele-dev", Principal.user(ADELE.aad_object_id), frozenset({"*"}), DEV))

    refused = await say(chat, ALEX, "revoke adele-prod")
    revoked = await say(chat, ALEX, "revoke adele-dev")
    unknown = await say(chat, ALEX, "revoke nothing-like-it")

    assert refused.startswith(f"You can't revoke grants on `{PROD}`")
    assert revoked.startswith("Revoked: `adele-dev`")
    assert unknown == "There is no grant 'nothing-like-it'. `grants {user|group}` lists ids."
    assert [g.id for g in await policy.grants.for_principals([Principal.user(ADELE.aad_object_id)])] == ["adele-prod"]
    decisions = sorted(r.decision for r in await audit_of(access, ALEX, AuditKind.GRANT_REVOKED))
    assert decisions == ["invalid", "refused", "revoked"]


async def test_grants_shows_ones_own_and_to_an_admin_only_what_they_administer(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    await policy.grants.add(Grant("adele-prod", Principal.user(ADELE.aad_object_id), frozenset({"*"}), PROD))
    await policy.grants.add(Grant("adele-dev", Principal.user(ADELE.aad_object_id), frozenset({"vm-restart"}), DEV))

    mine = await say(chat, ALEX, "grants")
    hers = await say(chat, ALEX, f"grants {ADELE.aad_object_id}")
    nothing = await say(chat, ADELE, f"grants {MEGAN.aad_object_id}")

    assert "`alex-dev-admin`" in mine
    assert "`alex-dev-auto`" in mine
    assert "`adele-dev`" in hers
    assert "adele-prod" not in hers
    assert "(1 more on scopes you don't administer.)" in hers
    assert nothing.endswith("none on a scope you administer, so I can't show them.")
    [shown] = await audit_of(access, ALEX, AuditKind.GRANTS_VIEWED)
    assert (shown.decision, shown.details["shown"], shown.details["hidden"]) == ("shown", "1", "1")
    [refused] = await audit_of(access, ADELE, AuditKind.GRANTS_VIEWED)
    assert refused.decision == "refused"


# ---------------------------------------------------------------------- approvers
async def test_approvers_set_and_shown_with_group_and_quorum_checks(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    too_many = await say(chat, ALEX, f"approvers {DEV} set {MEGAN.aad_object_id} quorum 2")
    unknown_group = await say(chat, ALEX, f"approvers {DEV} set group:nobody quorum 1")
    elsewhere = await say(chat, ALEX, f"approvers {PROD} set group:platform-approvers quorum 1")
    made = await say(chat, ALEX, f"approvers {DEV} set group:platform-approvers, {MEGAN.aad_object_id} quorum 2")
    shown = await say(chat, ALEX, f"approvers {DEV}/providers/Microsoft.Compute/virtualMachines/build-agent-1")

    assert too_many == "A quorum of 2 needs at least 2 approvers; you named 1."
    assert unknown_group == "There is no Switchboard group `nobody`."
    assert elsewhere.startswith(f"You can't set approvers on `{PROD}`")
    assert made.startswith(f"Set. Approvers on `{DEV}`: group:platform-approvers, user:{MEGAN.aad_object_id}; "
                           "quorum 2")
    assert f"(from `{DEV}`, which covers it)" in shown
    by_mention = await say(chat, ALEX, f"approvers {DEV} set {MEGAN.name}, {ADELE.aad_object_id} quorum 2",
                           entities=[mention(MEGAN)])
    assert by_mention.startswith(f"Set. Approvers on `{DEV}`: user:{MEGAN.aad_object_id}, "
                                 f"user:{ADELE.aad_object_id}; quorum 2")
    [rule] = await policy.rules.on_scopes([DEV.lower()])
    assert (rule.quorum, rule.approvers) == (2, frozenset({Principal.user(MEGAN.aad_object_id),
                                                           Principal.user(ADELE.aad_object_id)}))
    decisions = sorted(r.decision for r in await audit_of(access, ALEX, AuditKind.APPROVERS_CHANGED))
    assert decisions == ["invalid", "invalid", "refused", "set", "set", "shown"]


# ---------------------------------------------------------------------- freeze, unfreeze, time zones
async def test_a_freeze_is_read_in_the_viewers_time_zone_stored_in_utc_and_lifted_by_id(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    declared = await say(chat, ALEX, f'freeze {DEV} until 2026-12-01 18:00 "database migration"',
                         localTimezone="Europe/Berlin")

    [freeze] = await policy.freezes.on_scopes([DEV.lower()], ending_after=NOW)
    assert freeze.ends_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert (freeze.starts_at, freeze.reason, freeze.declared_by) == (NOW, "database migration", ALEX.aad_object_id)
    assert declared == (f"Frozen: `{DEV}` until 2026-12-01 18:00 Europe/Berlin (database migration). Requests there "
                        f"are refused until then. Lift it with `unfreeze {freeze.id}`.")

    refused = await say(chat, ADELE, f"unfreeze {freeze.id}")
    lifted = await say(chat, ALEX, f"unfreeze {freeze.id}")

    assert refused.startswith(f"You can't lift a freeze on `{DEV}`")
    assert lifted == f"Lifted freeze `{freeze.id}` on `{DEV}` (database migration)."
    assert await policy.freezes.on_scopes([DEV.lower()], ending_after=NOW) == []
    assert [r.decision for r in await audit_of(access, ALEX, AuditKind.FREEZE_DECLARED)] == ["declared"]
    assert [r.decision for r in await audit_of(access, ALEX, AuditKind.FREEZE_LIFTED)] == ["lifted"]
    assert [r.decision for r in await audit_of(access, ADELE, AuditKind.FREEZE_LIFTED)] == ["refused"]


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        (f'freeze {DEV} until 2026-11-30 09:00 "too late"',
         "2026-11-30 09:00 UTC is already past (it is 2026-11-30 10:00 UTC now): give an end in the future."),
        (f"freeze {DEV} until 2026-12-01 18:00",
         'A freeze needs a reason, in double quotes after the time. Usage: `freeze {scope} until {time} "{reason}"`'),
        (f'freeze {DEV} until tomorrow "x"', "'tomorrow' is not a time: write it as YYYY-MM-DD HH:MM"),
        (f'freeze {DEV} until 2026-12-01 18:00 "unclosed', "A quote is not closed"),
        (f'freeze {DEV}/resourceGroups until 2026-12-01 18:00 "x"', "ends with a type and no name"),
    ],
)
async def test_bad_freeze_input_gets_a_precise_answer_freezes_nothing_and_is_audited(
    chat: Chat, access: PolicyAccess, policy: PolicyStores, command: str, answer: str
) -> None:
    reply = await say(chat, ALEX, command)

    assert answer in reply
    assert await policy.freezes.all() == []
    [record] = await audit_of(access, ALEX, AuditKind.FREEZE_DECLARED)
    assert record.decision == "invalid"


# ---------------------------------------------------------------------- approvals, history
def _approval(requester: Person, votes: tuple[Vote, ...] = (), **overrides: Any) -> ApprovalRequest:
    values: dict[str, Any] = {
        "id": "req-1", "requester_id": requester.aad_object_id, "requester_name": requester.name,
        "action": "aks-scale-node-pool", "resource_id": PROD_POOL, "args": {"count": 5},
        "preview": Preview("aks-prod / node pool np1", PROD_POOL, (Change("nodes", "3", "5"),)),
        "plan_hash": "sha256:" + "ab" * 32, "rule_id": "prod-rule", "quorum": 2,
        "expires_at": NOW + timedelta(hours=20), "reason": "traffic peak", "created_at": NOW - timedelta(hours=1),
        "votes": votes,
    }
    values.update(overrides)
    return ApprovalRequest(**values)


async def test_approvals_lists_what_waits_for_my_vote_only(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    await policy.rules.put(ApproverRule("prod-rule", PROD, frozenset({Principal.group("platform-approvers")}),
                                        quorum=2))
    voted = Vote(ADELE.aad_object_id, VoteChoice.APPROVE, NOW - timedelta(minutes=5),
                 Principal.group("platform-approvers"))
    await access.approvals.create(_approval(ALEX, (voted,)))
    await access.approvals.create(_approval(ALEX, id="req-expired", expires_at=NOW - timedelta(minutes=1)))

    megan = await say(chat, MEGAN, "approvals", localTimezone="Europe/Berlin")
    adele = await say(chat, ADELE, "approvals")
    alex = await say(chat, ALEX, "approvals")

    # the cards themselves are shown by the dialogs (test_governing_dialogs); here: the selection
    assert megan == "1 request waits for your approval: here is its approval card."
    reply = await GovernanceCommands(access, default_registry()).run(
        "approvals", CommandCall("", MEGAN.aad_object_id, MEGAN.name))
    assert [a.id for a in reply.approvals] == ["req-1"]
    assert adele == "Nothing waits for your approval."  # she voted already
    assert alex == "Nothing waits for your approval."  # his own request, and he is no approver


async def test_approvals_shows_at_most_five_soonest_to_expire_and_says_how_many_more_wait(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    await policy.rules.put(ApproverRule("prod-rule", PROD, frozenset({Principal.user(MEGAN.aad_object_id)})))
    for hours in (7, 2, 5, 1, 6, 3, 4):
        await access.approvals.create(_approval(ALEX, id=f"req-{hours}h", expires_at=NOW + timedelta(hours=hours)))

    reply = await GovernanceCommands(access, default_registry()).run(
        "approvals", CommandCall("", MEGAN.aad_object_id, MEGAN.name))

    assert [a.id for a in reply.approvals] == ["req-1h", "req-2h", "req-3h", "req-4h", "req-5h"]
    assert reply.text == ("7 requests wait for your approval: here are the cards of the 5 soonest to expire. 2 more "
                          "wait: vote on these, then send `approvals` again to see the next ones.")


async def test_history_shows_my_requests_and_decisions_newest_first(chat: Chat, access: PolicyAccess) -> None:
    await access.approvals.create(_approval(ALEX))
    await access.audit.append(AuditRecord(
        "audit-1", NOW - timedelta(minutes=30), AuditKind.DECISION, ALEX.aad_object_id, action="vm-restart",
        scope=f"{DEV}/providers/Microsoft.Compute/virtualMachines/build-agent-1", request_id="req-2",
        decision="approved", rule_id="alex-dev-auto"))

    reply = await say(chat, ALEX, "history")
    nothing = await say(chat, ADELE, "history")

    assert reply.split("\n") == [
        "Your recent requests, newest first:",
        "",
        f"- 2026-11-30 09:30 UTC — vm-restart on `{DEV}/providers/Microsoft.Compute/virtualMachines/build-agent-1`: "
        "approved (rule `alex-dev-auto`)",
        "- 2026-11-30 09:00 UTC — aks-scale-node-pool on aks-prod / node pool np1: waiting for approval (0 of 2, "
        "expires 2026-12-01 06:00 UTC)",
    ]
    assert nothing == "You have no recent requests."


# ---------------------------------------------------------------------- explain
async def test_explain_names_the_deciding_grant_and_runs_nothing(chat: Chat, access: PolicyAccess) -> None:
    within = await say(chat, ALEX, "explain scale node pool aks-dev np1 to 3")
    beyond = await say(chat, ALEX, "explain scale node pool aks-dev np1 to 9")
    elsewhere = await say(chat, ADELE, "explain scale node pool aks-dev np1 to 3")

    assert "**Approved at once** — Within the standing approval of grant alex-dev-auto." in within
    assert "Decided by grant `alex-dev-auto` (auto on" in within
    assert "Nothing was run or changed" in within
    assert "**Refused** — Your grants for aks-scale-node-pool here do not allow this: count 9" in beyond
    assert "- limit broken: count 9" in beyond
    assert "**Refused** — You have no grant for aks-scale-node-pool on this resource." in elsewhere
    assert "Decided by rule `deny-by-default`." in elsewhere
    assert await access.audit.query(AuditQuery(actor=ALEX.aad_object_id)) == []  # a dry run records nothing


# ---------------------------------------------------------------------- no identity, storage failing
async def test_an_admin_command_without_an_entra_identity_is_refused_and_audited_by_channel_id(
    chat: Chat, access: PolicyAccess, policy: PolicyStores
) -> None:
    anonymous = Person("29:user-guest", "", "Guest")
    activity = chat.activity(anonymous, text=f'freeze {DEV} until 2026-12-01 18:00 "x"')
    activity.from_property.aad_object_id = None

    [reply] = texts(await chat.send(activity))

    assert reply.startswith("I can't tell who you are on this channel (no Microsoft Entra identity)")
    assert await policy.freezes.all() == []
    [record] = await access.audit.query(AuditQuery(actor="29:user-guest"))
    assert (record.kind, record.decision) == (AuditKind.FREEZE_DECLARED, "refused")


class GrantsTableDown(RecordingTransport):
    """The storage service refusing every write to one table (connection refused); the rest reaches Azurite."""

    def __init__(self, table: str) -> None:
        super().__init__()
        self.table = table

    async def send(self, request: Any, **kwargs: Any) -> Any:
        from azure.core.exceptions import ServiceRequestError

        path = request.url.split("?", 1)[0]
        if request.method != "GET" and f"/{self.table}(" in path:
            raise ServiceRequestError("connection refused (injected)")
        return await super().send(request, **kwargs)


async def test_a_grant_whose_write_fails_is_recorded_as_failed_and_the_admin_is_told_without_internals(
    storage_connection_string: str, namespace: str, policy: PolicyStores, events: Events, unique_name: str,
    actions: ActionContext,
) -> None:
    failing = TableProvider(connection_string=storage_connection_string, options=FAST_TABLES,
                            transport=GrantsTableDown(f"{namespace}grants"))
    try:
        emitter = AuditEventEmitter(CustomEventEmitter(f"switchboard.test.audit.{unique_name}"))
        access = PolicyAccess(failing, namespace=namespace, events=emitter, clock=lambda: NOW)
        service = GovernanceCommands(access, default_registry())
        call = CommandCall(text=f"{ADELE.aad_object_id} vm-restart on {DEV}", object_id=ALEX.aad_object_id,
                           name=ALEX.name, correlation_id="corr-7", actions=actions)

        reply = await service.run("grant", call)

        assert reply.text.startswith("I couldn't reach the policy store just now, so `grant` did not complete.")
        assert "reference corr-7" in reply.text
        assert "ServiceRequestError" not in reply.text
        records = await access.audit.query(AuditQuery(actor=ALEX.aad_object_id, kind=AuditKind.GRANT_ADDED))
    finally:
        await failing.close()
    assert sorted(r.decision for r in records) == ["added", "failed"]
    assert {r.rule_id for r in records} == {records[0].rule_id}
    assert await policy.grants.for_principals([Principal.user(ADELE.aad_object_id)]) == []
    assert sorted(events.audit_ids()) == sorted(r.id for r in records)


async def test_explain_names_the_approver_rule_assumes_relative_limits_and_names_a_freeze(
    chat: Chat, policy: PolicyStores
) -> None:
    await policy.grants.add(Grant("alex-prod", Principal.user(ALEX.aad_object_id), frozenset({"aks-scale-node-pool"}),
                                  PROD, mode=GrantMode.APPROVAL,
                                  limits=Limits({"count": ParameterLimit(maximum=10, max_increase=3)})))
    await policy.rules.put(ApproverRule("prod-rule", PROD, frozenset({Principal.group("platform-approvers")}),
                                        quorum=2))

    waits = await say(chat, ALEX, "explain scale node pool aks-prod np1 to 5", localTimezone="Europe/Berlin")

    assert ("**Needs approval** — Grant alex-prod allows this with approval: 2 approval(s) under rule prod-rule. "
            "Approvers: group:platform-approvers; it would wait until 2026-12-01 11:00 Europe/Berlin.") in waits
    assert "Decided by approver rule `prod-rule` (quorum 2) under grant `alex-prod` (limits: count ≤ 10)." in waits
    assert ("This assumes your change stays within the limits relative to the current value (grant `alex-prod`: "
            "count at most +3)") in waits

    await policy.freezes.add(Freeze("frz-prod", PROD, NOW - timedelta(hours=1), NOW + timedelta(hours=20), "release"))
    frozen = await say(chat, ALEX, "explain scale node pool aks-prod np1 to 5")

    assert "**Refused: frozen** — freeze `frz-prod` until 2026-12-01 06:00 UTC: release" in frozen
    assert "Decided by freeze `frz-prod`." in frozen


async def test_what_people_typed_is_shown_without_markup(chat: Chat, policy: PolicyStores) -> None:
    reply = await say(chat, ALEX, f'freeze {DEV} until 2026-12-01 18:00 "**urgent** [now](x) `y`"')

    [freeze] = await policy.freezes.all()
    assert freeze.reason == "**urgent** [now](x) `y`"  # stored as typed
    assert "(urgent now(x) y)" in reply  # shown without markdown
