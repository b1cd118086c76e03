"""Shared fixtures: one Azurite per test session, real parts instead of mocks.

Set ``SWITCHBOARD_TEST_STORAGE`` to a connection string to use an Azurite you started yourself.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tools import azurite as azurite_tool


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
def unique_name() -> str:
    """A short unique suffix for table/queue names, so tests never share state."""
    return uuid.uuid4().hex[:10]
