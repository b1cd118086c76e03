"""`make run` itself (``python -m tools.run_local``): it starts the stack, the bot answers through the
Playground, Ctrl-C stops everything, and a component that dies stops the rest with an error."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import bot_free_environment
from tests.e2e.expectations import HELP_HEADLINE
from tools.processes import ManagedProcess, ProcessSpec, Supervisor, free_port, port_in_use
from tools.stack import ROOT

pytestmark = pytest.mark.e2e

_ADDRESS = re.compile(r"http://(?:127\.0\.0\.1|localhost):(\d+)")


def run_local_spec(tmp_path: Path, *args: str, ready: str | None = None) -> ProcessSpec:
    environment = bot_free_environment()
    environment.pop("DISPLAY", None)
    environment.pop("WAYLAND_DISPLAY", None)
    argv = [
        sys.executable, "-m", "tools.run_local",
        "--port", "0",  # the dev host takes a free port and the banner names it
        "--playground-port", str(free_port()),  # taken meanwhile? the Playground moves and says where
        "--settings", str(tmp_path / "no-local.settings.json"),
        "--run-dir", str(tmp_path / "run"),
        *args,
    ]  # fmt: skip
    return ProcessSpec(
        name="make run",
        argv=argv,
        cwd=ROOT,
        env={**environment, "PYTHONUNBUFFERED": "1"},
        ready_pattern=ready,
        ready_timeout=90,
        stop_timeout=20,
    )


def wait_exit(process: ManagedProcess, within: float) -> int:
    process.popen.wait(timeout=within)
    code = process.returncode
    assert code is not None
    return code


def listening_ports(banner: str) -> list[int]:
    ports = [int(port) for port in _ADDRESS.findall(banner)]
    azurite = re.search(r"Azurite \(in memory\):\s+127\.0\.0\.1 ports (.+)", banner)
    assert azurite is not None, banner
    ports += [int(port) for port in re.findall(r"\d+", azurite.group(1))]
    return ports


def children_of(parent: int, marker: str) -> list[int]:
    """Child processes of ``parent`` whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and marker in command:
            found.append(int(entry.name))
    return found


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    with Supervisor() as running:
        yield running


def test_check_starts_everything_and_the_bot_answers_help(supervisor: Supervisor, tmp_path: Path) -> None:
    process = supervisor.start(run_local_spec(tmp_path, "--check"), wait=False)

    code = wait_exit(process, within=100)

    output = process.output()
    assert code == 0, output
    assert "check passed; the bot answered:" in output
    assert HELP_HEADLINE in output
    assert (tmp_path / "run" / "devTools").is_dir()  # the Playground's log folder lands in the run folder
    assert {p.name for p in (tmp_path / "run" / "logs").iterdir()} >= {
        "azurite.log", "sandbox.log", "devhost.log", "playground.log",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("stop_signal", "options", "components"),
    [
        (signal.SIGINT, (), 6),  # playground, bot, sandbox, and Azurite's three services
        (signal.SIGTERM, ("--no-playground",), 5),
    ],
    ids=["ctrl-c", "sigterm-without-playground"],
)
def test_a_stop_signal_stops_every_component(
    supervisor: Supervisor, tmp_path: Path, stop_signal: signal.Signals, options: tuple[str, ...], components: int
) -> None:
    process = supervisor.start(run_local_spec(tmp_path, "--quiet", *options, ready="Ctrl-C stops everything"))
    banner = process.output()
    ports = listening_ports(banner)
    assert len(ports) == components, banner
    assert all(port_in_use(port) for port in ports), banner

    process.popen.send_signal(stop_signal)
    code = wait_exit(process, within=30)

    assert code == 0, process.output()
    assert "stopped." in process.output()
    assert [port for port in ports if port_in_use(port)] == []


def test_a_component_that_dies_stops_the_others_and_fails(supervisor: Supervisor, tmp_path: Path) -> None:
    spec = run_local_spec(tmp_path, "--quiet", ready="Ctrl-C stops everything")
    process = supervisor.start(spec)
    ports = listening_ports(process.output())
    (devhost_pid,) = children_of(process.pid, "-m tools.devhost")

    os.kill(devhost_pid, signal.SIGKILL)
    code = wait_exit(process, within=30)

    output = process.output()
    assert code == 1, output
    assert "devhost: was killed by SIGKILL unexpectedly" in output
    assert "--- last output of devhost ---" in output
    deadline = time.monotonic() + 5
    while any(port_in_use(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [port for port in ports if port_in_use(port)] == []
