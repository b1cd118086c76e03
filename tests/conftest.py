"""Shared fixtures: one Azurite per test session, real parts instead of mocks.

Set ``SWITCHBOARD_TEST_STORAGE`` to a connection string to use an Azurite you started yourself.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tools import azurite as azurite_tool

if TYPE_CHECKING:
    from tests.support.arm_sandbox import SandboxHandle


@pytest.fixture(scope="session")
def storage_connection_string() -> Iterator[str]:
    """Connection string of an Azurite (Table + Queue) started once for the whole session."""
    given = os.environ.get("SWITCHBOARD_TEST_STORAGE")
    if given:
        yield given
        return
    instance = azurite_tool.start()
    try:
        yield instance.connection_string
    finally:
        instance.stop()


@pytest.fixture
def without_http_env_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No proxy variables, no ``NETRC`` and a home folder without ``.netrc`` for this test, whatever the
    machine has: aiohttp's ``trust_env`` then has nothing to read (checks of the no-proxy path run
    everywhere instead of being skipped where a proxy is configured)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "NETRC":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections for the whole test (held bound, so never reused)."""
    from tools.processes import refused_port as hold

    with hold() as port:
        yield port


@pytest.fixture
def unique_name() -> str:
    """A short unique suffix for table/queue names, so tests never share state."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxHandle]:
    """One ARM sandbox for the session, in a background thread (tiny operation delays)."""
    from tests.support.arm_sandbox import running_sandbox

    with running_sandbox(operation_delay=0.05) as handle:
        yield handle


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    """The sandbox with its seeded estate, no faults, no operations and an empty request log.

    The reset starts a new generation: requests an earlier test left in flight (held by an injected
    delay) are released and never enter this test's request log.
    """
    sandbox_server.reset()
    return sandbox_server
