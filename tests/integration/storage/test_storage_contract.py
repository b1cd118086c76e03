"""The botbuilder Storage contract, run against MemoryStorage (the SDK's reference) and TableBotStorage.

Everything here is behaviour the SDK defines, so both implementations must pass the same
assertions; Table-specific behaviour lives in test_storage_table_bot_state.py.
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from botbuilder.core import ConversationState, MessageFactory, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    Dialog,
    DialogSet,
    DialogTurnStatus,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptValidatorContext

from tests.support.table_storage import SimpleStoreItem, StorageUnderTest

# Every character Table Storage forbids in keys, '%' (the escape character), and what Teams ids contain.
FORBIDDEN = ["/", "\\", "#", "?", "%", *map(chr, range(0x00, 0x20)), *map(chr, range(0x7F, 0xA0))]
TEAMS_KEYS = [
    "msteams/conversations/19:abc123@thread.tacv2;messageid=1700000000000/",
    "msteams/users/29:1AbCdEfGh-IjKlMnOp_QrS",
    "msteams/conversations/a:1Xy-z_0;messageid=42/29:1AbC",
    "team-id;messageid=1764126000000",
    "!@#$%^&*()_+??><\":QASD~`",
    "emoji 😀 and é and 中文",
    "",
]


async def test_write_then_read_round_trip(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"item": {"id": 1, "nested": {"list": [1, "two", 3.5, None, True]}}})

    result = await storage.read(["item"])

    assert result["item"]["id"] == 1
    assert result["item"]["nested"] == {"list": [1, "two", 3.5, None, True]}


async def test_read_of_missing_keys_returns_only_found_keys(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"present": {"id": 1}})

    assert await storage.read(["unknown"]) == {}
    result = await storage.read(["unknown", "present", "also-unknown"])
    assert list(result) == ["present"]
    assert await storage.read([]) == {}
    assert await storage.read(None) == {}  # type: ignore[arg-type]


async def test_read_of_several_keys_in_one_call(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({f"batch{i}": {"count": i * 10} for i in range(1, 6)})

    result = await storage.read([f"batch{i}" for i in range(1, 6)])

    assert {key: value["count"] for key, value in result.items()} == {f"batch{i}": i * 10 for i in range(1, 6)}


async def test_write_of_nothing_is_fine_and_none_is_refused(under_test: StorageUnderTest) -> None:
    await under_test.storage.write({})
    await under_test.storage.write([])  # type: ignore[arg-type]  # the SDK's contract tests pass a list
    with pytest.raises(Exception, match="Changes are required when writing"):
        await under_test.storage.write(None)  # type: ignore[arg-type]


async def test_item_written_with_wildcard_etag_reads_back_with_an_etag(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"createPoco": {"id": 1}, "createPocoStoreItem": {"id": 2, "e_tag": "*"}})

    result = await storage.read(["createPoco", "createPocoStoreItem"])

    assert result["createPoco"]["id"] == 1
    assert result["createPocoStoreItem"]["id"] == 2
    assert result["createPocoStoreItem"]["e_tag"]


async def _two_writes_then_read(under_test: StorageUnderTest, key: str) -> dict:
    """Write twice with '*' and read: from then on both implementations hand out a real, matching ETag."""
    await under_test.storage.write({key: {"count": 1, "e_tag": "*"}})
    await under_test.storage.write({key: {"count": 1, "e_tag": "*"}})
    return (await under_test.storage.read([key]))[key]


async def test_update_with_current_etag_succeeds_and_changes_the_etag(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    loaded = copy.deepcopy(await _two_writes_then_read(under_test, "update"))
    first_etag = loaded["e_tag"]
    assert first_etag not in (None, "", "*")

    loaded["count"] = 2
    await storage.write({"update": loaded})

    reloaded = (await storage.read(["update"]))["update"]
    assert reloaded["count"] == 2
    assert reloaded["e_tag"] != first_etag


async def test_stale_etag_is_a_conflict_and_keeps_the_winner(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    loaded = await _two_writes_then_read(under_test, "contested")
    first, second = copy.deepcopy(loaded), copy.deepcopy(loaded)  # two turns read the same version

    first["count"] = 10
    await storage.write({"contested": first})
    second["count"] = 20
    with pytest.raises(under_test.conflict_error):
        await storage.write({"contested": second})

    assert (await storage.read(["contested"]))["contested"]["count"] == 10


async def test_wildcard_etag_overwrites_whatever_is_stored(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    loaded = await _two_writes_then_read(under_test, "wild")
    stale = copy.deepcopy(loaded)
    loaded["count"] = 5
    await storage.write({"wild": loaded})

    stale["count"] = 99
    stale["e_tag"] = "*"
    await storage.write({"wild": stale})

    assert (await storage.read(["wild"]))["wild"]["count"] == 99


async def test_missing_or_none_etag_writes_unconditionally(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"plain": {"count": 1}})
    await storage.write({"plain": {"count": 2}})
    await storage.write({"plain": {"count": 3, "e_tag": None}})

    assert (await storage.read(["plain"]))["plain"]["count"] == 3


async def test_empty_etag_is_refused_and_nothing_is_written(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"empty": {"count": 1, "e_tag": "*"}})

    with pytest.raises(under_test.empty_etag_error):
        await storage.write({"empty": {"count": 2, "e_tag": ""}})

    assert (await storage.read(["empty"]))["empty"]["count"] == 1


async def test_store_item_objects_round_trip(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"user": SimpleStoreItem(counter=1)})
    await storage.write({"user": SimpleStoreItem(counter=10, e_tag="*")})

    item = (await storage.read(["user"]))["user"]

    assert isinstance(item, SimpleStoreItem)
    assert item.counter == 10
    assert item.e_tag


async def test_delete_removes_and_missing_keys_are_fine(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    await storage.write({"delete1": {"id": 1, "e_tag": "*"}, "keep": {"id": 2}})

    await storage.delete(["delete1", "never-written"])
    await storage.delete(["unknown_key"])

    result = await storage.read(["delete1", "keep"])
    assert list(result) == ["keep"]
    assert result["keep"]["id"] == 2


async def test_keys_with_forbidden_and_teams_characters_do_not_collide(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    keys = [f"a{char}b" for char in FORBIDDEN] + TEAMS_KEYS
    # Keys that differ only in what escaping produces must stay distinct.
    keys += ["a%2Fb", "a%252Fb", "a%25b", "a%%b", "a%u0000b", "%~abc", "%7E"]
    assert len(set(keys)) == len(keys)

    await storage.write({key: {"key": key} for key in keys})
    result = await storage.read(keys)

    assert sorted(result) == sorted(keys)
    assert all(result[key]["key"] == key for key in keys)
    await storage.delete(["a/b"])
    remaining = await storage.read(keys)
    assert sorted(remaining) == sorted(key for key in keys if key != "a/b")


@pytest.mark.parametrize("length", [511, 512, 513, 1024, 5000])
async def test_long_keys_round_trip_and_stay_distinct(under_test: StorageUnderTest, length: int) -> None:
    storage = under_test.storage
    base = "k" * (length - 1)
    keys = [base + "1", base + "2", "/" * length]

    await storage.write({key: {"n": index} for index, key in enumerate(keys)})
    result = await storage.read(keys)

    assert [result[key]["n"] for key in keys] == [0, 1, 2]


async def test_large_value_spanning_several_properties_round_trips(under_test: StorageUnderTest) -> None:
    storage = under_test.storage
    # ~300,000 UTF-16 code units with non-BMP characters (surrogate pairs) placed across chunk boundaries.
    text = ("x" * 32_767 + "😀") * 9
    value = {"text": text, "items": [{"i": i, "s": "é" * 50} for i in range(100)]}

    await storage.write({"large": value})
    result = (await storage.read(["large"]))["large"]

    assert result["text"] == text
    assert result["items"] == value["items"]


async def test_dialog_state_survives_a_waterfall_across_turns(under_test: StorageUnderTest) -> None:
    convo_state = ConversationState(under_test.storage)
    dialogs = DialogSet(convo_state.create_property("DialogState"))
    started = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)

    async def name_is_long_enough(prompt_context: PromptValidatorContext) -> bool:
        if len(prompt_context.recognized.value) > 3:
            return True
        await prompt_context.context.send_activity(f"Too short ({prompt_context.options.number_of_attempts})")
        return False

    async def ask_name(step: WaterfallStepContext) -> DialogTurnStatus:
        step.values["started"] = started
        prompt = MessageFactory.text("What is your name?")
        return await step.prompt("name", PromptOptions(prompt=prompt, retry_prompt=MessageFactory.text("Again?")))

    async def ask_confirm(step: WaterfallStepContext) -> DialogTurnStatus:
        step.values["name"] = step.result
        await step.context.send_activity(f"Hello {step.result}")
        return Dialog.end_of_turn

    async def finish(step: WaterfallStepContext) -> DialogTurnStatus:
        assert step.values["started"] == started  # a datetime survived storage between turns
        await step.context.send_activity(f"Done, {step.values['name']}")
        return await step.end_dialog(step.values["name"])

    dialogs.add(WaterfallDialog("main", [ask_name, ask_confirm, finish]))
    dialogs.add(TextPrompt("name", name_is_long_enough))

    async def turn(context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("main")
        await convo_state.save_changes(context)

    adapter = TestAdapter(turn)
    flow = await adapter.send("hi")
    flow = await flow.assert_reply("What is your name?")
    flow = await flow.send("Al")
    flow = await flow.assert_reply("Too short (0)")
    flow = await flow.send("Bo")
    flow = await flow.assert_reply("Too short (1)")  # the attempt count survived storage too
    flow = await flow.send("Alexandra")
    flow = await flow.assert_reply("Hello Alexandra")
    flow = await flow.send("next")
    flow = await flow.assert_reply("Done, Alexandra")
    flow = await flow.send("hi again")
    await flow.assert_reply("What is your name?")
