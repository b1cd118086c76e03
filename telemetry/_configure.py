"""Process-wide logging and tracing set-up, and audit events."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from telemetry._filters import ContextFilter, RedactionFilter
from telemetry._turn import CONTEXT_FIELDS

if TYPE_CHECKING:
    from telemetry.settings import TelemetryConfig

__all__ = ["APP_LOGGER", "AUDIT_LOGGER", "audit_event", "configure_telemetry"]

APP_LOGGER = "switchboard"
AUDIT_LOGGER = "switchboard.audit"

# Libraries that log request details (headers included) at INFO/DEBUG: WARNING unless set explicitly.
_NOISY_LOGGERS = (
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
    "azure.monitor.opentelemetry",
    "urllib3",
    "msal",
    "msrest",
    "botbuilder",
    "botframework",
)

# Instrumentations the distro would load that Switchboard has no use for (each costs import time).
# Kept: azure_sdk (Table Storage, queues, ARM calls as dependencies) and requests (the SDK's key fetch).
_UNUSED_INSTRUMENTATIONS = ("django", "fastapi", "flask", "psycopg2", "urllib", "urllib3", "httpx")

_RESERVED_AUDIT_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "audit_event",
    *CONTEXT_FIELDS,
}

_log = logging.getLogger("switchboard.telemetry")


@dataclass
class _Installation:
    """What configure_telemetry changed, so a test can undo it."""

    azure_monitor: bool
    handlers: list[tuple[logging.Logger, logging.Handler]] = field(default_factory=list)
    filters: list[tuple[logging.Handler, logging.Filter]] = field(default_factory=list)
    levels: list[tuple[logging.Logger, int]] = field(default_factory=list)


_lock = threading.Lock()
_installation: _Installation | None = None


def configure_telemetry(settings: TelemetryConfig) -> None:
    """Set up logging and tracing for this process once; later calls do nothing.

    With ``settings.appinsights_connection_string``: Azure Monitor OpenTelemetry exports traces,
    metrics and the ``switchboard`` loggers' records (imported only then: it costs ~250 ms).
    Otherwise: one readable line per record on stderr. Either way the ``switchboard`` loggers log at
    ``settings.log_level`` (audit events always at INFO), every existing root handler and the
    exporting handler get the context and redaction filters, and noisy libraries log at WARNING.
    """
    global _installation
    with _lock:
        if _installation is not None:
            if _installation.azure_monitor != bool(settings.appinsights_connection_string):
                _log.warning("configure_telemetry called again with a different exporter; keeping the first")
            return
        installation = _Installation(azure_monitor=False)
        app_logger = logging.getLogger(APP_LOGGER)
        _set_level(installation, app_logger, logging.getLevelNamesMapping().get(settings.log_level, logging.INFO))
        _set_level(installation, logging.getLogger(AUDIT_LOGGER), logging.INFO)
        for name in _NOISY_LOGGERS:
            noisy = logging.getLogger(name)
            if noisy.level == logging.NOTSET:
                _set_level(installation, noisy, logging.WARNING)
        failure: Exception | None = None
        if settings.appinsights_connection_string:
            try:
                _configure_azure_monitor(settings.appinsights_connection_string)
                installation.azure_monitor = True
            except Exception as exc:  # telemetry must not stop the bot: fall back to the console
                failure = exc
        if not installation.azure_monitor:
            console = _ConsoleHandler()
            logging.getLogger().addHandler(console)
            installation.handlers.append((logging.getLogger(), console))
        for handler in [*logging.getLogger().handlers, *app_logger.handlers]:
            _install_filters(installation, handler)
        _installation = installation
    if failure is not None:
        _log.error("Azure Monitor could not be configured; logging to the console instead", exc_info=failure)


def audit_event(name: str, **properties: str) -> None:
    """Emit audit event ``name`` on the ``switchboard.audit`` logger at INFO.

    ``name`` and each property become record attributes (custom dimensions in Application Insights,
    table ``traces``), as do the active turn's ids. Values pass the redaction filter like any record.
    Raises ValueError for an empty name or a property that would clash with a log record attribute,
    TypeError for a value that is not a string.
    """
    if not name:
        raise ValueError("audit_event: name must not be empty")
    clashing = sorted(_RESERVED_AUDIT_KEYS & properties.keys())
    if clashing:
        raise ValueError(f"audit_event: property names {clashing} are reserved; choose other names")
    for key, value in properties.items():
        if not isinstance(value, str):
            raise TypeError(f"audit_event: property {key!r} must be a str, not {type(value).__name__}")
    summary = " ".join(f"{key}={value}" for key, value in properties.items())
    logging.getLogger(AUDIT_LOGGER).info(
        "audit %s%s", name, f" {summary}" if summary else "", extra={"audit_event": name, **properties}
    )


class _ConsoleFormatter(logging.Formatter):
    """``2026-11-03T10:15:02.123Z INFO    switchboard.bot: message [correlation_id=... conversation_id=...]``"""

    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03dZ %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = " ".join(f"{key}={value}" for key in CONTEXT_FIELDS if (value := record.__dict__.get(key)))
        return f"{line} [{fields}]" if fields else line


class _ConsoleHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self.setFormatter(_ConsoleFormatter())

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr


def _configure_azure_monitor(connection_string: str) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor

    options: dict[str, Any] = {}
    if "OTEL_TRACES_SAMPLER" not in os.environ:
        # Turns are few, and each one should be findable by its correlation id. The distro's default
        # (rate-limited, 5 traces/s) also drops the first turn right after start-up, i.e. after a cold start.
        options["sampling_ratio"] = 1.0
    configure_azure_monitor(
        connection_string=connection_string,
        logger_name=APP_LOGGER,
        instrumentation_options={name: {"enabled": False} for name in _UNUSED_INSTRUMENTATIONS},
        **options,
    )


def _set_level(installation: _Installation, logger: logging.Logger, level: int) -> None:
    installation.levels.append((logger, logger.level))
    logger.setLevel(level)


def _install_filters(installation: _Installation, handler: logging.Handler) -> None:
    if any(isinstance(existing, ContextFilter | RedactionFilter) for existing in handler.filters):
        return
    for new in (ContextFilter(), RedactionFilter()):
        handler.addFilter(new)
        installation.filters.append((handler, new))


def _uninstall() -> None:
    """Undo configure_telemetry's logging changes (tests only; an Azure Monitor set-up stays)."""
    global _installation
    with _lock:
        if _installation is None:
            return
        for logger, handler in _installation.handlers:
            logger.removeHandler(handler)
        for handler, installed in _installation.filters:
            handler.removeFilter(installed)
        for logger, level in reversed(_installation.levels):
            logger.setLevel(level)
        _installation = None
