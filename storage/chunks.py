"""Spread a long string over several entity properties, and measure entities like Table Storage does.

Limits (Table Storage, and what Azurite enforces): a string property holds at most 32 Ki
UTF-16 code units (64 KiB); an entity is at most 1 MiB and has at most 252 properties of its
own (255 including PartitionKey, RowKey and Timestamp). Sizes are counted with the service's
published formula: ``4 + 2 * len(PartitionKey + RowKey)`` plus, for each property,
``8 + 2 * len(name)`` and the value (strings ``4 + 2 * UTF-16 units``, binary ``4 + bytes``,
Int32 4, Int64/Double/DateTime 8, GUID 16, bool 1).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from storage.errors import SerializationError
from storage.keys import utf16_units

__all__ = [
    "MAX_ENTITY_BYTES",
    "MAX_PROPERTIES",
    "MAX_STRING_UTF16_UNITS",
    "chunk_properties",
    "entity_size",
    "join_chunks",
    "property_count",
    "split_chunks",
]

MAX_STRING_UTF16_UNITS = 32 * 1024
MAX_ENTITY_BYTES = 1024 * 1024
MAX_PROPERTIES = 252
CHUNK_PREFIX = "chunk_"
_HIGH_SURROGATE = range(0xD800, 0xDC00)


def split_chunks(text: str, max_units: int = MAX_STRING_UTF16_UNITS) -> list[str]:
    """Split ``text`` into pieces of at most ``max_units`` UTF-16 code units, never inside a surrogate pair."""
    if max_units < 2:
        raise ValueError("max_units must be at least 2")
    data = text.encode("utf-16-le", "surrogatepass")
    step = max_units * 2
    chunks: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + step, len(data))
        if end < len(data):
            last_unit = int.from_bytes(data[end - 2 : end], "little")
            if last_unit in _HIGH_SURROGATE:
                end -= 2  # keep the pair together in the next chunk
        chunks.append(data[start:end].decode("utf-16-le", "surrogatepass"))
        start = end
    return chunks or [""]


def chunk_properties(text: str) -> dict[str, str]:
    """``{"chunk_0": …, "chunk_1": …}`` for ``text``."""
    return {f"{CHUNK_PREFIX}{index}": chunk for index, chunk in enumerate(split_chunks(text))}


def join_chunks(entity: Mapping[str, Any], count: object) -> str:
    """Reassemble the text stored by :func:`chunk_properties`; raises SerializationError if a chunk is missing."""
    if not isinstance(count, int) or count < 1:
        raise SerializationError("stored entity is malformed: bad chunk count")
    parts: list[str] = []
    for index in range(count):
        part = entity.get(f"{CHUNK_PREFIX}{index}")
        if not isinstance(part, str):
            raise SerializationError(f"stored entity is malformed: chunk {index} of {count} is missing")
        parts.append(part)
    return "".join(parts)


def entity_size(entity: Mapping[str, Any]) -> int:
    """Size of ``entity`` in bytes as Table Storage counts it (keys included)."""
    size = 4 + 2 * (utf16_units(str(entity.get("PartitionKey", ""))) + utf16_units(str(entity.get("RowKey", ""))))
    for name, value in entity.items():
        if name in ("PartitionKey", "RowKey"):
            continue
        size += 8 + 2 * utf16_units(name) + _value_size(value)
    return size


def property_count(entity: Mapping[str, Any]) -> int:
    """Number of the entity's own properties (PartitionKey and RowKey not counted)."""
    return sum(1 for name in entity if name not in ("PartitionKey", "RowKey"))


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return 4 + 2 * utf16_units(value)
    if isinstance(value, bytes):
        return 4 + len(value)
    if isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return 4 if -(2**31) <= value < 2**31 else 8
    if isinstance(value, float | dt.datetime):
        return 8
    if isinstance(value, uuid.UUID):
        return 16
    raise ValueError(f"unsupported entity property type {type(value).__name__}")
