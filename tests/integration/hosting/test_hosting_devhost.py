"""The dev host as a process: ``python -m tools.devhost`` serving function_app on a free port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.support.connector import TEST_TENANT_ID, ConnectorStandIn, teams_activity

ROOT = Path(__file__).resolve().parents[3]
READY = re.compile(r"Switchboard dev host listening on (http://127\.0\.0\.1:\d+/api/messages)$")


@dataclass
class DevHostProcess:
    process: subprocess.Popen[str]
    messages_url: str
    reader: threading.Thread
    output: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.messages_url.rsplit("/api/", 1)[0]

    def all_output(self) -> str:
        """Everything the process printed, once it has exited and its output is read to the end."""
        assert self.process.poll() is not None, "the dev host still runs"
        self.reader.join(timeout=30)
        assert not self.reader.is_alive(), "the dev host's output did not end"
        return "".join(self.output)


def start_devhost(env: dict[str, str], *args: str, timeout: float = 30.0) -> DevHostProcess:
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.devhost", "--port", "0", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    ready = threading.Event()
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            match = READY.search(line.strip())
            if match and not found:
                found.append(match.group(1))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(timeout) or not found:
        process.kill()
        raise AssertionError("the dev host did not become ready:\n" + "".join(output))
    return DevHostProcess(process=process, messages_url=found[0], reader=reader, output=output)


@pytest.fixture
def devhost(storage_connection_string: str) -> Iterator[DevHostProcess]:
    env = {
        "MicrosoftAppId": "",
        "SwitchboardStorage": storage_connection_string,
        "SWITCHBOARD_ALLOWED_TENANTS": TEST_TENANT_ID,
    }
    host = start_devhost(env)
    yield host
    if host.process.poll() is None:
        host.process.kill()
        host.process.wait(10)


def test_health_and_a_message_reach_the_bot(devhost: DevHostProcess) -> None:
    health = requests.get(f"{devhost.base_url}/api/health", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "authentication": "off"}
    with ConnectorStandIn() as connector:
        activity = teams_activity(text="help", service_url=connector.service_url)
        response = requests.post(devhost.messages_url, json=activity, timeout=10)
        assert response.status_code == 200
        [reply] = connector.wait_for(1, within=10)
        assert reply.text.startswith("Here is what I can do:")
        assert reply.activity_id == activity["id"]


def test_bad_requests_get_precise_statuses_and_the_server_keeps_serving(devhost: DevHostProcess) -> None:
    url = devhost.messages_url
    json_header = {"Content-Type": "application/json"}
    cases = [
        (requests.post(url, data=b"{not json", headers=json_header, timeout=10), 400),
        (requests.post(url, data=b"", headers=json_header, timeout=10), 400),
        (requests.post(url, data=b"[]", headers=json_header, timeout=10), 400),
        (requests.post(url, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=10), 415),
        (requests.post(url, data=b"{" + b" " * (1024 * 1024) + b"}", headers=json_header, timeout=10), 413),
        (requests.get(url, timeout=10), 405),
        (requests.post(f"{devhost.base_url}/api/health", timeout=10), 405),
        (requests.get(f"{devhost.base_url}/api/nothing-here", timeout=10), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.method, response.request.url, response.text)
        assert "Traceback" not in response.text
    assert requests.get(url, timeout=10).headers["Allow"] == "POST"
    with ConnectorStandIn() as connector:
        response = requests.post(url, json=teams_activity(text="help", service_url=connector.service_url), timeout=10)
        assert response.status_code == 200
        connector.wait_for(1, within=10)


def test_sigterm_stops_it_cleanly(devhost: DevHostProcess) -> None:
    assert requests.get(f"{devhost.base_url}/api/health", timeout=10).status_code == 200
    devhost.process.send_signal(signal.SIGTERM)
    assert devhost.process.wait(15) == 0
    text = devhost.all_output()
    assert "stopping" in text  # read to its end: its last log line, written while stopping, is there
    assert "Traceback" not in text
    assert "Unclosed" not in text


def test_it_refuses_a_public_interface_without_authentication(storage_connection_string: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.devhost", "--host", "0.0.0.0", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "MicrosoftAppId": "", "SwitchboardStorage": storage_connection_string,
             "SWITCHBOARD_ALLOWED_TENANTS": "00000000-0000-0000-0000-0000000000001"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr
    assert "listening on" not in result.stdout


def test_a_settings_error_stops_start_up_with_a_message_naming_the_setting(storage_connection_string: str) -> None:
    # The dev host has a start-up phase (function_app.startup): invalid settings stop it there.
    # (The Functions host has none: function_app answers 503 until fixed — see test_hosting_function_app.)
    result = subprocess.run(
        [sys.executable, "-m", "tools.devhost", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "MicrosoftAppId": "", "SwitchboardStorage": storage_connection_string,
             "SWITCHBOARD_ALLOWED_TENANTS": "", "SWITCHBOARD_LOG_LEVEL": "LOUD"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SWITCHBOARD_ALLOWED_TENANTS: required" in result.stderr
    assert "SWITCHBOARD_LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, got 'LOUD'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening on" not in result.stdout
