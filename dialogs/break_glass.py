"""``--break-glass "reason"`` on a typed command: taken off the command before it is parsed.

``scale node pool aks-prod np1 to 5 --break-glass "checkout is down"`` asks to skip approval and
any change freeze for this one request, on the record (docs/security.md): the guardrails approve
it only for someone holding a break-glass grant for the resource, and tell the scope's approvers
at once. The reason is required; the option may stand anywhere after the action's words.
"""

from __future__ import annotations

import shlex

__all__ = ["BREAK_GLASS_OPTION", "BreakGlassError", "split_break_glass"]

BREAK_GLASS_OPTION = "--break-glass"
_MAX_REASON = 500


class BreakGlassError(ValueError):
    """A ``--break-glass`` option without a usable reason; the message says what to type."""


def split_break_glass(text: str) -> tuple[str, str | None]:
    """``(command without the option, reason or None)``.

    Raises :class:`BreakGlassError` when the option has no reason, an empty one, one longer than
    500 characters, or appears twice. A command with an unclosed quote is returned as it is (the
    command parser explains that).
    """
    if BREAK_GLASS_OPTION not in text.lower():
        return text, None
    try:
        tokens = shlex.split(text)
    except ValueError:
        return text, None
    positions = [i for i, token in enumerate(tokens) if token.lower() == BREAK_GLASS_OPTION]
    if not positions:
        return text, None
    example = f'{BREAK_GLASS_OPTION} "why this cannot wait"'
    if len(positions) > 1:
        raise BreakGlassError(f"Give {BREAK_GLASS_OPTION} once, with one reason, e.g. {example}.")
    at = positions[0]
    reason = tokens[at + 1].strip() if at + 1 < len(tokens) else ""
    if not reason or reason.startswith("--"):
        raise BreakGlassError(
            f"Breaking glass needs a reason in quotes after {BREAK_GLASS_OPTION}, e.g. {example}. "
            "The scope's approvers are told at once and the audit trail keeps it."
        )
    if len(reason) > _MAX_REASON:
        raise BreakGlassError(f"A break-glass reason is at most {_MAX_REASON} characters; shorten it.")
    rest = tokens[:at] + tokens[at + 2:]
    return shlex.join(rest), reason
