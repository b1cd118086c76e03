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

The client's msrest ``Serializer`` (shared by its operation groups) is replaced by a
:class:`~bot.model_serializer.ModelSerializer`: the same JSON and validation, about half the
CPU per reply.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import requests
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse

from bot.model_serializer import ModelSerializer
from storage import http_env_settings_present

__all__ = ["ConnectorSession", "RetrySettings", "use_aiohttp"]

_log = logging.getLogger(__name__)

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_NOT_RETRIED_5XX = frozenset({501, 505})


class RetrySettings:
    """How often and how patiently a connector call is retried (defaults: msrest's)."""

    def __init__(self, retries: int = 3, backoff_factor: float = 0.8, max_backoff: float = 90.0) -> None:
        self.retries = retries
        self.backoff_factor = backoff_factor
        self.max_backoff = max_backoff

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (1-based): none before the first, then doubling."""
        if attempt <= 1:
            return 0.0
        return float(min(self.max_backoff, self.backoff_factor * (2 ** (attempt - 1))))


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

    def __init__(self, session: ConnectorSession, timeout: float) -> None:
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)

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
            if _retry_status(method, answer.status) and attempt < retry.retries:
                attempt += 1
                delay = _retry_after(answer) if answer.status == 503 else None
                answer.release()
                await asyncio.sleep(delay if delay is not None else retry.backoff(attempt))
                continue
            response = _LoadedResponse(http, answer)
            if not config.get("stream", False):
                await response.load_body()
            return Response(request, response)


class _LoadedResponse(AioHttpClientResponse):
    """msrest's aiohttp response, except that a loaded empty body is an empty body.

    msrest's ``body()`` raises "Body is not available" for ``b""`` as well as for a body never
    loaded, so a connector's ``202 Accepted`` with no content failed the whole turn.
    """

    def __init__(self, request: Any, aiohttp_response: aiohttp.ClientResponse) -> None:
        super().__init__(request, aiohttp_response)
        self._loaded = False

    async def load_body(self) -> None:
        await super().load_body()
        self._loaded = True

    def body(self) -> bytes:
        if self._loaded:
            return self._body or b""
        return super().body()


def _retry_status(method: str, status: int) -> bool:
    if method not in _IDEMPOTENT:
        return False
    return status == 408 or (status >= 500 and status not in _NOT_RETRIED_5XX)


def _retry_after(answer: aiohttp.ClientResponse) -> float | None:
    value = answer.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def use_aiohttp(client: Any, session: ConnectorSession) -> None:
    """Replace ``client``'s pipeline (a botframework ``ConnectorClient``) by the aiohttp one over ``session``."""
    config = client.config
    policies: list[Any] = [config.user_agent_policy, RawDeserializer(), config.http_logger_policy]
    credentials = config.credentials
    if isinstance(credentials, AsyncHTTPPolicy | SansIOHTTPPolicy):
        policies.insert(1, credentials)
    elif credentials:
        policies.insert(1, _CredentialsPolicy(credentials))
    config.pipeline = AsyncPipeline(policies, _AiohttpSender(session, float(config.connection.timeout)))
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
