"""Logging filters: the turn's ids on every record, and no secrets or message text in any record.

Both filters mutate the record and always let it through. They are installed on handlers (a filter
on a logger would miss records from its child loggers), context first, then redaction.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from functools import lru_cache

from telemetry._redact import TEXT_OMITTED, redact, scrub_message_text
from telemetry._turn import log_context, turn_texts

__all__ = ["TEXT_FIELDS", "ContextFilter", "RedactionFilter", "debug_text"]

# Record attributes (``extra=``) that hold message text; above DEBUG their values are dropped.
TEXT_FIELDS = frozenset({"text", "message_text", "activity_text", "body", "speak"})

_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_MAX_CHAIN = 8
_DEBUG_TEXT_LIMIT = 2000


class ContextFilter(logging.Filter):
    """Copies the active turn's fields (:func:`telemetry.log_context`) onto each record as attributes.

    Attributes become custom dimensions in Application Insights and ``key=value`` suffixes on the console.
    A field the record already carries (``extra=``) is kept. Outside a turn nothing is added.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_context().items():
            record.__dict__.setdefault(key, value)
        return True


class RedactionFilter(logging.Filter):
    """Removes secrets from the message, its args, the exception and extra attributes, at every level.

    Above DEBUG it also removes message text: attributes named in :data:`TEXT_FIELDS`, ``text=``/``'text':``
    fields of logged objects, and the active turn's message text wherever it appears. The message is
    formatted once (``msg % args``) and stored back with ``args`` cleared.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        above_debug = record.levelno > logging.DEBUG
        texts = turn_texts() if above_debug else ()

        def clean(value: str) -> str:
            value = redact(value)
            return scrub_message_text(value, texts) if above_debug else value

        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what can be shown
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = clean(message), None
        if record.exc_info and record.exc_info[1] is not None:
            _clean_exception(record, clean)
        elif record.exc_text:
            record.exc_text = clean(record.exc_text)
        if record.stack_info:
            record.stack_info = clean(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD_ATTRIBUTES or value is None or isinstance(value, bool | int | float):
                continue
            if above_debug and key in TEXT_FIELDS:
                record.__dict__[key] = TEXT_OMITTED
            else:
                record.__dict__[key] = clean(value if isinstance(value, str) else repr(value))
        return True


def debug_text(logger: logging.Logger, label: str, text: str | None) -> None:
    """Log user-provided text (a message body, card input) at DEBUG only, quoted and truncated.

    This is the one sanctioned way to log message text; the redaction filter removes it above DEBUG.
    """
    if text is None or not logger.isEnabledFor(logging.DEBUG):
        return
    shown = text if len(text) <= _DEBUG_TEXT_LIMIT else text[:_DEBUG_TEXT_LIMIT] + "..."
    logger.debug("%s: %r", label, shown, stacklevel=2)


def _clean_exception(record: logging.LogRecord, clean: Callable[[str], str]) -> None:
    """Redact the formatted traceback and, if it held secrets, swap in a redacted twin exception.

    ``logging.Formatter`` prints ``exc_text``; OpenTelemetry's handler reads ``exc_info`` itself
    (``str(exc.args[0])`` and the formatted traceback), so the exception object is replaced too.
    """
    assert record.exc_info is not None
    exc_type, exc, tb = record.exc_info
    assert exc is not None
    text = "".join(traceback.format_exception(exc_type, exc, tb)).rstrip("\n")
    cleaned = clean(text)
    record.exc_text = cleaned
    if cleaned != text:
        record.exc_info = (exc_type, _twin(exc, clean, set()), tb)


def _twin(exc: BaseException, clean: Callable[[str], str], seen: set[int]) -> BaseException:
    """An exception that prints like ``exc`` (same type name and traceback) with a cleaned message."""
    seen.add(id(exc))
    twin = _twin_class(type(exc))(clean(str(exc)))
    twin.__traceback__ = exc.__traceback__
    if len(seen) < _MAX_CHAIN:
        if exc.__cause__ is not None and id(exc.__cause__) not in seen:
            twin.__cause__ = _twin(exc.__cause__, clean, seen)
        if exc.__context__ is not None and id(exc.__context__) not in seen:
            twin.__context__ = _twin(exc.__context__, clean, seen)
    twin.__suppress_context__ = exc.__suppress_context__
    return twin


@lru_cache(maxsize=256)
def _twin_class(exc_type: type[BaseException]) -> type[Exception]:
    return type(
        exc_type.__name__,
        (Exception,),
        {"__module__": exc_type.__module__, "__qualname__": exc_type.__qualname__},
    )
