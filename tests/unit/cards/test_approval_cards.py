"""The approval card: valid Adaptive Cards in every state, buttons only for voters, and its presses read back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from actions.spec import Change, Preview
from cards.approvals import approval_card
from cards.protocol import (
    APPROVAL_REFRESH_VERB,
    VOTE_APPROVE_VERB,
    MalformedSubmission,
    SubmissionChannel,
    approval_data,
    read_approval_press,
)
from governing.context import MAX_REFRESH_USERS, ApprovalView, Governance, standing, teams_user_id
from guardrails.records import ApprovalRequest, ApprovalStatus, Principal, Vote, VoteChoice
from tests.support.card_checks import assert_valid_cards
from tools.card_validation import CardValidator

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
NP1 = (
    "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/aks-prod/agentPools/np1"
)
APPROVAL = ApprovalRequest(
    id="f-00000000000000aa", requester_id="aad-alex", requester_name="Alex Wilber", action="aks-scale-node-pool",
    resource_id=NP1, args={"count": 6}, plan_hash="sha256:v1:" + "a" * 64, rule_id="prod-approvers", quorum=2,
    expires_at=T0 + timedelta(hours=24), reason="black friday traffic", created_at=T0,
    preview=Preview("aks-prod / node pool np1", NP1, (Change("Node count", "3", "6"),),
                    notes=("Nodes are added one at a time.",), title="Scale aks-prod / np1: 3 → 6 nodes"),
)
MEGAN_VOTE = Vote("aad-megan", VoteChoice.APPROVE, T0 + timedelta(minutes=2), Principal.user("aad-megan"),
                  "Megan Bowen")


def view(approval: ApprovalRequest = APPROVAL, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"approval": approval, "status": standing(approval),
                              "approvers": (teams_user_id("aad-megan"), teams_user_id("aad-adele")), "can_vote": True}
    fields.update(overrides)
    return approval_card(ApprovalView(**fields))


def test_every_state_of_the_card_is_valid(card_validator: CardValidator) -> None:
    cards = {
        "pending, voter": view(),
        "pending, someone else": view(can_vote=False),
        "pending, the requester": view(can_vote=False, requester_view=True),
        "one vote, refused notice": view(replace(APPROVAL, votes=(MEGAN_VOTE,)), notice="You already voted."),
    }
    for status in ApprovalStatus:
        votes = (replace(MEGAN_VOTE, choice=VoteChoice.REJECT, comment="not now"),) if status is \
            ApprovalStatus.REJECTED else (MEGAN_VOTE,)
        cards[status.value] = view(replace(APPROVAL, status=status, votes=votes), can_vote=False)
    assert_valid_cards(card_validator, cards)


def test_a_voter_gets_approve_and_reject_bound_to_the_request_and_its_plan() -> None:
    card = view()
    approve, reject = card["actions"]
    assert (approve["type"], approve["verb"], reject["verb"]) == ("Action.Execute", "vote:approve", "vote:reject")
    assert approve["data"]["switchboard"] == {"v": 1, "verb": "vote:approve", "approval": APPROVAL.id,
                                              "plan": APPROVAL.plan_hash}
    assert approve["fallback"]["type"] == "Action.Submit"
    assert approve["fallback"]["data"] == approve["data"]
    assert any(item.get("id") == "comment" for item in card["body"])
    texts = str(card)
    for shown in ("Alex Wilber", "black friday traffic", "aks-scale-node-pool", "3 → 6", "2026-12-01 10:00 UTC"):
        assert shown in texts


def test_everyone_else_sees_the_standing_without_buttons_and_approvers_refresh_to_their_view() -> None:
    card = view(replace(APPROVAL, votes=(MEGAN_VOTE,)), can_vote=False)
    assert "actions" not in card
    assert "Approved by Megan Bowen at 2026-11-30 10:02 UTC; waiting for 1 more (2 needed)" in str(card)
    assert card["refresh"]["userIds"] == ["8:orgid:aad-megan", "8:orgid:aad-adele"]
    assert card["refresh"]["action"]["verb"] == APPROVAL_REFRESH_VERB


def test_refresh_names_at_most_60_approvers_and_never_the_requester() -> None:
    class Renderer:
        def __call__(self, v: ApprovalView) -> dict[str, Any]:
            return {"approvers": v.approvers}

    governance = Governance.__new__(Governance)
    governance.render_card = Renderer()
    people = ["aad-alex", *(f"aad-{n}" for n in range(80))]
    shown = governance.view(APPROVAL, people, can_vote=False)["approvers"]
    assert len(shown) == MAX_REFRESH_USERS
    assert teams_user_id("aad-alex") not in shown


def invoke(verb: str, data: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(type="invoke", name="adaptiveCard/action", value={"action": {"verb": verb, "data": data}})


def test_a_vote_press_is_read_from_the_invoke_and_from_the_submit_fallback() -> None:
    data = {**approval_data(VOTE_APPROVE_VERB, APPROVAL.id, APPROVAL.plan_hash), "comment": "  fine  "}
    press = read_approval_press(invoke(VOTE_APPROVE_VERB, data))
    assert press is not None
    assert (press.verb, press.approval_id, press.plan_hash, press.comment) == (
        VOTE_APPROVE_VERB, APPROVAL.id, APPROVAL.plan_hash, "fine")
    assert press.channel is SubmissionChannel.EXECUTE
    fallback = read_approval_press(SimpleNamespace(type="message", value=data))
    assert fallback is not None
    assert fallback.channel is SubmissionChannel.SUBMIT
    assert fallback.is_vote


@pytest.mark.parametrize(
    "meta",
    [
        {"v": 1, "verb": "vote:approve"},
        {"v": 1, "verb": "vote:approve", "approval": ""},
        {"v": 1, "verb": "vote:approve", "approval": ["x"]},
        {"v": 2, "verb": "vote:approve", "approval": "f-1"},
        {"v": 1, "verb": "vote:approve", "approval": "f-1", "plan": 5},
    ],
)
def test_a_malformed_approval_press_is_refused(meta: dict[str, Any]) -> None:
    with pytest.raises(MalformedSubmission):
        read_approval_press(invoke("vote:approve", {"switchboard": meta}))


def test_other_presses_are_not_approval_presses() -> None:
    assert read_approval_press(invoke("confirm:x", {"switchboard": {"v": 1, "verb": "confirm:x"}})) is None
    assert read_approval_press(SimpleNamespace(type="message", value=None)) is None
