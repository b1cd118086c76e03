"""The delivery ledger's contract on Azurite: one winner per claim, expiry by a controllable clock."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from storage import DeliveryLedger, StorageUnavailableError, TableProvider
from tests.support.table_storage import FAST, unreachable_connection_string

START = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
CONVERSATION = "19:general@thread.tacv2;messageid=1700000000000"


class Clock:
    """A clock the test moves by hand (no sleeps)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(tables: TableProvider, unique_name: str, clock: Clock) -> DeliveryLedger:
    return DeliveryLedger(
        tables, table_name=f"deliveries{unique_name}", clock=clock,
        activity_ttl=dt.timedelta(hours=1), decision_ttl=dt.timedelta(days=1),
    )


# --------------------------------------------------------------------------- activity receipts
async def test_the_first_delivery_of_an_activity_wins_and_a_redelivery_does_not(ledger: DeliveryLedger) -> None:
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1") is True
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1") is False
    # Other activities, and the same id in another conversation or channel, are their own.
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-2") is True
    assert await ledger.claim_activity("msteams", "a:personal-alex", "act-1") is True
    assert await ledger.claim_activity("webchat", CONVERSATION, "act-1") is True


async def test_concurrent_deliveries_of_one_activity_have_exactly_one_winner(ledger: DeliveryLedger) -> None:
    results = await asyncio.gather(*(ledger.claim_activity("msteams", CONVERSATION, "act-x") for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_a_released_receipt_lets_the_next_delivery_be_processed(ledger: DeliveryLedger) -> None:
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1")
    await ledger.release_activity("msteams", CONVERSATION, "act-1")
    await ledger.release_activity("msteams", CONVERSATION, "act-1")  # releasing twice is fine
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1") is True


async def test_a_receipt_expires_and_the_activity_can_be_claimed_again(ledger: DeliveryLedger, clock: Clock) -> None:
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1")
    clock.advance(dt.timedelta(minutes=59))
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1") is False
    clock.advance(dt.timedelta(minutes=1))
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1") is True  # the expired row was replaced
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1") is False


async def test_concurrent_claims_of_an_expired_receipt_still_have_one_winner(
    ledger: DeliveryLedger, clock: Clock
) -> None:
    assert await ledger.claim_activity("msteams", CONVERSATION, "act-1")
    clock.advance(dt.timedelta(hours=2))
    results = await asyncio.gather(*(ledger.claim_activity("msteams", CONVERSATION, "act-1") for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]


@pytest.mark.parametrize("ids", [("", "c", "a"), ("msteams", "", "a"), ("msteams", "c", "")])
async def test_a_receipt_needs_every_id(ledger: DeliveryLedger, ids: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError, match="needs a channel id, a conversation id and an activity id"):
        await ledger.claim_activity(*ids)


async def test_long_and_odd_conversation_ids_are_keyed_safely(ledger: DeliveryLedger) -> None:
    odd = "19:x@thread.tacv2;messageid=1/2\\3#4?5%" + "z" * 900
    assert await ledger.claim_activity("msteams", odd, "act-1") is True
    assert await ledger.claim_activity("msteams", odd, "act-1") is False
    assert await ledger.claim_activity("msteams", odd + "y", "act-1") is True


# --------------------------------------------------------------------------- decisions
async def test_the_first_decision_on_a_form_stands_and_names_who_took_it(ledger: DeliveryLedger) -> None:
    first = await ledger.decide("f-1", confirmed=True, by_key="aad-alex", by_name="Alex Wilber")
    assert (first.recorded, first.confirmed, first.by_name, first.decided_at) == (True, True, "Alex Wilber", START)

    second = await ledger.decide("f-1", confirmed=False, by_key="aad-megan", by_name="Megan Bowen")
    assert second.recorded is False
    assert (second.confirmed, second.by_key, second.by_name) == (True, "aad-alex", "Alex Wilber")

    found = await ledger.decision("f-1")
    assert found is not None
    assert (found.recorded, found.confirmed, found.by_name) == (False, True, "Alex Wilber")
    assert await ledger.decision("f-2") is None


async def test_concurrent_decisions_on_one_form_have_exactly_one_winner(ledger: DeliveryLedger) -> None:
    decisions = await asyncio.gather(*(
        ledger.decide("f-race", confirmed=i % 2 == 0, by_key=f"user-{i}", by_name=f"User {i}") for i in range(8)
    ))
    winners = [d for d in decisions if d.recorded]
    assert len(winners) == 1
    # Everyone else is told the same decision: the winner's.
    assert {(d.by_key, d.confirmed) for d in decisions} == {(winners[0].by_key, winners[0].confirmed)}


async def test_a_decision_expires(ledger: DeliveryLedger, clock: Clock) -> None:
    await ledger.decide("f-1", confirmed=True, by_key="aad-alex", by_name="Alex Wilber")
    clock.advance(dt.timedelta(days=1))
    assert await ledger.decision("f-1") is None
    again = await ledger.decide("f-1", confirmed=False, by_key="aad-megan", by_name="Megan Bowen")
    assert again.recorded is True


# --------------------------------------------------------------------------- cleanup
async def test_purge_deletes_only_expired_rows(ledger: DeliveryLedger, clock: Clock) -> None:
    await ledger.claim_activity("msteams", CONVERSATION, "old")
    await ledger.decide("f-old", confirmed=True, by_key="aad-alex", by_name="Alex Wilber")
    clock.advance(dt.timedelta(hours=1))
    await ledger.claim_activity("msteams", CONVERSATION, "new")

    assert await ledger.purge_expired() == 1  # the old receipt; the decision lives a day
    assert await ledger.claim_activity("msteams", CONVERSATION, "new") is False
    assert (await ledger.decide("f-old", confirmed=False, by_key="x", by_name="X")).recorded is False

    clock.advance(dt.timedelta(days=1))
    assert await ledger.purge_expired() == 2
    assert await ledger.purge_expired() == 0


async def test_lifetimes_must_be_positive(tables: TableProvider) -> None:
    with pytest.raises(ValueError, match="lifetimes must be positive"):
        DeliveryLedger(tables, activity_ttl=dt.timedelta(0))


async def test_unreachable_storage_is_a_typed_error(refused_port: int) -> None:
    async with TableProvider(connection_string=unreachable_connection_string(refused_port), options=FAST) as tables:
        ledger = DeliveryLedger(tables)
        with pytest.raises(StorageUnavailableError):
            await ledger.claim_activity("msteams", CONVERSATION, "act-1")
