"""Policy for tests that run requests through the whole composition root (the guardrails are in the path).

:func:`allow_everything` gives people a standing (``auto``) grant for every action on ``/`` in the
active policy of an Azurite account's default tables — what a test of another concern (at most
once, the composition's wiring) needs so that its requests are decided "approved" and run.
"""

from __future__ import annotations

import contextlib

from guardrails.ports import RecordConflict
from guardrails.records import ALL_ACTIONS, Grant, GrantMode, Principal
from storage import TableProvider
from storage.policy_versions import PolicyStores, PolicyVersionStore
from tests.support.table_storage import FAST

__all__ = ["allow_everything"]


async def allow_everything(connection_string: str, *object_ids: str) -> None:
    """A standing grant of every action everywhere for each of ``object_ids`` (idempotent)."""
    async with TableProvider(connection_string=connection_string, options=FAST) as tables:
        version = (await PolicyVersionStore(tables).active()).version
        stores = PolicyStores.for_version(tables, version)
        for object_id in object_ids:
            grant = Grant(
                id=f"test-everything-{object_id}", principal=Principal.user(object_id),
                actions=frozenset({ALL_ACTIONS}), scope="/", mode=GrantMode.AUTO, reason="tests of other concerns",
            )
            with contextlib.suppress(RecordConflict):
                await stores.grants.add(grant)
