"""Custom events: what Azure Monitor's exporter makes of them (an Application Insights event, not a trace)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from azure.monitor.opentelemetry.exporter.export.logs._exporter import _convert_log_to_envelope

from guardrails.records import AuditKind, AuditRecord
from telemetry import turn_scope
from telemetry.audit_events import AUDIT_EVENT_NAME, AuditEventEmitter
from telemetry.custom_events import CUSTOM_EVENT_NAME_ATTRIBUTE, CustomEventEmitter

from .conftest import ACCOUNT_KEY, Captured, make_activity

PROPERTIES = {
    "request_id": "req-7f3a",
    "correlation_id": "corr-1",
    "actor": "00000000-0000-0000-0000-000000000020",
    "action": "scale-node-pool",
    "scope": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-prod",
}


def test_an_event_is_exported_as_an_application_insights_custom_event(captured: Captured) -> None:
    CustomEventEmitter().emit("SwitchboardAudit", PROPERTIES)

    (exported,) = captured.exported()
    envelope = _convert_log_to_envelope(exported)

    assert envelope.name == "Microsoft.ApplicationInsights.Event"
    assert envelope.data.base_type == "EventData"
    assert envelope.data.base_data.name == "SwitchboardAudit"
    dimensions = envelope.data.base_data.properties
    assert {key: dimensions[key] for key in PROPERTIES} == PROPERTIES
    assert CUSTOM_EVENT_NAME_ATTRIBUTE not in dimensions


def test_inside_a_turn_the_events_ids_win_over_the_turns(captured: Captured) -> None:
    with turn_scope(make_activity()) as turn_correlation_id:
        CustomEventEmitter().emit("SwitchboardAudit", {"request_id": "req-1", "correlation_id": "corr-from-record"})
        CustomEventEmitter().emit("SwitchboardAudit", {"request_id": "req-2"})

    first, second = (dict(item.log_record.attributes or {}) for item in captured.exported())
    assert first["correlation_id"] == "corr-from-record"
    assert second["correlation_id"] == turn_correlation_id
    assert second["conversation_id"] == "conv-1"


def test_secrets_in_properties_are_redacted(captured: Captured) -> None:
    CustomEventEmitter().emit("SwitchboardAudit", {"reason": f"rotate AccountKey={ACCOUNT_KEY}"})

    assert ACCOUNT_KEY not in captured.dump()


@pytest.mark.parametrize("name", ["msg", "levelname", "message", CUSTOM_EVENT_NAME_ATTRIBUTE])
def test_reserved_property_names_are_refused(captured: Captured, name: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        CustomEventEmitter().emit("SwitchboardAudit", {name: "x"})
    assert captured.exported() == ()


def test_bad_names_and_values_are_refused(captured: Captured) -> None:
    with pytest.raises(ValueError, match="empty"):
        CustomEventEmitter().emit("", {})
    with pytest.raises(TypeError, match="must be a str"):
        CustomEventEmitter().emit("SwitchboardAudit", {"count": 3})  # type: ignore[dict-item]
    assert captured.exported() == ()


def test_an_audit_record_becomes_one_event_with_the_audit_tables_ids(captured: Captured) -> None:
    record = AuditRecord(
        id="audit-1",
        at=datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=1))),
        kind=AuditKind.BREAK_GLASS,
        actor=PROPERTIES["actor"],
        action="scale-node-pool",
        scope=PROPERTIES["scope"],
        request_id="req-7f3a",
        correlation_id="corr-1",
        decision="approved",
        rule_id="g-break-glass",
        reason="payments down, please let me scale",
        break_glass=True,
        details={"count": "5"},
    )

    AuditEventEmitter().emit(record)

    (exported,) = captured.exported()
    envelope = _convert_log_to_envelope(exported)
    assert envelope.data.base_data.name == AUDIT_EVENT_NAME
    dimensions = envelope.data.base_data.properties
    assert {key: dimensions[key] for key in ("audit_id", "request_id", "correlation_id", "actor", "scope")} == {
        "audit_id": "audit-1",
        "request_id": "req-7f3a",
        "correlation_id": "corr-1",
        "actor": PROPERTIES["actor"],
        "scope": PROPERTIES["scope"],
    }
    assert dimensions["audit_kind"] == "break_glass"
    assert dimensions["break_glass"] == "true"
    assert dimensions["at"] == "2026-11-26T09:00:00.000000+00:00"
    assert dimensions["detail_count"] == "5"
    assert "payments down" not in captured.dump()  # what a person typed stays in the audit table
