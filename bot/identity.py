"""Outgoing Bot Connector tokens from a user-assigned managed identity (``MicrosoftAppType=UserAssignedMSI``).

The Bot Framework SDK's own managed identity path does the work —
``ManagedIdentityServiceClientCredentialsFactory`` and ``ManagedIdentityAppCredentials``, which ask
MSAL's ``ManagedIdentityClient`` for a token of the identity whose **client id is the bot's app
id** (on Azure Functions: the host's identity endpoint, ``IDENTITY_ENDPOINT`` guarded by
``IDENTITY_HEADER``; tokens cached process-wide until five minutes before they expire). Two
gaps are closed here:

- a refused token request raised a bare ``KeyError('access_token')``: :class:`BotTokenError`
  now says which identity asked and what the endpoint answered (its error code and description,
  never a token);
- the identity endpoint was called without a timeout: each call now gives up after
  :data:`IDENTITY_TIMEOUT_SECONDS` (connect, read).
"""

from __future__ import annotations

from typing import Any

import msal
import requests
from botframework.connector.auth import (
    AppCredentials,
    ManagedIdentityAppCredentials,
    ManagedIdentityServiceClientCredentialsFactory,
)

__all__ = ["IDENTITY_TIMEOUT_SECONDS", "BotTokenError", "ManagedIdentityCredentialsFactory"]

IDENTITY_TIMEOUT_SECONDS = (3.05, 10.0)
"""(connect, read) seconds for one call to the managed identity endpoint."""


class BotTokenError(RuntimeError):
    """The bot's identity could not get an access token for the Bot Connector (nothing can be sent)."""


class _TimeoutSession(requests.Session):
    """A ``requests`` session whose calls time out unless the caller gives a timeout."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", IDENTITY_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


class _ManagedIdentityCredentials(ManagedIdentityAppCredentials):
    """The SDK's managed identity credentials with a timeout and a readable failure."""

    def __init__(self, app_id: str, oauth_scope: str | None = None) -> None:
        super().__init__(app_id, oauth_scope)
        # The SDK builds this client lazily with a plain session; built here, the SDK's code uses it.
        self.app = msal.ManagedIdentityClient(
            msal.UserAssignedManagedIdentity(client_id=app_id),
            http_client=_TimeoutSession(),
            token_cache=ManagedIdentityAppCredentials.global_token_cache,
        )

    def get_access_token(self, force_refresh: bool = False) -> str:
        """A token for ``oauth_scope`` (the Bot Framework); raises :class:`BotTokenError` when refused."""
        try:
            result = self.app.acquire_token_for_client(resource=self.oauth_scope)
        except (requests.RequestException, ValueError) as error:
            raise BotTokenError(
                f"the managed identity {self.microsoft_app_id} could not reach its identity endpoint "
                f"({type(error).__name__})"
            ) from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if not token:
            answer = result if isinstance(result, dict) else {}
            raise BotTokenError(
                f"the managed identity {self.microsoft_app_id} got no token for {self.oauth_scope}: "
                f"{answer.get('error', 'no answer')} ({answer.get('error_description', '')}); check that "
                "MicrosoftAppId is the client id of a user-assigned identity attached to this Function App"
            )
        return str(token)


class ManagedIdentityCredentialsFactory(ManagedIdentityServiceClientCredentialsFactory):
    """The SDK's managed identity credentials factory for ``app_id`` (the identity's client id),
    handing out :class:`_ManagedIdentityCredentials`."""

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        credentials = await super().create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
        if isinstance(credentials, ManagedIdentityAppCredentials):
            return _ManagedIdentityCredentials(app_id, oauth_scope)
        return credentials
