"""What the guardrail stores share: row keys, domain errors, parallel reads, time-ordered row keys.

Every guardrail table holds a few *row families*, told apart by a prefix of the PartitionKey
(``grant|…``, ``principal|…``, ``scope|…``): one family holds the record, the others are
copies or pointers keyed the way a reader needs them. :func:`partition` escapes the whole key
with :func:`storage.keys.table_key`, so ARM ids (slashes, percent signs, unicode) become valid,
distinct keys.

Errors: the service's are translated at the adapter (:func:`store_errors`) into the ports'
:class:`~guardrails.ports.RecordConflict` (409 exists / 412 ETag), :class:`~guardrails.ports.StoreUnavailable`
(unreachable, timed out, 5xx) or :class:`~guardrails.ports.StoreError`, chained to the storage error
and logged once at WARNING with the operation and table (never the service's text).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from guardrails.ports import RecordConflict, RecordNotFound, StoreError, StoreUnavailable
from storage.errors import ConcurrencyConflictError, StorageError, StorageUnavailableError, translate
from storage.keys import MAX_KEY_UTF16_UNITS, escape_key, table_key, utf16_units

if TYPE_CHECKING:  # pragma: no cover
    from azure.data.tables.aio import TableClient

    from storage.tables import TableProvider

__all__ = [
    "GuardrailTable", "entity_etag", "family_filter", "gather_all", "newest_first_key", "partition", "store_errors",
]

_log = logging.getLogger("switchboard.storage.guardrails")
_T = TypeVar("_T")

_MAX_MICROS = 10**19 - 1  # 19 digits: later than any datetime (year 9999 is ~2.5e17 µs)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def partition(family: str, value: str) -> str:
    """The PartitionKey of ``value`` in row family ``family``: ``family|`` + the escaped value.

    The value is escaped like :func:`storage.keys.table_key`, and replaced by ``%~`` + its SHA-256
    when the whole key would exceed Table Storage's 1 KiB, so the family prefix always stays (a
    range query over one family finds every row of it).
    """
    prefix = f"{family}|"
    escaped = escape_key(value)
    if utf16_units(prefix) + utf16_units(escaped) <= MAX_KEY_UTF16_UNITS:
        return prefix + escaped
    return prefix + "%~" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def family_filter(family: str) -> str:
    """An OData filter for every PartitionKey of row family ``family`` (a range, for export only)."""
    return f"PartitionKey ge '{family}|' and PartitionKey lt '{family}}}'"


def newest_first_key(moment: datetime, unique: str) -> str:
    """A RowKey that sorts later moments first (inverted microseconds), then by ``unique`` (escaped)."""
    micros = (moment - _EPOCH) // _ONE_MICRO
    return f"{_MAX_MICROS - micros:019d}|{table_key(unique)}"


_ONE_MICRO = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - _EPOCH


class GuardrailTable:
    """The base of the guardrail stores: one table of the process's provider, opened on first use.

    :param tables: the process's :class:`~storage.tables.TableProvider`.
    :param table_name: the table; default: the store's :attr:`DEFAULT_TABLE`.
    """

    DEFAULT_TABLE = ""

    def __init__(self, tables: TableProvider, *, table_name: str | None = None) -> None:
        self._tables = tables
        self.table_name = table_name or self.DEFAULT_TABLE

    async def _table(self) -> TableClient:
        with store_errors("open", self.table_name):
            return await self._tables.table(self.table_name)


@contextmanager
def store_errors(operation: str, table: str) -> Iterator[None]:
    """Re-raise service failures of the block as the guardrail ports' errors (``from`` the storage error)."""
    try:
        yield
    except (RecordConflict, StoreError):
        raise
    except Exception as exc:
        from azure.core.exceptions import ResourceNotFoundError

        if isinstance(exc, ResourceNotFoundError):
            raise RecordNotFound(f"{operation}: the record does not exist (any more)") from exc
        mapped = translate(exc, operation=operation, table=table)
        if not isinstance(mapped, StorageError):
            raise
        if mapped is not exc:
            mapped.__cause__ = exc  # the service's error, for the logs
        if isinstance(mapped, ConcurrencyConflictError):
            raise RecordConflict(str(mapped)) from mapped
        _log.warning("%s", mapped)
        if isinstance(mapped, StorageUnavailableError):
            raise StoreUnavailable(str(mapped)) from mapped
        raise StoreError(str(mapped)) from mapped


async def gather_all(awaitables: Iterable[Awaitable[_T]]) -> list[_T]:
    """Run awaitables concurrently, let all finish, then raise the first failure (if any)."""
    pending = list(awaitables)
    if len(pending) == 1:
        return [await pending[0]]
    results = await asyncio.gather(*pending, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def entity_etag(entity: Any) -> str:
    """The ETag of an entity returned by a read."""
    return str(entity.metadata["etag"])
