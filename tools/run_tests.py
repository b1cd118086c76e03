"""`make test`: run every test (pytest starts Azurite itself through tests/conftest.py).

Arguments are passed to pytest, e.g. ``.venv/bin/python -m tools.run_tests -k storage`` or
``make test ARGS='-k storage'``. The exit code is pytest's; "no tests collected" (pytest's 5) is a
failure too, so a broken collection never passes CI.

Stress mode, to check that the suite holds on a busy machine: ``--stress`` (the same as
``--load 4``) or ``--load N`` starts N CPU-bound processes before pytest and stops them when it
ends, e.g. ``make test ARGS='--stress'`` or ``make test ARGS='--load 2 tests/integration/actions'``.
Each burner spins in a tight loop in its own process group; it also ends on its own when this
runner is gone (it watches its parent) or after :data:`MAX_LOAD_SECONDS`, so none outlives a run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

from tools.processes import ProcessSpec, Supervisor

__all__ = ["MAX_LOAD_SECONDS", "STRESS_LOAD", "cpu_load", "main", "split_args"]

BASE_ARGS = ("-p", "no:cacheprovider")
STRESS_LOAD = 4
"""Burners started by ``--stress``: twice the cores of the project's 2-core reference machine."""
MAX_LOAD_SECONDS = 3 * 3600
"""A burner never runs longer than this, even if nobody stops it."""

_BURNER = """
import os, sys, time
parent, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
print("burning", flush=True)
while os.getppid() == parent and time.monotonic() < deadline:
    sum(i * i for i in range(100_000))
"""


def split_args(argv: Sequence[str]) -> tuple[int, list[str]]:
    """(number of CPU burners, the arguments left for pytest) from this runner's arguments.

    ``--stress`` means :data:`STRESS_LOAD` burners; ``--load N`` / ``--load=N`` means N (0 to 64).
    Raises ``ValueError`` with a message for a malformed ``--load``.
    """
    load = 0
    rest: list[str] = []
    items = iter(argv)
    for arg in items:
        if arg == "--stress":
            load = STRESS_LOAD
        elif arg == "--load" or arg.startswith("--load="):
            raw = arg.partition("=")[2] if "=" in arg else next(items, "")
            if not raw.isdigit() or not 0 <= int(raw) <= 64:
                raise ValueError(f"--load expects a number of processes from 0 to 64, got {raw!r}")
            load = int(raw)
        else:
            rest.append(arg)
    return load, rest


@contextmanager
def cpu_load(processes: int, *, max_seconds: float = MAX_LOAD_SECONDS) -> Iterator[list[int]]:
    """Run ``processes`` CPU-bound Python processes for the ``with`` block; yields their pids.

    They are stopped (with their process groups) when the block ends, however it ends.
    """
    with Supervisor() as supervisor:
        pids = []
        for number in range(processes):
            spec = ProcessSpec(
                f"cpu-load-{number + 1}",
                [sys.executable, "-c", _BURNER, str(os.getpid()), f"{max_seconds:g}"],
                ready_pattern="burning",
                stop_timeout=2.0,
            )
            pids.append(supervisor.start(spec).pid)
        yield pids


def main(argv: Sequence[str]) -> int:
    try:
        load, pytest_args = split_args(argv)
    except ValueError as exc:
        print(f"make test: {exc}", file=sys.stderr, flush=True)
        return int(pytest.ExitCode.USAGE_ERROR)
    args = [*BASE_ARGS, *pytest_args]
    with cpu_load(load) as burners:
        if burners:
            print(f"stress mode: {len(burners)} CPU-bound processes load the machine during the run", flush=True)
        print(f"pytest {' '.join(args)}", flush=True)
        code = int(pytest.main(args))
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("make test: FAILED — pytest collected no tests (exit 5)", file=sys.stderr, flush=True)
    elif code != pytest.ExitCode.OK:
        print(f"make test: FAILED — pytest exit code {code}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
