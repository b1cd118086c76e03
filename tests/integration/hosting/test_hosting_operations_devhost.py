"""`make run`'s path for operations: the dev host serves function_app's own queue functions against
Azurite, so a queued request runs to its end through the very function the Functions host calls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import function_app
from actions.context import ClientOptions
from app.runtime import SwitchboardRuntime
from operations import OperationState
from requesting import OutcomeState
from tests.integration.operations.conftest import scale_request
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.operations_scale import wait_for
from tools import azurite as azurite_tool
from tools.devhost import DevHost

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def own_storage() -> Iterator[str]:
    """An Azurite of this test's own: the queue names are fixed, and the end-to-end stack's dev host
    (session-scoped, on the session's Azurite) runs a worker on the same queue that would take this
    test's message and run it against its own sandbox."""
    instance = azurite_tool.start()
    try:
        yield instance.connection_string
    finally:
        instance.stop()


async def test_the_dev_host_runs_a_queued_operation_through_function_apps_queue_function(
    local_env: dict[str, str], own_storage: str, sandbox: SandboxHandle
) -> None:
    env = {
        **local_env,
        "SwitchboardStorage": own_storage,
        "SWITCHBOARD_ARM_SANDBOX_URL": sandbox.url,
        "SWITCHBOARD_SUBSCRIPTIONS": f"{DEV_SUBSCRIPTION_ID},{PROD_SUBSCRIPTION_ID}",
        "SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS": "30",
    }
    runtime = SwitchboardRuntime(env, client_options=ClientOptions(polling_interval=0.05, retry_total=2))
    host = DevHost(function_app.create_app(runtime), port=0, env=env, app_root=ROOT)
    assert {w.queue_name for w in host.queue_workers} == {"switchboard-operations", "switchboard-operations-poison"}
    assert [w.name for w in host.timer_workers] == ["sweeper"]
    await host.start()
    try:
        switchboard = await runtime.switchboard()
        request = await scale_request(switchboard.actions, switchboard.registry)
        sandbox.clear_requests()
        outcome = await switchboard.execution.handler.submit(request)
        assert outcome.state is OutcomeState.QUEUED
        operation_id = outcome.details["operation"]

        async def ended() -> bool:
            stored = await switchboard.execution.operations.get(operation_id)
            return stored is not None and stored.record.terminal

        await wait_for(ended, bound=120)  # a hang guard: the worker's first check comes after 2 s
        stored = await switchboard.execution.operations.get(operation_id)
        assert stored is not None
        operation = stored.record
    finally:
        await host.stop()
        await runtime.close()

    assert operation.state is OperationState.SUCCEEDED
    puts = [r for r in sandbox.requests() if r["method"] == "PUT"]
    assert [r["client_request_id"] for r in puts] == [operation_id]
