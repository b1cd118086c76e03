"""Typed errors for Bot Connector answers that are not a success.

Every connector call that ends with an HTTP status of 400 or more (after the retries of
:mod:`bot.connector_pipeline`) raises a :class:`ConnectorError`. The class says what happened in
the product's terms, so a caller can handle the cases it cares about::

    try:
        await turn_context.update_activity(card)
    except ConversationNotFound:
        ...  # the chat is gone: forget its conversation reference
    except ConnectorThrottled as throttled:
        ...  # try again after throttled.retry_after seconds

- :class:`BotNotInConversation`: 403 ``BotNotInConversationRoster`` (the app is not installed there);
- :class:`ConversationBlocked`: 403 ``ConversationBlockedByUser`` or ``BotDisabledByAdmin``;
- :class:`ConversationNotFound`: 404 (usually ``ConversationNotFound``);
- :class:`MessageTooLarge`: 413 (usually ``MessageSizeTooBig``);
- :class:`ConnectorThrottled`: 429 (``Throttled``) after the retries a turn can afford;
- :class:`ConnectorError` itself: any other status of 400 or more, other 403 codes included.

The Teams error code is read from the body's ``error.code`` when there is one.

``ConnectorError`` derives from the SDK's ``ErrorResponseException``, so botbuilder code that
catches that (e.g. ``TeamsActivityHandler``) keeps working.
"""

from __future__ import annotations

from typing import Any

from botframework.connector.models import ErrorResponseException

__all__ = [
    "BotNotInConversation",
    "ConnectorError",
    "ConnectorThrottled",
    "ConversationBlocked",
    "ConversationNotFound",
    "MessageTooLarge",
    "connector_error",
]

BOT_NOT_IN_CONVERSATION_CODES = frozenset({"BotNotInConversationRoster"})
BLOCKED_CODES = frozenset({"ConversationBlockedByUser", "BotDisabledByAdmin"})


class ConnectorError(ErrorResponseException):
    """The Bot Connector answered a call with an error status.

    Attributes: ``status`` (HTTP status), ``code`` (the Teams error code from the body's
    ``error.code``, or ``None``), ``retry_after`` (seconds the connector asked to wait, or
    ``None``), ``method`` (HTTP method), ``correlation_id`` (the id the log line carries).
    ``str()`` gives the status and code only, never the request or a token.
    """

    def __init__(
        self,
        deserialize: Any,
        response: Any,
        *,
        method: str,
        correlation_id: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(deserialize, response)
        self.status: int = int(response.status_code)
        self.code: str | None = error_code(self.error)
        self.retry_after = retry_after
        self.method = method
        self.correlation_id = correlation_id
        self.message = f"the Bot Connector answered {self.status}" + (f" {self.code}" if self.code else "")

    def __str__(self) -> str:
        return self.message


class BotNotInConversation(ConnectorError):
    """403 ``BotNotInConversationRoster``: the app is not installed for that user, chat or team."""


class ConversationBlocked(ConnectorError):
    """403 ``ConversationBlockedByUser`` or ``BotDisabledByAdmin``: messages to it are refused."""


class ConversationNotFound(ConnectorError):
    """404: the conversation (or the activity to update) does not exist."""


class MessageTooLarge(ConnectorError):
    """413: the activity is larger than the channel accepts (``MessageSizeTooBig``)."""


class ConnectorThrottled(ConnectorError):
    """429 after the retries a turn can afford; ``retry_after`` says when to try again, if known."""


def error_code(error: Any) -> str | None:
    """The ``error.code`` of a deserialized ``ErrorResponse`` (``None`` when absent or not a string)."""
    code = getattr(getattr(error, "error", None), "code", None)
    return code if isinstance(code, str) and code else None


def connector_error(
    deserialize: Any,
    response: Any,
    *,
    method: str,
    correlation_id: str,
    retry_after: float | None = None,
) -> ConnectorError:
    """The :class:`ConnectorError` subclass for ``response`` (an msrest response with its body loaded)."""
    kind = _kind(int(response.status_code), _body_code(deserialize, response))
    return kind(deserialize, response, method=method, correlation_id=correlation_id, retry_after=retry_after)


def _body_code(deserialize: Any, response: Any) -> str | None:
    try:
        return error_code(deserialize("ErrorResponse", response))
    except Exception:  # not an ErrorResponse body: no code
        return None


def _kind(status: int, code: str | None) -> type[ConnectorError]:
    if status == 403:
        if code in BOT_NOT_IN_CONVERSATION_CODES:
            return BotNotInConversation
        if code in BLOCKED_CODES:
            return ConversationBlocked
        return ConnectorError
    return {404: ConversationNotFound, 413: MessageTooLarge, 429: ConnectorThrottled}.get(status, ConnectorError)
