"""Fuzzing ``/api/messages`` with activities built from the Bot Framework activity shape.

Each example starts from a Teams activity (message, invoke, conversation and installation updates,
reactions, ...) and replaces any of its fields, or of its nested accounts, card values and entities,
with nothing, ``null``, a value of the wrong type, odd Unicode (lone surrogates, controls,
right-to-left marks, emoji), or a huge or empty value. Every answer must be a 2xx, or a 4xx with a
short JSON error body — never a 500, never exception text — and a good ``help`` right after must
still be answered. Authentication on (tokens signed by the loopback key server for the activity's
service URL) and off.

The runs are bounded and repeatable: a fixed number of examples, derandomized, no example
database, no deadline (a turn's time depends on the machine).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import azure.functions as func
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.http_edge import MAX_TEXT_CHARS
from tests.support.connector import TEST_BOT_ID, TEST_TENANT_ID, ConnectorStandIn, teams_activity
from tests.support.hosted_app import HostedApp
from tests.support.keyserver import KeyServer

APP_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
EXAMPLES = 200
SHORT_BODY = 512  # bytes: an error answer is one small JSON object
LEAKS = ("Traceback", 'File "', "Error:", "Exception", "botbuilder", "msrest", "azure.", "site-packages")

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------------------------- strategies
_odd_characters = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates: valid as JSON escapes, not encodable as UTF-8
    st.sampled_from(["\u202e", "\u200b", "\u0301", "\ufeff", "\u00a0", "\x00", "\x1b", "\U0001f600", "\U000e0041"]),
)
odd_text = st.text(alphabet=_odd_characters, max_size=40)
special_text = st.sampled_from(
    [
        "",
        " ",
        "help",
        "cancel",
        "help scale",
        "scale node pool aks-prod np1 to 5",
        "restart app web-prod",
        "<at>Switchboard</at> help",
        "<at>Switchboard</at>",
        "<at>",
        "&nbsp;help",
        "<p>help</p>",
        '"unclosed',
        "scale node pool cluster=aks-prod pool=np1 count=99999999999999999999",
    ]
)
# Huge values, built on demand (their repr stays short in Hypothesis' reports).
huge_text = st.sampled_from([("x", 2001), ("<at>", 2000), ("s", MAX_TEXT_CHARS), ("x", MAX_TEXT_CHARS + 1)]).map(
    lambda repeated: repeated[0] * repeated[1]
) | st.just(3000).map(lambda n: "help " + "\U0001f680" * n)
texts = st.one_of(special_text, odd_text, huge_text)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities too: Python's JSON parser accepts them
    texts,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4),
    max_leaves=10,
)
# Deep and wide JSON, as a value anywhere: far beyond what any channel sends. Deep nesting is
# spliced into the serialized body (json.dumps itself recurses), in place of a marker string.
_DEEP = "\x00deep:{}\x00"
huge_json = st.one_of(
    st.sampled_from([40, 1500, 20_000]).map(_DEEP.format),
    st.sampled_from([3000, 40_000]).map(lambda width: [0] * width),
    st.just(3000).map(lambda width: {f"k{i}": {} for i in range(width)}),
)
MISSING = object()


def field_value(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: missing, null, wrongly typed (any JSON), or (most often) a plausible one.

    Plausible values are weighted up so that most examples get past the edge's checks and reach the bot.
    """
    return st.one_of(plausible, plausible, plausible, st.just(MISSING), st.none(), json_values)


def body_of(activity: dict[str, Any]) -> bytes:
    """The activity as JSON, with each deep-nesting marker replaced by that many nested arrays."""
    text = json.dumps(activity)
    for depth in (40, 1500, 20_000):
        marker = json.dumps(_DEEP.format(depth))
        text = text.replace(marker, "[" * depth + "]" * depth)
    return text.encode()


def account(ids: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            "id": field_value(ids),
            "name": field_value(texts),
            "aadObjectId": field_value(st.sampled_from(["00000000-0000-0000-0000-0000000000020"])),
            "role": field_value(st.sampled_from(["user", "bot"])),
        },
    )


ACTIVITY_TYPES = st.one_of(
    st.sampled_from(
        [
            "message",
            "invoke",
            "conversationUpdate",
            "installationUpdate",
            "messageReaction",
            "messageUpdate",
            "messageDelete",
            "event",
            "typing",
            "endOfConversation",
            "contactRelationUpdate",
            "Message",
            "",
        ]
    ),
    odd_text,
)
card_meta = st.fixed_dictionaries(
    {},
    optional={
        "v": field_value(st.just(1)),
        "verb": field_value(
            st.sampled_from(["submit:aks-scale-node-pool", "confirm:app-restart", "cancel:vm-start", "nope:x", ":"])
        ),
        "form": field_value(st.sampled_from(["f-0123456789abcdef", "f-", "x" * 100])),
        "owner": field_value(st.sampled_from(["29:user-alex", "29:someone-else"])),
        "ownerName": field_value(texts),
    },
)
card_data = st.builds(
    lambda meta, inputs: {"switchboard": meta, **inputs},
    field_value(card_meta),
    st.dictionaries(st.sampled_from(["cluster", "pool", "count", "vm", "x"]) | odd_text, json_values, max_size=4),
)
values = st.one_of(
    card_data,
    st.builds(
        lambda action_type, verb, data: {"action": {"type": action_type, "verb": verb, "data": data}},
        field_value(st.sampled_from(["Action.Execute", "Action.Submit"])),
        field_value(st.sampled_from(["submit:aks-scale-node-pool", "confirm:app-restart"])),
        field_value(card_data),
    ),
)
mention = st.fixed_dictionaries(
    {"type": field_value(st.sampled_from(["mention", "Mention", "clientInfo"]))},
    optional={
        "mentioned": field_value(account(st.sampled_from([TEST_BOT_ID, "29:megan"]))),
        "text": field_value(st.sampled_from(["<at>Switchboard</at>", "<at>Megan</at>", "<at>", ""])),
    },
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": field_value(odd_text),
    "timestamp": field_value(st.sampled_from(["2026-11-26T10:00:00.000Z", "yesterday", "2026-13-45T99:99:99Z"])),
    "localTimestamp": field_value(st.sampled_from(["2026-11-26T10:00:00.000+01:00", "0"])),
    "channelId": field_value(st.sampled_from(["msteams", "webchat", "emulator", "slack"])),
    "from": field_value(account(st.sampled_from(["29:user-alex", "29:user-megan", ""]))),
    "recipient": field_value(account(st.sampled_from([TEST_BOT_ID, "28:another-bot"]))),
    "conversation": field_value(
        st.fixed_dictionaries(
            {},
            optional={
                "id": field_value(st.sampled_from(["a:fuzz-personal", "19:fuzz@thread.tacv2", ""]) | odd_text),
                "conversationType": field_value(st.sampled_from(["personal", "channel", "groupChat"])),
                "tenantId": field_value(st.sampled_from([TEST_TENANT_ID, "another-tenant"])),
                "isGroup": field_value(st.booleans()),
            },
        )
    ),
    "channelData": field_value(
        st.fixed_dictionaries(
            {},
            optional={
                "tenant": field_value(st.fixed_dictionaries({}, optional={"id": field_value(st.just(TEST_TENANT_ID))})),
                "team": field_value(st.fixed_dictionaries({"id": field_value(odd_text)})),
                "eventType": field_value(st.sampled_from(["teamMemberAdded", "channelCreated"])),
            },
        )
    ),
    "text": field_value(texts),
    "textFormat": field_value(st.sampled_from(["plain", "markdown", "xml"])),
    "locale": field_value(st.sampled_from(["en-US", "ar-SA", "x" * 300])),
    "entities": field_value(st.lists(mention, max_size=4)),
    "attachments": field_value(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "contentType": field_value(st.sampled_from(["text/html", "application/vnd.microsoft.card"])),
                    "content": field_value(json_values),
                },
            ),
            max_size=3,
        )
    ),
    "membersAdded": field_value(st.lists(account(st.sampled_from([TEST_BOT_ID, "29:user-megan"])), max_size=3)),
    "membersRemoved": field_value(st.lists(account(st.sampled_from([TEST_BOT_ID, "29:user-megan"])), max_size=3)),
    "reactionsAdded": field_value(st.lists(st.fixed_dictionaries({"type": field_value(odd_text)}), max_size=2)),
    "action": field_value(st.sampled_from(["add", "remove", "add-upgrade"])),
    "name": field_value(st.sampled_from(["adaptiveCard/action", "task/fetch", "composeExtension/query"])),
    "value": field_value(values),
    "replyToId": field_value(odd_text),
    "suggestedActions": field_value(st.fixed_dictionaries({"actions": field_value(st.lists(json_values, max_size=2))})),
    "expiration": field_value(st.sampled_from(["2026-11-26T10:00:00Z", "never"])),
    "listenFor": field_value(st.lists(texts, max_size=2)),
    "textHighlights": field_value(st.lists(st.fixed_dictionaries({"text": field_value(texts)}), max_size=2)),
    "unknownField": field_value(json_values),
}


@st.composite
def activities(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    """A Teams activity with any of its fields replaced (see the module docstring)."""
    activity = teams_activity(
        draw(ACTIVITY_TYPES),  # type: ignore[arg-type]
        text="help",
        service_url=service_url,
        conversation_type=draw(st.sampled_from(["personal", "groupChat", "channel"])),
        mention_bot=draw(st.booleans()),
    )
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=4)):
        value = draw(FIELDS[name])
        if value is MISSING:
            activity.pop(name, None)
        else:
            activity[name] = _without_missing(value)
    if draw(st.integers(min_value=0, max_value=7)) == 0:  # now and then, one huge value
        activity[draw(st.sampled_from(sorted(FIELDS)))] = draw(huge_json)
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # now and then, a service URL that is not the stand-in's
        url = draw(field_value(st.sampled_from(["http://127.0.0.1:9/", "ftp://x", "", "https://"]) | odd_text))
        if url is MISSING:
            del activity["serviceUrl"]
        else:
            activity["serviceUrl"] = _without_missing(url)
    return activity


def _without_missing(value: Any) -> Any:
    """Drop the MISSING markers left inside nested values (an absent key or list item)."""
    if isinstance(value, dict):
        return {key: _without_missing(item) for key, item in value.items() if item is not MISSING}
    if isinstance(value, list):
        return [_without_missing(item) for item in value if item is not MISSING]
    return value


# ---------------------------------------------------------------------------------------------- checks
def check_answer(response: func.HttpResponse, activity: Any = None) -> None:
    """2xx, or a 4xx carrying a short JSON error; never a 5xx, never exception text.

    The one 5xx allowed is the Bot Framework's answer to an invoke the bot does not handle
    (501 Not Implemented, which the channel expects), with the same short JSON error body.
    """
    status = response.status_code
    event(f"HTTP {status}")  # the mix of answers, in --hypothesis-show-statistics
    body = response.get_body()
    text = body.decode("utf-8", "replace")
    unhandled_invoke = status == 501 and isinstance(activity, dict) and activity.get("type") == "invoke"
    assert 200 <= status < 300 or 400 <= status < 500 or unhandled_invoke, f"HTTP {status}: {text[:300]}"
    assert not any(leak in text for leak in LEAKS), f"HTTP {status} leaks internals: {text[:300]}"
    if status >= 400:
        assert len(body) <= SHORT_BODY, f"HTTP {status} with a {len(body)}-byte body"
        error = json.loads(body)["error"]
        assert isinstance(error["code"], str)
        assert isinstance(error["message"], str)


async def check_help_still_works(
    hosted: HostedApp, connector: ConnectorStandIn, authorization: Callable[[str], str | None]
) -> None:
    connector.clear()
    good = teams_activity(text="help", service_url=connector.service_url, conversation_id=f"a:fuzz-{uuid.uuid4()}")
    response = await hosted.post_activity(good, authorization(connector.service_url))
    assert response.status_code == 200
    replies = await connector.wait_for_async(1)
    assert replies[-1].text.startswith("Here is what I can do:")


# ---------------------------------------------------------------------------------------------- the tests
@pytest.fixture
def keys() -> Iterator[KeyServer]:
    with KeyServer() as server:
        yield server


@pytest.fixture
def secured(make_app: Callable[..., HostedApp], local_env: dict[str, str], keys: KeyServer) -> HostedApp:
    env = {**local_env, "MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "not-used", **keys.settings_env()}
    return make_app(env, credentials_factory=keys.credentials_factory(APP_ID))


def _service_url_of(activity: dict[str, Any], fallback: str) -> str:
    url = activity.get("serviceUrl")
    return url if isinstance(url, str) and url else fallback


@pytest.mark.timeout(600)
@FUZZ
@given(data=st.data())
async def test_fuzzed_activities_without_authentication_get_2xx_or_a_precise_4xx(
    hosted: HostedApp, connector: ConnectorStandIn, data: st.DataObject
) -> None:
    activity = data.draw(activities(connector.service_url))
    response = await hosted.call("messages", body=body_of(activity), headers=_json_headers())
    check_answer(response, activity)
    await check_help_still_works(hosted, connector, lambda _url: None)


@pytest.mark.timeout(600)
@FUZZ
@given(data=st.data())
async def test_fuzzed_activities_with_authentication_get_2xx_or_a_precise_4xx(
    secured: HostedApp, keys: KeyServer, connector: ConnectorStandIn, data: st.DataObject
) -> None:
    activity = data.draw(activities(connector.service_url))

    def sign(url: str) -> str:
        return keys.authorization(audience=APP_ID, service_url=url)

    headers = {**_json_headers(), "Authorization": sign(_service_url_of(activity, connector.service_url))}
    response = await secured.call("messages", body=body_of(activity), headers=headers)
    check_answer(response, activity)
    await check_help_still_works(secured, connector, sign)


@pytest.mark.timeout(600)
@FUZZ
@given(body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
async def test_fuzzed_bodies_that_are_no_activity_get_a_precise_4xx(
    hosted: HostedApp, connector: ConnectorStandIn, body: bytes
) -> None:
    response = await hosted.call("messages", body=body, headers=_json_headers())
    check_answer(response)
    assert response.status_code == 400


def _json_headers() -> dict[str, str]:
    return {"Content-Type": "application/json"}
