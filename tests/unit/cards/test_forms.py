"""The form builder: which parameters a form holds, and the inputs generated from declarations."""

from __future__ import annotations

from typing import Any

import pytest

from actions.spec import Choice, ChoiceList, Parameter, ParamKind
from cards import MAX_FORM_CHOICES, CardRef, FormField, Verb, form_card, form_stage
from tests.unit.cards.samples import SAMPLE, many_choices

REF = CardRef(Verb.SUBMIT, SAMPLE.name, "f-00000000000000aa", "aad-alex", "Alex Wilber")


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {element["id"]: element for element in card["body"] if element["type"].startswith("Input.")}


def texts(card: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card["body"])
    return found


def test_stage_stops_before_a_parameter_whose_dependency_is_missing() -> None:
    cluster = Parameter("cluster", ParamKind.RESOURCE, "Which cluster?")
    pool = Parameter("pool", ParamKind.CHOICE, "Which pool?", depends_on=("cluster",))
    count = Parameter("count", ParamKind.INTEGER, "How many?")
    assert form_stage((cluster, pool, count), {}) == [cluster]
    assert form_stage((cluster, pool, count), {"cluster": "id"}) == [pool, count]
    assert form_stage((cluster, pool, count), {"cluster": "id", "pool": "np1", "count": 3}) == []
    assert form_stage((count, cluster, pool), {}) == [count, cluster]


def test_every_parameter_kind_becomes_a_validated_input() -> None:
    app, tier, workers, label = SAMPLE.parameters
    card = form_card(SAMPLE, REF, [
        FormField(app, ChoiceList((Choice("/subscriptions/s/app1", "app1", "rg-prod"),))),
        FormField(tier),
        FormField(workers),
        FormField(label),
    ])
    found = inputs(card)
    assert found["app"]["type"] == "Input.ChoiceSet"
    assert found["app"]["choices"] == [{"title": "app1 (rg-prod)", "value": "/subscriptions/s/app1"}]
    assert found["app"]["isRequired"] is True
    assert found["tier"]["choices"] == [
        {"title": "Gold (fast)", "value": "gold"},
        {"title": "Silver", "value": "silver"},
    ]
    assert found["tier"]["value"] == "silver"
    expected = {"type": "Input.Number", "value": 2, "isRequired": True, "label": "Workers (from 1 to 20)"}
    assert {key: found["workers"][key] for key in expected} == expected
    assert found["workers"]["errorMessage"] == "Enter a whole number from 1 to 20."
    assert found["label"]["regex"] == "^(?:[a-z][a-z-]{0,30})$"
    assert "isRequired" not in found["label"]
    assert all(element["label"] and element["errorMessage"] for element in found.values())
    [review, cancel] = card["actions"]
    assert review["verb"] == f"submit:{SAMPLE.name}"
    assert review["title"] == "Review"
    assert cancel["verb"] == f"cancel:{SAMPLE.name}"
    assert cancel["associatedInputs"] == "none"
    assert review["fallback"]["type"] == "Action.Submit"
    assert review["fallback"]["data"] == review["data"] == REF.data()
    assert "Form for Alex Wilber. Only they can submit it." in texts(card)


def test_known_values_are_shown_and_errors_lead() -> None:
    card = form_card(SAMPLE, REF, [FormField(SAMPLE.parameters[2], value="7")], known=[("App", "web-prod")],
                     errors=["workers must be at most 20, got 50."], final=False)
    assert card["body"][2]["style"] == "attention"
    assert texts(card)[2] == "workers must be at most 20, got 50."
    assert {"title": "App", "value": "web-prod"} in card["body"][3]["facts"]
    assert inputs(card)["workers"]["value"] == 7
    assert card["actions"][0]["title"] == "Next"


def test_long_lists_are_searchable_capped_and_say_so() -> None:
    card = form_card(SAMPLE, REF, [FormField(SAMPLE.parameters[0], many_choices(150, complete=False))])
    app = inputs(card)["app"]
    assert app["style"] == "filtered"
    shown = len(app["choices"])
    assert 50 < shown <= MAX_FORM_CHOICES
    assert any(f"first {shown} of 150" in text for text in texts(card))
    assert any("may be incomplete" in text for text in texts(card))


def test_short_choices_are_capped_by_count() -> None:
    choices = ChoiceList(tuple(Choice(f"v{i}", f"t{i}") for i in range(130)))
    card = form_card(SAMPLE, REF, [FormField(SAMPLE.parameters[0], choices)])
    assert len(inputs(card)["app"]["choices"]) == MAX_FORM_CHOICES


def test_a_prefill_that_was_not_offered_is_dropped() -> None:
    card = form_card(SAMPLE, REF, [FormField(SAMPLE.parameters[0], many_choices(3), value="/subscriptions/evil")])
    assert "value" not in inputs(card)["app"]


def test_nothing_to_choose_is_said_instead_of_an_empty_list() -> None:
    card = form_card(SAMPLE, REF, [FormField(SAMPLE.parameters[0], ChoiceList((), complete=False, note="slow"))])
    assert "app" not in inputs(card)
    assert "Nothing is available to choose here right now (slow)." in texts(card)


def test_reference_must_be_a_submit_of_the_same_action() -> None:
    with pytest.raises(ValueError, match="submit of the same action"):
        form_card(SAMPLE, REF.with_verb(Verb.CONFIRM), [])
