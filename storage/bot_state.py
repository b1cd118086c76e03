"""``TableBotStorage``: a botbuilder ``Storage`` on Azure Table Storage (one entity per key).

Semantics follow the SDK (``MemoryStorage`` and the storage contract tests):

* ``read`` returns only the keys that exist; several keys are read with parallel point reads.
* ``write`` takes the ETag from a dict's ``"e_tag"`` (or ``"eTag"``) entry or an object's ``e_tag``
  attribute. Missing, ``None`` or ``"*"`` means an unconditional write; any other value must match
  the stored item, else :class:`ConcurrencyConflictError` (also when the item was deleted meanwhile);
  ``""`` is refused with ``ValueError`` like the SDK storages do. After a write the item passed in
  carries its new ETag, so saving the same state twice in one turn does not conflict with itself;
  items read back always carry their ETag.
* ``delete`` of a missing key is not an error.

Each key is one entity written by a single upsert/replace, so a failed write leaves the old value.
The value is tagged JSON (:mod:`storage.codec`, allow-listed classes only) spread over
``chunk_0..n`` string properties; a value past the entity limit raises :class:`ValueTooLargeError`
before anything is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from botbuilder.core import Storage

from storage.chunks import (
    MAX_ENTITY_BYTES,
    MAX_PROPERTIES,
    MAX_STRING_UTF16_UNITS,
    chunk_properties,
    entity_size,
    join_chunks,
    property_count,
)
from storage.codec import TAG, StateCodec, TypeRegistry, default_registry
from storage.errors import (
    ConcurrencyConflictError,
    SerializationError,
    StorageError,
    ValueTooLargeError,
    translated,
)
from storage.keys import table_key, utf16_units

if TYPE_CHECKING:
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = ["TableBotStorage"]

_T = TypeVar("_T")
ROW_KEY = "state"
FORMAT = 1
_ETAG_FIELDS = ("e_tag", "eTag")


class TableBotStorage(Storage):
    """Bot state (conversation, user, private conversation) in one table.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table holding state entities (created on first use).
    :param allowed_types: extra plain-data classes that may appear in state, besides the default
        allow-list (dialog stack, prompt options, ``StoreItem``, botbuilder-schema models and enums).
    """

    def __init__(
        self,
        tables: TableProvider,
        *,
        table_name: str = "botstate",
        allowed_types: Iterable[type] = (),
    ) -> None:
        super().__init__()
        self._tables = tables
        self.table_name = table_name
        registry: TypeRegistry = default_registry().with_types(allowed_types)
        self._codec = StateCodec(registry)

    async def _table(self) -> TableClient:
        return await self._tables.table(self.table_name)

    # -- read -----------------------------------------------------------------------------
    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        """Read ``keys``; the result holds only the keys that exist."""
        if not keys:
            return {}
        unique = list(dict.fromkeys(keys))
        table = await self._table()
        values = await _gather_all(self._read_one(table, key) for key in unique)
        return {key: value for key, (found, value) in zip(unique, values, strict=True) if found}

    async def _read_one(self, table: TableClient, key: str) -> tuple[bool, Any]:
        from azure.core.exceptions import ResourceNotFoundError

        with translated("read", self.table_name):
            try:
                entity = await table.get_entity(table_key(key), ROW_KEY)
            except ResourceNotFoundError:  # a missing key is a normal outcome, not an error
                return False, None
        if entity.get("Key") != key:  # a hashed-key collision or a foreign entity: never hand it out
            raise StorageError(f"stored state in table '{self.table_name}' does not belong to the key read")
        if entity.get("Format") != FORMAT:
            raise SerializationError(f"stored state in table '{self.table_name}' has an unknown format")
        value = self._codec.loads(join_chunks(entity, entity.get("Chunks")))
        _set_etag(value, entity.get("EtagField") or None, entity.metadata["etag"])
        return True, value

    # -- write ----------------------------------------------------------------------------
    async def write(self, changes: dict[str, Any] | None) -> None:
        """Write ``changes`` (one entity per key), honouring each item's ETag."""
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        prepared = [(key, item, *self._prepare(key, item)) for key, item in changes.items()]
        table = await self._table()
        etags = await _gather_all(self._write_one(table, entity, etag) for _, _, entity, etag, _ in prepared)
        for (_, item, _, _, field), new_etag in zip(prepared, etags, strict=True):
            _set_etag(item, field, new_etag)

    def _prepare(self, key: str, item: Any) -> tuple[dict[str, Any], str | None, str | None]:
        """Build the entity for ``item``: (entity, etag condition or None, name of its ETag field)."""
        if not isinstance(key, str):
            raise ValueError(f"storage keys must be strings, not {type(key).__name__}")
        if utf16_units(key) > MAX_STRING_UTF16_UNITS:
            raise ValueError(f"storage key is too long ({utf16_units(key)} UTF-16 code units)")
        field, etag = _etag_of(item)
        if etag == "":
            raise ValueError(f"write of key {key!r} has an empty e_tag; use '*' or omit it to overwrite")
        tree = _strip_etag(self._codec.to_tree(item), field)
        entity: dict[str, Any] = {
            "PartitionKey": table_key(key),
            "RowKey": ROW_KEY,
            "Key": key,
            "Format": FORMAT,
            "EtagField": field or "",
        }
        chunks = chunk_properties(self._codec.tree_to_text(tree))
        entity["Chunks"] = len(chunks)
        entity.update(chunks)
        size = entity_size(entity)
        if size > MAX_ENTITY_BYTES or property_count(entity) > MAX_PROPERTIES:
            raise ValueTooLargeError(
                f"state for key {key!r} is {size:,} bytes as Table Storage counts it (UTF-16) in "
                f"{len(chunks)} chunks; the limit is {MAX_ENTITY_BYTES:,} bytes per entity "
                f"({MAX_PROPERTIES} properties). Nothing was written.",
                size=size,
                limit=MAX_ENTITY_BYTES,
            )
        return entity, (etag if etag and etag != "*" else None), field

    async def _write_one(self, table: TableClient, entity: dict[str, Any], etag: str | None) -> str:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceNotFoundError
        from azure.data.tables import UpdateMode

        if etag is None:
            with translated("write", self.table_name):
                result = await table.upsert_entity(entity, mode=UpdateMode.REPLACE)
        else:
            with translated("write", self.table_name):
                try:
                    result = await table.update_entity(
                        entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
                    )
                except ResourceNotFoundError as exc:
                    raise ConcurrencyConflictError(
                        f"Table storage write on table '{self.table_name}' failed: "
                        "the item was deleted since it was read"
                    ) from exc
        return str(result["etag"])

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, keys: Iterable[str]) -> None:
        """Delete ``keys``; missing keys are ignored."""
        if keys is None:
            raise ValueError("Keys are required when deleting")
        unique = list(dict.fromkeys(keys))
        if not unique:
            return
        table = await self._table()
        await _gather_all(self._delete_one(table, key) for key in unique)

    async def _delete_one(self, table: TableClient, key: str) -> None:
        with translated("delete", self.table_name):
            await table.delete_entity(table_key(key), ROW_KEY)  # a missing entity is not an error


def _etag_of(item: Any) -> tuple[str | None, str | None]:
    """(field name, etag) of an item: a dict's ``e_tag``/``eTag`` entry or an object's ``e_tag``."""
    if isinstance(item, dict):
        field = next((name for name in _ETAG_FIELDS if name in item), "e_tag")
        return field, item.get(field)
    if hasattr(item, "e_tag"):
        return "e_tag", item.e_tag
    return None, None


def _set_etag(item: Any, field: str | None, etag: str) -> None:
    if field is None:
        return
    if isinstance(item, dict):
        item[field] = etag
    elif hasattr(item, "__dict__"):
        item.e_tag = etag


def _strip_etag(tree: Any, field: str | None) -> Any:
    """Remove the ETag field from an encoded top-level dict or object (it lives in entity metadata)."""
    if field is None or not isinstance(tree, dict):
        return tree
    if TAG not in tree:
        return {name: value for name, value in tree.items() if name != field}
    if tree[TAG] == "object":
        return {**tree, "v": {name: value for name, value in tree["v"].items() if name != field}}
    if tree[TAG] == "dict":
        return {**tree, "v": [pair for pair in tree["v"] if pair[0] != field]}
    return tree


async def _gather_all(awaitables: Iterable[Awaitable[_T]]) -> list[_T]:
    """Run awaitables concurrently, let all finish, then raise the first failure (if any).

    A single awaitable (a turn's one point read) is awaited directly: the same outcome without
    ``gather`` wrapping it in a task that runs one event-loop iteration later.
    """
    pending = list(awaitables)
    if len(pending) == 1:
        return [await pending[0]]
    results = await asyncio.gather(*pending, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]
