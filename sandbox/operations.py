"""Asynchronous ARM operations: started by a mutating call, InProgress for a delay, then done.

An operation holds a lock on the resource it changes (``lock_key``): while it runs, a second
mutating call on that resource is answered 409 ``OperationNotAllowed``. Time is checked lazily:
the app calls :meth:`OperationStore.advance` before serving each ARM request, which finishes
every operation whose delay has passed and only then applies its change to the estate.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ArmError
from sandbox.estate import utc_timestamp

__all__ = ["FINAL_STATUSES", "IN_PROGRESS", "Operation", "OperationStore"]

IN_PROGRESS = "InProgress"
FINAL_STATUSES = ("Succeeded", "Failed", "Canceled")

Effect = Callable[[], None]


def _nothing() -> None:
    return None


@dataclass
class Operation:
    """One long-running operation and what to do to the estate when it ends."""

    id: str
    lock_key: str
    resource_id: str
    action: str
    subscription_id: str
    namespace: str
    location: str
    started_at: float
    due_at: float | None
    final_status: str = "Succeeded"
    on_success: Effect = _nothing
    on_end_without_success: Effect = _nothing
    status: str = IN_PROGRESS
    start_time: str = field(default_factory=utc_timestamp)
    end_time: str | None = None

    @property
    def done(self) -> bool:
        """True once the operation reached a final status."""
        return self.status != IN_PROGRESS

    def remaining(self, now: float) -> float | None:
        """Seconds until it ends (0 when due); None when it never ends."""
        if self.due_at is None:
            return None
        return max(0.0, self.due_at - now)

    def status_url_path(self) -> str:
        """Path of the ``Azure-AsyncOperation`` status resource."""
        return (
            f"/subscriptions/{self.subscription_id}/providers/{self.namespace}"
            f"/locations/{self.location}/operations/{self.id}"
        )

    def result_url_path(self) -> str:
        """Path of the ``Location`` (operation result) resource."""
        return (
            f"/subscriptions/{self.subscription_id}/providers/{self.namespace}"
            f"/locations/{self.location}/operationresults/{self.id}"
        )

    def status_body(self) -> dict[str, Any]:
        """The operation status resource as ARM returns it."""
        body: dict[str, Any] = {
            "id": self.status_url_path(),
            "name": self.id,
            "status": self.status,
            "startTime": self.start_time,
        }
        if self.end_time:
            body["endTime"] = self.end_time
        if self.status == "Failed":
            body["error"] = {
                "code": "SandboxInjectedFailure",
                "message": f"The '{self.action}' operation on '{self.resource_id}' failed (injected by the sandbox).",
            }
        elif self.status == "Canceled":
            body["error"] = {
                "code": "OperationCanceled",
                "message": f"The '{self.action}' operation on '{self.resource_id}' was canceled.",
            }
        return body

    def describe(self, now: float) -> dict[str, Any]:
        """A summary for the admin API."""
        return {
            "id": self.id,
            "resource_id": self.resource_id,
            "action": self.action,
            "status": self.status,
            "final_status": self.final_status,
            "never_completes": self.due_at is None,
            "remaining": self.remaining(now),
            "start_time": self.start_time,
            "end_time": self.end_time,
        }


class OperationStore:
    """All operations of one sandbox, with the per-resource locks they hold."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._operations: dict[str, Operation] = {}

    def now(self) -> float:
        """The store's clock (monotonic seconds)."""
        return self._clock()

    def running_on(self, lock_key: str) -> Operation | None:
        """The operation currently holding the lock on ``lock_key``, if any."""
        key = lock_key.lower()
        for operation in self._operations.values():
            if not operation.done and operation.lock_key == key:
                return operation
        return None

    def ensure_idle(self, lock_key: str) -> None:
        """Raise a 409 ``OperationNotAllowed`` when an operation runs on ``lock_key``."""
        running = self.running_on(lock_key)
        if running is not None:
            raise ArmError.not_allowed(
                f"Operation is not allowed: Another operation ({running.action}) is in progress, "
                "please wait for it to finish before starting a new operation."
            )

    def begin(
        self,
        *,
        lock_key: str,
        resource_id: str,
        action: str,
        subscription_id: str,
        namespace: str,
        location: str,
        delay: float | None,
        final_status: str = "Succeeded",
        on_success: Effect = _nothing,
        on_end_without_success: Effect = _nothing,
    ) -> Operation:
        """Start an operation holding ``lock_key``; it ends ``delay`` seconds from now (never if None).

        ``on_success`` applies the change when it succeeds; ``on_end_without_success`` runs
        instead when it ends Failed or Canceled.
        """
        if final_status not in FINAL_STATUSES:
            raise ValueError(f"final_status must be one of {FINAL_STATUSES}, not {final_status!r}")
        self.ensure_idle(lock_key)
        now = self._clock()
        operation = Operation(
            id=str(uuid.uuid4()),
            lock_key=lock_key.lower(),
            resource_id=resource_id,
            action=action,
            subscription_id=subscription_id,
            namespace=namespace,
            location=location,
            started_at=now,
            due_at=None if delay is None else now + max(0.0, delay),
            final_status=final_status,
            on_success=on_success,
            on_end_without_success=on_end_without_success,
        )
        self._operations[operation.id] = operation
        return operation

    def advance(self) -> None:
        """End every operation whose time has come, applying its effect on the estate."""
        now = self._clock()
        for operation in self._operations.values():
            if operation.done or operation.due_at is None or operation.due_at > now:
                continue
            operation.status = operation.final_status
            operation.end_time = utc_timestamp()
            if operation.status == "Succeeded":
                operation.on_success()
            else:
                operation.on_end_without_success()

    def finish_now(self) -> int:
        """End every running operation that has an end now, as if its delay had passed.

        Operations that never end (``never_complete``, an injected ``InProgress``) keep running.
        Returns how many ended. This is the sandbox's clock under a test's control: a test can
        give operations a long delay (so "in progress" is certain) and end them when it chooses.
        """
        now = self._clock()
        due = [op for op in self._operations.values() if not op.done and op.due_at is not None]
        for operation in due:
            operation.due_at = min(operation.due_at or now, now)
        self.advance()
        return len(due)

    def get(self, operation_id: str) -> Operation:
        """The operation with this id, or a 404 ``NotFound``."""
        found = self._operations.get(operation_id.lower())
        if found is None:
            raise ArmError(404, "NotFound", f"The operation '{operation_id}' could not be found.")
        return found

    def describe(self) -> list[dict[str, Any]]:
        """Every operation, oldest first, for the admin API."""
        now = self._clock()
        return [operation.describe(now) for operation in self._operations.values()]

    def clear(self) -> None:
        """Forget every operation (and release every lock)."""
        self._operations.clear()
