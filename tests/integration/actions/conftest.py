"""Fixtures for the action tests: the session's ARM sandbox, reset before each test (so each test sees
only its own requests: one still held from an earlier test is released and never logged again).

Actions run through the real aio management SDKs (via :class:`ActionContext` in sandbox
mode), with tiny operation delays, polling intervals and retry backoff so tests stay fast.
Scope: both demo subscriptions, resource groups rg-dev and rg-prod (rg-platform-core is outside).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from actions.context import ActionContext, ClientOptions
from actions.registry import Registry, default_registry
from bot.settings import ArmSettings
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

FAST = ClientOptions(polling_interval=0.02, retry_total=3, retry_backoff_factor=0.01, retry_backoff_max=0.05)
"""Client options for tests: short polling interval and retry backoff (constructor options, not patches)."""

IN_SCOPE_GROUPS = frozenset({"rg-dev", "rg-prod"})


@pytest.fixture
def arm_settings(sandbox: SandboxHandle) -> ArmSettings:
    """Sandbox mode, both demo subscriptions, rg-dev and rg-prod in scope, a 1 s discovery budget."""
    return ArmSettings(
        sandbox_url=sandbox.url,
        subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
        resource_groups=IN_SCOPE_GROUPS,
        discovery_timeout_seconds=1.0,
    )


@pytest.fixture
async def make_context(arm_settings: ArmSettings) -> AsyncIterator[Callable[[], ActionContext]]:
    """Build independent root contexts (e.g. a "fresh process" resuming an operation); all closed afterwards."""
    built: list[ActionContext] = []

    def make() -> ActionContext:
        context = ActionContext(arm_settings, options=FAST)
        built.append(context)
        return context

    yield make
    for context in built:
        await context.close()


@pytest.fixture
def ctx(make_context: Callable[[], ActionContext]) -> ActionContext:
    """The test's root context."""
    return make_context()


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The built-in catalog."""
    return default_registry()
