"""Map arbitrary string keys onto valid Table Storage PartitionKey / RowKey values.

Table Storage forbids ``/ \\ # ?`` and the control characters U+0000-U+001F and
U+007F-U+009F in keys, and limits a key to 1 KiB (512 UTF-16 code units). Bot Framework
keys (``msteams/conversations/19:…@thread.tacv2;messageid=…/``) contain several of these.

Escaping is percent-style and reversible: each forbidden character and ``%`` itself
becomes ``%XX`` (two upper-case hex digits); a lone surrogate becomes ``%uXXXX``. So two
different keys never escape to the same value. A key whose escaped form is longer than the
limit is replaced by ``%~`` + its SHA-256 (hex): a raw ``%`` never appears in an escaped key
except before two hex digits or ``u``, so hashed keys cannot collide with escaped ones.
Adapters keep the original key in a property, so a hashed key can still be shown and checked.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["MAX_KEY_UTF16_UNITS", "escape_key", "table_key", "unescape_key", "utf16_units"]

MAX_KEY_UTF16_UNITS = 512  # 1 KiB of UTF-16
_HASHED_PREFIX = "%~"
_FORBIDDEN = re.compile("[%/\\\\#?\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ESCAPE = re.compile("%(?:([0-9A-F]{2})|u([0-9A-F]{4}))")


def utf16_units(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, which is how Table Storage measures strings."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"%{code:02X}" if code <= 0xFF else f"%u{code:04X}"


def escape_key(key: str) -> str:
    """Escape the characters Table Storage forbids in keys (and ``%``). Deterministic and reversible."""
    if not isinstance(key, str):
        raise ValueError(f"storage keys must be strings, not {type(key).__name__}")
    return _FORBIDDEN.sub(_escape_char, key)


def unescape_key(escaped: str) -> str:
    """Invert :func:`escape_key`. Raises ``ValueError`` for a hashed key or malformed input."""
    if escaped.startswith(_HASHED_PREFIX):
        raise ValueError("a hashed key cannot be unescaped; read the original key from the entity")
    if "%" in _ESCAPE.sub("", escaped):
        raise ValueError("malformed escaped key: '%' not followed by an escape sequence")
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), escaped)


def table_key(key: str) -> str:
    """The PartitionKey/RowKey value for ``key``: escaped, or hashed when the escaped form is too long."""
    escaped = escape_key(key)
    if utf16_units(escaped) <= MAX_KEY_UTF16_UNITS:
        return escaped
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return _HASHED_PREFIX + digest
