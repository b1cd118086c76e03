"""Adaptive Cards generated from action declarations and requests — one builder for all actions.

Public surface:

- :mod:`cards.protocol` — verbs, the data a card button sends, reading a submission;
- :func:`form_card` / :func:`form_stage` / :class:`FormField` — the form of any action;
- :func:`request_card` / :class:`RequestCardState` / :data:`REQUEST_CARD_LOOKS` — a request's one card in
  each state of its life; its preview part :func:`preview_card` (a risky
  preview's acknowledgement: :func:`acknowledgement_text`, :func:`acknowledged`);
- :func:`notice_card` — refusals and errors;
- :func:`suggestion_card` / :func:`chosen_card` — buttons that run a command (did-you-mean, follow-ups);
- :func:`attachment`, :data:`CARD_CONTENT_TYPE`, :data:`CARD_VERSION`, :class:`Tone`.
"""

from cards.elements import CARD_CONTENT_TYPE, CARD_VERSION, Json, Tone, attachment
from cards.forms import MAX_FORM_CHOICES, FormField, form_card, form_stage
from cards.notices import notice_card
from cards.protocol import (
    ACKNOWLEDGE_INPUT,
    ACKNOWLEDGE_VALUE,
    BREAK_GLASS_INPUT,
    CardRef,
    CardSubmission,
    CommandPress,
    MalformedSubmission,
    SubmissionChannel,
    Verb,
    acknowledged,
    new_form_id,
    read_command,
    read_submission,
)
from cards.requests import (
    REQUEST_CARD_LOOKS,
    RequestCardLook,
    RequestCardState,
    acknowledgement_text,
    preview_card,
    request_card,
)
from cards.suggestions import MAX_SUGGESTIONS, chosen_card, suggestion_card

__all__ = [
    "ACKNOWLEDGE_INPUT",
    "ACKNOWLEDGE_VALUE",
    "BREAK_GLASS_INPUT",
    "CARD_CONTENT_TYPE",
    "CARD_VERSION",
    "MAX_FORM_CHOICES",
    "MAX_SUGGESTIONS",
    "REQUEST_CARD_LOOKS",
    "CardRef",
    "CardSubmission",
    "CommandPress",
    "FormField",
    "Json",
    "MalformedSubmission",
    "RequestCardLook",
    "RequestCardState",
    "SubmissionChannel",
    "Tone",
    "Verb",
    "acknowledged",
    "acknowledgement_text",
    "attachment",
    "chosen_card",
    "form_card",
    "form_stage",
    "new_form_id",
    "notice_card",
    "preview_card",
    "read_command",
    "read_submission",
    "request_card",
    "suggestion_card",
]
