"""Chunking long strings for string properties, and entity sizes as Table Storage counts them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from storage.chunks import chunk_properties, entity_size, join_chunks, property_count, split_chunks
from storage.errors import SerializationError
from storage.keys import utf16_units


@pytest.mark.parametrize(
    "text",
    ["", "short", "a" * 32_768, "a" * 32_769, "😀" * 40_000, ("x" * 32_767 + "😀") * 3, "é" * 100_000],
)
def test_split_respects_the_limit_and_rejoins(text: str) -> None:
    chunks = split_chunks(text)

    assert "".join(chunks) == text
    assert all(utf16_units(chunk) <= 32_768 for chunk in chunks)
    for chunk in chunks:
        chunk.encode("utf-16-le")  # strict: raises if a chunk holds half a surrogate pair


def test_split_sizes() -> None:
    assert len(split_chunks("a" * 32_768)) == 1
    assert len(split_chunks("a" * 32_769)) == 2
    assert [utf16_units(c) for c in split_chunks("x" * 32_767 + "😀")] == [32_767, 2]


def test_chunk_properties_and_join() -> None:
    properties = chunk_properties("b" * 70_000)
    assert list(properties) == ["chunk_0", "chunk_1", "chunk_2"]
    assert join_chunks(properties, 3) == "b" * 70_000
    with pytest.raises(SerializationError, match="chunk 3 of 4 is missing"):
        join_chunks(properties, 4)
    with pytest.raises(SerializationError, match="chunk count"):
        join_chunks(properties, None)


def test_entity_size_follows_the_service_formula() -> None:
    entity = {
        "PartitionKey": "pk",  # 2 chars
        "RowKey": "state",  # 5 chars
        "Key": "abc",  # 8 + 2*3 + (4 + 2*3)
        "Count": 1,  # 8 + 2*5 + 4
        "Big": 2**40,  # 8 + 2*3 + 8
        "Flag": True,  # 8 + 2*4 + 1
        "When": dt.datetime(2026, 1, 1),  # 8 + 2*4 + 8
        "Ratio": 0.5,  # 8 + 2*5 + 8
        "Id": uuid.uuid4(),  # 8 + 2*2 + 16
        "Blob": b"1234",  # 8 + 2*4 + (4 + 4)
        "Emoji": "😀",  # 8 + 2*5 + (4 + 2*2)
    }
    expected = 4 + 2 * 7 + 24 + 22 + 22 + 17 + 24 + 26 + 28 + 24 + 26
    assert entity_size(entity) == expected
    assert property_count(entity) == 9


def test_unknown_property_types_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        entity_size({"x": object()})
