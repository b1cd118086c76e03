"""Cards about one request: its preview with Confirm/Cancel, the decision, and the outcome.

A request is what a user asked for once every parameter is known: an action, its
arguments and the preview of what will change (current → desired). These builders take the
declaration types of :mod:`actions.spec` and plain display strings, so they know nothing
about dialogs or how a request is executed.
"""

from __future__ import annotations

from collections.abc import Sequence

from actions.spec import Action, Preview
from cards.elements import Json, Tone, adaptive_card, container, execute_action, fact_set, text_block
from cards.protocol import CardRef, Verb

__all__ = ["decision_card", "outcome_card", "preview_card"]


def _request_body(
    action: Action, requester_name: str, args: Sequence[tuple[str, str]], preview: Preview, *, verb_phrase: str
) -> list[Json | None]:
    body: list[Json | None] = [
        text_block(action.summary, size="Medium", weight="Bolder"),
        text_block(f"{verb_phrase} {requester_name}", size="Small", subtle=True, spacing="None"),
        fact_set(args),
        text_block(preview.target, weight="Bolder"),
    ]
    if preview.no_op:
        body.append(text_block("Nothing to change: it is already in the requested state.", tone=Tone.GOOD))
    body.append(fact_set((change.field, f"{change.current} → {change.desired}") for change in preview.changes))
    body.extend(text_block(note, tone=Tone.WARNING, size="Small") for note in preview.notes)
    return body


def preview_card(
    action: Action,
    ref: CardRef,
    *,
    requester_name: str,
    args: Sequence[tuple[str, str]],
    preview: Preview,
) -> Json:
    """The preview of a request (what will change) with Confirm and Cancel buttons.

    ``ref`` is the request's form reference (any verb; the buttons use confirm and cancel).
    A no-op preview has no buttons: there is nothing to confirm.
    """
    body = _request_body(action, requester_name, args, preview, verb_phrase="Submitted by")
    if preview.no_op:
        return adaptive_card(body)
    confirm, cancel = ref.with_verb(Verb.CONFIRM), ref.with_verb(Verb.CANCEL)
    body.append(text_block("Confirm to go ahead, or cancel to change nothing.", size="Small", subtle=True))
    actions = [
        execute_action("Confirm", confirm.verb_text, confirm.data(), style="positive", with_inputs=False),
        execute_action("Cancel", cancel.verb_text, cancel.data(), with_inputs=False),
    ]
    return adaptive_card(body, actions)


def decision_card(
    action: Action,
    *,
    requester_name: str,
    args: Sequence[tuple[str, str]],
    preview: Preview,
    decided_by: str,
    confirmed: bool,
    status: str,
) -> Json:
    """The preview once decided (no buttons): who confirmed or cancelled it, and ``status``."""
    body = _request_body(action, requester_name, args, preview, verb_phrase="Requested by")
    headline = f"Confirmed by {decided_by}" if confirmed else f"Cancelled by {decided_by}"
    tone = Tone.GOOD if confirmed else Tone.DEFAULT
    body.append(container([text_block(headline, weight="Bolder"), text_block(status, spacing="None")], tone=tone))
    return adaptive_card(body)


def outcome_card(
    action: Action,
    *,
    requester_name: str,
    target: str,
    headline: str,
    message: str,
    tone: Tone,
    details: Sequence[tuple[str, str]] = (),
) -> Json:
    """The result of a request: ``headline`` (e.g. "Done"), the action's ``message`` and details."""
    body: list[Json | None] = [
        text_block(action.summary, size="Medium", weight="Bolder"),
        text_block(f"Requested by {requester_name}", size="Small", subtle=True, spacing="None"),
        text_block(target, weight="Bolder"),
        container([text_block(headline, weight="Bolder"), text_block(message, spacing="None")], tone=tone),
        fact_set(details),
    ]
    return adaptive_card(body)
