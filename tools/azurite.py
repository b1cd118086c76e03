"""Start and stop Azurite (Blob, Queue and Table services) on loopback ports.

Used by the test suite (one instance per pytest session) and by the local run command. Azurite
runs in memory, so every start is a clean account. Ports default to 0: Azurite picks free ports
and they are read from its output.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tools.processes import ManagedProcess, ProcessSpec, Supervisor

__all__ = ["ACCOUNT_KEY", "ACCOUNT_NAME", "AZURITE_BIN", "Azurite", "connection_string", "ports_of", "spec", "start"]

ROOT = Path(__file__).resolve().parent.parent
AZURITE_BIN = ROOT / "node_modules" / ".bin" / "azurite"

# The well-known Azurite development account (public, documented by Microsoft; not a secret).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

LISTENING_PATTERN = r"Azurite (Blob|Queue|Table) service is successfully listening at http://[\d.]+:(\d+)"


@dataclass
class Azurite:
    """A running Azurite process and the ports it listens on."""

    process: ManagedProcess
    ports: dict[str, int]
    workdir: str

    @property
    def connection_string(self) -> str:
        return connection_string(self.ports)

    def stop(self) -> None:
        """Stop Azurite (SIGINT, then SIGKILL) and remove its working folder."""
        self.process.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def connection_string(ports: dict[str, int], host: str = "127.0.0.1") -> str:
    """The connection string of the development account for Azurite listening on ``ports``."""
    parts = [
        "DefaultEndpointsProtocol=http",
        f"AccountName={ACCOUNT_NAME}",
        f"AccountKey={ACCOUNT_KEY}",
    ]
    for service in ("Blob", "Queue", "Table"):
        if service in ports:
            parts.append(f"{service}Endpoint=http://{host}:{ports[service]}/{ACCOUNT_NAME}")
    return ";".join(parts) + ";"


def spec(
    workdir: Path,
    *,
    blob_port: int = 0,
    queue_port: int = 0,
    table_port: int = 0,
    timeout: float = 30.0,
    log_path: Path | None = None,
    echo: Callable[[str, str], None] | None = None,
) -> ProcessSpec:
    """How to run Azurite in memory on loopback; ready once all three services listen."""
    if not AZURITE_BIN.exists():
        raise RuntimeError(f"Azurite is not installed ({AZURITE_BIN} missing): run `npm ci` in {ROOT}")
    command = [
        str(AZURITE_BIN),
        "--inMemoryPersistence",  # refuses -l, so it runs from its own working folder
        "--loose",
        "--skipApiVersionCheck",  # current azure-storage-queue sends a newer API version
        "--disableTelemetry",
        "--blobHost", "127.0.0.1", "--blobPort", str(blob_port),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue_port),
        "--tableHost", "127.0.0.1", "--tablePort", str(table_port),
    ]  # fmt: skip
    return ProcessSpec(
        name="azurite",
        argv=command,
        cwd=workdir,
        ready_pattern=LISTENING_PATTERN,
        ready_count=3,
        ready_timeout=timeout,
        stop_signal=signal.SIGINT,
        log_path=log_path,
        echo=echo,
    )


def ports_of(process: ManagedProcess) -> dict[str, int]:
    """The service ports a ready Azurite reported, e.g. ``{"Blob": 10000, "Queue": 10001, "Table": 10002}``."""
    return {match.group(1): int(match.group(2)) for match in process.ready_matches}


def start(
    *,
    blob_port: int = 0,
    queue_port: int = 0,
    table_port: int = 0,
    timeout: float = 30.0,
    supervisor: Supervisor | None = None,
    log_path: Path | None = None,
    echo: Callable[[str, str], None] | None = None,
) -> Azurite:
    """Start Azurite in memory on loopback and wait until every service listens.

    Port 0 lets Azurite choose free ports; the chosen ports are read from its output. With a
    ``supervisor`` the process is also registered there (stopped with the others). Raises
    :class:`tools.processes.ProcessFailed` with Azurite's output when it does not start.
    """
    workdir = tempfile.mkdtemp(prefix="switchboard-azurite-")
    process_spec = spec(
        Path(workdir),
        blob_port=blob_port,
        queue_port=queue_port,
        table_port=table_port,
        timeout=timeout,
        log_path=log_path,
        echo=echo,
    )
    try:
        process = (supervisor or Supervisor()).start(process_spec)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return Azurite(process=process, ports=ports_of(process), workdir=workdir)
