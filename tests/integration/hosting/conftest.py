"""Fixtures for the hosting tests: function_app's functions called with func.HttpRequest objects.

Each test builds its own app with ``function_app.create_app(SwitchboardRuntime(env, ...))`` — the
same functions the Functions host indexes — with storage on the session's Azurite and the bot's
replies going to a Bot Connector stand-in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import pytest

import function_app
from app.runtime import SwitchboardRuntime
from storage import TableClientOptions
from telemetry._configure import _uninstall
from tests.support.connector import TEST_TENANT_ID, ConnectorStandIn
from tests.support.hosted_app import HostedApp
from tests.support.operations import empty_operation_queues

FAST = TableClientOptions(retry_total=0, connection_timeout=2, read_timeout=5)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    _uninstall()


@pytest.fixture
def connector() -> Iterator[ConnectorStandIn]:
    with ConnectorStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def local_env(storage_connection_string: str) -> dict[str, str]:
    """App settings of a local, anonymous run, with the operations queues emptied of what earlier
    tests queued and never ran (``empty_operation_queues``)."""
    empty_operation_queues(storage_connection_string)
    return {
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "SwitchboardStorage": storage_connection_string,
        "SWITCHBOARD_ALLOWED_TENANTS": TEST_TENANT_ID,
        "SWITCHBOARD_LOG_LEVEL": "INFO",
        # One person sends many requests across the session's tests: the guardrails' rate limit is not
        # what these tests are about (it has tests of its own).
        "SWITCHBOARD_RATE_LIMIT_PER_HOUR": "10000",
    }


@pytest.fixture
async def make_app() -> AsyncIterator[Callable[..., HostedApp]]:
    """``make_app(env, **build_options)``: a Functions app over its own runtime (closed after the test)."""
    runtimes: list[SwitchboardRuntime] = []

    def make(env: Mapping[str, str], **build_options: Any) -> HostedApp:
        build_options.setdefault("table_options", FAST)
        runtime = SwitchboardRuntime(dict(env), **build_options)
        runtimes.append(runtime)
        return HostedApp(app=function_app.create_app(runtime), runtime=runtime)

    yield make
    for runtime in runtimes:
        await runtime.close()


@pytest.fixture
def hosted(make_app: Callable[..., HostedApp], local_env: dict[str, str]) -> HostedApp:
    """The app of a local, anonymous run."""
    return make_app(local_env)
