"""Calling Azure Resource Manager from an action: error translation and non-blocking long-running calls.

- :func:`read` wraps a read (a GET or a list) and turns any SDK error into a user-facing
  :class:`ActionError`.
- :func:`begin` sends the first request of a long-running operation and returns
  ``Progress(RUNNING)`` with the poller's continuation token (or ``SUCCEEDED`` when Azure
  finished at once).
- :func:`act` does a change that Azure completes in one request (``SUCCEEDED`` at once).
- :func:`resume` rebuilds the poller from a continuation token, checks the status **once**
  (one status request, never a wait) and maps it to :class:`Progress`.

Errors the user can act on are raised as :class:`ActionError`: 404 (not found), 409 (another
operation is running), 403 (the bot's identity lacks a role), 429 once the SDK's retries are
spent. Failures of the platform (5xx after the SDK's retries, an operation ending Failed, an
unreachable endpoint) come back as ``Progress(FAILED)`` with a short message and a reference;
the details are logged with the same reference and never shown. A *status check* that fails
after an operation was accepted is not a failure of the operation: it comes back as
``Progress(UNKNOWN)`` (the operation may still be running or done), also with a reference.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from actions.spec import ActionError, Progress, ProgressState

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.polling import AsyncLROPoller

__all__ = [
    "act",
    "begin",
    "ensure_idle",
    "failure_progress",
    "read",
    "resume",
    "text_of",
    "unknown_progress",
    "user_error",
]

_log = logging.getLogger(__name__)

T = TypeVar("T")

_TERMINAL = {"succeeded", "failed", "canceled", ""}


def text_of(value: Any) -> str:
    """The text of an SDK field that may be an enum member (``AgentPoolMode.SYSTEM`` -> ``System``)."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _reference() -> str:
    return uuid.uuid4().hex[:12]


def _status_of(exc: BaseException) -> int | None:
    from azure.core.exceptions import HttpResponseError

    if isinstance(exc, HttpResponseError):
        return exc.status_code
    return None


def _arm_code(exc: BaseException) -> str | None:
    """The ARM error code (a short identifier such as ``QuotaExceeded``), if any: safe to show."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if isinstance(code, str) and code.isalnum() and len(code) <= 64:
        return code
    return None


def user_error(exc: BaseException, target: str) -> ActionError | None:
    """The user-facing error for an SDK error the user can act on; None for platform failures."""
    status = _status_of(exc)
    if status == 404:
        return ActionError(f"{target} was not found. Check the name; it may have been deleted or renamed.")
    if status == 409:
        return ActionError(f"Another operation is running on {target}; try again when it finishes.")
    if status == 403:
        return ActionError(
            f"Switchboard's Azure identity is not allowed to do this on {target}. "
            "Ask the platform team to check its role assignments."
        )
    if status == 429:
        return ActionError(f"Azure is throttling requests for {target}; try again in a minute.")
    return None


def _log_failure(exc: BaseException, target: str, doing: str) -> str:
    reference = _reference()
    _log.error(
        "Azure call failed: %s %s (reference %s, status %s, code %s)",
        doing,
        target,
        reference,
        _status_of(exc),
        _arm_code(exc),
        exc_info=exc,
        extra={"reference": reference},
    )
    return reference


def failure_progress(exc: BaseException, target: str, doing: str) -> Progress:
    """``Progress(FAILED)`` for a platform failure: short message with a reference; details logged."""
    reference = _log_failure(exc, target, doing)
    code = _arm_code(exc)
    reason = f" ({code})" if code and _status_of(exc) not in (None, 500, 502, 503, 504) else ""
    return Progress(
        ProgressState.FAILED,
        f"Azure could not {doing} {target}{reason}. Reference {reference}: try again later, and give the "
        "platform team this reference if it keeps failing.",
        details={"reference": reference},
    )


def unknown_progress(exc: BaseException, target: str, doing: str) -> Progress:
    """``Progress(UNKNOWN)``: the operation was accepted but Azure did not say where it stands.

    Short message with a reference (details logged); the operation may still be running or done.
    """
    reference = _log_failure(exc, target, f"check the status of the operation to {doing}")
    return Progress(
        ProgressState.UNKNOWN,
        f"Azure did not say whether it managed to {doing} {target} (reference {reference}): it may still be "
        f"working on it, or be done. Check {target} before trying again.",
        details={"reference": reference},
    )


def _is_sdk_error(exc: BaseException) -> bool:
    """Errors raised by azure-core and the SDKs (a malformed continuation token raises ValueError)."""
    from azure.core.exceptions import AzureError
    from azure.core.polling.base_polling import BadResponse, BadStatus, OperationFailed

    return isinstance(exc, AzureError | BadStatus | BadResponse | OperationFailed | ValueError)


async def read(call: Awaitable[T], target: str, *, not_found: ActionError | None = None) -> T:
    """Await a read (GET or list) and raise :class:`ActionError` for any SDK error.

    ``not_found`` replaces the generic not-found error (e.g. a :class:`ParameterError` naming
    the parameter to correct).
    """
    try:
        return await call
    except Exception as exc:
        if not _is_sdk_error(exc):
            raise
        if not_found is not None and _status_of(exc) == 404:
            raise not_found from exc
        error = user_error(exc, target)
        if error is not None:
            raise error from exc
        reference = _log_failure(exc, target, "read")
        raise ActionError(
            f"Azure could not be asked about {target} right now. Reference {reference}: try again in a minute."
        ) from exc


async def act(call: Awaitable[Any], *, target: str, doing: str, succeeded: str) -> Progress:
    """A synchronous change (e.g. a web app restart): ``SUCCEEDED`` when it returns, errors translated."""
    try:
        await call
    except Exception as exc:
        if not _is_sdk_error(exc):
            raise
        error = user_error(exc, target)
        if error is not None:
            raise error from exc
        return failure_progress(exc, target, doing)
    return Progress(ProgressState.SUCCEEDED, succeeded)


async def begin(
    call: Awaitable[AsyncLROPoller[Any]], *, target: str, doing: str, running: str, succeeded: str
) -> Progress:
    """Send the first request of a long-running operation (``begin_*``) and report where it stands."""
    try:
        poller = await call
    except Exception as exc:
        if not _is_sdk_error(exc):
            raise
        error = user_error(exc, target)
        if error is not None:
            raise error from exc
        return failure_progress(exc, target, doing)
    if poller.polling_method().finished():
        return await _finish(poller, target=target, doing=doing, succeeded=succeeded)
    return Progress(ProgressState.RUNNING, running, continuation_token=poller.continuation_token())


async def resume(
    call: Awaitable[AsyncLROPoller[Any]], *, target: str, doing: str, running: str, succeeded: str
) -> Progress:
    """Rebuild a poller from its continuation token (``begin_*(..., continuation_token=t)``), check once."""
    try:
        poller = await call
        method: Any = poller.polling_method()  # AsyncARMPolling: one status request per update_status()
        if not method.finished():
            await method.update_status()
        if not method.finished():
            return Progress(ProgressState.RUNNING, running, continuation_token=poller.continuation_token())
    except Exception as exc:
        if not _is_sdk_error(exc):
            raise
        return unknown_progress(exc, target, doing)  # the status request failed, not the operation
    return await _finish(poller, target=target, doing=doing, succeeded=succeeded)


async def _finish(poller: AsyncLROPoller[Any], *, target: str, doing: str, succeeded: str) -> Progress:
    """The poller reached a terminal status: collect the result (raises when the operation failed).

    An operation that ended Failed or Canceled is ``FAILED``; an error reading the final result of
    one that did not (the final GET) is ``UNKNOWN``.
    """
    try:
        await poller.result()
    except Exception as exc:
        if not _is_sdk_error(exc):
            raise
        if _operation_status(poller) in ("failed", "canceled", "cancelled"):
            return failure_progress(exc, target, doing)
        return unknown_progress(exc, target, doing)
    return Progress(ProgressState.SUCCEEDED, succeeded)


def _operation_status(poller: AsyncLROPoller[Any]) -> str:
    """The operation's last known status, lower case ("" when the poller cannot tell)."""
    try:
        return text_of(poller.polling_method().status()).lower()
    except Exception:  # a poller that never got a status
        return ""


def ensure_idle(target: str, provisioning_state: Any) -> None:
    """Refuse when Azure reports an operation in flight on the target (e.g. ``Scaling``, ``Starting``)."""
    state = text_of(provisioning_state)
    if state.lower() not in _TERMINAL:
        raise ActionError(
            f"Another operation is running on {target} (it is {state.lower()}); try again when it finishes."
        )
