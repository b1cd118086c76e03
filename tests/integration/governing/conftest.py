"""The guarded request path on real parts: the guardrail stores on Azurite, the direct runner on the ARM
sandbox, the real previews. Only the Notifier — the Teams edge's port to send outside a turn, a
true external boundary — is a recording stand-in (:class:`RecordingNotifier`)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from actions.context import ActionContext
from actions.registry import Registry, default_registry
from actions.settings import ArmSettings
from actions.spec import ActionError, Preview
from app.direct import DirectRequestHandler
from cards.approvals import approval_card
from governing import ApprovalVotes, Governance, GuardedRequestHandler
from guardrails.records import RateLimit
from requesting import Notice, NoticeReceipt, NoticeStatus, Request, Requester
from storage import TableClientOptions, TableProvider
from storage.approval_cards import TableApprovalCardStore
from storage.approvals import TableApprovalStore
from storage.audit import TableAuditStore
from storage.policy_snapshot import PolicySnapshotReader
from storage.policy_versions import PolicyStores
from storage.rate_counters import TableRateCounter
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.unit.dialogs.conftest import FAST_CLIENTS

FAST_TABLES = TableClientOptions(retry_total=0, connection_timeout=2, read_timeout=10)
RG_PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod"
AKS_PROD = f"{RG_PROD}/providers/Microsoft.ContainerService/managedClusters/aks-prod"
NP1 = f"{AKS_PROD}/agentPools/np1"
ALEX = Requester("29:alex", "Alex Wilber", "00000000-0000-0000-0000-0000000000020", "tenant")
MEGAN = Requester("29:megan", "Megan Bowen", "00000000-0000-0000-0000-0000000000021", "tenant")
ADELE = Requester("29:adele", "Adele Vance", "00000000-0000-0000-0000-0000000000022", "tenant")
ISAIAH = Requester("29:isaiah", "Isaiah Langer", "00000000-0000-0000-0000-0000000000023", "tenant")
PATTI = Requester("29:patti", "Patti Fernandez", "00000000-0000-0000-0000-0000000000024", "tenant")


@dataclass
class RecordingNotifier:
    """The Notifier port as the Teams edge answers it: every notice delivered, each recorded."""

    sent: list[tuple[Mapping[str, Any], Notice]] = field(default_factory=list)
    to_users: list[tuple[str, Notice]] = field(default_factory=list)
    updates: list[tuple[Mapping[str, Any], str, Notice]] = field(default_factory=list)

    async def send(self, conversation: Mapping[str, Any], notice: Notice) -> NoticeReceipt:
        self.sent.append((conversation, notice))
        return NoticeReceipt(NoticeStatus.DELIVERED, f"act-{len(self.sent)}", conversation=conversation)

    async def update(self, conversation: Mapping[str, Any], activity_id: str, notice: Notice) -> NoticeReceipt:
        self.updates.append((conversation, activity_id, notice))
        return NoticeReceipt(NoticeStatus.DELIVERED, activity_id, conversation=conversation)

    async def send_to_user(self, user_key: str, notice: Notice) -> NoticeReceipt:
        self.to_users.append((user_key, notice))
        conversation = {"conversation": {"id": f"personal-{user_key}"}, "user": {"id": user_key}}
        return NoticeReceipt(NoticeStatus.DELIVERED, f"card-{user_key}", conversation=conversation)


@dataclass
class Clock:
    """A clock tests move forward."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Guarded:
    """One installation: policy stores, the guarded handler, the votes, and what they talk to."""

    policy: PolicyStores
    governance: Governance
    handler: GuardedRequestHandler
    votes: ApprovalVotes
    notifier: RecordingNotifier
    clock: Clock
    registry: Registry
    actions: ActionContext
    sandbox: SandboxHandle

    async def request(self, requester: Requester, count: int, *, request_id: str = "", **extra: Any) -> Request:
        """A confirmed request to scale aks-prod/np1 to ``count``, with the real preview."""
        action = self.registry.get("aks-scale-node-pool")
        assert action is not None
        args = {"cluster": AKS_PROD, "pool": "np1", "count": count}
        context = self.actions.for_turn()
        try:
            preview = await action.preview(context, args)
        finally:
            await context.close()
        return Request(
            id=request_id or f"f-{secrets.token_hex(8)}", action=action.name, args=args, scope=action.scope(args),
            requester=requester, preview=preview,
            conversation={"conversation": {"id": f"chat-{requester.user_id}"}, "user": {"id": requester.user_id},
                          "activityId": "requester-card"},
            **extra,
        )

    def scale_puts(self) -> list[dict[str, Any]]:
        return [r for r in self.sandbox.requests() if r["method"] == "PUT" and "agentPools/np1" in r["path"]]

    async def pool_count(self) -> int:
        pools = self.actions.container_service(PROD_SUBSCRIPTION_ID).agent_pools
        return int((await pools.get("rg-prod", "aks-prod", "np1")).count)


@pytest.fixture
async def guarded(storage_connection_string: str, unique_name: str, sandbox: SandboxHandle) -> AsyncIterator[Guarded]:
    ns = f"g{unique_name}"
    tables = TableProvider(connection_string=storage_connection_string, options=FAST_TABLES)
    arm = ArmSettings(sandbox_url=sandbox.url, subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
                      discovery_timeout_seconds=30.0)
    registry = default_registry()
    notifier = RecordingNotifier()
    clock = Clock()
    async with ActionContext(arm, options=FAST_CLIENTS) as actions:
        rate = TableRateCounter(tables, table_name=f"{ns}rate")
        governance = Governance(
            reader=PolicySnapshotReader.for_active_policy(tables, rate=rate, namespace=ns),
            approvals=TableApprovalStore(tables, table_name=f"{ns}approvals"),
            cards=TableApprovalCardStore(tables, table_name=f"{ns}cards"),
            audit_store=TableAuditStore(tables, table_name=f"{ns}audit"),
            rate=rate,
            notifier=notifier,
            render_card=approval_card,
            rate_limit=RateLimit(max_requests=20),
            clock=clock,
        )
        executor = DirectRequestHandler(registry, actions, budget=60.0)

        async def previewer(request: Request) -> Preview:
            action = registry.get(request.action)
            if action is None:
                raise ActionError("gone")
            context = actions.for_turn()
            try:
                return await action.preview(context, dict(request.args))
            finally:
                await context.close()

        yield Guarded(
            policy=PolicyStores.for_version(tables, "", namespace=ns),
            governance=governance,
            handler=GuardedRequestHandler(governance, executor),
            votes=ApprovalVotes(governance, executor, previewer),
            notifier=notifier,
            clock=clock,
            registry=registry,
            actions=actions,
            sandbox=sandbox,
        )
        await governance.drain()
    await tables.close()
