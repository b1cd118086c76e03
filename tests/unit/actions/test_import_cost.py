"""Importing the catalog must not import any Azure SDK: cold start of the Functions app stays small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import sys
import actions.registry, actions.params, actions.runner, actions.describe
actions.registry.default_registry()
print(sorted({m.split('.')[0] + '.' + m.split('.')[1] for m in sys.modules if m.startswith('azure.')}))
"""


def test_building_the_catalog_imports_no_azure_sdk() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
