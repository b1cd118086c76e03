"""checkov over ``infra/`` (framework bicep): no failing check, every file parsed, every skip justified
on its line and actually needed.

checkov runs from its own environment (``.venv-checkov``, see ``tools/checkov_env.py``; ``make
install`` builds it, and :func:`ensure_checkov` builds it here when pytest is run directly).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from typing import Any

import pytest

from tests.unit.infra.bicep import ROOT, bicep_files
from tools.checkov_env import ensure_checkov

_SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    checkov = ensure_checkov()
    result = subprocess.run(
        [str(checkov), "--directory", "infra", "--framework", "bicep", "--skip-download", "--compact",
         "--output", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_OUTPUT_UPLOAD": "TRUE"},
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: failed checks, shown by the tests below
    parsed = json.loads(result.stdout)
    (bicep,) = [r for r in (parsed if isinstance(parsed, list) else [parsed]) if r["check_type"] == "bicep"]
    return dict(bicep)


def _declared_skips() -> dict[str, tuple[str, str]]:
    """``file:line`` → (check id, reason) of every ``checkov:skip`` comment under infra/."""
    found = {}
    for path in bicep_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if match := _SKIP.search(line):
                found[f"{path.relative_to(ROOT)}:{number}"] = (match.group(1), (match.group(2) or "").strip())
    return found


@pytest.mark.timeout(1500)  # the first run on a fresh machine builds .venv-checkov
def test_no_check_fails_and_every_file_is_scanned(report: dict[str, Any]) -> None:
    failed = [(f["check_id"], f["resource"], f["file_path"]) for f in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    scanned = {f["file_path"].lstrip("/") for f in report["results"]["passed_checks"] + report["results"][
        "skipped_checks"]}  # fmt: skip
    assert "bicep/modules/storage.bicep" in scanned
    assert "bicep/modules/function-app.bicep" in scanned
    assert report["summary"]["passed"] >= 15


@pytest.mark.timeout(1500)
def test_every_skip_is_justified_and_used(report: dict[str, Any]) -> None:
    declared = _declared_skips()
    assert declared, "no skip declared: drop this test's skip checks or keep one"
    unjustified = [where for where, (_, reason) in declared.items() if len(reason) < 30]
    assert unjustified == [], "a checkov:skip needs its reason on the same line (checkov:skip=ID:reason)"
    used = {f["check_id"] for f in report["results"]["skipped_checks"]}
    unused = sorted({check for check, _ in declared.values()} - used)
    assert unused == [], f"skips that no longer skip anything (remove them): {unused}"


def test_make_install_builds_the_checkov_environment() -> None:
    make = shutil.which("make")
    assert make is not None, "make is a prerequisite of the project (README): install it"
    dry_run = subprocess.run(
        [make, "-n", "-B", "-C", str(ROOT), "test"], capture_output=True, text=True, timeout=30, check=False
    )
    assert ".venv/bin/python -m tools.checkov_env" in dry_run.stdout, dry_run.stdout + dry_run.stderr
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert not [line for line in dev if line.startswith("checkov")]  # its pins would clash with the app's
