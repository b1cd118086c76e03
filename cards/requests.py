"""The one living card of a request, in each state of its life, and its parts.

A request has **one card** that changes in place: form → preview → confirmed → result (or
cancelled, replaced, stopped, broken by a failed turn; the guardrails and the operation queue add
their states — waiting for approval, queued, running with progress, done, failed, timed out,
cancelled before it started: the operations worker updates the card in place with them).
:func:`request_card` builds it for any :class:`RequestCardState`; :data:`REQUEST_CARD_LOOKS` says
how each state looks (headline, container tone) and whether the card is still *open* — it has
buttons, or it says work is under way, so a turn that fails must not leave it so. To add a state:
a member of :class:`RequestCardState` and its row.

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

When the guardrails forecast that the requester may break glass for it (the request would wait
for approvers or is frozen, and they hold a break-glass grant covering it), the preview also
offers **Break glass** beside Confirm, with a reason input (:data:`cards.protocol.BREAK_GLASS_INPUT`)
that the button sends; the server refuses a blank reason and the guardrails decide the request
again (a forged press without a grant is refused).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from actions.spec import Action, Change, Preview, lower_first
from cards.elements import Json, Tone, adaptive_card, container, execute_action, fact_set, text_block, toggle_input
from cards.forms import FormField, form_card
from cards.protocol import ACKNOWLEDGE_INPUT, ACKNOWLEDGE_VALUE, BREAK_GLASS_INPUT, RUN_VERB, CardRef, Verb, run_data

__all__ = [
    "REQUEST_CARD_LOOKS",
    "RequestCardLook",
    "RequestCardState",
    "acknowledgement_text",
    "preview_card",
    "request_card",
]


class RequestCardState(StrEnum):
    """Where a request is in its life, as its one card shows it."""

    FORM = "form"  # the card form collecting the parameters (buttons)
    PREVIEW = "preview"  # what will change, Confirm / Cancel (buttons)
    NO_OP = "no_op"  # nothing to change: final, no buttons
    CONFIRMED = "confirmed"  # confirmed, handed over: working on it
    DECLINED = "declined"  # Cancel pressed, or `no` answered
    CANCELLED = "cancelled"  # `cancel` typed while it waited
    SUPERSEDED = "superseded"  # a newer request of the same person replaced it while it waited
    STOPPED = "stopped"  # refused answers or values too many times, or refused on the way
    BROKEN = "broken"  # the turn failed while the card was open
    # the outcomes (requesting.OutcomeState)
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STARTED = "started"
    UNCONFIRMED = "unconfirmed"
    REFUSED = "refused"
    AWAITING_APPROVAL = "awaiting_approval"
    QUEUED = "queued"
    # the operation's life after the confirm turn, shown by the worker (app.execution)
    RUNNING = "running"  # sent to the platform; the message says its progress
    TIMED_OUT = "timed_out"  # not finished within the action's time limit (the platform may still finish it)
    CANCELLED_BEFORE_START = "cancelled_before_start"  # the queued operation was cancelled: nothing was sent


@dataclass(frozen=True)
class RequestCardLook:
    """How a state looks: its ``headline`` (``{by}`` is who did it), the ``tone`` of its status container,
    whether the card is ``open`` (buttons, or work under way: a failed turn must not leave it so), and
    whether it comes ``after_confirm`` (the card then says who confirmed the request)."""

    headline: str
    tone: Tone
    open: bool = False
    after_confirm: bool = False


REQUEST_CARD_LOOKS: Mapping[RequestCardState, RequestCardLook] = {
    RequestCardState.FORM: RequestCardLook("", Tone.DEFAULT, open=True),
    RequestCardState.PREVIEW: RequestCardLook("", Tone.DEFAULT, open=True),
    RequestCardState.NO_OP: RequestCardLook("Nothing to change", Tone.GOOD),
    RequestCardState.CONFIRMED: RequestCardLook("Confirmed by {by}", Tone.ACCENT, open=True),
    RequestCardState.DECLINED: RequestCardLook("Cancelled by {by}", Tone.DEFAULT),
    RequestCardState.CANCELLED: RequestCardLook("Cancelled by {by}", Tone.DEFAULT),
    RequestCardState.SUPERSEDED: RequestCardLook("Replaced by a newer request", Tone.DEFAULT),
    RequestCardState.STOPPED: RequestCardLook("Stopped", Tone.ATTENTION),
    RequestCardState.BROKEN: RequestCardLook("Something went wrong", Tone.ATTENTION),
    RequestCardState.SUCCEEDED: RequestCardLook("Done", Tone.GOOD, after_confirm=True),
    RequestCardState.FAILED: RequestCardLook("Failed", Tone.ATTENTION, after_confirm=True),
    RequestCardState.STARTED: RequestCardLook("Started, not finished yet", Tone.WARNING, after_confirm=True),
    RequestCardState.UNCONFIRMED: RequestCardLook("Could not be confirmed", Tone.WARNING, after_confirm=True),
    RequestCardState.REFUSED: RequestCardLook("Not done", Tone.WARNING, after_confirm=True),
    RequestCardState.AWAITING_APPROVAL: RequestCardLook("Waiting for approval", Tone.ACCENT, after_confirm=True),
    RequestCardState.QUEUED: RequestCardLook("Queued", Tone.ACCENT, after_confirm=True),
    RequestCardState.RUNNING: RequestCardLook("In progress", Tone.ACCENT, after_confirm=True),
    RequestCardState.TIMED_OUT: RequestCardLook("Timed out", Tone.WARNING, after_confirm=True),
    RequestCardState.CANCELLED_BEFORE_START: RequestCardLook("Cancelled before it started", Tone.DEFAULT,
                                                             after_confirm=True),
}


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
    question: str | None = None,
    break_glass: bool = False,
) -> Json:
    """The preview of a request (what will change) with Confirm and Cancel buttons.

    ``ref`` is the request's form reference (any verb; the buttons use confirm and cancel);
    ``args`` are (parameter label, display value) pairs in declaration order; ``errors`` say why
    a previous press was refused (shown in an ``attention`` container). A risky preview adds the
    required "I understand: …" check box, which its Confirm sends. A no-op preview says there is
    nothing to change and has no buttons. ``question`` replaces the line above the buttons (in chat:
    it says that `yes` / `no` work too). ``break_glass``: offer Break glass too, with its reason input
    (required on the card unless the preview is risky: Confirm then sends the card's inputs, and a
    required reason would block it; the server requires it either way).
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
    body.append(text_block(question or "Confirm to go ahead, or cancel to change nothing.", size="Small",
                           subtle=True))
    actions = [
        execute_action("Confirm", confirm.verb_text, confirm.data(), style="positive", with_inputs=preview.risky),
        execute_action("Cancel", cancel.verb_text, cancel.data(), with_inputs=False),
    ]
    if break_glass:
        body.append(container([
            text_block("You may break glass", weight="Bolder"),
            text_block("You hold a break-glass grant here: Break glass runs it now, without waiting for approval "
                       "and through any change freeze. The scope's approvers are told at once, and the audit trail "
                       "flags it.", spacing="None"),
            {
                "type": "Input.Text", "id": BREAK_GLASS_INPUT, "label": "Why this cannot wait (to break glass)",
                "maxLength": 500, "placeholder": "e.g. checkout is down", "isRequired": not preview.risky,
                "errorMessage": "Say why this cannot wait, or press Confirm to ask as usual.",
            },
        ], tone=Tone.WARNING))
        glass = ref.with_verb(Verb.BREAK_GLASS)
        actions.insert(1, execute_action("Break glass", glass.verb_text, glass.data(), style="destructive"))
    return adaptive_card(body, actions)


def request_card(
    action: Action,
    state: RequestCardState,
    *,
    requester_name: str,
    args: Sequence[tuple[str, str]] = (),
    preview: Preview | None = None,
    ref: CardRef | None = None,
    by: str = "",
    message: str = "",
    details: Sequence[tuple[str, str]] = (),
    errors: Sequence[str] = (),
    question: str | None = None,
    fields: Sequence[FormField] = (),
    final: bool = True,
    field_errors: Mapping[str, str] | None = None,
    commands: Sequence[tuple[str, str]] = (),
    break_glass: bool = False,
) -> Json:
    """The request's one card in ``state``.

    - ``FORM``: the card form (:func:`cards.forms.form_card`) for ``fields``; ``ref`` (a submit) is
      required; ``args`` are the values already settled; ``errors`` / ``field_errors`` / ``final`` as there.
    - ``PREVIEW``: :func:`preview_card` (``ref`` and ``preview`` required; ``question`` above the buttons;
      ``break_glass`` offers Break glass).
    - ``NO_OP``: the preview's "nothing to change" card.
    - every other state: the request's title (the preview's, else the action's summary), who
      requested it, the facts (with the change when ``preview`` is known), then the state's
      headline (``by`` is who confirmed or cancelled) and ``message`` in a container styled by
      the state's tone, then ``details``; no inputs, and no buttons but ``commands``: ``(title,
      command)`` pairs, each an ``Action.Execute`` (verb ``run``) carrying the whole command that
      leaves the card as it is when pressed (an operation's card: ``Status`` → ``status 7F3K``).

    Raises ValueError when ``state`` needs a ``ref`` or ``preview`` that is missing.
    """
    if state is RequestCardState.FORM:
        if ref is None:
            raise ValueError("a request's form needs its card reference")
        return form_card(action, ref, fields, known=args, errors=errors, final=final, field_errors=field_errors)
    if state in (RequestCardState.PREVIEW, RequestCardState.NO_OP):
        if preview is None or ref is None:
            raise ValueError("a request's preview needs the preview and its card reference")
        return preview_card(action, ref, requester_name=requester_name, args=args, preview=preview, errors=errors,
                            question=question, break_glass=break_glass and state is RequestCardState.PREVIEW)
    look = REQUEST_CARD_LOOKS[state]
    headline = look.headline.format(by=by or "someone")
    changes = preview is not None and not preview.no_op
    body: list[Json | None] = [
        text_block(preview.title if preview is not None and preview.title else action.summary, size="Medium",
                   weight="Bolder"),
        text_block(f"Requested by {requester_name}", size="Small", subtle=True, spacing="None"),
        text_block(f"Confirmed by {by}", size="Small", subtle=True, spacing="None") if look.after_confirm and by
        else None,
        fact_set(_facts(action, args, preview) if changes and preview is not None else args),
    ]
    status = [text_block(headline, weight="Bolder"), text_block(message, spacing="None") if message else None]
    body.append(container(status, tone=look.tone))
    body.append(fact_set(details))
    buttons = [execute_action(title, RUN_VERB, run_data(command, keep=True), with_inputs=False)
               for title, command in commands]
    return adaptive_card(body, buttons)
