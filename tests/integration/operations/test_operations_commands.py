"""The operations' chat commands through the real bot (botbuilder's TestAdapter): ``status``, ``cancel``,
``history`` and ``undo`` over the real operation store, queue and leases on Azurite, the worker driving
operations against the ARM sandbox, and the real policy stores deciding who may see what.

Alex asks for changes on aks-prod (rg-prod); Megan approves requests on rg-prod (its approver rule);
Adele administers rg-prod (an ``admin`` grant); Sam is nobody to it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from botbuilder.core import MemoryStorage, TurnContext

from app.composition import governance_commands
from bot.state import BotStates
from bot.teams_bot import SwitchboardBot
from cards.approvals import approval_card
from dialogs import Conversations
from governing import Governance, GuardedRequestHandler, PolicyAccess
from guardrails.ports import AuditQuery
from guardrails.records import ApproverRule, AuditKind, AuditRecord, Grant, GrantKind, Principal, RateLimit
from operations import Operation, OperationState
from requesting import OutcomeState, Request, Requester
from storage.approval_cards import TableApprovalCardStore
from storage.approvals import TableApprovalStore
from storage.audit import TableAuditStore
from storage.policy_snapshot import PolicySnapshotReader
from storage.policy_versions import PolicyStores
from storage.rate_counters import TableRateCounter
from tests.integration.operations.conftest import AKS_PROD, CONVERSATION, Harness, puts
from tests.support.arm_sandbox import PROD_SUBSCRIPTION_ID, SandboxHandle
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
    find_button,
    run_buttons,
    said,
    sent_cards,
    updated_cards,
)
from tools.card_validation import CardValidator

PROD = f"/subscriptions/{PROD_SUBSCRIPTION_ID}/resourceGroups/rg-prod"
ADELE = Person("29:user-adele", "00000000-0000-0000-0000-0000000000022", "Adele Vance")
SAM = Person("29:user-sam", "00000000-0000-0000-0000-0000000000023", "Sam Stranger")
__all__ = ["card_validator"]  # the fixture validating every card seen

OPERATION_ID = re.compile(r"Operation ([0-9A-Z]{4,12})\.")


@pytest.fixture
async def access(harness: Harness) -> PolicyAccess:
    """The policy on the harness's tables: Megan approves on rg-prod, Adele administers it."""
    access = PolicyAccess(harness.tables, namespace=harness.prefix, clock=harness.clock)
    stores = PolicyStores.for_version(harness.tables, "", namespace=harness.prefix)
    await stores.rules.put(ApproverRule("prod-approvers", PROD, frozenset({Principal.user(MEGAN.aad_object_id)}),
                                        created_at=harness.clock()))
    await stores.grants.add(Grant("adele-prod-admin", Principal.user(ADELE.aad_object_id), frozenset({"*"}), PROD,
                                  kind=GrantKind.ADMIN, created_at=harness.clock()))
    await stores.grants.add(Grant("alex-prod-auto", Principal.user(ALEX.aad_object_id), frozenset({"*"}), PROD,
                                  created_at=harness.clock()))
    return access


@pytest.fixture
async def guarded(harness: Harness, access: PolicyAccess) -> AsyncIterator[GuardedRequestHandler]:
    """The guardrails in front of the queued executor, as composed: Alex's requests on rg-prod are approved at once."""
    ns = harness.prefix
    rate = TableRateCounter(harness.tables, table_name=f"{ns}rate")
    governance = Governance(
        reader=PolicySnapshotReader.for_active_policy(harness.tables, rate=rate, namespace=ns),
        approvals=TableApprovalStore(harness.tables, table_name=f"{ns}approvals"),
        cards=TableApprovalCardStore(harness.tables, table_name=f"{ns}cards"),
        audit_store=TableAuditStore(harness.tables, table_name=f"{ns}audit"),
        rate=rate, notifier=harness.notifier, render_card=approval_card, rate_limit=RateLimit(max_requests=50),
        clock=harness.clock,
    )
    yield GuardedRequestHandler(governance, harness.execution.handler)
    await governance.drain()


@pytest.fixture
def chat(
    harness: Harness, access: PolicyAccess, guarded: GuardedRequestHandler, card_validator: CardValidator
) -> Iterator[Chat]:
    """Alex's personal chat with the real bot: its requests decided by the guardrails, then queued as operations
    (the harness's worker runs them)."""
    states = BotStates.create(MemoryStorage(), private_conversation=True)
    assert states.private_conversation is not None
    conversations = Conversations(
        state=states.private_conversation, registry=harness.registry, actions=harness.actions,
        handler=guarded,
        governance=governance_commands(access, harness.registry, harness.execution),
    )
    bot = SwitchboardBot(states=states, references=MemoryReferences(), allowed_tenants=[TEST_TENANT_ID],
                         conversations=conversations)

    async def logic(turn_context: TurnContext) -> None:
        await bot.on_turn(turn_context)

    conversation = Chat(ConnectorStandIn(logic))
    yield conversation
    if conversation.cards:
        assert_valid_cards(card_validator, conversation.cards)


async def one_reply(chat: Chat, person: Person, text: str) -> str:
    """``person`` says ``text``; the bot's one answer (a message, or the text of a card with buttons)."""
    [reply] = said(await chat.say(person, text))
    return reply


async def ask(chat: Chat, text: str) -> str:
    """Alex asks for ``text`` and confirms it; the id of the operation it became."""
    await chat.say(ALEX, text)
    return await confirm(chat)


async def confirm(chat: Chat) -> str:
    """Alex confirms the request waiting for it; the id of the operation it became."""
    shown = await confirmed(chat)
    found = [m for t in shown for m in OPERATION_ID.findall(t)]
    assert found, f"no operation named in {shown}"
    return found[0]


async def confirmed(chat: Chat) -> list[str]:
    """Alex confirms the request waiting for it; what the bot said, and its request card changed in place."""
    sent = await chat.say(ALEX, "yes")
    return said(sent) + ["\n".join(card_texts(card)) for _, card in updated_cards(chat)]


def json_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


async def audit(access: PolicyAccess, person: Person, kind: AuditKind) -> list[AuditRecord]:
    return await access.audit.query(AuditQuery(actor=person.aad_object_id, kind=kind))


async def submit(harness: Harness, count: int, *, card: str | None = "card-1") -> Operation:
    """Alex's request to scale aks-prod / np1 to ``count`` handed straight to the queued executor
    (as the guardrails hand an approved one on), with the activity id of its card."""
    action = harness.registry.get("aks-scale-node-pool")
    assert action is not None
    args = {"cluster": AKS_PROD, "pool": "np1", "count": count}
    preview = await action.preview(harness.actions.for_turn(), args)
    request = Request(
        id=uuid.uuid4().hex, action=action.name, args=args, scope=action.scope(args),
        requester=Requester(ALEX.user_id, ALEX.name, aad_object_id=ALEX.aad_object_id), conversation=CONVERSATION,
        preview=preview, card_activity_id=card,
    )
    outcome = await harness.execution.handler.submit(request)
    assert outcome.state is OutcomeState.QUEUED
    return await harness.operation(outcome.details["operation"])


# ---------------------------------------------------------------------- status
async def test_status_shows_the_requester_approver_and_admin_the_operation_and_refuses_a_stranger(
    chat: Chat, harness: Harness, sandbox: SandboxHandle
) -> None:
    operation_id = await ask(chat, "scale node pool aks-prod np1 to 5")

    queued = await one_reply(chat, ALEX, f"status {operation_id.lower()}")  # typed in any case
    assert queued.startswith(f"**Operation {operation_id}** — Scale aks-prod / np1: 3 → 5 nodes")
    assert "- State: queued for 0 s, not sent to Azure yet" in queued
    assert "- ARM correlation id: none — nothing was sent to Azure" in queued

    await harness.run_until_ended(operation_id)
    harness.clock.advance(minutes=3)
    operation = await harness.operation(operation_id)
    assert operation.state is OperationState.SUCCEEDED
    assert operation.correlation_id
    for person in (ALEX, MEGAN, ADELE):
        [done] = said(await chat.say(person, f"status {operation_id}"))
        assert "- State: succeeded at " in done
        assert f"- ARM correlation id: `{operation.correlation_id}` (Azure Activity Log)" in done

    refused = await one_reply(chat, SAM, f"status {operation_id}")
    assert refused == (f"You can't see operation `{operation_id}`: only the person who asked for it, the approvers "
                       "of its scope and its admins can.")
    assert await one_reply(chat, ALEX, "status ZZZZZ") == "There is no operation `ZZZZZ`. `history` lists yours."


# ---------------------------------------------------------------------- cancel
async def test_cancel_of_a_queued_operation_means_the_worker_sends_nothing_and_it_is_audited(
    chat: Chat, harness: Harness, access: PolicyAccess, sandbox: SandboxHandle
) -> None:
    operation_id = await ask(chat, "scale node pool aks-prod np1 to 5")
    sandbox.clear_requests()

    refused = await one_reply(chat, SAM, f"cancel {operation_id}")
    assert refused == (f"You can't cancel operation `{operation_id}`: only the person who asked for it and the "
                       "admins of its scope can.")
    reply = await one_reply(chat, ALEX, f"cancel {operation_id}")

    assert reply == (f"Cancelled operation `{operation_id}` (Scale aks-prod / np1: 3 → 5 nodes) before "
                     "anything was sent to Azure. Nothing was changed.")
    handled = harness.driver.handled
    while await harness.driver.drain_once():  # the worker takes the operation's message: it finds it cancelled
        pass
    assert harness.driver.handled > handled
    operation = await harness.operation(operation_id)
    assert (operation.state, operation.notified) == (OperationState.CANCELLED, True)
    assert puts(sandbox) == []
    assert harness.notifier.texts() == []  # the reply above told Alex; nothing more
    [ended] = await audit(access, ALEX, AuditKind.EXECUTION_ENDED)
    assert (ended.decision, ended.details["operation_id"], ended.details["by"]) == (
        "cancelled", operation_id, ALEX.aad_object_id)
    [cancelled] = await audit(access, ALEX, AuditKind.CANCEL_REQUESTED)
    assert (cancelled.decision, cancelled.details["operation_id"]) == ("cancelled", operation_id)
    [stranger] = await audit(access, SAM, AuditKind.CANCEL_REQUESTED)
    assert stranger.decision == "refused"


async def test_an_admin_cancels_alexs_queued_operation_and_alex_is_told_where_he_asked(
    chat: Chat, harness: Harness, access: PolicyAccess
) -> None:
    operation = await submit(harness, 5)

    reply = await one_reply(chat, ADELE, f"cancel {operation.id}")

    assert reply.startswith(f"Cancelled operation `{operation.id}`")
    [told] = harness.notifier.texts()
    assert told == (f"Operation {operation.id} (Scale aks-prod / np1: 3 → 5 nodes) was cancelled by "
                    "Adele Vance before anything was sent to Azure. Nothing was changed.")
    [card] = [n for n in harness.notifier.sent if n.kind == "update"]
    assert card.activity_id == "card-1"
    assert card.notice.card is not None
    assert "Cancelled before it started" in json_text(card.notice.card)
    [record] = await audit(access, ADELE, AuditKind.CANCEL_REQUESTED)
    assert record.decision == "cancelled"


async def test_a_running_operation_cannot_be_cancelled_and_the_answer_says_so(
    chat: Chat, harness: Harness, access: PolicyAccess, sandbox: SandboxHandle
) -> None:
    sandbox.set_operation_delay(60)  # Azure takes its time: the operation stays running
    operation = await submit(harness, 5)
    await harness.driver.drain_once()  # the worker starts it
    assert (await harness.operation(operation.id)).state is OperationState.RUNNING

    sent = await chat.say(ALEX, f"cancel {operation.id}")

    [card] = sent_cards(sent)
    assert said(sent)[0].startswith(
        f"Operation `{operation.id}` is already running in Azure, and Azure gives Switchboard no way to stop a "
        "scale node pool once it has started, so it can't be cancelled. It runs to its end and I'll tell you how it "
        f"went. Once it has finished, `undo {operation.id}` sets it back.")
    assert run_buttons(card) == {f"status {operation.id}": f"status {operation.id}"}
    assert (await harness.operation(operation.id)).state is OperationState.RUNNING
    assert len(puts(sandbox)) == 1
    harness.clock.advance(seconds=75)
    status = await one_reply(chat, MEGAN, f"status {operation.id}")
    assert "- State: running for 1 min 15 s — " in status  # the platform's words follow
    assert f"- ARM correlation id: `{(await harness.operation(operation.id)).correlation_id}`" in status
    [record] = await audit(access, ALEX, AuditKind.CANCEL_REQUESTED)
    assert (record.decision, record.details["operation_id"]) == ("not_cancellable", operation.id)


# ---------------------------------------------------------------------- history
async def test_history_lists_my_operations_with_outcome_and_duration(chat: Chat, harness: Harness) -> None:
    done = await harness.operation(await ask(chat, "scale node pool aks-prod np1 to 5"))  # approved at once, run
    await harness.run_until_ended(done.id)
    harness.clock.advance(minutes=1)
    waiting = await submit(harness, 4)
    harness.clock.advance(seconds=30)

    reply = await one_reply(chat, ALEX, "history")

    lines = reply.splitlines()
    assert lines[0] == "Your recent operations, newest first (`status {id}` for one):"
    assert lines[2].startswith(f"- `{waiting.id}` ")
    assert lines[2].endswith("Scale aks-prod / np1: 5 → 4 nodes: queued")
    assert lines[3].startswith(f"- `{done.id}` ")
    assert re.search(r"Scale aks-prod / np1: 3 → 5 nodes: succeeded in \d+ s$", lines[3])
    assert len(lines) == 4  # the policy's "approved" for the first is not listed again: its operation says more
    assert await one_reply(chat, SAM, "history") == "You have no recent requests."


# ---------------------------------------------------------------------- the completion card
async def test_the_completion_card_offers_status_and_undo_and_pressing_status_keeps_it(
    chat: Chat, harness: Harness, card_validator: CardValidator
) -> None:
    operation = await submit(harness, 5)
    await harness.run_until_ended(operation.id)

    *_, update = [n for n in harness.notifier.sent if n.kind == "update"]  # the last: the outcome
    card = update.notice.card
    assert card is not None
    assert run_buttons(card) == {"Status": f"status {operation.id}", "Undo": f"undo {operation.id}"}
    chat.cards["completion"] = card
    response, messages = await chat.press(ALEX, card, "Status")

    assert response.body["type"] == "application/vnd.microsoft.activity.message"  # the card stays as it is
    [status] = said(messages)
    assert status.startswith(f"**Operation {operation.id}**")
    assert find_button(card, "Undo")["data"]["switchboard"]["keep"] is True


# ---------------------------------------------------------------------- a busy resource: the choice to queue behind
async def test_a_request_on_a_busy_resource_is_held_until_the_requester_chooses_to_queue_it_behind(
    chat: Chat, harness: Harness, sandbox: SandboxHandle
) -> None:
    first = await submit(harness, 5)
    taken = await harness.execution.leases.acquire(first.resource_id, first.id, timedelta(minutes=40))
    assert taken.acquired  # as the worker does when it starts the first operation
    sandbox.clear_requests()

    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    [answer] = [t for t in await confirmed(chat) if "is busy with" in t]

    [second_id] = re.findall(r"Yours is operation ([0-9A-Z]{4,12}):", answer)
    assert (f"aks-prod / node pool np1 is busy with operation {first.id} (started "
            f"{taken.lease.acquired_at:%H:%M} UTC), so nothing was sent to Azure.") in answer
    second = await harness.operation(second_id)
    assert second.held
    assert second.waiting_on == first.id
    [offer] = [n.notice.card for n in harness.notifier.sent if n.kind == "send" and n.notice.card]
    assert offer is not None
    assert run_buttons(dict(offer)) == {f"Queue behind {first.id}": f"queue {second_id}",
                                        "Cancel": f"cancel {second_id}"}
    while await harness.driver.drain_once():  # nothing is queued for the held operation: the worker only runs the first
        pass
    assert (await harness.operation(second_id)).held

    chat.cards["offer"] = dict(offer)
    _, messages = await chat.press(ALEX, dict(offer), f"Queue behind {first.id}")

    assert said(messages)[0].startswith(f"Queued operation `{second_id}` (Scale aks-prod / np1: ")
    await harness.run_until_ended(first.id, second_id)
    assert (await harness.operation(second_id)).state is OperationState.SUCCEEDED
    assert [(r["client_request_id"]) for r in puts(sandbox)] == [first.id, second_id]  # one after the other


async def test_a_held_operation_nobody_queues_is_cancelled_by_the_sweeper_and_the_requester_told(
    chat: Chat, harness: Harness, sandbox: SandboxHandle
) -> None:
    first = await submit(harness, 5)
    await harness.execution.leases.acquire(first.resource_id, first.id, timedelta(minutes=40))
    await chat.say(ALEX, "scale node pool aks-prod np1 to 4")
    [answer] = [t for t in await confirmed(chat) if "is busy with" in t]
    [second_id] = re.findall(r"Yours is operation ([0-9A-Z]{4,12}):", answer)

    harness.clock.advance(minutes=14)
    assert second_id not in (await harness.execution.sweeper.sweep()).dropped
    harness.clock.advance(minutes=2)
    report = await harness.execution.sweeper.sweep()

    assert report.dropped == [second_id]
    assert second_id not in report.rekicked
    operation = await harness.operation(second_id)
    assert operation.state is OperationState.CANCELLED
    assert (f"Operation {second_id} was cancelled before anything was sent to Azure: nobody chose to queue it behind "
            f"operation {first.id} in time. Nothing was changed.") in harness.notifier.texts()


# ---------------------------------------------------------------------- undo
async def pool_count(harness: Harness) -> object:
    """np1's node count as Azure reports it now (a preview reads it)."""
    action = harness.registry.get("aks-scale-node-pool")
    assert action is not None
    preview = await action.preview(harness.actions.for_turn(), {"cluster": AKS_PROD, "pool": "np1", "count": 1})
    return preview.before["count"]


async def test_undo_is_a_new_request_previewed_and_confirmed_that_sets_the_count_back(
    chat: Chat, harness: Harness, access: PolicyAccess, sandbox: SandboxHandle
) -> None:
    scaled = await submit(harness, 5)
    await harness.run_until_ended(scaled.id)
    assert await pool_count(harness) == 5

    sent = await chat.say(ALEX, f"undo {scaled.id}")

    shown = said(sent)
    assert shown[0].startswith(f"Undo of operation `{scaled.id}` (Scale aks-prod / np1: 3 → 5 nodes): a new request "
                               "that sets aks-prod / node pool np1 back to count 3.")
    [preview] = sent_cards(sent)  # the ordinary preview, waiting for Confirm
    assert "Scale aks-prod / np1: 5 → 3 nodes" in json_text(preview)
    assert await pool_count(harness) == 5  # nothing runs before the confirmation
    undo_id = await confirm(chat)
    await harness.run_until_ended(undo_id)

    undo = await harness.operation(undo_id)
    assert (undo.state, dict(undo.before), undo.args["count"]) == (OperationState.SUCCEEDED, {"count": 5}, 3)
    assert await pool_count(harness) == 3
    decided = [r for r in await audit(access, ALEX, AuditKind.DECISION) if r.request_id == undo.request_id]
    assert [r.decision for r in decided] == ["approved"]  # decided by the guardrails like any request
    [record] = await audit(access, ALEX, AuditKind.UNDO)
    assert (record.decision, record.details["operation_id"]) == ("planned", scaled.id)
    assert record.correlation_id == (await harness.operation(scaled.id)).correlation_id != ""


async def test_undo_is_refused_when_the_resource_changed_since_and_for_an_action_without_undo(
    chat: Chat, harness: Harness, access: PolicyAccess, sandbox: SandboxHandle
) -> None:
    scaled = await submit(harness, 5)
    await harness.run_until_ended(scaled.id)
    changed = await submit(harness, 4)  # someone changed it since
    await harness.run_until_ended(changed.id)
    sandbox.clear_requests()

    drift = await one_reply(chat, ALEX, f"undo {scaled.id}")

    assert "has changed since the operation (its node count is 4 now, the operation left 5)" in drift
    restart = await ask(chat, "restart app web-prod")
    await harness.run_until_ended(restart)
    sandbox.clear_requests()
    no_undo = await one_reply(chat, ALEX, f"undo {restart}")
    assert no_undo == "`restart app` can't be undone: a restart cannot be taken back."
    assert puts(sandbox) == []
    assert [r["method"] for r in sandbox.requests() if r["method"] == "POST"] == []
    refusals = sorted((r.details["operation_id"], r.details["refusal"], r.decision)
                      for r in await audit(access, ALEX, AuditKind.UNDO))
    assert refusals == sorted([(scaled.id, "changed_since", "refused"), (restart, "not_undoable", "refused")])


async def test_status_typed_while_a_question_waits_is_answered_and_the_question_asked_again(
    chat: Chat, harness: Harness
) -> None:
    operation = await submit(harness, 5)
    [question] = said(await chat.say(ALEX, "scale node pool aks-prod"))  # which pool?

    answered = said(await chat.say(ALEX, f"status {operation.id}"))

    assert answered[0].startswith(f"**Operation {operation.id}**")
    assert answered[-1] == question
    assert (await harness.operation(operation.id)).state is OperationState.QUEUED  # nothing else happened
