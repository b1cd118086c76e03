"""The ``/api/messages`` edge: HTTP request in, authenticated activity to the bot, HTTP response out.

A small replacement for the aiohttp ``CloudAdapter.process`` of botbuilder 4.17.1, which
answers 500 when a handler returns an invoke body (it serializes it twice) and 500 rather
than 401 for most bad tokens. The order of checks is fixed and each has its own status:

=====================================================  ======
method other than POST                                  405
content type other than ``application/json``            415
body over :data:`MAX_BODY_BYTES` (declared or actual)    413
empty body, malformed JSON, not an activity             400
JSON nested deeper than :data:`MAX_JSON_DEPTH`, more    400
than :data:`MAX_JSON_VALUES` values, or a string
longer than :data:`MAX_TEXT_CHARS` characters
authentication fails (any reason)                       401
the bot's turn fails unexpectedly                       500 (JSON body with a correlation id)
=====================================================  ======

Authentication runs *before* the bot: a request that fails it never reaches the bot.
No response ever carries a stack trace or exception text.

The bounds keep the work of one request small (a few milliseconds of CPU to parse, whatever the
body): Teams sends at most about 28 KB per message, so no activity from Teams comes near them.
Parsing stays bounded because the structure is checked (iteratively, stopping at the first
excess) before msrest builds any model from it, and msrest's cost grows with the number of values.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from enum import Enum
from http import HTTPStatus
from typing import Any

import requests
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot.adapter import SwitchboardAdapter
from bot.edge_types import EdgeRequest, EdgeResponse
from bot.model_serializer import ModelDeserializer
from telemetry import current_correlation_id

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_JSON_VALUES",
    "MAX_TEXT_CHARS",
    "BadActivity",
    "MessagesEndpoint",
    "invoke_body_to_json",
    "parse_activity",
]

_log = logging.getLogger("switchboard.edge")

MAX_BODY_BYTES = 256 * 1024
"""Largest request body, in bytes: about 9x Teams' message size limit (about 28 KB)."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of JSON objects and arrays (the activity itself is level 1); Teams' are under 10."""
MAX_JSON_VALUES = 2048
"""Most JSON values (objects, arrays, strings, numbers, ...) in one activity; a Teams message has about 100."""
MAX_TEXT_CHARS = 28 * 1024
"""Longest string in an activity, the message text included, in characters (Teams: about 28 KB per message)."""
_TOO_LONG = f"A value in the activity is longer than {MAX_TEXT_CHARS} characters, more than Teams allows."
_ERROR_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")

BotLogic = Callable[[TurnContext], Awaitable[None]]


# What ``Activity().deserialize(data)`` builds on every call (a Deserializer over every model class
# of botbuilder.schema, found by walking the module), built once: msrest deserializers keep no
# per-call state, and the SDK's own clients reuse theirs the same way.
_ACTIVITY_DESERIALIZER = ModelDeserializer(Activity._infer_class_models())


class BadActivity(ValueError):
    """The request is not a well-formed activity, or exceeds a bound; the message is short and safe to return."""


class MessagesEndpoint:
    """Handles ``POST /api/messages`` for one adapter and one bot turn handler."""

    def __init__(self, adapter: SwitchboardAdapter, logic: BotLogic, *, authentication_enabled: bool) -> None:
        self._adapter = adapter
        self._logic = logic
        self._authentication_enabled = authentication_enabled

    async def handle(self, request: EdgeRequest) -> EdgeResponse:
        """Answer one HTTP request; never raises."""
        try:
            return await self._handle(request)
        except Exception:
            reference = _reference()
            _log.exception("unexpected error while handling an activity (ref %s)", reference)
            return EdgeResponse.error(
                500, "InternalError", "The bot could not process this activity.", correlationId=reference
            )

    async def _handle(self, request: EdgeRequest) -> EdgeResponse:
        if request.method != "POST":
            return EdgeResponse(
                status=405,
                headers={"Allow": "POST", "Content-Type": "application/json; charset=utf-8"},
                body=b'{"error":{"code":"MethodNotAllowed","message":"Use POST."}}',
            )
        if _media_type(request.header("content-type")) != "application/json":
            return EdgeResponse.error(415, "UnsupportedMediaType", "The body must be application/json.")
        declared = request.header("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return EdgeResponse.error(400, "BadRequest", "Content-Length is not a number.")
            if int(declared) > MAX_BODY_BYTES:
                return _too_large()
        if len(request.body) > MAX_BODY_BYTES:
            return _too_large()
        try:
            activity = parse_activity(request.body)
        except BadActivity as bad:
            return EdgeResponse.error(400, "BadRequest", str(bad))

        auth_header = (request.header("authorization") or "") if self._authentication_enabled else ""
        try:
            auth_result = await self._adapter.authentication.authenticate_request(activity, auth_header)
        except Exception as error:
            _log_refused(error)
            return EdgeResponse(
                status=401,
                headers={"WWW-Authenticate": "Bearer", "Content-Type": "application/json; charset=utf-8"},
                body=b'{"error":{"code":"Unauthorized","message":"The request is not authenticated."}}',
            )

        invoke_response = await self._adapter.process_activity(auth_result, activity, self._logic)
        return invoke_response_to_edge(invoke_response)


def _too_large() -> EdgeResponse:
    return EdgeResponse.error(413, "PayloadTooLarge", f"The body must be at most {MAX_BODY_BYTES} bytes.")


def parse_activity(body: bytes) -> Activity:
    """Parse and check an activity (bounds first, then the required fields, then msrest's model).

    Raises :class:`BadActivity` with a short, safe reason.
    """
    if not body or not body.strip():
        raise BadActivity("The body is empty.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadActivity("The body is not valid JSON.") from None
    except RecursionError:  # the standard parser recurses once per level
        raise BadActivity(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    if not isinstance(data, dict):
        raise BadActivity("The body is not an activity (expected a JSON object).")
    text = data.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
        raise BadActivity(
            f"The message text is longer than {MAX_TEXT_CHARS} characters, more than Teams allows in one message."
        )
    _check_bounds(data)
    problems = [name for name, ok in _required_fields(data) if not ok]
    if problems:
        raise BadActivity(f"The activity lacks: {', '.join(problems)}.")
    try:
        activity = _ACTIVITY_DESERIALIZER("Activity", data)
    except Exception:
        raise BadActivity("The body is not a valid activity.") from None
    if not activity.type:
        raise BadActivity("The activity lacks: type.")
    return activity


def _check_bounds(data: dict[str, Any]) -> None:
    """Refuse JSON deeper than MAX_JSON_DEPTH, with more than MAX_JSON_VALUES values, or an overlong string.

    Level by level and without recursion; the value count is checked before a level's children are
    looked at, so the work is bounded by the limits, not by the body. Keys count as strings.
    """
    count = 1
    level: list[dict[str, Any] | list[Any]] = [data]
    depth = 1
    while level:
        below: list[dict[str, Any] | list[Any]] = []
        for container in level:
            count += len(container)
            if count > MAX_JSON_VALUES:
                raise BadActivity(f"The activity holds more than {MAX_JSON_VALUES} JSON values.")
            if isinstance(container, dict):
                if any(len(key) > MAX_TEXT_CHARS for key in container):
                    raise BadActivity(_TOO_LONG)
                children: Iterable[Any] = container.values()
            else:
                children = container
            for child in children:
                if isinstance(child, dict | list):
                    below.append(child)
                elif isinstance(child, str) and len(child) > MAX_TEXT_CHARS:
                    raise BadActivity(_TOO_LONG)
        if below and depth >= MAX_JSON_DEPTH:
            raise BadActivity(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
        depth += 1
        level = below


def _required_fields(data: dict[str, Any]) -> list[tuple[str, bool]]:
    def has_id(key: str) -> bool:
        value = data.get(key)
        return isinstance(value, dict) and isinstance(value.get("id"), str) and bool(value["id"])

    service_url = data.get("serviceUrl")
    return [
        ("type", isinstance(data.get("type"), str) and bool(data["type"])),
        ("channelId", isinstance(data.get("channelId"), str) and bool(data["channelId"])),
        ("serviceUrl", isinstance(service_url, str) and service_url.lower().startswith(("https://", "http://"))),
        ("conversation.id", has_id("conversation")),
        ("from.id", has_id("from")),
        ("recipient.id", has_id("recipient")),
    ]


def invoke_response_to_edge(invoke_response: InvokeResponse | None) -> EdgeResponse:
    """Map the adapter's result: nothing -> 200 empty; an InvokeResponse -> its status and JSON body.

    An error status without a body (the SDK answers 501 to an invoke the bot does not handle)
    gets the edge's short JSON error body, like every other error answer.
    """
    if invoke_response is None:
        return EdgeResponse.empty(200)
    status = int(invoke_response.status or 200)
    if invoke_response.body is None:
        if status >= 400:
            phrase = _phrase(status)
            return EdgeResponse.error(status, phrase.replace(" ", ""), f"{phrase}: Switchboard does not handle this.")
        return EdgeResponse.empty(status)
    return EdgeResponse.json(status, invoke_body_to_json(invoke_response.body, status))


def invoke_body_to_json(body: Any, status: int = 200) -> Any:
    """Turn an invoke body (dicts, lists, msrest models) into plain JSON values, exactly once.

    The SDK's own error bodies hold an ``Exception`` in ``value``: it becomes
    ``{"code", "message"}`` with the status phrase as message, never the exception's text.
    Raises :class:`TypeError` for anything that is not JSON data.
    """
    if body is None or isinstance(body, bool | int | float | str):
        return body
    if isinstance(body, Enum):
        return body.value
    if isinstance(body, BaseException):
        return _error_value(body, status)
    if isinstance(body, dict):
        return {str(key): invoke_body_to_json(value, status) for key, value in body.items()}
    if isinstance(body, list | tuple):
        return [invoke_body_to_json(value, status) for value in body]
    if isinstance(body, Model):
        model = copy.copy(body)
        for name, value in vars(model).items():
            if isinstance(value, BaseException):
                setattr(model, name, _error_value(value, status))
        return invoke_body_to_json(model.serialize(), status)
    raise TypeError(f"cannot serialize an invoke body of type {type(body).__name__}")


def _error_value(error: BaseException, status: int) -> dict[str, str]:
    code = error.args[0] if error.args and isinstance(error.args[0], str) else ""
    phrase = _phrase(status)
    return {"code": code if _ERROR_CODE.match(code) else phrase.replace(" ", ""), "message": phrase}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _log_refused(error: BaseException) -> None:
    if isinstance(error, requests.exceptions.ConnectionError | requests.exceptions.Timeout | TimeoutError):
        _log.error("request refused (401): the signing keys could not be fetched (%s)", type(error).__name__)
    else:
        _log.warning("request refused (401): authentication failed (%s: %s)", type(error).__name__, _short(error))


def _short(error: BaseException) -> str:
    text = str(error).replace("\n", " ")
    return text[:160]


def _reference() -> str:
    try:
        return current_correlation_id() or uuid.uuid4().hex
    except Exception:  # telemetry must never turn an error answer into a crash
        return uuid.uuid4().hex
