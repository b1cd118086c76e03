"""Fixtures for the storage tests: a TableProvider on the session's Azurite, and the storages under test."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import pytest
from botbuilder.core import MemoryStorage
from storage_helpers import AZURITE_KEY, FAST, TYPO_KEY, SimpleStoreItem, StorageUnderTest

from storage import ConcurrencyConflictError, TableBotStorage, TableProvider


@pytest.fixture(scope="session")
def table_connection_string(storage_connection_string: str) -> str:
    """The session Azurite's connection string, with the development account key corrected if needed."""
    if TYPO_KEY in storage_connection_string:
        warnings.warn("tools/azurite.py has a wrong Azurite account key; corrected for storage tests", stacklevel=1)
        return storage_connection_string.replace(TYPO_KEY, AZURITE_KEY)
    return storage_connection_string


@pytest.fixture
async def tables(table_connection_string: str) -> AsyncIterator[TableProvider]:
    """A TableProvider on Azurite that fails fast; closed after the test."""
    provider = TableProvider(connection_string=table_connection_string, options=FAST)
    yield provider
    await provider.close()


@pytest.fixture(params=["memory", "table"])
async def under_test(
    request: pytest.FixtureRequest, tables: TableProvider, unique_name: str
) -> AsyncIterator[StorageUnderTest]:
    """The contract suite's storage: botbuilder's MemoryStorage (the reference) and TableBotStorage on Azurite."""
    if request.param == "memory":
        yield StorageUnderTest("memory", MemoryStorage(), conflict_error=KeyError)
        return
    storage = TableBotStorage(tables, table_name=f"state{unique_name}", allowed_types=[SimpleStoreItem])
    yield StorageUnderTest("table", storage, conflict_error=ConcurrencyConflictError, empty_etag_error=ValueError)
