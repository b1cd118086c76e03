"""The queue message that drives the worker: which operation, and which step of it.

``{"op": "7F3K", "seq": 3}`` as UTF-8 JSON (the queue client base64-encodes it, as the Functions
host expects). ``seq`` is the operation's step counter when the message was sent: the worker
acts on a message only when it equals the stored operation's ``seq``, so a duplicated,
redelivered or superseded message is recognised and dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["OPERATIONS_POISON_QUEUE", "OPERATIONS_QUEUE", "OperationMessage"]

OPERATIONS_QUEUE = "switchboard-operations"
"""The Storage queue the worker's messages travel on (``function_app.py``'s queue function)."""
OPERATIONS_POISON_QUEUE = f"{OPERATIONS_QUEUE}-poison"
"""Where the Functions host moves a message after ``maxDequeueCount`` failed attempts."""

_MAX_BYTES = 1024


@dataclass(frozen=True)
class OperationMessage:
    """One queue message: the operation id and its step (``seq``)."""

    operation_id: str
    seq: int

    def encode(self) -> str:
        """The message text (JSON)."""
        return json.dumps({"op": self.operation_id, "seq": self.seq}, separators=(",", ":"))

    @classmethod
    def decode(cls, body: bytes | str) -> OperationMessage:
        """Parse a message body; ValueError naming the problem when it is not one of ours."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if len(raw) > _MAX_BYTES:
            raise ValueError(f"an operation message is at most {_MAX_BYTES} bytes, got {len(raw)}")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError("an operation message is UTF-8 JSON") from None
        if not isinstance(data, dict):
            raise ValueError("an operation message is a JSON object")
        operation_id, seq = data.get("op"), data.get("seq")
        if not isinstance(operation_id, str) or not operation_id or len(operation_id) > 32:
            raise ValueError("an operation message needs an operation id ('op')")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError("an operation message needs a step number ('seq' ≥ 0)")
        return cls(operation_id, seq)
