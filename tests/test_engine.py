"""The digest engine against a local arXiv: caching, one request per batch, staleness, backfill."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot import listing
from bot.engine import (
    FAILED_RECHECK,
    DigestEngine,
    digest_counts,
    is_previous_batch,
    merge,
    order_for_digest,
    reask_delay,
    relative_type,
    unreachable,
    without_repeats,
)
from bot.errors import SourceUnavailable, StaleFeed
from bot.models import ANNOUNCE_TYPES, AnnounceType, Paper, Selection
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer, Progress
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.factories import paper
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss, paged_api

THU = date(2026, 9, 24)
WED = date(2026, 9, 23)
NOON_THU = datetime(2026, 9, 24, 16, 0, tzinfo=UTC)


class CountingSummarizer:
    """Summarizes by taking the title; counts the papers it was asked about."""

    def __init__(self) -> None:
        self.calls = 0

    async def summarize(
        self, papers: Sequence[Paper], language: str, progress: Progress | None = None
    ) -> list[Paper]:
        self.calls += len(papers)
        return [p.with_summary(f"[{language}] {p.title}", "llm") for p in papers]

    async def close(self) -> None:
        """Nothing to release."""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def items() -> list[dict[str, Any]]:
    return [
        {
            "id": "2609.00001",
            "version": 1,
            "title": "DC new",
            "authors": ["A"],
            "categories": ["cs.DC"],
            "announce_type": "new",
            "abstract": "We propose A.",
        },
        {
            "id": "2609.00002",
            "version": 1,
            "title": "LG new, cross to DC",
            "authors": ["B"],
            "categories": ["cs.LG", "cs.DC"],
            "announce_type": "new",
            "abstract": "We propose B.",
        },
        {
            "id": "2609.00003",
            "version": 2,
            "title": "From physics",
            "authors": ["C"],
            "categories": ["physics.comp-ph", "cs.DC"],
            "announce_type": "cross",
            "abstract": "We show C.",
        },
        {
            "id": "2501.00004",
            "version": 3,
            "title": "Revised",
            "authors": ["D"],
            "categories": ["cs.DC"],
            "announce_type": "replace",
            "abstract": "We revise D.",
        },
    ]


@pytest.fixture
async def engine_parts(
    fake_arxiv: FakeArxiv, store: Store
) -> AsyncIterator[tuple[DigestEngine, Clock, CountingSummarizer]]:
    settings = settings_for(fake_arxiv)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    clock = Clock(NOON_THU)
    summarizer = CountingSummarizer()
    engine = DigestEngine(store, source, summarizer, clock=clock)
    try:
        yield engine, clock, summarizer
    finally:
        await source.aclose()


async def test_latest_from_the_feed(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """The latest batch comes from one feed request: new first, then cross-lists, no replacements."""
    engine, _, summarizer = engine_parts
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC", "cs.LG"]))
    digest = await engine.build(["cs.DC"], None, "zh")
    assert digest.listing_date == THU
    assert [p.id for p in digest.papers] == ["2609.00001", "2609.00002", "2609.00003"]
    assert [p.announce_type for p in digest.papers] == [
        AnnounceType.NEW,
        AnnounceType.CROSS,
        AnnounceType.CROSS,
    ]
    assert digest.updated == ()
    assert digest.papers[0].summary == "[zh] DC new"
    assert summarizer.calls == 3
    assert [r.path for r in fake_arxiv.requests_to("rss")] == ["/rss/cs.DC"]


async def test_replacements_on_request(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """With replacements on, they come in the updated section."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC"]))
    digest = await engine.build(["cs.DC"], None, "en", Selection(types=ANNOUNCE_TYPES))
    assert [p.id for p in digest.updated] == ["2501.00004"]


async def test_thousand_chats_one_request(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """A thousand concurrent and later builds of the same categories cause one arXiv request."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC", "cs.LG"]))
    await asyncio.gather(*(engine.batch(["cs.DC", "cs.LG"]) for _ in range(500)))
    for _ in range(500):
        await engine.batch(["cs.DC", "cs.LG"])
    assert len(fake_arxiv.requests) == 1


async def test_only_missing_categories_are_fetched(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """A second set of categories fetches only the ones not cached, in one request."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC", "cs.LG", "cs.AI"]))
    await engine.batch(["cs.DC"])
    batch = await engine.batch(["cs.LG", "cs.DC", "cs.AI"])
    assert [r.path for r in fake_arxiv.requests_to("rss")] == ["/rss/cs.DC", "/rss/cs.LG+cs.AI"]
    assert len({p.id for p in batch.papers}) == len(batch.papers)


async def test_feed_not_rebuilt_yet_serves_previous_batch(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """Shortly after the usual rebuild time an older feed is served as is, without the API."""
    engine, clock, _ = engine_parts
    clock.now = listing.feed_ready_at(THU) + timedelta(hours=1)
    fake_arxiv.set_feed(make_rss(WED, items(), ["cs.DC"]))
    batch = await engine.batch(["cs.DC"])
    assert batch.listing_date == WED
    await engine.batch(["cs.DC"])
    assert fake_arxiv.requests_to("api") == []
    assert len(fake_arxiv.requests_to("rss")) == 1


async def test_stale_feed_is_backfilled_from_the_api(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """A feed still showing yesterday hours after the rebuild is stale: the API fills the batch in."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(WED, items()[:1], ["cs.DC"]))
    fake_arxiv.set_api_handler(paged_api(items()[:2]))
    batch = await engine.batch(["cs.DC"])
    assert batch.listing_date == THU
    assert {p.id for p in batch.papers} == {"2609.00001", "2609.00002"}
    query = fake_arxiv.requests_to("api")[0].query["search_query"]
    assert "cat:cs.DC" in query and "submittedDate:[202609221800 TO 202609231800]" in query
    status = await engine.feed_status()
    assert status is not None and status.stale and status.expected == THU


async def test_stale_feed_and_api_down(
    fake_arxiv: FakeArxiv, engine_parts: Any, stamina_testing: None
) -> None:
    """A stale feed with the API unreachable is reported as stale, not as an empty digest."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(WED, items(), ["cs.DC"]))
    fake_arxiv.set_api_handler(lambda query: (503, b"down"))
    with pytest.raises(StaleFeed) as caught:
        await engine.batch(["cs.DC"])
    assert (caught.value.shown, caught.value.expected) == (WED, THU)


async def test_feed_down_falls_back_to_the_api(
    fake_arxiv: FakeArxiv, engine_parts: Any, stamina_testing: None
) -> None:
    """An unreachable feed is backfilled from the export API."""
    engine, _, _ = engine_parts
    for _ in range(3):
        fake_arxiv.queue("rss", 503, "Service Unavailable")
    fake_arxiv.set_api_handler(paged_api(items()[:1]))
    batch = await engine.batch(["cs.DC"])
    assert [p.id for p in batch.papers] == ["2609.00001"]


async def test_everything_down(fake_arxiv: FakeArxiv, engine_parts: Any, stamina_testing: None) -> None:
    """Feed and API unreachable → SourceUnavailable, nothing is cached, and arXiv is asked again a
    minute later (not before), when the feed is back."""
    engine, clock, _ = engine_parts
    for _ in range(3):
        fake_arxiv.queue("rss", 503, "Service Unavailable")
    fake_arxiv.set_api_handler(lambda query: (503, b"down"))
    with pytest.raises(SourceUnavailable):
        await engine.batch(["cs.DC"])
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC"]))
    sent = len(fake_arxiv.requests)
    with pytest.raises(SourceUnavailable):
        await engine.batch(["cs.DC"])
    assert len(fake_arxiv.requests) == sent
    clock.now += FAILED_RECHECK
    assert (await engine.batch(["cs.DC"])).listing_date == THU


async def test_weekend_empty_feed_uses_cache_or_api(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """On Saturday the feed is empty; Friday's batch comes from the API once, then from the cache."""
    engine, clock, _ = engine_parts
    clock.now = datetime(2026, 9, 26, 14, 0, tzinfo=UTC)
    fake_arxiv.set_feed(make_rss(date(2026, 9, 25), [], ["cs.DC"]))
    fake_arxiv.set_api_handler(paged_api(items()[:2]))
    first = await engine.batch(["cs.DC"])
    second = await engine.batch(["cs.DC"])
    assert first.listing_date == second.listing_date == date(2026, 9, 25)
    assert len(fake_arxiv.requests_to("api")) == 1


async def test_past_date_from_the_api_once(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """A past listing date is fetched from the API once and then served from the cache."""
    engine, _, _ = engine_parts
    fake_arxiv.set_api_handler(paged_api(items()[:2]))
    a = await engine.build(["cs.DC"], date(2026, 9, 1), "en")
    b = await engine.build(["cs.DC"], date(2026, 9, 1), "en")
    assert a == b and a.listing_date == date(2026, 9, 1)
    assert len(fake_arxiv.requests_to("api")) == 1


@pytest.mark.parametrize(
    ("categories", "announce", "requested", "expected"),
    [
        (("cs.LG", "cs.DC"), AnnounceType.NEW, ("cs.DC",), AnnounceType.CROSS),
        (("cs.LG", "cs.DC"), AnnounceType.NEW, ("cs.DC", "cs.LG"), AnnounceType.NEW),
        (("cs.LG", "cs.DC"), AnnounceType.CROSS, ("cs.LG",), AnnounceType.NEW),
        (("cs.LG", "cs.DC"), AnnounceType.REPLACE, ("cs.DC",), AnnounceType.REPLACE_CROSS),
        (("cs.DC",), AnnounceType.REPLACE_CROSS, ("cs.DC",), AnnounceType.REPLACE),
    ],
)
def test_relative_type(
    categories: tuple[str, ...], announce: AnnounceType, requested: tuple[str, ...], expected: AnnounceType
) -> None:
    """A paper is new to whoever follows its primary category and a cross-list to everyone else."""
    assert relative_type(paper(1, categories=categories, announce=announce), requested) == expected


def test_merge_dedups_and_orders() -> None:
    """Papers listed in several categories appear once; new ones lead, replacements are apart."""
    a = paper(1, categories=("cs.DC",))
    b = paper(2, categories=("math.OC", "cs.LG"), announce=AnnounceType.CROSS)
    c = paper(3, categories=("cs.LG", "cs.DC"))
    d = paper(4, categories=("cs.LG",), announce=AnnounceType.REPLACE)
    batch = merge(THU, ["cs.DC", "cs.LG"], {"cs.DC": [a, c], "cs.LG": [b, c, d]})
    main, replaced = order_for_digest(batch.papers)
    assert [p.id for p in main] == [a.id, c.id, b.id]
    assert [p.id for p in replaced] == [d.id]


async def test_no_summarizer_marks_none(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """--no-summary leaves summaries empty with source none."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC"]))
    digest = await engine.build(["cs.DC"], None, "en", summarizer=NoSummarizer())
    assert {p.summary_source for p in digest.papers} == {"none"}


async def test_older_feed_for_some_categories_is_backfilled(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """When one category already has the new batch and another's feed still shows the old one,
    the new batch is completed from the export API instead of mixing two days."""
    engine, clock, _ = engine_parts
    clock.now = listing.feed_ready_at(THU) + timedelta(hours=1)
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC"]), "cs.DC")
    assert (await engine.batch(["cs.DC"])).listing_date == THU
    old = {**items()[1], "id": "2609.00099", "categories": ["cs.LG"]}
    fake_arxiv.set_feed(make_rss(WED, [old], ["cs.LG"]), "cs.LG")
    fake_arxiv.set_api_handler(paged_api(items()[1:2]))
    batch = await engine.batch(["cs.DC", "cs.LG"])
    assert batch.listing_date == THU
    assert "2609.00002" in {p.id for p in batch.papers}
    assert "2609.00099" not in {p.id for p in batch.papers}
    assert [r.path for r in fake_arxiv.requests_to("rss")] == ["/rss/cs.DC", "/rss/cs.LG"]
    assert len(fake_arxiv.requests_to("api")) == 1


async def test_feed_newer_than_expected_is_completed(fake_arxiv: FakeArxiv, engine_parts: Any) -> None:
    """A feed already showing the next batch is taken, and categories cached only for the
    expected batch are completed for the newer one from the export API."""
    engine, _, _ = engine_parts
    fake_arxiv.set_feed(make_rss(THU, items(), ["cs.DC"]), "cs.DC")
    await engine.batch(["cs.DC"])
    friday = date(2026, 9, 25)
    fake_arxiv.set_feed(make_rss(friday, items()[1:2], ["cs.LG"]), "cs.LG")
    fake_arxiv.set_api_handler(paged_api(items()[:1]))
    batch = await engine.batch(["cs.DC", "cs.LG"])
    assert batch.listing_date == friday
    assert {p.id for p in batch.papers} == {"2609.00001", "2609.00002"}


FRIDAY = [paper(n, categories=("cs.AI",)) for n in (1, 2, 3)]
FRIDAY_CROSS = [paper(4, categories=("cs.LG", "cs.AI"), announce=AnnounceType.CROSS)]


@pytest.mark.parametrize(
    ("items", "previous", "expected"),
    [
        (FRIDAY, FRIDAY, True),
        (FRIDAY + FRIDAY_CROSS, FRIDAY + FRIDAY_CROSS, True),
        (FRIDAY[:2], FRIDAY, True),
        ([paper(9, categories=("cs.AI",)), *FRIDAY], FRIDAY, True),
        ([paper(9, categories=("cs.AI",)), paper(10, categories=("cs.AI",)), *FRIDAY[:1]], FRIDAY, False),
        ([*FRIDAY, *FRIDAY_CROSS], FRIDAY, True),
        ([paper(9, categories=("cs.AI",))], FRIDAY, False),
        ([paper(1, categories=("cs.AI",), announce=AnnounceType.REPLACE, version=2)], FRIDAY, False),
        (
            [paper(5, categories=("cs.AI",), announce=AnnounceType.REPLACE, version=2)],
            [paper(5, categories=("cs.AI",), announce=AnnounceType.REPLACE, version=2)],
            True,
        ),
        (FRIDAY, None, False),
        (FRIDAY, [], False),
        ([], FRIDAY, False),
    ],
)
def test_is_previous_batch(items: list[Paper], previous: list[Paper] | None, expected: bool) -> None:
    """A category's items are the previous batch when most new or cross-listed ones were in it."""
    assert is_previous_batch(items, previous) is expected


LATER_CROSS = paper(1, categories=("cs.AI", "cs.CL"), announce=AnnounceType.CROSS)
FRIDAY_REPLACED = paper(7, categories=("cs.CL", "cs.AI"), announce=AnnounceType.REPLACE, version=3)


@pytest.mark.parametrize(
    ("items", "previous", "stale", "kept"),
    [
        (FRIDAY, None, (), ["2609.00001", "2609.00002", "2609.00003"]),
        ([paper(9, categories=("cs.AI",)), LATER_CROSS], FRIDAY, (), ["2609.00009"]),
        (
            [paper(1, categories=("cs.AI",), announce=AnnounceType.REPLACE, version=2)],
            FRIDAY,
            (),
            ["2609.00001"],
        ),
        ([paper(9, categories=("cs.CL",)), LATER_CROSS], None, (FRIDAY,), ["2609.00009"]),
        ([FRIDAY_REPLACED, paper(9, categories=("cs.CL",))], None, ([FRIDAY_REPLACED],), ["2609.00009"]),
        (
            [replace(FRIDAY_REPLACED, version=4), paper(9, categories=("cs.CL",))],
            None,
            ([FRIDAY_REPLACED],),
            ["2609.00007", "2609.00009"],
        ),
    ],
)
def test_without_repeats(
    items: list[Paper], previous: list[Paper] | None, stale: tuple[list[Paper], ...], kept: list[str]
) -> None:
    """A current category keeps its new items: not its previous batch's new or cross-listed papers,
    nor a stale category's previous papers (replacements by version) listed under it too."""
    assert [p.id for p in without_repeats(items, previous, stale)] == kept


@pytest.mark.parametrize(
    ("asks", "minutes"), [(0, 5), (1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (6, 60), (40, 60)]
)
def test_reask_delay(asks: int, minutes: int) -> None:
    """An unanswered question is asked again after 5 minutes, doubling, at most hourly."""
    assert reask_delay(asks) == timedelta(minutes=minutes)


def test_digest_counts_leave_replacements_apart() -> None:
    """The count is the digest's: new and cross-listed papers, with replacements counted apart."""
    papers = [paper(1), paper(2, announce=AnnounceType.CROSS), paper(3, announce=AnnounceType.REPLACE)]
    assert digest_counts(papers) == (2, 1)


def test_unreachable_names_both_hosts() -> None:
    """One line names the feed's and the API's host, each cause and each attempt count."""
    error = unreachable(
        ("rss.arxiv.org", "DNS lookup failed", 4), ("export.arxiv.org", "no answer within 30 s", 1)
    )
    assert str(error) == (
        "arXiv cannot be reached: its feed at rss.arxiv.org (DNS lookup failed; 4 attempts) and its export "
        "API at export.arxiv.org (no answer within 30 s; 1 attempt); try again later"
    )
    assert error.failures == (
        ("rss.arxiv.org", "DNS lookup failed", 4),
        ("export.arxiv.org", "no answer within 30 s", 1),
    )
