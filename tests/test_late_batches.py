"""Late and partial arXiv batches, through the fake arXiv with an injected clock: the engine, /today,
/status and the push agree on what is held, what is not yet, and deliver every paper once."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot import listing
from bot.commands import Caller, Commands, TextReply
from bot.engine import API_REASK, FAILED_RECHECK, FEED_RECHECK, DigestEngine
from bot.errors import BatchNotReady, SourceUnavailable, StaleFeed
from bot.metrics import Metrics
from bot.models import ANNOUNCE_TYPES, ChatKey, ChatSettings, Selection
from bot.push import Pusher, PushReport
from bot.render import render_json, render_text
from bot.schedule import scheduler_hook
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_api_feed, make_rss, search_api
from tests.test_push import PLATFORM, Clock, RecordingPlatform

FRI = date(2026, 9, 25)
MON = date(2026, 9, 28)
TUE = date(2026, 9, 29)
MON_0800_ET = datetime(2026, 9, 28, 12, 0, tzinfo=UTC)
"""08:00 US Eastern on Monday: the feed should have shown Monday's batch for eight hours."""


def submitted(day: date, hours: float = 1.0) -> datetime:
    """A submission time inside the window of the batch of ``day``."""
    return listing.submission_window(day)[0] + timedelta(hours=hours)


def paper(
    n: int, categories: Sequence[str], day: date, announce: str = "new", version: int = 1
) -> dict[str, Any]:
    """Paper ``2609.0nnnn`` in ``categories``, submitted in the window of ``day``'s batch."""
    return {
        "id": f"2609.{n:05d}",
        "version": version,
        "title": f"Paper {n}",
        "authors": ["Ada Lovelace"],
        "categories": list(categories),
        "announce_type": announce,
        "abstract": f"We propose method {n}.",
        "published": submitted(day),
    }


def friday_ai() -> list[dict[str, Any]]:
    return [paper(n, ["cs.AI"], FRI) for n in range(1, 6)]


def monday_ai() -> list[dict[str, Any]]:
    return [paper(n, ["cs.AI"], MON) for n in range(101, 135)]


def monday_cl() -> list[dict[str, Any]]:
    return [paper(n, ["cs.CL"], MON) for n in range(201, 211)]


def ids(papers: Sequence[dict[str, Any]]) -> list[str]:
    return [p["id"] for p in papers]


def without_entries(real: Any, times: int) -> Any:
    """An API handler answering its first ``times`` category queries with a page that has no entry
    although its totals count 34 (a flake of arXiv's API under load), then as ``real``."""
    left = [times]

    def handler(query: Any) -> tuple[int, bytes]:
        if "cat:" in query.get("search_query", "") and left[0] > 0:
            left[0] -= 1
            return 200, make_api_feed([], total=34, start=0, items_per_page=100)
        status, body = real(query)
        return status, body

    return handler


@dataclass
class Rig:
    fake: FakeArxiv
    store: Store
    engine: DigestEngine
    clock: Clock
    source: ArxivSource

    def requests(self, route: str) -> int:
        return len(self.fake.requests_to(route))

    async def friday_from_the_feed(self, categories: Sequence[str], papers: Sequence[dict[str, Any]]) -> None:
        """Friday's batch seen in the feed on Friday, as a daily push would have seen it."""
        now = self.clock.now
        self.clock.now = datetime(2026, 9, 25, 12, 0, tzinfo=UTC)
        self.fake.set_feed(make_rss(FRI, papers, categories))
        await self.engine.batch(categories)
        self.clock.now = now


@pytest.fixture
async def rig(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Rig]:
    """The engine on Monday 08:00 US Eastern, arXiv's API listing Friday's cs.AI papers only."""
    settings = settings_for(fake_arxiv)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    clock = Clock(MON_0800_ET)
    engine = DigestEngine(store, source, NoSummarizer(), clock=clock)
    fake_arxiv.set_api_handler(search_api(friday_ai()))
    try:
        yield Rig(fake_arxiv, store, engine, clock, source)
    finally:
        await source.aclose()


# -- 1. an empty answer is never the day ---------------------------------------------------------------


async def test_stale_feed_and_lagging_api_are_not_an_empty_day(rig: Rig) -> None:
    """Monday 08:00 ET: the feed still shows Friday and the API has nothing for Monday yet. Nothing
    is cached as Monday; arXiv is asked again politely; Monday's 34 papers come once the feed has them."""
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    with pytest.raises(StaleFeed) as caught:
        await rig.engine.batch(["cs.AI"])
    assert (caught.value.shown, caught.value.expected, caught.value.reason) == (FRI, MON, "stale")
    assert caught.value.retry_at == MON_0800_ET + FEED_RECHECK
    assert (rig.requests("rss"), rig.requests("api")) == (
        2,
        3,
    )  # Friday's and Monday's feed; ask, re-ask, probe

    with pytest.raises(BatchNotReady):
        await rig.engine.batch(["cs.AI"])
    assert (rig.requests("rss"), rig.requests("api")) == (2, 3)  # within the wait: nothing sent

    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"]))
    rig.clock.now += FEED_RECHECK
    batch = await rig.engine.batch(["cs.AI"])
    assert batch.listing_date == MON and batch.final and not batch.pending
    assert sorted(p.id for p in batch.papers) == ids(monday_ai())


async def test_api_catching_up_serves_the_day(rig: Rig) -> None:
    """The feed keeps failing; the export API lists Monday only later: asked again after a spaced
    wait, it serves Monday (marked as from the API), with no empty day in between."""
    rig.fake.set_feed(b"<html><body>Service temporarily unavailable</body></html>")
    with pytest.raises(BatchNotReady) as caught:
        await rig.engine.batch(["cs.AI"])
    assert caught.value.reason == "feed_failed" and "HTML page" in str(caught.value)
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai()))
    rig.clock.now += API_REASK
    batch = await rig.engine.batch(["cs.AI"])
    assert batch.listing_date == MON and batch.from_api == ("cs.AI",)
    assert sorted(p.id for p in batch.papers) == ids(monday_ai())
    assert not batch.final  # the feed's own record may still come


async def test_api_reasks_are_spaced_and_bounded(rig: Rig) -> None:
    """While the API lags, it is asked again after 5, 10, 20, 40, 60, 60 minutes: never sooner."""
    rig.fake.set_feed(make_rss(MON, [], ["cs.AI"]))
    asked: list[datetime] = []
    for _ in range(60):
        before = rig.requests("api")
        with pytest.raises(BatchNotReady):
            await rig.engine.batch(["cs.AI"])
        if rig.requests("api") > before:
            asked.append(rig.clock.now)
        rig.clock.now += timedelta(minutes=5)
    gaps = [(b - a) / timedelta(minutes=1) for a, b in itertools.pairwise(asked)]
    assert gaps[:6] == [5, 10, 20, 40, 60, 60]


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("503", "feed_failed"),
        ("429", "feed_failed"),
        ("truncated", "feed_failed"),
        ("html", "feed_failed"),
        ("empty", "empty_feed"),
    ],
)
async def test_failed_feed_and_silent_api_say_so_everywhere(
    rig: Rig, stamina_testing: None, script: str, reason: str
) -> None:
    """A feed that fails for good (503s, a long 429, cut-off XML, an HTML page with 200, an empty
    channel on a listing day) and an API with nothing: not an empty day but "not available", with
    the reason, in the engine and in /status."""
    whole = make_rss(MON, monday_ai(), ["cs.AI"])
    if script == "503":
        for _ in range(3):
            rig.fake.queue("rss", 503, "Service Unavailable")
    elif script == "429":
        rig.fake.queue("rss", 429, "Too Many Requests", headers={"Retry-After": "3600"})
    elif script == "truncated":
        rig.fake.set_feed(whole[: len(whole) // 2])
    elif script == "html":
        rig.fake.set_feed(b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>")
    else:
        rig.fake.set_feed(make_rss(MON, [], ["cs.AI"]))
    with pytest.raises(BatchNotReady) as caught:
        await rig.engine.batch(["cs.AI"])
    assert caught.value.reason == reason and caught.value.listing_date == MON
    status = await rig.engine.status(["cs.AI"])
    assert status.pending == ("cs.AI",) and status.reason == reason and not status.up_to_date
    assert status.next_check is not None and status.next_check > MON_0800_ET


async def test_really_empty_category_is_told_apart(rig: Rig) -> None:
    """A category with no papers on a day the API lists (other submissions in its window) is an
    empty day, final; one whose whole window is unlisted is not available yet."""
    rig.fake.set_feed(b"<html>down</html>")
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai()))
    batch = await rig.engine.batch(["q-bio.SC"])
    assert batch.listing_date == MON and batch.papers == ()
    assert rig.requests("api") == 3  # the category twice, then the whole window once
    rig.fake.set_api_handler(search_api(friday_ai()))
    with pytest.raises(BatchNotReady) as caught:
        await rig.engine.batch(["q-fin.TR"])
    assert caught.value.reason == "feed_failed"


async def test_past_date_empty_under_load_is_asked_again(rig: Rig) -> None:
    """``--date`` when the API once answers an empty result under load: asked again at once, the
    day arrives, and nothing empty was cached."""
    july = date(2026, 7, 13)
    held = [paper(n, ["cs.AI"], july) for n in range(301, 310)]
    rig.fake.set_api_handler(search_api(held))
    rig.fake.queue("api", 200, b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'></feed>")
    batch = await rig.engine.batch(["cs.AI"], july)
    assert sorted(p.id for p in batch.papers) == ids(held)
    assert batch.from_api == ("cs.AI",) and batch.final


async def test_past_date_not_listed_yet_is_retried_later(rig: Rig) -> None:
    """A past listing date the API does not list at all is "not available yet", never an empty day."""
    friday_digest = await rig.engine.batch(["cs.AI"], FRI)
    assert len(friday_digest.papers) == 5
    rig.fake.set_api_handler(search_api([]))
    with pytest.raises(BatchNotReady) as caught:
        await rig.engine.batch(["cs.CL"], FRI)
    assert caught.value.reason == "api_lag" and caught.value.retry_at == MON_0800_ET + API_REASK
    rig.fake.set_api_handler(search_api([paper(7, ["cs.CL"], FRI)]))
    rig.clock.now += API_REASK
    assert [p.id for p in (await rig.engine.batch(["cs.CL"], FRI)).papers] == ["2609.00007"]


async def test_api_page_without_entries_is_not_an_empty_day(rig: Rig, stamina_testing: None) -> None:
    """An export API page with no entry whose totals count papers is not an empty answer: asked
    again, and while it stays so the day is not available (never an empty day); then it is served."""
    july = date(2026, 7, 13)
    held = [paper(n, ["cs.AI"], july) for n in range(301, 310)]
    rig.fake.set_api_handler(without_entries(search_api(held), 2))
    batch = await rig.engine.batch(["cs.AI"], july)
    assert sorted(p.id for p in batch.papers) == ids(held) and batch.final
    rig.fake.set_api_handler(without_entries(search_api(held), 99))
    with pytest.raises(BatchNotReady) as caught:
        await rig.engine.batch(["cs.CL", "cs.AI"], date(2026, 7, 14))
    assert caught.value.reason == "api_lag" and "without entries" in str(caught.value.api_detail)
    rig.fake.set_api_handler(search_api([*held, paper(311, ["cs.CL"], date(2026, 7, 14))]))
    rig.clock.now += FAILED_RECHECK
    batch = await rig.engine.batch(["cs.CL", "cs.AI"], date(2026, 7, 14))
    assert [p.id for p in batch.papers] == ["2609.00311"] and batch.final


async def test_latest_day_from_an_api_page_without_entries_waits(rig: Rig, stamina_testing: None) -> None:
    """The feed failing and the API answering pages without entries: Monday is not available, in
    the engine and /status, not an empty day; the API asked later serves it."""
    rig.fake.set_feed(b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>")
    rig.fake.set_api_handler(without_entries(search_api(friday_ai() + monday_ai()), 99))
    with pytest.raises(BatchNotReady) as caught:
        await rig.engine.batch(["cs.AI"])
    assert caught.value.listing_date == MON and caught.value.reason == "feed_failed"
    status = await rig.engine.status(["cs.AI"])
    assert status.pending == ("cs.AI",) and not status.up_to_date
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai()))
    rig.clock.now += API_REASK
    batch = await rig.engine.batch(["cs.AI"])
    assert sorted(p.id for p in batch.papers) == ids(monday_ai()) and batch.from_api == ("cs.AI",)


# -- 2. one category of a combined feed still on the previous batch -------------------------------------


async def test_stale_category_is_not_served_as_new(rig: Rig) -> None:
    """Monday's feed for cs.AI+cs.CL whose cs.AI items are exactly Friday's: cs.CL is served, cs.AI is
    pending and stale (in the batch and in /status), then completed from a later feed."""
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    rig.fake.set_feed(make_rss(MON, friday_ai() + monday_cl(), ["cs.AI", "cs.CL"]))
    batch = await rig.engine.batch(["cs.AI", "cs.CL"])
    assert batch.listing_date == MON
    assert sorted(p.id for p in batch.papers) == ids(monday_cl())
    assert (batch.pending, batch.stale, batch.final) == (("cs.AI",), ("cs.AI",), False)
    status = await rig.engine.status(["cs.AI", "cs.CL"])
    assert (status.stale, status.reason, status.new) == (("cs.AI",), "stale", len(monday_cl()))

    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"]), "cs.AI")
    rig.clock.now += FEED_RECHECK
    batch = await rig.engine.batch(["cs.AI", "cs.CL"])
    assert batch.final and not batch.pending
    assert sorted(p.id for p in batch.papers) == sorted(ids(monday_ai()) + ids(monday_cl()))
    assert (await rig.engine.status(["cs.AI", "cs.CL"])).up_to_date


async def test_stale_category_is_completed_from_the_api(rig: Rig) -> None:
    """A stale category whose day the API lists is completed from the API, and says so."""
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    rig.fake.set_feed(make_rss(MON, friday_ai() + monday_cl(), ["cs.AI", "cs.CL"]))
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai()))
    batch = await rig.engine.batch(["cs.AI", "cs.CL"])
    assert sorted(p.id for p in batch.papers) == sorted(ids(monday_ai()) + ids(monday_cl()))
    assert batch.from_api == ("cs.AI",) and not batch.pending


@pytest.mark.parametrize(
    ("stale", "categories"),
    [
        ("cs.CL", ["cs.AI", "cs.CL"]),
        ("cs.AI", ["cs.AI", "cs.CL", "cs.LG"]),
        ("cs.LG", ["cs.AI", "cs.CL", "cs.LG"]),
    ],
)
async def test_which_category_is_stale_does_not_matter(rig: Rig, stale: str, categories: list[str]) -> None:
    """Any one category of a combined feed of two or three still on Friday's batch is pending and
    stale; the others are served with Monday's papers only."""
    fridays = [paper(n, [stale], FRI) for n in range(51, 56)]
    await rig.friday_from_the_feed([stale], fridays)
    mondays = {c: [paper(800 + 20 * i + n, [c], MON) for n in range(4)] for i, c in enumerate(categories)}
    fresh = [p for c in categories if c != stale for p in mondays[c]]
    rig.fake.set_feed(make_rss(MON, fridays + fresh, categories))
    batch = await rig.engine.batch(categories)
    assert sorted(p.id for p in batch.papers) == sorted(ids(fresh))
    assert (batch.pending, batch.stale) == ((stale,), (stale,))


async def test_busy_category_missing_from_a_combined_feed_is_not_an_empty_day(rig: Rig) -> None:
    """Monday's feed for cs.AI+cs.CL+q-bio.SC lists cs.AI's papers but none for cs.CL (Friday: 10)
    nor for q-bio.SC (Friday: 1): q-bio.SC's day is empty, cs.CL's is pending until the export API
    lists it, then served from it."""
    fridays = [paper(n, ["cs.CL"], FRI) for n in range(61, 71)] + [paper(71, ["q-bio.SC"], FRI)]
    await rig.friday_from_the_feed(["cs.CL", "q-bio.SC"], fridays)
    categories = ["cs.AI", "cs.CL", "q-bio.SC"]
    rig.fake.set_feed(make_rss(MON, monday_ai(), categories))
    batch = await rig.engine.batch(categories)
    assert sorted(p.id for p in batch.papers) == ids(monday_ai())
    assert batch.pending == ("cs.CL",) and not batch.final
    status = await rig.engine.status(categories)
    assert status.pending == ("cs.CL",) and status.reason == "api_lag" and not status.up_to_date
    rig.fake.set_api_handler(search_api(friday_ai() + fridays + monday_cl()))
    rig.clock.now += API_REASK
    batch = await rig.engine.batch(categories)
    assert sorted(p.id for p in batch.papers) == sorted(ids(monday_ai()) + ids(monday_cl()))
    assert batch.from_api == ("cs.CL",) and not batch.pending


async def test_stale_categorys_cross_lists_are_not_another_categorys_batch(push: PushRig) -> None:
    """Friday's cs.AI batch held a cs.CL paper cross-listed to cs.AI; Monday's feed for cs.AI+cs.CL
    still lists Friday's cs.AI: that paper is not Monday's cs.CL paper either, for a chat following
    both or only cs.CL (pushed, /today and /status)."""
    rig = push.rig
    crossed = paper(77, ["cs.CL", "cs.AI"], FRI)
    fridays = [*friday_ai(), crossed, paper(78, ["cs.CL"], FRI)]
    await rig.friday_from_the_feed(["cs.AI", "cs.CL"], fridays)
    await push.subscribe("cl", ["cs.CL"], MON_0800_ET)
    stale_ai = [*friday_ai(), {**crossed, "announce_type": "cross"}]
    rig.fake.set_feed(make_rss(MON, stale_ai + monday_cl(), ["cs.AI", "cs.CL"]))
    batch = await rig.engine.batch(["cs.AI", "cs.CL"])
    assert sorted(p.id for p in batch.papers) == ids(monday_cl()) and batch.stale == ("cs.AI",)
    await push.push()
    assert sorted(push.platform.papers_of("cl")) == ids(monday_cl())
    assert sorted(p.id for p in (await rig.engine.batch(["cs.CL"])).papers) == ids(monday_cl())
    assert (await rig.engine.status(["cs.CL"])).by_category == {"cs.CL": (len(monday_cl()), 0)}


async def test_stale_category_found_against_the_apis_record(rig: Rig) -> None:
    """Friday's cs.AI came from the export API (the feed failed that day); Monday's feed still lists
    Friday's cs.AI with a cross-list of an older paper and a replacement the API's record lacks: the
    category is still found stale, not served as Monday's."""
    rig.clock.now = datetime(2026, 9, 25, 12, 0, tzinfo=UTC)
    rig.fake.set_feed(b"<html>down</html>")
    assert (await rig.engine.batch(["cs.AI"])).from_api == ("cs.AI",)
    rig.clock.now = MON_0800_ET
    older = {**paper(88, ["cs.LG", "cs.AI"], date(2026, 9, 21)), "announce_type": "cross"}
    replaced = paper(89, ["cs.AI"], date(2026, 9, 21), announce="replace", version=2)
    rig.fake.set_feed(make_rss(MON, [*friday_ai(), older, replaced, *monday_cl()], ["cs.AI", "cs.CL"]))
    batch = await rig.engine.batch(["cs.AI", "cs.CL"])
    assert sorted(p.id for p in batch.papers) == ids(monday_cl())
    assert (batch.pending, batch.stale) == (("cs.AI",), ("cs.AI",))


async def test_feed_rebuilt_before_midnight_with_a_stale_category(rig: Rig) -> None:
    """Sunday 22:00 ET a feed built after the announcement already shows Monday, its cs.AI items
    still Friday's (Friday's cs.AI from the export API): Monday's cs.CL is served, cs.AI is pending,
    and Friday's papers are never recorded as Monday's."""
    rig.clock.now = datetime(2026, 9, 25, 12, 0, tzinfo=UTC)
    rig.fake.set_feed(b"<html>down</html>")
    assert (await rig.engine.batch(["cs.AI"])).from_api == ("cs.AI",)
    rig.clock.now = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    built = datetime(2026, 9, 28, 1, 50, tzinfo=UTC)
    rig.fake.set_feed(make_rss(MON, friday_ai() + monday_cl(), ["cs.AI", "cs.CL"], built_at=built))
    batch = await rig.engine.batch(["cs.AI", "cs.CL"])
    assert batch.listing_date == MON and batch.pending == ("cs.AI",)
    assert sorted(p.id for p in batch.papers) == ids(monday_cl())


# -- 3. feed dates that lag their content ---------------------------------------------------------------


async def test_feed_dated_sunday_is_mondays_batch(rig: Rig) -> None:
    """A feed whose channel and items say Sunday, built Monday, is Monday's batch: no API backfill."""
    built = datetime(2026, 9, 28, 4, 2, tzinfo=UTC)
    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"], dated=date(2026, 9, 27), built_at=built))
    batch = await rig.engine.batch(["cs.AI"])
    assert batch.listing_date == MON and batch.final
    assert rig.requests("api") == 0


@pytest.mark.parametrize(
    ("listed", "dated", "built"),
    [
        (MON, date(2026, 9, 26), datetime(2026, 9, 28, 4, 10, tzinfo=UTC)),
        (MON, TUE, datetime(2026, 9, 28, 4, 10, tzinfo=UTC)),
        (MON, None, datetime(2026, 9, 28, 3, 55, tzinfo=UTC)),
        (date(2027, 3, 15), date(2027, 3, 14), datetime(2027, 3, 15, 4, 5, tzinfo=UTC)),
        (date(2026, 11, 2), date(2026, 11, 1), datetime(2026, 11, 2, 5, 5, tzinfo=UTC)),
    ],
)
async def test_feed_dates_other_than_the_batchs(
    rig: Rig, listed: date, dated: date | None, built: datetime
) -> None:
    """A feed dated Saturday, a day ahead, or built just before midnight ET, and Sunday-dated feeds
    in the weeks summer time starts and ends: the listing date is the batch's, final, no API asked."""
    rig.clock.now = datetime.combine(listed, datetime.min.time(), UTC) + timedelta(hours=13)
    papers = [paper(n, ["cs.AI"], listed) for n in range(901, 906)]
    rig.fake.set_feed(make_rss(listed, papers, ["cs.AI"], dated=dated or listed, built_at=built))
    batch = await rig.engine.batch(["cs.AI"])
    assert batch.listing_date == listed and batch.final and len(batch.papers) == 5
    assert rig.requests("api") == 0


# -- 4. past dates come from the API and may miss held papers -------------------------------------------


async def test_past_date_keeps_what_the_feed_recorded(rig: Rig) -> None:
    """A paper submitted in Friday's window but announced on Monday (held) belongs to Monday: the
    rebuilt Friday leaves it out, and the digest says it comes from the API."""
    held = paper(50, ["cs.AI"], FRI)
    rig.fake.set_feed(make_rss(MON, [*monday_ai(), held], ["cs.AI"]))
    await rig.engine.batch(["cs.AI"])
    rig.fake.set_api_handler(search_api([*friday_ai(), held]))
    friday = await rig.engine.build(["cs.AI"], FRI, "en")
    assert sorted(friday.paper_ids()) == ids(friday_ai())
    assert friday.from_api == ("cs.AI",)
    assert "may miss papers that were on moderation hold" in render_text(friday)
    assert '"from_api": [\n    "cs.AI"\n  ]' in render_json(friday)


async def test_held_paper_in_the_apis_record_of_the_day_before_stays_on_its_day(rig: Rig) -> None:
    """Friday's cs.AI came from the export API, which already listed a paper submitted on Friday but
    held and announced on Monday: Monday's feed keeps it as Monday's paper, and Friday, rebuilt,
    leaves it out."""
    held = paper(50, ["cs.AI"], FRI)
    rig.clock.now = datetime(2026, 9, 25, 12, 0, tzinfo=UTC)
    rig.fake.set_feed(b"<html>down</html>")
    rig.fake.set_api_handler(search_api([*friday_ai(), held]))
    assert len((await rig.engine.batch(["cs.AI"])).papers) == 6
    rig.clock.now = MON_0800_ET
    rig.fake.set_feed(make_rss(MON, [*monday_ai(), held], ["cs.AI"]))
    monday = await rig.engine.batch(["cs.AI"])
    assert sorted(p.id for p in monday.papers) == sorted([*ids(monday_ai()), held["id"]])
    friday = await rig.engine.batch(["cs.AI"], FRI)
    assert sorted(p.id for p in friday.papers) == ids(friday_ai())


# -- 5. /status agrees with the digest --------------------------------------------------------------------


async def test_status_counts_what_the_digest_shows(rig: Rig) -> None:
    """36 new papers and one replacement: /status says 36, or "36 new + 1 updated" with replacements on."""
    papers = [paper(n, ["cs.AI"], MON) for n in range(400, 436)]
    papers.append(paper(499, ["cs.AI"], FRI, announce="replace", version=2))
    rig.fake.set_feed(make_rss(MON, papers, ["cs.AI"]))
    digest = await rig.engine.build(["cs.AI"], None, "en")
    status = await rig.engine.status(["cs.AI"])
    assert (status.new, status.updated) == (len(digest.all_papers), 1) == (36, 1)
    assert status.by_category == {"cs.AI": (36, 1)}
    commands = Commands(
        rig.source.settings, rig.store, rig.engine, on_change=scheduler_hook(rig.store, rig.clock)
    )
    me = Caller(ChatKey("test", "7"))
    await commands.handle(me, "/subscribe cs.AI")
    reply = await commands.handle(me, "/status")
    assert isinstance(reply, TextReply) and "cs.AI (Artificial Intelligence): 36\n" in reply.text
    settings = await rig.store.get_chat(me.chat)
    assert settings is not None
    await rig.store.put_chat(ChatSettings(me.chat, settings.categories, types=ANNOUNCE_TYPES))
    reply = await commands.handle(me, "/status")
    assert (
        isinstance(reply, TextReply) and "cs.AI (Artificial Intelligence): 36 new + 1 updated\n" in reply.text
    )


async def test_status_totals_several_categories_as_the_digest(rig: Rig) -> None:
    """A chat following two categories sees each category's count and the digest's own total, in
    which a paper listed in both counts once."""
    both = paper(900, ["cs.AI", "cs.CL"], MON)
    rig.fake.set_feed(make_rss(MON, [*monday_ai(), *monday_cl(), both], ["cs.AI", "cs.CL"]))
    digest = await rig.engine.build(["cs.AI", "cs.CL"], None, "en")
    commands = Commands(
        rig.source.settings, rig.store, rig.engine, on_change=scheduler_hook(rig.store, rig.clock)
    )
    me = Caller(ChatKey("test", "9"))
    await commands.handle(me, "/subscribe cs.AI cs.CL")
    reply = await commands.handle(me, "/status")
    assert isinstance(reply, TextReply)
    assert "cs.AI (Artificial Intelligence): 35\n" in reply.text
    assert "cs.CL (Computation and Language): 11\n" in reply.text
    assert f"In your digest: {len(digest.all_papers)}\n" in reply.text and len(digest.all_papers) == 45


async def test_status_counts_with_the_chats_types_and_filter(rig: Rig) -> None:
    """A chat showing new submissions only, with a filter: /status counts what its digest shows
    (per category and in total), in English and Chinese."""
    papers = [paper(n, ["cs.AI"], MON) for n in range(400, 430)]
    papers += [{**paper(n, ["cs.LG", "cs.AI"], MON), "announce_type": "cross"} for n in range(430, 436)]
    papers.append(paper(499, ["cs.AI"], FRI, announce="replace", version=2))
    papers += [paper(n, ["cs.CL"], MON) for n in range(500, 505)]
    papers[0] = {**papers[0], "title": "A survey of agents"}
    papers[-1] = {**papers[-1], "title": "Survey of parsing"}
    rig.fake.set_feed(make_rss(MON, papers, ["cs.AI", "cs.CL"]))
    commands = Commands(
        rig.source.settings, rig.store, rig.engine, on_change=scheduler_hook(rig.store, rig.clock)
    )
    me = Caller(ChatKey("test", "11"))
    await commands.handle(me, "/subscribe cs.AI cs.CL")
    await commands.handle(me, "/types new")
    await commands.handle(me, "/filter -survey")
    settings = await rig.store.get_chat(me.chat)
    assert settings is not None
    digest = await rig.engine.build(["cs.AI", "cs.CL"], None, "en", settings.selection())
    assert digest.matched == 29 + 4
    reply = await commands.handle(me, "/status")
    assert isinstance(reply, TextReply)
    assert "cs.AI (Artificial Intelligence): 29\n" in reply.text
    assert "cs.CL (Computation and Language): 4\n" in reply.text
    assert f"In your digest: {digest.matched}\n" in reply.text
    assert (await rig.engine.status(["cs.AI"], Selection(types=("cross",)))).by_category == {"cs.AI": (6, 0)}
    await commands.handle(me, "/lang zh")
    reply = await commands.handle(me, "/status")
    assert isinstance(reply, TextReply) and "cs.AI（人工智能）：29 篇" in reply.text


async def test_status_names_unreachable_hosts(rig: Rig, stamina_testing: None) -> None:
    """Both arXiv hosts failing: /status says arXiv is unreachable and names the host, in English
    and in Chinese; the engine's error names the feed and the API with the cause."""
    for _ in range(3):
        rig.fake.queue("rss", 503)
    rig.fake.set_api_handler(lambda query: (503, b"down"))
    with pytest.raises(SourceUnavailable) as caught:
        await rig.engine.batch(["cs.AI"])
    assert "its feed at 127.0.0.1 (HTTP 503; 3 attempts)" in str(caught.value)
    assert "its export API at 127.0.0.1 (HTTP 503; 3 attempts)" in str(caught.value)
    commands = Commands(
        rig.source.settings, rig.store, rig.engine, on_change=scheduler_hook(rig.store, rig.clock)
    )
    me = Caller(ChatKey("test", "10"))
    await commands.handle(me, "/subscribe cs.AI")
    reply = await commands.handle(me, "/status")
    assert isinstance(reply, TextReply) and "arXiv feed: unreachable (127.0.0.1)" in reply.text
    await commands.handle(me, "/lang zh")
    reply = await commands.handle(me, "/status")
    assert isinstance(reply, TextReply) and "无法连接（127.0.0.1）" in reply.text


@pytest.mark.parametrize("command", ["/today", "/more 2026-09-28"])
async def test_today_and_status_say_not_available(rig: Rig, command: str) -> None:
    """/today and /more on a stale feed say which batch is missing, which one the feed still shows
    and when arXiv is asked again (in the chat's zone), in English and Chinese; /status agrees."""
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    commands = Commands(
        rig.source.settings,
        rig.store,
        rig.engine,
        on_change=scheduler_hook(rig.store, rig.clock),
        clock=rig.clock,
    )
    me = Caller(ChatKey("test", "8"))
    await commands.handle(me, "/subscribe cs.AI")
    await commands.handle(me, "/time 08:00 Asia/Shanghai")
    reply = await commands.handle(me, command)
    assert isinstance(reply, TextReply) and not reply.ok
    assert reply.text == (
        "The batch of 2026-09-28 is not available yet: arXiv's feed still shows the batch of "
        "2026-09-25 for cs.AI. I will check again after 2026-09-28 20:05 UTC+8."
    )
    status = await commands.handle(me, "/status")
    assert isinstance(status, TextReply)
    assert "the batch of 2026-09-28 is not available yet for cs.AI" in status.text
    assert "still shows the previous batch" in status.text and "up to date" not in status.text
    zh = await commands.handle(me, "/lang zh")
    assert isinstance(zh, TextReply)
    reply = await commands.handle(me, command)
    assert isinstance(reply, TextReply) and not reply.ok
    assert reply.text == (
        "2026-09-28 的一批尚不可用：arXiv 订阅源中 cs.AI 仍是 2026-09-25 的一批。"
        "我会在 2026-09-28 20:05 UTC+8 之后再查。"
    )
    status = await commands.handle(me, "/status")
    assert isinstance(status, TextReply) and "尚不可用" in status.text


# -- the push -------------------------------------------------------------------------------------------


@dataclass
class PushRig:
    rig: Rig
    platform: RecordingPlatform
    metrics: Metrics
    top: int | None = None
    """Papers in full per digest (None: all, so these tests follow every paper)."""

    async def subscribe(self, chat_id: str, categories: Sequence[str], due: datetime) -> ChatKey:
        chat = ChatKey(PLATFORM, chat_id)
        await self.rig.store.put_chat(
            ChatSettings(chat, tuple(categories), push_time="08:00", timezone="America/New_York")
        )
        await self.rig.store.set_due(chat, due.timestamp())
        return chat

    async def push(self, everyone: bool = False) -> PushReport:
        pusher = Pusher(
            self.rig.store,
            self.rig.engine,
            {PLATFORM: self.platform},
            clock=self.rig.clock,
            metrics=self.metrics,
            poll=timedelta(minutes=10),
            default_top=self.top,
        )
        return await pusher.run_once(everyone=everyone)

    async def due(self, chat_id: str) -> datetime | None:
        at = await self.rig.store.get_due(ChatKey(PLATFORM, chat_id))
        return None if at is None else datetime.fromtimestamp(at, UTC)


@pytest.fixture
def push(rig: Rig) -> PushRig:
    return PushRig(rig, RecordingPlatform(per_message=50), Metrics())


async def test_push_waits_for_a_late_batch_and_delivers_it(push: PushRig) -> None:
    """The push at 08:00 ET finds Monday not available: nothing sent, not "nothing new", due again
    shortly; once the feed has Monday, every paper arrives once, and the chat is back on schedule."""
    rig = push.rig
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    await push.subscribe("a", ["cs.AI"], MON_0800_ET)
    report = await push.push()
    assert (report.sent, report.nothing_new, report.waiting, report.source_errors) == (0, 0, 1, 0)
    assert push.platform.sent == []
    assert await push.due("a") == MON_0800_ET + timedelta(minutes=10)
    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"]))
    rig.clock.now = MON_0800_ET + timedelta(minutes=10)
    await push.push()
    assert sorted(push.platform.papers_of("a")) == ids(monday_ai())
    assert await push.due("a") == datetime(2026, 9, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("script", ["503", "html", "empty"])
async def test_push_waits_through_a_failed_feed(push: PushRig, stamina_testing: None, script: str) -> None:
    """A feed failing for good with an API that has nothing: the push waits and delivers later; no
    chat loses the batch."""
    rig = push.rig
    if script == "503":
        for _ in range(3):
            rig.fake.queue("rss", 503)
    elif script == "html":
        rig.fake.set_feed(b"<html><body>maintenance</body></html>")
    else:
        rig.fake.set_feed(make_rss(MON, [], ["cs.AI"]))
    await push.subscribe("a", ["cs.AI"], MON_0800_ET)
    report = await push.push()
    assert push.platform.sent == [] and report.waiting == 1 and not report.unreachable
    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"]))
    rig.clock.now = MON_0800_ET + timedelta(minutes=10)
    await push.push()
    assert sorted(push.platform.papers_of("a")) == ids(monday_ai())


async def test_push_completes_a_short_api_answer_the_same_day(push: PushRig) -> None:
    """The feed failing all morning and the export API listing 10 of Monday's 34 papers at 08:00 ET:
    the 10 are pushed, the API is asked again after a spaced wait, and the other 24 arrive at the
    next push, each paper once; the API is not asked again before its wait."""
    rig = push.rig
    rig.fake.set_feed(b"<html>down</html>")
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai()[:10]))
    await push.subscribe("a", ["cs.AI"], MON_0800_ET)
    report = await push.push()
    assert sorted(push.platform.papers_of("a")) == ids(monday_ai())[:10] and report.waiting == 1
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai()))
    asked = rig.requests("api")
    rig.clock.now = MON_0800_ET + API_REASK - timedelta(minutes=1)
    await rig.engine.batch(["cs.AI"])
    assert rig.requests("api") == asked
    rig.clock.now = MON_0800_ET + timedelta(minutes=10)
    await push.push()
    delivered = push.platform.papers_of("a")
    assert sorted(delivered) == ids(monday_ai()) and len(delivered) == len(set(delivered))
    assert rig.requests("api") == asked + 1


async def test_push_delivers_the_stale_category_later_once(push: PushRig) -> None:
    """A chat following cs.AI and cs.CL: cs.CL arrives at its push, cs.AI (stale) after the feed
    catches up; each paper once, and Friday's cs.AI papers are not sent as Monday's."""
    rig = push.rig
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    await push.subscribe("a", ["cs.AI", "cs.CL"], MON_0800_ET)
    rig.fake.set_feed(make_rss(MON, friday_ai() + monday_cl(), ["cs.AI", "cs.CL"]))
    report = await push.push()
    assert sorted(push.platform.papers_of("a")) == ids(monday_cl())
    assert report.waiting == 1 and await push.due("a") == MON_0800_ET + timedelta(minutes=10)
    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"]), "cs.AI")
    rig.clock.now = MON_0800_ET + timedelta(minutes=10)
    await push.push()
    delivered = push.platform.papers_of("a")
    assert sorted(delivered) == sorted(ids(monday_cl()) + ids(monday_ai()))
    assert len(delivered) == len(set(delivered))
    assert await push.due("a") == datetime(2026, 9, 29, 12, 0, tzinfo=UTC)


async def test_busy_day_late_category_brings_its_own_papers_not_the_next_page(push: PushRig) -> None:
    """With a top of 3, the push sends 3 of cs.CL's papers while cs.AI is stale; when cs.AI comes,
    the next push sends 3 of cs.AI's papers, not the next page of cs.CL, and push --now then sends
    nothing: each push of a day is one short message, the header counting the rest (/more's)."""
    rig = push.rig
    push.top = 3
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    await push.subscribe("a", ["cs.AI", "cs.CL"], MON_0800_ET)
    rig.fake.set_feed(make_rss(MON, friday_ai() + monday_cl(), ["cs.AI", "cs.CL"]))
    await push.push()
    assert push.platform.papers_of("a") == ids(monday_cl())[:3]
    rig.fake.set_feed(make_rss(MON, monday_ai(), ["cs.AI"]), "cs.AI")
    rig.clock.now = MON_0800_ET + timedelta(minutes=10)
    await push.push()
    assert push.platform.papers_of("a") == ids(monday_cl())[:3] + ids(monday_ai())[:3]
    assert len(push.platform.sent) == 2
    _, second = push.platform.digests[-1]
    total = len(monday_ai()) + len(monday_cl())
    assert (second.matched, second.first, second.remaining) == (total, 4, total - 6)
    again = await push.push(everyone=True)
    assert (again.nothing_new, len(push.platform.sent)) == (1, 2)


async def test_partial_day_missed_until_next_batch_is_still_delivered(push: PushRig) -> None:
    """A category still missing when the next batch comes is delivered as a missed day, once."""
    rig = push.rig
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    await push.subscribe("a", ["cs.AI", "cs.CL"], MON_0800_ET)
    rig.fake.set_feed(make_rss(MON, friday_ai() + monday_cl(), ["cs.AI", "cs.CL"]))
    await push.push()
    tuesday = [paper(n, ["cs.AI"], TUE) for n in range(601, 604)] + [paper(611, ["cs.CL"], TUE)]
    rig.fake.set_feed(make_rss(TUE, tuesday, ["cs.AI", "cs.CL"]))
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai() + tuesday))
    rig.clock.now = datetime(2026, 9, 29, 12, 0, tzinfo=UTC)
    await push.push()
    delivered = push.platform.papers_of("a")
    assert sorted(delivered) == sorted(ids(monday_cl()) + ids(monday_ai()) + ids(tuesday))
    assert len(delivered) == len(set(delivered))


# -- 6. holidays beyond the years listed --------------------------------------------------------------------


async def test_unknown_holiday_neither_loses_nor_repeats(push: PushRig) -> None:
    """2027-01-18 (a Monday arXiv may keep as a holiday; no list for 2027): the feed is empty and the
    API lists nothing. Not an error: the push waits. Tuesday's feed carries both windows' papers;
    each is delivered once, under Tuesday, and Monday stays empty."""
    rig = push.rig
    holiday, tuesday, friday = date(2027, 1, 18), date(2027, 1, 19), date(2027, 1, 15)
    assert listing.is_listing_day(holiday) and not listing.holidays_known(holiday)

    def pp(n: int, day: date) -> dict[str, Any]:
        return {**paper(n, ["cs.AI"], day), "id": f"2701.{n:05d}"}

    before = [pp(n, friday) for n in range(1, 4)]
    merged = [pp(n, holiday) for n in range(11, 15)] + [pp(n, tuesday) for n in range(21, 25)]
    rig.clock.now = datetime(2027, 1, 15, 14, 0, tzinfo=UTC)
    rig.fake.set_feed(make_rss(friday, before, ["cs.AI"]))
    await push.subscribe("a", ["cs.AI"], rig.clock.now)
    await push.push()
    assert sorted(push.platform.papers_of("a")) == sorted(p["id"] for p in before)

    rig.clock.now = datetime(2027, 1, 18, 13, 0, tzinfo=UTC)  # Monday 08:00 EST
    rig.fake.set_feed(make_rss(holiday, [], ["cs.AI"]))
    rig.fake.set_api_handler(search_api(before))
    await rig.store.set_due(ChatKey(PLATFORM, "a"), rig.clock.now.timestamp())
    report = await push.push()
    assert (report.waiting, report.source_errors, report.sent) == (1, 0, 0)
    status = await rig.engine.status(["cs.AI"])
    assert status.reason == "empty_feed" and status.listing_date == friday

    rig.clock.now = datetime(2027, 1, 19, 13, 0, tzinfo=UTC)
    rig.fake.set_feed(make_rss(tuesday, merged, ["cs.AI"]))
    rig.fake.set_api_handler(search_api(before + merged))
    await rig.store.set_due(ChatKey(PLATFORM, "a"), rig.clock.now.timestamp())
    await push.push()
    delivered = push.platform.papers_of("a")
    assert sorted(delivered) == sorted(p["id"] for p in before + merged)
    assert len(delivered) == len(set(delivered))
    assert (await rig.engine.batch(["cs.AI"], holiday)).papers == ()


async def test_unknown_holiday_with_the_feed_on_the_day_before(push: PushRig) -> None:
    """2027-12-24 (a Friday arXiv may keep as a holiday; no list for 2027) with the feed still on
    Thursday's batch through the weekend: the push waits without sending; Monday's feed carries both
    windows' papers, each delivered once, and 2027-12-24 stays empty."""
    rig = push.rig
    thursday, holiday, monday = date(2027, 12, 23), date(2027, 12, 24), date(2027, 12, 27)
    assert listing.is_listing_day(holiday) and not listing.holidays_known(holiday)

    def pp(n: int, day: date) -> dict[str, Any]:
        return {**paper(n, ["cs.AI"], day), "id": f"2712.{n:05d}"}

    before = [pp(n, thursday) for n in range(1, 4)]
    merged = [pp(n, holiday) for n in range(11, 15)] + [pp(n, monday) for n in range(21, 25)]
    rig.clock.now = datetime(2027, 12, 23, 14, 0, tzinfo=UTC)
    rig.fake.set_feed(make_rss(thursday, before, ["cs.AI"]))
    rig.fake.set_api_handler(search_api(before))
    chat = await push.subscribe("a", ["cs.AI"], rig.clock.now)
    await push.push()
    for hours in range(0, 60, 6):
        rig.clock.now = datetime(2027, 12, 24, 13, 0, tzinfo=UTC) + timedelta(hours=hours)
        await rig.store.set_due(chat, rig.clock.now.timestamp())
        report = await push.push()
        assert (report.sent, report.source_errors) == (0, 0)
    rig.clock.now = datetime(2027, 12, 27, 13, 0, tzinfo=UTC)
    rig.fake.set_feed(make_rss(monday, merged, ["cs.AI"]))
    rig.fake.set_api_handler(search_api(before + merged))
    await rig.store.set_due(chat, rig.clock.now.timestamp())
    await push.push()
    delivered = push.platform.papers_of("a")
    assert sorted(delivered) == sorted(p["id"] for p in before + merged)
    assert len(delivered) == len(set(delivered))
    assert (await rig.engine.batch(["cs.AI"], holiday)).papers == ()


async def test_missed_day_not_available_does_not_hold_the_next(push: PushRig) -> None:
    """A missed day the API does not list yet does not hold back the next batch: Tuesday arrives at
    its push, Monday follows once the API lists it; each paper once, then back on schedule."""
    rig = push.rig
    await rig.friday_from_the_feed(["cs.AI"], friday_ai())
    tuesday_0800 = datetime(2026, 9, 29, 12, 0, tzinfo=UTC)
    chat = await push.subscribe("a", ["cs.AI"], tuesday_0800)
    await rig.store.cache_set("pushed", str(chat), FRI.isoformat())
    tuesday = [paper(n, ["cs.AI"], TUE) for n in range(601, 604)]
    rig.clock.now = tuesday_0800
    rig.fake.set_feed(make_rss(TUE, tuesday, ["cs.AI"]))
    rig.fake.set_api_handler(search_api(friday_ai() + tuesday))
    report = await push.push()
    assert sorted(push.platform.papers_of("a")) == ids(tuesday)
    assert report.waiting == 1 and await push.due("a") == tuesday_0800 + timedelta(minutes=10)
    rig.fake.set_api_handler(search_api(friday_ai() + monday_ai() + tuesday))
    rig.clock.now = tuesday_0800 + timedelta(minutes=10)
    await push.push()
    delivered = push.platform.papers_of("a")
    assert sorted(delivered) == sorted(ids(tuesday) + ids(monday_ai())) and len(delivered) == len(
        set(delivered)
    )
    assert await push.due("a") == datetime(2026, 9, 30, 12, 0, tzinfo=UTC)
