"""Fixtures for the hosting tests: function_app's functions called with func.HttpRequest objects.

Each test builds its own app with ``function_app.create_app(SwitchboardRuntime(env, ...))`` — the
same functions the Functions host indexes — with storage on the session's Azurite and the bot's
replies going to a Bot Connector stand-in.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
import pytest
from azure.functions.decorators.function_app import Function

import function_app
from app.runtime import SwitchboardRuntime
from storage import TableClientOptions
from telemetry._configure import _uninstall
from tests.support.connector import TEST_TENANT_ID, ConnectorStandIn

FAST = TableClientOptions(retry_total=0, connection_timeout=2, read_timeout=5)


@dataclass
class HostedApp:
    """A Functions app under test and the runtime it serves.

    ``FunctionApp.get_functions()`` may be called only once per app (azure-functions 1.26 raises
    "does not have a unique function name" on the second call), so the functions are kept here.
    """

    app: func.FunctionApp
    runtime: SwitchboardRuntime
    functions: dict[str, Function] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.functions = {f.get_function_name(): f for f in self.app.get_functions()}

    def function(self, name: str) -> Callable[..., Any]:
        return self.functions[name].get_user_function()

    async def call(
        self,
        name: str,
        *,
        method: str = "POST",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        route: str | None = None,
    ) -> func.HttpResponse:
        request = func.HttpRequest(
            method=method,
            url=f"http://localhost:7071/api/{route or name}",
            headers=dict(headers or {}),
            params={},
            route_params={},
            body=body,
        )
        response: func.HttpResponse = await self.function(name)(request)
        return response

    async def post_activity(self, activity: Mapping[str, Any], authorization: str | None = None) -> func.HttpResponse:
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        return await self.call("messages", body=json.dumps(activity).encode(), headers=headers)


def json_body(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body()) if response.get_body() else None


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    _uninstall()


@pytest.fixture
def connector() -> Iterator[ConnectorStandIn]:
    with ConnectorStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def local_env(storage_connection_string: str) -> dict[str, str]:
    """App settings of a local, anonymous run."""
    return {
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "SwitchboardStorage": storage_connection_string,
        "SWITCHBOARD_ALLOWED_TENANTS": TEST_TENANT_ID,
        "SWITCHBOARD_LOG_LEVEL": "INFO",
    }


@pytest.fixture
async def make_app() -> AsyncIterator[Callable[..., HostedApp]]:
    """``make_app(env, **build_options)``: a Functions app over its own runtime (closed after the test)."""
    runtimes: list[SwitchboardRuntime] = []

    def make(env: Mapping[str, str], **build_options: Any) -> HostedApp:
        build_options.setdefault("table_options", FAST)
        runtime = SwitchboardRuntime(dict(env), **build_options)
        runtimes.append(runtime)
        return HostedApp(app=function_app.create_app(runtime), runtime=runtime)

    yield make
    for runtime in runtimes:
        await runtime.close()


@pytest.fixture
def hosted(make_app: Callable[..., HostedApp], local_env: dict[str, str]) -> HostedApp:
    """The app of a local, anonymous run."""
    return make_app(local_env)
