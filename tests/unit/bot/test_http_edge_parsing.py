"""The HTTP edge's pure parts: activity parsing and invoke body serialization."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from botbuilder.core import InvokeResponse
from botbuilder.schema import AdaptiveCardInvokeResponse, ResourceResponse

from bot.edge_types import EdgeRequest, EdgeResponse
from bot.http_edge import invoke_body_to_json, invoke_response_to_edge, parse_activity
from tests.support.connector import teams_activity


def test_a_teams_activity_parses() -> None:
    activity = parse_activity(json.dumps(teams_activity(text="help")).encode())
    assert activity.type == "message"
    assert activity.text == "help"


def test_an_sdk_error_body_holding_an_exception_becomes_a_code_and_the_status_phrase() -> None:
    body = AdaptiveCardInvokeResponse(
        status_code=HTTPStatus.BAD_REQUEST,
        type="application/vnd.microsoft.error",
        value=Exception("NotSupported", "The action 'Action.Secret' is not supported."),
    )
    assert invoke_body_to_json(body, 400) == {
        "statusCode": 400,
        "type": "application/vnd.microsoft.error",
        "value": {"code": "NotSupported", "message": "Bad Request"},
    }


def test_an_exception_with_a_message_as_code_is_not_echoed() -> None:
    value = invoke_body_to_json({"value": Exception("password=hunter2 at line 3")}, 500)
    assert value == {"value": {"code": "InternalServerError", "message": "Internal Server Error"}}


def test_models_are_serialized_once_and_dicts_pass_through() -> None:
    assert invoke_body_to_json(ResourceResponse(id="x")) == {"id": "x"}
    already = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": "done"}
    assert invoke_body_to_json(already) == already
    assert invoke_body_to_json([ResourceResponse(id="a"), {"b": (1, 2)}]) == [{"id": "a"}, {"b": [1, 2]}]


def test_something_that_is_not_json_data_is_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        invoke_body_to_json({"x": object()})


def test_invoke_response_mapping() -> None:
    assert invoke_response_to_edge(None) == EdgeResponse.empty(200)
    not_handled = invoke_response_to_edge(InvokeResponse(status=501))
    assert not_handled.status == 501
    assert not_handled.json_body() == {
        "error": {"code": "NotImplemented", "message": "Not Implemented: Switchboard does not handle this."}
    }
    assert invoke_response_to_edge(InvokeResponse(status=202)) == EdgeResponse.empty(202)
    response = invoke_response_to_edge(InvokeResponse(status=200, body={"a": 1}))
    assert response.json_body() == {"a": 1}
    assert response.content_type == "application/json; charset=utf-8"


def test_edge_request_normalizes_method_and_header_names() -> None:
    request = EdgeRequest.build("post", {"Content-Type": "application/json", "AUTHORIZATION": "Bearer x"}, b"{}")
    assert request.method == "POST"
    assert request.header("content-type") == "application/json"
    assert request.header("Authorization") == "Bearer x"


@pytest.mark.parametrize(
    "activity",
    [
        teams_activity(text="help"),
        teams_activity(text="<at>Switchboard</at> scale", conversation_type="channel", mention_bot=True),
        {
            **teams_activity(text="x"),
            "unknownTopLevel": {"kept": True},
            "from": {"id": "29:a", "name": "A", "extraOnAccount": 1},
            "value": {"switchboard": {"verb": "submit"}},
            "timestamp": "2026-01-02T03:04:05.678Z",
            "attachments": [{"contentType": "text/plain", "content": "hi", "odd": [1, 2]}],
        },
        {
            **teams_activity(text=None, conversation_type="groupChat"),
            "text": None,
            "entities": [],
            "locale": "en-GB",
            "conversation": {"id": "19:x", "isGroup": True, "tenantId": "t", "unknown": "u"},
            "localTimestamp": "2026-01-02T03:04:05+01:00",
        },
    ],
)
def test_parsing_matches_the_sdk_deserializer_including_additional_properties(activity: dict[str, object]) -> None:
    from botbuilder.schema import Activity

    body = json.dumps(activity).encode()
    mine, sdk = parse_activity(body), Activity().deserialize(json.loads(body))
    assert mine.serialize(keep_readonly=True) == sdk.serialize(keep_readonly=True)
    assert mine.as_dict() == sdk.as_dict()
    assert mine.conversation.additional_properties == sdk.conversation.additional_properties
    assert mine.additional_properties == sdk.additional_properties
    assert mine.from_property.additional_properties == sdk.from_property.additional_properties
    for mine_attachment, sdk_attachment in zip(mine.attachments or [], sdk.attachments or [], strict=True):
        assert mine_attachment.additional_properties == sdk_attachment.additional_properties
    if "unknownTopLevel" in activity:
        assert mine.additional_properties == {"unknownTopLevel": {"kept": True}}
        assert mine.attachments[0].additional_properties == {"odd": [1, 2]}
