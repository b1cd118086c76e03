"""tools.smoke_check against a loopback health endpoint: healthy only with authentication on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tools.smoke_check import main


class HealthServer:
    """Answers ``/api/health`` with the scripted (status, body) pairs, repeating the last one."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = answers
        self.asked = 0
        server = self
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = server.answers[min(server.asked, len(server.answers) - 1)]
                server.asked += 1
                data = json.dumps(body).encode() if body is not None else b"<html>starting</html>"
                self.send_response(status if self.path == "/api/health" else 404)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def health(request: pytest.FixtureRequest) -> Iterator[HealthServer]:
    server = HealthServer(request.param)
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


OK = (200, {"status": "ok", "authentication": "on"})


@pytest.mark.parametrize("health", [[(503, {"status": "misconfigured"}), (200, None), OK]], indirect=True)
def test_a_deployment_that_becomes_healthy_passes(health: HealthServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([health.url, "--wait", "60", "--interval", "0"]) == 0
    assert health.asked == 3
    assert "smoke check: healthy" in capsys.readouterr().out


@pytest.mark.parametrize("health", [[(200, {"status": "ok", "authentication": "off"})]], indirect=True)
def test_authentication_off_fails_at_once(health: HealthServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([health.url, "--wait", "60", "--interval", "0"]) == 1
    assert health.asked == 1
    assert "authentication is off" in capsys.readouterr().err


@pytest.mark.parametrize("health", [[(503, {"status": "misconfigured"})]], indirect=True)
def test_a_deployment_that_never_becomes_healthy_fails_with_its_last_answer(
    health: HealthServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([health.url, "--wait", "0", "--interval", "0"]) == 1
    assert "FAILED — HTTP 503" in capsys.readouterr().err


def test_a_url_that_is_not_http_is_refused() -> None:
    assert main(["ftp://example.net", "--wait", "0"]) == 2
