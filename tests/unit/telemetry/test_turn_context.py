"""Turn context: ids on every record of a turn, none outside, no leaks between turns."""

from __future__ import annotations

import asyncio
import logging
import re
from types import SimpleNamespace

from telemetry import CONTEXT_FIELDS, current_correlation_id, log_context, turn_scope

from .conftest import Captured, make_activity

log = logging.getLogger("switchboard.tests")

EXPECTED = {
    "conversation_id": "conv-1",
    "activity_id": "act-1",
    "user_object_id": "aad-user-1",
    "channel_id": "msteams",
    "tenant_id": "tenant-1",
}


def test_records_carry_the_turn_ids_inside_a_turn_and_none_outside(captured: Captured) -> None:
    log.info("before")
    with turn_scope(make_activity()) as correlation_id:
        log.info("during")
    log.info("after")

    before, during, after = captured.records
    for record in (before, after):
        assert not any(hasattr(record, name) for name in CONTEXT_FIELDS)
    assert {name: getattr(during, name) for name in EXPECTED} == EXPECTED
    assert during.correlation_id == correlation_id


def test_turn_ids_are_exported_as_log_attributes(captured: Captured) -> None:
    with turn_scope(make_activity()) as correlation_id:
        log.warning("during")
    log.warning("after")

    during, after = (item.log_record.attributes or {} for item in captured.exported())
    assert {name: during.get(name) for name in EXPECTED} == EXPECTED
    assert during.get("correlation_id") == correlation_id
    assert not set(CONTEXT_FIELDS) & set(after)


def test_correlation_id_is_12_hex_chars_and_current_inside_the_turn() -> None:
    with turn_scope(make_activity()) as correlation_id:
        assert re.fullmatch(r"[0-9a-f]{12}", correlation_id)
        assert current_correlation_id() == correlation_id
        assert log_context()["correlation_id"] == correlation_id
    outside = {current_correlation_id() for _ in range(3)}
    assert len(outside) == 3
    assert correlation_id not in outside
    assert all(re.fullmatch(r"[0-9a-f]{12}", value) for value in outside)
    assert dict(log_context()) == {}


def test_each_turn_gets_a_new_correlation_id() -> None:
    ids = set()
    for _ in range(50):
        with turn_scope(make_activity()) as correlation_id:
            ids.add(correlation_id)
    assert len(ids) == 50


def test_nested_turn_restores_the_outer_turn(captured: Captured) -> None:
    with turn_scope(make_activity(conversation_id="outer")) as outer:
        with turn_scope(make_activity(conversation_id="inner")) as inner:
            log.info("inner")
        log.info("outer again")
    assert outer != inner
    inner_record, outer_record = captured.records
    assert (inner_record.conversation_id, inner_record.correlation_id) == ("inner", inner)
    assert (outer_record.conversation_id, outer_record.correlation_id) == ("outer", outer)


def test_context_is_restored_when_the_turn_fails() -> None:
    try:
        with turn_scope(make_activity()):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert dict(log_context()) == {}


async def test_concurrent_turns_each_see_only_their_own_ids(captured: Captured) -> None:
    both_inside = asyncio.Barrier(2)

    async def turn(conversation_id: str) -> tuple[str, str]:
        with turn_scope(make_activity(conversation_id=conversation_id)) as correlation_id:
            await both_inside.wait()  # both turns are open at once from here on
            log.info("working")
            await asyncio.sleep(0)
            log.info("still working")
            return conversation_id, correlation_id

    results = dict(await asyncio.gather(turn("conv-a"), turn("conv-b")))
    assert len(captured.records) == 4
    for record in captured.records:
        assert record.correlation_id == results[record.conversation_id]
    assert results["conv-a"] != results["conv-b"]
    assert dict(log_context()) == {}


def test_tenant_id_falls_back_to_teams_channel_data_and_ids_are_single_line() -> None:
    activity = SimpleNamespace(
        type="message",
        id="act-1\nINFO forged line",
        text=None,
        channel_id="msteams",
        conversation=SimpleNamespace(id="conv-1", tenant_id=None),
        from_property=SimpleNamespace(aad_object_id=None),
        channel_data={"tenant": {"id": "tenant-from-channel-data"}},
    )
    with turn_scope(activity):  # type: ignore[arg-type]
        context = dict(log_context())
    assert context["tenant_id"] == "tenant-from-channel-data"
    assert context["activity_id"] == "act-1INFO forged line"
    assert "user_object_id" not in context  # absent ids are left out, not logged as "None"
