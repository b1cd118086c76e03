"""Fixtures for the storage tests: a TableProvider on the session's Azurite, and the storages under test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from botbuilder.core import MemoryStorage

from storage import ConcurrencyConflictError, TableBotStorage, TableProvider
from tests.support.table_storage import FAST, SimpleStoreItem, StorageUnderTest


@pytest.fixture
async def tables(storage_connection_string: str) -> AsyncIterator[TableProvider]:
    """A TableProvider on Azurite that fails fast; closed after the test."""
    provider = TableProvider(connection_string=storage_connection_string, options=FAST)
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
