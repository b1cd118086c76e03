"""configure_telemetry: console or Azure Monitor, idempotent, quiet libraries; audit events."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from telemetry import AUDIT_LOGGER, ContextFilter, RedactionFilter, audit_event, configure_telemetry, turn_scope

from .conftest import JWT, Captured, make_activity, make_settings

REPO = Path(__file__).resolve().parents[3]
log = logging.getLogger("switchboard.tests")


def test_configure_is_idempotent(configure: Callable[..., Captured]) -> None:
    configure(log_level="DEBUG")
    root, app = logging.getLogger(), logging.getLogger("switchboard")
    before = [(handler, list(handler.filters)) for handler in [*root.handlers, *app.handlers]]

    configure_telemetry(make_settings(log_level="DEBUG"))
    configure_telemetry(make_settings(log_level="INFO"))

    assert [(handler, list(handler.filters)) for handler in [*root.handlers, *app.handlers]] == before
    for handler, filters in before:
        assert [type(f) for f in filters if isinstance(f, ContextFilter | RedactionFilter)] == [
            ContextFilter,
            RedactionFilter,
        ], handler
    assert app.level == logging.DEBUG  # the first configuration stays


def test_console_line_has_time_level_logger_message_and_turn_fields(
    captured: Captured, capsys: pytest.CaptureFixture[str]
) -> None:
    log.info("outside")
    with turn_scope(make_activity()) as correlation_id:
        log.warning("inside %s", "a turn")

    outside, inside = capsys.readouterr().err.splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(rf"{stamp} INFO    switchboard\.tests: outside", outside)
    assert re.fullmatch(
        rf"{stamp} WARNING switchboard\.tests: inside a turn \[correlation_id={correlation_id} conversation_id=conv-1 "
        r"activity_id=act-1 user_object_id=aad-user-1 channel_id=msteams tenant_id=tenant-1\]",
        inside,
    )


def test_log_level_applies_to_switchboard_loggers(configure: Callable[..., Captured]) -> None:
    captured = configure(log_level="WARNING")
    log.info("not shown")
    log.warning("shown")
    assert [record.getMessage() for record in captured.records] == ["shown"]


@pytest.fixture
def urllib3_level() -> Iterator[None]:
    logger = logging.getLogger("urllib3")
    previous = logger.level
    yield
    logger.setLevel(previous)


@pytest.mark.usefixtures("urllib3_level")
def test_library_loggers_are_quiet_unless_set_explicitly(configure: Callable[..., Captured]) -> None:
    logging.getLogger("urllib3").setLevel(logging.DEBUG)  # someone asked for it on purpose
    captured = configure(log_level="DEBUG")
    http_policy = logging.getLogger("azure.core.pipeline.policies.http_logging_policy")

    http_policy.info("Request headers: 'Authorization': 'REDACTED'")
    logging.getLogger("botbuilder.core.bot_framework_adapter").info("turn started")
    logging.getLogger("azure.identity._credentials.managed_identity").info("token acquired")

    assert captured.records == []
    assert http_policy.getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("botbuilder").level == logging.WARNING
    assert logging.getLogger("urllib3").level == logging.DEBUG


def test_audit_event_is_a_structured_info_record_with_the_turn_ids(configure: Callable[..., Captured]) -> None:
    captured = configure(log_level="WARNING")  # audit events are kept whatever the log level
    with turn_scope(make_activity()) as correlation_id:
        audit_event("approval.granted", request_id="req-42", approver_object_id="aad-approver")

    (record,) = captured.records
    assert (record.name, record.levelno) == (AUDIT_LOGGER, logging.INFO)
    assert record.getMessage() == "audit approval.granted request_id=req-42 approver_object_id=aad-approver"
    (exported,) = captured.exported()
    attributes = dict(exported.log_record.attributes or {})
    assert {key: attributes.get(key) for key in ("audit_event", "request_id", "approver_object_id")} == {
        "audit_event": "approval.granted",
        "request_id": "req-42",
        "approver_object_id": "aad-approver",
    }
    assert attributes["correlation_id"] == correlation_id
    assert attributes["conversation_id"] == "conv-1"


def test_audit_event_properties_are_redacted(captured: Captured) -> None:
    audit_event("grant.created", note=f"Authorization: Bearer {JWT}")
    assert JWT not in captured.dump()


@pytest.mark.parametrize(
    ("name", "properties", "error"),
    [
        ("", {}, ValueError),
        ("grant.created", {"module": "x"}, ValueError),
        ("grant.created", {"correlation_id": "x"}, ValueError),
        ("grant.created", {"count": 3}, TypeError),
    ],
)
def test_audit_event_rejects_bad_input(name: str, properties: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        audit_event(name, **properties)  # type: ignore[arg-type]


def _run(script: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


_PRELUDE = """
import json, logging, os, sys, time
from types import SimpleNamespace
from app.settings import AppType, Settings, StorageSettings
from telemetry import configure_telemetry, turn_scope

def settings(appinsights=None):
    return Settings(app_id="", app_password="", app_tenant_id="", app_type=AppType.MULTI_TENANT,
                    storage=StorageSettings(connection_string="UseDevelopmentStorage=true"),
                    allowed_tenants=frozenset({"t"}), appinsights_connection_string=appinsights, log_level="INFO")

activity = SimpleNamespace(type="message", id="act-1", text="hi", channel_id="msteams", channel_data=None,
                           conversation=SimpleNamespace(id="conv-1", tenant_id="tenant-1"),
                           from_property=SimpleNamespace(aad_object_id="aad-1"))
"""


def test_without_a_connection_string_azure_monitor_is_never_imported() -> None:
    result = _run(
        _PRELUDE
        + """
configure_telemetry(settings())
with turn_scope(activity):
    logging.getLogger("switchboard.demo").info("handled")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("azure.monitor", "opentelemetry.sdk")))))
"""
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert re.search(
        r" INFO    switchboard\.demo: handled \[correlation_id=[0-9a-f]{12} conversation_id=conv-1 ", result.stderr
    )


def test_with_an_unreachable_connection_string_azure_monitor_is_configured_without_exporting(tmp_path: Path) -> None:
    with socket.socket() as ingestion, socket.socket() as live:
        ingestion.bind(("127.0.0.1", 0))
        ingestion.listen(8)
        ingestion.setblocking(False)
        live.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused at once
        connection_string = (
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            f"IngestionEndpoint=http://127.0.0.1:{ingestion.getsockname()[1]}/;"
            f"LiveEndpoint=http://127.0.0.1:{live.getsockname()[1]}/"
        )
        result = _run(
            _PRELUDE
            + f"""
started = time.perf_counter()
configure_telemetry(settings({connection_string!r}))
configure_telemetry(settings({connection_string!r}))
elapsed = time.perf_counter() - started
from opentelemetry import trace
with turn_scope(activity):
    logging.getLogger("switchboard.demo").warning("handled")
    recording = trace.get_current_span().is_recording()
handlers = logging.getLogger("switchboard").handlers
print(json.dumps({{
    "elapsed": elapsed,
    "provider": type(trace.get_tracer_provider()).__module__,
    "handlers": [[type(h).__name__, [type(f).__name__ for f in h.filters]] for h in handlers],
    "recording": recording,
    "azure_monitor_loaded": "azure.monitor.opentelemetry" in sys.modules,
}}))
sys.stdout.flush()
os._exit(0)  # skip the exit-time flush: nothing is exported
""",
            # Keep the SDK from calling Microsoft's own endpoints from a test; offline storage in tmp_path.
            env={
                "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
                "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
                "TMPDIR": str(tmp_path),
            },
        )
        try:
            ingestion.accept()
            exported = True
        except BlockingIOError:
            exported = False

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["azure_monitor_loaded"]
    assert outcome["provider"].startswith("opentelemetry.sdk.trace")
    assert outcome["handlers"] == [["LoggingHandler", ["ContextFilter", "RedactionFilter"]]]
    assert outcome["recording"], "the turn span should be sampled and recording"
    assert outcome["elapsed"] < 5, f"configure_telemetry took {outcome['elapsed']:.1f}s"
    assert not exported, "nothing should have been sent to the ingestion endpoint"
    assert "could not be configured" not in result.stderr


def test_a_connection_string_azure_monitor_refuses_falls_back_to_console_and_says_so(tmp_path: Path) -> None:
    result = _run(
        _PRELUDE
        + """
configure_telemetry(settings("InstrumentationKey=not-a-guid;IngestionEndpoint=http://127.0.0.1:9/"))
logging.getLogger("switchboard.demo").info("still logging")
sys.stdout.flush()
os._exit(0)
""",
        env={
            "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
            "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
            "TMPDIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "ERROR   switchboard.telemetry: Azure Monitor could not be configured" in result.stderr
    assert "INFO    switchboard.demo: still logging" in result.stderr
    assert "not-a-guid" not in result.stderr  # the connection string is a secret setting
