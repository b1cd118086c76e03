"""Building blocks for discovery: list Azure resources in scope as :class:`Choice` s.

A parameter's ``discover`` function usually is one call to :func:`resource_choices`, which
lists a resource type in every configured subscription (per configured resource group when
``SWITCHBOARD_RESOURCE_GROUPS`` is set), concurrently and within the discovery time budget
(:meth:`ActionContext.gather_choices`). Results are cached per turn by
:func:`actions.params.choices`, not here.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from typing import Any

from actions.context import ActionContext, ChoiceSource
from actions.resource_ids import parse_resource_id
from actions.spec import Choice, ChoiceList

__all__ = ["ListInGroup", "ListInSubscription", "ToChoice", "location_text", "resource_choices"]

ListInGroup = Callable[[str, str], AsyncIterable[Any]]
"""(subscription, resource group) -> async iterable of SDK models, e.g. ``list_by_resource_group``."""
ListInSubscription = Callable[[str], AsyncIterable[Any]]
"""(subscription) -> async iterable of SDK models, e.g. ``list`` / ``list_all``."""
ToChoice = Callable[[Any], Choice]


def location_text(resource_id: str) -> str:
    """Where a resource lives, for a choice's description: ``rg-prod · sub 22222222``."""
    rid = parse_resource_id(resource_id)
    if rid is None:
        return ""
    return f"{rid.resource_group} · sub {rid.subscription[:8]}"


async def resource_choices(
    ctx: ActionContext,
    *,
    what: str,
    list_in_group: ListInGroup,
    list_in_subscription: ListInSubscription,
    to_choice: ToChoice,
) -> ChoiceList:
    """List one resource type in scope as choices (value = resource id), within the time budget.

    The SDK clients (and with them the lazily imported management SDK, a few hundred ms on a
    cold instance) and the paged list calls are built *before* the budget starts; only the
    requests to Azure count against it. A configured resource group that does not exist in one
    of the subscriptions is skipped silently (404); any other failure marks the list incomplete.
    """
    from azure.core.exceptions import ResourceNotFoundError

    sources: list[ChoiceSource] = []
    for subscription, group in ctx.scope_targets():
        items = list_in_group(subscription, group) if group else list_in_subscription(subscription)
        sources.append(_source(ctx, items, to_choice, ResourceNotFoundError))
    return await ctx.gather_choices(sources, what=what)


def _source(
    ctx: ActionContext,
    items: AsyncIterable[Any],
    to_choice: ToChoice,
    not_found: type[Exception],
) -> ChoiceSource:
    async def run(found: list[Choice]) -> None:
        try:
            async for item in items:
                resource_id = getattr(item, "id", None)
                if isinstance(resource_id, str) and ctx.in_scope(resource_id):
                    found.append(to_choice(item))
        except not_found:
            return  # the resource group does not exist in this subscription

    return run
