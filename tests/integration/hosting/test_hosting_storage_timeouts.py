"""A storage account that accepts connections and never answers: the user hears so within Teams' wait.

The storage endpoint is a real loopback TCP server that accepts every connection and never
sends a byte (a hung account, or a black-holed load balancer that completes the handshake).
With the default storage settings the turn must end, and the user must get the
"can't reach my storage" message, well before Teams gives up on the turn (10 to 15 seconds).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from app.settings import Settings
from tests.support.connector import ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp

# Azurite's well-known development account key (public, documented by Microsoft).
_DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
TEAMS_WAITS_AT_LEAST = 10.0  # seconds Bot Service gives a turn before the client sees a failure


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never answers; counts the connections."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def connections(self) -> int:
        return len(self._open)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._open.append(connection)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self._open:
            connection.close()
        self._socket.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    with SilentServer() as server:
        yield server


def _storage_at(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={_DEV_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )


@pytest.mark.timeout(60)
async def test_a_hung_storage_account_gets_the_user_the_storage_message_before_teams_gives_up(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], connector: ConnectorStandIn, silent: SilentServer
) -> None:
    env = {**local_env, "SwitchboardStorage": _storage_at(silent.port)}
    # The storage settings' defaults (table_options=None), not the tests' fast-failing options.
    hosted = make_app(env, table_options=None)
    started = time.monotonic()
    response = await asyncio.wait_for(
        hosted.post_activity(teams_activity(text="help", service_url=connector.service_url)), timeout=50
    )
    waited = time.monotonic() - started
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith("I can't reach my storage right now, so I didn't do anything.")
    assert silent.connections >= 1  # the bot really was stuck on the silent server
    assert waited < TEAMS_WAITS_AT_LEAST


@pytest.mark.timeout(60)
async def test_the_storage_time_budget_is_a_setting(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], connector: ConnectorStandIn, silent: SilentServer
) -> None:
    env = {
        **local_env,
        "SwitchboardStorage": _storage_at(silent.port),
        "SwitchboardStorage__timeoutSeconds": "0.5",
        "SwitchboardStorage__readTimeoutSeconds": "30",
    }
    assert Settings.from_env(env).storage.timeout_seconds == 0.5
    hosted = make_app(env, table_options=None)
    started = time.monotonic()
    response = await asyncio.wait_for(
        hosted.post_activity(teams_activity(text="help", service_url=connector.service_url)), timeout=50
    )
    waited = time.monotonic() - started
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith("I can't reach my storage right now")
    # The 30-second read timeout is cut to the half-second budget (retry pauses come on top).
    assert waited < 15

