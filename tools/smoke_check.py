"""Smoke-check a deployed Switchboard: ``python -m tools.smoke_check https://<function app host> [--wait 300]``.

Asks ``GET {base}/api/health`` until it answers ``200 {"status": "ok", "authentication": "on"}``
or ``--wait`` seconds have passed (a Function App just deployed may answer 404/503 or not at all
for a while). Exit code 0 when healthy; 1 with the last answer otherwise — including a healthy
answer with authentication **off**, which in Azure would mean requests are not authenticated.
Used by the deploy workflow after ``azd deploy``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlsplit

__all__ = ["HealthResult", "check_once", "main", "wait_healthy"]


class HealthResult:
    """One answer of the health endpoint: ``healthy`` and a one-line ``summary`` for the log."""

    def __init__(self, healthy: bool, summary: str, *, final: bool = False) -> None:
        self.healthy = healthy
        self.summary = summary
        self.final = final  # no point asking again (e.g. authentication is off)


def check_once(url: str, timeout: float = 10.0) -> HealthResult:
    """Ask ``url`` once."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (the URL's scheme is checked)
            status, body = answer.status, answer.read(4096)
    except urllib.error.HTTPError as error:
        return HealthResult(False, f"HTTP {error.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return HealthResult(False, f"no answer ({type(error).__name__})")
    try:
        payload = json.loads(body)
    except ValueError:
        return HealthResult(False, f"HTTP {status} without a JSON body")
    if not isinstance(payload, dict) or payload.get("status") != "ok":
        return HealthResult(False, f"HTTP {status} {payload!r}")
    if payload.get("authentication") != "on":
        return HealthResult(False, "healthy but authentication is off: set MicrosoftAppId", final=True)
    return HealthResult(True, f"HTTP {status} {payload!r}")


def wait_healthy(base_url: str, wait: float, interval: float = 10.0) -> HealthResult:
    """Ask ``{base_url}/api/health`` until healthy, a final answer, or ``wait`` seconds."""
    url = base_url.rstrip("/") + "/api/health"
    deadline = time.monotonic() + wait
    while True:
        result = check_once(url)
        print(f"{url}: {result.summary}", flush=True)
        if result.healthy or result.final or time.monotonic() + interval > deadline:
            return result
        time.sleep(interval)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.smoke_check", description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the Function App's base URL, e.g. https://func-switchboard.azurewebsites.net")
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to keep asking (default 300)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between questions (default 10)")
    args = parser.parse_args(argv)
    parts = urlsplit(args.base_url if "://" in args.base_url else f"https://{args.base_url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        print(f"smoke check: {args.base_url!r} is not an http(s) URL or host name", file=sys.stderr)
        return 2
    result = wait_healthy(parts.geturl(), args.wait, args.interval)
    if not result.healthy:
        print(f"smoke check: FAILED — {result.summary}", file=sys.stderr)
        return 1
    print("smoke check: healthy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
