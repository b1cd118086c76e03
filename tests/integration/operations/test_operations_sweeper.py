"""The sweeper, with a controllable clock, on the real tables and queue: approvals expire (the
requester told once), approvers are reminded at most once per interval, stuck operations time out
and are told, lost messages are replaced, expired leases reclaimed, the delivery ledger purged —
and two sweepers running at once do each thing once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from app.execution import SweeperOptions
from guardrails.records import ApprovalStatus, Group, Principal
from operations import OperationState
from requesting import OutcomeState
from storage import DeliveryLedger, TableApprovalStore, TableApproverRuleStore, TableGroupStore
from tests.integration.operations.conftest import Harness, puts, scale_request
from tests.support.arm_sandbox import SandboxHandle
from tests.support.guardrail_records import ALICE, BOB, approval, rule

MakeHarness = Callable[..., Awaitable[Harness]]
CAROL = "00000000-0000-0000-0000-0000000000c3"
OPTIONS = SweeperOptions(remind_after=timedelta(minutes=30), remind_every=timedelta(hours=2))


async def test_two_sweepers_expire_a_stale_approval_once_and_tell_the_requester_once(
    make_harness: MakeHarness,
) -> None:
    first, second = await make_harness(sweeper=OPTIONS), await make_harness(sweeper=OPTIONS)
    approvals = TableApprovalStore(first.tables, table_name=f"{first.prefix}approvals")
    now = first.clock()
    stale = approval(created_at=now - timedelta(hours=5), expires_at=now + timedelta(minutes=10))
    await approvals.create(stale)

    assert (await first.execution.sweeper.sweep()).expired_approvals == []
    first.clock.advance(minutes=11)
    reports = await asyncio.gather(first.execution.sweeper.sweep(), second.execution.sweeper.sweep())

    assert sorted(id for r in reports for id in r.expired_approvals) == [stale.id]
    assert (await approvals.get(stale.id)).record.status is ApprovalStatus.EXPIRED
    told = first.notifier.texts("send") + second.notifier.texts("send")
    assert told == [
        "Your request “aks-prod / node pool np1” expired before enough approvers answered. Nothing was changed; "
        "ask again if it is still needed."
    ]


async def test_approvers_are_reminded_after_the_wait_and_at_most_once_per_interval(
    make_harness: MakeHarness,
) -> None:
    first, second = await make_harness(sweeper=OPTIONS), await make_harness(sweeper=OPTIONS)
    now = first.clock()
    approvals = TableApprovalStore(first.tables, table_name=f"{first.prefix}approvals")
    rules = TableApproverRuleStore(first.tables, table_name=f"{first.prefix}approverrules")
    groups = TableGroupStore(first.tables, table_name=f"{first.prefix}groups")
    await rules.put(rule(id="r-prod", approvers=frozenset({Principal.user(BOB), Principal.group("platform")})))
    await groups.put(Group(name="platform", members=frozenset({CAROL, ALICE})))
    waiting = approval(rule_id="r-prod", created_at=now, expires_at=now + timedelta(days=1))
    await approvals.create(waiting)

    def reminded() -> list[str]:
        return sorted(n.where for h in (first, second) for n in h.notifier.sent if n.kind == "send_to_user")

    assert (await first.execution.sweeper.sweep()).reminded_approvals == []  # not waiting long enough yet
    first.clock.advance(minutes=31)
    await asyncio.gather(first.execution.sweeper.sweep(), second.execution.sweeper.sweep())
    assert reminded() == [BOB, CAROL]  # the requester (in the group) is not asked to approve their own request
    first.clock.advance(minutes=60)
    await first.execution.sweeper.sweep()
    assert reminded() == [BOB, CAROL]  # within the interval: not again
    first.clock.advance(minutes=61)
    await second.execution.sweeper.sweep()
    assert reminded() == [BOB, BOB, CAROL, CAROL]
    text = first.notifier.sent[0].notice.text or second.notifier.sent[0].notice.text or ""
    assert text.startswith("Reminder: Alice Ämberg has waited 31 min for approval of “aks-prod / node pool np1”")


async def test_two_sweepers_time_out_a_stuck_operation_once_tell_once_and_reclaim_its_lease(
    make_harness: MakeHarness, sandbox: SandboxHandle
) -> None:
    first, second = await make_harness(sweeper=OPTIONS), await make_harness(sweeper=OPTIONS)
    sandbox.never_complete(True)
    outcome = await first.execution.handler.submit(await scale_request(first.actions, first.registry))
    assert outcome.state is OutcomeState.QUEUED
    operation_id = outcome.details["operation"]

    async def running() -> bool:
        return (await first.operation(operation_id)).continuation_token is not None

    await first.driver.run_until(running)  # then its worker stops: no more messages are processed
    stuck = await first.operation(operation_id)
    first.clock.advance(seconds=stuck.timeout.total_seconds() + 1)
    reports = await asyncio.gather(first.execution.sweeper.sweep(), second.execution.sweeper.sweep())

    assert sorted(id for r in reports for id in r.timed_out) == [operation_id]
    ended = await first.operation(operation_id)
    assert ended.state is OperationState.TIMED_OUT
    told = first.notifier.texts("send") + second.notifier.texts("send")
    assert len(told) == 1
    assert told[0].startswith(f"Operation {operation_id} did not finish within 30 min")
    assert await first.execution.leases.holder(ended.resource_id) is None
    assert len(puts(sandbox)) == 1


async def test_the_sweeper_reclaims_expired_leases_requeues_lost_messages_and_purges_the_ledger(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    leases = harness.execution.leases
    await leases.acquire("/subscriptions/x/resourceGroups/rg/providers/p/t/abandoned", "DEAD", timedelta(minutes=5))
    ledger = DeliveryLedger(harness.tables, table_name=f"d{harness.prefix[1:]}", clock=harness.clock)
    assert await ledger.claim_activity("msteams", "19:c", "activity-1")
    outcome = await harness.execution.handler.submit(await scale_request(harness.actions, harness.registry))
    operation_id = outcome.details["operation"]
    await harness.driver._ensure()
    async for lost in harness.driver.queue.receive_messages(max_messages=5):  # the queued message is lost
        await harness.driver.queue.delete_message(lost)

    harness.clock.advance(hours=2)
    report = await harness.execution.sweeper.sweep()

    assert report.reclaimed_leases == ["/subscriptions/x/resourcegroups/rg/providers/p/t/abandoned"]
    assert report.rekicked == [operation_id]
    assert report.purged_deliveries == 1
    assert report.errors == []
    await harness.run_until_ended(operation_id)
    assert (await harness.operation(operation_id)).state is OperationState.SUCCEEDED
    assert len(puts(sandbox)) == 1
