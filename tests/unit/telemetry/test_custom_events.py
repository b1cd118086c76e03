"""Custom events: what Azure Monitor's exporter makes of them (an Application Insights event, not a trace)."""

from __future__ import annotations

import pytest
from azure.monitor.opentelemetry.exporter.export.logs._exporter import _convert_log_to_envelope

from telemetry import turn_scope
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
