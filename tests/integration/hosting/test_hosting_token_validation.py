"""Real Bot Framework token validation against a loopback key server.

With an app id configured and the SDK's OpenID metadata URL and token issuer pointed at
``KeyServer``, the SDK's own validation runs: a correctly signed token reaches the bot; every
bad token is answered 401 and never reaches it (the connector stand-in receives nothing).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest

from tests.support.connector import ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp
from tests.support.keyserver import BOT_FRAMEWORK_ISSUER, KeyServer, new_rsa_key

APP_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def help_message(connector: ConnectorStandIn) -> dict[str, Any]:
    return teams_activity(text="help", service_url=connector.service_url)


@pytest.fixture
def keys() -> Iterator[KeyServer]:
    with KeyServer() as server:
        yield server


@pytest.fixture
def secured(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], keys: KeyServer
) -> HostedApp:
    """An app with an app id; tokens checked against the key server; outgoing tokens minted by it."""
    env = {**local_env, "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-used", **keys.settings_env()}
    return make_app(env, credentials_factory=keys.credentials_factory(APP_ID))


async def test_a_correctly_signed_token_reaches_the_bot(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn
) -> None:
    activity = teams_activity(text="help", service_url=connector.service_url)
    authorization = keys.authorization(audience=APP_ID, service_url=connector.service_url)
    response = await secured.post_activity(activity, authorization)
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text.startswith("Here is what I can do:")
    # The outgoing call carries the bot's own access token (for the Bot Framework audience).
    assert reply.authorization is not None
    scheme, token = reply.authorization.split(" ", 1)
    assert scheme == "Bearer"
    claims = jwt.decode(token, keys.key.public_key(), algorithms=["RS256"], audience="https://api.botframework.com")
    assert claims["appid"] == APP_ID
    assert any(path.endswith("/keys") for path in keys.fetches)


BAD_TOKENS: dict[str, Callable[[KeyServer, str], str | None]] = {
    "forged signature (another key, same kid)": lambda k, url: k.authorization(
        audience=APP_ID, service_url=url, key=new_rsa_key()
    ),
    "unknown key id": lambda k, url: k.authorization(
        audience=APP_ID, service_url=url, key=new_rsa_key(), kid="rotated-away"
    ),
    "no key id": lambda k, url: k.authorization(audience=APP_ID, service_url=url, kid=None),
    "expired": lambda k, url: k.authorization(audience=APP_ID, service_url=url, expires_in=-3600),
    "wrong audience": lambda k, url: k.authorization(
        audience="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", service_url=url
    ),
    "wrong issuer": lambda k, url: k.authorization(
        audience=APP_ID, service_url=url, issuer="https://sts.windows.net/evil/"
    ),
    "service url claim of another service": lambda k, url: k.authorization(
        audience=APP_ID, service_url="https://evil.example/"
    ),
    "no service url claim": lambda k, url: k.authorization(audience=APP_ID, service_url=None),
    "HS256 keyed with the public key": lambda k, url: k.authorization(
        audience=APP_ID, service_url=url, algorithm="HS256"
    ),
    "alg none": lambda k, url: k.authorization(audience=APP_ID, service_url=url, algorithm="none"),
    "garbage": lambda k, url: "Bearer this.is-not.a-jwt",
    "not a bearer token": lambda k, url: "Basic " + k.issue_token(audience=APP_ID, service_url=url),
    "token without scheme": lambda k, url: k.issue_token(audience=APP_ID, service_url=url),
    "empty header": lambda k, url: "",
    "missing header": lambda k, url: None,
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_a_bad_token_is_401_and_never_reaches_the_bot(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn, case: str
) -> None:
    activity = teams_activity(text="help", service_url=connector.service_url)
    response = await secured.post_activity(activity, BAD_TOKENS[case](keys, connector.service_url))
    assert response.status_code == 401, case
    assert b"Traceback" not in response.get_body()

    # A good request afterwards is answered, and it is the only thing the connector ever saw.
    good = keys.authorization(audience=APP_ID, service_url=connector.service_url)
    assert (await secured.post_activity(help_message(connector), good)).status_code == 200
    await connector.wait_for_async(1)
    assert len(connector.calls) == 1
    assert connector.calls[0].activity_id != activity["id"]


async def test_an_expired_token_within_the_sdk_clock_skew_is_still_accepted(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn
) -> None:
    # The SDK allows five minutes of clock skew; one minute past expiry is accepted.
    authorization = keys.authorization(audience=APP_ID, service_url=connector.service_url, expires_in=-60)
    response = await secured.post_activity(help_message(connector), authorization)
    assert response.status_code == 200


async def test_key_download_does_not_block_the_event_loop(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn
) -> None:
    # The key endpoint answers only once this event loop has run while the keys were being fetched:
    # if the SDK's blocking download held the loop, nothing could release it (until the gate's 60 s).
    keys.gate = threading.Event()
    released_by_the_loop: list[int] = []

    async def release_once_the_download_waits() -> None:
        while keys.waiting == 0:  # noqa: ASYNC110 - set by the key server thread; polling needs a free loop
            await asyncio.sleep(0.01)
        released_by_the_loop.append(keys.waiting)
        assert keys.gate is not None
        keys.gate.set()

    releasing = asyncio.create_task(release_once_the_download_waits())
    authorization = keys.authorization(audience=APP_ID, service_url=connector.service_url)
    response = await secured.post_activity(help_message(connector), authorization)
    await releasing

    assert response.status_code == 200
    assert released_by_the_loop == [1]  # the loop ran while the first key request was held


async def test_a_key_server_that_does_not_answer_in_time_is_401_not_a_hang(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], keys: KeyServer, connector: ConnectorStandIn
) -> None:
    env: dict[str, Any] = {**local_env, "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "x", **keys.settings_env()}
    hosted = make_app(env, credentials_factory=keys.credentials_factory(APP_ID), auth_timeout=0.5)
    keys.gate = threading.Event()  # the key server never answers while the request is handled
    authorization = keys.authorization(audience=APP_ID, service_url=connector.service_url)

    response = await asyncio.wait_for(hosted.post_activity(help_message(connector), authorization), timeout=55)

    assert response.status_code == 401  # only the 0.5 s authentication limit can have ended it
    assert keys.waiting >= 1


# --------------------------------------------------------------------------- claims the Bot Framework requires
# A channel token needs aud (the app id), iss (the Bot Framework), a valid exp/nbf and a serviceurl
# naming the activity's service; an Emulator token needs ver and, for that version, appid or azp
# naming the bot (as botframework-connector's ChannelValidation and EmulatorValidation require).

MISSING_CLAIMS: dict[str, Callable[[KeyServer, str], str]] = {
    "channel token without aud": lambda k, url: k.authorization(audience=APP_ID, service_url=url, omit=["aud"]),
    "channel token without iss": lambda k, url: k.authorization(audience=APP_ID, service_url=url, omit=["iss"]),
    "channel token without exp": lambda k, url: k.authorization(audience=APP_ID, service_url=url, omit=["exp"]),
    "channel token without serviceurl": lambda k, url: k.authorization(audience=APP_ID, service_url=None),
    "channel token not valid before an hour from now": lambda k, url: k.authorization(
        audience=APP_ID, service_url=url, extra_claims={"nbf": int(time.time()) + 3600}
    ),
    "channel token with a non-numeric exp": lambda k, url: k.authorization(
        audience=APP_ID, service_url=url, extra_claims={"exp": "tomorrow"}
    ),
    "emulator token without ver": lambda k, url: k.emulator_authorization(APP_ID, omit=["ver"]),
    "emulator 1.0 token without appid": lambda k, url: k.emulator_authorization(APP_ID, omit=["appid"]),
    "emulator 2.0 token without azp": lambda k, url: k.emulator_authorization(APP_ID, version="2.0", omit=["azp"]),
    "emulator token without exp": lambda k, url: k.emulator_authorization(APP_ID, omit=["exp"]),
    "emulator token of another bot": lambda k, url: k.emulator_authorization("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
    "emulator token without aud": lambda k, url: k.emulator_authorization(APP_ID, omit=["aud"]),
    # The bot's own outgoing access token (audience the Bot Framework) replayed to it.
    "the bot's outgoing token": lambda k, url: k.emulator_authorization(APP_ID, audience=BOT_FRAMEWORK_ISSUER),
}


@pytest.mark.parametrize("case", list(MISSING_CLAIMS))
async def test_a_token_without_a_required_claim_is_401(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn, case: str
) -> None:
    response = await secured.post_activity(help_message(connector), MISSING_CLAIMS[case](keys, connector.service_url))
    assert response.status_code == 401, case
    assert connector.calls == []


@pytest.mark.parametrize("version", ["1.0", "2.0"])
async def test_an_emulator_token_with_its_claims_is_accepted(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn, version: str
) -> None:
    authorization = keys.emulator_authorization(APP_ID, version=version)
    response = await secured.post_activity(help_message(connector), authorization)
    assert response.status_code == 200
    [reply] = await connector.wait_for_async(1)
    assert reply.text is not None
    assert reply.text.startswith("Here is what I can do:")


# The same service URL spelled differently: letter case, a trailing slash, or both (Teams service URLs
# carry a region path, e.g. https://smba.trafficmanager.net/amer/).
SAME_SERVICE_URL: dict[str, Callable[[str], tuple[str, str]]] = {
    # name: connector's base URL -> (the activity's serviceUrl, the token's serviceurl claim)
    "claim without the trailing slash": lambda base: (f"{base}amer/", f"{base}amer"),
    "activity without the trailing slash": lambda base: (f"{base}amer", f"{base}amer/"),
    "claim in upper case": lambda base: (f"{base}amer/", f"{base}AMER/".upper()),
    "activity in upper case, claim without the slash": lambda base: (f"{base}AMER/".upper(), f"{base}amer"),
}


@pytest.mark.parametrize("case", list(SAME_SERVICE_URL))
async def test_a_service_url_claim_that_differs_only_in_case_or_a_trailing_slash_is_accepted(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn, case: str
) -> None:
    activity_url, claim = SAME_SERVICE_URL[case](connector.service_url)
    activity = teams_activity(text="help", service_url=activity_url)
    response = await secured.post_activity(activity, keys.authorization(audience=APP_ID, service_url=claim))
    assert response.status_code == 200, case
    [reply] = await connector.wait_for_async(1)
    assert reply.activity_id == activity["id"]  # the reply went to the activity's service


OTHER_SERVICE_URL: dict[str, Callable[[str], tuple[str, str]]] = {
    "another region path": lambda base: (f"{base}amer/", f"{base}emea/"),
    "a longer path": lambda base: (f"{base}amer/", f"{base}amer/x/"),
    "two trailing slashes against none": lambda base: (f"{base}amer", f"{base}amer//x"),
    "another port": lambda base: (f"{base}amer/", "http://127.0.0.1:1/amer/"),
}


@pytest.mark.parametrize("case", list(OTHER_SERVICE_URL))
async def test_a_service_url_claim_of_another_url_stays_401(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn, case: str
) -> None:
    activity_url, claim = OTHER_SERVICE_URL[case](connector.service_url)
    activity = teams_activity(text="help", service_url=activity_url)
    response = await secured.post_activity(activity, keys.authorization(audience=APP_ID, service_url=claim))
    assert response.status_code == 401, case
    assert connector.calls == []
