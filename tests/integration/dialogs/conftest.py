"""Dialogs on the real state store: Table Storage on Azurite, the ARM sandbox, the real bot.

The bot's storage is the real :class:`~storage.TableBotStorage` wrapped (composition, not
patching) in :class:`CountingStorage`, which counts the calls crossing the storage boundary
per turn, so tests can hold a prompt turn to one read and one write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botbuilder.core import Storage, TurnContext

from actions.context import ActionContext
from actions.registry import Registry, default_registry
from actions.settings import ArmSettings
from app.direct import DirectRequestHandler
from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from dialogs import Conversations
from storage import DeliveryLedger, TableBotStorage, TableClientOptions, TableProvider
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.card_checks import card_validator
from tests.support.connector import TEST_TENANT_ID
from tests.unit.dialogs.conftest import FAST_CLIENTS, Chat, ConnectorStandIn, MemoryReferences

__all__ = ["CountingStorage", "bot_logic", "card_validator"]

FAST_TABLES = TableClientOptions(retry_total=0, connection_timeout=2, read_timeout=5)


@dataclass
class CountingStorage(Storage):
    """A ``Storage`` that forwards to another and records each call: (operation, number of keys)."""

    inner: Storage
    calls: list[tuple[str, int]] = field(default_factory=list)

    async def read(self, keys: list[str]) -> dict[str, Any]:
        self.calls.append(("read", len(keys)))
        return await self.inner.read(keys)

    async def write(self, changes: dict[str, Any]) -> None:
        self.calls.append(("write", len(changes)))
        await self.inner.write(changes)

    async def delete(self, keys: list[str]) -> None:
        self.calls.append(("delete", len(keys)))
        await self.inner.delete(keys)

    def take(self) -> list[tuple[str, int]]:
        """The calls since the last ``take``."""
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture
async def actions(sandbox: SandboxHandle) -> AsyncIterator[ActionContext]:
    arm = ArmSettings(
        sandbox_url=sandbox.url,
        subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
        discovery_timeout_seconds=30.0,  # the widest allowed: a busy machine never cuts a list short
    )
    async with ActionContext(arm, options=FAST_CLIENTS) as context:
        yield context


@pytest.fixture
async def storage(storage_connection_string: str, unique_name: str) -> AsyncIterator[CountingStorage]:
    """The real table storage for bot state (a fresh table), behind a call counter."""
    tables = TableProvider(connection_string=storage_connection_string, options=FAST_TABLES)
    try:
        yield CountingStorage(TableBotStorage(tables, table_name=f"dialogs{unique_name}"))
    finally:
        await tables.close()


@pytest.fixture
def registry() -> Registry:
    return default_registry()


@pytest.fixture
def request_budget() -> float:
    """Seconds the request handler waits for Azure: generous (tests of the budget inject a tiny one)."""
    return 60.0


@pytest.fixture
async def ledger(storage_connection_string: str, unique_name: str) -> AsyncIterator[DeliveryLedger]:
    """The real delivery ledger (receipts, decisions) on Azurite, in a fresh table: not counted, not lost."""
    async with TableProvider(connection_string=storage_connection_string, options=FAST_TABLES) as tables:
        yield DeliveryLedger(tables, table_name=f"deliveries{unique_name}")


@pytest.fixture
def bot(
    storage: CountingStorage, registry: Registry, actions: ActionContext, ledger: DeliveryLedger,
    request_budget: float,
) -> SwitchboardBot:
    """The real bot whose state lives in Table Storage, wired as in production (delivery ledger included)."""
    states = BotStates.create(storage, private_conversation=True)
    assert states.private_conversation is not None
    conversations = Conversations(
        state=states.private_conversation, registry=registry, actions=actions,
        handler=DirectRequestHandler(registry, actions, budget=request_budget), decisions=ledger,
    )
    return SwitchboardBot(
        states=states, references=MemoryReferences(), allowed_tenants=[TEST_TENANT_ID], conversations=conversations,
        deliveries=ledger,
    )


def bot_logic(bot: SwitchboardBot) -> Callable[[TurnContext], Awaitable[None]]:
    """What an adapter runs per turn: the bot's ``on_turn``."""

    async def logic(turn_context: TurnContext) -> None:
        await bot.on_turn(turn_context)

    return logic


@pytest.fixture
def chat(bot: SwitchboardBot) -> Chat:
    """A channel thread with the real bot whose state lives in Table Storage."""
    return Chat(ConnectorStandIn(bot_logic(bot)), "channel", "19:general@thread.tacv2;messageid=1700000000123")
