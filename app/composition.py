"""The composition root: the one place Switchboard's objects are built.

``build_switchboard(settings)`` wires settings -> telemetry -> table provider -> bot state,
conversation references and the delivery ledger -> action catalog, action context and request handler -> the
users' dialogs -> bot -> adapter -> HTTP edge and the proactive notifier, and returns them together in a
:class:`Switchboard` that hosts (the Functions app, the dev host) and tests use and close.
Nothing here is a module-level singleton: every call builds a new, independent graph.

This module imports botbuilder and is therefore imported lazily by the hosts
(:mod:`app.runtime`), keeping ``import function_app`` cheap.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botframework.connector.auth import ServiceClientCredentialsFactory

from actions.context import ActionContext, ClientOptions
from actions.registry import Registry, default_registry
from actions.spec import ActionError, Preview
from app.direct import DirectRequestHandler
from app.execution import CONFIRM_TURN_MARGIN, OPERATIONS_QUEUE, Execution, build_execution
from app.settings import Settings
from bot.adapter import DEFAULT_AUTH_TIMEOUT_SECONDS, SwitchboardAdapter, build_adapter
from bot.http_edge import MessagesEndpoint
from bot.notifier import TeamsNotifier
from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from cards.approvals import approval_card
from dialogs import Conversations
from governing import (
    ApprovalVotes,
    Governance,
    GovernanceCommands,
    GrantChoiceFilter,
    GuardedRequestHandler,
    OperationCommands,
    PolicyAccess,
)
from guardrails.records import RateLimit
from requesting import Notifier, Request, RequestHandler
from storage import (
    ConversationReferenceStore,
    DeliveryLedger,
    OperationQueue,
    TableBotStorage,
    TableClientOptions,
    TableProvider,
)
from storage.approval_cards import TableApprovalCardStore
from storage.approvals import TableApprovalStore
from storage.audit import TableAuditStore
from storage.policy_snapshot import PolicySnapshotReader
from storage.rate_counters import TableRateCounter
from telemetry import configure_telemetry

__all__ = ["Switchboard", "build_executor", "build_switchboard", "governance_commands", "operation_queue"]

_log = logging.getLogger("switchboard.composition")

SANDBOX_CLIENT_OPTIONS = ClientOptions(polling_interval=0.5)
"""Against the local ARM sandbox, whose operations take about a second, poll every half second."""


@dataclass
class Switchboard:
    """Everything one Switchboard process serves with. Close it with :meth:`close`."""

    settings: Settings
    tables: TableProvider
    states: BotStates
    references: ConversationReferenceStore
    deliveries: DeliveryLedger
    bot: SwitchboardBot
    adapter: SwitchboardAdapter
    messages: MessagesEndpoint
    registry: Registry
    actions: ActionContext
    conversations: Conversations
    notifier: Notifier  # proactive messages and card updates (the Teams notifier unless a test passes one)
    execution: Execution
    governance: Governance | None = None  # None when a test injected its own request handler

    async def close(self) -> None:
        """Close the connector clients, the authentication thread, the Azure clients and the storage transport
        (after the guardrails' background work: approval cards, refreshes, hand-offs)."""
        if self.governance is not None:
            await self.governance.drain()
        try:
            try:
                await self.adapter.close()
            finally:
                await self.execution.close()
        finally:
            try:
                await self.actions.close()
            finally:
                await self.tables.close()


def _channel_lookup(
    references: ConversationReferenceStore, conversation_id: str | None
) -> Callable[[], Awaitable[Mapping[str, Any] | None]] | None:
    """How the guardrails find the approvers' channel: its conversation reference, stored when Switchboard
    was installed in the team (None until then; logged)."""
    if not conversation_id:
        return None

    async def lookup() -> Mapping[str, Any] | None:
        stored = await references.get(conversation_id)
        if stored is None:
            _log.warning("SWITCHBOARD_APPROVERS_CHANNEL names a channel Switchboard has no reference for yet")
            return None
        return dict(stored.reference.serialize())

    return lookup


def build_switchboard(
    settings: Settings,
    *,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
    table_options: TableClientOptions | None = None,
    auth_timeout: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
    registry: Registry | None = None,
    client_options: ClientOptions | None = None,
    request_handler: RequestHandler | None = None,
    request_budget: float | None = None,
    notifier: Notifier | None = None,
) -> Switchboard:
    """Build a Switchboard for ``settings`` (no network I/O happens here).

    :param credentials_factory: how outgoing Bot Connector calls get access tokens; default:
        from the app settings (Entra). Tests pass their key server's factory.
    :param table_options: retry and timeout settings of the table clients (tests fail fast).
    :param auth_timeout: seconds a request's token check may take (it may download signing keys).
    :param registry: the action catalog; default: the built-in actions.
    :param client_options: retries and polling of the Azure SDK clients (tests make them fast);
        default: the SDK defaults against Azure, :data:`SANDBOX_CLIENT_OPTIONS` against the sandbox.
    :param request_handler: where confirmed requests go; default: the guardrails
        (:class:`~governing.GuardedRequestHandler`) in front of :func:`build_executor`'s executor.
    :param request_budget: given, approved requests run directly in the turn, waiting for Azure
        at most this many seconds (:class:`~app.direct.DirectRequestHandler`; tests of in-turn
        outcomes); default: they are queued as operations.
    :param notifier: messages sent outside a turn (approval cards, decisions, completion notices);
        default: the Teams notifier over this Switchboard's adapter and conversation references.
    """
    configure_telemetry(settings.telemetry)
    tables = TableProvider.from_settings(settings.storage, options=table_options)
    states = BotStates.create(TableBotStorage(tables), private_conversation=True)
    references = ConversationReferenceStore(tables)
    deliveries = DeliveryLedger(tables)  # activity receipts (redeliveries) and confirmation decisions
    registry = registry if registry is not None else default_registry()
    if client_options is None and settings.arm.uses_sandbox:
        client_options = SANDBOX_CLIENT_OPTIONS  # sandbox operations finish in about a second
    action_context = ActionContext(settings.arm, options=client_options)
    adapter = build_adapter(settings.bot, credentials_factory=credentials_factory, auth_timeout=auth_timeout)
    if notifier is None:
        notifier = TeamsNotifier(adapter, references, app_id=settings.bot.app_id)
    execution = build_execution(
        tables=tables, queue=operation_queue(settings), registry=registry, actions=action_context,
        notifier=notifier, deliveries=deliveries, start_delay=CONFIRM_TURN_MARGIN,
    )
    governance: Governance | None = None
    votes: ApprovalVotes | None = None
    choice_filter: GrantChoiceFilter | None = None
    if request_handler is not None:
        handler = request_handler
    else:  # dialogs -> guardrails -> the executor (queued operations; in the turn with a request_budget)
        executor = build_executor(execution, registry, action_context, request_budget)
        governance = Governance(
            reader=PolicySnapshotReader.for_active_policy(tables, rate=TableRateCounter(tables)),
            approvals=TableApprovalStore(tables),
            cards=TableApprovalCardStore(tables),
            audit_store=TableAuditStore(tables),
            rate=TableRateCounter(tables),
            notifier=notifier,
            render_card=approval_card,
            rate_limit=RateLimit(max_requests=settings.guardrails.rate_limit_per_hour, window=timedelta(hours=1)),
            approvers_channel=_channel_lookup(references, settings.guardrails.approvers_channel),
        )
        handler = GuardedRequestHandler(governance, executor)

        async def previewer(request: Request) -> Preview:
            action = registry.get(request.action)
            if action is None:
                raise ActionError(f"There is no action called {request.action!r} any more.")
            context = action_context.for_turn()
            try:
                return await action.preview(context, dict(request.args))
            finally:
                await context.close()

        votes = ApprovalVotes(governance, executor, previewer)
        choice_filter = GrantChoiceFilter(governance)
    assert states.private_conversation is not None
    conversations = Conversations(
        state=states.private_conversation, registry=registry, actions=action_context, handler=handler,
        decisions=deliveries, governance=governance_commands(PolicyAccess(tables), registry, execution),
        votes=votes, choice_filter=choice_filter,
    )
    bot = SwitchboardBot(
        states=states,
        references=references,
        allowed_tenants=settings.allowed_tenants,
        conversations=conversations,
        deliveries=deliveries,
    )
    messages = MessagesEndpoint(adapter, bot.on_turn, authentication_enabled=settings.authentication_enabled)
    _log.info(
        "Switchboard composed (authentication %s, %d allowed tenant(s), storage via %s)",
        "on" if settings.authentication_enabled else "off (local, anonymous)",
        len(settings.allowed_tenants),
        "managed identity" if settings.storage.uses_identity else "connection string",
    )
    return Switchboard(
        settings=settings,
        tables=tables,
        states=states,
        references=references,
        deliveries=deliveries,
        bot=bot,
        adapter=adapter,
        messages=messages,
        registry=registry,
        actions=action_context,
        conversations=conversations,
        notifier=notifier,
        execution=execution,
        governance=governance,
    )


def governance_commands(access: PolicyAccess, registry: Registry, execution: Execution) -> GovernanceCommands:
    """The chat commands of the guardrails and of the operations (``status``, ``cancel``, ``queue``,
    ``undo``, ``history``) over the execution's operation store, leases and journal."""
    operations = OperationCommands(access, registry, operations=execution.operations, leases=execution.leases,
                                   queue=execution.queue, journal=execution.journal)
    return GovernanceCommands(access, registry, operations)


def operation_queue(settings: Settings) -> OperationQueue:
    """The operations queue of the settings' storage account: the connection string's, else the queue
    service URI the Functions host's triggers read too (``SwitchboardStorage__queueServiceUri``), with the identity."""
    storage = settings.storage
    if storage.connection_string:
        return OperationQueue(OPERATIONS_QUEUE, connection_string=storage.connection_string)
    from azure.identity.aio import DefaultAzureCredential

    return OperationQueue(
        OPERATIONS_QUEUE,
        account_url=str(storage.queue_endpoint),
        credential=DefaultAzureCredential(managed_identity_client_id=storage.client_id),
    )


def build_executor(
    execution: Execution, registry: Registry, actions: ActionContext, request_budget: float | None
) -> RequestHandler:
    """The executor: where an approved request goes. The queued handler (an operation, answered at
    once); with a ``request_budget``, the direct handler (run in the turn, waiting at most that long)."""
    if request_budget is not None:
        return DirectRequestHandler(registry, actions, budget=request_budget)
    return execution.handler
