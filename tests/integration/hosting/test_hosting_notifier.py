"""The proactive notifier through the real adapter, against the Bot Connector stand-in and Azurite.

Each test builds the composition root of a local, anonymous run (its adapter and connector
clients) and a :class:`~bot.notifier.TeamsNotifier` over it with a fake clock whose sleep advances
it: backoff and pacing are asserted in fake seconds, never in wall-clock time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from app.composition import Switchboard, build_switchboard
from app.settings import Settings
from bot.conversation_pacing import RateWindow
from bot.notifier import NoticePolicy, TeamsNotifier, UndeliveredNotice
from requesting import Notice, NoticeStatus
from storage import ConversationReferenceStore
from tests.support.connector import TEST_BOT_ID, TEST_TENANT_ID, ConnectorStandIn, teams_error

from .conftest import FAST

ALEX = "00000000-0000-0000-0000-0000000000020"
PERSONAL = "a:1personal-chat-with-alex"
CHANNEL = "19:general-channel@thread.tacv2"
THREAD = f"{CHANNEL};messageid=1764126000000"
CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Scaled to 5"}]}


class FakeClock:
    """Monotonic seconds that only :meth:`sleep` advances; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def reference(connector: ConnectorStandIn, conversation_id: str, conversation_type: str) -> ConversationReference:
    return ConversationReference(
        activity_id="1764126000123",
        user=ChannelAccount(id="29:user-alex", name="Alex Wilber", aad_object_id=ALEX),
        bot=ChannelAccount(id=TEST_BOT_ID, name="Switchboard"),
        conversation=ConversationAccount(
            id=conversation_id,
            conversation_type=conversation_type,
            tenant_id=TEST_TENANT_ID,
            is_group=conversation_type != "personal",
        ),
        channel_id="msteams",
        service_url=connector.service_url,
    )


def serialized(ref: ConversationReference) -> Mapping[str, Any]:
    return ref.serialize()


@pytest.fixture
async def switchboard(local_env: dict[str, str]) -> AsyncIterator[Switchboard]:
    built = build_switchboard(Settings.from_env(local_env), table_options=FAST)
    yield built
    await built.close()


@pytest.fixture
def references(switchboard: Switchboard, unique_name: str) -> ConversationReferenceStore:
    return ConversationReferenceStore(switchboard.tables, table_name=f"refs{unique_name}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def undelivered() -> list[UndeliveredNotice]:
    return []


@pytest.fixture
def notifier(
    switchboard: Switchboard,
    references: ConversationReferenceStore,
    clock: FakeClock,
    undelivered: list[UndeliveredNotice],
) -> TeamsNotifier:
    async def record(failure: UndeliveredNotice) -> None:
        undelivered.append(failure)

    return TeamsNotifier(
        switchboard.adapter,
        references,
        app_id="",
        policy=NoticePolicy(windows=(RateWindow(1.0, 3), RateWindow(30.0, 45))),
        clock=clock,
        sleep=clock.sleep,
        on_undelivered=record,
    )


async def test_send_in_a_personal_chat_posts_a_new_message(
    notifier: TeamsNotifier, connector: ConnectorStandIn
) -> None:
    connector.use_style("bot_service")

    receipt = await notifier.send(serialized(reference(connector, PERSONAL, "personal")), Notice("Done.", CARD))

    assert receipt.status is NoticeStatus.DELIVERED
    [call] = connector.calls
    assert (call.kind, call.conversation_id) == ("send", PERSONAL)
    assert call.text == "Done."
    assert call.body is not None
    assert call.body["attachments"][0]["content"] == CARD
    assert call.body["recipient"]["id"] == "29:user-alex"
    assert receipt.activity_id is not None  # the connector's id for the new message, for a later update


async def test_send_in_a_channel_thread_posts_into_that_thread(
    notifier: TeamsNotifier, connector: ConnectorStandIn
) -> None:
    receipt = await notifier.send(serialized(reference(connector, THREAD, "channel")), Notice("Done."))

    assert receipt.delivered
    [call] = connector.calls
    assert call.kind == "send"
    assert call.conversation_id == THREAD  # the thread where the user asked, not a new channel post


async def test_update_replaces_the_card_in_place(notifier: TeamsNotifier, connector: ConnectorStandIn) -> None:
    receipt = await notifier.update(serialized(reference(connector, THREAD, "channel")), "card-1", Notice(card=CARD))

    assert receipt.delivered
    assert receipt.activity_id == "card-1"
    [call] = connector.calls
    assert (call.kind, call.method, call.conversation_id, call.activity_id) == ("update", "PUT", THREAD, "card-1")
    assert call.body is not None
    assert call.body["attachments"][0]["content"] == CARD


@pytest.mark.parametrize("retry_after", ["3", "7"])
async def test_throttled_update_is_retried_after_retry_after_and_delivered(
    notifier: TeamsNotifier, connector: ConnectorStandIn, clock: FakeClock, retry_after: str
) -> None:
    connector.answer_next(429, teams_error("Throttled"), headers={"Retry-After": retry_after}, kind="update")

    receipt = await notifier.update(serialized(reference(connector, PERSONAL, "personal")), "card-1", Notice("5/5"))

    assert receipt.delivered
    assert [call.status for call in connector.calls] == [429, 200]
    # Retry-After honoured by the notifier's policy (on its clock), not by the in-turn pipeline's retries.
    assert clock.sleeps == [float(retry_after)]


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_answers_back_off_exponentially_then_deliver(
    notifier: TeamsNotifier, connector: ConnectorStandIn, clock: FakeClock, status: int
) -> None:
    connector.answer_next(status, teams_error("Transient"), kind="send", count=3)

    receipt = await notifier.send(serialized(reference(connector, PERSONAL, "personal")), Notice("Done."))

    assert receipt.delivered
    assert [call.status for call in connector.calls][:3] == [status] * 3
    assert len(clock.sleeps) == 3
    # 1, 2, 4 s plus up to 1 s of jitter each.
    for delay, base in zip(clock.sleeps, [1.0, 2.0, 4.0], strict=True):
        assert base <= delay <= base + 1.0


async def test_throttling_that_outlasts_the_bounds_fails_without_raising(
    notifier: TeamsNotifier, connector: ConnectorStandIn, clock: FakeClock, undelivered: list[UndeliveredNotice]
) -> None:
    connector.answer_next(429, teams_error("Throttled"), headers={"Retry-After": "25"}, kind="send", count=10)

    receipt = await notifier.send(serialized(reference(connector, PERSONAL, "personal")), Notice("Done."))

    assert receipt.status is NoticeStatus.FAILED
    assert receipt.reason is not None
    assert receipt.reason.startswith("429 Throttled")
    assert sum(clock.sleeps) <= 60.0  # the policy's max_total_wait
    assert len(connector.calls) == 3  # 0 s, 25 s, 50 s; a fourth would wait past 60 s
    assert [(u.kind, u.status, u.pruned) for u in undelivered] == [("send", NoticeStatus.FAILED, False)]


@pytest.mark.parametrize(
    ("status", "code"), [(403, "BotNotInConversationRoster"), (404, "ConversationNotFound")]
)
async def test_a_dead_conversation_is_gone_and_its_reference_pruned(
    notifier: TeamsNotifier,
    connector: ConnectorStandIn,
    references: ConversationReferenceStore,
    undelivered: list[UndeliveredNotice],
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: str,
) -> None:
    thread = reference(connector, THREAD, "channel")
    await references.save(reference(connector, CHANNEL, "channel"))  # the team's install reference
    await references.save(thread)
    connector.answer_next(status, teams_error(code), kind="send")

    with caplog.at_level("INFO"):
        receipt = await notifier.send(serialized(thread), Notice("secret-ish text: aks-prod scaled"))

    assert receipt.status is NoticeStatus.GONE
    assert receipt.reason is not None
    assert receipt.reason.startswith(f"{status} {code}")
    assert len(connector.calls) == 1  # never retried
    assert await references.get(THREAD) is None
    assert await references.get(CHANNEL) is None
    assert [(u.kind, u.status, u.conversation_id, u.pruned) for u in undelivered] == [
        ("send", NoticeStatus.GONE, THREAD, True)
    ]
    assert "aks-prod scaled" not in caplog.text  # message text only at DEBUG


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, "ActivityNotFound"), (403, "ConversationBlockedByUser"), (403, "BotDisabledByAdmin")],
)
async def test_a_deleted_card_or_a_blocked_chat_is_gone_but_keeps_the_conversation(
    notifier: TeamsNotifier,
    connector: ConnectorStandIn,
    references: ConversationReferenceStore,
    status: int,
    code: str,
) -> None:
    # Only that message is gone, or the block may be lifted: the conversation stays known.
    personal = reference(connector, PERSONAL, "personal")
    await references.save(personal)
    connector.answer_next(status, teams_error(code), kind="update")

    receipt = await notifier.update(serialized(personal), "deleted-card", Notice("5/5"))

    assert receipt.status is NoticeStatus.GONE
    assert len(connector.calls) == 1
    assert await references.get(PERSONAL) is not None


async def test_five_rapid_updates_to_one_conversation_arrive_one_at_a_time_in_order(
    notifier: TeamsNotifier, connector: ConnectorStandIn
) -> None:
    # The first update is throttled: without serialisation, updates 2-5 would overtake its retry
    # and the card would end on progress 1.
    connector.answer_next(429, teams_error("Throttled"), headers={"Retry-After": "1"}, kind="update")
    conversation = serialized(reference(connector, THREAD, "channel"))

    receipts = await asyncio.gather(
        *(notifier.update(conversation, "card-1", Notice(f"progress {n}")) for n in range(1, 6))
    )

    assert all(receipt.delivered for receipt in receipts)
    calls = connector.calls
    assert [call.text for call in calls] == ["progress 1"] + [f"progress {n}" for n in range(1, 6)]
    assert calls[0].status == 429
    assert all(call.accepted for call in calls[1:])


async def test_a_burst_to_one_conversation_is_spread_by_the_rate_limit_and_others_are_not_held(
    notifier: TeamsNotifier, connector: ConnectorStandIn, clock: FakeClock
) -> None:
    busy = serialized(reference(connector, THREAD, "channel"))
    quiet = serialized(reference(connector, PERSONAL, "personal"))
    sent_at: dict[str, float] = {}

    async def send(conversation: Mapping[str, Any], text: str) -> None:
        receipt = await notifier.send(conversation, Notice(text))
        assert receipt.delivered
        sent_at[text] = clock.now  # calls to one conversation run one at a time: this is its call's time

    await asyncio.gather(*(send(busy, f"burst {n}") for n in range(9)), send(quiet, "elsewhere"))
    burst = [sent_at[f"burst {n}"] for n in range(9)]

    assert len(connector.delivered) == 10
    assert [call.text for call in connector.delivered if call.conversation_id == THREAD] == [
        f"burst {n}" for n in range(9)
    ]
    # At most 3 per second (the test's window): any 4 consecutive messages span a fake second or more …
    for first, fourth in zip(burst, burst[3:], strict=False):
        assert fourth - first >= 1.0
    assert burst[-1] - burst[0] >= 2.0
    # … and the other conversation's message did not queue behind the burst.
    texts = [call.text for call in connector.delivered]
    assert texts.index("elsewhere") < texts.index("burst 8")


async def test_send_to_user_uses_their_personal_chat(
    notifier: TeamsNotifier, connector: ConnectorStandIn, references: ConversationReferenceStore
) -> None:
    await references.save(reference(connector, PERSONAL, "personal"))
    await references.save(reference(connector, THREAD, "channel"))

    receipt = await notifier.send_to_user(ALEX, Notice("Your request expired."))

    assert receipt.delivered
    [call] = connector.calls
    assert (call.kind, call.conversation_id, call.text) == ("send", PERSONAL, "Your request expired.")


async def test_send_to_user_without_a_personal_chat_is_gone(
    notifier: TeamsNotifier,
    connector: ConnectorStandIn,
    references: ConversationReferenceStore,
    undelivered: list[UndeliveredNotice],
) -> None:
    await references.save(reference(connector, THREAD, "channel"))  # only a channel: no personal chat

    receipt = await notifier.send_to_user(ALEX, Notice("Your request expired."))

    assert receipt.status is NoticeStatus.GONE
    assert connector.calls == []
    assert [(u.kind, u.status, u.conversation_id) for u in undelivered] == [
        ("send_to_user", NoticeStatus.GONE, None)
    ]


async def test_a_malformed_reference_fails_without_raising(
    notifier: TeamsNotifier, connector: ConnectorStandIn
) -> None:
    receipt = await notifier.send({"conversation": {"id": PERSONAL}}, Notice("Done."))  # no service URL

    assert receipt.status is NoticeStatus.FAILED
    assert connector.calls == []


async def test_the_composed_notifier_delivers_through_the_switchboard_adapter(
    switchboard: Switchboard, connector: ConnectorStandIn
) -> None:
    receipt = await switchboard.notifier.send(serialized(reference(connector, PERSONAL, "personal")), Notice("Hi"))

    assert receipt.delivered
    assert [call.text for call in connector.delivered] == ["Hi"]


async def test_a_connector_that_keeps_failing_gives_failed_after_the_bounded_retries(
    notifier: TeamsNotifier, connector: ConnectorStandIn, clock: FakeClock
) -> None:
    connector.fail_with(503)

    receipt = await notifier.update(serialized(reference(connector, PERSONAL, "personal")), "card-1", Notice("5/5"))

    assert receipt.status is NoticeStatus.FAILED
    assert receipt.reason is not None
    assert receipt.reason.startswith("503")
    assert len(connector.calls) == 6  # NoticePolicy.max_attempts
    assert sum(clock.sleeps) <= 60.0


async def test_an_unreachable_connector_gives_failed_without_raising(
    notifier: TeamsNotifier, connector: ConnectorStandIn, refused_port: int
) -> None:
    unreachable = reference(connector, PERSONAL, "personal")
    unreachable.service_url = f"http://127.0.0.1:{refused_port}/"

    receipt = await notifier.send(serialized(unreachable), Notice("Done."))

    assert receipt.status is NoticeStatus.FAILED
    assert connector.calls == []
