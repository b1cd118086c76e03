"""``python -m sandbox``: prints its one ready line, answers, and stops on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID

REPO = Path(__file__).resolve().parents[3]
READY = re.compile(r"^ARM sandbox listening on (http://127\.0\.0\.1:(\d+))\n$")


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sandbox", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def process() -> Iterator[subprocess.Popen[str]]:
    proc = _start("--port", "0", "--operation-delay", "0.1")
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _get(url: str, *, token: bool = True) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": "Bearer t"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
        return response.status, json.loads(response.read())


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_prints_ready_line_answers_and_stops_on_signal(process: subprocess.Popen[str], signum: int) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    match = READY.match(line)
    assert match, f"unexpected first line {line!r}"
    url = match.group(1)

    health = _get(f"{url}/_sandbox/health")
    group = _get(f"{url}/subscriptions/{DEV_SUBSCRIPTION_ID}/resourcegroups/rg-dev?api-version=2021-04-01")
    process.send_signal(signum)
    code = process.wait(timeout=10)

    assert health == (200, {"status": "ok"})
    assert group[0] == 200
    assert group[1]["name"] == "rg-dev"
    assert code == 0
    assert process.stdout.read() == ""  # exactly one line on stdout


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com"])
def test_refuses_non_loopback_hosts(host: str) -> None:
    proc = _start("--host", host, "--port", "0")
    stdout, stderr = proc.communicate(timeout=20)

    assert proc.returncode == 2
    assert stdout == ""
    assert "non-loopback" in stderr
