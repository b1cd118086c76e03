"""Which settings a local run uses, and which local components it must start for them.

Precedence, highest first: the process environment, the ``Values`` of ``local.settings.json``
(the file Azure Functions Core Tools reads, so one file serves ``func start`` and ``make run``),
then the local defaults of :func:`tools.stack.bot_environment`.

Storage and the ARM sandbox are started only when the settings ask for a local one:

* ``SwitchboardStorage`` unset: Azurite on free ports. ``UseDevelopmentStorage=true`` or a
  ``devstoreaccount1`` connection string on loopback: Azurite on those ports, or the Azurite already
  listening there. Anything else (a real account, ``SwitchboardStorage__accountName``): no Azurite.
* ``SWITCHBOARD_ARM_SANDBOX_URL`` unset: the sandbox on a free port. A loopback URL: the sandbox on
  that port, or the one already listening there. Set to empty: real Azure, no sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tools import azurite, playground

__all__ = [
    "DEV_STORAGE_PORTS",
    "LocalPlan",
    "LocalSettingsError",
    "SandboxPlan",
    "StoragePlan",
    "load_local_settings",
    "plan_local_run",
]

DEV_STORAGE_PORTS = {"Blob": 10000, "Queue": 10001, "Table": 10002}
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class LocalSettingsError(ValueError):
    """``local.settings.json`` cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class StoragePlan:
    """Whether to start Azurite (and on which ports; missing service: a free port) and the connection string.

    ``connection_string`` None with ``start_azurite``: use the started Azurite's own.
    """

    start_azurite: bool
    azurite_ports: dict[str, int] = field(default_factory=dict)
    connection_string: str | None = None
    note: str = ""


@dataclass(frozen=True)
class SandboxPlan:
    """Whether to start the ARM sandbox (port 0: a free one) and the URL the bot gets (None: the started one's)."""

    start: bool
    port: int = 0
    url: str | None = None
    note: str = ""


@dataclass(frozen=True)
class LocalPlan:
    """The environment for the bot (before local defaults) and what to start."""

    environment: dict[str, str]
    storage: StoragePlan
    sandbox: SandboxPlan
    warnings: tuple[str, ...] = ()


def load_local_settings(path: Path) -> dict[str, str]:
    """The ``Values`` of a ``local.settings.json`` as strings; empty when the file does not exist."""
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LocalSettingsError(f"{path.name}: cannot read it as JSON ({exc}); fix or remove it") from exc
    if not isinstance(document, dict):
        raise LocalSettingsError(f"{path.name}: expected a JSON object with a \"Values\" object")
    if document.get("IsEncrypted") is True:
        raise LocalSettingsError(f"{path.name}: its values are encrypted; run `func settings decrypt` first")
    values = document.get("Values", {})
    if not isinstance(values, dict):
        raise LocalSettingsError(f"{path.name}: \"Values\" must be an object of setting names to strings")
    result: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            result[str(name)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            result[str(name)] = str(value)
        else:
            raise LocalSettingsError(f"{path.name}: Values.{name} must be a string, got {type(value).__name__}")
    return result


def plan_local_run(
    environ: Mapping[str, str],
    local_values: Mapping[str, str],
    *,
    in_use: Callable[[int], bool],
) -> LocalPlan:
    """Merge the settings (environment over ``local.settings.json``) and decide what to start.

    ``in_use(port)`` tells whether something already listens on a loopback port.
    """
    merged = {**local_values, **environ}
    storage = _plan_storage(merged, in_use)
    sandbox = _plan_sandbox(merged, in_use)
    environment = dict(merged)
    if storage.connection_string is not None or storage.start_azurite:
        environment.pop("SwitchboardStorage", None)  # replaced by the plan's explicit connection string
    if sandbox.start or sandbox.url is not None:
        environment.pop("SWITCHBOARD_ARM_SANDBOX_URL", None)
    return LocalPlan(environment=environment, storage=storage, sandbox=sandbox, warnings=_warnings(merged))


def _plan_storage(merged: Mapping[str, str], in_use: Callable[[int], bool]) -> StoragePlan:
    account = merged.get("SwitchboardStorage__accountName", "").strip()
    value = merged.get("SwitchboardStorage", "").strip()
    if account and not value:
        return StoragePlan(
            start_azurite=False,
            note=f"storage: account {account} with DefaultAzureCredential (SwitchboardStorage__accountName); "
            "not starting Azurite",
        )
    if not value:
        return StoragePlan(start_azurite=True)
    ports = _dev_storage_ports(value)
    if ports is None:
        return StoragePlan(
            start_azurite=False, note="storage: the account in SwitchboardStorage; not starting Azurite"
        )
    explicit = azurite.connection_string(ports)
    table_port = ports.get("Table", 0)
    if table_port and in_use(table_port):
        return StoragePlan(
            start_azurite=False,
            connection_string=explicit,
            note=f"storage: using the Azurite already listening on 127.0.0.1:{table_port}",
        )
    return StoragePlan(start_azurite=True, azurite_ports=ports, connection_string=explicit)


def _dev_storage_ports(value: str) -> dict[str, int] | None:
    """Azurite ports named by a development-storage connection string; None for any other account."""
    parts: dict[str, str] = {}
    for part in value.split(";"):
        key, sep, item = part.partition("=")
        if sep:
            parts[key.strip().lower()] = item.strip()
    if parts.get("usedevelopmentstorage", "").lower() == "true":
        return dict(DEV_STORAGE_PORTS)
    if parts.get("accountname") != azurite.ACCOUNT_NAME:
        return None
    ports: dict[str, int] = {}
    for service in ("Blob", "Queue", "Table"):
        endpoint = parts.get(f"{service.lower()}endpoint")
        if not endpoint:
            continue
        url = urlsplit(endpoint)
        if url.hostname not in _LOOPBACK or url.port is None:
            return None
        ports[service] = url.port
    return ports or None


def _plan_sandbox(merged: Mapping[str, str], in_use: Callable[[int], bool]) -> SandboxPlan:
    if "SWITCHBOARD_ARM_SANDBOX_URL" not in merged:
        return SandboxPlan(start=True)
    value = merged["SWITCHBOARD_ARM_SANDBOX_URL"].strip()
    if not value:
        return SandboxPlan(
            start=False,
            note="ARM: SWITCHBOARD_ARM_SANDBOX_URL is empty, so actions go to real Azure with "
            "DefaultAzureCredential; not starting the sandbox",
        )
    url = urlsplit(value)
    if url.scheme != "http" or url.hostname not in _LOOPBACK or url.port is None:
        return SandboxPlan(
            start=False, note=f"ARM: using {value} (SWITCHBOARD_ARM_SANDBOX_URL); not starting the sandbox"
        )
    if in_use(url.port):
        return SandboxPlan(
            start=False, url=value, note=f"ARM: using the sandbox already listening on 127.0.0.1:{url.port}"
        )
    return SandboxPlan(start=True, port=url.port, url=value)


def _warnings(merged: Mapping[str, str]) -> tuple[str, ...]:
    warnings: list[str] = []
    if merged.get("MicrosoftAppId", "").strip():
        warnings.append(
            "MicrosoftAppId is set: the Agents Playground sends no token, so the bot will refuse its requests "
            "(401). Leave MicrosoftAppId empty for local runs."
        )
    tenants = {t.strip().lower() for t in merged.get("SWITCHBOARD_ALLOWED_TENANTS", "").split(",") if t.strip()}
    if tenants and playground.TENANT_ID not in tenants:
        warnings.append(
            f"SWITCHBOARD_ALLOWED_TENANTS does not include the Playground's tenant {playground.TENANT_ID}: "
            "the bot will refuse the Playground's messages."
        )
    return tuple(warnings)
