"""Start and stop Azurite (Table and Queue services) on free loopback ports.

Used by the test suite (one instance per pytest session) and by the local run
command. Azurite runs in memory, so every start is a clean account.
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AZURITE_BIN = ROOT / "node_modules" / ".bin" / "azurite"

# The well-known Azurite development account (public, documented by Microsoft; not a secret).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTCtr/KBHBeksoGMGw=="
)

_LISTENING = re.compile(r"Azurite (Blob|Queue|Table) service is successfully listening at http://[\d.]+:(\d+)")


@dataclass
class Azurite:
    """A running Azurite process and the ports it listens on."""

    process: subprocess.Popen[str]
    ports: dict[str, int]
    workdir: str

    @property
    def connection_string(self) -> str:
        return connection_string(self.ports)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def connection_string(ports: dict[str, int], host: str = "127.0.0.1") -> str:
    parts = [
        "DefaultEndpointsProtocol=http",
        f"AccountName={ACCOUNT_NAME}",
        f"AccountKey={ACCOUNT_KEY}",
    ]
    for service in ("Blob", "Queue", "Table"):
        if service in ports:
            parts.append(f"{service}Endpoint=http://{host}:{ports[service]}/{ACCOUNT_NAME}")
    return ";".join(parts) + ";"


def start(
    *,
    blob_port: int = 0,
    queue_port: int = 0,
    table_port: int = 0,
    timeout: float = 30.0,
) -> Azurite:
    """Start Azurite in memory on loopback and wait until every service listens.

    Port 0 lets Azurite choose free ports; the chosen ports are read from its output.
    """
    if not AZURITE_BIN.exists():
        raise RuntimeError(
            f"Azurite is not installed ({AZURITE_BIN} missing): run `npm ci` in {ROOT}"
        )
    workdir = tempfile.mkdtemp(prefix="switchboard-azurite-")
    command = [
        str(AZURITE_BIN),
        "--inMemoryPersistence",
        "--loose",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--blobHost", "127.0.0.1", "--blobPort", str(blob_port),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue_port),
        "--tableHost", "127.0.0.1", "--tablePort", str(table_port),
    ]
    process = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ports: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    output: list[str] = []
    while len(ports) < 3:
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("Azurite did not start in time:\n" + "".join(output))
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise RuntimeError("Azurite exited during start-up:\n" + "".join(output))
            continue
        output.append(line)
        match = _LISTENING.search(line)
        if match:
            ports[match.group(1)] = int(match.group(2))
    # Keep draining its output so the pipe never fills and blocks Azurite.
    threading.Thread(target=_drain, args=(process,), daemon=True).start()
    return Azurite(process=process, ports=ports, workdir=workdir)


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _ in process.stdout:
        pass
