"""The HTTP edge's bounds: deep, wide or overlong JSON is a 400 with a short reason, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from msrest.serialization import Deserializer

from bot.http_edge import (
    MAX_JSON_DEPTH,
    MAX_JSON_VALUES,
    MAX_TEXT_CHARS,
    BadActivity,
    parse_activity,
)
from bot.model_serializer import ModelDeserializer
from tests.support.connector import teams_activity


def nested(levels: int) -> Any:
    """``levels`` levels of arrays: 1 is ``[]``."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def refused(body: bytes) -> str:
    with pytest.raises(BadActivity) as caught:
        parse_activity(body)
    return str(caught.value)


@pytest.mark.parametrize("body", [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000])
def test_json_nested_ten_thousand_levels_deep_is_refused(body: bytes) -> None:
    assert refused(body) == f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."


def test_nesting_is_counted_from_the_activity_itself() -> None:
    # The activity is level 1 and channelData level 2, so its value holds MAX_JSON_DEPTH - 2 levels.
    within = {**teams_activity(text="help"), "channelData": {"x": nested(MAX_JSON_DEPTH - 2)}}
    assert parse_activity(json.dumps(within).encode()).channel_data["x"] == nested(MAX_JSON_DEPTH - 2)
    beyond = {**teams_activity(text="help"), "channelData": {"x": nested(MAX_JSON_DEPTH - 1)}}
    assert "nested more than" in refused(json.dumps(beyond).encode())


@pytest.mark.parametrize(
    "field",
    [
        {"entities": [{"type": "mention"}] * MAX_JSON_VALUES},
        {"attachments": [{}] * MAX_JSON_VALUES},
        {"membersAdded": [{"id": "29:x"}] * MAX_JSON_VALUES},
        {"value": {"inputs": list(range(MAX_JSON_VALUES))}},
        {"channelData": {f"k{i}": i for i in range(MAX_JSON_VALUES)}},
    ],
)
def test_an_activity_with_too_many_values_is_refused(field: dict[str, Any]) -> None:
    body = json.dumps({**teams_activity(text="help"), **field}).encode()
    assert refused(body) == f"The activity holds more than {MAX_JSON_VALUES} JSON values."


def test_a_message_of_many_mentions_within_the_bound_parses() -> None:
    mention = {"type": "mention", "mentioned": {"id": "29:x", "name": "X"}, "text": "<at>X</at>"}
    activity = {**teams_activity(text="<at>X</at> " * 200), "entities": [mention] * 200}
    assert len(parse_activity(json.dumps(activity).encode()).entities) == 200


def test_text_longer_than_teams_allows_is_refused_and_text_at_the_limit_parses() -> None:
    at_limit = teams_activity(text="é" * MAX_TEXT_CHARS)
    assert parse_activity(json.dumps(at_limit).encode()).text == "é" * MAX_TEXT_CHARS
    over = teams_activity(text="x" * (MAX_TEXT_CHARS + 1))
    assert refused(json.dumps(over).encode()) == (
        f"The message text is longer than {MAX_TEXT_CHARS} characters, more than Teams allows in one message."
    )


@pytest.mark.parametrize(
    "field",
    [
        {"value": {"note": "x" * (MAX_TEXT_CHARS + 1)}},
        {"attachments": [{"contentType": "text/html", "content": "<p>" + "x" * MAX_TEXT_CHARS + "</p>"}]},
        {"channelData": {"k" * (MAX_TEXT_CHARS + 1): 1}},
    ],
)
def test_any_string_or_key_longer_than_teams_allows_is_refused(field: dict[str, Any]) -> None:
    body = json.dumps({**teams_activity(text="help"), **field}).encode()
    assert "longer than" in refused(body)


FREE_FORM = {
    "numbers": [0, -1, 2**53, 1.5, -0.0, 1e308],
    "flags": [True, False, None],
    "nested": {"a": [{"b": [[], {}]}], "é": "ünïcode \u2028 \U0001f600"},
    "empty": "",
}


def test_free_form_fields_deserialize_as_msrest_deserializes_them() -> None:
    from botbuilder.schema import Activity

    models = Activity._infer_class_models()
    data = {
        **teams_activity(text="help"),
        "channelData": FREE_FORM,
        "value": [FREE_FORM, 1, "x", None],
        "entities": [{"type": "clientInfo", "extra": FREE_FORM}],
        "attachments": [{"contentType": "application/json", "content": FREE_FORM}],
    }
    mine = ModelDeserializer(models)("Activity", json.loads(json.dumps(data)))
    sdk = Deserializer(models)("Activity", json.loads(json.dumps(data)))
    assert mine.as_dict() == sdk.as_dict()
    assert mine.channel_data == sdk.channel_data == FREE_FORM
    assert mine.value == sdk.value
    assert mine.attachments[0].content == sdk.attachments[0].content
    assert mine.entities[0].additional_properties == sdk.entities[0].additional_properties
