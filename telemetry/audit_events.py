"""Audit records as Application Insights custom events, with the ids of the audit table.

:class:`AuditEventEmitter` turns one :class:`guardrails.records.AuditRecord` into one custom
event named :data:`AUDIT_EVENT_NAME` whose custom dimensions are the record's ids and facts:
``audit_id``, ``audit_kind``, ``at`` (ISO 8601 UTC), ``actor``, ``action``, ``scope``,
``request_id``, ``correlation_id``, ``decision``, ``rule_id``, ``break_glass`` (``true``/``false``)
and each detail as ``detail_<name>``. The free-text ``reason`` stays in the audit table only:
it is what a person typed, and message text never goes to telemetry above DEBUG.

In Application Insights: ``customEvents | where name == "SwitchboardAudit" and
customDimensions.request_id == "…"``.
"""

from __future__ import annotations

from datetime import UTC

from guardrails.records import AuditRecord
from telemetry.custom_events import CustomEventEmitter

__all__ = ["AUDIT_EVENT_NAME", "AuditEventEmitter"]

AUDIT_EVENT_NAME = "SwitchboardAudit"


class AuditEventEmitter:
    """Emits each audit record as a custom event (see the module docstring for its dimensions)."""

    def __init__(self, events: CustomEventEmitter | None = None) -> None:
        self._events = events or CustomEventEmitter()

    def emit(self, record: AuditRecord) -> None:
        """Emit ``record`` as one ``SwitchboardAudit`` custom event."""
        properties = {
            "audit_id": record.id,
            "audit_kind": record.kind.value,
            "at": record.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": record.actor,
            "action": record.action,
            "scope": record.scope,
            "request_id": record.request_id,
            "correlation_id": record.correlation_id,
            "decision": record.decision,
            "rule_id": record.rule_id,
            "break_glass": "true" if record.break_glass else "false",
        }
        for name, value in sorted(record.details.items()):
            properties[f"detail_{name}"] = str(value)
        self._events.emit(AUDIT_EVENT_NAME, properties)
