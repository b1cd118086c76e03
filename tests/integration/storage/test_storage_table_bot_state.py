"""TableBotStorage behaviour beyond the SDK contract: ETags handed back, layout, limits, safety, failures."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from typing import Any

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogInstance, DialogSet, DialogState, DialogTurnStatus, PromptOptions, TextPrompt
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, Mention

from storage import (
    ConcurrencyConflictError,
    SerializationError,
    StorageUnavailableError,
    TableBotStorage,
    TableProvider,
    ValueTooLargeError,
)
from storage.bot_state import ROW_KEY
from storage.chunks import MAX_ENTITY_BYTES, MAX_STRING_UTF16_UNITS
from storage.keys import table_key, utf16_units
from tests.support.table_storage import (
    ACCOUNT_KEY,
    FAST,
    RecordingTransport,
    SimpleStoreItem,
    unreachable_connection_string,
)


@pytest.fixture
def table_name(unique_name: str) -> str:
    return f"state{unique_name}"


@pytest.fixture
def bot_storage(tables: TableProvider, table_name: str) -> TableBotStorage:
    return TableBotStorage(tables, table_name=table_name, allowed_types=[SimpleStoreItem])


async def raw_entity(tables: TableProvider, table_name: str, key: str) -> dict[str, Any]:
    client = await tables.table(table_name)
    return dict(await client.get_entity(table_key(key), ROW_KEY))


# -- ETags ------------------------------------------------------------------------------------
async def test_written_items_carry_their_new_etag(bot_storage: TableBotStorage) -> None:
    item = {"count": 1}
    store_item = SimpleStoreItem(counter=1)

    await bot_storage.write({"dict": item, "object": store_item})

    stored = await bot_storage.read(["dict", "object"])
    assert item["e_tag"] == stored["dict"]["e_tag"]
    assert store_item.e_tag == stored["object"].e_tag
    assert item["e_tag"].startswith('W/"datetime')


async def test_saving_twice_in_one_turn_does_not_conflict_with_itself(bot_storage: TableBotStorage) -> None:
    await bot_storage.write({"state": {"count": 0}})
    loaded = (await bot_storage.read(["state"]))["state"]

    loaded["count"] = 1
    await bot_storage.write({"state": loaded})  # etag condition: the version read
    loaded["count"] = 2
    await bot_storage.write({"state": loaded})  # etag condition: the version this writer just wrote

    assert (await bot_storage.read(["state"]))["state"]["count"] == 2


async def test_camel_case_etag_field_is_honoured(bot_storage: TableBotStorage) -> None:
    await bot_storage.write({"camel": {"count": 1, "eTag": "*"}})
    loaded = (await bot_storage.read(["camel"]))["camel"]
    assert "e_tag" not in loaded
    stale = dict(loaded)

    loaded["count"] = 2
    await bot_storage.write({"camel": loaded})
    stale["count"] = 3
    with pytest.raises(ConcurrencyConflictError):
        await bot_storage.write({"camel": stale})

    assert (await bot_storage.read(["camel"]))["camel"]["count"] == 2


async def test_conditional_write_of_a_deleted_item_is_a_conflict(bot_storage: TableBotStorage) -> None:
    await bot_storage.write({"gone": {"count": 1}})
    loaded = (await bot_storage.read(["gone"]))["gone"]
    await bot_storage.delete(["gone"])

    with pytest.raises(ConcurrencyConflictError, match="deleted"):
        await bot_storage.write({"gone": loaded})
    assert await bot_storage.read(["gone"]) == {}


async def test_conversation_state_conflict_between_two_turns(bot_storage: TableBotStorage) -> None:
    """Two turns of one conversation load the same state; the second save loses instead of overwriting."""
    await bot_storage.write({"conv": {"turns": 0}})
    first = (await bot_storage.read(["conv"]))["conv"]
    second = (await bot_storage.read(["conv"]))["conv"]

    first["turns"] = 1
    await bot_storage.write({"conv": first})
    second["turns"] = 100
    with pytest.raises(ConcurrencyConflictError) as caught:
        await bot_storage.write({"conv": second})

    assert caught.value.__cause__ is not None  # raised from the azure-core error
    assert (await bot_storage.read(["conv"]))["conv"]["turns"] == 1


# -- layout and limits -------------------------------------------------------------------------
async def test_keys_are_escaped_into_partition_keys(
    bot_storage: TableBotStorage, tables: TableProvider, table_name: str
) -> None:
    key = "msteams/conversations/19:abc@thread.tacv2;messageid=17#x?\x01%/"
    await bot_storage.write({key: {"n": 1}})

    entity = await raw_entity(tables, table_name, key)

    assert entity["PartitionKey"] == "msteams%2Fconversations%2F19:abc@thread.tacv2;messageid=17%23x%3F%01%25%2F"
    assert entity["Key"] == key


async def test_long_keys_are_hashed_and_keep_the_original(
    bot_storage: TableBotStorage, tables: TableProvider, table_name: str
) -> None:
    key = "msteams/conversations/" + "x" * 600
    await bot_storage.write({key: {"n": 1}})

    entity = await raw_entity(tables, table_name, key)

    assert entity["PartitionKey"].startswith("%~")
    assert len(entity["PartitionKey"]) == 2 + 64
    assert entity["Key"] == key
    assert (await bot_storage.read([key]))[key]["n"] == 1


async def test_large_values_are_split_into_string_chunks_within_the_property_limit(
    bot_storage: TableBotStorage, tables: TableProvider, table_name: str
) -> None:
    text = ("y" * 32_767 + "😀") * 5  # a surrogate pair straddles each 32 Ki boundary
    await bot_storage.write({"big": {"text": text}})

    entity = await raw_entity(tables, table_name, "big")

    chunks = [entity[f"chunk_{i}"] for i in range(entity["Chunks"])]
    assert entity["Chunks"] >= 6
    assert all(utf16_units(chunk) <= MAX_STRING_UTF16_UNITS for chunk in chunks)
    assert json.loads("".join(chunks))["text"] == text
    assert (await bot_storage.read(["big"]))["big"]["text"] == text


async def test_value_past_the_entity_limit_is_refused_and_nothing_is_written(bot_storage: TableBotStorage) -> None:
    await bot_storage.write({"huge": {"text": "old"}, "other": {"n": 1}})
    too_big = {"text": "z" * 600_000}  # 600,000 UTF-16 code units = about 1.2 MB as Table Storage counts

    with pytest.raises(ValueTooLargeError) as caught:
        await bot_storage.write({"other": {"n": 2}, "huge": too_big})

    message = str(caught.value)
    assert "1,048,576" in message
    assert f"{caught.value.size:,}" in message
    assert caught.value.size is not None
    assert caught.value.size > MAX_ENTITY_BYTES
    stored = await bot_storage.read(["huge", "other"])
    assert stored["huge"]["text"] == "old"
    assert stored["other"]["n"] == 1  # the whole write was refused before anything was sent


async def test_value_just_under_the_limit_is_stored(bot_storage: TableBotStorage) -> None:
    value = {"text": "q" * 515_000}  # ~1,030,000 bytes as Table Storage counts, in 16 chunks

    await bot_storage.write({"edge": value})

    assert (await bot_storage.read(["edge"]))["edge"]["text"] == value["text"]


async def test_several_keys_are_read_with_parallel_point_reads(storage_connection_string: str, table_name: str) -> None:
    transport = RecordingTransport(connection_timeout=2, read_timeout=10)
    provider = TableProvider(connection_string=storage_connection_string, options=FAST, transport=transport)
    try:
        storage = TableBotStorage(provider, table_name=table_name)
        keys = [f"k/{i}" for i in range(6)]
        await storage.write({key: {"i": i} for i, key in enumerate(keys)})
        transport.requests.clear()
        transport.max_in_flight = 0

        result = await storage.read([*keys, "missing"])

        assert sorted(result) == sorted(keys)
        assert len(transport.requests) == len(keys) + 1  # one round trip per key
        assert all(method == "GET" for method, _ in transport.requests)
        assert all("PartitionKey=" in url and "$filter" not in url for _, url in transport.requests)
        assert transport.max_in_flight > 1
    finally:
        await provider.close()


# -- serialization --------------------------------------------------------------------------------
async def test_botbuilder_models_enums_and_datetimes_round_trip(bot_storage: TableBotStorage) -> None:
    when = dt.datetime(2026, 11, 26, 10, 0, 5, 123000, tzinfo=dt.UTC)
    activity = Activity(
        type=ActivityTypes.message,
        text="<at>Switchboard</at> scale",
        timestamp=when,
        entities=[Mention(mentioned=ChannelAccount(id="28:bot", name="Switchboard"), text="<at>Switchboard</at>")],
    )
    state = DialogState([DialogInstance("main", {"options": PromptOptions(prompt=activity), "at": when})])

    await bot_storage.write({"models": {"DialogState": state, "when": when, "pair": (1, "a"), "ids": {1: "x"}}})
    loaded = (await bot_storage.read(["models"]))["models"]

    restored = loaded["DialogState"]
    assert isinstance(restored, DialogState)
    instance = restored.dialog_stack[0]
    assert isinstance(instance, DialogInstance)
    assert instance.id == "main"
    prompt = instance.state["options"].prompt
    assert isinstance(prompt, Activity)
    assert prompt.type is ActivityTypes.message
    assert prompt.timestamp == when
    assert isinstance(prompt.entities[0], Mention)
    assert prompt.entities[0].mentioned.name == "Switchboard"
    assert loaded["when"] == when
    assert loaded["pair"] == (1, "a")
    assert loaded["ids"] == {1: "x"}


async def test_dialog_state_is_stored_as_tagged_json(
    bot_storage: TableBotStorage, tables: TableProvider, table_name: str
) -> None:
    convo_state = ConversationState(bot_storage)
    dialogs = DialogSet(convo_state.create_property("DialogState"))
    dialogs.add(TextPrompt("ask"))

    keys: list[str] = []

    async def turn(context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.prompt("ask", PromptOptions(prompt=MessageFactory.text("Which cluster?")))
        await convo_state.save_changes(context)
        keys.append(convo_state.get_storage_key(context))

    adapter = TestAdapter(turn)
    await (await adapter.send("hi")).assert_reply("Which cluster?")

    entity = await raw_entity(tables, table_name, keys[0])
    text = "".join(entity[f"chunk_{i}"] for i in range(entity["Chunks"]))
    assert '"c":"botbuilder.dialogs.DialogState"' in text
    assert '"c":"botbuilder.dialogs.prompts.PromptOptions"' in text
    assert "py/object" not in text


class Trap:
    """Constructing this (by any means) records it: crafted stored data must never do so."""

    built: list[str] = []

    def __new__(cls, *args: object, **kwargs: object) -> Trap:
        cls.built.append("new")
        return super().__new__(cls)

    def __init__(self, *args: object, **kwargs: object) -> None:
        Trap.built.append("init")


CRAFTED = [
    {"$t": "object", "c": "os.system", "v": {}},
    {"$t": "object", "c": "subprocess.Popen", "v": {"args": ["touch", "/tmp/pwned"]}},
    {"$t": "object", "c": "builtins.eval", "v": {}},
    {"$t": "enum", "c": "subprocess.Popen", "v": ["id"]},
    {"$t": "object", "c": f"{Trap.__module__}.{Trap.__qualname__}", "v": {}},
    {"outer": [{"$t": "object", "c": "posix.system", "v": {"command": "id"}}]},
    {"$t": "reduce", "v": ["os.system", ["id"]]},
    {"$t": "enum", "c": "botbuilder.dialogs.DialogState", "v": 1},
]


@pytest.mark.parametrize("payload", CRAFTED, ids=lambda p: json.dumps(p)[:40])
async def test_crafted_entities_cannot_instantiate_arbitrary_classes(
    bot_storage: TableBotStorage,
    tables: TableProvider,
    table_name: str,
    payload: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda *a, **k: calls.append("os.system"))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append("Popen"))
    Trap.built.clear()
    client = await tables.table(table_name)
    await client.upsert_entity({
        "PartitionKey": table_key("crafted"), "RowKey": ROW_KEY, "Key": "crafted", "Format": 1,
        "EtagField": "e_tag", "Chunks": 1, "chunk_0": json.dumps(payload),
    })  # fmt: skip

    with pytest.raises(SerializationError, match=r"not in the storage allow-list|not an enum|unknown tag"):
        await bot_storage.read(["crafted"])

    assert calls == []
    assert Trap.built == []


async def test_jsonpickle_style_payloads_stay_inert_data(
    bot_storage: TableBotStorage, tables: TableProvider, table_name: str
) -> None:
    client = await tables.table(table_name)
    payload = {"py/object": "subprocess.Popen", "py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["id"]}]}
    await client.upsert_entity({
        "PartitionKey": table_key("pickled"), "RowKey": ROW_KEY, "Key": "pickled", "Format": 1,
        "EtagField": "e_tag", "Chunks": 1, "chunk_0": json.dumps(payload),
    })  # fmt: skip

    loaded = (await bot_storage.read(["pickled"]))["pickled"]

    assert loaded["py/object"] == "subprocess.Popen"  # just a string in a dict
    assert loaded["py/reduce"][0] == {"py/function": "os.system"}


async def test_values_of_types_not_allowed_are_refused_before_writing(bot_storage: TableBotStorage) -> None:
    class NotAllowed:
        pass

    with pytest.raises(SerializationError, match="not in the storage allow-list"):
        await bot_storage.write({"bad": {"thing": NotAllowed()}})
    assert await bot_storage.read(["bad"]) == {}


async def test_corrupt_entities_fail_with_a_storage_error(
    bot_storage: TableBotStorage, tables: TableProvider, table_name: str
) -> None:
    client = await tables.table(table_name)
    base = {"RowKey": ROW_KEY, "Format": 1, "EtagField": "e_tag"}
    await client.upsert_entity({**base, "PartitionKey": "missingchunk", "Key": "missingchunk", "Chunks": 2,
                                "chunk_0": "{"})  # fmt: skip
    await client.upsert_entity({**base, "PartitionKey": "notjson", "Key": "notjson", "Chunks": 1, "chunk_0": "{"})

    with pytest.raises(SerializationError, match="chunk 1 of 2 is missing"):
        await bot_storage.read(["missingchunk"])
    with pytest.raises(SerializationError, match="not valid JSON"):
        await bot_storage.read(["notjson"])


# -- failures --------------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["read", "write", "delete"])
async def test_unreachable_storage_raises_unavailable_quickly(operation: str, refused_port: int) -> None:
    connection_string = unreachable_connection_string(refused_port)
    transport = RecordingTransport()
    provider = TableProvider(connection_string=connection_string, options=FAST, transport=transport)
    storage = TableBotStorage(provider, table_name="botstate")
    calls = {
        "read": lambda: storage.read(["k"]),
        "write": lambda: storage.write({"k": {"n": 1}}),
        "delete": lambda: storage.delete(["k"]),
    }
    try:
        with pytest.raises(StorageUnavailableError) as caught:
            await calls[operation]()
    finally:
        await provider.close()

    assert [method for method, _ in transport.requests] == ["POST"]  # one attempt (create table), no waiting, no retry
    assert ACCOUNT_KEY not in str(caught.value)
    assert "AccountKey" not in str(caught.value)
    assert caught.value.__cause__ is not None
