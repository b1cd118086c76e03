"""`make test`: run every test (pytest starts Azurite itself through tests/conftest.py).

Arguments are passed to pytest, e.g. ``.venv/bin/python -m tools.run_tests -k storage`` or
``make test ARGS='-k storage'``. The exit code is pytest's; "no tests collected" (pytest's 5) is a
failure too, so a broken collection never passes CI.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pytest

__all__ = ["main"]

BASE_ARGS = ("-p", "no:cacheprovider")


def main(argv: Sequence[str]) -> int:
    args = [*BASE_ARGS, *argv]
    print(f"pytest {' '.join(args)}", flush=True)
    code = int(pytest.main(args))
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("make test: FAILED — pytest collected no tests (exit 5)", file=sys.stderr, flush=True)
    elif code != pytest.ExitCode.OK:
        print(f"make test: FAILED — pytest exit code {code}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
