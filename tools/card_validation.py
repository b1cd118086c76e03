"""Validate Adaptive Cards with the Adaptive Cards JavaScript library, from Python.

:class:`CardValidator` keeps one ``node tools/validate_cards.mjs --serve`` process and sends
it batches of cards as JSON lines, so a test run pays Node's start-up once::

    with CardValidator() as validator:
        reports = validator.validate({"form:aks-scale-node-pool": card, ...})
        assert all(report.ok for report in reports), [str(r) for r in reports if not r.ok]

``python -m tools.card_validation card.json ...`` validates card files from the command line.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["CardReport", "CardValidator", "CardValidatorError"]

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "validate_cards.mjs"


class CardValidatorError(RuntimeError):
    """The validator process could not be started or answered something unexpected."""


@dataclass(frozen=True)
class CardReport:
    """The verdict on one card: its name and every problem found (none when it passes)."""

    name: str
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        if self.ok:
            return f"{self.name}: ok"
        return f"{self.name}:\n  - " + "\n  - ".join(self.errors)


class CardValidator:
    """One long-lived Node validator process; thread-safe; use as a context manager."""

    def __init__(self, *, host_version: str = "1.5") -> None:
        self._host_version = host_version
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def start(self) -> CardValidator:
        node = shutil.which("node")
        if node is None:
            raise CardValidatorError("node is not installed; it is needed to validate Adaptive Cards")
        if not (ROOT / "node_modules" / "adaptivecards").is_dir():
            raise CardValidatorError("npm package adaptivecards is missing; run `npm ci` (or `make install`)")
        self._process = subprocess.Popen(
            [node, str(SCRIPT), "--serve", "--version", self._host_version],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        return self

    def validate(self, cards: Mapping[str, Any]) -> list[CardReport]:
        """Validate named cards (name -> card JSON) in one round trip; reports in the same order."""
        if self._process is None or self._process.stdin is None or self._process.stdout is None:
            raise CardValidatorError("the validator is not running; use it as a context manager")
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "cards": [{"name": n, "card": c} for n, c in cards.items()]})
        with self._lock:
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        if not answer:
            raise CardValidatorError(f"the validator process exited (code {self._process.poll()})")
        response = json.loads(answer)
        if response.get("id") != request_id or "results" not in response:
            raise CardValidatorError(f"unexpected answer from the validator: {answer[:200]}")
        return [CardReport(r["name"], tuple(r["errors"])) for r in response["results"]]

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> CardValidator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def main(argv: list[str]) -> int:
    """Validate card files given on the command line; exit status 1 when any fails."""
    if not argv:
        print("usage: python -m tools.card_validation card.json ...", file=sys.stderr)
        return 2
    cards = {path: json.loads(Path(path).read_text(encoding="utf-8")) for path in argv}
    with CardValidator() as validator:
        reports = validator.validate(cards)
    for report in reports:
        print(report)
    return 0 if all(report.ok for report in reports) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
