"""The request's one living card after the confirm turn: the worker updates the very card the person
confirmed — running with progress (at most once per interval, never right after the start), then the
outcome — rendered from what the operation keeps, with one short reply in the conversation."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from app.execution.journal import operation_card
from cards import REQUEST_CARD_LOOKS
from operations import Operation, OperationState
from requesting import OutcomeState, Request
from tests.integration.operations.conftest import FAST_WORKER, Harness, scale_request
from tests.support.arm_sandbox import LONG_OPERATION, SandboxHandle
from tests.support.card_checks import assert_valid_cards
from tools.card_validation import CardValidator

LABELS = {"cluster": "aks-prod", "pool": "np1", "count": "5"}


def lines(card: Any) -> list[str]:
    """Every TextBlock text and fact ("title: value") of the card, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            if node.get("type") == "FactSet":
                found.extend(f"{fact['title']}: {fact['value']}" for fact in node["facts"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card["body"])
    return found


def status(card: Any) -> tuple[str, list[str]]:
    """The style and lines of the card's status container (the first container with a style)."""
    def containers(node: Any) -> list[Any]:
        if isinstance(node, dict):
            own = [node] if node.get("type") == "Container" else []
            return own + [c for value in node.values() for c in containers(value)]
        if isinstance(node, list):
            return [c for item in node for c in containers(item)]
        return []

    first = containers(card["body"])[0]
    return first["style"], lines({"body": first["items"]})


async def labelled_request(harness: Harness, **options: Any) -> Request:
    request = await scale_request(harness.actions, harness.registry, **options)
    return replace(request, labels=LABELS)


def card_updates(harness: Harness) -> list[Any]:
    return [n.notice.card for n in harness.notifier.sent if n.kind == "update" and n.activity_id == "card-1"]


async def test_the_outcome_is_one_short_reply_and_the_confirmed_card_shows_it_in_place(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    request = await labelled_request(harness)
    outcome = await harness.execution.handler.submit(request)
    assert outcome.state is OutcomeState.QUEUED
    operation_id = outcome.details["operation"]
    kept = await harness.operation(operation_id)
    assert kept.labels == LABELS
    assert kept.preview["title"] == "Scale aks-prod / np1: 3 → 5 nodes"
    assert kept.preview["notes"] == []
    assert kept.preview["risks"] == []

    await harness.run_until_ended(operation_id)

    done = await harness.operation(operation_id)
    assert harness.notifier.texts("send") == [f"Operation {operation_id}: aks-prod / node pool np1 now has 5 nodes."]
    (card,) = card_updates(harness)  # a quick operation: no progress update, straight to its outcome
    assert lines(card) == [
        "Scale aks-prod / np1: 3 → 5 nodes", "Requested by Alex", "Confirmed by Alex",
        "AKS cluster: aks-prod", "Node pool: np1", "Node count: 3 → 5",
        "Done", "aks-prod / node pool np1 now has 5 nodes.",
        f"Operation: {operation_id}", f"ARM correlation id: {done.correlation_id}", "Took: 0 s",
    ]
    assert status(card)[0] == "good"
    # Status and, the scale being undoable, Undo: each carries its whole command and leaves the card as it is
    assert [(a["title"], a["data"]["switchboard"]["command"], a["data"]["switchboard"]["keep"])
            for a in card["actions"]] == [
        ("Status", f"status {operation_id}", True), ("Undo", f"undo {operation_id}", True),
    ]


async def test_a_long_operation_shows_progress_on_the_card_at_most_once_per_interval(
    make_harness: Any, sandbox: SandboxHandle
) -> None:
    harness: Harness = await make_harness(worker=replace(FAST_WORKER, progress_interval=timedelta(seconds=5)))
    sandbox.set_operation_delay(LONG_OPERATION)
    operation_id = (await harness.execution.handler.submit(await labelled_request(harness))).details["operation"]

    async def polls(count: int) -> Any:
        async def reached() -> bool:
            return (await harness.operation(operation_id)).polls >= count

        return reached

    await harness.driver.run_until(await polls(2))
    assert card_updates(harness) == []  # started, checked: the card still shows the confirm turn's "queued"

    harness.clock.advance(seconds=5)
    checked = (await harness.operation(operation_id)).polls
    await harness.driver.run_until(await polls(checked + 2))  # two checks in the same 5 s: one update

    (card,) = card_updates(harness)
    assert status(card) == ("accent", ["In progress", "Scaling aks-prod / node pool np1 to 5 nodes… (running for 5 s)"])
    assert f"Operation: {operation_id}" in lines(card)

    sandbox.set_operation_delay(0.05)
    sandbox.finish_operations()
    await harness.run_until_ended(operation_id)
    assert [status(c)[1][0] for c in card_updates(harness)] == ["In progress", "Done"]


async def test_a_failure_shows_on_the_card_with_the_reason_and_what_to_check(
    harness: Harness, sandbox: SandboxHandle
) -> None:
    sandbox.inject_fault(method="PUT", path_contains="agentPools/np1", operation_status="Failed")
    operation_id = (await harness.execution.handler.submit(await labelled_request(harness))).details["operation"]

    await harness.run_until_ended(operation_id)

    (card,) = card_updates(harness)
    style, shown = status(card)
    assert style == "attention"
    assert shown[0] == "Failed"
    assert shown[1].startswith("Azure could not scale aks-prod / node pool np1")
    assert "Reference " in shown[1]
    assert shown[1].endswith("check aks-prod / node pool np1 before trying again.")
    assert "Traceback" not in " ".join(lines(card))


async def test_a_timed_out_operation_says_so_on_the_card(harness: Harness, sandbox: SandboxHandle) -> None:
    sandbox.never_complete(True)
    operation = await harness.operation(
        (await harness.execution.handler.submit(await labelled_request(harness))).details["operation"]
    )

    async def polled() -> bool:
        return (await harness.operation(operation.id)).polls >= 1

    await harness.driver.run_until(polled)
    harness.clock.advance(seconds=operation.timeout.total_seconds() + 1)
    await harness.run_until_ended(operation.id)

    card = card_updates(harness)[-1]
    assert status(card) == ("warning", [
        "Timed out",
        "It did not finish within 30 min 0 s. Azure may still complete it: check aks-prod / node pool np1 before "
        "trying again.",
    ])


async def test_every_state_of_an_operation_is_a_state_of_the_request_card(
    harness: Harness, card_validator: CardValidator
) -> None:
    request = await labelled_request(harness)
    queued = await harness.operation((await harness.execution.handler.submit(request)).details["operation"])
    action = harness.registry.get(queued.action)
    assert action is not None
    now = queued.created_at + timedelta(seconds=42)
    started = replace(queued, state=OperationState.RUNNING, intent_at=queued.created_at, message="Scaling…")
    ended = replace(started, ended_at=now, message="It ended.", error="Azure said no.")
    operations: dict[OperationState, Operation] = {
        OperationState.QUEUED: queued,
        OperationState.RUNNING: started,
        **{state: replace(ended, state=state) for state in OperationState if state.terminal},
    }
    cards = {state.value: operation_card(action, operation, now) for state, operation in operations.items()}

    headlines = {state: status(cards[state.value])[1][0] for state in OperationState}
    assert headlines == {
        OperationState.QUEUED: "Queued", OperationState.RUNNING: "In progress", OperationState.SUCCEEDED: "Done",
        OperationState.FAILED: "Failed", OperationState.TIMED_OUT: "Timed out",
        OperationState.CANCELLED: "Cancelled before it started",
    }
    assert set(headlines.values()) <= {look.headline for look in REQUEST_CARD_LOOKS.values()}
    assert status(cards["running"])[1][1] == "Scaling… (running for 42 s)"
    assert status(cards["cancelled"])[1][1] == "Nothing was sent to Azure: It ended. Nothing was changed."
    assert "Took: 42 s" in lines(cards["succeeded"])
    assert "Took: 42 s" not in lines(cards["running"])
    assert all("actions" not in card for card in cards.values())
    assert_valid_cards(card_validator, cards)


async def test_the_first_step_waits_out_the_confirm_turn_so_its_queued_card_is_never_overtaken(
    make_harness: Any, sandbox: SandboxHandle
) -> None:
    harness: Harness = await make_harness(start_delay=60)  # the product's margin is seconds; a minute is unmissable
    request = await labelled_request(harness)
    sandbox.clear_requests()
    operation_id = (await harness.execution.handler.submit(request)).details["operation"]

    assert await harness.driver.drain_once() == 0  # the message is not visible yet: no worker can take it
    queued = await harness.operation(operation_id)
    assert queued.state is OperationState.QUEUED
    assert queued.next_check_at == queued.created_at + timedelta(seconds=60)
    assert harness.notifier.sent == []
    assert sandbox.requests() == []
