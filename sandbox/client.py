"""What an Azure SDK client needs to talk to the local ARM sandbox (sandbox mode only).

Importable without the sandbox server: this module imports only ``azure.core`` (which every
Azure SDK client loads anyway) and never aiohttp or a management SDK. The async credential and
the policy are the ones Switchboard itself uses in sandbox mode (:mod:`actions.local_arm`, shipped
code that never imports this package); this module adds the sync credential and the kwargs helper.

- :class:`StaticTokenCredential` / :class:`AsyncStaticTokenCredential` hand out one fixed,
  fake bearer token. The sandbox only checks that a bearer token is present.
- :class:`AllowHttpPolicy` lets azure-core send that bearer token over plain HTTP to a
  loopback sandbox (azure-core refuses bearer tokens on non-TLS URLs otherwise). It is a
  per-call policy, so it runs before the authentication policy.
- :func:`client_kwargs` gathers the keyword arguments a management client needs.

Never use any of these against real Azure.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

from actions.local_arm import SANDBOX_TOKEN, AllowHttpPolicy, AsyncStaticTokenCredential, expires_on

__all__ = [
    "SANDBOX_TOKEN",
    "AllowHttpPolicy",
    "AsyncStaticTokenCredential",
    "StaticTokenCredential",
    "client_kwargs",
]


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
        return AccessToken(self._token, expires_on())

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """Return the fixed token as an ``AccessTokenInfo``."""
        return AccessTokenInfo(self._token, expires_on())

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
