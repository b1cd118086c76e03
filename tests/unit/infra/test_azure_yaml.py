"""``azd up``: azure.yaml provisions infra/bicep and deploys the repository root as the Python Function
App; the package it uploads is the repository less ``.funcignore`` (the package itself is run by
tests/integration/hosting/test_hosting_deployment_package.py)."""

from __future__ import annotations

from typing import Any

import pathspec
from ruamel.yaml import YAML

from tests.unit.infra.bicep import BICEP_DIR, ROOT, parse


def azure_yaml() -> dict[str, Any]:
    return dict(YAML(typ="safe").load((ROOT / "azure.yaml").read_text()))


def test_azd_provisions_the_bicep_with_its_parameter_file() -> None:
    infra = azure_yaml()["infra"]
    assert infra["provider"] == "bicep"
    folder = ROOT / infra["path"]
    assert folder == BICEP_DIR
    assert (folder / f"{infra['module']}.bicep").is_file()
    params = (folder / f"{infra['module']}.bicepparam").read_text()
    assert f"using '{infra['module']}.bicep'" in params
    # The operable scopes come from the azd environment and have no default: azd stops without them.
    assert "param operableScopes = split(readEnvironmentVariable('SWITCHBOARD_OPERABLE_SCOPES'), ',')" in params


def test_azd_deploys_the_repository_root_as_the_tagged_python_function_app() -> None:
    services = azure_yaml()["services"]
    assert len(services) == 1
    ((name, service),) = services.items()
    assert service == {"project": ".", "language": "python", "host": "function"}
    assert (ROOT / service["project"] / "function_app.py").is_file()
    site = parse(BICEP_DIR / "modules" / "function-app.bicep")["resources"]["site"]
    assert site["config"]["tags"]["function"]["parameters"]["arg_2"] == {"'azd-service-name'": name}


def test_the_package_leaves_out_infrastructure_and_the_teams_app() -> None:
    spec = pathspec.GitIgnoreSpec.from_lines((ROOT / ".funcignore").read_text().splitlines())
    for left_out in ("infra/bicep/main.bicep", "infra/bicep/custom-role-actions.json", "appPackage/manifest.json",
                     ".github/workflows/ci.yml", "azure.yaml", ".azure/dev/.env", ".venv-checkov/bin/checkov",
                     "tests/conftest.py", "tools/gen_role.py", "docs/deployment.md"):  # fmt: skip
        assert spec.match_file(left_out), left_out
    for kept in ("function_app.py", "host.json", "requirements.txt", "actions/vm_start.py", "app/settings.py"):
        assert not spec.match_file(kept), kept
