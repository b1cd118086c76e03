"""The table transport's cost per request: point reads run on the event loop, with no worker-thread hop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from storage import TableBotStorage, TableProvider, http_env_settings_present
from tests.support.table_storage import FAST


class CountingExecutor(ThreadPoolExecutor):
    """A default executor that counts the work handed to it (composition: it still runs everything)."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


async def test_parallel_point_reads_use_no_worker_threads(
    without_http_env_settings: None, storage_connection_string: str, unique_name: str
) -> None:
    assert not http_env_settings_present()
    provider = TableProvider(connection_string=storage_connection_string, options=FAST)
    storage = TableBotStorage(provider, table_name=f"hops{unique_name}")
    executor = CountingExecutor()
    asyncio.get_running_loop().set_default_executor(executor)
    try:
        await storage.write({"present": {"n": 1}})
        executor.submitted = 0

        found = await storage.read(["present", "missing-1", "missing-2"])

        assert list(found) == ["present"]
        assert executor.submitted == 0  # aiohttp with trust_env reads .netrc and proxies in worker threads
    finally:
        await provider.close()
        executor.shutdown(wait=False)
