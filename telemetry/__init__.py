"""Logging and tracing for Switchboard: Azure Monitor OpenTelemetry or readable console logs.

Call :func:`configure_telemetry` once at start-up, wrap each bot turn in :func:`turn_scope`, and log
through ``logging.getLogger("switchboard.<area>")``. Inside a turn every record carries the turn's
ids (see :data:`CONTEXT_FIELDS`) as record attributes, which Azure Monitor exports as custom
dimensions and the console prints as ``key=value``.

Rules the filters enforce on every record that reaches a configured handler:

* secrets never appear at any level: Authorization/Bearer values, JWTs, ``AccountKey=``,
  ``SharedAccessSignature=``/``sig=``, ``password``/``client_secret``/``*token`` values, URL credentials;
* message text never appears above DEBUG: log it with :func:`debug_text`; ``text=`` fields, the
  ``extra`` keys in :data:`TEXT_FIELDS` and the current turn's text are removed from INFO and up.

Importing this package is cheap: OpenTelemetry is imported on the first turn, Azure Monitor only
when a connection string is configured.
"""

from telemetry._configure import APP_LOGGER, AUDIT_LOGGER, audit_event, configure_telemetry
from telemetry._filters import TEXT_FIELDS, ContextFilter, RedactionFilter, debug_text
from telemetry._redact import redact
from telemetry._turn import CONTEXT_FIELDS, current_correlation_id, log_context, turn_scope
from telemetry.custom_events import CUSTOM_EVENT_NAME_ATTRIBUTE, CustomEventEmitter

__all__ = [
    "APP_LOGGER",
    "AUDIT_LOGGER",
    "CONTEXT_FIELDS",
    "CUSTOM_EVENT_NAME_ATTRIBUTE",
    "TEXT_FIELDS",
    "ContextFilter",
    "CustomEventEmitter",
    "RedactionFilter",
    "audit_event",
    "configure_telemetry",
    "current_correlation_id",
    "debug_text",
    "log_context",
    "redact",
    "turn_scope",
]
