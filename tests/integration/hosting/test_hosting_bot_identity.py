"""The bot's identity types end to end: incoming tokens validated for the app id, outgoing tokens
by type.

``UserAssignedMSI``: the Bot Framework SDK's own managed identity credentials (MSAL's
``ManagedIdentityClient``) fetch the connector token from the Functions host's identity endpoint
(``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER``), played by a loopback stand-in; no secret anywhere.
``SingleTenant``: the app id and tenant with a secret (outgoing tokens minted by the key server:
Entra's token endpoint is HTTPS-only and cannot be reached here).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest

from tests.support.connector import ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp
from tests.support.keyserver import KeyServer
from tests.support.managed_identity import IDENTITY_API_VERSION, ManagedIdentityEndpoint

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_FRAMEWORK_AUDIENCE = "https://api.botframework.com"


@pytest.fixture
def keys() -> Iterator[KeyServer]:
    with KeyServer() as server:
        yield server


@pytest.fixture
def app_id() -> str:
    # A fresh identity per test: the SDK's managed identity token cache is process-wide.
    return str(uuid.uuid4())


@pytest.fixture
def identity(keys: KeyServer, app_id: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagedIdentityEndpoint]:
    with ManagedIdentityEndpoint(keys, client_ids={app_id}, tenant_id=TENANT) as endpoint:
        monkeypatch.setenv("IDENTITY_ENDPOINT", endpoint.endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", endpoint.secret)
        yield endpoint


@pytest.fixture
def msi_app(
    make_app: Callable[..., HostedApp],
    local_env: dict[str, str],
    keys: KeyServer,
    identity: ManagedIdentityEndpoint,
    app_id: str,
) -> HostedApp:
    """An app whose identity is a user-assigned managed identity: app settings without any secret."""
    env = {
        **local_env,
        "MicrosoftAppId": app_id,
        "MicrosoftAppPassword": "",
        "MicrosoftAppType": "UserAssignedMSI",
        "MicrosoftAppTenantId": TENANT,
        **keys.settings_env(),
    }
    return make_app(env)


def outgoing_claims(authorization: str | None, keys: KeyServer) -> dict[str, Any]:
    assert authorization is not None
    scheme, token = authorization.split(" ", 1)
    assert scheme == "Bearer"
    return jwt.decode(token, keys.key.public_key(), algorithms=["RS256"], audience=BOT_FRAMEWORK_AUDIENCE)


async def test_a_managed_identity_bot_answers_with_the_identitys_own_token(
    msi_app: HostedApp,
    keys: KeyServer,
    identity: ManagedIdentityEndpoint,
    connector: ConnectorStandIn,
    app_id: str,
) -> None:
    for text in ("help", "help scale node pool"):
        activity = teams_activity(text=text, service_url=connector.service_url)
        authorization = keys.authorization(audience=app_id, service_url=connector.service_url)
        response = await msi_app.post_activity(activity, authorization)
        assert response.status_code == 200
    first, second = await connector.wait_for_async(2)
    assert first.text is not None
    assert first.text.startswith("Here is what I can do:")
    for reply in (first, second):
        claims = outgoing_claims(reply.authorization, keys)
        assert claims["appid"] == app_id
        assert claims["tid"] == TENANT
    # The token came from the identity endpoint, asked for this identity and the Bot Framework,
    # with the platform's secret header; the second turn used the cached token.
    [request] = identity.issued()
    assert request.query["client_id"] == app_id
    assert request.query["resource"] == BOT_FRAMEWORK_AUDIENCE
    assert request.query["api-version"] == IDENTITY_API_VERSION
    assert request.identity_header == identity.secret
    assert len(identity.requests) == 1


async def test_a_managed_identity_bot_refuses_a_token_for_another_app(
    msi_app: HostedApp, keys: KeyServer, identity: ManagedIdentityEndpoint, connector: ConnectorStandIn
) -> None:
    other_app = str(uuid.uuid4())
    activity = teams_activity(text="help", service_url=connector.service_url)
    response = await msi_app.post_activity(
        activity, keys.authorization(audience=other_app, service_url=connector.service_url)
    )
    assert response.status_code == 401
    assert connector.calls == []
    assert identity.requests == []


@pytest.mark.parametrize("failure", ["refused", "unreachable"])
async def test_when_the_identity_gets_no_token_the_failure_is_logged_without_secrets(
    msi_app: HostedApp,
    keys: KeyServer,
    identity: ManagedIdentityEndpoint,
    connector: ConnectorStandIn,
    app_id: str,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    if failure == "refused":
        identity.refuse = True
    else:
        identity.stop()  # nothing listens on its port any more
    authorization = keys.authorization(audience=app_id, service_url=connector.service_url)
    with caplog.at_level(logging.INFO):
        activity = teams_activity(text="help", service_url=connector.service_url)
        response = await msi_app.post_activity(activity, authorization)
    assert response.status_code == 500
    assert connector.calls == []
    [logged] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("no access token")]
    assert f"the managed identity {app_id}" in logged
    if failure == "refused":
        assert len(identity.requests) == 1
        assert "No managed identity with client id" in logged
    else:
        assert "could not reach its identity endpoint" in logged
    everything = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert identity.secret not in everything
    assert authorization.split(" ", 1)[1] not in everything


async def test_a_single_tenant_bot_accepts_tokens_for_its_app_id_only(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], keys: KeyServer, connector: ConnectorStandIn
) -> None:
    app_id = str(uuid.uuid4())
    env = {
        **local_env,
        "MicrosoftAppId": app_id,
        "MicrosoftAppPassword": "client-secret-from-key-vault",
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": TENANT,
        **keys.settings_env(),
    }
    hosted = make_app(env, credentials_factory=keys.credentials_factory(app_id))
    activity = teams_activity(text="help", service_url=connector.service_url)
    refused = await hosted.post_activity(
        activity, keys.authorization(audience=str(uuid.uuid4()), service_url=connector.service_url)
    )
    assert refused.status_code == 401
    authorization = keys.authorization(audience=app_id, service_url=connector.service_url)
    accepted = await hosted.post_activity(activity, authorization)
    assert accepted.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert outgoing_claims(reply.authorization, keys)["appid"] == app_id
