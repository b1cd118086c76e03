"""Start, watch and stop local helper processes (Azurite, the ARM sandbox, the dev host, the Playground).

Shared by ``make run`` (:mod:`tools.run_local`) and the end-to-end test fixtures. Every child runs in
its own process group, so stopping it also stops whatever it spawned; its output is kept (the last
lines in memory, all of it in an optional log file) so a failure can show what the child said.

Typical use::

    with Supervisor() as supervisor:
        bot = supervisor.start(ProcessSpec("bot", [...], ready_pattern=r"listening on (\\S+)"))
        url = bot.ready_matches[0].group(1)
        ...
    # leaving the block stops every child, newest first

The waits are all bounded: readiness has a timeout, and stopping escalates from the spec's stop
signal to SIGKILL after ``stop_timeout`` seconds.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO

__all__ = [
    "ManagedProcess",
    "ProcessFailed",
    "ProcessSpec",
    "StopRequested",
    "Supervisor",
    "describe_exit",
    "free_port",
    "port_in_use",
    "refused_port",
    "wait_for_http",
]

_TAIL_LINES = 400
_POLL = 0.05


class ProcessFailed(RuntimeError):
    """A child did not become ready, or died. The message names it and ends with its output tail."""

    def __init__(self, name: str, reason: str, tail: str) -> None:
        self.name = name
        self.reason = reason
        self.tail = tail
        shown = tail.rstrip() or "(no output)"
        super().__init__(f"{name}: {reason}\n--- last output of {name} ---\n{shown}\n--- end of {name} output ---")


class StopRequested(Exception):
    """Raised in the main thread when SIGINT, SIGTERM or SIGHUP asks the supervisor to stop."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one child process and how to tell it is ready.

    ``ready_pattern`` is a regular expression searched in each output line (stdout and stderr are
    merged); the child is ready once ``ready_count`` lines matched. Without a pattern the child is
    ready as soon as it started. ``env`` replaces the environment entirely when given.
    """

    name: str
    argv: Sequence[str]
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    ready_pattern: str | None = None
    ready_count: int = 1
    ready_timeout: float = 30.0
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 5.0
    log_path: Path | None = None
    echo: Callable[[str, str], None] | None = field(default=None, compare=False)


class ManagedProcess:
    """A running child: its output tail, readiness, and a stop that leaves no process behind."""

    def __init__(self, spec: ProcessSpec) -> None:
        self.spec = spec
        self.ready_matches: list[re.Match[str]] = []
        self._pattern = re.compile(spec.ready_pattern) if spec.ready_pattern else None
        self._tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._output_closed = threading.Event()
        self._log: IO[str] | None = None
        if spec.log_path is not None:
            spec.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = spec.log_path.open("w", encoding="utf-8", errors="replace")
        try:
            self.popen: subprocess.Popen[str] = subprocess.Popen(
                list(spec.argv),
                cwd=spec.cwd,
                env=dict(spec.env) if spec.env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                start_new_session=True,  # own process group: killpg reaches its children too
            )
        except OSError as exc:
            self._close_log()
            raise ProcessFailed(spec.name, f"could not start {spec.argv[0]!r}: {exc}", "") from exc
        if self._pattern is None:
            self._ready.set()
        self._reader = threading.Thread(target=self._read_output, name=f"output-{spec.name}", daemon=True)
        self._reader.start()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once the child has exited (negative: killed by that signal), else None."""
        return self.popen.poll()

    def is_running(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines the child printed."""
        self._output_closed.wait(timeout=0.5 if not self.is_running() else 0)
        with self._lock:
            return "".join(list(self._tail)[-lines:])

    def output(self) -> str:
        """Everything still held in memory (the last few hundred lines)."""
        with self._lock:
            return "".join(self._tail)

    def wait_ready(self, timeout: float | None = None) -> list[re.Match[str]]:
        """Block until the ready pattern matched ``ready_count`` times; raise :class:`ProcessFailed` otherwise."""
        limit = self.spec.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while not self._ready.wait(_POLL):
            if not self.is_running():
                self._output_closed.wait(timeout=1.0)
                if self._ready.is_set():  # it printed the line and exited at once
                    break
                raise ProcessFailed(self.name, f"{describe_exit(self.returncode)} before it was ready", self.tail())
            if time.monotonic() > deadline:
                raise ProcessFailed(
                    self.name,
                    f"not ready after {limit:g} s (waited for output matching {self.spec.ready_pattern!r})",
                    self.tail(),
                )
        return self.ready_matches

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop the child and its process group: the stop signal, then SIGKILL after the timeout.

        Safe to call more than once, and after the child has exited (stragglers in its group are
        still killed). Returns the child's exit code.
        """
        grace = self.spec.stop_timeout if timeout is None else timeout
        if self.is_running():
            self._signal_group(self.spec.stop_signal)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.popen.wait(timeout=5)
        # Whatever the leader left behind in its group goes too.
        self._kill_stragglers()
        self._reader.join(timeout=2)
        self._close_log()
        return self.popen.poll()

    def kill(self) -> None:
        """SIGKILL the whole process group at once."""
        if self.popen.poll() is None:
            self._signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)
        self._kill_stragglers()
        self._reader.join(timeout=2)
        self._close_log()

    def _kill_stragglers(self) -> None:
        """SIGKILL what is left of the group after its leader was reaped — never someone else's.

        Once the leader is reaped its pid is free. While members of its group live, the kernel
        does not hand that pid out again (it is their group id), so the group can be signalled.
        When none are left, the pid may already belong to a new process that leads a group of
        its own (pids wrap quickly: pid_max is often 32768), and a blind ``killpg`` would kill
        that unrelated process: so a live process with the leader's old pid means "leave it".
        """
        try:
            os.kill(self.popen.pid, 0)
        except ProcessLookupError:
            self._signal_group(signal.SIGKILL)  # only our stragglers can carry this group id now
        except PermissionError:
            pass  # a process of another user took the pid: not ours

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    def _read_output(self) -> None:
        stream = self.popen.stdout
        assert stream is not None
        try:
            for line in stream:
                self._record(line)
        except (OSError, ValueError):
            pass  # pipe closed while stopping
        finally:
            self._output_closed.set()

    def _record(self, line: str) -> None:
        if not line.endswith("\n"):
            line += "\n"
        with self._lock:
            self._tail.append(line)
            if self._log is not None and not self._log.closed:
                self._log.write(line)
                self._log.flush()
        if self.spec.echo is not None:
            self.spec.echo(self.name, line.rstrip("\n"))
        if self._pattern is not None and not self._ready.is_set():
            match = self._pattern.search(line)
            if match:
                self.ready_matches.append(match)
                if len(self.ready_matches) >= self.spec.ready_count:
                    self._ready.set()

    def _close_log(self) -> None:
        with self._lock:
            if self._log is not None and not self._log.closed:
                self._log.close()

    def __repr__(self) -> str:
        return f"ManagedProcess(name={self.name!r}, pid={self.popen.pid}, returncode={self.returncode})"


class Supervisor:
    """Starts children in order, watches them, and stops them newest first.

    Use it as a context manager so children are stopped however the block ends.
    """

    def __init__(self) -> None:
        self._children: list[ManagedProcess] = []
        self._stop_signal: int | None = None
        self._force = False

    @property
    def children(self) -> tuple[ManagedProcess, ...]:
        return tuple(self._children)

    def start(self, spec: ProcessSpec, *, wait: bool = True) -> ManagedProcess:
        """Start a child and (by default) wait until it is ready; a child that fails is stopped first."""
        child = ManagedProcess(spec)
        self._children.append(child)
        if wait:
            try:
                child.wait_ready()
            except ProcessFailed:
                child.stop(timeout=2)
                raise
        return child

    def first_exited(self) -> ManagedProcess | None:
        """The first child (in start order) that is no longer running, if any."""
        return next((child for child in self._children if not child.is_running()), None)

    def stop_all(self) -> None:
        """Stop every child, newest first. A signal received meanwhile makes the rest a SIGKILL."""
        for child in reversed(self._children):
            if self._force:
                child.kill()
            else:
                child.stop()

    def run_until_stopped(self, poll: float = 0.2) -> ManagedProcess | None:
        """Block until SIGINT/SIGTERM/SIGHUP or until a child exits.

        Returns the child that exited, or None when a signal asked us to stop. Must run in the main
        thread (it installs signal handlers, restored on return).
        """
        try:
            with self.handle_signals():
                while True:
                    exited = self.first_exited()
                    if exited is not None:
                        return exited
                    time.sleep(poll)
        except StopRequested as stop:
            self._stop_signal = stop.signum
            return None

    @contextlib.contextmanager
    def handle_signals(self) -> collections.abc.Iterator[None]:
        """Turn SIGINT/SIGTERM/SIGHUP into :class:`StopRequested` in the main thread while inside."""

        def raise_stop(signum: int, _frame: FrameType | None) -> None:
            raise StopRequested(signum)

        previous = {signum: signal.signal(signum, raise_stop) for signum in _STOP_SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @contextlib.contextmanager
    def stopping_signals(self) -> collections.abc.Iterator[None]:
        """While stopping: a further signal turns the remaining stops into an immediate SIGKILL."""

        def force(_signum: int, _frame: FrameType | None) -> None:
            self._force = True

        previous = {signum: signal.signal(signum, force) for signum in _STOP_SIGNALS}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if threading.current_thread() is threading.main_thread():
            with self.stopping_signals():
                self.stop_all()
        else:
            self.stop_all()


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def describe_exit(returncode: int | None) -> str:
    """``exited with code 3``, ``was killed by SIGKILL``, or ``is still running``."""
    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago — racy: another process may take it before the caller
    binds it. Prefer starting a server on port 0 and reading its port back from it (the sandbox and
    the dev host print their URL), or a program that moves to a free port itself (the Playground).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def refused_port(host: str = "127.0.0.1") -> collections.abc.Iterator[int]:
    """A port where connections are refused for the ``with`` block, and that no other process can take.

    The port stays bound (never listening) until the block ends, so "nothing listens there" holds
    however busy the machine: unlike a port found free and released, it cannot be reused meanwhile.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        yield int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_http(
    url: str,
    *,
    process: ManagedProcess | None = None,
    timeout: float = 20.0,
    expect_status: int = 200,
) -> None:
    """Poll ``url`` with GET until it answers ``expect_status``; fail early if ``process`` died.

    Raises :class:`ProcessFailed` (named after ``process``, or the URL) on timeout.
    """
    name = process.name if process is not None else url
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        if process is not None and not process.is_running():
            raise ProcessFailed(name, f"{describe_exit(process.returncode)} before {url} answered", process.tail())
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URLs we built
                if response.status == expect_status:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code == expect_status:
                return
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if time.monotonic() > deadline:
            tail = process.tail() if process is not None else ""
            raise ProcessFailed(name, f"{url} did not answer {expect_status} within {timeout:g} s ({last})", tail)
        time.sleep(0.1)
