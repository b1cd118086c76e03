"""Transcripts: the conversation with the guardrails in the path — the reason asked for before an approval,
approval cards pressed by approvers, `--break-glass "reason"`, refusals told precisely."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from dialogs import Conversations
from governing import GovernanceCommands, GrantChoiceFilter, PolicyAccess
from guardrails.ports import AuditQuery
from guardrails.records import ApprovalStatus, AuditKind, Freeze, GrantKind, Limits
from storage import DeliveryLedger, TableBotStorage, TableProvider
from tests.integration.governing import conftest as guarded_people
from tests.integration.governing.conftest import AKS_PROD, FAST_TABLES, RG_PROD, Guarded
from tests.integration.governing.test_governing_requests import approval_grant, auto_grant, prod_rule
from tests.support.card_checks import assert_valid_cards, card_validator
from tests.support.connector import TEST_TENANT_ID
from tests.unit.dialogs.conftest import (
    ALEX,
    MEGAN,
    Chat,
    ConnectorStandIn,
    MemoryReferences,
    Person,
    card_texts,
    said,
    sent_cards,
    updated_cards,
)
from tools.card_validation import CardValidator

__all__ = ["card_validator"]


def shown(chat: Chat, sent: list[Activity]) -> list[str]:
    """What the last turn showed: the messages it sent and the request's card it changed in place."""
    return said(sent) + ["\n".join(card_texts(card)) for _, card in updated_cards(chat)]

ADELE = Person("29:user-adele", "00000000-0000-0000-0000-0000000000022", "Adele Vance")
PATTI = Person("29:user-patti", "00000000-0000-0000-0000-0000000000024", "Patti Fernandez")
SCALE = "scale node pool aks-prod np1 to 6"


@pytest.fixture
async def chats(
    guarded: Guarded, storage_connection_string: str, unique_name: str
) -> AsyncIterator[Callable[[str], Chat]]:
    """``chats(conversation id)``: personal chats with the real bot, its state on Azurite, the guarded handler."""
    async with TableProvider(connection_string=storage_connection_string, options=FAST_TABLES) as tables:
        storage = TableBotStorage(tables, table_name=f"gstate{unique_name}")
        ledger = DeliveryLedger(tables, table_name=f"gdeliveries{unique_name}")
        states = BotStates.create(storage, private_conversation=True)
        assert states.private_conversation is not None
        conversations = Conversations(
            state=states.private_conversation, registry=guarded.registry, actions=guarded.actions,
            handler=guarded.handler, decisions=ledger, votes=guarded.votes,
            choice_filter=GrantChoiceFilter(guarded.governance),
            governance=GovernanceCommands(PolicyAccess(tables, namespace=f"g{unique_name}", clock=guarded.clock),
                                          guarded.registry),
        )
        bot = SwitchboardBot(states=states, references=MemoryReferences(), allowed_tenants=[TEST_TENANT_ID],
                             conversations=conversations, deliveries=ledger)

        async def logic(turn_context: TurnContext) -> None:
            await bot.on_turn(turn_context)

        yield lambda conversation_id: Chat(ConnectorStandIn(logic), "personal", conversation_id)


async def test_approval_needed_asks_for_a_reason_then_approvers_decide_on_their_cards(
    guarded: Guarded, chats: Callable[[str], Chat], card_validator: CardValidator,
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(2))
    alex = chats("a:alex")
    await alex.say(ALEX, SCALE)
    asked = said(await alex.say(ALEX, "yes"))
    assert any("This needs 2 approval(s)" in text and "Why is it needed?" in text for text in asked)
    assert guarded.scale_puts() == []
    waiting = said(await alex.say(ALEX, "black friday traffic"))
    assert any("Waiting for approval" in text for text in waiting)
    await guarded.governance.drain()
    [stored] = await guarded.governance.approvals.by_requester(ALEX.aad_object_id)
    assert (stored.reason, stored.status) == ("black friday traffic", ApprovalStatus.PENDING)

    card = next(n.card for user, n in guarded.notifier.to_users if user == MEGAN.aad_object_id)
    assert card is not None
    megan, adele = chats("a:megan"), chats("a:adele")
    mine, _ = await alex.press(ALEX, card, "Approve")  # the requester presses a forwarded copy
    assert "own request" in str(mine.body["value"])
    first, _ = await megan.press(MEGAN, card, "Approve", {"comment": "fine"})
    assert "waiting for 1 more (2 needed)" in str(first.body["value"])
    assert "actions" not in first.body["value"]  # voted: no buttons any more
    second, _ = await adele.press(ADELE, card, "Approve")
    assert "quorum is reached" in str(second.body["value"])
    await guarded.governance.drain()
    assert await guarded.pool_count() == 6
    assert len(guarded.scale_puts()) == 1
    told = [n.text or "" for conversation, n in guarded.notifier.sent]
    assert any(text.startswith("Your request was approved.") for text in told)
    assert_valid_cards(card_validator, {**alex.cards, **megan.cards, **adele.cards, "approval": card})


async def test_within_a_standing_approval_no_reason_is_asked_and_it_runs(
    guarded: Guarded, chats: Callable[[str], Chat]
) -> None:
    await guarded.policy.grants.add(auto_grant())
    alex = chats("a:alex")
    await alex.say(ALEX, "scale node pool aks-prod np1 to 4")
    done = shown(alex, await alex.say(ALEX, "yes"))
    assert any("now has 4 nodes" in text for text in done)
    assert not any("Why is it needed?" in text for text in done)


async def test_a_refusal_says_what_is_missing_and_who_can_grant_it(
    guarded: Guarded, chats: Callable[[str], Chat]
) -> None:
    alex = chats("a:alex")
    await alex.say(ALEX, SCALE)
    refused = shown(alex, await alex.say(ALEX, "yes"))
    assert any("You have no grant for aks-scale-node-pool on this resource" in text for text in refused)
    assert guarded.scale_puts() == []


async def test_break_glass_on_a_typed_command_runs_at_once_on_the_record(
    guarded: Guarded, chats: Callable[[str], Chat]
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.grants.add(auto_grant(id="alex-break-glass", kind=GrantKind.BREAK_GLASS, limits=Limits()))
    await guarded.policy.rules.put(prod_rule(2))
    alex = chats("a:alex")
    await alex.say(ALEX, f'{SCALE} --break-glass "checkout is down"')
    done = shown(alex, await alex.say(ALEX, "yes"))
    assert any("now has 6 nodes" in text for text in done)
    records = await guarded.governance.audit_store.query(AuditQuery(actor=ALEX.aad_object_id,
                                                                    kind=AuditKind.BREAK_GLASS))
    assert [r.reason for r in records] == ["checkout is down"]


async def test_break_glass_without_a_reason_is_explained(guarded: Guarded, chats: Callable[[str], Chat]) -> None:
    alex = chats("a:alex")
    sent = await alex.say(ALEX, f"{SCALE} --break-glass")
    assert any("needs a reason in quotes after --break-glass" in text for text in said(sent))
    assert sent_cards(sent) == []  # nothing previewed
    assert guarded.scale_puts() == []


def choice_values(card: dict[str, object], input_id: str) -> list[str]:
    for element in _elements(card):
        if element.get("type") == "Input.ChoiceSet" and element.get("id") == input_id:
            return [str(choice["value"]) for choice in element["choices"]]  # type: ignore[index]
    raise AssertionError(f"no choice set {input_id!r}")


def _elements(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_elements(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_elements(value))
    return found


async def test_a_form_offers_only_the_resources_a_grant_reaches(guarded: Guarded, chats: Callable[[str], Chat]) -> None:
    await guarded.policy.grants.add(approval_grant())  # rg-prod only
    alex = chats("a:alex")
    [form] = sent_cards(await alex.say(ALEX, "scale node pool"))
    clusters = choice_values(form, "cluster")
    assert clusters == [AKS_PROD]
    assert "no grant of yours" in str(form)


async def test_without_any_grant_nothing_is_offered_and_the_reason_is_said(
    guarded: Guarded, chats: Callable[[str], Chat]
) -> None:
    alex = chats("a:alex")
    answer = " ".join(said(await alex.say(ALEX, "scale node pool")))
    assert "no grant of yours" in answer


def fact(card: dict[str, object], title: str) -> str:
    """The value of the card's fact ``title``."""
    [value] = [line.split(": ", 1)[1] for line in card_texts(card) if line.startswith(f"{title}: ")]  # type: ignore[arg-type]
    return value


async def test_approvals_shows_each_waiting_request_as_its_approval_card_and_an_approve_there_counts(
    guarded: Guarded, chats: Callable[[str], Chat], card_validator: CardValidator,
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(2))
    requests = [await guarded.request(guarded_people.ALEX, count, reason="black friday traffic") for count in (6, 7)]
    for request in requests:
        await guarded.handler.submit(request)
    await guarded.governance.drain()

    megan = chats("a:megan")
    sent = await megan.say(MEGAN, "approvals")
    cards = sent_cards(sent)
    assert said(sent)[0].startswith("2 requests wait for your approval: here are their approval cards")
    assert sorted(fact(card, "Request") for card in cards) == sorted(r.id for r in requests)
    for card in cards:  # the approver's view: Approve / Reject with a comment, refreshed for the approvers
        assert [a["title"] for a in card["actions"]] == ["Approve", "Reject"]
        assert all(a["type"] == "Action.Execute" and a["fallback"]["type"] == "Action.Submit"
                   for a in card["actions"])
        assert sorted(card["refresh"]["userIds"]) == sorted(
            f"8:orgid:{p.aad_object_id}" for p in (MEGAN, ADELE))
    [card] = [c for c in cards if fact(c, "Request") == requests[0].id]
    [posted] = [a for a in sent if a.attachments and a.attachments[0].content is card]

    answer, _ = await megan.press(MEGAN, card, "Approve", {"comment": "fine"})
    assert "waiting for 1 more (2 needed)" in str(answer.body["value"])
    stored = (await guarded.governance.approvals.get(requests[0].id)).record
    assert [(v.voter_id, v.comment) for v in stored.approvals] == [(MEGAN.aad_object_id, "fine")]
    await guarded.governance.drain()
    # the copy `approvals` posted is registered with the others, so the vote refreshed it too
    refreshed = [(c["conversation"]["id"], activity) for c, activity, _ in guarded.notifier.updates]
    assert ("a:megan", posted.id) in refreshed
    again = await megan.say(MEGAN, "approvals")  # she voted on one: the other is left
    assert [fact(c, "Request") for c in sent_cards(again)] == [requests[1].id]
    assert_valid_cards(card_validator, megan.cards)


async def test_approvals_of_someone_who_approves_nothing_shows_no_card(
    guarded: Guarded, chats: Callable[[str], Chat]
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(1))
    await guarded.handler.submit(await guarded.request(guarded_people.ALEX, 6, reason="black friday traffic"))
    await guarded.governance.drain()
    for person, chat in ((PATTI, chats("a:patti")), (ALEX, chats("a:alex"))):  # a stranger; the requester
        sent = await chat.say(person, "approvals")
        assert said(sent) == ["Nothing waits for your approval."]
        assert sent_cards(sent) == []


# ---------------------------------------------------------------------- the preview's Break glass button
def break_glass_grant() -> object:
    return auto_grant(id="alex-break-glass", kind=GrantKind.BREAK_GLASS, limits=Limits())


def buttons(card: dict[str, Any]) -> list[str]:
    return [str(a["title"]) for a in card.get("actions", [])]


def has_reason_input(card: dict[str, Any]) -> bool:
    return any(e.get("id") == "breakGlassReason" and e.get("type") == "Input.Text" for e in _elements(card))


async def preview_of(chat: Chat) -> dict[str, Any]:
    """Alex asks to scale aks-prod/np1 to 6: the preview card."""
    [card] = sent_cards(await chat.say(ALEX, SCALE))
    return card


async def break_glass_records(guarded: Guarded) -> list[Any]:
    return await guarded.governance.audit_store.query(AuditQuery(actor=ALEX.aad_object_id,
                                                                 kind=AuditKind.BREAK_GLASS))


async def test_a_holder_breaks_glass_on_the_preview_with_a_reason_and_it_runs_at_once_on_the_record(
    guarded: Guarded, chats: Callable[[str], Chat], card_validator: CardValidator,
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.grants.add(break_glass_grant())
    await guarded.policy.rules.put(prod_rule(2))
    alex = chats("a:alex")
    card = await preview_of(alex)
    assert buttons(card) == ["Confirm", "Break glass", "Cancel"]
    assert has_reason_input(card)

    for blank in ("", "   "):  # refused on the server, whatever the card checks; the card stays
        answer, _ = await alex.press(ALEX, card, "Break glass", {"breakGlassReason": blank})
        shown_again = answer.body["value"]
        assert "Breaking glass needs a reason" in " ".join(card_texts(shown_again))
        assert buttons(shown_again) == ["Confirm", "Break glass", "Cancel"]
    assert guarded.scale_puts() == []
    assert await break_glass_records(guarded) == []

    answer, _ = await alex.press(ALEX, card, "Break glass", {"breakGlassReason": "checkout is down"})
    assert "now has 6 nodes" in " ".join(card_texts(answer.body["value"]))
    assert await guarded.pool_count() == 6
    assert len(guarded.scale_puts()) == 1
    assert await guarded.governance.approvals.by_requester(ALEX.aad_object_id) == []  # nobody was asked
    [record] = await break_glass_records(guarded)
    assert (record.reason, record.break_glass, record.rule_id) == ("checkout is down", True, "alex-break-glass")
    [decision] = await guarded.governance.audit_store.query(AuditQuery(actor=ALEX.aad_object_id,
                                                                       kind=AuditKind.DECISION))
    assert (decision.decision, decision.break_glass) == ("approved", True)
    await guarded.governance.drain()
    told = {user: n.text for user, n in guarded.notifier.to_users}  # the scope's approvers, at once
    assert set(told) == {MEGAN.aad_object_id, ADELE.aad_object_id}
    assert all("Break-glass: Alex Wilber" in str(text) and "checkout is down" in str(text) for text in told.values())
    assert_valid_cards(card_validator, {"preview with break glass": card, **alex.cards})


async def test_break_glass_is_offered_only_to_a_holder_and_only_when_approval_or_a_freeze_applies(
    guarded: Guarded, chats: Callable[[str], Chat],
) -> None:
    alex = chats("a:alex")
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(2))
    no_grant = await preview_of(alex)  # it needs approval, but Alex holds no break-glass grant
    assert buttons(no_grant) == ["Confirm", "Cancel"]
    assert not has_reason_input(no_grant)
    await alex.say(ALEX, "cancel")

    await guarded.policy.grants.add(break_glass_grant())
    await guarded.policy.grants.add(auto_grant(limits=Limits()))  # a standing approval: nothing to skip
    assert buttons(await preview_of(alex)) == ["Confirm", "Cancel"]
    await alex.say(ALEX, "cancel")

    now = guarded.clock.now
    await guarded.policy.freezes.add(Freeze("frz-1", RG_PROD, now - timedelta(hours=1), now + timedelta(hours=5),
                                            "year-end freeze"))
    frozen = await preview_of(alex)  # a freeze applies: the holder may break glass
    assert buttons(frozen) == ["Confirm", "Break glass", "Cancel"]
    answer, _ = await alex.press(ALEX, frozen, "Break glass", {"breakGlassReason": "payments are failing"})
    assert "now has 6 nodes" in " ".join(card_texts(answer.body["value"]))
    [record] = await break_glass_records(guarded)
    assert record.details == {"skipped_freeze": "frz-1"}


async def test_a_forged_break_glass_press_without_a_grant_is_refused_by_the_guardrails_and_audited(
    guarded: Guarded, chats: Callable[[str], Chat],
) -> None:
    await guarded.policy.grants.add(approval_grant())
    await guarded.policy.rules.put(prod_rule(2))
    alex = chats("a:alex")
    card = await preview_of(alex)
    assert "Break glass" not in buttons(card)
    confirm = next(a for a in card["actions"] if a["title"] == "Confirm")
    meta = {**confirm["data"]["switchboard"], "verb": "breakglass:aks-scale-node-pool"}
    forged = {"type": "Action.Execute", "title": "Break glass", "verb": meta["verb"],
              "data": {"switchboard": meta}}
    answer, _ = await alex.press(ALEX, {"actions": [forged]}, "Break glass", {"breakGlassReason": "let me in"})
    refused = " ".join(card_texts(answer.body["value"]))
    assert "Not allowed" in refused
    assert "break-glass" in refused.lower()
    assert guarded.scale_puts() == []
    assert await guarded.governance.approvals.by_requester(ALEX.aad_object_id) == []
    [decision] = await guarded.governance.audit_store.query(AuditQuery(actor=ALEX.aad_object_id,
                                                                       kind=AuditKind.DECISION))
    assert (decision.decision, decision.break_glass, decision.rule_id) == ("refused", True, "break-glass")
    assert await break_glass_records(guarded) == []
