"""The operations domain: ids people can type back, the queue message, the poll delays, the transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from operations import (
    OPERATION_ID_ALPHABET,
    IllegalTransition,
    Operation,
    OperationMessage,
    OperationState,
    cancel,
    finish,
    new_operation_id,
    next_poll_delay,
    normalize_operation_id,
    record_intent,
    record_poll,
    release_hold,
    requeue,
    time_out,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def queued() -> Operation:
    return Operation(
        id="7F3K", request_id="r1", action="aks-scale-node-pool", args={"count": 5}, resource_id="/sub/x/pool",
        requester_key="oid", requester_name="Alex", conversation={}, target="aks-prod / np1",
        title="Scale aks-prod / np1: 3 → 5 nodes", created_at=T0, timeout=timedelta(minutes=30),
    )


def test_ids_are_four_crockford_characters_and_read_back_as_typed() -> None:
    ids = {new_operation_id() for _ in range(200)}
    assert all(len(i) == 4 and set(i) <= set(OPERATION_ID_ALPHABET) for i in ids)
    assert normalize_operation_id(" 7f3k ") == "7F3K"
    assert normalize_operation_id("o1l-i") == "0111"  # O is 0, I and L are 1
    assert normalize_operation_id("7F3") is None
    assert normalize_operation_id("7F3K!") is None


def test_a_message_round_trips_and_anything_else_is_refused_with_the_reason() -> None:
    message = OperationMessage("7F3K", 3)
    assert OperationMessage.decode(message.encode().encode()) == message
    for body, reason in ((b"\xff", "UTF-8 JSON"), (b"[]", "JSON object"), (b'{"seq": 1}', "operation id"),
                         (b'{"op": "7F3K", "seq": -1}', "step number"), (b"x" * 2000, "at most 1024")):
        with pytest.raises(ValueError, match=reason):
            OperationMessage.decode(body)


def test_polls_back_off_towards_retry_after_and_never_beyond_the_maximum() -> None:
    assert [next_poll_delay(n, 10) for n in range(5)] == [2, 4, 8, 10, 10]
    assert [next_poll_delay(n, None, maximum=30) for n in range(6)] == [2, 4, 8, 16, 30, 30]
    assert next_poll_delay(6, 600, maximum=60) == 60  # a Retry-After above the maximum is capped
    assert next_poll_delay(0, None, initial=0) == 0


def test_the_lifecycle_moves_only_forward_and_each_step_advances_the_message_sequence() -> None:
    operation = queued()
    waiting = requeue(operation, now=T0, next_check_at=T0 + timedelta(seconds=15), waiting_on="9QX2")
    assert (waiting.state, waiting.seq, waiting.waiting_on) == (OperationState.QUEUED, 1, "9QX2")
    running = record_intent(waiting, now=T0)
    assert (running.state, running.seq, running.intent_at, running.waiting_on) == (
        OperationState.RUNNING, 1, T0, None)  # the message carrying the start is the one a crash redelivers
    assert running.deadline == T0 + timedelta(minutes=30)
    polled = record_poll(running, now=T0, continuation_token="tok", next_check_at=T0, correlation_id="c-1")
    assert (polled.seq, polled.continuation_token, polled.polls, polled.correlation_id) == (2, "tok", 1, "c-1")
    done = finish(polled, now=T0 + timedelta(minutes=3), succeeded=True, message="done")
    assert (done.state, done.seq, done.duration()) == (OperationState.SUCCEEDED, 3, timedelta(minutes=3))
    for step in (lambda o: record_intent(o, now=T0), lambda o: time_out(o, now=T0, message=""),
                 lambda o: cancel(o, now=T0, message="")):
        with pytest.raises(IllegalTransition):
            step(done)
    with pytest.raises(IllegalTransition):
        time_out(operation, now=T0, message="")  # a queued operation cannot time out: nothing was sent


def test_a_held_operation_is_released_once_into_the_queue_or_cancelled() -> None:
    from dataclasses import replace

    held = replace(queued(), waiting_on="9QX2", held_until=T0 + timedelta(minutes=15))
    assert held.held

    released = release_hold(held, now=T0)
    assert (released.held, released.seq, released.next_check_at, released.state) == (False, 1, T0,
                                                                                     OperationState.QUEUED)
    with pytest.raises(IllegalTransition, match="not held"):
        release_hold(released, now=T0)
    dropped = cancel(held, now=T0, message="nobody chose.")
    assert (dropped.state, dropped.held_until, dropped.held) == (OperationState.CANCELLED, None, False)
    with pytest.raises(IllegalTransition):
        release_hold(dropped, now=T0)
