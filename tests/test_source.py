"""The arXiv source: the announcement feed and the export API, against a local arXiv over HTTP."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import stamina
from multidict import MultiDict
from structlog.testing import capture_logs

from bot.errors import MalformedResponse, SourceError, SourceUnavailable
from bot.listing import submission_window
from bot.models import AnnounceType
from bot.settings import Settings
from bot.source import (
    RETRY_AFTER_CAP,
    ArxivSource,
    TransientError,
    api_error,
    api_short_page,
    clean_text,
    feed_date,
    in_categories,
    listing_query,
    parse_feed,
    parse_retry_after,
    retry_wait,
    split_authors,
)
from bot.store import open_store
from bot.store.base import Store
from bot.throttle import Throttle
from tests.fakes import (
    FakeArxiv,
    load_api_fixture,
    make_api_feed,
    make_papers,
    make_rss,
    paged_api,
    recorded_rss,
)
from tests.fakes.arxiv import RecordedRequest
from tests.fakes.feeds import RECORDED_ATOM

RECORDED_CATEGORIES = ["cs.LG", "cs.AI", "cs.CL", "stat.ML"]
WINDOW = (datetime(2026, 9, 22, 18, 0, tzinfo=UTC), datetime(2026, 9, 23, 18, 0, tzinfo=UTC))
LISTING = date(2026, 9, 24)
SLACK = 0.05
"""How much later one request may reach the fake than the next, past its slot: the event loop and
the connection take tens of milliseconds more or less on a loaded machine. Without the slot the gaps
would be a few milliseconds, so gaps of at least ``interval - SLACK`` still show the spacing."""

SourceFactory = Callable[..., ArxivSource]


@pytest.fixture(autouse=True)
def quick_retries() -> Iterator[None]:
    """Three attempts and no backoff sleeps, unless a test says otherwise."""
    with stamina.set_testing(True, attempts=3):
        yield


@pytest.fixture
async def fake() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        yield server


@pytest.fixture
async def slot_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite:///{tmp_path}/s.db", "t:")
    try:
        yield store
    finally:
        await store.close()


def settings_for(fake: FakeArxiv, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "arxiv_rss_url": fake.rss_url,
        "arxiv_api_url": fake.api_url,
        "arxiv_timeout": 2.0,
        "arxiv_min_interval": 0.0,
        "arxiv_retries": 3,
        "arxiv_page_size": 200,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def make_source(fake: FakeArxiv, slot_store: Store) -> AsyncIterator[SourceFactory]:
    built: list[ArxivSource] = []

    def build(store: Store | None = None, **overrides: Any) -> ArxivSource:
        settings = settings_for(fake, **overrides)
        throttle = Throttle(store or slot_store, "arxiv", settings.arxiv_min_interval)
        source = ArxivSource(settings, throttle)
        built.append(source)
        return source

    yield build
    for source in built:
        await source.aclose()


def assert_spaced(requests: list[RecordedRequest], interval: float) -> None:
    arrivals = sorted(r.at for r in requests)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert gaps and min(gaps) >= interval - SLACK, gaps


# -- parsing the feed ----------------------------------------------------------------------------------


def test_recorded_feed_parses() -> None:
    """The recorded rss.arxiv.org feed gives ids without version, versions, types, date, authors, categories."""
    batch = parse_feed(recorded_rss(), RECORDED_CATEGORIES)
    assert batch is not None
    assert batch.listing_date == date(2026, 9, 24)
    assert batch.categories == tuple(RECORDED_CATEGORIES)
    assert batch.origin == "rss"
    assert [(p.id, p.version, p.announce_type) for p in batch.papers] == [
        ("2609.26811", 1, AnnounceType.NEW),
        ("2609.26820", 1, AnnounceType.NEW),
        ("2205.06398", 2, AnnounceType.CROSS),
        ("2009.13987", 3, AnnounceType.REPLACE),
    ]
    cross = batch.papers[2]
    assert cross.title == "Outlier Detection for Multi-Network Data"
    assert cross.authors == ("Pritam Dey", "Zhengwu Zhang", "David B. Dunson")
    assert cross.categories == ("stat.ME", "stat.AP", "stat.ML")
    assert cross.primary_category == "stat.ME"
    assert cross.abstract.startswith("It has become routine in neuroscience studies")
    assert cross.abstract.endswith("change inferences in downstream applications.")
    assert batch.papers[0].authors == ("Fabien Polly",)
    assert batch.papers[1].categories == ("cs.LG", "cs.AI")


def test_titles_and_abstracts_are_unescaped_text() -> None:
    """Entities are decoded once, markup-like text survives, and wrapped titles are joined into one line."""
    paper = {
        "id": "2609.00001",
        "version": 2,
        "title": 'Q&A for <b>LLMs</b>: when n < k &amp; "quotes"\n   matter  ',
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.DC"],
        "announce_type": "new",
        "abstract": "We show a<b and x & y, with <script>alert(1)</script> left as text.",
    }
    body = make_rss(LISTING, [paper], ["cs.DC"])
    assert b"Q&amp;A for &lt;b&gt;" in body
    batch = parse_feed(body, ["cs.DC"])
    assert batch is not None
    (parsed,) = batch.papers
    assert parsed.title == 'Q&A for <b>LLMs</b>: when n < k &amp; "quotes" matter'
    assert parsed.abstract == "We show a<b and x & y, with <script>alert(1)</script> left as text."
    assert parsed.versioned_id == "2609.00001v2"


def test_atom_variant_parses() -> None:
    """The Atom flavour of the feed gives the same fields; its date comes from the entries."""
    batch = parse_feed(RECORDED_ATOM.read_bytes(), ["cs.LG"])
    assert batch is not None
    assert batch.listing_date == date(2026, 9, 25)
    assert [(p.id, p.version, p.announce_type.value) for p in batch.papers] == [
        ("2609.28553", 1, "new"),
        ("2402.10149", 3, "cross"),
        ("2401.08875", 3, "replace"),
    ]
    assert batch.papers[1].primary_category == "hep-ph"
    assert batch.papers[1].categories == ("hep-ph", "cs.LG", "hep-ex")
    assert batch.papers[2].authors == ("Jiaming Tang", "Jingxuan Wen", "Liping Jing")
    assert batch.papers[0].abstract.startswith("Drug toxicity prediction is critical")


def test_empty_channel_is_no_batch() -> None:
    """A channel without items (Friday, Saturday, holidays) means no announcement: None."""
    assert parse_feed(make_rss(date(2026, 9, 26), [], ["cs.DC"]), ["cs.DC"]) is None


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>503 Service Unavailable</title></head><body><h1>Down</h1></body></html>",
        b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>",
        b"",
        b"not xml at all",
        b'{"error": "nope"}',
        recorded_rss()[:5000],
    ],
    ids=["html-error-page", "html-doctype", "empty", "text", "json", "truncated-feed"],
)
def test_garbage_is_malformed(body: bytes) -> None:
    """Anything but a whole, well-formed feed raises MalformedResponse."""
    with pytest.raises(MalformedResponse):
        parse_feed(body, ["cs.DC"])


def test_item_without_id_is_malformed() -> None:
    """An item with neither a guid nor an ``arXiv:ID`` description prefix raises MalformedResponse."""
    body = make_rss(LISTING, [{"id": "2609.00001", "title": "T", "categories": ["cs.DC"]}], ["cs.DC"])
    body = body.replace(b'<guid isPermaLink="false">oai:arXiv.org:2609.00001v1</guid>', b"")
    body = body.replace(b"arXiv:2609.00001v1 Announce Type: new", b"Announce Type: new")
    with pytest.raises(MalformedResponse, match="no arXiv id"):
        parse_feed(body, ["cs.DC"])


def test_id_from_description_when_guid_is_missing() -> None:
    """Without a guid the id and version come from the ``arXiv:IDvN Announce Type: T`` prefix."""
    body = make_rss(
        LISTING,
        [{"id": "2609.00007", "version": 4, "categories": ["cs.DC"], "announce_type": "replace-cross"}],
        ["cs.DC"],
    )
    body = body.replace(b'<guid isPermaLink="false">oai:arXiv.org:2609.00007v4</guid>', b"")
    body = body.replace(b"<arxiv:announce_type>replace-cross</arxiv:announce_type>", b"")
    batch = parse_feed(body, ["cs.DC"])
    assert batch is not None
    assert (batch.papers[0].id, batch.papers[0].version) == ("2609.00007", 4)
    assert batch.papers[0].announce_type is AnnounceType.REPLACE_CROSS


def test_generated_feed_round_trips() -> None:
    """Every generated item comes back once, in order, with its id, version, type and categories."""
    papers = make_papers(300, ["cs.DC", "cs.LG"], seed=7)
    batch = parse_feed(make_rss(LISTING, papers, ["cs.DC", "cs.LG"]), ["cs.DC", "cs.LG"])
    assert batch is not None
    assert [p.id for p in batch.papers] == [p["id"] for p in papers]
    for parsed, made in zip(batch.papers, papers, strict=True):
        assert (parsed.version, parsed.announce_type.value) == (made["version"], made["announce_type"])
        assert list(parsed.categories) == made["categories"]
        assert list(parsed.authors) == made["authors"]
    assert {p.announce_type for p in batch.papers} == set(AnnounceType)


def test_large_feed_parses_every_item() -> None:
    """A 2,000-item feed parses into 2,000 papers (its speed is measured in bench/bench_core.py)."""
    papers = make_papers(2000, ["cs.DC", "cs.LG", "cs.AI"], seed=1)
    body = make_rss(LISTING, papers, ["cs.DC", "cs.LG", "cs.AI"])
    batch = parse_feed(body, ["cs.DC", "cs.LG", "cs.AI"])
    assert batch is not None
    assert [p.id for p in batch.papers] == [p["id"] for p in papers]


# -- pure helpers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fabien Polly", ("Fabien Polly",)),
        (
            "Naser Mansour, Sidahmed Benabderrahmane, Ameer Rahwan",
            ("Naser Mansour", "Sidahmed Benabderrahmane", "Ameer Rahwan"),
        ),
        ("Ada Lovelace and Alan Turing", ("Ada Lovelace", "Alan Turing")),
        ("A B, C D, and E F", ("A B", "C D", "E F")),
        ("Sandra Anderson, Randall Andrews", ("Sandra Anderson", "Randall Andrews")),
        ("", ()),
    ],
)
def test_split_authors(text: str, expected: tuple[str, ...]) -> None:
    """dc:creator is split on commas and "and" into names."""
    assert split_authors(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Thu, 24 Sep 2026 00:00:00 -0400", date(2026, 9, 24)),
        ("Mon, 07 Dec 2026 00:00:00 -0500", date(2026, 12, 7)),
        ("Thu, 24 Sep 2026 23:30:00 -0400", date(2026, 9, 24)),
        ("2026-09-25T00:00:00-04:00", date(2026, 9, 25)),
        ("not a date", None),
    ],
)
def test_feed_date_keeps_the_given_offset(raw: str, expected: date | None) -> None:
    """The listing date is the calendar date in the timestamp's own offset, not in UTC."""
    assert feed_date(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("  A  title\n  wrapped \t here \n", "A title wrapped here"), ("", ""), ("one", "one")],
)
def test_clean_text(text: str, expected: str) -> None:
    """Whitespace runs collapse to one space and the ends are trimmed."""
    assert clean_text(text) == expected


NOW = datetime(2026, 9, 24, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Thu, 24 Sep 2026 12:00:30 GMT", 30.0),
        ("Thu, 24 Sep 2026 11:00:00 GMT", 0.0),
        ("soon", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After is read as seconds or as an HTTP date relative to now."""
    assert parse_retry_after(header, NOW) == expected


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TransientError("HTTP 503"), True),
        (TransientError("HTTP 429", retry_after=7.0), 7.0),
        (TransientError("HTTP 429", retry_after=0.0), True),
        (TransientError("HTTP 429", retry_after=RETRY_AFTER_CAP + 1), False),
        (MalformedResponse("bad"), False),
        (ValueError("bug"), False),
    ],
)
def test_retry_wait(error: Exception, expected: bool | float) -> None:
    """Transient errors are retried, after at least Retry-After; others, and very long waits, are not."""
    assert retry_wait(error) == expected


@pytest.mark.parametrize(
    ("categories", "window", "expected"),
    [
        (["cs.DC"], WINDOW, "(cat:cs.DC) AND submittedDate:[202609221800 TO 202609231800]"),
        (
            ["cs.DC", "cs.LG", "stat.ML"],
            WINDOW,
            "(cat:cs.DC OR cat:cs.LG OR cat:stat.ML) AND submittedDate:[202609221800 TO 202609231800]",
        ),
        (
            ["cs.DC"],
            (
                datetime(2026, 9, 22, 14, 0, tzinfo=timezone(timedelta(hours=-4))),
                datetime(2026, 9, 23, 18, 0),
            ),
            "(cat:cs.DC) AND submittedDate:[202609221800 TO 202609231800]",
        ),
    ],
)
def test_listing_query(categories: list[str], window: tuple[datetime, datetime], expected: str) -> None:
    """The export API query names every category and the submission window in GMT minutes."""
    assert listing_query(categories, window) == expected


@pytest.mark.parametrize(
    ("category", "wanted", "expected"),
    [
        ("cs.DC", ["cs.DC"], True),
        ("cs.DC", ["cs"], True),
        ("cs.DCX", ["cs.DC"], False),
        ("math.OC", ["cs"], False),
    ],
)
def test_in_categories(category: str, wanted: list[str], expected: bool) -> None:
    """A primary category counts as asked for when it is one of, or inside one of, the categories."""
    assert in_categories(category, wanted) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("id_abc", "incorrect id format for abc"),
        ("id_0000.0000", None),
        ("id_1605.08386", None),
    ],
)
def test_api_error_reads_recorded_answers(name: str, expected: str | None) -> None:
    """arXiv's error entry is recognised in recorded answers; ordinary pages have none."""
    assert api_error(load_api_fixture(name)[1]) == expected


def test_paper_titled_error_is_not_an_error_entry() -> None:
    """A real paper whose title is "Error" is a result, not arXiv's error entry."""
    page = make_api_feed([{"id": "2609.00001", "title": "Error", "categories": ["cs.DC"]}])
    assert api_error(page) is None


def test_api_error_rejects_non_atom() -> None:
    """An HTML page or an RSS feed is not an export API answer."""
    assert api_error(b"<html><body>busy</body></html>") is not None
    assert api_error(recorded_rss()) is not None
    assert api_error(b"\x00garbage") is not None


# -- fetching the feed ---------------------------------------------------------------------------------


async def test_one_request_for_all_categories(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """Three categories are fetched with one GET to {ARXIV_RSS_URL}/A+B+C, with our User-Agent."""
    source = make_source()
    batch = await source.fetch_feed(["cs.LG", "cs.AI", "stat.ML"])
    assert batch is not None and len(batch.papers) == 4
    assert batch.categories == ("cs.LG", "cs.AI", "stat.ML")
    assert [r.path for r in fake.requests] == ["/rss/cs.LG+cs.AI+stat.ML"]
    assert fake.requests[0].user_agent.startswith("arxiv-digest/")
    assert source.requests == 1
    assert source.throttle.requests == 1


async def test_feed_request_is_logged(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """Each request logs one arxiv_request line with kind, status, elapsed_ms and attempt, and no URL."""
    fake.queue("rss", 503)
    with capture_logs() as logs:
        await make_source().fetch_feed(["cs.DC"])
    lines = [entry for entry in logs if entry["event"] == "arxiv_request"]
    assert [(e["kind"], e["status"], e["attempt"]) for e in lines] == [("rss", 503, 1), ("rss", 200, 2)]
    assert all(isinstance(e["elapsed_ms"], float) for e in lines)
    assert not any("/rss/" in str(value) for e in lines for value in e.values())


async def test_retries_after_503s(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """503, 503, then 200: the feed arrives on the third attempt."""
    fake.queue("rss", 503)
    fake.queue("rss", 503, b"<html>busy</html>")
    source = make_source()
    batch = await source.fetch_feed(["cs.LG"])
    assert batch is not None and batch.listing_date == LISTING
    assert [r.status for r in fake.requests] == [503, 503, 200]
    assert source.requests == 3


async def test_retry_after_on_429(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """429 with Retry-After, then 200: one retry and the feed arrives."""
    fake.queue("rss", 429, headers={"Retry-After": "5"})
    batch = await make_source().fetch_feed(["cs.LG"])
    assert batch is not None
    assert [r.status for r in fake.requests] == [429, 200]


async def test_retry_after_is_waited_out(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """Outside test mode the retry comes no sooner than Retry-After asked."""
    fake.queue("rss", 503, headers={"Retry-After": "1"})
    with stamina.set_testing(False):
        batch = await make_source().fetch_feed(["cs.LG"])
    assert batch is not None
    first, second = fake.requests
    assert second.at - first.at >= 1.0 - SLACK


async def test_unavailable_after_retries(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """503 on every attempt: SourceUnavailable naming the host (not the URL), carrying Retry-After."""
    for _ in range(5):
        fake.queue("rss", 503, headers={"Retry-After": "2"})
    source = make_source()
    with pytest.raises(SourceUnavailable) as caught:
        await source.fetch_feed(["cs.DC", "cs.LG"])
    assert source.requests == 3
    assert caught.value.retry_after == 2.0
    message = str(caught.value)
    assert "127.0.0.1" in message and "503" in message
    assert "/rss" not in message


async def test_long_retry_after_is_not_waited_inside(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A Retry-After beyond the cap fails at once with SourceUnavailable(retry_after=…)."""
    fake.queue("rss", 429, headers={"Retry-After": "3600"})
    source = make_source()
    with pytest.raises(SourceUnavailable) as caught:
        await source.fetch_feed(["cs.DC"])
    assert caught.value.retry_after == 3600.0
    assert source.requests == 1


async def test_client_error_is_not_retried(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A 404 is not transient: one request and a SourceError that says what was asked."""
    fake.queue("rss", 404, b"<html>not found</html>")
    source = make_source()
    with pytest.raises(SourceError, match="404") as caught:
        await source.fetch_feed(["cs.XX"])
    assert not isinstance(caught.value, SourceUnavailable)
    assert source.requests == 1


async def test_feed_garbage_is_malformed(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A 200 with an HTML page instead of the feed raises MalformedResponse."""
    fake.set_feed(b"<html><body><h1>arXiv is down for maintenance</h1></body></html>")
    with pytest.raises(MalformedResponse):
        await make_source().fetch_feed(["cs.DC"])


async def test_feed_timeout_is_retried_then_unavailable(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A feed that never answers within the timeout ends as SourceUnavailable after the attempts."""
    fake.set_delay("rss", 2.0)
    source = make_source(arxiv_timeout=0.3)
    with pytest.raises(SourceUnavailable, match="no answer within"):
        await source.fetch_feed(["cs.DC"])
    assert source.requests == 3


async def test_empty_feed_over_http(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """On a day without announcements the fetched feed gives None."""
    fake.set_feed(make_rss(date(2026, 9, 26), [], ["cs.DC"]))
    assert await make_source().fetch_feed(["cs.DC"]) is None


# -- the export API ------------------------------------------------------------------------------------


async def test_listing_pages_through_the_api(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """25 results at 10 per page take 3 requests; primary in the categories is new, others cross."""
    papers = make_papers(25, ["cs.DC", "cs.LG"], seed=3)
    fake.set_api_handler(paged_api(papers))
    source = make_source(arxiv_page_size=10)
    batch = await source.fetch_listing(["cs.DC", "cs.LG"], LISTING, WINDOW)

    assert [(r.query["start"], r.query["max_results"]) for r in fake.requests] == [
        ("0", "10"),
        ("10", "10"),
        ("20", "10"),
    ]
    query = fake.requests[0].query
    assert query["search_query"] == (
        "(cat:cs.DC OR cat:cs.LG) AND submittedDate:[202609221800 TO 202609231800]"
    )
    assert (query["sortBy"], query["sortOrder"]) == ("submittedDate", "ascending")
    assert fake.requests[0].user_agent.startswith("arxiv-digest/")
    assert source.requests == 3

    assert batch.origin == "api"
    assert batch.listing_date == LISTING
    assert batch.categories == ("cs.DC", "cs.LG")
    assert [p.id for p in batch.papers] == [p["id"] for p in papers]
    for parsed, made in zip(batch.papers, papers, strict=True):
        assert parsed.version == made["version"]
        assert parsed.primary_category == made["categories"][0]
        expected = AnnounceType.NEW if made["categories"][0] in ("cs.DC", "cs.LG") else AnnounceType.CROSS
        assert parsed.announce_type is expected
    assert {p.announce_type for p in batch.papers} == {AnnounceType.NEW, AnnounceType.CROSS}


async def test_listing_uses_the_calendar_window(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """The window from bot.listing lands in the query as GMT minutes."""
    fake.set_api_handler(lambda query: load_api_fixture("id_0000.0000"))
    await make_source().fetch_listing(["cs.DC"], LISTING, submission_window(LISTING))
    assert fake.requests[0].query["search_query"].endswith("submittedDate:[202609221800 TO 202609231800]")


async def test_empty_listing(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """arXiv's empty result (recorded id_0000.0000) is a batch with no papers after one request."""
    fake.set_api_handler(lambda query: load_api_fixture("id_0000.0000"))
    source = make_source()
    batch = await source.fetch_listing(["cs.DC"], LISTING, WINDOW)
    assert batch.papers == ()
    assert batch.listing_date == LISTING
    assert source.requests == 1


async def test_api_error_entry_is_malformed(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """HTTP 400 with arXiv's error entry (recorded id_abc) raises MalformedResponse with arXiv's words."""
    source = make_source()
    with pytest.raises(MalformedResponse, match="incorrect id format for abc"):
        await source.lookup(["abc"])
    assert source.requests == 1


async def test_api_garbage_is_malformed(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A 200 that is not an Atom feed raises MalformedResponse instead of looking like no results."""
    fake.set_api_handler(lambda query: (200, b"<html><body>Service temporarily overloaded</body></html>"))
    with pytest.raises(MalformedResponse, match="not an Atom feed"):
        await make_source().fetch_listing(["cs.DC"], LISTING, WINDOW)


@pytest.mark.parametrize(
    ("total", "start", "entries", "short"),
    [(34, 0, 0, True), (250, 200, 0, True), (0, 0, 0, False), (34, 34, 0, False), (34, 0, 1, False)],
)
def test_api_short_page(total: int, start: int, entries: int, short: bool) -> None:
    """A page without entries is short when its totals count papers past its start; an empty
    result, a page past the end and a page with entries are not."""
    page = make_api_feed(
        [{"id": "2609.00001", "categories": ["cs.DC"]}][:entries],
        total=total,
        start=start,
        items_per_page=100,
    )
    assert (api_short_page(page) is not None) is short


async def test_api_page_without_entries_is_asked_again(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A page without entries whose totals count 34, twice, then the listing: served on the third
    request; on every request, MalformedResponse (not an empty result) after the retries."""
    short = make_api_feed([], total=34, start=0, items_per_page=100)
    fake.queue("api", 200, short)
    fake.queue("api", 200, short)
    fake.set_api_handler(paged_api(make_papers(2, ["cs.DC"], seed=5)))
    source = make_source()
    batch = await source.fetch_listing(["cs.DC"], LISTING, WINDOW)
    assert len(batch.papers) == 2 and source.requests == 3
    fake.set_api_handler(lambda query: (200, short))
    with pytest.raises(MalformedResponse, match="without entries of a result of 34"):
        await source.fetch_listing(["cs.DC"], LISTING, WINDOW)
    assert source.requests == 6


async def test_api_retries_transient_failures(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """503 then 429 then the page: the export API call succeeds on the third attempt."""
    fake.queue("api", 503)
    fake.queue("api", 429, headers={"Retry-After": "1"})
    source = make_source()
    (paper,) = await source.lookup(["1605.08386"])
    assert paper.id == "1605.08386"
    assert [r.status for r in fake.requests] == [503, 429, 200]
    assert source.requests == 3


async def test_api_unavailable_after_retries(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """503 on every attempt of the export API: SourceUnavailable with Retry-After."""
    for _ in range(5):
        fake.queue("api", 503, headers={"Retry-After": "4"})
    source = make_source()
    with pytest.raises(SourceUnavailable) as caught:
        await source.fetch_listing(["cs.DC"], LISTING, WINDOW)
    assert caught.value.retry_after == 4.0
    assert source.requests == 3


async def test_stalled_api_gives_up_within_the_timeout(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """An export API answer that stalls past the timeout ends as SourceUnavailable in about that time."""
    fake.set_delay("api", 5.0)
    source = make_source(arxiv_timeout=0.5)
    with (
        stamina.set_testing(True, attempts=1),
        pytest.raises(SourceUnavailable, match=r"no answer within 0\.5 s"),
    ):
        await source.lookup(["1605.08386"])
    assert source.requests == 1


async def test_trickling_api_answer_hits_the_deadline(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """An answer that keeps trickling in (so no read ever times out) is cut off by the call's deadline."""
    status, body = load_api_fixture("id_1605.08386")
    fake.queue("api", status, body, trickle=0.05)
    source = make_source(arxiv_timeout=0.2)
    with pytest.raises(SourceUnavailable, match=r"no complete answer within 1\.4 s"):
        await source.lookup(["1605.08386"])
    assert source.requests == 1


async def test_lookup_from_recorded_answers(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """Look-ups by id, with or without version and in the old style, read the recorded answers."""
    source = make_source()
    (paper,) = await source.lookup(["1605.08386"])
    assert (paper.id, paper.version) == ("1605.08386", 1)
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.authors == ("Caprice Stanley", "Tobias Windisch")
    assert (paper.primary_category, paper.categories) == ("math.CO", ("math.CO", "math.ST"))
    assert paper.abstract.startswith("Graphs on lattice points are studied")
    assert paper.announce_type is AnnounceType.NEW

    (versioned,) = await source.lookup(["2104.12255v1"])
    assert (versioned.id, versioned.version, versioned.primary_category) == ("2104.12255", 1, "cs.CR")
    (old_style,) = await source.lookup(["quant-ph/0201082v1"])
    assert (old_style.id, old_style.version) == ("quant-ph/0201082", 1)
    assert [p.id for p in await source.lookup(["0808.05394", "1707.08567"])] == ["1707.08567"]
    assert await source.lookup(["0808.05394"]) == []
    assert [r.query["id_list"] for r in fake.requests] == [
        "1605.08386",
        "2104.12255v1",
        "quant-ph/0201082v1",
        "0808.05394,1707.08567",
        "0808.05394",
    ]


async def test_lookup_of_nothing_sends_nothing(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """An empty id list makes no request."""
    source = make_source()
    assert await source.lookup([]) == []
    assert fake.requests == [] and source.requests == 0


async def test_api_sees_the_recorded_body_bytes(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A generated single-entry page parses through the arxiv package into one paper."""
    entry = {
        "id": "2609.12345",
        "version": 2,
        "title": "Fast & Fair\n  Scheduling",
        "authors": ["A B"],
        "categories": ["math.OC", "cs.DC"],
        "abstract": "Line one\n  line two.",
    }
    fake.set_api_handler(lambda query: (200, make_api_feed([entry], total=1)))
    batch = await make_source().fetch_listing(["cs.DC"], LISTING, WINDOW)
    (paper,) = batch.papers
    assert (paper.title, paper.abstract) == ("Fast & Fair Scheduling", "Line one line two.")
    assert (paper.primary_category, paper.announce_type) == ("math.OC", AnnounceType.CROSS)


async def test_refused_connections_are_unavailable(make_source: SourceFactory) -> None:
    """Nothing listening at arXiv's address: both paths end as SourceUnavailable after the attempts."""
    async with FakeArxiv() as gone:
        rss_url, api_url = gone.rss_url, gone.api_url
    source = make_source(arxiv_rss_url=rss_url, arxiv_api_url=api_url)
    with pytest.raises(SourceUnavailable, match="connection refused after 3 attempts") as feed:
        await source.fetch_feed(["cs.DC"])
    with pytest.raises(SourceUnavailable, match="connection refused after 3 attempts") as api:
        await source.lookup(["1605.08386"])
    assert source.requests == 6
    assert feed.value.failures == (("127.0.0.1", "connection refused", 3),)
    assert api.value.failures == (("127.0.0.1", "connection refused", 3),)


@pytest.mark.parametrize("path", ["feed", "api"])
async def test_unresolvable_host_says_dns(make_source: SourceFactory, path: str) -> None:
    """A host whose name does not resolve fails as "DNS lookup failed" after the attempts, on both paths."""
    source = make_source(
        arxiv_rss_url="http://rss.arxiv.invalid/rss", arxiv_api_url="http://export.arxiv.invalid/api/query"
    )
    with pytest.raises(SourceUnavailable) as caught:
        if path == "feed":
            await source.fetch_feed(["cs.DC"])
        else:
            await source.lookup(["1605.08386"])
    host = "rss.arxiv.invalid" if path == "feed" else "export.arxiv.invalid"
    assert caught.value.failures == ((host, "DNS lookup failed", 3),)
    assert (
        str(caught.value)
        == f"arXiv ({host}) is unavailable: DNS lookup failed after 3 attempts; try again later"
    )


async def test_timeouts_are_named_with_the_limit(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """A feed that does not answer in time: the cause names the limit, and every attempt is counted."""
    fake.set_delay("rss", 1.0)
    source = make_source(arxiv_timeout=0.2)
    with pytest.raises(SourceUnavailable) as caught:
        await source.fetch_feed(["cs.DC"])
    assert caught.value.failures == (("127.0.0.1", "no answer within 0.2 s", 3),)


async def test_retries_log_at_debug_only(make_source: SourceFactory) -> None:
    """A refused host: each failed attempt and each scheduled retry is one DEBUG line, nothing at
    WARNING; the one error the caller gets names the host, the cause and the attempts."""
    from adapters.logs import retry_at_debug

    async with FakeArxiv() as gone:
        url = gone.rss_url
    source = make_source(arxiv_rss_url=url)
    stamina.instrumentation.set_on_retry_hooks([retry_at_debug])
    try:
        with capture_logs() as logs, pytest.raises(SourceUnavailable) as caught:
            await source.fetch_feed(["cs.DC"])
    finally:
        stamina.instrumentation.set_on_retry_hooks(None)
    assert {entry["log_level"] for entry in logs} == {"debug"}
    events = [entry["event"] for entry in logs]
    assert (events.count("arxiv_request"), events.count("retry_scheduled")) == (3, 2)
    assert (
        str(caught.value)
        == "arXiv (127.0.0.1) is unavailable: connection refused after 3 attempts; try again later"
    )


# -- politeness ----------------------------------------------------------------------------------------


async def test_requests_are_spaced_by_the_shared_slot(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """With a 0.3 s interval, a feed request and three API pages reach arXiv at least 0.3 s apart."""
    fake.set_api_handler(paged_api(make_papers(25, ["cs.DC"], seed=5)))
    source = make_source(arxiv_min_interval=0.3, arxiv_page_size=10)
    await source.fetch_feed(["cs.DC"])
    await source.fetch_listing(["cs.DC"], LISTING, WINDOW)
    assert len(fake.requests) == 4
    assert_spaced(fake.requests, 0.3)


async def test_two_sources_on_one_store_never_overlap(
    fake: FakeArxiv, make_source: SourceFactory, tmp_path: Path
) -> None:
    """Two sources with their own connections to one store file share the slot: spaced, never overlapping."""
    other_store = await open_store(f"sqlite:///{tmp_path}/s.db", "t:")
    try:
        first = make_source(arxiv_min_interval=0.3)
        second = make_source(store=other_store, arxiv_min_interval=0.3)

        async def work(source: ArxivSource) -> None:
            await source.fetch_feed(["cs.LG"])
            await source.lookup(["1605.08386"])

        await asyncio.gather(work(first), work(second))
    finally:
        await other_store.close()
    assert len(fake.requests) == 4
    assert_spaced(fake.requests, 0.3)
    ordered = sorted(fake.requests, key=lambda r: r.at)
    for earlier, later in itertools.pairwise(ordered):
        assert earlier.done is not None and earlier.done <= later.at


async def test_api_handler_receives_the_query(fake: FakeArxiv, make_source: SourceFactory) -> None:
    """The fake hands the export API query to a custom handler as a MultiDict."""
    seen: list[MultiDict[str]] = []

    def handler(query: MultiDict[str]) -> tuple[int, bytes]:
        seen.append(query)
        return load_api_fixture("id_0000.0000")

    fake.set_api_handler(handler)
    await make_source().lookup(["2609.99999"])
    assert seen[0]["id_list"] == "2609.99999"
