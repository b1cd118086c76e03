"""The Bot Framework adapter Switchboard runs on, with connector and token clients reused across turns.

Three fixes over the SDK's stock ``CloudAdapter`` wiring:

- **Clients are reused.** The SDK builds a new ``ConnectorClient`` and ``UserTokenClient``
  on every turn; each builds an msrest configuration and retry policy (milliseconds of
  CPU) and, with real credentials, a new MSAL application with an empty token cache.
  :class:`CachingBotFrameworkAuthentication` wraps the SDK's ``BotFrameworkAuthentication``
  and keeps connector clients keyed by (service URL, audience, app id) and token clients
  keyed by app id, as the C# and JavaScript SDKs do.
- **Connector calls stay on the event loop.** Cached connector clients send through one shared
  aiohttp session (:mod:`bot.connector_pipeline`) instead of ``requests`` in a worker thread.
- **Token checks as strict as the other SDKs.** Before the SDK validates a token,
  :func:`bot.token_checks.check_token` requires ``exp`` and ``aud`` = the app id, and lets a
  ``serviceurl`` claim differ from the activity's ``serviceUrl`` only in letter case or a
  trailing slash (the SDK compares exactly; the C# SDK ignores case).
- **Key fetching stays off the event loop.** The SDK downloads OpenID metadata and signing
  keys with a blocking ``requests.get`` (no timeout) inside ``authenticate_request``.
  Authentication of requests that carry a token runs on a dedicated thread with its own
  event loop (:class:`AuthenticationThread`); the first outgoing access token of a new
  connector client is fetched in a worker thread too.

Build with :func:`build_adapter`; close with :meth:`SwitchboardAdapter.close`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from types import SimpleNamespace
from typing import Any, TypeVar

from botbuilder.core import CloudAdapterBase, TurnContext
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from bot.bot_settings import AppType, BotSettings
from bot.connector_pipeline import ConnectorSession, use_aiohttp
from bot.identity import BotTokenError, ManagedIdentityCredentialsFactory
from bot.token_checks import check_token

__all__ = [
    "AuthenticationThread",
    "CachingBotFrameworkAuthentication",
    "SwitchboardAdapter",
    "build_adapter",
]

_log = logging.getLogger("switchboard.adapter")
_T = TypeVar("_T")

DEFAULT_AUTH_TIMEOUT_SECONDS = 15.0
MAX_CACHED_CONNECTORS = 256


class AuthenticationThread:
    """A daemon thread running its own event loop, for SDK code that blocks (key downloads).

    Started on first use; :meth:`stop` ends it. Coroutines submitted with :meth:`run`
    execute on that loop while the caller's loop keeps serving other requests.
    """

    def __init__(self, name: str = "switchboard-auth") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=self._serve, args=(loop,), name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def run(self, coroutine: Coroutine[Any, Any, _T], limit_seconds: float) -> _T:
        """Run ``coroutine`` on the authentication loop; raise :class:`TimeoutError` after ``limit_seconds``."""
        loop = self._ensure_started()
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), limit_seconds)

    def stop(self) -> None:
        """Stop the loop and join the thread (a key download stuck without timeout is abandoned)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=2)


class _ClientCache:
    """Connector clients keyed by (service URL, audience, app id); token clients keyed by app id."""

    def __init__(self, max_connectors: int = MAX_CACHED_CONNECTORS) -> None:
        self._connectors: OrderedDict[tuple[str, str | None, str | None], ConnectorClient] = OrderedDict()
        self._session = ConnectorSession()
        self._token_clients: dict[str | None, UserTokenClient] = {}
        self._max_connectors = max_connectors
        self._lock = asyncio.Lock()
        self.connectors_created = 0
        self.token_clients_created = 0

    async def connector(
        self, key: tuple[str, str | None, str | None], create: Callable[[], Awaitable[ConnectorClient]]
    ) -> ConnectorClient:
        client = self._connectors.get(key)
        if client is not None:
            self._connectors.move_to_end(key)
            return client
        async with self._lock:
            client = self._connectors.get(key)
            if client is None:
                client = await create()
                use_aiohttp(client, self._session)
                await _prefetch_access_token(client)
                self._connectors[key] = client
                self.connectors_created += 1
                while len(self._connectors) > self._max_connectors:
                    # Dropped, not closed: an in-flight turn may still hold it; its session is collected.
                    self._connectors.popitem(last=False)
            return client

    async def token_client(
        self, app_id: str | None, create: Callable[[], Awaitable[UserTokenClient]]
    ) -> UserTokenClient:
        client = self._token_clients.get(app_id)
        if client is not None:
            return client
        async with self._lock:
            client = self._token_clients.get(app_id)
            if client is None:
                client = await create()
                self._token_clients[app_id] = client
                self.token_clients_created += 1
            return client

    async def close(self) -> None:
        connectors = list(self._connectors.values())
        self._connectors.clear()
        self._token_clients.clear()
        for client in connectors:
            try:
                await client.__aexit__(None, None, None)
            except Exception:  # closing is best effort
                _log.debug("closing a connector client failed", exc_info=True)
        await self._session.close()


async def _prefetch_access_token(client: ConnectorClient) -> None:
    """Fetch the first outgoing access token in a worker thread (MSAL blocks); later calls hit MSAL's cache.

    A token the identity cannot get (:class:`~bot.identity.BotTokenError`) is logged at ERROR with
    what the identity endpoint answered, then raised: nothing can be sent without it.
    """
    credentials = getattr(client.config, "credentials", None)
    if not isinstance(credentials, AppCredentials):
        return
    app_id = credentials.microsoft_app_id
    if not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
        return
    try:
        await asyncio.to_thread(credentials.get_access_token)
    except BotTokenError as error:
        _log.error("no access token for the Bot Connector: %s", error)
        raise


def _app_id(claims_identity: ClaimsIdentity | None) -> str | None:
    """The bot's app id as the SDK derives it: the audience claim, else the appid claim."""
    if claims_identity is None:
        return None
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return app_id


class _CachingConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, app_id: str | None, cache: _ClientCache) -> None:
        self._inner = inner
        self._app_id = app_id
        self._cache = cache

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._cache.connector(
            (service_url, audience, self._app_id), lambda: self._inner.create(service_url, audience)
        )


class CachingBotFrameworkAuthentication(BotFrameworkAuthentication):
    """Wraps the SDK's authentication: clients reused across turns, token checks off the event loop.

    ``anonymous`` (no app id, local runs only) skips the authentication thread: there is
    nothing to download and the SDK answers with an anonymous identity. Otherwise ``app_id``
    is the bot's app id, which every token's ``aud`` must name (:mod:`bot.token_checks`).
    """

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        *,
        anonymous: bool,
        app_id: str = "",
        auth_timeout: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
    ) -> None:
        if not anonymous and not app_id:
            raise ValueError("an app id is required unless authentication is anonymous")
        self._inner = inner
        self._anonymous = anonymous
        self._app_id = app_id
        self._auth_timeout = auth_timeout
        self._cache = _ClientCache()
        self._thread = AuthenticationThread()

    @property
    def connectors_created(self) -> int:
        """How many connector clients were built (for tests and the benchmark)."""
        return self._cache.connectors_created

    @property
    def token_clients_created(self) -> int:
        return self._cache.token_clients_created

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        if self._anonymous:
            result = await self._inner.authenticate_request(activity, "")
        else:
            checked = check_token(auth_header, activity, self._app_id)
            result = await self._thread.run(
                self._inner.authenticate_request(checked, auth_header), self._auth_timeout
            )
        if result.connector_factory is not None:
            result.connector_factory = _CachingConnectorFactory(
                result.connector_factory, _app_id(result.claims_identity), self._cache
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        check_token(auth_header, None, self._app_id)
        return await self._thread.run(
            self._inner.authenticate_streaming_request(auth_header, channel_id_header), self._auth_timeout
        )

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachingConnectorFactory(
            self._inner.create_connector_factory(claims_identity), _app_id(claims_identity), self._cache
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self._cache.token_client(
            _app_id(claims_identity), lambda: self._inner.create_user_token_client(claims_identity)
        )

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        check_token(auth_header, None, self._app_id)
        return await self._thread.run(self._inner.authenticate_channel_request(auth_header), self._auth_timeout)

    async def close(self) -> None:
        """Close cached clients and stop the authentication thread."""
        await self._cache.close()
        self._thread.stop()


class SwitchboardAdapter(CloudAdapterBase):
    """``CloudAdapterBase`` over :class:`CachingBotFrameworkAuthentication`.

    Requests are authenticated by the HTTP edge (:mod:`bot.http_edge`) before
    ``process_activity`` is called with the result, so a bad token never reaches the bot.
    ``on_turn_error`` is a last resort for errors the bot itself did not handle: it logs
    and re-raises so the edge answers 500 with a correlation id.
    """

    def __init__(self, authentication: CachingBotFrameworkAuthentication) -> None:
        super().__init__(authentication)
        self.authentication = authentication
        self.on_turn_error = self._unhandled_turn_error

    @staticmethod
    async def _unhandled_turn_error(context: TurnContext, error: Exception) -> None:
        _log.error("unhandled error in the turn pipeline (%s)", type(error).__name__)
        raise error

    async def close(self) -> None:
        await self.authentication.close()


def _configuration(settings: BotSettings) -> SimpleNamespace:
    """The attribute object ``ConfigurationBotFrameworkAuthentication`` reads with ``getattr``."""
    values: dict[str, Any] = dict(settings.bot_auth_configuration())
    if isinstance(values.get("VALIDATE_AUTHORITY"), str):
        values["VALIDATE_AUTHORITY"] = values["VALIDATE_AUTHORITY"].strip().lower() not in ("false", "0", "no")
    return SimpleNamespace(**values)


def build_adapter(
    settings: BotSettings,
    *,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
    auth_timeout: float = DEFAULT_AUTH_TIMEOUT_SECONDS,
) -> SwitchboardAdapter:
    """The adapter for ``settings``. ``credentials_factory`` replaces how outgoing access tokens are
    obtained; tests point it at their key server. By default they come from the app settings:
    with ``UserAssignedMSI`` from the managed identity whose client id is the app id
    (:class:`~bot.identity.ManagedIdentityCredentialsFactory`), otherwise from Entra with the
    app's secret (the SDK's password credentials; ``SingleTenant`` in the app's tenant)."""
    if (
        credentials_factory is None
        and settings.authentication_enabled
        and settings.app_type is AppType.USER_ASSIGNED_MSI
    ):
        credentials_factory = ManagedIdentityCredentialsFactory(settings.app_id, logger=_log)
    inner = ConfigurationBotFrameworkAuthentication(
        _configuration(settings), credentials_factory=credentials_factory, logger=_log
    )
    authentication = CachingBotFrameworkAuthentication(
        inner, anonymous=not settings.authentication_enabled, app_id=settings.app_id, auth_timeout=auth_timeout
    )
    return SwitchboardAdapter(authentication)
