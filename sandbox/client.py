"""What an Azure SDK client needs to talk to the local ARM sandbox (sandbox mode only).

Importable without the sandbox server: this module imports only ``azure.core`` (which every
Azure SDK client loads anyway) and never aiohttp or a management SDK, so production code in
sandbox mode can use it cheaply.

- :class:`StaticTokenCredential` / :class:`AsyncStaticTokenCredential` hand out one fixed,
  fake bearer token. The sandbox only checks that a bearer token is present.
- :class:`AllowHttpPolicy` lets azure-core send that bearer token over plain HTTP to a
  loopback sandbox (azure-core refuses bearer tokens on non-TLS URLs otherwise). It is a
  per-call policy, so it runs before the authentication policy.
- :func:`client_kwargs` gathers the keyword arguments a management client needs.

Never use any of these against real Azure.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

__all__ = [
    "SANDBOX_TOKEN",
    "AllowHttpPolicy",
    "AsyncStaticTokenCredential",
    "StaticTokenCredential",
    "client_kwargs",
]

SANDBOX_TOKEN = "switchboard-sandbox-token"
"""The fake bearer token the static credentials return."""

_TOKEN_LIFETIME_SECONDS = 3600


def _expires_on() -> int:
    return int(time.time()) + _TOKEN_LIFETIME_SECONDS


class StaticTokenCredential:
    """A synchronous ``TokenCredential`` (and ``SupportsTokenInfo``) returning a fixed fake token."""

    def __init__(self, token: str = SANDBOX_TOKEN) -> None:
        self._token = token

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """Return the fixed token, valid for an hour from now, whatever the scopes."""
        return AccessToken(self._token, _expires_on())

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """Return the fixed token as an ``AccessTokenInfo``."""
        return AccessTokenInfo(self._token, _expires_on())

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> StaticTokenCredential:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        self.close()


class AsyncStaticTokenCredential:
    """An ``AsyncTokenCredential`` (and ``AsyncSupportsTokenInfo``) returning a fixed fake token."""

    def __init__(self, token: str = SANDBOX_TOKEN) -> None:
        self._token = token

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """Return the fixed token, valid for an hour from now, whatever the scopes."""
        return AccessToken(self._token, _expires_on())

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """Return the fixed token as an ``AccessTokenInfo``."""
        return AccessTokenInfo(self._token, _expires_on())

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> AsyncStaticTokenCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()


class AllowHttpPolicy(SansIOHTTPPolicy[Any, Any]):
    """Per-call policy allowing bearer tokens over plain HTTP (sets ``enforce_https`` to False).

    Works in both sync and async pipelines. Pass it in ``per_call_policies`` so it runs
    before the bearer-token policy reads the flag.
    """

    def on_request(self, request: PipelineRequest[Any]) -> None:
        """Mark the request as allowed over plain HTTP."""
        request.context["enforce_https"] = False


def client_kwargs(
    base_url: str,
    *,
    asynchronous: bool = True,
    polling_interval: float = 1.0,
    token: str = SANDBOX_TOKEN,
) -> dict[str, Any]:
    """Keyword arguments for a management client (sync or aio) pointed at a sandbox.

    Use as ``ContainerServiceClient(subscription_id=sub, **client_kwargs(url))``: gives
    ``credential`` (async or sync static credential), ``base_url``, ``per_call_policies``
    with :class:`AllowHttpPolicy`, and ``polling_interval`` (seconds between LRO polls when
    the sandbox sends no ``Retry-After``).
    """
    credential: StaticTokenCredential | AsyncStaticTokenCredential = (
        AsyncStaticTokenCredential(token) if asynchronous else StaticTokenCredential(token)
    )
    return {
        "credential": credential,
        "base_url": base_url.rstrip("/"),
        "per_call_policies": [AllowHttpPolicy()],
        "polling_interval": polling_interval,
    }
