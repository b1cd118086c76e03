"""What an action needs to reach Azure: SDK clients, the configured scope, a per-turn discovery cache.

One root :class:`ActionContext` lives as long as the process (built by the composition root
from :class:`bot.settings.ArmSettings`); it owns the credential and the SDK clients, created
lazily on first use and reused. Each turn takes :meth:`ActionContext.for_turn`: a view sharing
those clients with an empty discovery cache, so the same discovery call with the same inputs
runs once per turn. The Azure SDKs are imported inside the methods that need them, so
importing this module (and :mod:`actions.registry`) costs nothing at cold start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from actions.quoting import quoted, shown
from actions.resource_ids import ResourceId, parse_resource_id
from actions.spec import ActionError, Choice, ChoiceList
from bot.settings import ArmSettings, Settings

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.credentials_async import AsyncTokenCredential
    from azure.mgmt.compute.aio import ComputeManagementClient
    from azure.mgmt.containerservice.aio import ContainerServiceClient
    from azure.mgmt.web.aio import WebSiteManagementClient

__all__ = ["ActionContext", "ChoiceSource", "ClientOptions"]

_log = logging.getLogger(__name__)

T = TypeVar("T")

ChoiceSource = Callable[[list[Choice]], Awaitable[None]]
"""One discovery request: appends what it finds to the list as it goes (so a slow source still
contributes what it listed before the time budget ran out). A source only talks to Azure: build
its SDK client (which imports the SDK) before handing it to :meth:`ActionContext.gather_choices`,
so a cold import never eats the budget."""

INCOMPLETE_NOTE = "the list may be incomplete"


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


class _Connections:
    """The credential and the SDK clients, shared by a root context and its per-turn views."""

    def __init__(self, arm: ArmSettings, options: ClientOptions, credential: AsyncTokenCredential | None) -> None:
        self._arm = arm
        self._options = options
        self._credential = credential
        self._owns_credential = credential is None
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def credential(self) -> AsyncTokenCredential:
        if self._credential is None:
            if self._arm.uses_sandbox:
                from sandbox.client import AsyncStaticTokenCredential

                self._credential = AsyncStaticTokenCredential()
            else:
                from azure.identity.aio import DefaultAzureCredential

                self._credential = DefaultAzureCredential()
        return self._credential

    def client_kwargs(self) -> dict[str, Any]:
        kwargs = self._options.sdk_kwargs()
        kwargs["base_url"] = self._arm.endpoint
        if self._arm.uses_sandbox:
            from sandbox.client import AllowHttpPolicy

            kwargs["per_call_policies"] = [AllowHttpPolicy()]
        return kwargs

    def client(self, kind: str, subscription_id: str, factory: Callable[..., T]) -> T:
        key = (kind, subscription_id.lower())
        client = self._clients.get(key)
        if client is None:
            client = factory(self.credential, subscription_id.lower(), **self.client_kwargs())
            self._clients[key] = client
        return client  # type: ignore[no-any-return]

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
        if self._owns_credential and self._credential is not None:
            credential, self._credential = self._credential, None
            await credential.close()


class ActionContext:
    """SDK clients, scope and discovery helpers for actions. See the module docstring for lifetimes."""

    def __init__(
        self,
        arm: ArmSettings,
        *,
        options: ClientOptions | None = None,
        credential: AsyncTokenCredential | None = None,
        _connections: _Connections | None = None,
    ) -> None:
        self.arm = arm
        self.options = options or ClientOptions()
        self._owner = _connections is None
        self._connections = _connections or _Connections(arm, self.options, credential)
        self._cache: dict[Hashable, asyncio.Future[Any]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, options: ClientOptions | None = None) -> ActionContext:
        """The root context of a process, from its validated settings."""
        return cls(settings.arm, options=options)

    def for_turn(self) -> ActionContext:
        """A view for one turn: same clients and credential, empty discovery cache. Closing it is a no-op."""
        return ActionContext(self.arm, options=self.options, _connections=self._connections)

    # --- scope -------------------------------------------------------------------------------

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """Subscription ids in scope (lowercase), in configured order."""
        return self.arm.subscriptions

    @property
    def resource_groups(self) -> frozenset[str]:
        """Resource group names in scope (lowercase); empty means every group of those subscriptions."""
        return self.arm.resource_groups

    def require_subscriptions(self) -> tuple[str, ...]:
        """The subscriptions in scope; raises :class:`ActionError` when none are configured."""
        if not self.arm.subscriptions:
            raise ActionError(
                "No Azure subscriptions are configured for actions. "
                "An administrator must set SWITCHBOARD_SUBSCRIPTIONS."
            )
        return self.arm.subscriptions

    def in_scope(self, resource_id: str | ResourceId) -> bool:
        """Whether a resource id lies inside the configured subscriptions and resource groups."""
        rid = resource_id if isinstance(resource_id, ResourceId) else parse_resource_id(resource_id)
        if rid is None or rid.subscription.lower() not in self.arm.subscriptions:
            return False
        return not self.arm.resource_groups or rid.resource_group.lower() in self.arm.resource_groups

    def ensure_in_scope(self, resource_id: str | ResourceId) -> ResourceId:
        """Parse ``resource_id`` and check it is in scope; raises a user-facing :class:`ActionError`."""
        self.require_subscriptions()
        rid = resource_id if isinstance(resource_id, ResourceId) else parse_resource_id(resource_id)
        if rid is None:
            raise ActionError(
                f"{quoted(resource_id)} is not an Azure resource id. "
                "Give the resource's name, or an id like /subscriptions/…/resourceGroups/…/providers/…."
            )
        if not self.in_scope(rid):
            raise ActionError(
                f"{shown(rid.name)} (resource group {shown(rid.resource_group)}, "
                f"subscription {shown(rid.subscription)}) is outside "
                "what Switchboard may operate on. Pick a resource in the configured subscriptions and resource "
                "groups, or ask the platform team to add this one."
            )
        return rid

    def scope_targets(self) -> list[tuple[str, str | None]]:
        """(subscription, resource group or None for all groups) pairs to list resources in."""
        subscriptions = self.require_subscriptions()
        groups: list[str | None] = sorted(self.arm.resource_groups) or [None]
        return [(sub, group) for sub in subscriptions for group in groups]

    # --- clients -----------------------------------------------------------------------------

    @property
    def credential(self) -> AsyncTokenCredential:
        """``DefaultAzureCredential`` against Azure; the sandbox's static credential in sandbox mode."""
        return self._connections.credential

    def container_service(self, subscription_id: str) -> ContainerServiceClient:
        """The (reused) aio ``ContainerServiceClient`` of a subscription."""
        from azure.mgmt.containerservice.aio import ContainerServiceClient

        return self._connections.client("containerservice", subscription_id, ContainerServiceClient)

    def compute(self, subscription_id: str) -> ComputeManagementClient:
        """The (reused) aio ``ComputeManagementClient`` of a subscription."""
        from azure.mgmt.compute.aio import ComputeManagementClient

        return self._connections.client("compute", subscription_id, ComputeManagementClient)

    def web(self, subscription_id: str) -> WebSiteManagementClient:
        """The (reused) aio ``WebSiteManagementClient`` of a subscription."""
        from azure.mgmt.web.aio import WebSiteManagementClient

        return self._connections.client("web", subscription_id, WebSiteManagementClient)

    # --- discovery -----------------------------------------------------------------------------

    async def cached(self, key: Hashable, factory: Callable[[], Awaitable[T]]) -> T:
        """Run ``factory`` once per key for this turn; concurrent and later callers share the result."""
        future = self._cache.get(key)
        if future is None:
            future = asyncio.ensure_future(factory())
            self._cache[key] = future
        return await asyncio.shield(future)  # type: ignore[no-any-return]

    async def gather_choices(self, sources: Sequence[ChoiceSource], *, what: str) -> ChoiceList:
        """Run discovery sources concurrently within the discovery time budget.

        The budget (``discovery_timeout_seconds``) starts here: whatever a source needs besides
        its requests (SDK clients, hence SDK imports) must be ready before this is called.

        Returns every choice found, de-duplicated by value and sorted by title. When a source
        is still running at the deadline (it is cancelled) or failed, the list is marked
        incomplete with a note for the user; failures are logged, never shown.
        """
        found: list[Choice] = []
        tasks = [asyncio.ensure_future(source(found)) for source in sources]
        if not tasks:
            return ChoiceList(())
        done, pending = await asyncio.wait(tasks, timeout=self.arm.discovery_timeout_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        failed = [task for task in done if not task.cancelled() and task.exception() is not None]
        for task in failed:
            _log.warning("discovery of %s failed", what, exc_info=task.exception())
        unique = {choice.value.lower(): choice for choice in found}
        choices = tuple(sorted(unique.values(), key=lambda c: (c.title.lower(), c.value.lower())))
        if pending:
            note = f"{INCOMPLETE_NOTE}: Azure was slow to list {what}"
        elif failed:
            note = f"{INCOMPLETE_NOTE}: some {what} could not be listed"
        else:
            return ChoiceList(choices)
        return ChoiceList(choices, complete=False, note=note)

    # --- lifetime ------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the SDK clients and the credential (the root only; per-turn views share them)."""
        for future in self._cache.values():
            future.cancel()
        self._cache.clear()
        if self._owner:
            await self._connections.close()

    async def __aenter__(self) -> ActionContext:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
