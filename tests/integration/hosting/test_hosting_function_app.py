"""function_app.py as the Functions host sees it, and the files ``func start`` reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import azure.functions as func
import pytest

import function_app
from app.runtime import OPERATIONS_POISON_QUEUE, OPERATIONS_QUEUE, SWEEPER_SCHEDULE, SwitchboardRuntime
from app.settings import SETTINGS, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[3]
# Loaded lazily, on the first request: never by ``import function_app`` (cold start).
HEAVY_PACKAGES = ("botbuilder", "botframework", "msrest", "opentelemetry", "aiohttp", "storage", "actions")
HEAVY_MODULES = ("azure.data", "azure.storage", "azure.identity", "azure.monitor", "azure.mgmt", "app.composition",
                 "bot.http_edge", "bot.adapter", "bot.teams_bot")


def test_importing_function_app_loads_no_heavy_sdk() -> None:
    script = "import sys, function_app\nprint('\\n'.join(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = result.stdout.split()
    loaded = [m for m in modules if m.split(".")[0] in HEAVY_PACKAGES or m.startswith(HEAVY_MODULES)]
    assert "function_app" in modules
    assert loaded == [], f"import function_app loaded {loaded[:10]}"


def test_the_app_declares_messages_and_health_anonymously() -> None:
    app = function_app.create_app()
    functions = {f.get_function_name(): f for f in app.get_functions()}
    assert set(functions) == {"messages", "health", "operations", "operations_poison", "sweeper"}
    messages, health = functions["messages"].get_trigger(), functions["health"].get_trigger()
    assert messages.route == "messages"
    assert messages.methods is None  # every method reaches the edge, which answers 405 itself
    assert health.route == "health"
    assert [str(m.value) for m in health.methods] == ["GET"]
    for trigger in (messages, health):
        assert trigger.auth_level == func.AuthLevel.ANONYMOUS  # the Bot Framework JWT is the authentication


def test_the_module_level_app_is_what_the_functions_host_indexes() -> None:
    assert isinstance(function_app.app, func.FunctionApp)


def test_host_json_is_set_up_for_opentelemetry_and_queue_triggers() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["telemetryMode"] == "OpenTelemetry"
    assert host["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert host["extensions"]["http"]["routePrefix"] == "api"
    assert host["extensions"]["queues"]["maxDequeueCount"] == 5
    assert "applicationInsights" not in host["logging"]  # App Insights SDK settings clash with OpenTelemetry mode
    assert host["functionTimeout"]


def test_local_settings_example_has_every_setting_and_starts_locally() -> None:
    example = json.loads((ROOT / "local.settings.example.json").read_text())
    values = example["Values"]
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    assert [spec.name for spec in SETTINGS if spec.name not in values] == []
    assert all(isinstance(v, str) for v in values.values())
    settings = Settings.from_env(values)
    assert not settings.authentication_enabled
    assert "00000000-0000-0000-0000-0000000000001" in settings.allowed_tenants  # the Agents Playground tenant
    assert settings.storage.connection_string == "UseDevelopmentStorage=true"
    assert example["Host"]["LocalHttpPort"] == 3978  # the same endpoint as the dev host


async def test_invalid_settings_answer_503_and_the_log_names_them(caplog: pytest.LogCaptureFixture) -> None:
    # The Functions host has no start-up hook: the app composes on the first request and, with
    # invalid settings, answers 503 (no crash loop, no stack trace) until they are fixed.
    runtime = SwitchboardRuntime(env={"SwitchboardStorage": "UseDevelopmentStorage=true"})
    app = function_app.create_app(runtime)
    functions = {f.get_function_name(): f.get_user_function() for f in app.get_functions()}
    body = json.dumps({"type": "message", "text": "help"}).encode()
    request = func.HttpRequest("POST", "/api/messages", headers={"Content-Type": "application/json"}, body=body)

    response = await functions["messages"](request)
    health = await functions["health"](func.HttpRequest("GET", "/api/health", body=b""))

    assert response.status_code == 503
    assert health.status_code == 503
    assert b"Traceback" not in response.get_body()
    assert json.loads(response.get_body())["error"]["code"] == "NotConfigured"
    assert "SWITCHBOARD_ALLOWED_TENANTS: required" in caplog.text
    with pytest.raises(SettingsError, match="SWITCHBOARD_ALLOWED_TENANTS"):
        await runtime.start()


def test_the_app_declares_the_operations_worker_its_poison_queue_and_the_sweeper() -> None:
    functions = {f.get_function_name(): f.get_trigger() for f in function_app.create_app().get_functions()}
    worker, poison, sweeper = functions["operations"], functions["operations_poison"], functions["sweeper"]
    assert (worker.queue_name, poison.queue_name) == ("switchboard-operations", "switchboard-operations-poison")
    assert (worker.queue_name, poison.queue_name) == (OPERATIONS_QUEUE, OPERATIONS_POISON_QUEUE)
    assert worker.connection == poison.connection  # one storage account for the queue and its poison queue
    assert sweeper.schedule == SWEEPER_SCHEDULE
    assert not sweeper.run_on_startup  # a cold start must not sweep on every instance at once
