"""Pure text redaction: secrets at every level, message text above DEBUG.

These functions never raise and are idempotent: redacting redacted text changes nothing,
so a record that passes through several handlers is cleaned the same way each time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["REDACTED", "TEXT_OMITTED", "redact", "scrub_message_text"]

REDACTED = "[REDACTED]"
TEXT_OMITTED = "[text omitted]"

# A value that is already a redaction marker is left alone (idempotence).
_NOT_DONE = r"(?!\[REDACTED|\[text omitted)"

# Keys whose values are secrets wherever they appear as ``key=value``, ``key: value`` or ``"key": "value"``.
_SECRET_KEYS = (
    r"[\w.-]*?(?:password|passwd|pwd|secret|token|api[_-]?key|account[_-]?key"
    r"|functions[_-]key|subscription[_-]key|client[_-]?assertion)"
)

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization / Proxy-Authorization header values, whatever the scheme.
    (
        re.compile(r"(?i)(?P<key>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*+[\"']?+)" + _NOT_DONE + r"[^\"'\r\n,;}]+"),
        r"\g<key>" + REDACTED,
    ),
    # Bearer tokens anywhere else (real tokens are long; "Bearer token authentication ..." is prose).
    (re.compile(r"(?i)\b(?P<key>bearer\s++)" + _NOT_DONE + r"[A-Za-z0-9\-._~+/]{12,}=*"), r"\g<key>" + REDACTED),
    # JWTs (base64url of '{"' starts every JOSE header): one, two or three segments.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,2}"), REDACTED),
    # Connection-string secrets: the value runs to the next ';' (a SAS token contains '&').
    (
        re.compile(
            r"(?i)\b(?P<key>AccountKey|SharedAccessKey|SharedAccessSignature|InstrumentationKey)="
            + _NOT_DONE
            + r"[^;\s\"']+"
        ),
        r"\g<key>=" + REDACTED,
    ),
    # SAS signatures and Functions keys in URLs.
    (re.compile(r"(?i)(?P<key>[?&](?:sig|code)=)" + _NOT_DONE + r"[^&\s\"'#]+"), r"\g<key>" + REDACTED),
    # Credentials in URLs: scheme://user:password@host
    (
        re.compile(r"(?i)\b(?P<key>[a-z][a-z0-9+.-]*://[^/\s:@\"']+:)" + _NOT_DONE + r"[^/\s@\"']+@"),
        r"\g<key>" + REDACTED + "@",
    ),
    # password=..., "client_secret": "...", access_token: ..., MicrosoftAppPassword=...
    (
        re.compile(
            r"(?i)(?P<key>\b"
            + _SECRET_KEYS
            + r"[\"']?\s*[:=]\s*+)"
            + _NOT_DONE
            + r"(?:\"[^\"]*\"|'[^']*'|[^\s\"',;&}\])]+)"
        ),
        r"\g<key>" + REDACTED,
    ),
)

# Cheap pre-check so ordinary log lines skip the rules entirely.
_MAYBE_SECRET = re.compile(r"(?i)authorization|bearer|eyJ|key|sig|code=|secret|passw|pwd|token|assertion|://[^/\s]*@")

# ``'text': '...'``, ``text="..."`` as they appear in reprs of activities and dicts.
_TEXT_FIELD = re.compile(
    r"(?i)(?P<key>[\"']?\b(?:text|speak)[\"']?\s*[:=]\s*+)" + _NOT_DONE + r"(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
)


def redact(text: str) -> str:
    """Return ``text`` with tokens, keys, signatures and passwords replaced by ``[REDACTED]``."""
    if not _MAYBE_SECRET.search(text):
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def scrub_message_text(text: str, known_texts: Iterable[str] = ()) -> str:
    """Remove user message text: ``text=``/``'text':`` fields and any of ``known_texts`` verbatim."""
    text = _TEXT_FIELD.sub(r"\g<key>" + TEXT_OMITTED, text)
    for known in known_texts:
        if known in text:
            text = text.replace(known, TEXT_OMITTED)
    return text
