"""A local Azure Resource Manager sandbox for development and tests (never production).

It serves the ARM REST endpoints the Azure management SDKs call for AKS managed clusters and
agent pools, VM scale sets, virtual machines, web and function apps, and subscription/resource
group discovery, over a seeded demo estate (``sandbox/estate.json``), with real asynchronous
operation semantics and fault injection through an admin API under ``/_sandbox/``.

Run it with ``python -m sandbox``; build the app in-process with :func:`create_app`.
:mod:`sandbox.client` (credential and HTTP policy for SDK clients) imports no server code.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from aiohttp import web

__all__ = ["create_app"]


def create_app(estate_path: Path | None = None, *, operation_delay: float = 2.0) -> web.Application:
    """Build the sandbox aiohttp app seeded from ``estate_path`` (default: bundled ``estate.json``).

    ``operation_delay`` is how long (seconds) each long-running operation stays InProgress.
    Imports the server code lazily, so ``import sandbox.client`` stays light.
    """
    from sandbox.app import create_app as _create_app

    return _create_app(estate_path, operation_delay=operation_delay)
