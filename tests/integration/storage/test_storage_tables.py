"""TableProvider: create-once tables, shared transport, identity mode, closing, lazy imports."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storage import StorageError, StorageUnavailableError, TableClientOptions, TableProvider
from storage.settings import StorageSettings
from tests.support.table_storage import FAST, RecordingTransport, unreachable_connection_string

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ID = "a1b2c3d4-0000-0000-0000-000000000000"


class CountingProvider(TableProvider):
    """Counts table creation attempts (the seam is the one call that talks to the service)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.creations: list[str] = []

    async def _create_if_not_exists(self, service: Any, name: str) -> Any:
        self.creations.append(name)
        await asyncio.sleep(0.05)  # widen the window in which concurrent first uses overlap
        return await super()._create_if_not_exists(service, name)


async def test_concurrent_first_uses_create_the_table_once(storage_connection_string: str, unique_name: str) -> None:
    provider = CountingProvider(connection_string=storage_connection_string, options=FAST)
    try:
        clients = await asyncio.gather(*(provider.table(f"race{unique_name}") for _ in range(20)))
        again = await provider.table(f"race{unique_name}")

        assert provider.creations == [f"race{unique_name}"]
        assert all(client is clients[0] for client in clients)
        assert again is clients[0]
        await clients[0].upsert_entity({"PartitionKey": "p", "RowKey": "r"})  # the table exists
    finally:
        await provider.close()


async def test_two_processes_creating_the_same_table_both_succeed(
    storage_connection_string: str, unique_name: str
) -> None:
    first = TableProvider(connection_string=storage_connection_string, options=FAST)
    second = TableProvider(connection_string=storage_connection_string, options=FAST)
    try:
        a, b = await asyncio.gather(first.table(f"both{unique_name}"), second.table(f"both{unique_name}"))
        await a.upsert_entity({"PartitionKey": "p", "RowKey": "r", "v": 1})
        assert (await b.get_entity("p", "r"))["v"] == 1
    finally:
        await first.close()
        await second.close()


async def test_table_clients_share_one_transport(storage_connection_string: str, unique_name: str) -> None:
    transport = RecordingTransport(connection_timeout=2, read_timeout=10)
    provider = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        one = await provider.table(f"one{unique_name}")
        two = await provider.table(f"two{unique_name}")
        await one.upsert_entity({"PartitionKey": "p", "RowKey": "r"})
        await two.upsert_entity({"PartitionKey": "p", "RowKey": "r"})

        urls = [url for _, url in transport.requests]
        assert any(f"/one{unique_name}(" in url for url in urls)
        assert any(f"/two{unique_name}(" in url for url in urls)
    finally:
        await provider.close()
    assert transport.closed


async def test_failed_creation_is_not_remembered(refused_port: int) -> None:
    connection_string = unreachable_connection_string(refused_port)
    provider = CountingProvider(connection_string=connection_string, options=FAST)
    try:
        for _ in range(2):
            with pytest.raises(StorageUnavailableError, match="create table"):
                await provider.table("unreachable")
        assert provider.creations == ["unreachable", "unreachable"]
    finally:
        await provider.close()


@pytest.mark.parametrize("name", ["ab", "1table", "has-dash", "x" * 64, ""])
async def test_invalid_table_names_are_refused(tables: TableProvider, name: str) -> None:
    with pytest.raises(ValueError, match="invalid table name"):
        await tables.table(name)


async def test_closed_provider_refuses_use(storage_connection_string: str) -> None:
    provider = TableProvider(connection_string=storage_connection_string, options=FAST)
    await provider.close()
    await provider.close()  # idempotent

    with pytest.raises(StorageError, match="closed"):
        await provider.table("afterclose")


def test_connection_string_and_endpoint_are_exclusive() -> None:
    with pytest.raises(ValueError, match="either"):
        TableProvider()
    with pytest.raises(ValueError, match="either"):
        TableProvider(connection_string="UseDevelopmentStorage=true", endpoint="https://a.table.core.windows.net")


async def test_from_settings_with_a_connection_string_targets_azurite(storage_connection_string: str) -> None:
    provider = TableProvider.from_settings(StorageSettings(connection_string=storage_connection_string))
    try:
        assert not provider.uses_identity
        assert provider.credential is None
        assert provider.endpoint is None
        assert provider.service_client().url.startswith("http://127.0.0.1:")
        assert provider.options == TableClientOptions()
    finally:
        await provider.close()


async def test_from_settings_with_an_account_uses_managed_identity_without_network() -> None:
    from azure.identity.aio import DefaultAzureCredential

    settings = StorageSettings(account_name="stswitchboardprod", client_id=CLIENT_ID)
    requested: list[str | None] = []

    def recording_factory(client_id: str | None) -> DefaultAzureCredential:
        requested.append(client_id)
        return DefaultAzureCredential(managed_identity_client_id=client_id)

    provider = TableProvider.from_settings(settings, options=FAST, credential_factory=recording_factory)
    try:
        service = provider.service_client()

        assert provider.uses_identity
        assert provider.endpoint == "https://stswitchboardprod.table.core.windows.net"
        assert service.url == "https://stswitchboardprod.table.core.windows.net"
        assert service.account_name == "stswitchboardprod"
        assert isinstance(service.credential, DefaultAzureCredential)
        assert service.credential is provider.credential
        assert requested == [CLIENT_ID]
    finally:
        await provider.close()


async def test_default_identity_credential_is_default_azure_credential() -> None:
    from azure.identity.aio import DefaultAzureCredential

    provider = TableProvider.from_settings(StorageSettings(account_name="stswitchboardprod"))
    try:
        assert isinstance(provider.credential, DefaultAzureCredential)
        assert isinstance(provider.service_client().credential, DefaultAzureCredential)
    finally:
        await provider.close()


def test_importing_storage_does_not_import_the_azure_sdks() -> None:
    code = (
        "import sys, storage\n"
        "heavy = [m for m in sys.modules if m.startswith(('azure.data.tables', 'azure.identity'))]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
