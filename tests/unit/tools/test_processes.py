"""The process supervisor with real child processes (small Python scripts)."""

from __future__ import annotations

import errno
import http.server
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.processes import (
    ProcessFailed,
    ProcessSpec,
    Supervisor,
    describe_exit,
    port_in_use,
    wait_for_http,
)
from tools.processes import refused_port as hold_refused_port

ROOT = Path(__file__).resolve().parents[3]


def python(code: str) -> list[str]:
    return [sys.executable, "-u", "-c", textwrap.dedent(code)]


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    with Supervisor() as running:
        yield running


def test_ready_line_is_matched_and_its_groups_are_kept(supervisor: Supervisor) -> None:
    child = supervisor.start(
        ProcessSpec(
            "server",
            python("""
                import time
                print("warming up")
                print("listening on http://127.0.0.1:4242")
                time.sleep(30)
            """),
            ready_pattern=r"listening on (http://\S+)",
        )
    )

    assert child.ready_matches[0].group(1) == "http://127.0.0.1:4242"
    assert child.is_running()
    assert "warming up" in child.tail()


def test_ready_count_waits_for_several_matching_lines(supervisor: Supervisor) -> None:
    child = supervisor.start(
        ProcessSpec(
            "services",
            python("""
                import time
                for port in (1, 2, 3):
                    time.sleep(0.1)
                    print(f"service up on {port}")
                time.sleep(30)
            """),
            ready_pattern=r"service up on (\d)",
            ready_count=3,
        )
    )

    assert [m.group(1) for m in child.ready_matches] == ["1", "2", "3"]


def test_a_child_that_exits_before_it_is_ready_fails_with_its_output(supervisor: Supervisor) -> None:
    spec = ProcessSpec(
        "broken",
        python("""
            import sys
            print("cannot bind port 3978")
            sys.exit(3)
        """),
        ready_pattern="listening",
    )

    with pytest.raises(ProcessFailed) as failed:
        supervisor.start(spec)

    assert failed.value.name == "broken"
    assert "exited with code 3 before it was ready" in str(failed.value)
    assert "cannot bind port 3978" in failed.value.tail


def test_a_child_that_never_gets_ready_times_out_and_is_stopped(supervisor: Supervisor) -> None:
    # A shell starts in a millisecond or so: "starting" is out long before the 2 s limit, even on a loaded machine.
    spec = ProcessSpec("slow", ["sh", "-c", "echo starting; exec sleep 30"], ready_pattern="ready", ready_timeout=2)

    with pytest.raises(ProcessFailed, match=r"not ready after 2 s") as failed:
        supervisor.start(spec)

    assert "starting" in failed.value.tail
    assert not supervisor.children[0].is_running()


def test_a_missing_program_is_reported_by_name(supervisor: Supervisor) -> None:
    with pytest.raises(ProcessFailed, match="could not start"):
        supervisor.start(ProcessSpec("ghost", ["/nonexistent/program"]))


def test_stop_ends_the_whole_process_group(supervisor: Supervisor, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    child = supervisor.start(
        ProcessSpec(
            "parent",
            python(f"""
                import subprocess, sys, time
                grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                open({str(pid_file)!r}, "w").write(str(grandchild.pid))
                print("ready")
                time.sleep(60)
            """),
            ready_pattern="ready",
        )
    )
    grandchild = int(pid_file.read_text())
    assert is_alive(grandchild)

    child.stop()

    assert not child.is_running()
    assert wait_gone(grandchild), "the grandchild outlived its process group's stop"


def test_stop_escalates_to_sigkill_when_the_stop_signal_is_ignored(supervisor: Supervisor) -> None:
    child = supervisor.start(
        ProcessSpec(
            "stubborn",
            python("""
                import signal, time
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                print("ready")
                time.sleep(60)
            """),
            ready_pattern="ready",
            stop_timeout=0.3,
        )
    )

    code = child.stop()

    assert code == -signal.SIGKILL  # it ignored SIGTERM and would have slept 60 s: the escalation ended it


def test_stop_all_stops_children_newest_first(tmp_path: Path) -> None:
    record = tmp_path / "stopped.txt"

    def recorder(name: str) -> ProcessSpec:
        return ProcessSpec(
            name,
            python(f"""
                import signal, sys, time
                def stop(*_):
                    with open({str(record)!r}, "a") as out:
                        out.write({name!r} + "\\n")
                    sys.exit(0)
                signal.signal(signal.SIGTERM, stop)
                print("ready")
                while True:
                    time.sleep(0.05)
            """),
            ready_pattern="ready",
        )

    with Supervisor() as supervisor:
        for name in ("azurite", "sandbox", "devhost", "playground"):
            supervisor.start(recorder(name))

    assert record.read_text().split() == ["playground", "devhost", "sandbox", "azurite"]


def test_run_until_stopped_returns_the_child_that_died(supervisor: Supervisor) -> None:
    supervisor.start(ProcessSpec("steady", python("import time; time.sleep(60)")))
    doomed = supervisor.start(ProcessSpec("doomed", python("import sys, time; time.sleep(0.3); sys.exit(4)")))

    exited = supervisor.run_until_stopped(poll=0.05)

    assert exited is doomed
    assert describe_exit(exited.returncode) == "exited with code 4"
    assert supervisor.children[0].is_running()  # the caller decides to stop the rest


RUN_UNTIL_STOPPED = """
import signal, sys, threading, time
from tools.processes import ProcessSpec, Supervisor

before = signal.getsignal(signal.SIGTERM)


def announce():  # tells the test once the handler is in place, so its signal can only land inside
    while signal.getsignal(signal.SIGTERM) is before:
        time.sleep(0.01)
    print("waiting", flush=True)


with Supervisor() as supervisor:
    steady = supervisor.start(ProcessSpec("steady", [sys.executable, "-c", "import time; time.sleep(60)"]))
    threading.Thread(target=announce, daemon=True).start()
    returned = supervisor.run_until_stopped(poll=0.05)
    print("returned", returned, "steady running", steady.is_running(), flush=True)
print("handler restored", signal.getsignal(signal.SIGTERM) is before, flush=True)
"""


def test_run_until_stopped_returns_none_on_sigterm_and_restores_the_handler(supervisor: Supervisor) -> None:
    # The signal goes to a child process running the supervisor, never to the test runner itself.
    child = supervisor.start(
        ProcessSpec("supervisor", [sys.executable, "-u", "-c", RUN_UNTIL_STOPPED], cwd=ROOT, ready_pattern="waiting")
    )

    child.popen.send_signal(signal.SIGTERM)

    assert child.popen.wait(timeout=60) == 0, child.tail()
    lines = child.tail().splitlines()
    assert lines[-2:] == ["returned None steady running True", "handler restored True"]


def test_output_is_written_to_the_log_file_and_echoed(supervisor: Supervisor, tmp_path: Path) -> None:
    echoed: list[tuple[str, str]] = []
    log = tmp_path / "logs" / "talker.log"
    child = supervisor.start(
        ProcessSpec(
            "talker",
            python("print('one'); print('two'); print('ready')"),
            ready_pattern="ready",
            log_path=log,
            echo=lambda name, line: echoed.append((name, line)),
        )
    )
    child.stop()

    assert log.read_text().splitlines() == ["one", "two", "ready"]
    assert echoed == [("talker", "one"), ("talker", "two"), ("talker", "ready")]


def test_describe_exit() -> None:
    assert describe_exit(None) == "is still running"
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(-9) == "was killed by SIGKILL"


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 503)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_wait_for_http_returns_once_the_url_answers(health_server: str) -> None:
    wait_for_http(f"{health_server}/api/health", timeout=5)


def test_wait_for_http_times_out_naming_the_last_status(health_server: str) -> None:
    with pytest.raises(ProcessFailed, match=r"did not answer 200 within 0\.3 s \(HTTP 503\)"):
        wait_for_http(f"{health_server}/other", timeout=0.3)


def test_wait_for_http_fails_early_when_the_process_died(supervisor: Supervisor, refused_port: int) -> None:
    child = supervisor.start(ProcessSpec("dead", python("print('bye')")))
    child.popen.wait(timeout=5)

    # A timeout would say "did not answer ... within 600 s": this message proves it gave up at once.
    with pytest.raises(ProcessFailed, match="exited with code 0 before"):
        wait_for_http(f"http://127.0.0.1:{refused_port}/api/health", process=child, timeout=600)


def test_a_refused_port_is_not_in_use_and_cannot_be_taken_while_held(health_server: str) -> None:
    with hold_refused_port() as port:
        assert not port_in_use(port)
        with socket.socket() as other, pytest.raises(OSError, match="in use") as taken:
            other.bind(("127.0.0.1", port))
        assert taken.value.errno == errno.EADDRINUSE
    assert port_in_use(int(health_server.rsplit(":", 1)[1]))


def test_stop_after_the_leader_exited_still_kills_its_stragglers(supervisor: Supervisor, tmp_path: Path) -> None:
    pid_file = tmp_path / "straggler.pid"
    child = supervisor.start(
        ProcessSpec(
            "leader",
            python(f"""
                import subprocess, sys
                straggler = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                open({str(pid_file)!r}, "w").write(str(straggler.pid))
                print("ready", flush=True)
            """),
            ready_pattern="ready",
        )
    )
    child.popen.wait(timeout=10)  # the leader is gone (and reaped); its child lives on in its group
    straggler = int(pid_file.read_text())
    assert is_alive(straggler)

    child.stop()

    assert wait_gone(straggler), "the leader's straggler outlived stop()"


def test_stop_never_signals_a_new_process_that_took_the_reaped_leaders_pid(supervisor: Supervisor) -> None:
    # pids wrap quickly (pid_max is often 32768): once the leader is reaped and its group is empty,
    # its pid may belong to an unrelated process leading a group of its own. Simulated here by
    # pointing the handle at such a process, as the kernel's pid reuse would.
    child = supervisor.start(ProcessSpec("short", python("print('ready', flush=True)"), ready_pattern="ready"))
    child.popen.wait(timeout=10)
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        child.popen.pid = unrelated.pid

        child.stop()
        child.kill()

        with pytest.raises(subprocess.TimeoutExpired):  # still running half a second later
            unrelated.wait(timeout=0.5)
    finally:
        unrelated.kill()
        unrelated.wait(timeout=5)
