"""One OpenTelemetry span per turn, carrying the turn's ids and never the message text."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from telemetry import turn_scope

from .conftest import JWT, MESSAGE_TEXT, make_activity


def test_one_span_per_turn_with_the_turn_ids(spans: InMemorySpanExporter) -> None:
    with turn_scope(make_activity()) as first:
        pass
    with turn_scope(make_activity(activity_type="invoke", activity_id="act-2", text=None)) as second:
        pass

    message_span, invoke_span = spans.get_finished_spans()
    assert (message_span.name, invoke_span.name) == ("bot.turn message", "bot.turn invoke")
    assert message_span.kind is SpanKind.SERVER
    assert dict(message_span.attributes or {}) == {
        "correlation_id": first,
        "conversation_id": "conv-1",
        "activity_id": "act-1",
        "user_object_id": "aad-user-1",
        "channel_id": "msteams",
        "tenant_id": "tenant-1",
        "activity_type": "message",
    }
    assert (invoke_span.attributes or {})["correlation_id"] == second
    assert message_span.status.status_code is StatusCode.UNSET


def test_span_never_carries_message_text(spans: InMemorySpanExporter) -> None:
    with turn_scope(make_activity()):
        pass
    (span,) = spans.get_finished_spans()
    assert all(MESSAGE_TEXT not in str(value) for value in (span.attributes or {}).values())


def test_span_is_current_during_the_turn(spans: InMemorySpanExporter) -> None:
    from opentelemetry import trace

    with turn_scope(make_activity()):
        inside = trace.get_current_span().get_span_context()
    (span,) = spans.get_finished_spans()
    assert inside.span_id == span.context.span_id
    assert not trace.get_current_span().get_span_context().is_valid


def test_failed_turn_records_a_redacted_exception_and_error_status(spans: InMemorySpanExporter) -> None:
    with pytest.raises(PermissionError, match="denied"), turn_scope(make_activity()):
        raise PermissionError(f"denied for Authorization: Bearer {JWT}")

    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "PermissionError"
    (event,) = span.events
    attributes = dict(event.attributes or {})
    assert event.name == "exception"
    assert attributes["exception.type"] == "PermissionError"
    assert "denied for Authorization: [REDACTED]" in str(attributes["exception.message"])
    assert JWT not in str(attributes["exception.message"])
    assert JWT not in str(attributes["exception.stacktrace"])


def test_nested_turn_span_is_a_child_of_the_outer_turn(spans: InMemorySpanExporter) -> None:
    with turn_scope(make_activity(conversation_id="outer")), turn_scope(make_activity(conversation_id="inner")):
        pass
    inner, outer = spans.get_finished_spans()
    assert inner.parent is not None
    assert inner.parent.span_id == outer.context.span_id
    assert (inner.attributes or {})["conversation_id"] == "inner"
