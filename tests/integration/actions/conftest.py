"""Fixtures for the action tests: the session's ARM sandbox, reset before each test (so each test sees
only its own requests: one still held from an earlier test is released and never logged again).

Actions run through the real aio management SDKs (via :class:`ActionContext` in sandbox
mode), with tiny operation delays, polling intervals and retry backoff so tests stay fast.
Scope: both demo subscriptions, resource groups rg-dev and rg-prod (rg-platform-core is outside).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable

import pytest

from actions.context import ActionContext, ClientOptions
from actions.registry import Registry, default_registry
from actions.settings import ArmSettings
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

FAST = ClientOptions(polling_interval=0.02, retry_total=3, retry_backoff_factor=0.01, retry_backoff_max=0.05)
"""Client options for tests: short polling interval and retry backoff (constructor options, not patches)."""

IN_SCOPE_GROUPS = frozenset({"rg-dev", "rg-prod"})


WIDE_BUDGET = 30.0
"""The discovery budget of tests that are not about the budget: the largest the settings allow, so
a loaded machine never turns a complete list into a partial one."""


@pytest.fixture
def arm_settings(sandbox: SandboxHandle) -> ArmSettings:
    """Sandbox mode, both demo subscriptions, rg-dev and rg-prod in scope, a wide discovery budget."""
    return ArmSettings(
        sandbox_url=sandbox.url,
        subscriptions=(DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID),
        resource_groups=IN_SCOPE_GROUPS,
        discovery_timeout_seconds=WIDE_BUDGET,
    )


@pytest.fixture
async def make_context(arm_settings: ArmSettings) -> AsyncIterator[Callable[..., ActionContext]]:
    """``make(discovery_timeout_seconds=None)``: an independent root context (e.g. a "fresh process"
    resuming an operation), with another discovery budget when given; all closed afterwards."""
    built: list[ActionContext] = []

    def make(discovery_timeout_seconds: float | None = None) -> ActionContext:
        settings = arm_settings
        if discovery_timeout_seconds is not None:
            settings = dataclasses.replace(arm_settings, discovery_timeout_seconds=discovery_timeout_seconds)
        context = ActionContext(settings, options=FAST)
        built.append(context)
        return context

    yield make
    for context in built:
        await context.close()


@pytest.fixture
def ctx(make_context: Callable[..., ActionContext]) -> ActionContext:
    """The test's root context."""
    return make_context()


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The built-in catalog."""
    return default_registry()
