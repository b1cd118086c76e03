"""Reading card submissions: both delivery paths, and every way a submission can be malformed."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.schema import Activity

from cards.protocol import (
    CardRef,
    MalformedSubmission,
    SubmissionChannel,
    Verb,
    new_form_id,
    read_submission,
)

REF = CardRef(Verb.SUBMIT, "aks-scale-node-pool", "f-0123456789abcdef", "aad-alex", "Alex Wilber")


def execute(data: Any, verb: Any = None, **action: Any) -> Activity:
    body = {"type": "Action.Execute", "verb": REF.verb_text if verb is None else verb, "data": data, **action}
    return Activity(type="invoke", name="adaptiveCard/action", value={"action": body, "trigger": "manual"})


def test_execute_invoke_is_read_with_inputs() -> None:
    submission = read_submission(execute({**REF.data(), "count": "5", "cluster": "/subscriptions/x"}))
    assert submission is not None
    assert submission.ref == REF
    assert submission.inputs == {"count": "5", "cluster": "/subscriptions/x"}
    assert submission.channel is SubmissionChannel.EXECUTE


def test_submit_fallback_message_is_read_the_same_way() -> None:
    activity = Activity(type="message", value={**REF.with_verb(Verb.CONFIRM).data(), "count": 5.0})
    submission = read_submission(activity)
    assert submission is not None
    assert submission.ref.verb is Verb.CONFIRM
    assert submission.inputs == {"count": "5"}
    assert submission.channel is SubmissionChannel.SUBMIT


def submit(data: Any) -> Activity:
    """The ``Action.Submit`` fallback: a message whose value is the data merged with the inputs."""
    return Activity(type="message", value=data)


@pytest.mark.parametrize("deliver", [execute, submit], ids=["execute", "submit"])
def test_null_inputs_are_left_out_as_missing(deliver: Any) -> None:
    # Mobile Teams clients send null for inputs the user did not touch.
    submission = read_submission(deliver({**REF.data(), "cluster": None, "pool": "np1", "count": None, "label": None}))
    assert submission is not None
    assert submission.inputs == {"pool": "np1"}
    submission = read_submission(deliver({**REF.data(), "cluster": None, "pool": None, "count": None}))
    assert submission is not None
    assert submission.inputs == {}


@pytest.mark.parametrize("deliver", [execute, submit], ids=["execute", "submit"])
@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (5, "5"),
        ("5", "5"),
        (" 5 ", "5"),
        ("\t5\n", "5"),
        (5.0, "5"),
        (-0.0, "0"),
        (1e3, "1000"),
        (5.5, "5.5"),  # refused later, for an integer parameter, with the reason
        ("5.5", "5.5"),
        (" aks-prod\u00a0", "aks-prod"),
        ("   ", ""),  # blank: a missing value for the form
        ("", ""),
    ],
)
def test_values_are_read_as_stripped_text(deliver: Any, sent: Any, read: str) -> None:
    submission = read_submission(deliver({**REF.data(), "count": sent}))
    assert submission is not None
    assert submission.inputs == {"count": read}


@pytest.mark.parametrize("deliver", [execute, submit], ids=["execute", "submit"])
@pytest.mark.parametrize(
    ("sent", "kind"),
    [(True, "true/false"), (False, "true/false"), ([], "a list"), (["1", "2"], "a list"), ({}, "an object"),
     ({"$gt": 1}, "an object")],
)
def test_a_value_that_is_not_single_is_refused_naming_the_field(deliver: Any, sent: Any, kind: str) -> None:
    with pytest.raises(MalformedSubmission) as caught:
        read_submission(deliver({**REF.data(), "cluster": "aks-prod", "count": sent}))
    assert str(caught.value) == f"The field 'count' must be a single value (text or a number), not {kind}."


def test_a_field_name_is_repeated_as_plain_text() -> None:
    with pytest.raises(MalformedSubmission) as caught:
        read_submission(execute({**REF.data(), "<b>[x](https://evil.example)</b>": [1]}))
    assert str(caught.value).startswith("The field 'bx(https://evil.example)/b' must be a single value")


@pytest.mark.parametrize(
    "activity",
    [
        Activity(type="message", text="hello"),
        Activity(type="message", value={"something": "else"}),
        Activity(type="invoke", name="composeExtension/query", value={}),
        Activity(type="conversationUpdate"),
    ],
)
def test_activities_without_a_switchboard_card_are_not_submissions(activity: Activity) -> None:
    assert read_submission(activity) is None


@pytest.mark.parametrize(
    ("activity", "reason"),
    [
        (Activity(type="invoke", name="adaptiveCard/action", value=None), "no action"),
        (Activity(type="invoke", name="adaptiveCard/action", value={"action": "x"}), "no action"),
        (execute({"count": "5"}), "not made by this version"),
        (execute({"switchboard": {"v": 2}}), "not made by this version"),
        (execute(REF.data(), verb="confirm:aks-scale-node-pool"), "does not match"),
        (execute({"switchboard": {**REF.data()["switchboard"], "verb": "explode:x"}}, verb="explode:x"), "Unknown"),
        (execute({"switchboard": {**REF.data()["switchboard"], "verb": "submit:../x"}}, verb="submit:../x"), "action"),
        (execute({"switchboard": {**REF.data()["switchboard"], "form": "f-1"}}), "form"),
        (execute({"switchboard": {**REF.data()["switchboard"], "owner": None}}), "owner"),
        (execute({**REF.data(), "count": {"$gt": 1}}), "single value"),
        (execute({**REF.data(), "count": ["1", "2"]}), "single value"),
        (execute({**REF.data(), "count": True}), "single value"),
        (execute({**REF.data(), "label": "x" * 5000}), "too long"),
        (execute(REF.data(), type="Action.Submit"), "not supported"),
        (execute("data"), "no data"),
    ],
)
def test_malformed_submissions_are_refused_with_a_reason(activity: Activity, reason: str) -> None:
    with pytest.raises(MalformedSubmission, match=reason):
        read_submission(activity)


def test_form_ids_are_fresh_and_well_formed() -> None:
    ids = {new_form_id() for _ in range(100)}
    assert len(ids) == 100
    for form_id in ids:
        ref = CardRef(Verb.SUBMIT, "a", form_id, "o", "O")
        assert read_submission(execute(ref.data(), verb=ref.verb_text)) is not None
