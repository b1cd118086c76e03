"""Per-conversation pacing and one-at-a-time calls, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from bot.conversation_pacing import NOTICE_WINDOWS, ConversationPacer, RateWindow, conversation_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def test_a_channel_thread_counts_as_its_channel() -> None:
    assert conversation_key("19:general@thread.tacv2;messageid=1764126000000") == "19:general@thread.tacv2"
    assert conversation_key("a:1personal") == "a:1personal"


def test_the_default_windows_stay_below_teams_limits() -> None:
    teams = {1.0: 7, 2.0: 8, 30.0: 60, 3600.0: 1800}
    assert {w.seconds for w in NOTICE_WINDOWS} == set(teams)
    assert all(w.calls < teams[w.seconds] for w in NOTICE_WINDOWS)


async def test_every_window_holds_not_only_the_shortest() -> None:
    clock = FakeClock()
    pacer = ConversationPacer((RateWindow(1.0, 4), RateWindow(30.0, 10)), clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(12):
        await pacer.pace("a:1chat")
        times.append(clock.now - 50.0)

    assert times[:4] == [0.0, 0.0, 0.0, 0.0]
    assert times[4:8] == [1.0, 1.0, 1.0, 1.0]
    assert times[8:10] == [2.0, 2.0]
    assert times[10:] == [30.0, 30.0]  # the 30-s window: the 11th call waits for the first to leave it


async def test_conversations_are_paced_independently() -> None:
    clock = FakeClock()
    pacer = ConversationPacer((RateWindow(1.0, 1),), clock=clock, sleep=clock.sleep)

    assert await pacer.pace("a:1first") == 0.0
    assert await pacer.pace("a:1second") == 0.0
    assert await pacer.pace("19:c@thread.tacv2;messageid=1") == 0.0
    assert await pacer.pace("19:c@thread.tacv2;messageid=2") == 1.0  # same channel


async def test_calls_to_one_conversation_run_one_at_a_time_in_arrival_order() -> None:
    pacer = ConversationPacer()
    running: list[int] = []
    order: list[int] = []

    async def call(n: int) -> None:
        async with pacer.one_at_a_time("a:1chat"):
            running.append(n)
            assert running == [n]
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            order.append(n)
            running.remove(n)

    await asyncio.gather(*(call(n) for n in range(5)))

    assert order == [0, 1, 2, 3, 4]
    assert pacer._locks == {}  # no lock kept for an idle conversation


@pytest.mark.parametrize(("seconds", "calls"), [(0.0, 1), (1.0, 0)])
def test_an_impossible_window_is_refused(seconds: float, calls: int) -> None:
    with pytest.raises(ValueError, match="rate window"):
        RateWindow(seconds, calls)
