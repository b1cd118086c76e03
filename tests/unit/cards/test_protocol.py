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
