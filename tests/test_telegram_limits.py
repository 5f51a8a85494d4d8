"""Flood limits: 30 messages/s overall, 20/min per group, 1/s per chat, kept on our side."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from telegram.ext import ExtBot

from adapters.telegram.delivery import TelegramPlatform, chat_key
from adapters.telegram.limits import (
    FloodControl,
    KeyedWindows,
    Limits,
    Pace,
    SlidingWindow,
    TelegramRateLimiter,
)
from adapters.telegram.render import render_reply
from tests.fakes.telegram import FakeTelegram, FloodLimits


class FakeTime:
    """A clock that only moves when someone sleeps (one sender at a time)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("limit", "period", "arrivals", "granted"),
    [
        (1, 1.0, [0, 0, 0], [0, 1, 2]),
        (1, 1.0, [0, 5, 5.5], [0, 5, 6]),
        (3, 1.0, [0, 0, 0, 0, 0], [0, 0, 0, 1, 1]),
        (3, 1.0, [0, 0.5, 0.9, 1.0, 1.2], [0, 0.5, 0.9, 1.0, 1.5]),
        (2, 10.0, [0, 1, 2, 30, 30, 30], [0, 1, 10, 30, 30, 40]),
        (20, 60.0, [0] * 22, [0] * 20 + [60, 60]),
    ],
)
def test_sliding_window(limit: int, period: float, arrivals: list[float], granted: list[float]) -> None:
    """At most ``limit`` messages in any ``period``, in arrival order, each as early as allowed."""
    window = SlidingWindow(limit, period)
    gone: list[float] = []
    for now in arrivals:
        at = window.earliest(max(now, gone[-1] if gone else now))
        window.record(at)
        gone.append(at)
    assert gone == granted


def test_keyed_windows_forget_idle_keys() -> None:
    """Per-chat windows of chats that went quiet are dropped, so memory stays bounded."""
    windows = KeyedWindows(1, 1.0, prune_every=11)
    for chat in range(10):
        windows.get(chat, now=0.0).record(0.0)
    assert len(windows) == 10
    windows.get("late", now=5.0)
    assert len(windows) == 1


async def test_one_message_per_second_per_chat() -> None:
    """Messages to one chat go out at least a second (plus margin) apart."""
    fake = FakeTime()
    flood = FloodControl(Limits(margin=0.05), clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(4):
        await flood.acquire(12345)
        times.append(fake.now)
    assert times == pytest.approx([0.0, 1.05, 2.10, 3.15])


async def test_a_slow_answer_moves_the_chats_next_turn() -> None:
    """A message answered 0.4 s after it left counts from its answer: the chat's next message
    leaves a second (plus margin) after that, and the overall pace is not held back."""
    fake = FakeTime()
    flood = FloodControl(Limits(margin=0.05), clock=fake.clock, sleep=fake.sleep)
    await flood.acquire(12345)
    fake.now = 0.4
    flood.answered(12345)
    await flood.acquire(12345)
    assert fake.now == pytest.approx(1.45)
    await flood.acquire(67890)
    assert fake.now == pytest.approx(1.45 + (1.0 + Limits().pace_margin) / 30)


@pytest.mark.parametrize(
    ("records", "answered", "expected"),
    [([0.0], 0.4, [0.4]), ([0.0, 1.0], 0.5, [0.0, 1.0]), ([0.0, 1.0], 1.2, [0.0, 1.2]), ([], 3.0, [])],
)
def test_settle_only_moves_the_latest_record_later(
    records: list[float], answered: float, expected: list[float]
) -> None:
    """``settle`` moves the latest record to the answer's time, never earlier, and records nothing new."""
    window = SlidingWindow(3, 1.0)
    for at in records:
        window.record(at)
    window.settle(answered)
    assert list(window.times) == expected


async def test_twenty_per_minute_per_group() -> None:
    """A group gets at most 20 messages in any minute (and one per second)."""
    fake = FakeTime()
    flood = FloodControl(Limits(margin=0.05), clock=fake.clock, sleep=fake.sleep)
    times = []
    for _ in range(22):
        await flood.acquire(-1001557912345)
        times.append(fake.now)
    assert times[19] == pytest.approx(19 * 1.05)
    assert times[20] == pytest.approx(60.05)
    assert times[21] == pytest.approx(61.10)
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= 60.0


async def test_thirty_per_second_overall() -> None:
    """Across chats messages leave at an even pace: at most 30 in any second, never in a burst."""
    fake = FakeTime()
    flood = FloodControl(Limits(pace_margin=0.05), clock=fake.clock, sleep=fake.sleep)
    times = []
    for chat in range(65):
        await flood.acquire(1000 + chat)
        times.append(fake.now)
    assert times == pytest.approx([n * 1.05 / 30 for n in range(65)])
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] > 1.0


async def test_pace_resumes_evenly_after_a_pause() -> None:
    """After the process stalls, queued messages resume at the pace instead of leaving together."""
    fake = FakeTime()
    flood = FloodControl(Limits(pace_margin=0.05), clock=fake.clock, sleep=fake.sleep)
    for chat in range(10):
        await flood.acquire(1000 + chat)
    fake.now += 5.0
    times = []
    for chat in range(10, 40):
        await flood.acquire(1000 + chat)
        times.append(fake.now)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(1.05 / 30)


async def test_usernames_count_as_groups() -> None:
    """``@channel`` ids are limited like groups, case-insensitively as one chat."""
    fake = FakeTime()
    flood = FloodControl(Limits(group=(2, 60.0), margin=0.0), clock=fake.clock, sleep=fake.sleep)
    for name in ("@Papers", "@papers", "@PAPERS"):
        await flood.acquire(name)
    assert fake.now == pytest.approx(60.0)


async def test_reads_are_not_limited() -> None:
    """getChatMember and other reads never wait for a message slot."""
    async with FakeTelegram() as tg:
        flood = FloodControl(Limits(chat=(1, 60.0)))
        bot = ExtBot(tg.token, base_url=tg.api_url, rate_limiter=TelegramRateLimiter(flood))
        async with bot:
            for _ in range(5):
                await bot.get_chat_member(-1001557912345, 7)
        assert flood.waited == 0.0
        assert len(tg.calls_to("getChatMember")) == 5


async def test_no_flood_errors_under_load() -> None:
    """Under a burst to private chats and groups, the limiter keeps within what the server enforces.

    The limiter's margins (0.3 s on each window, 0.3 s on the overall pace) stand for the network
    between its clock and the server's: on a loaded machine a request can take a tenth of a second
    longer than the one before it, and the server sees arrivals, not departures."""
    windows = FloodLimits(overall=(6, 0.5), group=(3, 0.6), chat=(1, 0.2), tolerance=0.0)
    limits = Limits(overall=(6, 0.5), group=(3, 0.6), chat=(1, 0.2), margin=0.3, pace_margin=0.3)
    async with FakeTelegram(flood_limits=windows) as tg:
        flood = FloodControl(limits)
        bot = ExtBot(tg.token, base_url=tg.api_url, rate_limiter=TelegramRateLimiter(flood))
        platform = TelegramPlatform(bot, owns_bot=True)
        async with platform:
            chats = [chat_key(c) for c in (11, 12, 13, -4001, -4002, 11, -4001, 14, -4001, 12, 15, 16)]
            await asyncio.gather(*(platform.send_message(chat, render_reply("hello")) for chat in chats))
        assert len(tg.sent) == len(chats)
        assert tg.flood_violations == 0
        assert flood.waited > 0


async def test_fake_enforces_flood_limits() -> None:
    """Without our limiter the same burst draws 429s from the server (the check above is real)."""
    windows = FloodLimits(overall=(6, 0.3), group=(3, 0.4), chat=(1, 0.1), tolerance=0.0)
    async with FakeTelegram(flood_limits=windows) as tg:
        bot = ExtBot(tg.token, base_url=tg.api_url)
        async with bot:
            results = await asyncio.gather(
                *(bot.send_message(11, "hello") for _ in range(4)), return_exceptions=True
            )
        assert any(isinstance(r, Exception) for r in results)
        assert tg.flood_violations >= 1


async def test_order_kept_within_a_chat() -> None:
    """Concurrent messages to one chat leave in the order they were handed over."""
    limits = Limits(overall=(100, 1.0), group=(100, 1.0), chat=(1, 0.02), margin=0.0)
    async with FakeTelegram() as tg:
        bot = ExtBot(tg.token, base_url=tg.api_url, rate_limiter=TelegramRateLimiter(FloodControl(limits)))
        platform = TelegramPlatform(bot, owns_bot=True)
        async with platform:
            chat = chat_key(-1001557912345)
            await asyncio.gather(*(platform.send_message(chat, render_reply(f"part {i}")) for i in range(6)))
        assert [m.text for m in tg.sent] == [f"part {i}" for i in range(6)]


@pytest.mark.parametrize(
    ("sent_at", "expected_next"),
    [
        (0.0, 0.1),
        (0.03, 0.1),
        (0.099, 0.1),
        (0.1, 0.2),
        (5.0, 5.1),
    ],
)
def test_pace_keeps_its_grid_unless_far_behind(sent_at: float, expected_next: float) -> None:
    """A message a little late keeps the next slot on the grid; one an interval late starts anew."""
    pace = Pace(0.1)
    pace.record(-0.1)
    assert pace.next_at == pytest.approx(0.0)
    pace.record(sent_at)
    assert pace.next_at == pytest.approx(expected_next)
