"""checkov's own virtual environment, ``.venv-checkov``, built from ``requirements-checkov.txt``.

checkov pins versions the app's environment cannot share (``packaging``, ``pycep-parser``, boto3
…), so it gets a separate environment, created with the same Python 3.11 that runs this module.
``make install`` (and so ``make test``) runs ``python -m tools.checkov_env``; the infrastructure
test (``tests/unit/infra/test_checkov.py``) calls :func:`ensure_checkov` too, so it also works
when pytest is started directly. The environment is rebuilt only when the requirements file
changes (its hash is the stamp); an interrupted install leaves no stamp and is retried.
"""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
import venv
from pathlib import Path

__all__ = ["CHECKOV_VENV", "REQUIREMENTS", "CheckovEnvError", "ensure_checkov", "main"]

ROOT = Path(__file__).resolve().parents[1]
CHECKOV_VENV = ROOT / ".venv-checkov"
REQUIREMENTS = ROOT / "requirements-checkov.txt"
_INSTALL_TIMEOUT = 1200.0  # seconds: checkov brings about 80 packages


class CheckovEnvError(RuntimeError):
    """The environment could not be built; the message says which step failed and its output."""


def _stamp_text() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest() + "\n"


def ensure_checkov(venv_dir: Path = CHECKOV_VENV) -> Path:
    """The checkov executable in ``venv_dir``, building or updating the environment first if needed.

    Safe to call from several processes at once (a file lock serializes the builds). Raises
    :class:`CheckovEnvError` when ``venv`` or ``pip`` fails (e.g. no package registry reachable).
    """
    executable = venv_dir / "bin" / "checkov"
    stamp = venv_dir / ".installed"
    venv_dir.mkdir(parents=True, exist_ok=True)
    with open(venv_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if executable.exists() and stamp.is_file() and stamp.read_text() == _stamp_text():
            return executable
        stamp.unlink(missing_ok=True)
        if not (venv_dir / "bin" / "python").exists():
            venv.EnvBuilder(with_pip=True).create(venv_dir)
        command = [
            str(venv_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "-r", str(REQUIREMENTS),
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=_INSTALL_TIMEOUT)
        except subprocess.CalledProcessError as exc:
            output = exc.stderr[-3000:]
            raise CheckovEnvError(f"installing {REQUIREMENTS.name} into {venv_dir} failed:\n{output}") from None
        except subprocess.TimeoutExpired:
            raise CheckovEnvError(f"installing {REQUIREMENTS.name} took over {_INSTALL_TIMEOUT:g} s") from None
        if not executable.exists():
            raise CheckovEnvError(f"{executable} is missing after installing {REQUIREMENTS.name}")
        stamp.write_text(_stamp_text())
        return executable


def main() -> int:
    """Build ``.venv-checkov`` when missing or stale; print where checkov is."""
    try:
        print(f"checkov: {ensure_checkov()}", flush=True)
    except CheckovEnvError as exc:
        print(f"tools.checkov_env: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
