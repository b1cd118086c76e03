"""Framework-neutral HTTP request and response values passed between hosts and the HTTP edge.

Hosts (the Azure Functions app, the dev host, tests) translate their own request
objects into :class:`EdgeRequest` and write :class:`EdgeResponse` back. This module
imports only the standard library, so ``import function_app`` stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EdgeRequest", "EdgeResponse"]

_JSON = "application/json; charset=utf-8"


@dataclass(frozen=True)
class EdgeRequest:
    """An HTTP request: method, headers (keys lower-cased) and the raw body."""

    method: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(
        cls, method: str, headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None, body: bytes = b""
    ) -> EdgeRequest:
        """Normalize the method to upper case and header names to lower case (last value wins)."""
        pairs = headers.items() if isinstance(headers, Mapping) else (headers or ())
        return cls(method=method.upper(), headers={str(k).lower(): str(v) for k, v in pairs}, body=body or b"")

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass(frozen=True)
class EdgeResponse:
    """An HTTP response: status, headers and the raw body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> EdgeResponse:
        """A JSON response; ``payload`` must already be JSON-serializable."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status=status, headers={"Content-Type": _JSON, **(headers or {})}, body=body)

    @classmethod
    def error(cls, status: int, code: str, message: str, **extra: str) -> EdgeResponse:
        """The small JSON error body every non-2xx answer carries: ``{"error": {"code", "message", ...}}``."""
        return cls.json(status, {"error": {"code": code, "message": message, **extra}})

    @classmethod
    def empty(cls, status: int = 200) -> EdgeResponse:
        return cls(status=status, headers={}, body=b"")

    @property
    def content_type(self) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == "content-type":
                return value
        return None

    def json_body(self) -> Any:
        """The body parsed as JSON (for tests and hosts)."""
        return json.loads(self.body) if self.body else None
