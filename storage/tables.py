"""Hands out async ``TableClient``s by table name, over one shared HTTP transport.

Build one :class:`TableProvider` per process (in the composition root) with
:meth:`TableProvider.from_settings`: a connection string (Azurite locally) or the account's
table endpoint with ``DefaultAzureCredential`` (managed identity in Azure). Every table is
created if missing on first use, once per process; concurrent first uses share one attempt.

``azure.data.tables.aio`` and ``azure.identity.aio`` are imported inside methods: importing this
module costs nothing at the Functions app's cold start.

The shared transport reads proxy settings from the environment only when there are some
(:func:`http_env_settings_present`): aiohttp's ``trust_env`` otherwise costs two worker-thread
hops per request (a ``.netrc`` read and a proxy lookup) for nothing — about half the time of a
turn's parallel point reads on Azurite.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.errors import StorageError, translated

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential
    from azure.core.pipeline import PipelineRequest
    from azure.core.pipeline.transport import AsyncHttpTransport
    from azure.data.tables.aio import TableClient, TableServiceClient

    from storage.settings import StorageSettings

__all__ = ["TableClientOptions", "TableProvider", "http_env_settings_present"]

_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_DEADLINE_KEY = "switchboard_deadline"  # monotonic deadline of one storage call, in its pipeline context


@dataclass(frozen=True)
class TableClientOptions:
    """Retry and timeout settings of the table clients (seconds).

    Defaults suit a bot turn, which Teams waits for 10 to 15 seconds: two quick retries, then a
    clear ``StorageUnavailableError`` within ``operation_timeout`` — whether the account refuses
    connections, black-holes them, or accepts them and never answers — rather than azure-core's
    default of 10 retries and 300-second timeouts. ``connection_timeout`` and ``read_timeout``
    bound one attempt and are cut to what is left of ``operation_timeout``, which bounds every
    attempt and pause of one call together (at most one retry pause, ``retry_backoff_max``,
    may follow once it is spent). Tests use ``TableClientOptions(retry_total=0, connection_timeout=2)``
    to fail fast.
    """

    retry_total: int = 2
    retry_backoff_factor: float = 0.4
    retry_backoff_max: float = 2.0
    connection_timeout: float = 2.0
    read_timeout: float = 4.0
    operation_timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: StorageSettings) -> TableClientOptions:
        """The storage settings' timeouts, with the default retries."""
        return cls(
            connection_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            operation_timeout=settings.timeout_seconds,
        )

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the table service client (its retry policy and per-attempt hook)."""
        return {
            "retry_total": self.retry_total,
            "retry_backoff_factor": self.retry_backoff_factor,
            "retry_backoff_max": self.retry_backoff_max,
            "timeout": self.operation_timeout,  # the retry policy's budget: no new attempt once spent
            "raw_request_hook": self._before_attempt,  # runs before each attempt, after the retry policy
        }

    def _before_attempt(self, request: PipelineRequest[Any]) -> None:
        """Cut this attempt's timeouts to what is left of the call's budget.

        azure-core's retry policy cuts only the connection timeout: an attempt that starts with one
        second left would otherwise still wait the whole read timeout. The deadline is kept in the
        pipeline context, which every attempt of one call shares.
        """
        from azure.core.exceptions import ServiceResponseTimeoutError

        now = time.monotonic()
        deadline = request.context.setdefault(_DEADLINE_KEY, now + self.operation_timeout)
        left = deadline - now
        if left <= 0:
            raise ServiceResponseTimeoutError("the storage call's time budget is spent")
        options = request.context.options
        options["connection_timeout"] = min(self.connection_timeout, left)
        options["read_timeout"] = min(self.read_timeout, left)


class TableProvider:
    """Creates and caches one ``TableClient`` per table, all sharing one transport (one aiohttp session).

    Give either ``connection_string``, or ``endpoint`` and optionally ``credential`` (an async token
    credential). Without one, ``credential_factory(managed_identity_client_id)`` builds it on first use
    (default: ``DefaultAzureCredential``, so managed identity in Azure). ``transport`` replaces the
    default ``AioHttpTransport`` (tests use it to observe requests).
    """

    def __init__(
        self,
        *,
        connection_string: str | None = None,
        endpoint: str | None = None,
        credential: AsyncTokenCredential | None = None,
        managed_identity_client_id: str | None = None,
        credential_factory: Callable[[str | None], AsyncTokenCredential] | None = None,
        options: TableClientOptions | None = None,
        transport: AsyncHttpTransport | None = None,
    ) -> None:
        if bool(connection_string) == bool(endpoint):
            raise ValueError("TableProvider needs either a connection string or an account endpoint, not both")
        self._connection_string = connection_string
        self._endpoint = endpoint.rstrip("/") if endpoint else None
        self._credential = credential
        self._owns_credential = credential is None and endpoint is not None
        self._managed_identity_client_id = managed_identity_client_id
        self._credential_factory = credential_factory or _default_azure_credential
        self.options = options or TableClientOptions()
        self._transport = transport
        self._service: TableServiceClient | None = None
        self._tables: dict[str, TableClient] = {}
        self._pending: dict[str, asyncio.Future[TableClient]] = {}
        self._closed = False

    @classmethod
    def from_settings(
        cls,
        settings: StorageSettings,
        *,
        options: TableClientOptions | None = None,
        credential_factory: Callable[[str | None], AsyncTokenCredential] | None = None,
    ) -> TableProvider:
        """A provider for Switchboard's storage account: connection string, or managed identity.

        ``options`` default to the settings' timeouts (:meth:`TableClientOptions.from_settings`).
        """
        options = options or TableClientOptions.from_settings(settings)
        if settings.connection_string:
            return cls(connection_string=settings.connection_string, options=options)
        if not settings.table_endpoint:
            raise ValueError("storage settings name neither a connection string nor an account")
        return cls(
            endpoint=settings.table_endpoint,
            managed_identity_client_id=settings.client_id,
            credential_factory=credential_factory,
            options=options,
        )

    @property
    def endpoint(self) -> str | None:
        """The account's table endpoint in identity mode (None with a connection string, which may hold a key)."""
        return self._endpoint

    @property
    def uses_identity(self) -> bool:
        return self._endpoint is not None

    @property
    def credential(self) -> AsyncTokenCredential | None:
        """The token credential in identity mode (created on first use), else None."""
        if self._endpoint is None:
            return None
        if self._credential is None:
            self._credential = self._credential_factory(self._managed_identity_client_id)
        return self._credential

    def service_client(self) -> TableServiceClient:
        """The shared ``TableServiceClient`` (built on first call; no network)."""
        if self._closed:
            raise StorageError("the table provider is closed")
        if self._service is None:
            from azure.core.pipeline.transport import AioHttpTransport
            from azure.data.tables.aio import TableServiceClient

            transport = self._transport or AioHttpTransport(
                connection_timeout=self.options.connection_timeout,
                read_timeout=self.options.read_timeout,
                use_env_settings=http_env_settings_present(),
            )
            kwargs = self.options.client_kwargs()
            if self._connection_string:
                self._service = TableServiceClient.from_connection_string(
                    self._connection_string, transport=transport, **kwargs
                )
            else:
                assert self._endpoint is not None
                self._service = TableServiceClient(
                    self._endpoint, credential=self.credential, transport=transport, **kwargs
                )
        return self._service

    async def table(self, name: str) -> TableClient:
        """The client for table ``name``, creating the table if it does not exist (once per process)."""
        client = self._tables.get(name)
        if client is not None:
            return client
        if not _TABLE_NAME.match(name):
            raise ValueError(f"invalid table name {name!r}: 3-63 letters and digits, starting with a letter")
        pending = self._pending.get(name)
        if pending is None:
            pending = asyncio.ensure_future(self._create(name))
            self._pending[name] = pending
            pending.add_done_callback(lambda _: self._pending.pop(name, None))
        # shield: one caller being cancelled must not cancel the creation the others wait for
        return await asyncio.shield(pending)

    async def _create(self, name: str) -> TableClient:
        service = self.service_client()
        with translated("create table", name):
            client = await self._create_if_not_exists(service, name)
        self._tables[name] = client
        return client

    async def _create_if_not_exists(self, service: TableServiceClient, name: str) -> TableClient:
        """Create the table if missing (a 409 from a concurrent creator is fine). A seam for tests."""
        return await service.create_table_if_not_exists(name)

    async def close(self) -> None:
        """Close the shared transport (and the credential, if this provider created it). Idempotent."""
        if self._closed:
            return
        self._closed = True
        for pending in list(self._pending.values()):
            pending.cancel()
        self._tables.clear()
        if self._service is not None:
            await self._service.close()
        if self._owns_credential and self._credential is not None:
            await self._credential.close()  # type: ignore[attr-defined]

    async def __aenter__(self) -> TableProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def http_env_settings_present(environ: Mapping[str, str] | None = None, home: Path | None = None) -> bool:
    """Whether aiohttp's ``trust_env`` would find anything: a ``*_proxy`` variable or a ``.netrc`` file.

    ``environ`` defaults to ``os.environ`` and ``home`` to the user's home directory.
    """
    env = os.environ if environ is None else environ
    if any(name.lower().endswith("_proxy") and value.strip() for name, value in env.items()):
        return True
    if env.get("NETRC"):
        return True
    try:
        folder = home if home is not None else Path.home()
    except RuntimeError:  # no home directory: nothing to read there
        return False
    return (folder / ".netrc").exists()


def _default_azure_credential(managed_identity_client_id: str | None) -> AsyncTokenCredential:
    """``DefaultAzureCredential``: managed identity in Azure (user-assigned when a client id is given)."""
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=managed_identity_client_id)
