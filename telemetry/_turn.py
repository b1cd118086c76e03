"""One bot turn: correlation id, the turn's ids in a contextvar, and one OpenTelemetry span.

The ids live in a :class:`~contextvars.ContextVar`, so each asyncio task (and therefore each of
several concurrent turns on one event loop) sees only its own turn, and leaving a turn restores
whatever was active before it.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from telemetry._redact import redact

if TYPE_CHECKING:
    from botbuilder.schema import Activity
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "ACTIVITY_ID",
    "CHANNEL_ID",
    "CONTEXT_FIELDS",
    "CONVERSATION_ID",
    "CORRELATION_ID",
    "TENANT_ID",
    "USER_OBJECT_ID",
    "current_correlation_id",
    "log_context",
    "turn_scope",
]

CORRELATION_ID = "correlation_id"
CONVERSATION_ID = "conversation_id"
ACTIVITY_ID = "activity_id"
USER_OBJECT_ID = "user_object_id"  # the user's Entra (AAD) object id
CHANNEL_ID = "channel_id"
TENANT_ID = "tenant_id"
CONTEXT_FIELDS = (CORRELATION_ID, CONVERSATION_ID, ACTIVITY_ID, USER_OBJECT_ID, CHANNEL_ID, TENANT_ID)

_TRACER_NAME = "switchboard"
_MAX_ID_LENGTH = 256
_MIN_SCRUBBED_TEXT = 8  # shorter texts ("help") would scrub ordinary words out of log lines
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Cannot cross a "<": linear in the text (".*?" up to "</at>" was quadratic: a second for 28 KB of "<at>").
_MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class _Turn:
    fields: Mapping[str, str]
    texts: tuple[str, ...]  # the user's message text, kept only to scrub it from records above DEBUG


_TURN: ContextVar[_Turn | None] = ContextVar("switchboard_turn", default=None)


def new_correlation_id() -> str:
    """A fresh correlation id: 12 lowercase hex characters, short enough to read out to support."""
    return os.urandom(6).hex()


def current_correlation_id() -> str:
    """The active turn's correlation id; outside a turn, a new id on every call (keep the one you got)."""
    turn = _TURN.get()
    return turn.fields[CORRELATION_ID] if turn is not None else new_correlation_id()


def log_context() -> Mapping[str, str]:
    """The active turn's fields (read-only); empty outside a turn. Only fields the activity carries appear."""
    turn = _TURN.get()
    return turn.fields if turn is not None else _EMPTY


def turn_texts() -> tuple[str, ...]:
    """The active turn's message text variants (for scrubbing); empty outside a turn."""
    turn = _TURN.get()
    return turn.texts if turn is not None else ()


@contextmanager
def turn_scope(activity: Activity) -> Iterator[str]:
    """Run one bot turn inside its own telemetry context; yields the turn's correlation id.

    Sets the turn's ids for :func:`log_context` (and so for every log record of the turn) and opens
    one span ``bot.turn <activity type>`` carrying those ids as attributes, never the message text.
    An exception escaping the turn is recorded on the span (redacted) and re-raised. On exit the
    previous context, if any, is restored.
    """
    correlation_id = new_correlation_id()
    fields = MappingProxyType(_fields(activity, correlation_id))
    activity_type = _clean(getattr(activity, "type", None) or "unknown")[:64]
    reset_token = _TURN.set(_Turn(fields, _texts(activity)))
    try:
        trace = _trace_api()
        with _tracer().start_as_current_span(
            f"bot.turn {activity_type}",
            kind=trace.SpanKind.SERVER,
            attributes={**fields, "activity_type": activity_type},
            record_exception=False,  # recorded below, redacted
            set_status_on_exception=False,
        ) as span:
            try:
                yield correlation_id
            except Exception as exc:
                _record_failure(span, exc)
                raise
    finally:
        _TURN.reset(reset_token)


def _fields(activity: Activity, correlation_id: str) -> dict[str, str]:
    conversation = getattr(activity, "conversation", None)
    sender = getattr(activity, "from_property", None)
    values: dict[str, Any] = {
        CORRELATION_ID: correlation_id,
        CONVERSATION_ID: getattr(conversation, "id", None),
        ACTIVITY_ID: getattr(activity, "id", None),
        USER_OBJECT_ID: getattr(sender, "aad_object_id", None),
        CHANNEL_ID: getattr(activity, "channel_id", None),
        TENANT_ID: _tenant_id(activity),
    }
    return {key: _clean(value) for key, value in values.items() if value}


def _tenant_id(activity: Activity) -> str | None:
    tenant = getattr(getattr(activity, "conversation", None), "tenant_id", None)
    if tenant:
        return str(tenant)
    channel_data = getattr(activity, "channel_data", None)
    tenant_data = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    found = tenant_data.get("id") if isinstance(tenant_data, dict) else None
    return str(found) if found else None


def _texts(activity: Activity) -> tuple[str, ...]:
    text = getattr(activity, "text", None)
    if not isinstance(text, str):
        return ()
    variants = {text.strip(), _MENTION.sub("", text).strip()}
    return tuple(sorted((v for v in variants if len(v) >= _MIN_SCRUBBED_TEXT), key=len, reverse=True))


def _clean(value: object) -> str:
    """An id as a single printable line of bounded length (ids come from the channel)."""
    return _CONTROL.sub("", str(value))[:_MAX_ID_LENGTH]


def _record_failure(span: Span, exc: Exception) -> None:
    trace = _trace_api()
    span.record_exception(
        exc,
        attributes={
            "exception.message": redact(str(exc)),
            "exception.stacktrace": redact("".join(traceback.format_exception(exc))),
        },
    )
    span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))


@cache
def _trace_api() -> Any:
    """``opentelemetry.trace``, imported on the first turn rather than at import (it costs ~30 ms)."""
    from opentelemetry import trace

    return trace


@cache
def _tracer() -> Tracer:
    # Before a tracer provider is set this is a proxy that follows the provider set later.
    tracer: Tracer = _trace_api().get_tracer(_TRACER_NAME)
    return tracer
