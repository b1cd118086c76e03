"""Typed storage errors, and the one place azure-core errors are translated into them.

Adapters wrap every service call in :func:`translated`; callers only ever see the
hierarchy below (or ``ValueError`` for bad input). Messages are written here from the
operation, the table and the service's status / error code — never from the text of
the underlying exception, so no URL, SAS token or connection string can leak into a
message. The original exception stays available as ``__cause__`` for logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "AlreadyExistsError",
    "ConcurrencyConflictError",
    "SerializationError",
    "StorageError",
    "StorageUnavailableError",
    "ValueTooLargeError",
    "translate",
    "translated",
]

# Service error codes that mean "this value does not fit" (Table Storage and Azurite).
_TOO_LARGE_CODES = frozenset({"EntityTooLarge", "PropertyValueTooLarge", "RequestBodyTooLarge"})


class StorageError(Exception):
    """A storage operation failed. Base class of every storage error."""


class StorageUnavailableError(StorageError):
    """The storage service could not be reached or did not answer in time (retrying later may help)."""


class ConcurrencyConflictError(StorageError):
    """Someone else changed the item since it was read (ETag mismatch), or it already exists."""


class AlreadyExistsError(ConcurrencyConflictError):
    """An insert found an item with the same keys (HTTP 409). Nothing was written or overwritten."""


class ValueTooLargeError(StorageError):
    """A value does not fit in one Table Storage entity. Nothing was written.

    ``size`` and ``limit`` are in bytes as Table Storage counts them (strings as UTF-16).
    """

    def __init__(self, message: str, *, size: int | None = None, limit: int | None = None) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class SerializationError(StorageError):
    """A value cannot be stored (type not allowed), or stored data cannot be read back safely."""


def translate(exc: BaseException, *, operation: str, table: str) -> BaseException:
    """Map an azure-core / network exception onto the storage hierarchy.

    Returns ``exc`` unchanged when it is not a storage failure (a programming error
    should surface as itself, not be disguised as a storage error).
    """
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceModifiedError,
        ServiceRequestError,
        ServiceResponseError,
    )

    where = f"Table storage {operation} on table '{table}'"
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return StorageUnavailableError(f"{where} failed: the storage service could not be reached or did not answer")
    if isinstance(exc, ResourceModifiedError):
        return ConcurrencyConflictError(f"{where} failed: the item was changed by someone else (ETag mismatch)")
    if isinstance(exc, ResourceExistsError):
        return AlreadyExistsError(f"{where} failed: the item already exists")
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return StorageError(f"{where} failed: no access token for storage (check the managed identity)")
    if isinstance(exc, HttpResponseError):
        return _from_status(where, exc.status_code, getattr(exc, "error_code", None))
    if isinstance(exc, AzureError):
        return StorageError(f"{where} failed ({type(exc).__name__})")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError | ConnectionError):
        return StorageUnavailableError(f"{where} failed: the storage service did not answer in time")
    if _is_aiohttp_error(exc):
        return StorageUnavailableError(f"{where} failed: the storage service could not be reached")
    return exc


def _from_status(where: str, status: int | None, code: object) -> StorageError:
    code = getattr(code, "value", code)  # azure-data-tables reports a TableErrorCode enum
    code_text = f", error code {code}" if code else ""
    detail = f"status {status}{code_text}"
    if status == 409:
        return AlreadyExistsError(f"{where} failed: the item already exists ({detail})")
    if status == 412:
        return ConcurrencyConflictError(f"{where} failed: the item was changed by someone else ({detail})")
    if status == 413 or (isinstance(code, str) and code in _TOO_LARGE_CODES):
        return ValueTooLargeError(f"{where} failed: the service refused the value as too large ({detail})")
    if status in (401, 403):
        return StorageError(f"{where} failed: not authorized ({detail}); check the storage role assignment")
    if status is not None and (status >= 500 or status in (408, 429)):
        return StorageUnavailableError(f"{where} failed: the storage service is unavailable ({detail})")
    return StorageError(f"{where} failed ({detail})")


def _is_aiohttp_error(exc: BaseException) -> bool:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - aiohttp is a runtime dependency
        return False
    return isinstance(exc, aiohttp.ClientError)


@contextmanager
def translated(operation: str, table: str) -> Iterator[None]:
    """Run a block and re-raise storage failures as :class:`StorageError` subclasses (``from`` the cause)."""
    try:
        yield
    except Exception as exc:
        mapped = translate(exc, operation=operation, table=table)
        if mapped is exc:
            raise
        raise mapped from exc
