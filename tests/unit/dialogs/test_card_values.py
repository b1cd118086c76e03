"""Card input values as Teams clients really send them, through both delivery paths.

Mobile clients send ``null`` for inputs the user did not touch; numbers arrive as JSON numbers
or as strings, sometimes with whitespace. ``null`` is a missing value (the form comes back
saying what to fill in); numbers are accepted in any of those spellings; a fraction for a whole
number, and a list, an object or true/false where one value belongs, are refused precisely.
Nothing runs in any refused case.

A small declared action (one static choice, one integer, one text parameter) covers every
input kind on one form; the registry's own ``vm-start`` covers the issue's ``{"vm": null}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from actions.registry import Registry, default_registry
from actions.spec import Args, Change, Choice, Parameter, ParamKind, Preview, Progress, ProgressState, Scope
from tests.support.arm_sandbox import SandboxHandle
from tests.unit.dialogs.conftest import ALEX, MEGAN, Chat, card_texts, inputs_of, sent_cards, texts, updated_cards

ERROR = "application/vnd.microsoft.error"
CARD = "application/vnd.microsoft.card.adaptive"
MISSING = {
    "tier": "Which tier? This field is missing: fill it in.",
    "workers": "How many workers? This field is missing: fill it in.",
    "label": "Which label? This field is missing: fill it in.",
}
VALID: dict[str, Any] = {"tier": "gold", "workers": "4", "label": "blue"}


class LabelApp:
    """Sets the tier, worker count and label of an app: one parameter of each kind a form offers."""

    name = "label-app"
    aliases = ("relabel app",)
    summary = "Label an app and set its tier and workers."
    help = "Sets an app's tier, worker count and label."
    usage = "{tier} {workers} {label}"
    examples = ("label app gold 4 blue",)
    parameters = (
        Parameter(
            "tier", ParamKind.CHOICE, "Which tier?", choices=(Choice("gold", "Gold"), Choice("silver", "Silver"))
        ),
        Parameter("workers", ParamKind.INTEGER, "How many workers?", minimum=1, maximum=20),
        Parameter("label", ParamKind.TEXT, "Which label?", description="lowercase letters", pattern=r"[a-z]{1,20}"),
    )
    timeout_seconds = 5.0
    resource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/X.Y/apps/app"

    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def scope(self, args: Args) -> Scope:
        return Scope(self.name, self.resource_id)

    async def preview(self, ctx: object, args: Args) -> Preview:
        changes = tuple(Change(name, "?", str(args[name]), parameter=name) for name in ("tier", "workers", "label"))
        return Preview("app", self.resource_id, changes)

    async def start(self, ctx: object, args: Args) -> Progress:
        self.started.append(dict(args))
        return Progress(ProgressState.SUCCEEDED, "Labelled.")

    async def poll(self, ctx: object, args: Args, continuation_token: str) -> Progress:
        return Progress(ProgressState.SUCCEEDED, "Labelled.")


@pytest.fixture
def label_app() -> LabelApp:
    return LabelApp()


@pytest.fixture
def registry(label_app: LabelApp) -> Registry:
    """The built-in catalog plus :class:`LabelApp` (overrides the session registry for this module)."""
    return Registry([*default_registry(), label_app])


Deliver = Callable[[Chat, dict[str, Any], dict[str, Any]], Awaitable[dict[str, Any] | str]]


async def by_execute(chat: Chat, card: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any] | str:
    """Press the card's first button as ``Action.Execute``: the card it answers with, or its message/error."""
    response, _ = await chat.press(ALEX, card, card["actions"][0]["title"], inputs)
    assert response.status in (200, 400)
    body = response.body
    if body["type"] == CARD:
        return body["value"]
    return body["value"]["message"] if body["type"] == ERROR else body["value"]


async def by_submit(chat: Chat, card: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any] | str:
    """Press the card's first button through its ``Action.Submit`` fallback: the card it became (changed in
    place), a card sent, or the text sent back."""
    sent = await chat.press_fallback(ALEX, card, card["actions"][0]["title"], inputs)
    cards = [changed for _, changed in updated_cards(chat)] or sent_cards(sent)
    if cards:
        return cards[0]
    [text] = texts(sent)
    return text


DELIVERIES = pytest.mark.parametrize("deliver", [by_execute, by_submit], ids=["execute", "submit"])


async def open_form(chat: Chat) -> dict[str, Any]:
    [form] = sent_cards(await chat.say(ALEX, "label app"))
    assert set(inputs_of(form)) == {"tier", "workers", "label"}
    return form


def form_again(answer: dict[str, Any] | str) -> list[str]:
    """The texts of the form shown again (it must be the form: it has the inputs and a Review button)."""
    assert isinstance(answer, dict), answer
    assert set(inputs_of(answer)) == {"tier", "workers", "label"}
    assert [a["title"] for a in answer["actions"]] == ["Review", "Cancel"]
    return card_texts(answer)


def preview_facts(answer: dict[str, Any] | str) -> list[str]:
    assert isinstance(answer, dict), answer
    assert [a["title"] for a in answer["actions"]] == ["Confirm", "Cancel"]
    return card_texts(answer)


# --------------------------------------------------------------------------- null is a missing value
@DELIVERIES
@pytest.mark.parametrize("field", ["tier", "workers", "label"])
async def test_null_for_one_input_shows_the_form_again_naming_it(
    chat: Chat, label_app: LabelApp, deliver: Deliver, field: str
) -> None:
    answer = await deliver(chat, await open_form(chat), {**VALID, field: None})
    shown = form_again(answer)
    assert MISSING[field] in shown
    assert [text for text in MISSING.values() if text in shown] == [MISSING[field]]
    assert isinstance(answer, dict)
    for other, value in VALID.items():  # what was given stays filled in
        if other != field:
            assert str(inputs_of(answer)[other].get("value")) == value
    assert label_app.started == []


@DELIVERIES
async def test_an_all_null_form_is_shown_again_naming_every_field(
    chat: Chat, label_app: LabelApp, deliver: Deliver
) -> None:
    answer = await deliver(chat, await open_form(chat), {"tier": None, "workers": None, "label": None})
    shown = form_again(answer)
    for text in MISSING.values():
        assert text in shown
    assert label_app.started == []


@DELIVERIES
async def test_after_null_the_filled_in_form_goes_on_to_the_preview_and_runs(
    chat: Chat, label_app: LabelApp, deliver: Deliver
) -> None:
    again = await deliver(chat, await open_form(chat), {"tier": None, "workers": None, "label": None})
    assert isinstance(again, dict)
    preview = await deliver(chat, again, VALID)
    assert "Workers: ? → 4" in preview_facts(preview)
    assert isinstance(preview, dict)
    await deliver(chat, preview, {})
    assert label_app.started == [{"tier": "gold", "workers": 4, "label": "blue"}]


# --------------------------------------------------------------------------- numbers and whitespace
@DELIVERIES
@pytest.mark.parametrize("workers", [5, "5", " 5 ", "\t5\n", 5.0, "5.0", " 5.00 "])
async def test_a_number_is_accepted_as_a_number_or_a_string(
    chat: Chat, label_app: LabelApp, deliver: Deliver, workers: Any
) -> None:
    preview = await deliver(chat, await open_form(chat), {**VALID, "workers": workers})
    assert "Workers: ? → 5" in preview_facts(preview)
    assert isinstance(preview, dict)
    await deliver(chat, preview, {})
    assert label_app.started == [{"tier": "gold", "workers": 5, "label": "blue"}]


@DELIVERIES
async def test_surrounding_whitespace_is_ignored_for_choices_and_text(
    chat: Chat, label_app: LabelApp, deliver: Deliver
) -> None:
    preview = await deliver(chat, await open_form(chat), {"tier": "  gold\u00a0", "workers": 4, "label": "\tblue  "})
    facts = preview_facts(preview)
    for line in ("Tier: ? → gold", "Workers: ? → 4", "Label: ? → blue"):
        assert line in facts


@DELIVERIES
@pytest.mark.parametrize("workers", [5.5, "5.5", " 5.5 ", 1e-3])
async def test_a_fraction_for_a_whole_number_is_refused_clearly(
    chat: Chat, label_app: LabelApp, deliver: Deliver, workers: Any
) -> None:
    answer = await deliver(chat, await open_form(chat), {**VALID, "workers": workers})
    shown = form_again(answer)
    assert f"Workers must be a whole number, got '{str(workers).strip()}'." in shown
    assert label_app.started == []


# --------------------------------------------------------------------------- not a single value
@pytest.mark.parametrize("field", ["tier", "workers", "label"])
@pytest.mark.parametrize(
    ("sent", "kind"), [(True, "true/false"), (["gold", "silver"], "a list"), ({"value": "gold"}, "an object")]
)
async def test_a_value_that_is_not_single_is_refused_precisely_on_execute(
    chat: Chat, label_app: LabelApp, field: str, sent: Any, kind: str
) -> None:
    form = await open_form(chat)
    response, messages = await chat.press(ALEX, form, "Review", {**VALID, field: sent})
    assert response.status == 400
    assert response.body["type"] == ERROR
    assert response.body["value"] == {
        "code": "BadRequest",
        "message": f"The field '{field}' must be a single value (text or a number), not {kind}.",
    }
    assert messages == []
    # The form is still waiting: a proper submission goes on.
    assert isinstance(await by_execute(chat, form, VALID), dict)
    assert label_app.started == []


@pytest.mark.parametrize("field", ["tier", "workers", "label"])
@pytest.mark.parametrize(
    ("sent", "kind"), [(False, "true/false"), ([4], "a list"), ({}, "an object")]
)
async def test_a_value_that_is_not_single_is_refused_precisely_on_submit(
    chat: Chat, label_app: LabelApp, field: str, sent: Any, kind: str
) -> None:
    form = await open_form(chat)
    reply = await by_submit(chat, form, {**VALID, field: sent})
    assert reply == (
        f"I can't use this card. The field '{field}' must be a single value (text or a number), not {kind}. "
        "Nothing was changed."
    )
    assert "damaged" not in reply
    # The form is still waiting: a proper submission goes on to the preview.
    assert "Workers: ? → 4" in preview_facts(await by_submit(chat, form, VALID))
    assert label_app.started == []


# --------------------------------------------------------------------------- the example
@DELIVERIES
async def test_vm_null_shows_the_vm_form_again(chat: Chat, sandbox: SandboxHandle, deliver: Deliver) -> None:
    [form] = sent_cards(await chat.say(ALEX, "vm-start"))
    answer = await deliver(chat, form, {"vm": None})
    assert isinstance(answer, dict), answer
    assert "Which virtual machine? This field is missing: fill it in." in card_texts(answer)
    assert "vm" in inputs_of(answer)
    assert [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")] == []


# --------------------------------------------------------------------------- tampering still refused
@DELIVERIES
async def test_null_values_do_not_let_someone_else_use_the_card(
    channel: Chat, label_app: LabelApp, deliver: Deliver
) -> None:
    [form] = sent_cards(await channel.say(ALEX, "label app"))
    inputs = {"tier": None, "workers": None, "label": None}
    if deliver is by_execute:
        response, _ = await channel.press(MEGAN, form, "Review", inputs)
        refusal = response.body["value"]
    else:
        [refusal] = texts(await channel.send(channel.activity(
            MEGAN, value={**form["actions"][0]["fallback"]["data"], **inputs}
        )))
    assert refusal.startswith("This card belongs to Alex Wilber: only they can use it.")
    assert label_app.started == []
