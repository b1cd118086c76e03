"""The Node validation harness rejects what Teams would reject, and the builder's cards pass it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from actions.spec import Change, ChoiceList, Preview, Risk, RiskKind
from cards import (
    CardRef,
    FormField,
    RequestCardState,
    Tone,
    Verb,
    form_card,
    notice_card,
    preview_card,
    request_card,
)
from tests.support.card_checks import assert_valid_cards
from tests.unit.cards.samples import SAMPLE, many_choices
from tools.card_validation import CardValidator

REF = CardRef(Verb.SUBMIT, SAMPLE.name, "f-00000000000000aa", "aad-alex", "Alex Wilber")
PREVIEW = Preview("web-prod", "/subscriptions/s/app1", (Change("workers", "2", "4"), Change("tier", "Silver", "Gold")),
                  notes=("Instances restart one at a time.",))


def minimal(**extra: Any) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "hi"}], **extra}


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        (minimal(body=[{"type": "TextBlock", "text": "hi", "colour": "red"}]), "UnknownProperty: /body/0/colour"),
        (minimal(body=[{"type": "Input.Number", "id": "n", "label": "N", "isRequred": True}]), "isRequred"),
        (minimal(body=[{"type": "Bogus"}]), "UnknownElementType"),
        (minimal(version="1.6"), "UnsupportedCardVersion"),
        (minimal(version="1.3", actions=[{"type": "Action.Execute", "title": "x", "verb": "v",
                                          "fallback": {"type": "Action.Submit", "title": "x"}}]), "UnknownActionType"),
        (minimal(actions=[{"type": "Action.Execute", "title": "x", "verb": "v"}]), "TeamsFallback"),
        (minimal(actions=[{"type": "Action.Execute", "title": "x", "verb": "v",
                           "fallback": {"type": "Action.Submit", "titel": "x"}}]), "fallback/titel"),
        (minimal(body=[{"type": "Input.Text", "id": "t", "label": "T", "regex": "(["}]), "InvalidRegex"),
        (minimal(body=[{"type": "Input.Text", "id": "t", "isRequired": True, "errorMessage": "e"}]), "label"),
        (minimal(body=[{"type": "Input.Text", "id": "t", "label": "a"}, {"type": "Input.Text", "id": "t"}]),
         "DuplicateId"),
        (minimal(body=[{"type": "TextBlock", "text": "x" * 30000}]), "TooLarge"),
        ({"type": "Hero", "version": "1.5"}, "MissingCardType"),
    ],
)
def test_the_harness_rejects_what_teams_would(
    card_validator: CardValidator, card: dict[str, Any], expected: str
) -> None:
    [report] = card_validator.validate({"bad": card})
    assert not report.ok
    assert any(expected in error for error in report.errors), report.errors


def test_every_card_variant_of_the_builder_passes(card_validator: CardValidator) -> None:
    app, tier, workers, label = SAMPLE.parameters
    all_fields = [FormField(app, many_choices(3)), FormField(tier), FormField(workers), FormField(label)]
    args = [("App", "web-prod"), ("Workers", "4")]
    cards = {
        "form: every kind": form_card(SAMPLE, REF, all_fields),
        "form: errors, known, next": form_card(SAMPLE, REF, [FormField(workers, value="bad")], known=args,
                                               errors=["workers must be at most 20, got 50."], final=False),
        "form: long incomplete list": form_card(SAMPLE, REF, [FormField(app, many_choices(150, complete=False))]),
        "form: nothing to choose": form_card(SAMPLE, REF, [FormField(app, ChoiceList((), complete=False))]),
        "preview": preview_card(SAMPLE, REF, requester_name="Alex Wilber", args=args, preview=PREVIEW),
        "preview: break glass": preview_card(SAMPLE, REF, requester_name="Alex Wilber", args=args, preview=PREVIEW,
                                             break_glass=True),
        "preview: risky, break glass": preview_card(
            SAMPLE, REF, requester_name="Alex Wilber", args=args, break_glass=True,
            preview=replace(PREVIEW, risks=(Risk(RiskKind.TO_ZERO, "workers", "0 workers: the app stops."),))),
        "preview: no-op": preview_card(SAMPLE, REF, requester_name="Alex Wilber", args=args,
                                       preview=Preview("web-prod", "/s", (Change("workers", "4", "4"),), no_op=True)),
        "decision: confirmed": request_card(SAMPLE, RequestCardState.CONFIRMED, requester_name="Alex Wilber",
                                            args=args, preview=PREVIEW, by="Alex Wilber", message="Running…"),
        "decision: cancelled": request_card(SAMPLE, RequestCardState.DECLINED, requester_name="Alex Wilber",
                                            args=args, preview=PREVIEW, by="Alex Wilber",
                                            message="Nothing was changed."),
        "outcome": request_card(SAMPLE, RequestCardState.SUCCEEDED, requester_name="Alex Wilber", args=args,
                                preview=PREVIEW, by="Alex Wilber", message="web-prod now has 4 workers.",
                                details=[("Took", "3 s")]),
        **{f"notice: {tone}": notice_card("Not yours", "This form belongs to Alex Wilber.", tone=tone, footer="ref 1")
           for tone in Tone},
    }
    assert_valid_cards(card_validator, cards)
