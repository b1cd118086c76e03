"""The cards of a request, as people read them: the title says the change, each fact once, the product's
words, risks flagged in a styled container with a required acknowledgement, a clear "nothing to change",
results in ``good`` / ``attention`` containers — never coloured text. Every state passes the Adaptive
Cards validator."""

from __future__ import annotations

from typing import Any

from actions.registry import default_registry
from actions.spec import Change, Preview, Risk, RiskKind
from cards import (
    ACKNOWLEDGE_INPUT,
    ACKNOWLEDGE_VALUE,
    REQUEST_CARD_LOOKS,
    CardRef,
    CardSubmission,
    FormField,
    RequestCardState,
    Tone,
    Verb,
    acknowledged,
    form_card,
    notice_card,
    preview_card,
    request_card,
)
from tests.support.card_checks import assert_valid_cards
from tools.card_validation import CardValidator

SCALE = default_registry().get("aks-scale-node-pool")
assert SCALE is not None
REF = CardRef(Verb.CONFIRM, SCALE.name, "f-00000000000000aa", "aad-alex", "Alex Wilber")
ARGS = [("AKS cluster", "aks-dev"), ("Node pool", "np1"), ("Node count", "0")]
TO_ZERO = Preview(
    "aks-dev / node pool np1", "/subscriptions/s/rg/aks-dev/agentPools/np1",
    (Change("nodes", "2", "0", parameter="count"),),
    notes=("Nodes are drained before removal: their pods move to the remaining nodes.",),
    title="Scale aks-dev / np1: 2 → 0 nodes", before={"count": 2},
    risks=(Risk(RiskKind.TO_ZERO, "count", "0 nodes: workloads that run only on this node pool stop running."),),
)  # fmt: skip
PLAIN = Preview(
    "aks-prod / node pool np1", "/subscriptions/s/rg/aks-prod/agentPools/np1",
    (Change("nodes", "3", "5", parameter="count"),), title="Scale aks-prod / np1: 3 → 5 nodes", before={"count": 3},
)
NO_OP = Preview(
    "build-agent-3", "/subscriptions/s/rg/vm/build-agent-3", (Change("power state", "deallocated", "deallocated"),),
    no_op=True, title="Stop (deallocate) VM build-agent-3", before={"power_state": "deallocated"},
    no_op_reason="build-agent-3 is already deallocated",
)
RESTART = Preview(
    "web-prod (web app)", "/subscriptions/s/rg/sites/web-prod",
    (Change("restart", "", "web-prod will restart (unavailable for a few seconds up to a minute)"),),
    title="Restart web-prod", before={"state": "Running"},
)


def lines(card: dict[str, Any]) -> list[str]:
    """Every TextBlock text and fact ("title: value") of the body, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            if node.get("type") == "FactSet":
                found.extend(f"{fact['title']}: {fact['value']}" for fact in node["facts"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card["body"])
    return found


def elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card["body"])
    return found


def containers(card: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(c["style"], lines({"body": c["items"]})) for c in elements(card) if c.get("type") == "Container"]


def test_a_preview_says_the_change_once_with_the_products_words() -> None:
    card = preview_card(SCALE, REF, requester_name="Alex Wilber",
                        args=[("AKS cluster", "aks-prod"), ("Node pool", "np1"), ("Node count", "5")], preview=PLAIN)
    assert lines(card) == [
        "Scale aks-prod / np1: 3 → 5 nodes",
        "Requested by Alex Wilber",
        "AKS cluster: aks-prod",
        "Node pool: np1",
        "Node count: 3 → 5",
        "Confirm to go ahead, or cancel to change nothing.",
    ]
    assert [a["title"] for a in card["actions"]] == ["Confirm", "Cancel"]
    assert card["actions"][0]["associatedInputs"] == "none"  # nothing to acknowledge


def test_a_risky_preview_flags_it_and_needs_the_box_ticked() -> None:
    card = preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=TO_ZERO)
    assert lines(card)[:2] == ["Scale aks-dev / np1: 2 → 0 nodes", "Requested by Alex Wilber"]
    assert containers(card)[0] == (
        "warning", ["Check before you confirm", "• 0 nodes: workloads that run only on this node pool stop running."],
    )
    assert card["body"][2]["style"] == "warning"  # right under the title, before the facts
    [toggle] = [e for e in elements(card) if e.get("type") == "Input.Toggle"]
    assert (toggle["id"], toggle["title"], toggle["valueOn"], toggle["isRequired"]) == (
        ACKNOWLEDGE_INPUT, "I understand: scale aks-dev / np1: 2 → 0 nodes", ACKNOWLEDGE_VALUE, True,
    )
    confirm, cancel = card["actions"]
    assert "associatedInputs" not in confirm
    assert "associatedInputs" not in confirm["fallback"]
    assert cancel["associatedInputs"] == "none"


def test_the_server_decides_whether_the_box_was_ticked() -> None:
    def press(inputs: dict[str, str]) -> CardSubmission:
        return CardSubmission(REF, inputs)

    assert acknowledged(press({ACKNOWLEDGE_INPUT: ACKNOWLEDGE_VALUE}))
    assert not acknowledged(press({}))
    assert not acknowledged(press({ACKNOWLEDGE_INPUT: "false"}))
    assert not acknowledged(press({ACKNOWLEDGE_INPUT: "true"}))


def test_a_refused_confirm_says_why_in_an_attention_container() -> None:
    card = preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=TO_ZERO,
                        errors=["Tick the box first."])
    assert ("attention", ["Tick the box first."]) in containers(card)


def test_nothing_to_change_has_no_buttons() -> None:
    vm = default_registry().get("vm-deallocate")
    assert vm is not None
    card = preview_card(vm, REF, requester_name="Alex Wilber", args=[("Virtual machine", "build-agent-3")],
                        preview=NO_OP)
    assert lines(card) == [
        "build-agent-3 is already deallocated",
        "Requested by Alex Wilber",
        "Nothing to change",
        "It is already as requested, so there is nothing to confirm.",
        "Virtual machine: build-agent-3",
    ]
    assert containers(card)[0][0] == "good"
    assert "actions" not in card
    assert NO_OP.text == "build-agent-3 is already deallocated — nothing to change"


def test_a_restart_says_what_will_happen() -> None:
    app = default_registry().get("app-restart")
    assert app is not None
    card = preview_card(app, REF, requester_name="Alex Wilber", args=[("App", "web-prod")], preview=RESTART)
    assert lines(card)[:4] == [
        "Restart web-prod", "Requested by Alex Wilber", "App: web-prod",
        "web-prod will restart (unavailable for a few seconds up to a minute)",
    ]
    assert RESTART.text == "restart: web-prod will restart (unavailable for a few seconds up to a minute)"


def test_decisions_and_results_use_container_styles() -> None:
    confirmed = request_card(SCALE, RequestCardState.CONFIRMED, requester_name="Alex Wilber", args=ARGS,
                             preview=TO_ZERO, by="Alex Wilber", message="Working on it: aks-dev / node pool np1…")
    assert lines(confirmed)[:2] == ["Scale aks-dev / np1: 2 → 0 nodes", "Requested by Alex Wilber"]
    assert containers(confirmed)[-1] == ("accent", ["Confirmed by Alex Wilber",
                                                    "Working on it: aks-dev / node pool np1…"])
    assert "actions" not in confirmed
    done = request_card(SCALE, RequestCardState.SUCCEEDED, requester_name="Alex Wilber", args=ARGS,
                        preview=TO_ZERO, by="Alex Wilber", message="aks-dev / node pool np1 now has 0 nodes.")
    assert lines(done) == ["Scale aks-dev / np1: 2 → 0 nodes", "Requested by Alex Wilber", "Confirmed by Alex Wilber",
                           "AKS cluster: aks-dev", "Node pool: np1", "Node count: 2 → 0", "Done",
                           "aks-dev / node pool np1 now has 0 nodes."]
    assert containers(done)[0][0] == "good"
    failed = request_card(SCALE, RequestCardState.FAILED, requester_name="Alex Wilber", args=ARGS, preview=TO_ZERO,
                          by="Alex Wilber", message="Azure refused it.")
    assert containers(failed)[0][0] == "attention"


def every_state() -> dict[str, dict[str, Any]]:
    count = next(p for p in SCALE.parameters if p.name == "count")
    return {
        "preview": preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=PLAIN),
        "preview-risky": preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=TO_ZERO),
        "preview-risky-refused": preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=TO_ZERO,
                                              errors=["Tick the box first."]),
        "preview-no-op": preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=NO_OP),
        "preview-restart": preview_card(SCALE, REF, requester_name="Alex Wilber", args=ARGS, preview=RESTART),
        "confirmed": request_card(SCALE, RequestCardState.CONFIRMED, requester_name="Alex Wilber", args=ARGS,
                                  preview=TO_ZERO, by="Alex Wilber", message="Working on it…"),
        "cancelled": request_card(SCALE, RequestCardState.DECLINED, requester_name="Alex Wilber", args=ARGS,
                                  preview=PLAIN, by="Alex Wilber", message="Nothing was changed."),
        "done": request_card(SCALE, RequestCardState.SUCCEEDED, requester_name="Alex Wilber", args=ARGS,
                             preview=PLAIN, by="Alex Wilber", message="m"),
        "failed": request_card(SCALE, RequestCardState.FAILED, requester_name="Alex Wilber", args=ARGS,
                               message="m", details=[("Reference", "r-1")]),
        "cant": notice_card("Can't do this", "aks-sandbox is stopped.", tone=Tone.WARNING),
        "form": form_card(SCALE, REF.with_verb(Verb.SUBMIT), [FormField(count, value="99999")],
                          errors=["Node count must be from 0 to 1000, got 99999."]),
    }


def test_no_text_is_coloured_and_meaning_is_carried_by_container_styles() -> None:
    for name, card in every_state().items():
        assert not [e for e in elements(card) if "color" in e], name
        assert {c.get("style") for c in elements(card) if c.get("type") == "Container"} <= {
            "emphasis", "good", "warning", "attention", "accent",  # accent: confirmed, waiting, queued
        }, name


def test_a_number_box_never_clamps_and_states_the_range() -> None:
    form = every_state()["form"]
    [number] = [e for e in elements(form) if e.get("type") == "Input.Number"]
    assert "min" not in number
    assert "max" not in number
    assert (number["label"], number["errorMessage"], number["value"]) == (
        "Node count (from 0 to 1000)", "Enter a whole number from 0 to 1000.", 99999,
    )


def test_every_card_state_passes_the_validator(card_validator: CardValidator) -> None:
    assert_valid_cards(card_validator, every_state())


# ------------------------------------------------------------------ the one living card, state by state
def living_states() -> dict[str, dict[str, Any]]:
    """The request's card in every state it can be in, with and without a preview (a form closed early)."""
    count = next(p for p in SCALE.parameters if p.name == "count")
    found: dict[str, dict[str, Any]] = {}
    for state in RequestCardState:
        if state is RequestCardState.FORM:
            found["form"] = request_card(SCALE, state, requester_name="Alex Wilber", ref=REF.with_verb(Verb.SUBMIT),
                                         fields=[FormField(count)], args=ARGS[:2])
            continue
        if state in (RequestCardState.PREVIEW, RequestCardState.NO_OP):
            preview = NO_OP if state is RequestCardState.NO_OP else TO_ZERO
            found[state.value] = request_card(SCALE, state, requester_name="Alex Wilber", args=ARGS, preview=preview,
                                              ref=REF, question='Reply "yes" to confirm or "no" to cancel.')
            continue
        found[state.value] = request_card(SCALE, state, requester_name="Alex Wilber", args=ARGS, preview=TO_ZERO,
                                          by="Alex Wilber", message="What became of it.",
                                          details=[("Reference", "r-1")])
        found[f"{state.value} (no preview yet)"] = request_card(SCALE, state, requester_name="Alex Wilber",
                                                                args=ARGS[:1], by="Alex Wilber", message="Why.")
    return found


def test_every_state_has_a_look_and_only_the_form_preview_and_confirmed_are_open() -> None:
    assert set(REQUEST_CARD_LOOKS) == set(RequestCardState)
    assert {state for state, look in REQUEST_CARD_LOOKS.items() if look.open} == {
        RequestCardState.FORM, RequestCardState.PREVIEW, RequestCardState.CONFIRMED,
    }


def test_a_closed_card_leads_with_the_change_and_says_what_became_of_it_without_buttons() -> None:
    states = living_states()
    for name, card in states.items():
        if name in ("form", "preview"):
            assert "actions" in card, name
            continue
        assert "actions" not in card, name
        assert not [e for e in elements(card) if str(e.get("type", "")).startswith("Input.")], name
    assert lines(states["succeeded"]) == [
        "Scale aks-dev / np1: 2 → 0 nodes", "Requested by Alex Wilber", "Confirmed by Alex Wilber",
        "AKS cluster: aks-dev", "Node pool: np1", "Node count: 2 → 0", "Done", "What became of it.", "Reference: r-1",
    ]
    assert containers(states["succeeded"])[0] == ("good", ["Done", "What became of it."])
    assert containers(states["cancelled"])[0] == ("emphasis", ["Cancelled by Alex Wilber", "What became of it."])
    assert "Confirmed by Alex Wilber" not in lines(states["cancelled"])
    assert containers(states["broken"])[0][0] == "attention"
    assert containers(states["confirmed"])[0][0] == "accent"
    assert containers(states["superseded (no preview yet)"])[0] == ("emphasis", ["Replaced by a newer request", "Why."])
    assert lines(states["stopped (no preview yet)"])[:3] == [
        "Set the node count of an AKS node pool.", "Requested by Alex Wilber", "AKS cluster: aks-dev"]


def test_a_preview_asks_its_question_on_the_card() -> None:
    card = living_states()["preview"]
    assert lines(card)[-1] == 'Reply "yes" to confirm or "no" to cancel.'
    assert [a["title"] for a in card["actions"]] == ["Confirm", "Cancel"]


def test_every_living_card_state_passes_the_validator(card_validator: CardValidator) -> None:
    states = living_states()
    for name, card in states.items():
        assert not [e for e in elements(card) if "color" in e], name
    assert_valid_cards(card_validator, states)
