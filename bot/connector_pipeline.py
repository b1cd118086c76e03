"""Bot Connector calls on the event loop: an aiohttp pipeline for the cached ``ConnectorClient`` s.

The SDK's ``ConnectorClient`` sends through msrest's requests sender: every reply runs
``requests`` in a worker thread. Besides the thread hop itself, the event loop then competes
with that thread for the GIL on every socket call it makes (a convoy: a loopback ``send`` took
~0.4 ms instead of ~0.02 ms in the dev host under load). :func:`use_aiohttp` gives a client
the pipeline msrest builds — user agent, credentials, raw deserializer, HTTP logger — over
one shared ``aiohttp.ClientSession`` instead; the SDK allows custom senders for this
(``BotFrameworkConnectorConfiguration(sender=...)``).

Behaviour kept from the requests sender (msrest's ``ClientRetryPolicy`` as urllib3 2 applies it):

- ``Authorization: Bearer <token>`` from the client's credentials (``signed_session``, as msrest's
  ``AsyncRequestsCredentialsPolicy`` does; anonymous credentials add nothing);
- failed connections are retried up to 3 times for any method; answers 408 and 5xx (but 501
  and 505) are retried up to 3 times for idempotent methods only (never a POST: a reply is
  not sent twice); backoff ``0.8 s * 2**(n-1)`` from the second retry (0, 1.6, 3.2 s), or the
  answer's ``Retry-After`` for 503;
- the client's connection timeout (``config.connection.timeout``, 100 s) for connecting and
  for each read; a request that cannot be sent raises msrest's ``ClientRequestError``;
- proxies from the environment only when some are configured (``trust_env``).

What real connectors answer, handled so that the shape of a successful answer never fails a turn:

- ``200``/``201`` with a JSON body (Bot Service), ``202`` with no body (the Agents Playground),
  ``204 No Content`` (msrest's generated operations accept only 200/201/202: a 204 is presented
  to them as a 200 without body), a body without a content type (read as JSON), and a success
  body that is not JSON (ignored): an activity call then returns ``None`` instead of a
  ``ResourceResponse`` and botbuilder falls back to the activity's own id;
- ``429 Too Many Requests`` is retried for every method, POST included (the message was not
  accepted), after ``Retry-After`` (seconds or an HTTP date) or, without one, 0.8, 1.6, 3.2 s;
- a ``Retry-After`` longer than :attr:`RetrySettings.max_retry_after` (5 s), or a retry that
  would take the call's total waiting past :attr:`RetrySettings.max_total_wait` (8 s), is not
  waited for: a Teams turn has about 10-15 s;
- every final status of 400 or more raises a typed :class:`~bot.connector_errors.ConnectorError`
  (``BotNotInConversation``, ``ConversationNotFound``, ``ConnectorThrottled`` ...) carrying the
  Teams error code, logged once at WARNING with a correlation id (never a token or the body).

Calls made inside :func:`answers_not_retried` (the proactive notifier, :mod:`bot.notifier`, which
has no turn deadline and retries with its own backoff) get no retries of error answers here: the
first error answer raises its typed error at once. Failed connections are still retried.

The client's msrest ``Serializer`` (shared by its operation groups) is replaced by a
:class:`~bot.model_serializer.ModelSerializer`: the same JSON and validation, about half the
CPU per reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import requests
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

from bot.connector_errors import ConnectorError, connector_error
from bot.model_serializer import ModelSerializer
from storage import http_env_settings_present
from telemetry import current_correlation_id

__all__ = ["ConnectorSession", "RetrySettings", "answers_not_retried", "retry_after_seconds", "use_aiohttp"]

_log = logging.getLogger("switchboard.connector")

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_NOT_RETRIED_5XX = frozenset({501, 505})
_RETRY_ANSWERS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "switchboard_connector_retry_answers", default=True
)


@contextlib.contextmanager
def answers_not_retried() -> Iterator[None]:
    """Within this block (this task and the tasks it starts), connector error answers are not retried.

    For callers with their own retry policy (the proactive notifier): a 429, 412 or 5xx raises its
    :class:`~bot.connector_errors.ConnectorError` at once, with the answer's ``retry_after``.
    """
    token = _RETRY_ANSWERS.set(False)
    try:
        yield
    finally:
        _RETRY_ANSWERS.reset(token)


class RetrySettings:
    """How often and how patiently a connector call is retried.

    ``retries``: retries after the first try (msrest's 3). ``backoff_factor`` and ``max_backoff``
    (seconds): msrest's backoff. ``max_retry_after`` (seconds): the longest ``Retry-After`` waited
    for; ``max_total_wait`` (seconds): the most one call sleeps across its retries. Both keep a
    call inside a Teams turn (about 10-15 s); beyond them the call fails with its typed error.
    """

    def __init__(
        self,
        retries: int = 3,
        backoff_factor: float = 0.8,
        max_backoff: float = 90.0,
        max_retry_after: float = 5.0,
        max_total_wait: float = 8.0,
    ) -> None:
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_total_wait = max_total_wait

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1-based): none before the first, then doubling."""
        if attempt <= 1:
            return 0.0
        return float(min(self.max_backoff, self.backoff_factor * (2 ** (attempt - 1))))

    def throttled_backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` of a 429 without ``Retry-After``: 0.8, 1.6, 3.2 s ..."""
        return float(min(self.max_backoff, self.backoff_factor * (2 ** (attempt - 1))))

    def delay(self, method: str, status: int, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait before retry number ``attempt`` of an answer ``status``; ``None``: do not retry.

        ``retry_after`` is the answer's ``Retry-After`` in seconds (honoured for 429 and 503).
        """
        if attempt > self.retries:
            return None
        if status == 429:
            if retry_after is None:
                return self.throttled_backoff(attempt)
        elif not _retry_status(method, status):
            return None
        elif status != 503 or retry_after is None:
            return self.backoff(attempt)
        return retry_after if retry_after <= self.max_retry_after else None


class ConnectorSession:
    """One ``aiohttp.ClientSession`` for every connector client of a process, opened on first use."""

    def __init__(self, retry: RetrySettings | None = None) -> None:
        self.retry = retry or RetrySettings()
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(trust_env=http_env_settings_present())
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _CredentialsPolicy(AsyncHTTPPolicy):
    """Sets the headers the credentials put on a session (``Authorization``) on each request."""

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials
        self._carrier = requests.Session()  # what msrest hands to signed_session; only its headers are read

    async def send(self, request: Request, **kwargs: Any) -> Response:
        self._carrier.headers.pop("Authorization", None)
        self._credentials.signed_session(self._carrier)
        authorization = self._carrier.headers.get("Authorization")
        if authorization:
            request.http_request.headers["Authorization"] = authorization
        return await self.next.send(request, **kwargs)


class _AiohttpSender(AsyncHTTPSender):
    """Sends msrest requests with the shared session, with the requests sender's retries and timeouts."""

    def __init__(self, session: ConnectorSession, timeout: float, deserialize: Any) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._deserialize = deserialize

    async def __aenter__(self) -> _AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the session belongs to ConnectorSession

    async def send(self, request: Request, **config: Any) -> Response:
        http = request.http_request
        if http.files:
            raise ClientRequestError("multipart uploads are not supported by the Switchboard connector sender")
        retry = self._session.retry
        method = str(http.method).upper()
        attempt = 0
        waited = 0.0
        while True:
            try:
                answer = await self._session.get().request(
                    method, http.url, headers=dict(http.headers), data=http.data, timeout=self._timeout
                )
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:  # nothing was sent
                if attempt < retry.retries:
                    attempt += 1
                    _log.debug("connector call could not connect (%s); retry %d", type(error).__name__, attempt)
                    await asyncio.sleep(retry.backoff(attempt))
                    continue
                raise ClientRequestError(f"Error occurred in request. {type(error).__name__}") from error
            except (aiohttp.ClientError, TimeoutError) as error:
                raise ClientRequestError(f"Error occurred in request. {type(error).__name__}") from error
            retry_after = retry_after_seconds(answer.headers.get("Retry-After"))
            if answer.status < 400:
                break
            delay = retry.delay(method, answer.status, retry_after, attempt + 1) if _RETRY_ANSWERS.get() else None
            if delay is None or waited + delay > retry.max_total_wait:
                break
            attempt += 1
            waited += delay
            answer.release()
            _log.debug("connector answered %d to %s; retry %d in %.1f s", answer.status, method, attempt, delay)
            await asyncio.sleep(delay)
        response = _LoadedResponse(http, answer)
        if answer.status >= 400:
            await response.load_body()
            raise self._error(response, method, retry_after)
        if not config.get("stream", False):
            await response.load_body()
        return Response(request, response)

    def _error(self, response: _LoadedResponse, method: str, retry_after: float | None) -> ConnectorError:
        reference = _reference()
        error = connector_error(
            self._deserialize, response, method=method, correlation_id=reference, retry_after=retry_after
        )
        _log.warning(
            "connector call %s %s answered %d%s (%s; ref %s)",
            method,
            _operation(response.request.url),
            error.status,
            f" {error.code}" if error.code else "",
            type(error).__name__,
            reference,
        )
        return error


class _LoadedResponse(AioHttpClientResponse):
    """msrest's aiohttp response, with the answer shapes real connectors give made readable.

    - msrest's ``body()`` raises "Body is not available" for ``b""`` as well as for a body never
      loaded, so a connector's ``202 Accepted`` with no content failed the whole turn: a loaded
      empty body is an empty body here;
    - ``204 No Content`` reads as ``200`` without a body (the generated operations accept only
      200/201/202); :attr:`answered_status` keeps the status the connector sent;
    - a body that is not JSON is dropped (a success then has no ``ResourceResponse``, an error
      no ``ErrorResponse``), and a JSON body without a JSON content type is declared JSON, so
      msrest's deserializer never fails on the shape of an answer.
    """

    def __init__(self, request: Any, aiohttp_response: aiohttp.ClientResponse) -> None:
        super().__init__(request, aiohttp_response)
        self._loaded = False
        self.answered_status = aiohttp_response.status
        if self.status_code == 204:
            self.status_code = 200

    async def load_body(self) -> None:
        await super().load_body()
        self._loaded = True
        body = self._body or b""
        if not body.strip():
            self._body = b""
            return
        try:
            json.loads(body)
        except ValueError:  # UnicodeDecodeError included
            _log.debug("connector answer %d had a body that is not JSON; ignored", self.answered_status)
            self._body = b""
            return
        if _media_type(self.headers.get("Content-Type")) != "application/json":
            self.headers["Content-Type"] = "application/json; charset=utf-8"

    def body(self) -> bytes:
        if self._loaded:
            return self._body or b""
        return super().body()


def _retry_status(method: str, status: int) -> bool:
    if method not in _IDEMPOTENT:
        return False
    return status == 408 or (status >= 500 and status not in _NOT_RETRIED_5XX)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header value asks to wait: delay-seconds or an HTTP date.

    A date in the past gives ``0.0``; a missing or malformed value gives ``None``. ``now``
    (timezone-aware) is the clock for dates, default the current UTC time.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _operation(url: str) -> str:
    """The path of a connector URL (no host, no query): what the log says was called."""
    return urlsplit(url).path or "/"


def _reference() -> str:
    try:
        return current_correlation_id() or uuid.uuid4().hex
    except Exception:  # telemetry must never turn an error answer into a crash
        return uuid.uuid4().hex


def use_aiohttp(client: Any, session: ConnectorSession) -> None:
    """Replace ``client``'s pipeline (a botframework ``ConnectorClient``) by the aiohttp one over ``session``."""
    config = client.config
    policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
    credentials = config.credentials
    if isinstance(credentials, AsyncHTTPPolicy | SansIOHTTPPolicy):
        policies.insert(1, credentials)
    elif credentials:
        policies.insert(1, _CredentialsPolicy(credentials))
    config.pipeline = AsyncPipeline(
        policies, _AiohttpSender(session, float(config.connection.timeout), client._deserialize)
    )
    _use_model_serializer(client)


def _use_model_serializer(client: Any) -> None:
    """Give ``client`` and its operation groups (which share its serializer) a :class:`ModelSerializer`."""
    current = getattr(client, "_serialize", None)
    if current is None or isinstance(current, ModelSerializer):
        return
    serializer = ModelSerializer(current.dependencies)
    serializer.client_side_validation = current.client_side_validation
    serializer.key_transformer = current.key_transformer
    client._serialize = serializer
    for group in vars(client).values():
        if getattr(group, "_serialize", None) is current:
            group._serialize = serializer
