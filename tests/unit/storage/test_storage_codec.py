"""The allow-listed tagged JSON codec: what round-trips, what is refused, and what can never be built."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from botbuilder.core import StoreItem
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.dialogs.choices import Choice, ListStyle
from botbuilder.dialogs.prompts import PromptOptions
from botbuilder.schema import Activity, ActivityTypes, CardAction, ChannelAccount, InputHints, Mention
from botbuilder.schema.teams import TeamInfo

from storage.codec import StateCodec, default_registry
from storage.errors import SerializationError


@dataclass
class ApprovalDraft:
    """A project dataclass a dialog might keep in its state."""

    action: str
    replicas: int


def round_trip(value: Any, codec: StateCodec | None = None) -> Any:
    codec = codec or StateCodec()
    text = codec.dumps(value)
    json.loads(text)  # always valid JSON
    return codec.loads(text)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**70),
        1.5,
        "text with \x00 and é and 😀",
        [1, [2, [3]]],
        {"nested": {"list": [{"a": None}]}},
        {"$t": "looks like a tag", "v": 1},
        {1: "int key", (1, 2): "tuple key"},
        (1, "a", (2,)),
        {1, 2, 3},
        frozenset({"x"}),
        b"\x00\xffbytes",
        dt.datetime(2026, 11, 26, 9, 30, 1, 5, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, 9, 30),
        dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.date(2026, 11, 26),
        dt.time(9, 30),
        dt.timedelta(days=1, seconds=5, microseconds=7),
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ActivityTypes.message,
    ],
)
def test_plain_values_round_trip_exactly(value: Any) -> None:
    result = round_trip(value)
    assert result == value
    assert type(result) is type(value)


def test_dialog_stack_with_prompt_options_and_activities_round_trips() -> None:
    activity = Activity(
        type=ActivityTypes.message,
        text="Which node pool?",
        input_hint=InputHints.expecting_input,
        from_property=ChannelAccount(id="28:bot"),
        entities=[Mention(mentioned=ChannelAccount(id="28:bot", name="Switchboard"), text="<at>Switchboard</at>")],
    )
    options = PromptOptions(
        prompt=activity,
        choices=[Choice("system", action=CardAction(type="imBack", value="system"), synonyms=["sys"])],
        style=ListStyle.hero_card,
    )
    state = DialogState(
        [DialogInstance("main", {"stepIndex": 1, "values": {}}), DialogInstance("pick", {"options": options})]
    )

    restored = round_trip({"DialogState": state})["DialogState"]

    assert isinstance(restored, DialogState)
    assert [instance.id for instance in restored.dialog_stack] == ["main", "pick"]
    assert restored.dialog_stack[0].state == {"stepIndex": 1, "values": {}}
    prompt_options = restored.dialog_stack[1].state["options"]
    assert isinstance(prompt_options, PromptOptions)
    assert prompt_options.style is ListStyle.hero_card
    assert prompt_options.choices[0].action.value == "system"
    assert prompt_options.prompt.serialize() == activity.serialize()
    assert prompt_options.prompt.input_hint is InputHints.expecting_input
    assert isinstance(prompt_options.prompt.entities[0], Mention)  # Activity.serialize() would lose this


def test_teams_schema_models_and_store_items_are_allowed() -> None:
    team = round_trip(TeamInfo(id="19:team", name="Platform"))
    item = round_trip(StoreItem(counter=3))
    assert isinstance(team, TeamInfo)
    assert team.name == "Platform"
    assert isinstance(item, StoreItem)
    assert item.counter == 3


def test_default_registry_names_are_public_paths() -> None:
    registry = default_registry()
    assert registry.name_of(Activity) == "botbuilder.schema.Activity"
    assert registry.name_of(TeamInfo) == "botbuilder.schema.teams.TeamInfo"
    assert registry.name_of(DialogState) == "botbuilder.dialogs.DialogState"
    assert registry.resolve("os.system") is None


def test_types_outside_the_allow_list_are_refused_when_writing() -> None:
    with pytest.raises(SerializationError, match=r"ApprovalDraft.*allow-list"):
        StateCodec().dumps({"draft": ApprovalDraft("scale", 3)})


def test_extra_allowed_types_round_trip() -> None:
    codec = StateCodec(default_registry().with_types([ApprovalDraft]))
    assert round_trip({"draft": ApprovalDraft("scale", 3)}, codec)["draft"] == ApprovalDraft("scale", 3)


def test_self_referencing_values_are_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="refers to itself"):
        StateCodec().dumps(loop)


@pytest.mark.parametrize(
    "crafted",
    [
        {"$t": "object", "c": "os.system", "v": {}},
        {"$t": "object", "c": "subprocess.Popen", "v": {"args": "id"}},
        {"$t": "object", "c": "builtins.eval", "v": {}},
        {"$t": "object", "c": f"{__name__}.ApprovalDraft", "v": {"action": "x", "replicas": 1}},
        {"$t": "enum", "c": "subprocess.Popen", "v": "id"},
        {"$t": "enum", "c": "botbuilder.dialogs.DialogState", "v": 1},
        {"$t": "object", "c": "botbuilder.schema.ActivityTypes", "v": {}},
        {"$t": "object", "c": "botbuilder.dialogs.DialogState", "v": [1]},
        {"$t": "reduce", "v": ["os.system", ["id"]]},
        {"$t": "datetime", "v": "not a date"},
        {"$t": "dict", "v": [[[1], "unhashable key"]]},
        {"$t": "enum", "c": "botbuilder.schema.ActivityTypes", "v": "not-a-member"},
        {"a": [{"b": {"$t": "object", "c": "posix.system", "v": {}}}]},
    ],
)
def test_crafted_stored_values_fail_safely(crafted: Any) -> None:
    with pytest.raises(SerializationError):
        StateCodec().loads(json.dumps(crafted))


def test_an_allowed_class_is_rebuilt_without_running_its_constructor() -> None:
    built: list[str] = []

    class Noisy:
        def __init__(self) -> None:
            built.append("init")

    codec = StateCodec(default_registry().with_types([Noisy]))
    restored = codec.loads(codec.dumps(Noisy()))

    assert isinstance(restored, Noisy)
    assert built == ["init"]  # only the original construction, none while loading


def test_invalid_json_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError, match="not valid JSON"):
        StateCodec().loads("{")
