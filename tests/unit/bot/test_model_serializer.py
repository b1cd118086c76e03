"""ModelSerializer: the JSON and the validation errors of msrest's Serializer, for less CPU."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    ConversationParameters,
    Entity,
    Mention,
    SuggestedActions,
)
from botframework.connector import models as connector_models
from msrest.exceptions import SerializationError, ValidationError
from msrest.serialization import Model, Serializer

from bot.http_edge import parse_activity
from bot.model_serializer import ModelSerializer, validate_model
from tests.support.connector import teams_activity

MODELS = {name: value for name, value in vars(connector_models).items() if isinstance(value, type)}


def incoming() -> Activity:
    return parse_activity(
        json.dumps(teams_activity(text="help", conversation_type="channel", activity_id="activity-1")).encode()
    )


def reply_to(activity: Activity) -> Activity:
    return TurnContext.apply_conversation_reference(activity, TurnContext.get_conversation_reference(incoming()))


def _text() -> Activity:
    return reply_to(MessageFactory.text("Here is what I can do: **help**"))


def _card() -> Activity:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Which node pool?"}]}
    return reply_to(MessageFactory.attachment(CardFactory.adaptive_card(card)))


def _rich() -> Activity:
    activity = reply_to(MessageFactory.text("pick one", input_hint="expectingInput"))
    activity.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="a", value="a")])
    activity.entities = [Mention(mentioned=ChannelAccount(id="29:x", name="X"), text="<at>X</at>", type="mention")]
    activity.channel_data = {"notification": {"alert": True}, "tenant": {"id": "t"}}
    activity.timestamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    activity.additional_properties = {"extra": [1, {"a": None}]}
    activity.conversation.is_group = True
    return activity


def _dicts_in_model_fields() -> Activity:
    # The body's model-rebuilding pass turns these into models; both serializers must agree.
    activity = Activity(type=ActivityTypes.message, text="hi")
    activity.conversation = {"id": "a:1", "isGroup": False}  # type: ignore[assignment]
    activity.from_property = {"id": "28:bot", "name": "Bot"}  # type: ignore[assignment]
    activity.entities = [{"type": "clientInfo", "locale": "en-US"}]  # type: ignore[list-item]
    return activity


def _invoke_response() -> Activity:
    return Activity(type=ActivityTypes.invoke_response, value={"status": 200, "body": {"statusCode": 200}})


def _empty() -> Activity:
    return Activity()


@pytest.mark.parametrize(
    "build",
    [_text, _card, _rich, _dicts_in_model_fields, _invoke_response, _empty],
    ids=lambda build: build.__name__.strip("_"),
)
def test_replies_serialize_exactly_as_with_msrest(build: Callable[[], Activity]) -> None:
    expected = Serializer(MODELS).body(build(), "Activity")
    assert ModelSerializer(MODELS).body(build(), "Activity") == expected


def test_other_bodies_serialize_exactly_as_with_msrest() -> None:
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id="28:bot"),
        members=[ChannelAccount(id="29:user")],
        tenant_id="tenant",
        channel_data={"tenant": {"id": "tenant"}},
    )
    assert ModelSerializer(MODELS).body(parameters, "ConversationParameters") == Serializer(MODELS).body(
        parameters, "ConversationParameters"
    )
    assert ModelSerializer(MODELS).body([Entity(type="x")], "[Entity]") == Serializer(MODELS).body(
        [Entity(type="x")], "[Entity]"
    )
    assert ModelSerializer(MODELS).body({"a": 1}, "object") == Serializer(MODELS).body({"a": 1}, "object")


class Thing(Model):
    """A model with validation rules (botbuilder's have none) to compare the errors."""

    _validation = {"name": {"required": True, "max_length": 3}, "count": {"minimum": 1}}
    _attribute_map = {
        "name": {"key": "name", "type": "str"},
        "count": {"key": "count", "type": "int"},
        "inner": {"key": "inner", "type": "Thing"},
        "things": {"key": "things", "type": "[Thing]"},
        "flat": {"key": "properties.flat", "type": "str"},
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = kwargs.get("name")
        self.count = kwargs.get("count")
        self.inner = kwargs.get("inner")
        self.things = kwargs.get("things")
        self.flat = kwargs.get("flat")


THINGS = {"Thing": Thing}


@pytest.mark.parametrize(
    "thing",
    [
        Thing(name="abc", count=2, flat="f", inner=Thing(name="x"), things=[Thing(name="y", count=3)]),
        Thing(),
        Thing(name="toolong", count=0),
        Thing(name="ok", inner=Thing(count=0), things=[Thing(), Thing(name="long!")]),
    ],
)
def test_validation_errors_are_msrest_s(thing: Thing) -> None:
    expected = [str(error) for error in thing.validate()]
    assert [str(error) for error in validate_model(thing)] == expected
    outcomes = []
    for serializer in (Serializer(THINGS), ModelSerializer(THINGS)):
        try:
            outcomes.append(("ok", serializer.body(thing, "Thing")))
        except (ValidationError, SerializationError) as error:
            outcomes.append((type(error).__name__, str(error)))
    assert outcomes[0] == outcomes[1]


def test_a_value_msrest_cannot_serialize_fails_the_same_way() -> None:
    errors = []
    for serializer in (Serializer(THINGS), ModelSerializer(THINGS)):
        with pytest.raises(Exception) as raised:  # noqa: PT011 - the type is what is compared
            serializer.body(Thing(name="a", count="not a number"), "Thing")
        errors.append((type(raised.value), str(raised.value)))
    assert errors[0] == errors[1]


async def test_cached_connector_clients_serialize_with_it() -> None:
    from botframework.connector.aio import ConnectorClient
    from botframework.connector.auth import MicrosoftAppCredentials

    from bot.connector_pipeline import ConnectorSession, use_aiohttp

    client = ConnectorClient(MicrosoftAppCredentials(None, None), base_url="http://127.0.0.1:9")
    session = ConnectorSession()
    try:
        use_aiohttp(client, session)
        assert isinstance(client._serialize, ModelSerializer)
        assert client.conversations._serialize is client._serialize
        assert client.attachments._serialize is client._serialize
        assert client._serialize.client_side_validation
    finally:
        await session.close()


def test_a_missing_body_and_a_model_under_a_list_type_fail_as_with_msrest() -> None:
    for data, data_type in ((None, "Activity"), (Entity(type="x"), "[Entity]")):
        outcomes = []
        for serializer in (Serializer(MODELS), ModelSerializer(MODELS)):
            try:
                outcomes.append(("ok", serializer.body(data, data_type)))
            except Exception as error:  # the outcome is what is compared
                outcomes.append((type(error).__name__, str(error)))
        assert outcomes[0] == outcomes[1]
