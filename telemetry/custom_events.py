"""Application Insights custom events, sent through the standard ``logging`` module.

Azure Monitor OpenTelemetry exports a log record that carries the attribute
``microsoft.custom_event.name`` as a *custom event* (table ``customEvents``, named by that
attribute) instead of a trace; every other ``extra`` attribute becomes one of its custom
dimensions. :class:`CustomEventEmitter` logs such records on the ``switchboard.audit`` logger
(always at INFO, exported whenever Azure Monitor is configured; printed on the console otherwise),
so the guardrails' audit trail can be queried in Application Insights by the same ids as in the
audit table.

Records pass the same filters as any other (secrets redacted, message text never above DEBUG);
inside a turn they also carry the turn's ids (:data:`telemetry.CONTEXT_FIELDS`) unless a property
names them itself.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from telemetry._configure import AUDIT_LOGGER

__all__ = ["CUSTOM_EVENT_NAME_ATTRIBUTE", "CustomEventEmitter"]

CUSTOM_EVENT_NAME_ATTRIBUTE = "microsoft.custom_event.name"
"""The log record attribute Azure Monitor's exporter turns into a custom event's name."""

_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    CUSTOM_EVENT_NAME_ATTRIBUTE,
}
_MAX_VALUE_CHARS = 8192  # Application Insights keeps at most 8 KiB of one custom dimension


class CustomEventEmitter:
    """Emit named custom events with string properties (custom dimensions).

    :param logger_name: the logger the events go to; the default ``switchboard.audit`` is exported
        to Application Insights by :func:`telemetry.configure_telemetry` and always logs at INFO.
    """

    def __init__(self, logger_name: str = AUDIT_LOGGER) -> None:
        self._logger = logging.getLogger(logger_name)

    def emit(self, name: str, properties: Mapping[str, str]) -> None:
        """Emit custom event ``name`` with ``properties`` as its custom dimensions.

        Raises ValueError for an empty name or a property name that a log record reserves,
        TypeError for a value that is not a string. Values longer than 8192 characters are cut
        (Application Insights would cut them anyway).
        """
        if not name:
            raise ValueError("custom event name must not be empty")
        clashing = sorted(_RESERVED & properties.keys())
        if clashing:
            raise ValueError(f"custom event property names {clashing} are reserved; choose other names")
        extra: dict[str, str] = {}
        for key, value in properties.items():
            if not isinstance(value, str):
                raise TypeError(f"custom event property {key!r} must be a str, not {type(value).__name__}")
            extra[key] = value[:_MAX_VALUE_CHARS]
        extra[CUSTOM_EVENT_NAME_ATTRIBUTE] = name
        self._logger.info("event %s", name, extra=extra)
