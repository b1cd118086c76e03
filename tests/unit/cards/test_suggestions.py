"""Suggestion cards: buttons that carry a whole command, read back without trusting them; every variant valid."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from actions.spec import Choice, ChoiceList, Unavailable
from cards import (
    CardRef,
    FormField,
    MalformedSubmission,
    SubmissionChannel,
    Tone,
    Verb,
    chosen_card,
    form_card,
    read_command,
    read_submission,
    suggestion_card,
)
from tests.support.card_checks import assert_valid_cards
from tests.unit.cards.samples import SAMPLE
from tools.card_validation import CardValidator

COMMANDS = ("restart app web-prod", "restart app web-dev")


def invoke(data: Any, verb: str = "run") -> SimpleNamespace:
    return SimpleNamespace(type="invoke", name="adaptiveCard/action",
                           value={"action": {"type": "Action.Execute", "verb": verb, "data": data}})


def test_each_button_runs_its_command_on_both_delivery_paths() -> None:
    card = suggestion_card("Did you mean …?", COMMANDS)
    assert [action["title"] for action in card["actions"]] == list(COMMANDS)
    for action, command in zip(card["actions"], COMMANDS, strict=True):
        assert action["type"] == "Action.Execute"
        assert action["verb"] == "run"
        assert action["fallback"]["type"] == "Action.Submit"
        press = read_command(invoke(action["data"]))
        assert press is not None
        assert (press.command, press.channel) == (command, SubmissionChannel.EXECUTE)
        fallback = read_command(SimpleNamespace(type="message", value=action["fallback"]["data"]))
        assert fallback is not None
        assert (fallback.command, fallback.channel) == (command, SubmissionChannel.SUBMIT)


def test_at_most_five_buttons_each_command_once() -> None:
    commands = [f"start vm vm-{n}" for n in range(8)]
    card = suggestion_card("Choose one", [commands[0], *commands])
    assert [action["title"] for action in card["actions"]] == commands[:5]


def test_form_buttons_and_ordinary_messages_are_not_commands() -> None:
    ref = CardRef(Verb.SUBMIT, SAMPLE.name, "f-00000000000000aa", "aad-alex", "Alex Wilber")
    form = form_card(SAMPLE, ref, [FormField(SAMPLE.parameters[1])])
    data = form["actions"][0]["data"]
    assert read_command(invoke(data, verb=ref.verb_text)) is None
    assert read_command(SimpleNamespace(type="message", value=data)) is None
    assert read_submission(SimpleNamespace(type="message", value=data)) is not None
    assert read_command(SimpleNamespace(type="message", value=None, text="restart app web-prod")) is None


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"switchboard": {"v": 1, "verb": "run"}},
        {"switchboard": {"v": 2, "verb": "run", "command": "restart app web-prod"}},
        {"switchboard": {"v": 1, "verb": "run", "command": 5}},
        {"switchboard": {"v": 1, "verb": "run", "command": ""}},
        {"switchboard": {"v": 1, "verb": "run", "command": "x" * 501}},
    ],
)
def test_a_run_invoke_without_a_usable_command_is_malformed(data: dict[str, Any]) -> None:
    with pytest.raises(MalformedSubmission):
        read_command(invoke(data))


def test_every_new_card_variant_is_valid(card_validator: CardValidator) -> None:
    ref = CardRef(Verb.SUBMIT, SAMPLE.name, "f-00000000000000aa", "aad-alex", "Alex Wilber")
    app = SAMPLE.parameters[0]
    refused = ChoiceList(
        (Choice("/subscriptions/s/app1", "app1", "rg-prod", state="running"),),
        unavailable=(Unavailable(Choice("/subscriptions/s/app2", "app2", state="stopped"), "stopped"),),
    )
    nothing = ChoiceList((), unavailable=refused.unavailable)
    cards = {
        "did you mean": suggestion_card("I don't know the action 'restrat app'. Did you mean: …?", COMMANDS),
        "can't do this": suggestion_card("The autoscaler is on.", ["set autoscale aks-prod np2 min 2 max 8"],
                                         title="Can't do this", tone=Tone.WARNING),
        "or run": suggestion_card("Or run one of these:", COMMANDS),
        "chosen": chosen_card("Alex Wilber", COMMANDS[0]),
        "form with a refusal at a field and a choice not offered": form_card(
            SAMPLE, ref, [FormField(app, refused, "/subscriptions/s/app1")],
            field_errors={"app": "app2 can't be chosen here: it is stopped."},
        ),
        "form with nothing to choose": form_card(SAMPLE, ref, [FormField(app, nothing)]),
    }
    assert_valid_cards(card_validator, cards)
