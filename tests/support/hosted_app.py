"""A Functions app under test (``function_app.create_app`` over its own runtime), called the way the
Functions host calls it: with ``func.HttpRequest`` objects. Used by tests/integration/hosting."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
from azure.functions.decorators.function_app import Function

from app.runtime import SwitchboardRuntime

__all__ = ["HostedApp", "json_body"]


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
