"""The two commands' plumbing: the test runner's exit codes, the Makefile's Python lookup, `.ci/run`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run_tests(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tools.run_tests", "-q", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def test_ok():\n    assert True\n", 0),
        ("def test_broken():\n    assert False\n", 1),
        ("", 5),  # no tests collected: a failure, never a pass
    ],
)
def test_run_tests_passes_pytest_exit_code_through(tmp_path: Path, source: str, expected: int) -> None:
    (tmp_path / "test_sample.py").write_text(source)

    result = run_tests(str(tmp_path), cwd=tmp_path)

    assert result.returncode == expected, result.stdout + result.stderr
    if expected == 5:
        assert "collected no tests" in result.stderr


STRESS_PROBE = """
import os
from pathlib import Path


def burners():
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "burning" in command:
            found.append(entry.name)
    return found


def test_the_machine_is_loaded():
    found = burners()
    Path("burners.txt").write_text(" ".join(found))
    assert len(found) == 2
"""


def test_load_runs_cpu_burners_during_the_run_and_stops_them_after(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(STRESS_PROBE)

    result = run_tests("--load", "2", str(tmp_path), cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "stress mode: 2 CPU-bound processes load the machine during the run" in result.stdout
    pids = [int(pid) for pid in (tmp_path / "burners.txt").read_text().split()]
    assert len(pids) == 2
    for pid in pids:  # stopped and reaped by the runner before it exited
        assert not Path(f"/proc/{pid}").exists(), f"burner {pid} outlived the run"


@pytest.mark.parametrize("args", [("--load", "many"), ("--load",), ("--load=65",)])
def test_a_malformed_load_is_a_usage_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_tests(*args, str(tmp_path), cwd=tmp_path)

    assert result.returncode == 4
    assert "--load expects a number of processes from 0 to 64" in result.stderr


def test_stress_means_four_burners_and_the_rest_goes_to_pytest() -> None:
    from tools.run_tests import split_args

    assert split_args(["--stress", "-k", "storage"]) == (4, ["-k", "storage"])
    assert split_args(["tests/unit", "--load=2"]) == (2, ["tests/unit"])
    assert split_args(["-x"]) == (0, ["-x"])


def make_dry_run(path_dirs: list[Path], target: str = "install") -> subprocess.CompletedProcess[str]:
    """``make -n`` with a PATH of only ``path_dirs`` (no .venv stamp check: ``-B`` makes every rule run)."""
    make = shutil.which("make")
    assert make is not None, "make is a prerequisite of the project (README): install it"
    env = {"PATH": os.pathsep.join(str(d) for d in path_dirs), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [make, "-n", "-B", "-C", str(ROOT), target], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def fake_bin(tmp_path: Path, name: str, target: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    (folder / name).symlink_to(target)
    return folder


def test_make_uses_python3_when_it_is_3_11_and_python3_11_is_not_on_path(tmp_path: Path) -> None:
    folder = fake_bin(tmp_path, "python3", sys.executable)  # the interpreter running these tests is 3.11

    result = make_dry_run([folder])

    assert f"{folder}/python3 -m venv .venv" in result.stdout, result.stdout + result.stderr


def test_make_explains_when_no_python_3_11_is_found(tmp_path: Path) -> None:
    other = shutil.which("node") or "/bin/true"  # anything that is not Python 3.11
    folder = fake_bin(tmp_path, "python3", other)

    result = make_dry_run([folder])

    assert 'test -n ""' in result.stdout  # the recipe that stops with the message below
    assert "Python 3.11 not found" in result.stdout


def test_make_test_installs_chromium_and_runs_the_test_runner() -> None:
    result = make_dry_run([Path(p) for p in os.environ["PATH"].split(os.pathsep)], target="test")

    assert "tools/apt_install.sh chromium" in result.stdout
    assert ".venv/bin/python -m tools.run_tests" in result.stdout


def test_ci_script_is_strict_and_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()

    assert "set -euo pipefail" in script
    assert "make test   # every test" in readme  # the README's test command ...
    assert "\nexec make test " in script  # ... is what CI runs; its exit code is CI's
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
    assert subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], check=False).returncode == 0
