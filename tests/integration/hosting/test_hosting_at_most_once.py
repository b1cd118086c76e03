"""At most once, through the real HTTP edge: redeliveries and double clicks never run anything twice.

Bot Service delivers an activity again (same id) when a turn is slow, and people double-click.
Each test drives ``/api/messages`` of a hosted app whose actions run against the ARM sandbox
(its request log shows every write), with replies going to the Bot Connector stand-in. A slow
platform call is a sandbox fault that holds the restart's answer until the test lets it go, so the
first delivery is still running when the second one arrives, however slow the machine is. The
bot's in-turn wait for Azure (its budget) is pinned per test, so each knows which truthful outcome
to expect: wider than any held answer — the restart is done ("Done") — or the production budget
with an operation that never completes ("Started, not finished yet").
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import azure.functions as func
import pytest

from actions.context import ClientOptions
from app.direct import DEFAULT_TURN_BUDGET
from bot import replies
from dialogs import texts as dialog_texts
from dialogs.turn_effects import EffectStatus, StartedEffect
from tests.support.arm_sandbox import DEV_SUBSCRIPTION_ID, HELD, PROD_SUBSCRIPTION_ID, SandboxHandle
from tests.support.connector import ConnectorStandIn, RecordedCall, teams_activity
from tests.support.guardrail_policy import allow_everything
from tests.support.hosted_app import HostedApp, json_body

FAST_CLIENTS = ClientOptions(polling_interval=0.02, retry_total=0, retry_backoff_factor=0.01, retry_backoff_max=0.05)
CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
WIDE_BUDGET = HELD + 60.0  # the bot waits for Azure longer than any held answer: the outcome is known
WEB_PROD = "web-prod (web app)"  # what the person is told to check
NP1 = "aks-prod / node pool np1"
# A second answer to Alex's confirmation while the first still runs (before or after it marked the request
# submitted): the request was sent, it can't be confirmed again. Once it has ended: the form's decision stands.
ALREADY_SENT = dialog_texts.already_submitted(WEB_PROD)
ALEX_OBJECT_ID = "00000000-0000-0000-0000-0000000000020"
ALREADY_CONFIRMED = "This request was already confirmed by Alex Wilber: it runs once. Nothing more was done."


@pytest.fixture(autouse=True)
async def alex_may_act(storage_connection_string: str) -> None:
    """Alex's requests are decided "approved" by the guardrails (a standing grant): these tests are about
    running each confirmed request at most once."""
    await allow_everything(storage_connection_string, ALEX_OBJECT_ID)


@pytest.fixture
def app(make_app: Callable[..., HostedApp], local_env: dict[str, str], sandbox: SandboxHandle) -> HostedApp:
    env = {
        **local_env,
        "SWITCHBOARD_ARM_SANDBOX_URL": sandbox.url,
        "SWITCHBOARD_SUBSCRIPTIONS": f"{DEV_SUBSCRIPTION_ID},{PROD_SUBSCRIPTION_ID}",
    }
    return make_app(env, client_options=FAST_CLIENTS, request_budget=WIDE_BUDGET)


def writes(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    """The sandbox's recorded requests that change something."""
    return [r for r in sandbox.requests() if r["method"] not in ("GET", "HEAD")]


def hold_restarts(sandbox: SandboxHandle) -> None:
    """Every restart waits at the platform until the test lets it go: the delivery that sent it
    is still running however slow the machine is."""
    sandbox.inject_fault(method="POST", path_contains="/restart", delay=HELD, times=None)


async def let_the_restart_go(sandbox: SandboxHandle) -> None:
    """Once the one restart sent waits at the platform, let it be answered."""
    await until(lambda: sandbox.held() == 1, "the restart reached the platform")
    assert sandbox.let_go() == 1


async def at_once_while_the_restart_waits(
    sandbox: SandboxHandle, *deliveries: Awaitable[func.HttpResponse]
) -> list[func.HttpResponse]:
    """Post ``deliveries`` at the same time; the one restart they send waits at the platform until
    every other delivery was answered, then it goes on. Returns the responses in order."""
    posted = [asyncio.ensure_future(delivery) for delivery in deliveries]
    await until(lambda: sandbox.held() == 1 and sum(p.done() for p in posted) == len(posted) - 1,
                "one delivery waiting at the platform, every other one answered")
    assert sandbox.let_go() == 1
    return list(await asyncio.gather(*posted))


def cards_in(call: RecordedCall) -> list[dict[str, Any]]:
    return [a["content"] for a in (call.body or {}).get("attachments") or [] if a.get("contentType") == CARD]


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    [found] = [action for action in card["actions"] if action["title"] == title]
    return found


class Person:
    """Alex in a personal chat of their own (unique per test), talking through the hosted app."""

    def __init__(self, app: HostedApp, connector: ConnectorStandIn) -> None:
        self.app = app
        self.connector = connector
        self.conversation_id = f"a:personal-{uuid.uuid4().hex[:10]}"

    def message(self, text: str | None = None, **fields: Any) -> dict[str, Any]:
        return teams_activity(
            text=text, conversation_id=self.conversation_id, service_url=self.connector.service_url, **fields
        )

    def confirm_invoke(self, preview: dict[str, Any]) -> dict[str, Any]:
        """The ``adaptiveCard/action`` invoke Teams sends when Confirm is pressed on ``preview``."""
        confirm = button(preview, "Confirm")
        value = {"action": {"type": "Action.Execute", "verb": confirm["verb"], "data": confirm["data"]},
                 "trigger": "manual"}
        return teams_activity("invoke", name="adaptiveCard/action", value=value,
                              conversation_id=self.conversation_id, service_url=self.connector.service_url)

    def confirm_fallback(self, preview: dict[str, Any]) -> dict[str, Any]:
        """The message an older client sends when Confirm is pressed (the ``Action.Submit`` fallback)."""
        return self.message(value=copy.deepcopy(button(preview, "Confirm")["fallback"]["data"]))

    async def preview(self, command: str = "restart app web-prod") -> dict[str, Any]:
        """Alex asks for ``command``; the preview card (Confirm / Cancel) arrives in the chat."""
        response = await self.app.post_activity(self.message(command))
        assert response.status_code == 200
        [call] = await self.connector.wait_for_async(1)
        [card] = cards_in(call)
        self.connector.clear()
        return card

    async def post(self, activity: dict[str, Any]) -> func.HttpResponse:
        return await self.app.post_activity(activity)

    async def decided(self, preview: dict[str, Any]) -> None:
        """Wait (bounded) until a delivery has claimed the decision on ``preview``'s form."""
        form = button(preview, "Confirm")["data"]["switchboard"]["form"]
        deliveries = (await self.app.runtime.switchboard()).deliveries
        deadline = time.monotonic() + 10
        while await deliveries.decision(form) is None:
            assert time.monotonic() < deadline, "no delivery claimed the decision within 10 s"
            await asyncio.sleep(0.02)


def card_texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock text of a card, in order (containers included)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(str(node.get("text")))
            for key, value in node.items():
                if key not in ("data", "fallback"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card.get("body", []))
    return found


def outcome_texts(calls: list[RecordedCall]) -> list[str]:
    """Every text the connector received: messages, and card TextBlocks."""
    found: list[str] = []
    for call in calls:
        if call.text:
            found.append(call.text)
        for card in cards_in(call):
            found.extend(card_texts(card))
    return found


def shown_texts(connector: ConnectorStandIn, answers: Sequence[dict[str, Any]] = ()) -> list[str]:
    """Every text the person was shown: messages, cards posted or changed in place (updates), and the
    cards that answered card actions (``answers``: invoke response bodies)."""
    found = outcome_texts([call for call in connector.calls if call.is_activity or call.kind == "update"])
    for body in answers:
        if body.get("type") == CARD:
            found.extend(card_texts(body["value"]))
    return found


def assert_ran_once(
    sandbox: SandboxHandle, connector: ConnectorStandIn, headline: str = "Done", *,
    write: tuple[str, str] = ("POST", "restart"), target: str = WEB_PROD, answers: Sequence[dict[str, Any]] = (),
) -> None:
    """Exactly one change (``write``: method, last path segment) reached the platform, and its outcome
    (``headline``) was shown once — on the request's card, changed in place or in the answer to the
    card action that ran it (``answers``); the card said "working on it" at most once."""
    changes = writes(sandbox)
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in changes] == [write]
    texts = shown_texts(connector, answers)
    assert texts.count(f"Working on it: {target}…") <= 1
    assert sum(t == headline for t in texts) == 1
    assert "Nothing was changed." not in " ".join(texts)


# --------------------------------------------------------------------------- Confirm invoked twice
async def test_the_same_confirm_delivered_twice_at_once_runs_once(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    preview = await alex.preview()
    hold_restarts(sandbox)
    invoke = alex.confirm_invoke(preview)

    first, second = await at_once_while_the_restart_waits(sandbox, alex.post(invoke), alex.post(copy.deepcopy(invoke)))

    assert {first.status_code, second.status_code} == {200}
    bodies = [json_body(first), json_body(second)]
    decided = [b for b in bodies if b["type"] == CARD]
    redelivered = [b for b in bodies if b["type"] == MESSAGE]
    assert len(decided) == 1
    assert len(redelivered) == 1
    assert any("Confirmed by Alex Wilber" in text for text in card_texts(decided[0]["value"]))
    assert redelivered[0]["value"] == replies.already_received()
    assert_ran_once(sandbox, connector, answers=bodies)


async def test_the_same_confirm_delivered_again_while_the_first_still_runs_runs_once(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    preview = await alex.preview()
    hold_restarts(sandbox)
    invoke = alex.confirm_invoke(preview)

    first = asyncio.ensure_future(alex.post(invoke))
    await alex.decided(preview)
    retried = await alex.post(copy.deepcopy(invoke))  # Bot Service's redelivery: the same activity id
    assert not first.done()  # the first delivery is still waiting for the platform
    await let_the_restart_go(sandbox)

    assert retried.status_code == 200
    assert json_body(retried) == {"statusCode": 200, "type": MESSAGE, "value": replies.already_received()}
    response = await first
    assert response.status_code == 200
    assert json_body(response)["type"] == CARD
    assert_ran_once(sandbox, connector, answers=[json_body(response)])


async def test_a_double_click_on_confirm_runs_once_and_says_it_was_already_sent(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    preview = await alex.preview()
    hold_restarts(sandbox)

    # Two clicks: two activities (two ids) for the same form, at the same time.
    first, second = await at_once_while_the_restart_waits(
        sandbox, alex.post(alex.confirm_invoke(preview)), alex.post(alex.confirm_invoke(preview))
    )

    assert {first.status_code, second.status_code} == {200}
    bodies = [json_body(r) for r in (first, second)]
    [decided] = [b for b in bodies if b["type"] == CARD]
    assert any("Confirmed by Alex Wilber" in t for t in card_texts(decided["value"]))
    # The other click is told in a message; the card it pressed is left as the first click made it.
    assert [b for b in bodies if b["type"] == MESSAGE] == [{"statusCode": 200, "type": MESSAGE, "value": ALREADY_SENT}]
    assert_ran_once(sandbox, connector, answers=bodies)


async def test_a_double_click_while_azure_outlasts_the_turn_runs_once_and_says_it_was_started(
    make_app: Callable[..., HostedApp], local_env: dict[str, str], connector: ConnectorStandIn,
    sandbox: SandboxHandle,
) -> None:
    env = {**local_env, "SWITCHBOARD_ARM_SANDBOX_URL": sandbox.url,
           "SWITCHBOARD_SUBSCRIPTIONS": f"{DEV_SUBSCRIPTION_ID},{PROD_SUBSCRIPTION_ID}"}
    alex = Person(make_app(env, client_options=FAST_CLIENTS, request_budget=DEFAULT_TURN_BUDGET), connector)
    preview = await alex.preview("scale node pool aks-prod np1 to 4")
    sandbox.never_complete(True)  # the scale is accepted and never finishes: it outlasts the production budget

    first, second = await asyncio.gather(
        alex.post(alex.confirm_invoke(preview)), alex.post(alex.confirm_invoke(preview))
    )

    assert {first.status_code, second.status_code} == {200}
    bodies = [json_body(r) for r in (first, second)]
    assert sum(b["type"] == CARD for b in bodies) == 1
    assert [b["value"] for b in bodies if b["type"] == MESSAGE] == [dialog_texts.already_submitted(NP1)]
    assert_ran_once(sandbox, connector, "Started, not finished yet", write=("PUT", "np1"), target=NP1, answers=bodies)
    texts = shown_texts(connector, bodies)
    assert any(t.startswith(f"The change to {NP1} was started and Azure is still working on it") for t in texts)


async def test_a_second_click_while_the_first_still_runs_says_it_was_sent_and_later_who_confirmed(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    preview = await alex.preview()
    hold_restarts(sandbox)

    first = asyncio.ensure_future(alex.post(alex.confirm_invoke(preview)))
    await alex.decided(preview)
    second = await alex.post(alex.confirm_invoke(preview))
    assert not first.done()
    await let_the_restart_go(sandbox)

    assert second.status_code == 200
    assert json_body(second) == {"statusCode": 200, "type": MESSAGE, "value": ALREADY_SENT}
    answered = await first
    assert answered.status_code == 200
    assert_ran_once(sandbox, connector, answers=[json_body(answered)])

    # Pressed again once everything is done: the form's decision answers, nothing runs.
    third = await alex.post(alex.confirm_invoke(preview))
    assert json_body(third) == {"statusCode": 200, "type": MESSAGE, "value": ALREADY_CONFIRMED}
    assert len(writes(sandbox)) == 1


# --------------------------------------------------------------------------- fallbacks and typed answers
async def test_a_double_click_on_the_action_submit_fallback_runs_once(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    preview = await alex.preview()
    hold_restarts(sandbox)

    responses = await at_once_while_the_restart_waits(
        sandbox, alex.post(alex.confirm_fallback(preview)), alex.post(alex.confirm_fallback(preview))
    )

    assert [r.status_code for r in responses] == [200, 200]
    assert_ran_once(sandbox, connector)
    assert outcome_texts(connector.activities).count(ALREADY_SENT) == 1


async def test_yes_typed_twice_runs_once(app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle) -> None:
    alex = Person(app, connector)
    await alex.preview()
    hold_restarts(sandbox)

    responses = await at_once_while_the_restart_waits(
        sandbox, alex.post(alex.message("yes")), alex.post(alex.message("yes"))
    )

    assert [r.status_code for r in responses] == [200, 200]
    assert_ran_once(sandbox, connector)
    assert outcome_texts(connector.activities).count(ALREADY_SENT) == 1


async def test_a_retried_message_is_answered_once(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    message = alex.message("help")

    responses = await asyncio.gather(alex.post(message), alex.post(copy.deepcopy(message)))
    later = await alex.post(copy.deepcopy(message))  # redelivered again after the first was answered

    assert [r.status_code for r in (*responses, later)] == [200, 200, 200]
    replies_sent = [c for c in connector.activities if c.activity_id == message["id"]]
    assert len(replies_sent) == 1
    assert replies_sent[0].text.startswith("Here is what I can do:")
    assert len(connector.activities) == 1


async def test_a_retried_confirming_message_runs_once(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    await alex.preview()
    hold_restarts(sandbox)
    yes = alex.message("yes")

    # Bot Service's redelivery (the same activity id) while the first delivery waits for the platform.
    first, retried = await at_once_while_the_restart_waits(sandbox, alex.post(yes), alex.post(copy.deepcopy(yes)))
    assert retried.status_code == 200
    assert first.status_code == 200
    assert_ran_once(sandbox, connector)
    said = outcome_texts(connector.activities)
    assert ALREADY_SENT not in said  # a redelivery gets no reply at all
    assert ALREADY_CONFIRMED not in said


# --------------------------------------------------------------------------- state-save conflicts
RAN_AGAIN = "running the turn again"


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded, polling) until ``condition`` holds."""
    deadline = time.monotonic() + 15
    while not condition():
        assert time.monotonic() < deadline, f"not within 15 s: {what}"
        await asyncio.sleep(0.02)


def ran_again(caplog: pytest.LogCaptureFixture) -> Callable[[], bool]:
    """Whether the bot has logged that a turn lost its save and runs again."""
    return lambda: any(RAN_AGAIN in r.getMessage() for r in caplog.records)


async def with_a_waiting_form(alex: Person) -> None:
    """Alex has dialog state already (a form waits): every later save of it is conditional on its ETag."""
    assert (await alex.post(alex.message("scale node pool"))).status_code == 200
    await alex.connector.wait_for_async(1)
    alex.connector.clear()


LEAVING = "Leaving the previous request (nothing was changed) for this new one."


def hold_reads_of_web_prod(sandbox: SandboxHandle) -> None:
    """Every read of web-prod waits at the platform until the test lets it go (however slow the machine)."""
    sandbox.inject_fault(method="GET", path_contains="sites/web-prod", delay=HELD, times=None)


async def test_a_turn_that_loses_the_save_runs_again_on_the_new_state(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    alex = Person(app, connector)
    await with_a_waiting_form(alex)
    hold_reads_of_web_prod(sandbox)

    # A: a slow turn (held at its read of web-prod); B saves Alex's state while A waits for the platform.
    slow = asyncio.ensure_future(alex.post(alex.message("restart app web-prod")))
    await until(lambda: sandbox.held() == 1, "the slow turn reached the platform")
    fast = await alex.post(alex.message("restart app web-dev"))
    assert fast.status_code == 200
    assert not slow.done()
    assert sandbox.let_go() == 1  # A's read is answered: its save finds B's state
    await until(ran_again(caplog), "the slow turn ran again")
    await until(lambda: sandbox.held() == 1, "the second run reached the platform")
    sandbox.let_go()

    assert (await slow).status_code == 200  # never a 500
    # The slow turn ran once more on the state B saved: it replaced B's request, as if it came second,
    # and nothing of its first run was ever sent: one "leaving" notice and one preview per request.
    texts = [c.text for c in connector.activities if c.text]
    assert texts.count(LEAVING) == 2
    previews = [" ".join(card_texts(card)) for call in connector.activities for card in cards_in(call)]
    assert [("web-dev" in p, "web-prod" in p) for p in previews] == [(True, False), (False, True)]
    assert writes(sandbox) == []


async def test_a_turn_that_loses_the_save_twice_asks_to_send_it_again(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    alex = Person(app, connector)
    await with_a_waiting_form(alex)
    hold_reads_of_web_prod(sandbox)

    slow = asyncio.ensure_future(alex.post(alex.message("restart app web-prod")))
    await until(lambda: sandbox.held() == 1, "the slow turn reached the platform")
    assert (await alex.post(alex.message("restart app web-dev"))).status_code == 200
    assert sandbox.let_go() == 1  # the first run's save finds B's state: it runs again
    await until(ran_again(caplog), "the slow turn ran again")
    # The second run has loaded B's state and waits at the platform: C saves Alex's state meanwhile.
    await until(lambda: sandbox.held() == 1, "the second run reached the platform")
    assert (await alex.post(alex.message("restart app func-orders"))).status_code == 200
    assert not slow.done()
    assert sandbox.let_go() == 1

    assert (await slow).status_code == 200
    texts = [c.text for c in connector.activities if c.text]
    assert texts[-1] == replies.busy()
    assert texts.count(replies.busy()) == 1
    assert texts.count(LEAVING) == 2  # B's and C's; nothing of either run of the slow turn
    assert writes(sandbox) == []


async def test_a_turn_that_acted_and_then_lost_the_save_says_so_without_failing(
    app: HostedApp, connector: ConnectorStandIn, sandbox: SandboxHandle
) -> None:
    alex = Person(app, connector)
    preview = await alex.preview()
    hold_restarts(sandbox)

    confirming = asyncio.ensure_future(alex.post(alex.confirm_invoke(preview)))
    await alex.decided(preview)
    assert (await alex.post(alex.message("restart app web-dev"))).status_code == 200  # saves Alex's state
    assert not confirming.done()
    await let_the_restart_go(sandbox)

    response = await confirming
    assert response.status_code == 200
    assert "Confirmed by Alex Wilber" in " ".join(card_texts(json_body(response)["value"]))
    assert_ran_once(sandbox, connector, answers=[json_body(response)])
    # It acted, so it is not run again: it keeps the state the other message saved, and says what it did.
    done = [StartedEffect("", WEB_PROD, EffectStatus.DONE)]
    assert [c.text for c in connector.activities].count(replies.kept_other_message(done)) == 1

    # The request Alex started meanwhile is the one kept: its preview still works.
    [new_preview] = [card for call in connector.activities for card in cards_in(call)
                     if "web-dev" in " ".join(card_texts(card)) and "actions" in card]
    cancel = button(new_preview, "Cancel")
    value = {"action": {"type": "Action.Execute", "verb": cancel["verb"], "data": cancel["data"]}, "trigger": "manual"}
    cancelled = await alex.post(teams_activity("invoke", name="adaptiveCard/action", value=value,
                                               conversation_id=alex.conversation_id,
                                               service_url=connector.service_url))
    assert "Cancelled by Alex Wilber" in " ".join(card_texts(json_body(cancelled)["value"]))
