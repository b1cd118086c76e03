"""The bot's custom role is generated from the action catalog, and the committed file is current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from actions.aks_start_cluster import AksStartCluster
from actions.registry import Registry, default_registry
from tests.unit.infra.bicep import BICEP_DIR, ROOT, parse
from tools.gen_role import ROLE_FILE, RoleError, render_role


def gen_role(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.gen_role", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_the_committed_role_is_the_catalog_s() -> None:
    assert ROLE_FILE.read_text() == render_role(default_registry()), "stale: run `python -m tools.gen_role`"


def test_the_role_permits_exactly_what_the_actions_declare() -> None:
    role = json.loads(ROLE_FILE.read_text())
    declared = {op for action in default_registry() for op in action.arm_operations}
    assert set(role["actions"]) == declared
    assert "Microsoft.Compute/virtualMachines/deallocate/action" in role["actions"]
    assert "Microsoft.ContainerService/managedClusters/agentPools/write" in role["actions"]
    assert not [op for op in role["actions"] if "*" in op]
    assert role["byAction"]["vm-restart"] == list(default_registry().get("vm-restart").arm_operations)


def test_check_mode_fails_on_a_stale_file_and_writing_fixes_it(tmp_path: Path) -> None:
    target = tmp_path / "custom-role-actions.json"
    assert gen_role("--check").returncode == 0
    target.write_text(ROLE_FILE.read_text().replace("Microsoft.Web/sites/restart/action", "Microsoft.Web/sites/*"))
    stale = gen_role("--check", "--output", str(target))
    assert stale.returncode == 1
    assert stale.stderr.strip() == f"stale: {target} (run `python -m tools.gen_role`)"
    assert gen_role("--output", str(target)).returncode == 0
    assert target.read_text() == ROLE_FILE.read_text()


class _Undeclared(AksStartCluster):
    name = "aks-start-undeclared"
    aliases = ()
    arm_operations = ()


class _Wildcard(AksStartCluster):
    name = "aks-start-wildcard"
    aliases = ()
    arm_operations = ("Microsoft.ContainerService/*",)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (_Undeclared(), "action 'aks-start-undeclared' declares no arm_operations"),
        (_Wildcard(), "action 'aks-start-wildcard': 'Microsoft.ContainerService/*' is not an ARM operation name"),
    ],
)
def test_an_action_without_a_precise_declaration_is_refused(action: AksStartCluster, message: str) -> None:
    with pytest.raises(RoleError, match=message.replace("*", r"\*")):
        render_role(Registry([action]))


def test_the_bicep_role_loads_the_generated_file_and_adds_nothing() -> None:
    module = parse(BICEP_DIR / "modules" / "operator-role.bicep")
    loaded = module["variables"]["catalog"]["value"]["function"]
    assert loaded["type"] == "load_json_content"
    assert (BICEP_DIR / "modules" / loaded["parameters"]["file_path"]).resolve() == ROLE_FILE
    (role,) = [r for r in module["resources"].values() if r["type"] == "Microsoft.Authorization/roleDefinitions"]
    (permissions,) = role["config"]["properties"]["permissions"]
    generated = {"operand_1": "catalog", "operand_2": "actions"}
    assert permissions == {
        "actions": {"operator": {"type": "property_accessor", "operands": generated}},
        "notActions": [],
        "dataActions": [],
        "notDataActions": [],
    }
