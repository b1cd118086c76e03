"""docs/deployment.md and docs/monitoring.md stay true: their commands, files, events and the alert
query are the repository's."""

from __future__ import annotations

import importlib.util
import re

import pytest

from guardrails.records import AuditKind
from telemetry.audit_events import AUDIT_EVENT_NAME
from tests.unit.infra.bicep import BICEP_DIR, ROOT, parse

DOCS = {name: (ROOT / "docs" / name).read_text() for name in ("deployment.md", "monitoring.md")}



def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_make_target_and_python_module_exists(doc: str) -> None:
    text = DOCS[doc]
    targets = set(re.findall(r"\bmake ([a-z][\w-]*)", text))
    missing = targets - _makefile_targets()
    assert not missing, f"{doc} names make targets the Makefile does not have: {sorted(missing)}"
    for module in set(re.findall(r"python -m ([\w.]+)", text)):
        assert importlib.util.find_spec(module) is not None, f"{doc}: python -m {module} does not exist"


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_file_named_exists(doc: str) -> None:
    named = set(re.findall(r"`([\w.-]+(?:/[\w.-]+)+\.(?:py|bicep|bicepparam|json|yaml|md))`", DOCS[doc]))
    named |= set(re.findall(r"`([\w-]+\.(?:bicepparam|yaml))`", DOCS[doc]))
    assert named, f"{doc} names no file"
    missing = sorted(name for name in named if not (ROOT / name).exists() and not (BICEP_DIR / name).exists())
    assert not missing, f"{doc} names files that do not exist: {missing}"


def test_the_azd_environment_values_are_the_ones_main_bicepparam_reads() -> None:
    params = (BICEP_DIR / "main.bicepparam").read_text()
    read = set(re.findall(r"readEnvironmentVariable\('(\w+)'", params))
    assert {"AZURE_ENV_NAME", "AZURE_LOCATION", "SWITCHBOARD_OPERABLE_SCOPES"} <= read
    documented = set(re.findall(r"azd env set (\w+)", DOCS["deployment.md"]))
    assert documented <= read
    assert read - documented <= {"AZURE_ENV_NAME"}  # azd sets it from `azd env new`


def test_the_queries_use_the_audit_event_and_its_kinds() -> None:
    monitoring = DOCS["monitoring.md"]
    assert f'name == "{AUDIT_EVENT_NAME}"' in monitoring
    for kind in AuditKind:
        assert f"`{kind.value}`" in monitoring, f"monitoring.md does not list audit kind {kind.value}"
    used = set(re.findall(r'"([a-z_]+)"', monitoring)) & {k.value for k in AuditKind}
    assert {"execution_ended", "approval_decided", "break_glass", "grant_added"} <= used


def test_the_deployed_alert_runs_the_documented_failed_operations_query() -> None:
    alert_query = parse(BICEP_DIR / "modules" / "alerts.bicep")["variables"]["failedOperationsQuery"]["value"]
    section = DOCS["monitoring.md"].split("## Failed operations", 1)[1]
    documented = section.split("```kusto\n", 1)[1].split("```", 1)[0]
    assert documented.replace("| order by timestamp desc\n", "").strip() == alert_query.strip()
