"""A cold start as the Functions host sees it: import ``function_app``, then its first requests.

    python -m tests.bench.cold_start --service-url URL [--conversation ID]

Run in a fresh process with Switchboard's settings in the environment. The Functions host has
no start-up hook, so the first ``/api/messages`` request composes the app (botbuilder and the
Azure SDKs load then, tables are created if missing) — unlike the dev host, which composes
before it listens. Prints one JSON line: ``import_ms``, ``first_request_ms``, ``second_request_ms``
(a warm turn, for comparison), and the HTTP statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

__all__ = ["main"]


async def _requests(service_url: str, conversation: str) -> dict[str, object]:
    import azure.functions as func

    import function_app
    from tests.support.connector import teams_activity

    messages = next(f for f in function_app.app.get_functions() if f.get_function_name() == "messages")
    handler = messages.get_user_function()
    figures: dict[str, object] = {}
    try:
        for name in ("first_request_ms", "second_request_ms"):
            activity = teams_activity(
                text="help", service_url=service_url, conversation_id=conversation, activity_id=uuid.uuid4().hex
            )
            request = func.HttpRequest(
                method="POST",
                url="http://localhost:7071/api/messages",
                headers={"Content-Type": "application/json"},
                params={},
                route_params={},
                body=json.dumps(activity).encode(),
            )
            started = time.perf_counter()
            response = await handler(request)
            figures[name] = round((time.perf_counter() - started) * 1000, 1)
            figures[name.replace("_ms", "_status")] = response.status_code
    finally:
        await function_app.aclose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.cold_start", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service-url", required=True, help="the connector stand-in's service URL")
    parser.add_argument("--conversation", default="a:bench-cold-start")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import function_app  # noqa: F401 - what the Functions host imports first

    import_ms = round((time.perf_counter() - started) * 1000, 1)
    figures = asyncio.run(_requests(args.service_url, args.conversation))
    print(json.dumps({"import_ms": import_ms, **figures}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
