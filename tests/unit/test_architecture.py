"""The layering is enforced, not just described: the import contracts of pyproject.toml hold.

The contracts (``[tool.importlinter]``; docs/architecture.md explains them): the edges sit above
everything else and only the composition root imports them all; no shipped package imports the
dev tools, the ARM sandbox or the tests; the domain imports no edge, no adapter, no Bot Framework
and no Azure SDK. A broken contract fails this test with import-linter's report, which names
every offending import chain, line by line.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = (
    "app", "appsettings", "bot", "dialogs", "cards", "governing", "guardrails", "requesting", "actions", "storage",
    "telemetry",
)


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_the_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"an import contract is broken:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails_with_the_offending_import_chain(tmp_path: Path) -> None:
    for name in (*PACKAGES, "sandbox", "tools", "tests"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "storage" / "keys.py").open("a") as keys:
        keys.write("\nfrom bot import replies  # noqa: E402\n")
    with (tmp_path / "requesting" / "request.py").open("a") as request:
        request.write("\nimport sandbox.client  # noqa: E402\n")

    result = lint_imports(tmp_path)

    assert result.returncode == 1
    assert "storage is not allowed to import bot" in result.stdout
    assert "storage.keys -> bot.replies" in result.stdout
    assert "requesting is not allowed to import sandbox" in result.stdout
    assert "requesting.request -> sandbox.client" in result.stdout


def test_function_app_imports_only_the_functions_sdk_the_runtime_and_the_edge_types() -> None:
    tree = ast.parse((ROOT / "function_app.py").read_text())
    imported = {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "azure.functions", "app.runtime", "bot.edge_types"}
