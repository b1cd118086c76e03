"""Reading the Bicep files as checkov does: pycep-parser's syntax trees of ``infra/bicep``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
BICEP_DIR = ROOT / "infra" / "bicep"
MAIN = BICEP_DIR / "main.bicep"

__all__ = ["BICEP_DIR", "MAIN", "ROOT", "bicep_files", "parse"]


def bicep_files() -> list[Path]:
    """Every ``.bicep`` file under ``infra/``."""
    return sorted((ROOT / "infra").rglob("*.bicep"))


@cache
def parse(path: Path) -> dict[str, Any]:
    """pycep-parser's tree of one file (``parameters``, ``variables``, ``resources``, ``modules``, ``outputs``)."""
    from pycep import BicepParser

    return dict(BicepParser().parse(file_path=path))
