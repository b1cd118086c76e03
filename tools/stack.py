"""The local Switchboard stack: Azurite, the ARM sandbox, the dev host and the Agents Playground.

One place that knows how each component is started, what it prints when it is ready and which
environment the bot needs locally, shared by ``make run`` (:mod:`tools.run_local`) and the
end-to-end test fixtures (``tests/e2e/conftest.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tools import playground
from tools.processes import ManagedProcess, ProcessSpec

__all__ = [
    "DEVHOST_PORT",
    "LOCAL_RESOURCE_GROUPS",
    "LOCAL_SUBSCRIPTIONS",
    "ROOT",
    "ArmSandbox",
    "DevHost",
    "bot_environment",
    "devhost_spec",
    "sandbox_spec",
]

ROOT = Path(__file__).resolve().parent.parent
DEVHOST_PORT = 3978

# The demo estate of the ARM sandbox (sandbox/estate.json).
LOCAL_SUBSCRIPTIONS = "11111111-1111-1111-1111-111111111111,22222222-2222-2222-2222-222222222222"
LOCAL_RESOURCE_GROUPS = "rg-dev,rg-prod"

SANDBOX_READY = r"ARM sandbox listening on (http://\S+?)/?\s*$"
DEVHOST_READY = r"Switchboard dev host listening on (http://\S+?/api/messages)\b"


@dataclass(frozen=True)
class ArmSandbox:
    """A running ARM sandbox: its base URL and the subscriptions and resource groups of its estate."""

    url: str
    subscriptions: tuple[str, ...]
    resource_groups: tuple[str, ...]
    process: ManagedProcess

    @classmethod
    def from_process(cls, process: ManagedProcess) -> ArmSandbox:
        return cls(
            url=process.ready_matches[0].group(1).rstrip("/"),
            subscriptions=tuple(LOCAL_SUBSCRIPTIONS.split(",")),
            resource_groups=tuple(LOCAL_RESOURCE_GROUPS.split(",")),
            process=process,
        )


@dataclass(frozen=True)
class DevHost:
    """A running dev host serving ``function_app``'s functions: ``messages_url`` is the bot endpoint."""

    messages_url: str
    process: ManagedProcess

    @property
    def base_url(self) -> str:
        return self.messages_url.removesuffix("/api/messages")

    @property
    def health_url(self) -> str:
        return f"{self.base_url}/api/health"

    @classmethod
    def from_process(cls, process: ManagedProcess) -> DevHost:
        return cls(messages_url=process.ready_matches[0].group(1), process=process)


def bot_environment(
    *,
    storage_connection_string: str | None,
    sandbox_url: str | None,
    base: Mapping[str, str],
) -> dict[str, str]:
    """The local defaults the bot needs, under whatever ``base`` already sets (``base`` wins).

    ``storage_connection_string`` / ``sandbox_url`` of None leave those settings to ``base``.
    """
    defaults: dict[str, str] = {
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "SWITCHBOARD_ALLOWED_TENANTS": playground.TENANT_ID,
        "SWITCHBOARD_SUBSCRIPTIONS": LOCAL_SUBSCRIPTIONS,
        "SWITCHBOARD_RESOURCE_GROUPS": LOCAL_RESOURCE_GROUPS,
        # approval cards also go to the Playground team's General channel (mock users have no personal chats)
        "SWITCHBOARD_APPROVERS_CHANNEL": playground.GENERAL_CHANNEL_ID,
    }
    if storage_connection_string is not None:
        defaults["SwitchboardStorage"] = storage_connection_string
    if sandbox_url is not None:
        defaults["SWITCHBOARD_ARM_SANDBOX_URL"] = sandbox_url
    return {**defaults, **base}


def _python_env(environ: Mapping[str, str]) -> dict[str, str]:
    env = dict(environ)
    env["PYTHONUNBUFFERED"] = "1"  # lines arrive as they are printed, so readiness is seen at once
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def sandbox_spec(
    *,
    port: int = 0,
    operation_delay: float = 2.0,
    environ: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    log_path: Path | None = None,
    echo: Callable[[str, str], None] | None = None,
) -> ProcessSpec:
    """``python -m sandbox``: the local ARM sandbox with its demo estate (port 0: a free port)."""
    delay = f"{operation_delay:g}"
    return ProcessSpec(
        name="sandbox",
        argv=[sys.executable, "-m", "sandbox", "--port", str(port), "--operation-delay", delay],
        cwd=ROOT,
        env=_python_env(os.environ if environ is None else environ),
        ready_pattern=SANDBOX_READY,
        ready_timeout=timeout,
        log_path=log_path,
        echo=echo,
    )


def devhost_spec(
    *,
    environ: Mapping[str, str],
    host: str = "127.0.0.1",
    port: int = DEVHOST_PORT,
    timeout: float = 60.0,
    log_path: Path | None = None,
    echo: Callable[[str, str], None] | None = None,
) -> ProcessSpec:
    """``python -m tools.devhost``: ``function_app``'s functions served locally (``environ``: its whole environment)."""
    return ProcessSpec(
        name="devhost",
        argv=[sys.executable, "-m", "tools.devhost", "--host", host, "--port", str(port)],
        cwd=ROOT,
        env=_python_env(environ),
        ready_pattern=DEVHOST_READY,
        ready_timeout=timeout,
        log_path=log_path,
        echo=echo,
    )
