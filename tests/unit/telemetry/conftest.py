"""Fixtures for the telemetry tests: real logging handlers and an in-memory OpenTelemetry pipeline."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from opentelemetry import trace
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.settings import AppType, Settings, StorageSettings
from telemetry import APP_LOGGER, configure_telemetry
from telemetry._configure import _uninstall

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3Qta2V5In0"
    ".eyJhdWQiOiJzd2l0Y2hib2FyZCIsInN1YiI6InVzZXIifQ"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
ACCOUNT_KEY = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="
SAS_SIG = "q9Xv%2B7sS3cr3tS1gnatur3%3D"
MESSAGE_TEXT = "please restart the payments cluster in westeurope"


def make_settings(*, log_level: str = "DEBUG", appinsights: str | None = None) -> Settings:
    """Settings for a local run: only the telemetry fields matter here."""
    return Settings(
        app_id="",
        app_password="",
        app_tenant_id="",
        app_type=AppType.MULTI_TENANT,
        storage=StorageSettings(connection_string="UseDevelopmentStorage=true"),
        allowed_tenants=frozenset({"00000000-0000-0000-0000-000000000001"}),
        appinsights_connection_string=appinsights,
        log_level=log_level,
    )


def make_activity(
    *,
    conversation_id: str = "conv-1",
    activity_id: str = "act-1",
    text: str | None = MESSAGE_TEXT,
    activity_type: str = "message",
) -> Activity:
    """A Teams message activity as the channel sends it."""
    return Activity(
        type=activity_type,
        id=activity_id,
        text=text,
        channel_id="msteams",
        conversation=ConversationAccount(id=conversation_id, tenant_id="tenant-1"),
        from_property=ChannelAccount(id="user-id-0", name="Alex Wilber", aad_object_id="aad-user-1"),
    )


class ListHandler(logging.Handler):
    """Keeps the records it handles (after its filters ran) and their formatted text."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(logging.Formatter("%(levelname)s %(name)s %(message)s").format(record))


@dataclass
class Captured:
    """What configured telemetry let through: plain records, and what OpenTelemetry would export."""

    handler: ListHandler
    exporter: InMemoryLogRecordExporter

    @property
    def records(self) -> list[logging.LogRecord]:
        return self.handler.records

    @property
    def lines(self) -> list[str]:
        return self.handler.lines

    def exported(self) -> tuple[ReadableLogRecord, ...]:
        return self.exporter.get_finished_logs()

    def dump(self) -> str:
        """Everything that left the process: formatted records and exported bodies/attributes."""
        parts = list(self.lines)
        for item in self.exported():
            parts.append(str(item.log_record.body))
            parts.append(repr(dict(item.log_record.attributes or {})))
        return "\n".join(parts)


@pytest.fixture
def configure() -> Iterator[Callable[..., Captured]]:
    """Configure console telemetry with a record-keeping root handler and an OpenTelemetry log handler.

    The OpenTelemetry handler sits on the ``switchboard`` logger exactly where Azure Monitor puts its
    own, so ``exported()`` shows what would become traces and custom dimensions in Application Insights.
    """
    _uninstall()
    root, app_logger = logging.getLogger(), logging.getLogger(APP_LOGGER)
    added: list[tuple[logging.Logger, logging.Handler]] = []

    def _configure(**settings: str | None) -> Captured:
        handler = ListHandler()
        exporter = InMemoryLogRecordExporter()
        provider = LoggerProvider()
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
        otel_handler = LoggingHandler(logger_provider=provider)
        root.addHandler(handler)
        app_logger.addHandler(otel_handler)
        added.extend([(root, handler), (app_logger, otel_handler)])
        configure_telemetry(make_settings(**settings))  # type: ignore[arg-type]
        return Captured(handler, exporter)

    yield _configure
    _uninstall()
    for logger, handler in added:
        logger.removeHandler(handler)


@pytest.fixture
def captured(configure: Callable[..., Captured]) -> Captured:
    """Console telemetry at DEBUG."""
    return configure(log_level="DEBUG")


@pytest.fixture(scope="session")
def _span_exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """Spans finished during the test (an SDK tracer provider with an in-memory exporter, no Azure Monitor)."""
    _span_exporter.clear()
    yield _span_exporter
    _span_exporter.clear()
