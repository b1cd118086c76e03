"""Operation ids: short, readable in chat, unambiguous when typed back.

Crockford's base32 alphabet (no I, L, O, U): ``7F3K``. Four characters give 32⁴ ≈ 1 million ids;
uniqueness is not assumed from randomness — the store inserts the operation and a taken id is
refused (409), and the caller draws another (:meth:`storage.operations.TableOperationStore.create`).
"""

from __future__ import annotations

import secrets

__all__ = ["OPERATION_ID_ALPHABET", "new_operation_id", "normalize_operation_id"]

OPERATION_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPED = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def new_operation_id(length: int = 4) -> str:
    """A random id of ``length`` (≥ 4) Crockford base32 characters, e.g. ``7F3K``."""
    if length < 4:
        raise ValueError(f"an operation id has at least 4 characters, got {length}")
    return "".join(secrets.choice(OPERATION_ID_ALPHABET) for _ in range(length))


def normalize_operation_id(typed: str) -> str | None:
    """The id a person typed (any case, ``O`` for ``0``, ``I``/``L`` for ``1``, dashes and spaces
    ignored), or None when it cannot be one."""
    text = typed.strip().upper().replace("-", "").replace(" ", "").translate(_TYPED)
    if len(text) < 4 or len(text) > 12 or any(c not in OPERATION_ID_ALPHABET for c in text):
        return None
    return text
