"""The operations domain: what an approved request becomes once it is queued for execution.

Pure types and rules, no I/O (the storage adapter, the queue and the worker live elsewhere):

- :class:`Operation`, :class:`OperationState` — one run of one action on one resource, its
  lifecycle (queued → running → succeeded | failed | timed out | cancelled) and the facts kept
  for the chat, the audit trail and undo (before-values, ARM correlation id);
- :mod:`operations.transitions` — the only ways an operation changes state (each returns a new
  record; the store writes it conditionally on the ETag it was read with);
- :func:`new_operation_id` — short ids people can type (``7F3K``, Crockford base32);
- :class:`OperationMessage` — the queue message that drives the worker (operation id + sequence);
- :func:`next_poll_delay` — when to check a running platform operation again.
"""

from operations.ids import OPERATION_ID_ALPHABET, new_operation_id, normalize_operation_id
from operations.messages import OperationMessage
from operations.model import TERMINAL_STATES, Operation, OperationState
from operations.polling import next_poll_delay
from operations.transitions import (
    IllegalTransition,
    cancel,
    fail,
    finish,
    mark_notified,
    record_intent,
    record_poll,
    release_hold,
    requeue,
    reschedule,
    time_out,
)

__all__ = [
    "OPERATION_ID_ALPHABET",
    "TERMINAL_STATES",
    "IllegalTransition",
    "Operation",
    "OperationMessage",
    "OperationState",
    "cancel",
    "fail",
    "finish",
    "mark_notified",
    "new_operation_id",
    "next_poll_delay",
    "normalize_operation_id",
    "record_intent",
    "record_poll",
    "release_hold",
    "requeue",
    "reschedule",
    "time_out",
]
