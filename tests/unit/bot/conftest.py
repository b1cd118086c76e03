"""Fixtures for bot turns: a Switchboard composed with test settings, driven by botbuilder's TestAdapter.

State and conversation references live in Table Storage on the session's Azurite (the real
stores); the TestAdapter stands in for the Bot Connector. Each test uses its own conversation
and user ids, so tests never see each other's state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from app.composition import Switchboard, build_switchboard
from app.settings import Settings
from storage import TableClientOptions
from telemetry._configure import _uninstall
from tests.support.connector import TEST_TENANT_ID, teams_activity

FAST = TableClientOptions(retry_total=0, connection_timeout=2, read_timeout=5)


def local_settings(connection_string: str, **overrides: str) -> Settings:
    """Local settings: no app id (anonymous), the Playground tenant allowed, storage on Azurite."""
    env = {
        "MicrosoftAppId": "",
        "SwitchboardStorage": connection_string,
        "SWITCHBOARD_ALLOWED_TENANTS": TEST_TENANT_ID,
        "SWITCHBOARD_LOG_LEVEL": "DEBUG",
        **overrides,
    }
    return Settings.from_env(env)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """build_switchboard configures process-wide telemetry; undo it after each test."""
    yield
    _uninstall()


class FlakyConnectorTestAdapter(TestAdapter):
    """A TestAdapter whose Bot Connector fails the next ``failures`` message sends (a transient outage)."""

    def __init__(self, logic: Any, failures: int = 0) -> None:
        super().__init__(logic)
        self.failures = failures

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> Any:
        if self.failures > 0 and any(a.type == "message" for a in activities):
            self.failures -= 1
            raise ConnectionError("the Bot Connector did not answer")
        return await super().send_activities(context, activities)


@dataclass
class BotHarness:
    """A composed Switchboard, a TestAdapter running its bot, and ids unique to the test."""

    switchboard: Switchboard
    adapter: FlakyConnectorTestAdapter
    suffix: str

    def activity(self, activity_type: str = "message", **kwargs: Any) -> Activity:
        """A Teams activity (see ``teams_activity``) with this test's conversation and user ids."""
        conversation_type = kwargs.get("conversation_type", "personal")
        kwargs.setdefault("conversation_id", f"{conversation_type}-{self.suffix}")
        kwargs.setdefault("user_id", f"29:user-{self.suffix}")
        return Activity().deserialize(teams_activity(activity_type, **kwargs))

    async def send(self, activity: Activity) -> list[Activity]:
        """Run one turn; return what the bot sent (messages and invoke responses)."""
        self.adapter.activity_buffer.clear()
        await self.adapter.receive_activity(activity)
        sent = list(self.adapter.activity_buffer)
        self.adapter.activity_buffer.clear()
        return sent

    async def stored_state(self, key: str) -> dict[str, Any] | None:
        items = await self.switchboard.states.storage.read([key])
        return items.get(key)


@pytest.fixture
async def make_harness(storage_connection_string: str) -> AsyncIterator[Callable[..., BotHarness]]:
    """Build harnesses: ``make_harness(connection_string=..., **build_options)``; all closed after the test."""
    built: list[Switchboard] = []

    def make(*, connection_string: str | None = None, **build_options: Any) -> BotHarness:
        settings = local_settings(connection_string or storage_connection_string)
        build_options.setdefault("table_options", FAST)
        switchboard = build_switchboard(settings, **build_options)
        built.append(switchboard)
        adapter = FlakyConnectorTestAdapter(switchboard.bot.on_turn)
        return BotHarness(switchboard=switchboard, adapter=adapter, suffix=uuid.uuid4().hex[:10])

    yield make
    for switchboard in built:
        await switchboard.close()


@pytest.fixture
def harness(make_harness: Callable[..., BotHarness]) -> BotHarness:
    """A harness on Azurite (closed after the test)."""
    return make_harness()
