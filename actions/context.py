"""What an action needs to reach Azure: the scope it may touch, SDK clients, a per-turn discovery cache.

One root :class:`ActionContext` lives as long as the process (built by the composition root
from the ARM section alone, :class:`actions.settings.ArmSettings`). It joins two separate pieces:
the scope (:class:`actions.scope.ArmScope`, pure checks of subscriptions and resource groups)
and the client pool (:class:`actions.clients.ArmClients`, the credential and the SDK clients,
created lazily on first use and reused). Each turn takes :meth:`ActionContext.for_turn`: a view
sharing those with an empty discovery cache, so the same discovery call with the same inputs
runs once per turn. The Azure SDKs are imported inside the methods that need them, so
importing this module (and :mod:`actions.registry`) costs nothing at cold start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from actions.clients import ArmClients, ClientOptions
from actions.resource_ids import ResourceId
from actions.scope import ArmScope
from actions.settings import ArmSettings
from actions.spec import Choice, ChoiceList

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


class ActionContext:
    """SDK clients, scope and discovery helpers for actions. See the module docstring for lifetimes."""

    def __init__(
        self,
        arm: ArmSettings,
        *,
        options: ClientOptions | None = None,
        credential: AsyncTokenCredential | None = None,
        _connections: ArmClients | None = None,
    ) -> None:
        self.arm = arm
        self.scope = ArmScope.from_settings(arm)
        self.options = options or ClientOptions()
        self._owner = _connections is None
        self._connections = _connections or ArmClients(arm, self.options, credential)
        self._cache: dict[Hashable, asyncio.Future[Any]] = {}

    def for_turn(self) -> ActionContext:
        """A view for one turn: same clients and credential, empty discovery cache. Closing it is a no-op."""
        return ActionContext(self.arm, options=self.options, _connections=self._connections)

    # --- scope (the pure checks of :class:`ArmScope`) -------------------------------------------

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """Subscription ids in scope (lowercase), in configured order."""
        return self.scope.subscriptions

    @property
    def resource_groups(self) -> frozenset[str]:
        """Resource group names in scope (lowercase); empty means every group of those subscriptions."""
        return self.scope.resource_groups

    def require_subscriptions(self) -> tuple[str, ...]:
        """See :meth:`ArmScope.require_subscriptions`."""
        return self.scope.require_subscriptions()

    def in_scope(self, resource_id: str | ResourceId) -> bool:
        """See :meth:`ArmScope.in_scope`."""
        return self.scope.in_scope(resource_id)

    def ensure_in_scope(self, resource_id: str | ResourceId) -> ResourceId:
        """See :meth:`ArmScope.ensure_in_scope`."""
        return self.scope.ensure_in_scope(resource_id)

    def scope_targets(self) -> list[tuple[str, str | None]]:
        """See :meth:`ArmScope.scope_targets`."""
        return self.scope.scope_targets()

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
