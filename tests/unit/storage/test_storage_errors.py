"""Translation of azure-core and network errors onto the storage hierarchy, without leaking secrets."""

from __future__ import annotations

import aiohttp
import pytest
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ServiceRequestError,
    ServiceResponseError,
)

from storage.errors import (
    AlreadyExistsError,
    ConcurrencyConflictError,
    StorageError,
    StorageUnavailableError,
    ValueTooLargeError,
    translate,
    translated,
)

SECRET = "AccountKey=c2VjcmV0LWtleQ==;SharedAccessSignature=sig=abc"


class FakeResponse:
    """Just enough of an azure-core response for HttpResponseError."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.reason = "reason"
        self.headers: dict[str, str] = {}
        self.request = None

    def text(self, encoding: str | None = None) -> str:
        return f"body mentioning {SECRET}"


def http_error(status: int, code: str | None = None) -> HttpResponseError:
    message = f"failed at https://acct.table.core.windows.net/?{SECRET}"
    error = HttpResponseError(message=message, response=FakeResponse(status))
    error.error_code = code
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ServiceRequestError(f"cannot connect {SECRET}"), StorageUnavailableError),
        (ServiceResponseError(f"connection reset {SECRET}"), StorageUnavailableError),
        (http_error(503), StorageUnavailableError),
        (http_error(500), StorageUnavailableError),
        (http_error(429), StorageUnavailableError),
        (http_error(412, "UpdateConditionNotSatisfied"), ConcurrencyConflictError),
        (http_error(409, "EntityAlreadyExists"), AlreadyExistsError),
        (ResourceModifiedError(f"changed {SECRET}"), ConcurrencyConflictError),
        (ResourceExistsError(f"exists {SECRET}"), AlreadyExistsError),
        (http_error(413), ValueTooLargeError),
        (http_error(400, "PropertyValueTooLarge"), ValueTooLargeError),
        (http_error(400, "EntityTooLarge"), ValueTooLargeError),
        (http_error(403, "AuthorizationPermissionMismatch"), StorageError),
        (http_error(400, "InvalidInput"), StorageError),
        (ClientAuthenticationError(f"no token {SECRET}"), StorageError),
        (AzureError(f"other {SECRET}"), StorageError),
        (TimeoutError(), StorageUnavailableError),
        (ConnectionResetError(), StorageUnavailableError),
        (aiohttp.ClientConnectionError(SECRET), StorageUnavailableError),
    ],
)
def test_errors_map_onto_the_hierarchy_without_secrets(error: BaseException, expected: type[StorageError]) -> None:
    mapped = translate(error, operation="write", table="botstate")

    assert type(mapped) is expected
    assert "botstate" in str(mapped)
    assert "AccountKey" not in str(mapped)
    assert "sig=" not in str(mapped)


def test_programming_errors_are_not_disguised() -> None:
    error = KeyError("x")
    assert translate(error, operation="read", table="t") is error
    with pytest.raises(KeyError), translated("read", "t"):
        raise error


def test_translated_chains_the_cause() -> None:
    cause = ServiceRequestError("down")
    with pytest.raises(StorageUnavailableError) as caught, translated("read", "botstate"):
        raise cause
    assert caught.value.__cause__ is cause


def test_error_codes_reported_as_enums_are_shown_as_text() -> None:
    from azure.data.tables import TableErrorCode

    error = http_error(400)
    error.error_code = TableErrorCode.INVALID_INPUT
    assert "error code InvalidInput" in str(translate(error, operation="write", table="t"))


def test_an_existing_item_is_a_kind_of_conflict() -> None:
    # Callers that only care about "someone else got there first" keep catching ConcurrencyConflictError.
    assert issubclass(AlreadyExistsError, ConcurrencyConflictError)
    assert type(translate(http_error(412), operation="write", table="t")) is ConcurrencyConflictError
