"""The push under faults, in one process, on both stores: a missing right, one broken chat, a long
``retry_after``, a dead process's leases, a refused token, a stop mid-cycle, and a store killed
mid-push (a Redis of the test's own)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.engine import DigestEngine
from bot.lease import LEASE_TTL, Leases
from bot.metrics import Metrics
from bot.models import ChatKey
from bot.paused import FIRST_RETRY, paused
from bot.push import Pusher
from bot.schedule import pending_retry
from bot.source import ArxivSource
from bot.store import open_store
from bot.store.base import Store
from bot.store.redis import RedisStore
from bot.store.sqlite import SQLiteStore
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.own_redis import OwnRedis
from tests.push_rig import (
    FRI_0800,
    PLATFORM,
    THU,
    THU_0800,
    Clock,
    RecordingPlatform,
    Rig,
    ids,
    push_rig,
    thursday_items,
)

DC = ids(1, 2, 3, 4, 5, 10)


@pytest.fixture
async def rig(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Rig]:
    """A push on the test store, a fake arXiv showing Thursday's batch, at Thursday 08:00 UTC."""
    async with push_rig(fake_arxiv, store) as made:
        yield made


def events(logs: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(entry["event"]) for entry in logs]


def unix_clock(rig: Rig) -> Any:
    return lambda: rig.clock.now.timestamp()


# -- a missing right is not a removal ------------------------------------------------------------------


async def test_no_rights_pauses_the_chat_and_keeps_its_settings(rig: Rig) -> None:
    """A chat where the bot may not post is kept with its categories, zone and language, paused,
    retried with a doubling backoff, and delivered once the right returns (the pause then ends)."""
    chat = await rig.subscribe("muted", ["cs.DC"], timezone="Asia/Shanghai", language="zh")
    before = await rig.store.get_chat(chat)
    rig.platform.no_rights.add("muted")
    with capture_logs() as logs:
        report = await rig.pusher().run_once()
    assert report.paused == 1 and report.gone == 0
    assert await rig.store.get_chat(chat) == before
    first_retry = THU_0800 + FIRST_RETRY
    assert await rig.due("muted") == first_retry
    assert await pending_retry(rig.store, chat) == first_retry.timestamp()
    pause = await paused(rig.store, chat)
    assert pause is not None and pause.attempts == 1 and "not enough rights" in pause.reason
    assert "push_paused" in events(logs) and "push_left_for_later" in events(logs)
    assert report.later == {str(chat): first_retry.timestamp()}

    rig.clock.now = first_retry
    await rig.pusher().run_once()
    assert await rig.due("muted") == first_retry + 2 * FIRST_RETRY
    rig.platform.no_rights.clear()
    rig.clock.now = first_retry + 2 * FIRST_RETRY
    with capture_logs() as logs:
        await rig.pusher().run_once()
    assert sorted(rig.platform.papers_of("muted")) == sorted(DC)
    assert await paused(rig.store, chat) is None
    assert "push_resumed" in events(logs)
    assert await rig.store.get_chat(chat) == before


# -- one chat's fault stays in its room ------------------------------------------------------------------


async def test_one_broken_chat_leaves_the_others(rig: Rig) -> None:
    """An unexpected error in one chat's push is one log line (no traceback) and that chat's retry;
    every other chat is pushed."""
    await rig.subscribe("broken", ["cs.DC"])
    for n in range(5):
        await rig.subscribe(f"fine{n}", ["cs.DC"])
    rig.platform.broken.add("broken")
    with capture_logs() as logs:
        report = await rig.pusher(retry=timedelta(minutes=2)).run_once()
    assert report.errors == 1 and report.sent == 5
    for n in range(5):
        assert sorted(rig.platform.papers_of(f"fine{n}")) == sorted(DC)
    failures = [entry for entry in logs if entry["event"] == "push_chat_failed"]
    assert len(failures) == 1 and failures[0]["error"] == "RuntimeError"
    assert not any("exc_info" in entry for entry in logs)
    assert await rig.due("broken") == THU_0800 + timedelta(minutes=2)


async def damage_settings(store: Store, chat: ChatKey) -> None:
    """Overwrite the chat's stored settings with a row that is not JSON (a damaged or hand-edited row)."""
    if isinstance(store, RedisStore):
        await store._client.set(store._chat_key(chat), "{not json")
    else:
        assert isinstance(store, SQLiteStore)
        await store._execute(
            "UPDATE chats SET settings = ? WHERE prefix = ? AND platform = ? AND chat_id = ?",
            ("{not json", store.prefix, chat.platform, chat.chat_id),
        )


@pytest.mark.parametrize("everyone", [False, True])
async def test_one_unreadable_chat_row_leaves_the_others(rig: Rig, everyone: bool) -> None:
    """A chat whose stored settings cannot be read is one log line; every other chat is pushed,
    due ones and (``push --now``) every subscribed one alike."""
    damaged = await rig.subscribe("damaged", ["cs.DC"])
    for n in range(5):
        await rig.subscribe(f"fine{n}", ["cs.DC"])
    await damage_settings(rig.store, damaged)
    with capture_logs() as logs:
        report = await rig.pusher(retry=timedelta(minutes=2)).run_once(everyone=everyone)
    assert report.sent == 5
    for n in range(5):
        assert sorted(rig.platform.papers_of(f"fine{n}")) == sorted(DC)
    assert not rig.platform.papers_of("damaged")
    unreadable = [e for e in logs if e["event"] in ("push_chat_failed", "chat_settings_unreadable")]
    assert len(unreadable) == 1 and unreadable[0]["chat"] == str(damaged)
    if not everyone:
        assert await rig.due("damaged") == THU_0800 + timedelta(minutes=2)


async def test_a_long_retry_after_is_rescheduled_not_waited(rig: Rig) -> None:
    """A chat whose platform asks it to wait 120 s is rescheduled at its own retry time; the other
    chats are pushed in the same cycle, and the cycle names the chat it left for later."""
    slow = await rig.subscribe("slow", ["cs.DC"])
    await rig.subscribe("on-time", ["cs.DC"])
    rig.platform.fail = {"slow": 0}
    rig.platform.retry_after = 120.0
    with capture_logs() as logs:
        report = await rig.pusher(retry=timedelta(seconds=30)).run_once()
    assert sorted(rig.platform.papers_of("on-time")) == sorted(DC)
    assert rig.platform.papers_of("slow") == []
    retry_at = THU_0800 + timedelta(seconds=120)
    assert await rig.due("slow") == retry_at
    assert report.later == {str(slow): retry_at.timestamp()}
    [left] = [entry for entry in logs if entry["event"] == "push_left_for_later"]
    assert left["chats"] == str(slow) and left["count"] == 1


async def test_overlapping_cycles_never_wait_for_a_slow_chat(rig: Rig) -> None:
    """While one cycle is stuck on a slow chat, a later cycle pushes the chats that fell due
    meanwhile and leaves the slow chat to the cycle that has it."""
    await rig.subscribe("stuck", ["cs.DC"])
    rig.platform.gated.add("stuck")
    pusher = rig.pusher()
    first = asyncio.create_task(pusher.run_once())
    await rig.platform.until_waiting("stuck")
    await rig.subscribe("later", ["cs.LG"], due=THU_0800 + timedelta(minutes=1))
    rig.clock.now = THU_0800 + timedelta(minutes=1)
    second = await pusher.run_once()
    assert sorted(rig.platform.papers_of("later")) == sorted(ids(6, 7, 8, 9, 10))
    assert second.chats == 1 and second.skipped == 0
    assert not first.done()
    rig.platform.gate.set()
    report = await first
    assert sorted(rig.platform.papers_of("stuck")) == sorted(DC) and report.sent == 1


# -- crash recovery --------------------------------------------------------------------------------------


async def test_a_dead_process_leaves_its_chats_free_within_the_ttl(rig: Rig) -> None:
    """Chats leased by a process that died are left alone, with one line saying how many and until
    when, and pushed by the first cycle after their leases lapse (an injected clock, no waiting)."""
    held = [await rig.subscribe(f"c{n}", ["cs.DC"]) for n in range(4)]
    dead = Leases(rig.store, "killed-process", clock=unix_clock(rig), auto_renew=False)
    for chat in held[:3]:
        assert await dead.acquire(f"push:{chat}") is not None

    def pusher() -> Pusher:
        return rig.pusher(leases=Leases(rig.store, "restarted", clock=unix_clock(rig), auto_renew=False))

    rig.clock.now = THU_0800 + timedelta(seconds=10)
    with capture_logs() as logs:
        report = await pusher().run_once()
    assert report.sent == 1 and report.skipped == 3 and report.held_elsewhere == 3
    [line] = [entry for entry in logs if entry["event"] == "push_left_to_other_holders"]
    assert line["count"] == 3
    assert line["until"] == (THU_0800 + timedelta(seconds=LEASE_TTL)).isoformat(timespec="seconds")
    rig.clock.now = THU_0800 + timedelta(seconds=LEASE_TTL + 1)
    report = await pusher().run_once()
    assert report.sent == 3
    for n in range(4):
        assert sorted(rig.platform.papers_of(f"c{n}")) == sorted(DC)


# -- refused token --------------------------------------------------------------------------------------


async def test_refused_token_leaves_every_chat_due(rig: Rig) -> None:
    """A platform that refuses the bot's token: one line naming the setting, every chat stays due,
    and the cycle counts as failed for every chat."""
    for n in range(3):
        await rig.subscribe(f"c{n}", ["cs.DC"])
    rig.platform.token_rejected = True
    with capture_logs() as logs:
        report = await rig.pusher().run_once()
    assert report.rejected == 3 and report.all_failed and report.token_settings == ["TEST_BOT_TOKEN"]
    assert events(logs).count("push_token_rejected") == 1
    for n in range(3):
        assert await rig.due(f"c{n}") == THU_0800


# -- stopping ---------------------------------------------------------------------------------------------


async def test_stop_lets_chats_in_flight_finish_and_hands_back_the_rest(rig: Rig) -> None:
    """After ``stop`` the chat being pushed finishes; queued chats are handed back, still due and
    free for any process."""
    await rig.subscribe("a-first", ["cs.DC"])
    for n in range(3):
        await rig.subscribe(f"queued{n}", ["cs.DC"])
    rig.platform.gated.add("a-first")
    pusher = rig.pusher(concurrency=1)
    cycle = asyncio.create_task(pusher.run_once())
    await rig.platform.until_waiting("a-first")
    pusher.stop()
    rig.platform.gate.set()
    report = await cycle
    assert sorted(rig.platform.papers_of("a-first")) == sorted(DC)
    assert report.sent == 1 and report.handed_back == 3
    for n in range(3):
        assert await rig.due(f"queued{n}") == THU_0800
        assert await rig.store.claim(f"push:{PLATFORM}:queued{n}", "another-process", 30)
    assert await rig.due("a-first") == FRI_0800


async def test_abort_cuts_off_a_stuck_chat_and_releases_it(rig: Rig) -> None:
    """At the end of the grace period a chat still being pushed is cut off: what it received is
    recorded, its lease released, and it stays due for the rest."""
    chat = await rig.subscribe("stuck", ["cs.DC"])
    rig.platform.per_message = 2

    async def stall_after_first(chat_id: str) -> None:
        if len(rig.platform.papers_of(chat_id)) > 2:
            await asyncio.Event().wait()

    rig.platform.after_send = stall_after_first
    pusher = rig.pusher()
    cycle = asyncio.create_task(pusher.run_once())
    for _ in range(400):
        if len(rig.platform.sent) == 2:
            break
        await asyncio.sleep(0.005)
    pusher.stop()
    pusher.abort()
    report = await cycle
    assert report.handed_back == 1
    first_two = rig.platform.sent[0][1]
    assert await rig.store.filter_received(chat, DC) == set(first_two)
    assert await rig.due("stuck") == THU_0800
    assert await rig.store.claim(f"push:{chat}", "another-process", 30)


# -- the store dies mid-push ------------------------------------------------------------------------------


@pytest.fixture
async def redis_rig(tmp_path: Path, fake_arxiv: FakeArxiv) -> AsyncIterator[tuple[Rig, OwnRedis]]:
    """A push rig on a Redis of its own, which the test may kill and restart."""
    server = OwnRedis(tmp_path)
    await server.start()
    store = await open_store(server.url, "push-faults:")
    settings = settings_for(fake_arxiv)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    clock = Clock(THU_0800)
    engine = DigestEngine(store, source, NoSummarizer(), clock=clock)
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    try:
        yield Rig(store, fake_arxiv, engine, RecordingPlatform(), clock, Metrics()), server
    finally:
        await source.aclose()
        await store.close()


async def test_store_killed_mid_push_repeats_nothing(redis_rig: tuple[Rig, OwnRedis]) -> None:
    """Redis killed right after a message went out: the acknowledged papers are kept in memory,
    the outage is one log line with no traceback, and once Redis is back the next cycle records
    them first, so no chat ever receives a paper twice."""
    rig, server = redis_rig
    for n in range(12):
        await rig.subscribe(f"c{n:02d}", ["cs.DC"])
    rig.platform.per_message = 2
    killed = False

    async def kill_after_ten(chat_id: str) -> None:
        nonlocal killed
        if not killed and len(rig.platform.sent) == 10:
            killed = True
            await server.kill()

    rig.platform.after_send = kill_after_ten
    pusher = rig.pusher(concurrency=4)
    with capture_logs() as logs:
        report = await pusher.run_once()
    assert killed and report.store_errors >= 1
    assert pusher.unrecorded >= 1
    assert events(logs).count("service_unavailable") == 1
    assert not any("exc_info" in entry or "exception" in entry for entry in logs)

    await server.start()
    rig.platform.after_send = None
    with capture_logs() as logs:
        again = await pusher.run_once()
        while await rig.store.due_chats(THU_0800.timestamp(), limit=1):
            again = await pusher.run_once()
    assert pusher.unrecorded == 0
    assert "service_recovered" in events(logs)
    assert again.errors == 0
    for n in range(12):
        papers = rig.platform.papers_of(f"c{n:02d}")
        assert sorted(papers) == sorted(DC), f"c{n:02d} got {papers}"


async def test_failed_delivery_without_retry_after_uses_the_push_retry(rig: Rig) -> None:
    """A DeliveryFailed without retry_after is left for later at the push's own retry wait."""
    await rig.subscribe("flaky", ["cs.DC"])
    rig.platform.fail = {"flaky": 0}
    report = await rig.pusher(retry=timedelta(minutes=3)).run_once()
    assert report.retry == 1
    assert await rig.due("flaky") == THU_0800 + timedelta(minutes=3)
    assert report.later == {str(ChatKey(PLATFORM, "flaky")): (THU_0800 + timedelta(minutes=3)).timestamp()}
