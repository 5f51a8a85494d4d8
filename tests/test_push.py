"""The push in one process, on both stores, against the fake arXiv and a recording platform."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from bot.i18n import t
from bot.models import ChatKey, ChatSettings
from bot.schedule import pending_retry
from bot.store.base import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss, paged_api
from tests.push_rig import (
    FRI_0800,
    PLATFORM,
    THU,
    THU_0800,
    WED,
    Clock,
    RecordingPlatform,
    Rig,
    ids,
    item,
    push_rig,
    thursday_items,
    wednesday_items,
)

__all__ = [  # the rig's names, as other test modules and benches import them from here
    "FRI_0800",
    "PLATFORM",
    "THU",
    "THU_0800",
    "WED",
    "Clock",
    "RecordingPlatform",
    "Rig",
    "ids",
    "item",
    "thursday_items",
    "wednesday_items",
]


@pytest.fixture
async def rig(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Rig]:
    """A push on the test store, a fake arXiv showing Thursday's batch, at Thursday 08:00 UTC."""
    async with push_rig(fake_arxiv, store) as made:
        yield made


async def test_due_chats_get_their_papers_once(rig: Rig) -> None:
    """Due chats get every paper of their categories once, from one arXiv request; later cycles send nothing."""
    await rig.subscribe("a", ["cs.DC"])
    await rig.subscribe("b", ["cs.DC", "cs.LG"], language="zh")
    await rig.subscribe("c", ["cs.LG"])
    await rig.subscribe("later", ["cs.DC"], due=FRI_0800)
    report = await rig.pusher().run_once()
    assert sorted(rig.platform.papers_of("a")) == sorted(ids(1, 2, 3, 4, 5, 10))
    assert sorted(rig.platform.papers_of("b")) == sorted(ids(*range(1, 11)))
    assert sorted(rig.platform.papers_of("c")) == sorted(ids(6, 7, 8, 9, 10))
    assert rig.platform.papers_of("later") == []
    assert (report.chats, report.sent, report.papers) == (3, 3, 21)
    assert len(rig.fake.requests) == 1
    for chat_id in ("a", "b", "c", "later"):
        assert await rig.due(chat_id) == FRI_0800
    sent = len(rig.platform.sent)
    again = await rig.pusher().run_once()
    assert (again.chats, len(rig.platform.sent)) == (0, sent)
    metrics = rig.metrics.exposition().decode()
    assert f'arxiv_digest_messages_sent_total{{platform="{PLATFORM}"}} {float(sent)}' in metrics


async def test_pushed_digest_carries_the_chats_title_and_zone(rig: Rig) -> None:
    """Chats sharing one built digest each get it with their own title and time zone."""
    await rig.subscribe("own", ["cs.DC"], timezone="Asia/Shanghai")
    settings = await rig.store.get_chat(ChatKey(PLATFORM, "own"))
    assert settings is not None
    await rig.store.put_chat(replace(settings, title="云计算"))
    await rig.subscribe("plain", ["cs.DC"])
    await rig.pusher().run_once()
    shown = {chat: (digest.title, digest.timezone) for chat, digest in rig.platform.digests}
    assert shown == {"own": ("云计算", "Asia/Shanghai"), "plain": ("", "UTC")}


async def test_today_counts_as_received(rig: Rig) -> None:
    """Papers the chat already got (through /today) are not pushed; a chat that has them all gets nothing."""
    partial = await rig.subscribe("partial", ["cs.DC"])
    done = await rig.subscribe("done", ["cs.LG"])
    await rig.store.mark_received(partial, ids(1, 2))
    await rig.store.mark_received(done, ids(6, 7, 8, 9, 10))
    report = await rig.pusher().run_once()
    assert sorted(rig.platform.papers_of("partial")) == sorted(ids(3, 4, 5, 10))
    assert rig.platform.papers_of("done") == []
    assert (report.sent, report.nothing_new) == (1, 1)
    assert await rig.due("done") == FRI_0800


async def test_chat_gone_is_unsubscribed(rig: Rig) -> None:
    """A chat that blocked the bot is unsubscribed; the others are still served."""
    await rig.subscribe("blocked", ["cs.DC"])
    await rig.subscribe("fine", ["cs.DC"])
    rig.platform.gone.add("blocked")
    report = await rig.pusher().run_once()
    assert report.gone == 1
    assert await rig.store.get_chat(ChatKey(PLATFORM, "blocked")) is None
    assert await rig.due("blocked") is None
    assert sorted(rig.platform.papers_of("fine")) == sorted(ids(1, 2, 3, 4, 5, 10))


async def test_chat_migrated_moves_and_resends(rig: Rig) -> None:
    """A migrated chat keeps its subscription under the new id and gets the rest of its digest there, once."""
    old = await rig.subscribe("-4012345678", ["cs.DC"])
    rig.platform.migrate = {"-4012345678": "-1001557912345"}
    rig.platform.migrate_after = 1
    report = await rig.pusher().run_once()
    new = ChatKey(PLATFORM, "-1001557912345")
    first = rig.platform.papers_of("-4012345678")
    rest = rig.platform.papers_of("-1001557912345")
    assert len(first) == 2 and sorted(first + rest) == sorted(ids(1, 2, 3, 4, 5, 10))
    assert report.migrated == 1
    assert await rig.store.get_chat(old) is None
    moved = await rig.store.get_chat(new)
    assert moved is not None and moved.categories == ("cs.DC",)
    assert await rig.store.get_due(new) == FRI_0800.timestamp()
    assert await rig.store.filter_received(new, ids(1, 2, 3, 4, 5, 10)) == ids(1, 2, 3, 4, 5, 10)
    assert await rig.store.claim(f"push:{new}", "another-process", 1.0), "the push released its claims"


async def test_delivery_failed_retries_later(rig: Rig) -> None:
    """A delivery that fails midway is retried after its backoff, sending only what did not arrive."""
    await rig.subscribe("flaky", ["cs.DC"])
    rig.platform.fail = {"flaky": 1}
    rig.platform.retry_after = 300.0
    report = await rig.pusher(retry=timedelta(minutes=2)).run_once()
    assert report.retry == 1
    assert len(rig.platform.papers_of("flaky")) == 2
    retry_at = THU_0800 + timedelta(seconds=300)
    assert await rig.due("flaky") == retry_at
    assert await pending_retry(rig.store, ChatKey(PLATFORM, "flaky")) == retry_at.timestamp()
    rig.clock.now = retry_at
    await rig.pusher().run_once()
    papers = rig.platform.papers_of("flaky")
    assert sorted(papers) == sorted(ids(1, 2, 3, 4, 5, 10)) and len(papers) == 6
    assert await rig.due("flaky") == FRI_0800


async def test_arxiv_down_retries_without_losing_the_push(rig: Rig, stamina_testing: None) -> None:
    """With arXiv unreachable nothing is sent, the cycle says so, and the chat is due again after the poll interval."""
    await rig.subscribe("a", ["cs.DC"])
    rig.fake.set_feed(b"")
    for _ in range(20):
        rig.fake.queue("rss", 503, "down")
        rig.fake.queue("api", 503, "down")
    report = await rig.pusher(poll=timedelta(minutes=10)).run_once()
    assert report.unreachable and report.source_errors == 1
    assert rig.platform.sent == []
    assert await rig.due("a") == THU_0800 + timedelta(minutes=10)
    assert await rig.store.get_chat(ChatKey(PLATFORM, "a")) is not None


async def test_late_batch_is_delivered_once_ready(rig: Rig) -> None:
    """A batch three hours late: the push gives what is unreceived, waits, and delivers the batch once in the feed."""
    berlin_0800 = datetime(2026, 9, 24, 6, 0, tzinfo=UTC)  # 02:00 New York; the feed should show Thursday
    rig.clock.now = berlin_0800
    rig.fake.set_feed(make_rss(WED, wednesday_items(), ["cs.DC"]))
    had_wednesday = await rig.subscribe("had", ["cs.DC"], due=berlin_0800, timezone="Europe/Berlin")
    await rig.subscribe("missed", ["cs.DC"], due=berlin_0800, timezone="Europe/Berlin")
    await rig.store.mark_received(had_wednesday, ids(21, 22, 23))
    report = await rig.pusher(poll=timedelta(minutes=10)).run_once()
    assert rig.platform.papers_of("had") == []
    assert sorted(rig.platform.papers_of("missed")) == sorted(ids(21, 22, 23))
    assert report.waiting == 2
    assert await rig.due("had") == berlin_0800 + timedelta(minutes=10)
    rig.clock.now = berlin_0800 + timedelta(minutes=10)
    await rig.pusher().run_once()
    assert rig.platform.papers_of("had") == []
    rig.clock.now = datetime(2026, 9, 24, 7, 0, tzinfo=UTC)  # 09:00 Berlin: the feed is rebuilt
    rig.fake.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    await rig.pusher().run_once()
    assert sorted(rig.platform.papers_of("had")) == sorted(ids(1, 2, 3, 4, 5, 10))
    assert sorted(rig.platform.papers_of("missed")) == sorted(ids(21, 22, 23, 1, 2, 3, 4, 5, 10))
    assert await rig.due("had") == datetime(2026, 9, 25, 6, 0, tzinfo=UTC)


async def test_bot_down_over_push_time_pushes_at_start(rig: Rig) -> None:
    """A chat whose push time passed while the bot was down is pushed by the first cycle, then back on schedule."""
    await rig.subscribe("a", ["cs.DC"], due=THU_0800)
    rig.clock.now = THU_0800 + timedelta(hours=7)
    await rig.pusher().run_once()
    assert sorted(rig.platform.papers_of("a")) == sorted(ids(1, 2, 3, 4, 5, 10))
    assert await rig.due("a") == FRI_0800
    lag = rig.metrics.registry.get_sample_value("arxiv_digest_push_lag_seconds_sum", {"platform": PLATFORM})
    assert lag == 7 * 3600


async def test_now_sends_every_chat_each_paper_once(rig: Rig) -> None:
    """``push --now`` sends every subscribed chat what it lacks, keeps regular schedules, and repeats nothing."""
    rig.clock.now = THU_0800 + timedelta(hours=2)
    a = await rig.subscribe("a", ["cs.DC"], due=FRI_0800)
    await rig.subscribe("b", ["cs.LG"], due=FRI_0800)
    await rig.subscribe("nothing", [], due=None)
    await rig.store.mark_received(a, ids(1))
    report = await rig.pusher().run_once(everyone=True)
    assert sorted(rig.platform.papers_of("a")) == sorted(ids(2, 3, 4, 5, 10))
    assert sorted(rig.platform.papers_of("b")) == sorted(ids(6, 7, 8, 9, 10))
    assert report.chats == 2
    assert await rig.due("a") == FRI_0800
    sent = len(rig.platform.sent)
    await rig.pusher().run_once(everyone=True)
    assert len(rig.platform.sent) == sent


async def test_chats_of_other_platforms_are_left_due(rig: Rig) -> None:
    """A due chat of a platform this process does not run is left for a process that does."""
    other = await rig.subscribe("x", ["cs.DC"], platform="discord")
    report = await rig.pusher().run_once()
    assert report.no_platform == 1
    assert await rig.store.get_due(other) == THU_0800.timestamp()


async def test_terminal_chats_are_not_pushed_and_not_reported_missing(rig: Rig) -> None:
    """A terminal chat (which has no push) found due is dropped from the due index quietly: no
    missing-platform count or warning, nothing sent."""
    local = await rig.subscribe("lab", ["cs.DC"], platform="terminal")
    with capture_logs() as logs:
        report = await rig.pusher().run_once()
    assert (report.no_platform, report.chats, rig.platform.sent) == (0, 0, [])
    assert await rig.store.get_due(local) is None
    assert not [entry for entry in logs if entry["event"] == "push_platform_missing"]


async def test_due_entry_without_subscription_is_dropped(rig: Rig) -> None:
    """A due entry of a chat that follows nothing is removed."""
    chat = await rig.subscribe("empty", [])
    await rig.pusher().run_once()
    assert await rig.store.get_due(chat) is None
    assert rig.platform.sent == []


async def test_chat_claimed_elsewhere_is_left_to_its_holder(rig: Rig) -> None:
    """A chat another process is pushing is skipped, and pushed by a later cycle once released."""
    chat = await rig.subscribe("busy", ["cs.DC"])
    await rig.subscribe("free", ["cs.DC"])
    assert await rig.store.claim(f"push:{chat}", "another-process", 60.0)
    report = await rig.pusher().run_once()
    assert report.skipped == 1 and rig.platform.papers_of("busy") == []
    assert await rig.due("busy") == THU_0800
    await rig.store.release(f"push:{chat}", "another-process")
    await rig.pusher().run_once()
    assert sorted(rig.platform.papers_of("busy")) == sorted(ids(1, 2, 3, 4, 5, 10))


async def test_pages_through_many_due_chats(rig: Rig) -> None:
    """Small pages and a few workers still reach every due chat once, with some chats held elsewhere."""
    for n in range(40):
        await rig.subscribe(f"c{n:02d}", ["cs.DC"] if n % 2 else ["cs.LG"])
    for n in range(0, 40, 7):
        await rig.store.claim(f"push:{PLATFORM}:c{n:02d}", "another-process", 60.0)
    report = await rig.pusher(page_size=3, concurrency=2).run_once()
    held = {f"c{n:02d}" for n in range(0, 40, 7)}
    assert report.skipped == len(held)
    for n in range(40):
        chat_id = f"c{n:02d}"
        papers = rig.platform.papers_of(chat_id)
        if chat_id in held:
            assert papers == []
        else:
            assert sorted(papers) == sorted(ids(1, 2, 3, 4, 5, 10) if n % 2 else ids(6, 7, 8, 9, 10))
    assert len(rig.fake.requests) == 1


async def test_note_on_a_day_without_announcement(rig: Rig) -> None:
    """A chat that asked for it gets a one-line note at a push time with no new batch, and is due again the next day."""
    saturday = datetime(2026, 9, 26, 8, 0, tzinfo=UTC)
    rig.clock.now = saturday
    rig.fake.set_feed(make_rss(date(2026, 9, 25), thursday_items(), ["cs.DC", "cs.LG"]))
    chat = ChatKey(PLATFORM, "noted")
    await rig.store.put_chat(ChatSettings(chat, ("cs.DC",), empty_day_note=True))
    await rig.store.set_due(chat, saturday.timestamp())
    await rig.store.mark_received(chat, ids(1, 2, 3, 4, 5, 10))
    quiet = await rig.subscribe("quiet", ["cs.DC"], due=saturday)
    await rig.store.mark_received(quiet, ids(1, 2, 3, 4, 5, 10))
    await rig.pusher().run_once()
    assert rig.platform.sent == [("noted", [t("en", "no_announcement")])]
    assert await rig.due("noted") == saturday + timedelta(days=1)
    assert await rig.due("quiet") == datetime(2026, 9, 28, 8, 0, tzinfo=UTC)


async def test_no_note_when_a_batch_came(rig: Rig) -> None:
    """On an announcement day the note is never sent, even when the chat already had every paper."""
    chat = ChatKey(PLATFORM, "noted")
    await rig.store.put_chat(ChatSettings(chat, ("cs.DC",), empty_day_note=True))
    await rig.store.set_due(chat, THU_0800.timestamp())
    await rig.store.mark_received(chat, ids(1, 2, 3, 4, 5, 10))
    await rig.pusher().run_once()
    assert rig.platform.sent == []
    assert await rig.due("noted") == FRI_0800


async def test_batches_missed_while_down_are_delivered(rig: Rig) -> None:
    """A chat last pushed on Tuesday gets Wednesday's batch (from the API) before Thursday's, each paper once."""
    chat = await rig.subscribe("a", ["cs.DC"])
    await rig.store.cache_set("pushed", str(chat), date(2026, 9, 22).isoformat())
    rig.fake.set_api_handler(paged_api(wednesday_items()))
    await rig.pusher().run_once()
    papers = rig.platform.papers_of("a")
    assert sorted(papers[:3]) == sorted(ids(21, 22, 23))
    assert sorted(papers[3:]) == sorted(ids(1, 2, 3, 4, 5, 10))
    assert len(rig.fake.requests_to("api")) == 1
    assert await rig.store.cache_get("pushed", str(chat)) == THU.isoformat()
    rig.clock.now = FRI_0800
    rig.fake.set_feed(make_rss(date(2026, 9, 25), [item(31, ["cs.DC"])], ["cs.DC"]))
    await rig.pusher().run_once()
    assert rig.platform.papers_of("a")[len(papers) :] == sorted(ids(31))
    assert len(rig.fake.requests_to("api")) == 1
