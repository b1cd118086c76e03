"""Sandbox mode's way to reach a loopback ARM endpoint (``SWITCHBOARD_ARM_SANDBOX_URL`` set).

Two small pieces the client pool (:mod:`actions.clients`) uses only when the ARM section names
a loopback sandbox, which settings validation allows only off Azure:

- :class:`AsyncStaticTokenCredential` hands out one fixed, fake bearer token (the sandbox only
  checks that a bearer token is present);
- :class:`AllowHttpPolicy` lets azure-core send that token over plain HTTP to loopback (it
  refuses bearer tokens on non-TLS URLs otherwise). It is a per-call policy, so it runs before
  the authentication policy.

Imports only ``azure.core`` (which every SDK client loads anyway). The local ARM sandbox
(``sandbox/``, a dev tool that is never deployed) reuses these; shipped code never imports it.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

__all__ = ["SANDBOX_TOKEN", "AllowHttpPolicy", "AsyncStaticTokenCredential", "expires_on"]

SANDBOX_TOKEN = "switchboard-sandbox-token"
"""The fake bearer token the static credential returns."""

_TOKEN_LIFETIME_SECONDS = 3600


def expires_on() -> int:
    """When a token handed out now expires (epoch seconds): an hour from now."""
    return int(time.time()) + _TOKEN_LIFETIME_SECONDS


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
        return AccessToken(self._token, expires_on())

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """Return the fixed token as an ``AccessTokenInfo``."""
        return AccessTokenInfo(self._token, expires_on())

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
