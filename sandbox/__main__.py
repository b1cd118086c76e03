"""``python -m sandbox``: serve the ARM sandbox on a loopback address until SIGINT/SIGTERM.

Prints exactly one line, ``ARM sandbox listening on http://HOST:PORT``, once it accepts
connections (``--port 0`` picks a free port). Refuses non-loopback hosts.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from sandbox.app import create_app

__all__ = ["is_loopback", "main", "serve"]


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local Azure Resource Manager sandbox.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--estate", type=Path, default=None, help="estate seed JSON (default: sandbox/estate.json)")
    parser.add_argument(
        "--operation-delay",
        type=float,
        default=2.0,
        help="seconds each long-running operation stays InProgress (default 2.0)",
    )
    return parser.parse_args(argv)


async def serve(host: str, port: int, estate: Path | None, operation_delay: float) -> None:
    """Serve until SIGINT or SIGTERM, then shut down cleanly."""
    runner = web.AppRunner(create_app(estate, operation_delay=operation_delay), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        print(f"ARM sandbox listening on http://{shown}:{bound_port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parse(argv)
    if not is_loopback(args.host):
        print(f"refusing to listen on non-loopback host {args.host!r}: the sandbox is local only", file=sys.stderr)
        return 2
    if args.operation_delay < 0:
        print("--operation-delay must be >= 0", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(args.host, args.port, args.estate, args.operation_delay))
    except (OSError, ValueError) as exc:
        print(f"ARM sandbox failed to start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
