"""Fault injection: rules that make matching ARM requests fail, slow down, or never finish.

A rule matches on HTTP method (or ``*``) and a case-insensitive substring of the path, and
affects the next ``times`` matching requests (every one when ``times`` is None). It can:

- answer ``status`` with an ARM error body (and ``Retry-After: retry_after``);
- wait ``delay`` seconds before answering (slow response), with or without ``status``;
- pass the request through but make the long-running operation it starts end with
  ``operation_status`` ("InProgress" = never ends, "Failed", "Canceled").
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.errors import ArmError, default_error_code
from sandbox.operations import IN_PROGRESS

__all__ = ["Fault", "FaultTable", "parse_fault"]

_METHODS = {"GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "*"}
_OPERATION_STATUSES = (IN_PROGRESS, "Failed", "Canceled")
_KNOWN_KEYS = {
    "method",
    "path_contains",
    "status",
    "retry_after",
    "delay",
    "times",
    "operation_status",
    "error_code",
    "message",
}


@dataclass
class Fault:
    """One fault rule and how many more requests it affects (None: unlimited)."""

    id: str
    method: str = "*"
    path_contains: str = ""
    status: int | None = None
    retry_after: int | None = None
    delay: float | None = None
    remaining: int | None = 1
    operation_status: str | None = None
    error_code: str | None = None
    message: str | None = None
    hits: int = 0
    held: int = 0  # requests waiting out this rule's delay right now

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to a request with this method and path."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method != "*" and self.method != method.upper():
            return False
        return self.path_contains.lower() in path.lower()

    def error(self) -> ArmError:
        """The ARM error this rule answers with (only meaningful when ``status`` is set)."""
        status = self.status or 500
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        message = self.message or f"Fault injected by the ARM sandbox (fault {self.id})."
        return ArmError(status, self.error_code or default_error_code(status), message, headers=headers)

    def describe(self) -> dict[str, Any]:
        """The rule as the admin API shows it."""
        return {
            "id": self.id,
            "method": self.method,
            "path_contains": self.path_contains,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "remaining": self.remaining,
            "operation_status": self.operation_status,
            "error_code": self.error_code,
            "message": self.message,
            "hits": self.hits,
            "held": self.held,
        }


def parse_fault(fault_id: str, spec: Mapping[str, Any]) -> Fault:
    """Validate a fault spec from the admin API; raises ``ValueError`` saying what is wrong."""
    unknown = set(spec) - _KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}; known: {sorted(_KNOWN_KEYS)}")
    method = str(spec.get("method", "*")).upper()
    if method not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}")
    status = _optional_int(spec, "status")
    if status is not None and not 400 <= status <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    retry_after = _optional_int(spec, "retry_after")
    if retry_after is not None and retry_after < 0:
        raise ValueError("retry_after must be >= 0 seconds")
    delay = _optional_float(spec, "delay")
    if delay is not None and delay < 0:
        raise ValueError("delay must be >= 0 seconds")
    times: int | None = 1
    if "times" in spec:
        times = _optional_int(spec, "times")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or null for every matching request")
    operation_status = spec.get("operation_status")
    if operation_status is not None and operation_status not in _OPERATION_STATUSES:
        raise ValueError('operation_status must be "InProgress" (never ends), "Failed" or "Canceled"')
    if status is None and delay is None and operation_status is None:
        raise ValueError("a fault needs at least one of status, delay or operation_status")
    if status is not None and operation_status is not None:
        raise ValueError("status and operation_status exclude each other: a failed request starts no operation")
    return Fault(
        id=fault_id,
        method=method,
        path_contains=str(spec.get("path_contains", "")),
        status=status,
        retry_after=retry_after,
        delay=delay,
        remaining=times,
        operation_status=operation_status,
        error_code=_optional_str(spec, "error_code"),
        message=_optional_str(spec, "message"),
    )


def _optional_int(spec: Mapping[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ValueError(f"{key} must be an integer")
    return int(value)


def _optional_float(spec: Mapping[str, Any], key: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number of seconds")
    return float(value)


def _optional_str(spec: Mapping[str, Any], key: str) -> str | None:
    value = spec.get(key)
    return None if value is None else str(value)


class FaultTable:
    """The active fault rules, first added first matched."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: Mapping[str, Any]) -> Fault:
        """Validate and add a rule; returns it (its ``id`` names it in the request log)."""
        fault = parse_fault(f"fault-{next(self._ids)}", spec)
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first rule matching this request, counting the hit; None when none matches."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def remove(self, fault_id: str) -> bool:
        """Remove one rule; False when there was no such rule."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if f.id != fault_id]
        return len(self._faults) != before

    def clear(self) -> int:
        """Remove every rule; returns how many there were."""
        count = len(self._faults)
        self._faults.clear()
        return count

    def describe(self) -> list[dict[str, Any]]:
        """Every rule (spent ones too) for the admin API."""
        return [fault.describe() for fault in self._faults]
