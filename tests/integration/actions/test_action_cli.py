"""``python -m actions`` in a subprocess against the sandbox: list, describe, preview, run, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, PROD_SUBSCRIPTION_ID, SandboxHandle

ROOT = Path(__file__).resolve().parents[3]


def cli(sandbox: SandboxHandle | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    if sandbox is not None:
        env.update(
            SWITCHBOARD_ARM_SANDBOX_URL=sandbox.url,
            SWITCHBOARD_SUBSCRIPTIONS=f"{DEV_SUBSCRIPTION_ID},{PROD_SUBSCRIPTION_ID}",
            SWITCHBOARD_RESOURCE_GROUPS="rg-dev,rg-prod",
            SWITCHBOARD_DISCOVERY_TIMEOUT_SECONDS="30",  # a busy machine never cuts a list short
        )
    return subprocess.run(
        [sys.executable, "-m", "actions", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_list_names_every_action_with_its_summary() -> None:
    result = cli(None, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 9
    assert lines[0].split()[0] == "aks-scale-node-pool"
    assert "Set the node count of an AKS node pool." in lines[0]


def test_describe_shows_parameters_and_examples() -> None:
    result = cli(None, "describe", "scale node pool")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("scale node pool (aks-scale-node-pool): Set the node count of an AKS node pool.")
    assert "  count — Node count (integer, required, 0 to 1000): the new node count" in result.stdout
    assert "Permission: aks-scale-node-pool on <cluster>/agentPools/<pool>" in result.stdout
    assert "  scale node pool aks-prod np1 to 5" in result.stdout


def test_an_unknown_action_suggests_the_closest(sandbox: SandboxHandle) -> None:
    for args in (("describe", "vm-strat"), ("preview", "scael", "node", "pool", "aks-prod", "np1", "to", "5")):
        result = cli(sandbox, *args)
        assert result.returncode == 2
        assert result.stderr.startswith("error: I don't know the action")
        assert "Did you mean" in result.stderr
        assert "Traceback" not in result.stderr
    assert "try: scale node pool aks-prod np1 to 5" in result.stderr


def test_preview_prints_current_to_desired(sandbox: SandboxHandle) -> None:
    result = cli(sandbox, "preview", "aks-scale-node-pool", "cluster=aks-prod", "pool=np1", "count=5")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "aks-prod / node pool np1: nodes 3 → 5\n"


def test_run_changes_the_resource_and_reports_the_end(sandbox: SandboxHandle) -> None:
    result = cli(sandbox, "run", "--poll-interval", "0.05", "start", "vm", "build-agent-3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "build-agent-3: power state deallocated → running",
        "Compute billing resumes while the VM runs.",
        "Starting build-agent-3…",
        "build-agent-3 is running.",
    ]
    again = cli(sandbox, "preview", "vm-start", "vm=build-agent-3")
    assert again.stdout == "build-agent-3 is already running — nothing to change\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("aks-scale-node-pool", "cluster=aks-prod", "pool=np1", "count=5000"), "must be from 0 to 1000, got 5000"),
        (("aks-scale-node-pool", "cluster=aks-prod", "pool=np1", "cuont=5"), "Did you mean count?"),
        (("aks-scale-node-pool", "cluster=aks-prod", "pool=np1"), "Node count is missing"),
        (("vm-start", "vm=build-agent-9"), "There is no virtual machine called 'build-agent-9'"),
        (("restart", "vm", "build-agent-3"), "build-agent-3 is deallocated, not running"),
    ],
)
def test_invalid_parameters_are_one_clear_line(sandbox: SandboxHandle, args: tuple[str, ...], message: str) -> None:
    result = cli(sandbox, "preview", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_run_exits_non_zero_with_a_reference(sandbox: SandboxHandle) -> None:
    sandbox.inject_fault(method="POST", path_contains="/jump-prod/restart", status=500, times=None)
    result = cli(sandbox, "run", "--poll-interval", "0.05", "--retries", "1", "restart", "vm", "jump-prod")
    assert result.returncode == 1
    assert [r["status"] for r in sandbox.requests() if r["method"] == "POST"] == [500, 500]
    assert "Azure could not restart jump-prod. Reference " in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_settings_exit_3() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "actions", "preview", "vm-start", "vm=x"],
        cwd=ROOT,
        env={**os.environ, "SWITCHBOARD_SUBSCRIPTIONS": "not-a-guid"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "SWITCHBOARD_SUBSCRIPTIONS: 'not-a-guid' is not a subscription id" in result.stderr
