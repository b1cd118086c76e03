"""The deployment package on its own: what `.funcignore` lets through imports, composes and answers /api/health.

The test assembles the files a Functions deployment would contain — the working tree less what
``.funcignore`` excludes, matched with gitignore semantics by ``pathspec`` — into a temporary
folder, then runs a fresh interpreter there with only that folder and the environment's
site-packages on ``sys.path``. A shipped module that still needed the dev tools, the ARM sandbox
or the tests (or any file the package leaves out) fails here, as it would in Azure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pathspec
import pytest

ROOT = Path(__file__).resolve().parents[3]
PLAYGROUND_TENANT = "00000000-0000-0000-0000-0000000000001"

PROBE = """
import asyncio, json, os, sys

package = os.getcwd()
sys.path[:] = [package, *sys.argv[1:]]

import azure.functions as func
import function_app


async def main() -> dict:
    functions = {f.get_function_name(): f.get_user_function() for f in function_app.app.get_functions()}
    health = await functions["health"](func.HttpRequest("GET", "/api/health", body=b""))
    switchboard = await function_app._runtime.start()
    credential = type(switchboard.actions.credential)
    await function_app.aclose()
    ours = sorted(
        name for name, module in sys.modules.items()
        if (getattr(module, "__file__", None) or "").startswith(package + os.sep)
    )
    return {
        "status": health.status_code,
        "body": json.loads(health.get_body()),
        "sandbox_credential": f"{credential.__module__}.{credential.__name__}",
        "top_level": sorted({name.split(".")[0] for name in ours}),
        "outside": sorted(
            name for name, module in sys.modules.items()
            if name.split(".")[0] in ("sandbox", "tools", "tests")
        ),
    }

print(json.dumps(asyncio.run(main())))
"""


def deployment_files(root: Path) -> list[Path]:
    """Files under ``root`` a deployment contains: everything not excluded by ``root/.funcignore``."""
    spec = pathspec.GitIgnoreSpec.from_lines((root / ".funcignore").read_text().splitlines())
    files: list[Path] = []
    for folder, dirs, names in os.walk(root):
        relative = Path(folder).relative_to(root)
        dirs[:] = sorted(d for d in dirs if not spec.match_file(f"{(relative / d).as_posix()}/"))
        files += [relative / n for n in sorted(names) if not spec.match_file((relative / n).as_posix())]
    return files


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deployment")
    for relative in deployment_files(ROOT):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, folder / relative)
    return folder


def test_the_package_holds_the_app_and_nothing_for_development(package: Path) -> None:
    top = {path.name for path in package.iterdir()}
    assert {"function_app.py", "host.json", "requirements.txt"} <= top
    assert {"app", "appsettings", "bot", "dialogs", "cards", "requesting", "actions", "storage", "telemetry"} <= top
    for left_out in ("tests", "sandbox", "tools", "docs", "node_modules", ".venv", "local.settings.json", ".git"):
        assert left_out not in top
    assert not list(package.rglob("__pycache__"))


def test_the_package_alone_imports_composes_and_answers_health(package: Path) -> None:
    site_packages = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    stdlib = [p for p in sys.path if p and Path(p).is_dir() and not Path(p).resolve().is_relative_to(ROOT.resolve())
              and "site-packages" not in p]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SwitchboardStorage": "UseDevelopmentStorage=true",
        "SWITCHBOARD_ALLOWED_TENANTS": PLAYGROUND_TENANT,
        "SWITCHBOARD_ARM_SANDBOX_URL": "http://127.0.0.1:9",  # nothing listens: nothing is called
        "SWITCHBOARD_LOG_LEVEL": "WARNING",
    }
    result = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, *stdlib, *site_packages],
        cwd=package,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["status"] == 200
    assert report["body"] == {"status": "ok", "authentication": "off"}
    assert report["sandbox_credential"] == "actions.local_arm.AsyncStaticTokenCredential"
    assert report["outside"] == []
    assert set(report["top_level"]) <= {
        "function_app", "app", "appsettings", "bot", "dialogs", "cards", "requesting", "actions", "storage",
        "telemetry", "guardrails", "governing",
    }
