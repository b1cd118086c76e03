"""The dev host's queue and timer triggers (and HTTP routing) with a small test FunctionApp, on Azurite.

function_app.py declares no queue or timer function yet, so this app declares its own: the dev
host must find them by introspection and call them the way the Functions host would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
import requests
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue.aio import QueueClient

from tools.devhost import DevHost


@dataclass
class Recorder:
    """What the test functions saw."""

    queue_messages: list[func.QueueMessage] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # dequeue counts of failed attempts
    sync_bodies: list[bytes] = field(default_factory=list)
    timer_runs: list[func.TimerRequest] = field(default_factory=list)
    startup_runs: list[func.TimerRequest] = field(default_factory=list)
    http_calls: list[func.HttpRequest] = field(default_factory=list)


def build_test_app(recorder: Recorder) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.queue_trigger(arg_name="job", queue_name="%JOBS_QUEUE%", connection="SwitchboardStorage")
    async def run_job(job: func.QueueMessage) -> None:
        recorder.queue_messages.append(job)

    @app.queue_trigger(arg_name="job", queue_name="%FAILING_QUEUE%", connection="SwitchboardStorage")
    async def failing_job(job: func.QueueMessage) -> None:
        recorder.failures.append(job.dequeue_count)
        raise RuntimeError("this job always fails")

    @app.queue_trigger(arg_name="item", queue_name="%SYNC_QUEUE%", connection="SwitchboardStorage")
    def sync_job(item: func.QueueMessage) -> None:  # a plain function runs in a worker thread
        recorder.sync_bodies.append(item.get_body())

    @app.timer_trigger(arg_name="timer", schedule="*/1 * * * * *", run_on_startup=False)
    async def every_second(timer: func.TimerRequest) -> None:
        recorder.timer_runs.append(timer)

    @app.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
    async def yearly_on_startup(timer: func.TimerRequest) -> None:
        recorder.startup_runs.append(timer)

    @app.route(route="items/{item_id}/{*rest}", methods=["GET"])
    async def get_item(req: func.HttpRequest) -> func.HttpResponse:
        recorder.http_calls.append(req)
        payload = {"id": req.route_params["item_id"], "rest": req.route_params.get("rest"), "q": req.params.get("q")}
        return func.HttpResponse(json.dumps(payload), mimetype="application/json")

    return app


@dataclass
class Running:
    host: DevHost
    recorder: Recorder
    env: dict[str, str]


async def eventually(condition: Callable[[], bool], within: float = 60.0) -> None:
    """Wait for ``condition``; ``within`` only bounds a failure (a busy machine may take a while)."""
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def running(storage_connection_string: str, unique_name: str, tmp_path: Path) -> AsyncIterator[Running]:
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": "api"}}}))
    env = {
        "MicrosoftAppId": "",
        "SwitchboardStorage": storage_connection_string,
        "JOBS_QUEUE": f"jobs{unique_name}",
        "FAILING_QUEUE": f"failing{unique_name}",
        "SYNC_QUEUE": f"sync{unique_name}",
    }
    recorder = Recorder()
    host = DevHost(build_test_app(recorder), port=0, env=env, app_root=tmp_path)
    await host.start()
    try:
        yield Running(host=host, recorder=recorder, env=env)
    finally:
        await host.stop()


async def send(connection_string: str, queue: str, body: bytes) -> None:
    """Enqueue as a producer using the Functions default encoding (base64)."""
    async with QueueClient.from_connection_string(connection_string, queue) as client:
        with contextlib.suppress(ResourceExistsError):  # already created by the dev host
            await client.create_queue()
        await client.send_message(base64.b64encode(body).decode("ascii"))


async def settled(connection_string: str, queue: str, within: float = 60.0) -> None:
    """Wait until the queue is empty (the dev host deletes a message after its function ran)."""
    deadline = asyncio.get_running_loop().time() + within
    while await queue_length(connection_string, queue):
        assert asyncio.get_running_loop().time() < deadline, f"queue {queue} still holds messages"
        await asyncio.sleep(0.05)


async def queue_length(connection_string: str, queue: str) -> int:
    """Messages in the queue, invisible (leased) ones included."""
    async with QueueClient.from_connection_string(connection_string, queue) as client:
        properties = await client.get_queue_properties()
        return int(properties.approximate_message_count or 0)


async def test_a_queue_message_reaches_its_function_decoded_and_is_deleted(running: Running) -> None:
    connection, queue = running.env["SwitchboardStorage"], running.env["JOBS_QUEUE"]
    await send(connection, queue, json.dumps({"operation": "op-1"}).encode())
    await eventually(lambda: len(running.recorder.queue_messages) == 1)
    [message] = running.recorder.queue_messages
    assert message.get_json() == {"operation": "op-1"}
    assert message.dequeue_count == 1
    assert message.id
    await settled(connection, queue)


async def test_a_plain_function_runs_in_a_worker_thread(running: Running) -> None:
    await send(running.env["SwitchboardStorage"], running.env["SYNC_QUEUE"], b"\x00binary\xff")
    await eventually(lambda: running.recorder.sync_bodies == [b"\x00binary\xff"])


async def test_a_failing_message_is_retried_then_moved_to_the_poison_queue_after_five_attempts(
    running: Running,
) -> None:
    connection, queue = running.env["SwitchboardStorage"], running.env["FAILING_QUEUE"]
    await send(connection, queue, b"doomed")
    await eventually(lambda: len(running.recorder.failures) >= 5)
    await settled(connection, queue)
    assert running.recorder.failures == [1, 2, 3, 4, 5]
    async with QueueClient.from_connection_string(connection, f"{queue}-poison") as poison:
        [moved] = await poison.peek_messages()
    assert base64.b64decode(moved.content) == b"doomed"


async def test_a_message_that_is_not_base64_goes_straight_to_poison(running: Running) -> None:
    connection, queue = running.env["SwitchboardStorage"], running.env["JOBS_QUEUE"]
    async with QueueClient.from_connection_string(connection, queue) as client:
        with contextlib.suppress(ResourceExistsError):
            await client.create_queue()
        await client.send_message("not base64 at all!")
    contents: list[str] = []
    async with QueueClient.from_connection_string(connection, f"{queue}-poison") as poison:
        deadline = asyncio.get_running_loop().time() + 60  # bounds a failure only
        while not contents and asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(ResourceNotFoundError):
                contents = [m.content for m in await poison.peek_messages()]
            await asyncio.sleep(0.1)
    assert contents == ["not base64 at all!"]
    assert running.recorder.queue_messages == []
    assert await queue_length(connection, queue) == 0


async def test_timers_run_on_their_schedule_and_on_startup(running: Running) -> None:
    await eventually(lambda: len(running.recorder.timer_runs) >= 2)
    first, second = running.recorder.timer_runs[:2]
    assert isinstance(first, func.TimerRequest)
    assert first.past_due is False
    last_updated = [dt.datetime.fromisoformat(t.schedule_status["LastUpdated"]) for t in (first, second)]
    assert (last_updated[1] - last_updated[0]).total_seconds() == pytest.approx(1.0)
    assert all(t.microsecond == 0 for t in last_updated)  # fired on whole seconds
    assert len(running.recorder.startup_runs) == 1  # its schedule is yearly; it ran once because of run_on_startup


async def test_http_routes_with_parameters_and_methods(running: Running) -> None:
    base = f"http://127.0.0.1:{running.host.port}"

    def get(path: str) -> requests.Response:
        return requests.get(base + path, timeout=10)

    response = await asyncio.to_thread(get, "/api/items/42/a/b?q=x")
    assert response.status_code == 200
    assert response.json() == {"id": "42", "rest": "a/b", "q": "x"}
    assert response.headers["Content-Type"].startswith("application/json")
    post = await asyncio.to_thread(lambda: requests.post(base + "/api/items/42/a", timeout=10))
    assert post.status_code == 405
    assert post.headers["Allow"] == "GET"
    assert (await asyncio.to_thread(get, "/api/elsewhere")).status_code == 404


def test_the_test_app_declares_every_trigger_kind() -> None:
    kinds: list[Any] = [f.get_trigger().type for f in build_test_app(Recorder()).get_functions()]
    assert sorted(set(kinds)) == ["httpTrigger", "queueTrigger", "timerTrigger"]
