"""`make test`: run every test (pytest starts Azurite itself through tests/conftest.py).

Arguments are passed to pytest, e.g. ``.venv/bin/python -m tools.run_tests -k storage``.
"""

from __future__ import annotations

import sys

import pytest


def main(argv: list[str]) -> int:
    code = pytest.main(["-p", "no:cacheprovider", *argv])
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
