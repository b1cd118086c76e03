"""The process's Azure SDK clients: one credential and one client per (kind, subscription), made on first use.

:class:`ArmClients` is the pool an :class:`~actions.context.ActionContext` and its per-turn
views share. Against Azure it uses ``DefaultAzureCredential`` (managed identity in Azure) and
``https://management.azure.com``; when the ARM section names the local sandbox, the static
credential and plain-HTTP policy of :mod:`actions.local_arm`. The SDKs are imported on first use,
so importing this module costs nothing at cold start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from actions.settings import ArmSettings

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.credentials_async import AsyncTokenCredential

__all__ = ["SDK_MODULES", "ArmClients", "ClientOptions", "import_sdks"]

SDK_MODULES: tuple[str, ...] = (
    "azure.mgmt.containerservice.aio",
    "azure.mgmt.containerservice.models",
    "azure.mgmt.compute.aio",
    "azure.mgmt.compute.models",
    "azure.mgmt.web.aio",
    "azure.mgmt.core.polling.async_arm_polling",
)
"""The Azure management SDK modules the actions use: 170-300 ms of CPU each family to import."""


def import_sdks() -> None:
    """Import :data:`SDK_MODULES` now (blocking; hosts call it in a worker thread after start-up).

    Imported lazily instead, the first request of each action family would spend that CPU on the
    event loop, stalling every other conversation meanwhile. Raises ``ImportError`` if one is missing.
    """
    for name in SDK_MODULES:
        importlib.import_module(name)

T = TypeVar("T")


@dataclass(frozen=True)
class ClientOptions:
    """How the SDK clients retry and poll. Tests pass tiny values to stay fast.

    ``polling_interval`` is the pause between status checks of a long-running operation when
    Azure sends no ``Retry-After`` (also used by :func:`actions.runner.run_to_completion`).
    Throttling (429) and server errors are retried by the SDK's retry policy, which honours
    ``Retry-After``; ``retry_total`` bounds the attempts, the backoff grows exponentially from
    ``retry_backoff_factor`` up to ``retry_backoff_max`` seconds.
    """

    polling_interval: float = 10.0
    retry_total: int = 4
    retry_backoff_factor: float = 0.8
    retry_backoff_max: float = 20.0

    def sdk_kwargs(self) -> dict[str, Any]:
        """Keyword arguments every management client takes."""
        return {
            "polling_interval": self.polling_interval,
            "retry_total": self.retry_total,
            "retry_backoff_factor": self.retry_backoff_factor,
            "retry_backoff_max": self.retry_backoff_max,
        }


class ArmClients:
    """The credential and the SDK clients of one process. Close it once, when the process stops.

    :param arm: the ARM section (endpoint; sandbox or Azure).
    :param options: retries and polling of every client.
    :param credential: a credential to use instead of the default one; the pool does not close it.
    """

    def __init__(self, arm: ArmSettings, options: ClientOptions, credential: AsyncTokenCredential | None) -> None:
        self._arm = arm
        self._options = options
        self._credential = credential
        self._owns_credential = credential is None
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def credential(self) -> AsyncTokenCredential:
        """The credential every client shares, created on first use."""
        if self._credential is None:
            if self._arm.uses_sandbox:
                from actions.local_arm import AsyncStaticTokenCredential

                self._credential = AsyncStaticTokenCredential()
            else:
                from azure.identity.aio import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
        return self._credential

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of every management client: retries, polling, endpoint, the operation-id
        policy (:mod:`actions.arm_ids`) and, in sandbox mode, the plain-HTTP policy."""
        kwargs = self._options.sdk_kwargs()
        kwargs["base_url"] = self._arm.endpoint
        from actions.arm_ids import ArmIdsPolicy  # x-ms-client-request-id = the operation id (worker calls)

        policies: list[Any] = [ArmIdsPolicy()]
        if self._arm.uses_sandbox:
            from actions.local_arm import AllowHttpPolicy

            policies.append(AllowHttpPolicy())
        kwargs["per_call_policies"] = policies
        return kwargs

    def client(self, kind: str, subscription_id: str, factory: Callable[..., T]) -> T:
        """The client of ``kind`` for a subscription, made with ``factory`` on first use and reused."""
        key = (kind, subscription_id.lower())
        client = self._clients.get(key)
        if client is None:
            client = factory(self.credential, subscription_id.lower(), **self.client_kwargs())
            self._clients[key] = client
        return client  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Close every client, then the credential if the pool made it."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
        if self._owns_credential and self._credential is not None:
            credential, self._credential = self._credential, None
            await credential.close()
