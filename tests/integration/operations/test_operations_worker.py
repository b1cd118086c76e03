"""The queued executor and the worker, end to end on the real parts: a confirmed request becomes an
operation answered at once; the worker runs it across queue messages to its end and tells the
requester; nothing reaches Azure twice whatever the queue delivers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from guardrails.ports import AuditQuery
from operations import Operation, OperationMessage, OperationState
from requesting import NoticeStatus, OutcomeState
from tests.integration.operations.conftest import Harness, puts, scale_request
from tests.support.arm_sandbox import LONG_OPERATION, SandboxHandle

MakeHarness = Callable[..., Awaitable[Harness]]


async def submit(harness: Harness, **options: object) -> Operation:
    outcome = await harness.execution.handler.submit(await scale_request(harness.actions, harness.registry, **options))
    assert outcome.state is OutcomeState.QUEUED, outcome.message
    return await harness.operation(outcome.details["operation"])


async def test_a_request_is_answered_at_once_then_run_to_its_end_and_told(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    request = await scale_request(harness.actions, harness.registry)
    sandbox.clear_requests()

    outcome = await harness.execution.handler.submit(request)

    operation_id = outcome.details["operation"]
    assert outcome.state is OutcomeState.QUEUED
    assert outcome.message == (
        f"Scale aks-prod / np1: 3 → 5 nodes — I'll tell you here when it's done. Operation {operation_id}."
    )
    assert len(operation_id) == 4
    assert sandbox.requests() == []  # the confirm turn never waits on the platform
    queued = await harness.operation(operation_id)
    assert (queued.state, queued.before, queued.card_activity_id) == (OperationState.QUEUED, {"count": 3}, "card-1")
    assert queued.plan_hash.startswith("sha256:")

    await harness.run_until_ended(operation_id)

    done = await harness.operation(operation_id)
    assert done.state is OperationState.SUCCEEDED
    log = sandbox.requests()
    assert [r["method"] for r in log].count("PUT") == 1
    assert {r["client_request_id"] for r in log} == {operation_id}  # every ARM call names the operation
    assert done.correlation_id
    assert done.correlation_id == log[0]["correlation_id"]
    assert harness.notifier.texts("send") == [f"Operation {operation_id}: aks-prod / node pool np1 now has 5 nodes."]
    card_updates = [n for n in harness.notifier.sent if n.kind == "update"]
    assert card_updates[-1].activity_id == "card-1"
    assert card_updates[-1].notice.card is not None
    assert done.notified
    assert await harness.execution.leases.holder(done.resource_id) is None
    records = await harness.execution.audit.query(AuditQuery(request_id=request.id))
    kinds = sorted(r.kind.value for r in records)
    assert kinds == ["execution_ended", "execution_started"]
    assert all(r.details["operation_id"] == operation_id for r in records)
    ended = next(r for r in records if r.kind.value == "execution_ended")
    assert (ended.decision, ended.correlation_id) == ("succeeded", done.correlation_id)


async def test_the_operations_correlation_id_is_the_one_arm_returned_not_the_operation_id(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    request = await scale_request(harness.actions, harness.registry)  # its preview reads ARM too
    sandbox.clear_requests()
    outcome = await harness.execution.handler.submit(request)
    operation = await harness.operation(outcome.details["operation"])

    await harness.run_until_ended(operation.id)

    done = await harness.operation(operation.id)
    log = sandbox.requests()
    assert done.state is OperationState.SUCCEEDED
    assert log
    assert {r["client_request_id"] for r in log} == {operation.id}  # the operation id goes out...
    assert done.correlation_id == log[0]["correlation_id"]  # ...ARM's correlation id comes back and is kept
    assert done.correlation_id != operation.id
    assert str(uuid.UUID(done.correlation_id)) == done.correlation_id


async def test_duplicated_redelivered_and_raced_messages_send_one_put(
    make_harness: MakeHarness, sandbox: SandboxHandle
) -> None:
    first, second = await make_harness(), await make_harness()
    operation = await submit(first)
    sandbox.clear_requests()
    message = OperationMessage(operation.id, operation.seq).encode().encode()

    # two workers take copies of the same message at once, and a third copy is delivered later
    await asyncio.gather(first.execution.worker.handle(message), second.execution.worker.handle(message))
    await first.execution.worker.handle(message)
    await asyncio.gather(first.run_until_ended(operation.id), second.run_until_ended(operation.id))
    await second.execution.worker.handle(message)  # redelivered after the end

    assert len(puts(sandbox)) == 1
    assert (await first.operation(operation.id)).state is OperationState.SUCCEEDED
    told = first.notifier.texts("send") + second.notifier.texts("send")
    assert len(told) == 1


async def test_a_crash_between_the_start_and_the_token_save_resumes_without_a_second_start(
    make_harness: MakeHarness, sandbox: SandboxHandle
) -> None:
    crashes: list[str] = []

    async def die_once(operation: Operation) -> None:
        if not crashes:
            crashes.append(operation.id)
            raise RuntimeError("the worker process died")

    harness = await make_harness(after_start=die_once)
    sandbox.set_operation_delay(LONG_OPERATION)
    operation = await submit(harness)

    await harness.driver.drain_once()  # starts the scale, then dies before saving the token
    assert crashes == [operation.id]
    assert harness.driver.failures == 1
    after_crash = await harness.operation(operation.id)
    assert (after_crash.state, after_crash.continuation_token) == (OperationState.RUNNING, None)

    harness.clock.advance(seconds=harness.execution.worker.options.start_grace.total_seconds() + 1)
    await harness.driver.drain_once()  # redelivered: finds the scale running on the pool, does not start again
    assert (await harness.operation(operation.id)).state is OperationState.RUNNING
    assert len(puts(sandbox)) == 1

    sandbox.finish_operations()
    await harness.run_until_ended(operation.id)
    assert (await harness.operation(operation.id)).state is OperationState.SUCCEEDED
    assert len(puts(sandbox)) == 1
    assert len(harness.notifier.texts("send")) == 1


async def test_a_platform_failure_ends_failed_and_the_requester_is_told_why(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    sandbox.inject_fault(method="PUT", path_contains="agentPools/np1", operation_status="Failed")
    operation = await submit(harness)

    await harness.run_until_ended(operation.id)

    failed = await harness.operation(operation.id)
    assert failed.state is OperationState.FAILED
    (told,) = harness.notifier.texts("send")
    assert told.startswith(f"Operation {operation.id} failed: Azure could not scale aks-prod / node pool np1")
    assert "check aks-prod / node pool np1 before trying again" in told
    assert "Traceback" not in told
    assert harness.notifier.sent[-1].kind == "update"
    assert await harness.execution.leases.holder(failed.resource_id) is None


async def test_a_poll_that_never_ends_times_out_and_is_told(harness: Harness, sandbox: SandboxHandle) -> None:
    sandbox.never_complete(True)
    operation = await submit(harness)

    async def polled() -> bool:
        return (await harness.operation(operation.id)).polls >= 1

    await harness.driver.run_until(polled)
    harness.clock.advance(seconds=operation.timeout.total_seconds() + 1)
    await harness.run_until_ended(operation.id)

    ended = await harness.operation(operation.id)
    assert ended.state is OperationState.TIMED_OUT
    assert harness.notifier.texts("send") == [
        f"Operation {operation.id} did not finish within 30 min 0 s. Azure may still complete it: "
        "check aks-prod / node pool np1 before trying again."
    ]
    assert len(puts(sandbox)) == 1


async def test_a_poisoned_message_fails_its_operation_and_tells_the_requester(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    operation = await submit(harness)
    # what the Functions host does after maxDequeueCount failed attempts: the message moves to the poison queue
    await harness.driver._ensure()
    (message,) = [m async for m in harness.driver.queue.receive_messages(max_messages=5)]
    await harness.driver.poison.send_message(message.content)
    await harness.driver.queue.delete_message(message)

    await harness.run_until_ended(operation.id)

    failed = await harness.operation(operation.id)
    assert failed.state is OperationState.FAILED
    assert harness.notifier.texts("send") == [
        f"Operation {operation.id} failed: Switchboard could not process it after repeated errors; nothing was "
        "sent to Azure. It may have partly happened: check aks-prod / node pool np1 before trying again."
    ]
    assert puts(sandbox) == []


async def test_a_second_request_on_a_busy_resource_names_the_holder_and_waits_behind_it(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    first_request = await scale_request(harness.actions, harness.registry, count=5)
    second_request = await scale_request(harness.actions, harness.registry, count=4, card="card-2")
    sandbox.set_operation_delay(LONG_OPERATION)
    first = (await harness.execution.handler.submit(first_request)).details["operation"]

    async def first_running() -> bool:
        return (await harness.operation(first)).continuation_token is not None

    await harness.driver.run_until(first_running)
    outcome = await harness.execution.handler.submit(second_request)
    second = outcome.details["operation"]

    assert outcome.state is OutcomeState.QUEUED
    assert f"aks-prod / node pool np1 is busy with operation {first} (started " in outcome.message
    assert outcome.message.endswith("yours waits for it to finish, then starts.")

    async def second_waiting() -> bool:
        return (await harness.operation(second)).waiting_on == first

    await harness.driver.run_until(second_waiting)
    assert len(puts(sandbox)) == 1

    sandbox.set_operation_delay(0.05)
    sandbox.finish_operations()
    await harness.run_until_ended(first, second)
    assert [(await harness.operation(i)).state for i in (first, second)] == [OperationState.SUCCEEDED] * 2
    assert len(puts(sandbox)) == 2


async def test_an_undeliverable_notice_is_audited_and_never_changes_the_outcome(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    harness.notifier.statuses.update({"send": NoticeStatus.GONE, "update": NoticeStatus.FAILED})
    request = await scale_request(harness.actions, harness.registry)
    operation_id = (await harness.execution.handler.submit(request)).details["operation"]

    await harness.run_until_ended(operation_id)

    done = await harness.operation(operation_id)
    assert done.state is OperationState.SUCCEEDED
    records = await harness.execution.audit.query(AuditQuery(request_id=request.id))
    failures = [r for r in records if r.kind.value == "notice_failed"]
    by_notice = {r.details["notice"]: r.decision for r in failures}
    assert (by_notice["reply"], by_notice["card"]) == ("gone", "failed")  # and any progress update of the card
    assert all(r.details["operation_id"] == operation_id and r.correlation_id == done.correlation_id for r in failures)
