"""Scopes: ARM resource id prefixes, compared as ARM compares ids.

A scope is ``/`` (everything), a subscription (``/subscriptions/S``), a resource group
(``/subscriptions/S/resourceGroups/RG``) or any longer resource id prefix. Matching is on whole
path segments and case-insensitive: ``/subscriptions/S/resourceGroups/rg-prod`` covers
``/subscriptions/s/resourcegroups/RG-PROD/providers/…`` but never ``…/rg-production``.

Normalization (:func:`scope_segments`), applied to both sides before comparing:

- the text is split on ``/`` first, then each segment is percent-decoded **once**: ``rg%2Dprod``
  is ``rg-prod``; ``%2F`` inside a segment stays inside that segment (it never makes a new one);
  ``%252D`` decodes to the literal ``%2D``, not to ``-``;
- empty segments (``//``, a trailing ``/``) are dropped;
- ``.`` and ``..`` segments, control characters, text not starting with ``/``, a first
  segment other than ``subscriptions`` and an odd number of segments (a type without its name)
  are refused with :class:`ScopeError` (ARM has no such ids; accepting them could let a path
  climb out of its scope);
- segments are compared lower-cased.

:func:`scope_key` is the canonical text of a scope (lower-case, each segment re-encoded), the
form stores key rows by; :func:`scope_chain` lists the keys of every scope that can cover a
resource, from ``/`` down to the resource itself, so a store reads exactly those rows.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote, unquote

__all__ = [
    "ROOT_SCOPE",
    "ScopeError",
    "covers",
    "is_valid_scope",
    "scope_chain",
    "scope_depth",
    "scope_key",
    "scope_segments",
]

ROOT_SCOPE = "/"
"""The scope that covers every resource (for the first administrator)."""

_MAX_SCOPE_LENGTH = 2048
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SAFE = "-._~!$&'()*+,;=:@"  # re-encoding keeps these; everything else (incl. "/" and "%") is %XX


class ScopeError(ValueError):
    """The text is not a scope (or resource id) Switchboard can compare; the message says why."""


def scope_segments(text: str) -> tuple[str, ...]:
    """The normalized (decoded once, lower-cased, non-empty) path segments of a scope or resource id.

    ``()`` is the root scope ``/``. Raises :class:`ScopeError` for text that is not an ARM path.
    """
    if not isinstance(text, str):
        raise ScopeError("A scope must be text.")
    value = text.strip()
    if not value.startswith("/"):
        raise ScopeError(f"A scope starts with /subscriptions/… (or is / for everything), got {value[:80]!r}.")
    if len(value) > _MAX_SCOPE_LENGTH:
        raise ScopeError(f"A scope is at most {_MAX_SCOPE_LENGTH} characters long.")
    segments: list[str] = []
    for raw in value.split("/"):
        if not raw:
            continue
        segment = unquote(raw, errors="strict")
        if _CONTROL.search(segment):
            raise ScopeError("A scope cannot contain control characters.")
        if segment in (".", ".."):
            raise ScopeError("A scope cannot contain '.' or '..' segments.")
        if not segment.strip():
            raise ScopeError("A scope cannot contain blank segments.")
        segments.append(segment.lower())
    if segments and segments[0] != "subscriptions":
        raise ScopeError(f"A scope starts with /subscriptions/… (or is / for everything), got {value[:80]!r}.")
    if len(segments) % 2:
        raise ScopeError(
            "A scope alternates a type and a name (/subscriptions/{id}/resourceGroups/{name}/…); "
            f"{value[:80]!r} ends with a type and no name."
        )
    return tuple(segments)


@lru_cache(maxsize=8192)
def _safe_segments(text: str) -> tuple[str, ...]:
    # Cached: a decision compares the same grant scopes and resource id many times (pure, so safe to memoize).
    try:
        return scope_segments(text)
    except (ScopeError, UnicodeDecodeError) as exc:
        if isinstance(exc, ScopeError):
            raise
        raise ScopeError("A scope contains a percent-encoded sequence that is not UTF-8.") from None


def is_valid_scope(text: str) -> bool:
    """Whether ``text`` is a scope :func:`scope_segments` accepts."""
    try:
        _safe_segments(text)
    except ScopeError:
        return False
    return True


def _key(segments: tuple[str, ...]) -> str:
    return "/" + "/".join(quote(segment, safe=_SAFE) for segment in segments)


def scope_key(text: str) -> str:
    """The canonical text of a scope: ``/`` or ``/subscriptions/s/resourcegroups/rg…``.

    Two scopes ARM treats as the same have the same key; different ones never do (each segment
    is re-encoded, so a decoded ``/`` cannot pose as a separator). Raises :class:`ScopeError`.
    """
    return _key(_safe_segments(text))


def scope_depth(text: str) -> int:
    """Number of segments of the scope (0 for ``/``): larger is more specific. Raises :class:`ScopeError`."""
    return len(_safe_segments(text))


def covers(scope: str, resource_id: str) -> bool:
    """Whether ``scope`` covers ``resource_id``: its segments are a prefix of the resource's.

    False (never an error) when either side is not a valid scope: an unreadable scope covers nothing.
    """
    try:
        outer, inner = _safe_segments(scope), _safe_segments(resource_id)
    except ScopeError:
        return False
    return inner[: len(outer)] == outer


def scope_chain(resource_id: str) -> tuple[str, ...]:
    """Keys of every scope that covers ``resource_id``, from ``/`` to the resource itself.

    Scopes alternate type and name segments, so the covering scopes that can hold a grant,
    approver rule or freeze are the even-length prefixes (``/subscriptions/s``,
    ``…/resourcegroups/rg``, ``…/providers/ns``, ``…/type/name``, …). Raises :class:`ScopeError`.
    """
    segments = _safe_segments(resource_id)
    return tuple(_key(segments[:length]) for length in range(0, len(segments) + 1, 2))
