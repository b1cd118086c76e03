"""Cards about one request: its preview with Confirm/Cancel, the decision, and the outcome.

A request is what a user asked for once every parameter is known: an action, its
arguments and the preview of what will change (current → desired). These builders take the
declaration types of :mod:`actions.spec` and plain display strings, so they know nothing
about dialogs or how a request is executed.

Every card of a request leads with the preview's title, which says the change ("Scale
aks-prod / np1: 3 → 5 nodes"), then who requested it. Each fact is shown once: a parameter the
change sets shows ``current → desired`` in its own row. Meaning is carried by container styles
(``good``, ``warning``, ``attention``) around default-coloured text, never by coloured text.

A risky preview (:attr:`actions.spec.Preview.risks`) shows its risks in a ``warning`` container
under the title and a required check box, "I understand: …", that its Confirm button sends
(:data:`cards.protocol.ACKNOWLEDGE_INPUT`); the server refuses a Confirm without it
(:func:`cards.protocol.acknowledged`).
"""

from __future__ import annotations

from collections.abc import Sequence

from actions.spec import Action, Change, Preview, lower_first
from cards.elements import Json, Tone, adaptive_card, container, execute_action, fact_set, text_block, toggle_input
from cards.protocol import ACKNOWLEDGE_INPUT, ACKNOWLEDGE_VALUE, CardRef, Verb

__all__ = ["acknowledgement_text", "decision_card", "outcome_card", "preview_card"]


def acknowledgement_text(preview: Preview) -> str:
    """The check box of a risky preview: ``I understand: scale aks-dev / np1: 2 → 0 nodes``."""
    return f"I understand: {lower_first(preview.title or preview.target)}"


def _title(action: Action, preview: Preview) -> str:
    if preview.no_op:  # there is no change to name: say what already is
        return preview.no_op_reason or f"{preview.target} is already as requested"
    return preview.title or action.summary


def _changed_value(change: Change) -> str:
    return f"{change.desired} (unchanged)" if change.current == change.desired else change.shown


def _facts(action: Action, args: Sequence[tuple[str, str]], preview: Preview) -> list[tuple[str, str]]:
    """The arguments, each once: a parameter the preview changes shows ``current → desired``; the
    changes of no shown parameter (a power state) follow. Events are not facts (see :func:`_events`)."""
    by_parameter = {c.parameter: c for c in preview.changes if c.parameter and not c.is_event}
    titles = {p.title: p.name for p in action.parameters}
    facts: list[tuple[str, str]] = []
    shown: set[str] = set()
    for title, value in args:
        name = titles.get(title, "")
        change = by_parameter.get(name) if not preview.no_op else None
        if change is not None:
            shown.add(name)
            value = _changed_value(change)
        facts.append((title, value))
    if not preview.no_op:
        for change in preview.changes:
            if change.is_event or change.parameter in shown:
                continue
            facts.append((change.field[:1].upper() + change.field[1:], _changed_value(change)))
    return facts


def _request_body(
    action: Action, requester_name: str, args: Sequence[tuple[str, str]], preview: Preview
) -> list[Json | None]:
    body: list[Json | None] = [
        text_block(_title(action, preview), size="Medium", weight="Bolder"),
        text_block(f"Requested by {requester_name}", size="Small", subtle=True, spacing="None"),
    ]
    if preview.no_op:
        body.append(container([
            text_block("Nothing to change", weight="Bolder"),
            text_block("It is already as requested, so there is nothing to confirm.", spacing="None"),
        ], tone=Tone.GOOD))
    elif preview.risks:
        body.append(container([
            text_block("Check before you confirm", weight="Bolder"),
            *(text_block(f"• {risk.message}", spacing="Small") for risk in preview.risks),
        ], tone=Tone.WARNING))
    body.append(fact_set(_facts(action, args, preview)))
    if not preview.no_op:
        body.extend(text_block(change.desired) for change in preview.changes if change.is_event)
        body.extend(text_block(note, size="Small", subtle=True) for note in preview.notes)
    return body


def preview_card(
    action: Action,
    ref: CardRef,
    *,
    requester_name: str,
    args: Sequence[tuple[str, str]],
    preview: Preview,
    errors: Sequence[str] = (),
) -> Json:
    """The preview of a request (what will change) with Confirm and Cancel buttons.

    ``ref`` is the request's form reference (any verb; the buttons use confirm and cancel);
    ``args`` are (parameter label, display value) pairs in declaration order; ``errors`` say why
    a previous press was refused (shown in an ``attention`` container). A risky preview adds the
    required "I understand: …" check box, which its Confirm sends. A no-op preview says there is
    nothing to change and has no buttons.
    """
    body = _request_body(action, requester_name, args, preview)
    if preview.no_op:
        return adaptive_card(body)
    body.append(container([text_block(error) for error in errors], tone=Tone.ATTENTION))
    if preview.risky:
        body.append(toggle_input(
            ACKNOWLEDGE_INPUT, acknowledgement_text(preview), value_on=ACKNOWLEDGE_VALUE,
            label="This change is risky", error_message="Tick this box to confirm this change, or press Cancel.",
        ))
    confirm, cancel = ref.with_verb(Verb.CONFIRM), ref.with_verb(Verb.CANCEL)
    body.append(text_block("Confirm to go ahead, or cancel to change nothing.", size="Small", subtle=True))
    actions = [
        execute_action("Confirm", confirm.verb_text, confirm.data(), style="positive", with_inputs=preview.risky),
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
    body = _request_body(action, requester_name, args, preview)
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
    title: str = "",
) -> Json:
    """The result of a request: its ``title`` (the preview's; else the action's summary and the
    ``target``), ``headline`` (e.g. "Done") and the action's ``message`` in a container styled by
    ``tone`` (``good`` when done, ``attention`` when failed), then ``details``."""
    body: list[Json | None] = [
        text_block(title or action.summary, size="Medium", weight="Bolder"),
        text_block(f"Requested by {requester_name}", size="Small", subtle=True, spacing="None"),
        None if title else text_block(target, weight="Bolder"),
        container([text_block(headline, weight="Bolder"), text_block(message, spacing="None")], tone=tone),
        fact_set(details),
    ]
    return adaptive_card(body)
