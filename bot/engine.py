"""The digest engine: categories + listing date + language → a Digest.

Batches are cached in the store per (listing date, category), so any number of chats asking for
any mix of categories cause one arXiv request per batch: only the categories missing from the
cache are fetched, all in one request, by one process at a time.

"Latest" means the batch the RSS feed should show now. A feed that still shows an older batch is
tolerated for a few hours after its usual rebuild (the older batch is served meanwhile); after
that it is stale and the export API backfills the expected batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import structlog

from bot import listing
from bot.errors import SourceError, StaleFeed
from bot.flight import SingleFlight
from bot.models import AnnounceType, Batch, Digest, Paper
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import Progress, Summarizer

log = structlog.get_logger(__name__)

BATCH_TTL = 21 * 24 * 3600.0
FEED_GRACE = timedelta(hours=3)
FEED_RECHECK = 300.0

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """What the last look at arXiv showed, for ``/status``."""

    listing_date: date
    expected: date
    checked_at: datetime
    counts: dict[str, int]

    @property
    def stale(self) -> bool:
        return self.listing_date < self.expected

    def to_json(self) -> str:
        return json.dumps(
            {
                "listing_date": self.listing_date.isoformat(),
                "expected": self.expected.isoformat(),
                "checked_at": self.checked_at.isoformat(),
                "counts": self.counts,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> FeedStatus:
        data = json.loads(text)
        return cls(
            listing_date=date.fromisoformat(data["listing_date"]),
            expected=date.fromisoformat(data["expected"]),
            checked_at=datetime.fromisoformat(data["checked_at"]),
            counts={k: int(v) for k, v in data["counts"].items()},
        )


def relative_type(paper: Paper, categories: Sequence[str]) -> AnnounceType:
    """A paper's announce type as seen by someone following ``categories``: new if its primary
    category is among them, a cross-list otherwise; replacements stay replacements."""
    primary = paper.primary_category in categories
    if paper.announce_type.is_replacement:
        return AnnounceType.REPLACE if primary else AnnounceType.REPLACE_CROSS
    return AnnounceType.NEW if primary else AnnounceType.CROSS


def merge(listing_date: date, categories: Sequence[str], per_category: dict[str, list[Paper]]) -> Batch:
    """One batch from per-category lists: deduplicated by id (without version), in category order,
    announce types made relative to the requested categories."""
    seen: dict[str, Paper] = {}
    for category in categories:
        for paper in per_category.get(category, []):
            if paper.id not in seen:
                seen[paper.id] = paper
    papers = []
    for paper in seen.values():
        kind = relative_type(paper, categories)
        papers.append(paper if kind == paper.announce_type else replace(paper, announce_type=kind))
    return Batch(
        listing_date=listing_date, categories=tuple(categories), papers=tuple(papers), origin="cache"
    )


def _batch_key(listing_date: date, category: str) -> str:
    """The ``batch`` cache key of one category's papers of one listing date."""
    return f"{listing_date.isoformat()}|{category}"


def split_by_category(batch: Batch, categories: Sequence[str]) -> dict[str, list[Paper]]:
    """Each requested category's papers, in feed order."""
    out: dict[str, list[Paper]] = {c: [] for c in categories}
    for paper in batch.papers:
        for category in paper.categories:
            if category in out:
                out[category].append(paper)
    return out


def order_for_digest(papers: Sequence[Paper]) -> tuple[tuple[Paper, ...], tuple[Paper, ...]]:
    """(new submissions then cross-lists, replacements), each keeping feed order."""
    new = [p for p in papers if p.announce_type == AnnounceType.NEW]
    cross = [p for p in papers if p.announce_type == AnnounceType.CROSS]
    replaced = [p for p in papers if p.announce_type.is_replacement]
    return tuple(new + cross), tuple(replaced)


class DigestEngine:
    """Builds digests from the cache, the RSS feed and the export API."""

    def __init__(
        self,
        store: Store,
        source: ArxivSource,
        summarizer: Summarizer,
        clock: Clock = utc_now,
        flight: SingleFlight | None = None,
    ) -> None:
        self._store = store
        self._source = source
        self._summarizer = summarizer
        self._clock = clock
        self._flight = flight or SingleFlight(store)

    # -- batches -------------------------------------------------------------------------------------
    async def batch(self, categories: Sequence[str], listing_date: date | None = None) -> Batch:
        """The batch of ``listing_date`` (or the latest one) for ``categories``."""
        categories = tuple(categories)
        if listing_date is not None:
            return await self._dated(categories, listing_date)
        return await self._latest(categories)

    async def _cached(self, listing_date: date, categories: Sequence[str]) -> dict[str, list[Paper]] | None:
        found: dict[str, list[Paper]] = {}
        for category in categories:
            raw = await self._store.cache_get("batch", _batch_key(listing_date, category))
            if raw is None:
                return None
            found[category] = [Paper.from_dict(d) for d in json.loads(raw)]
        return found

    async def _missing(self, listing_date: date, categories: Sequence[str]) -> list[str]:
        return [
            c for c in categories if await self._store.cache_get("batch", _batch_key(listing_date, c)) is None
        ]

    async def _save(self, listing_date: date, categories: Sequence[str], batch: Batch) -> None:
        for category, papers in split_by_category(batch, categories).items():
            await self._store.cache_set(
                "batch",
                _batch_key(listing_date, category),
                json.dumps([p.to_dict() for p in papers], ensure_ascii=False),
                ttl=BATCH_TTL,
            )

    async def _dated(self, categories: tuple[str, ...], listing_date: date) -> Batch:
        async def check() -> dict[str, list[Paper]] | None:
            return await self._cached(listing_date, categories)

        async def work() -> dict[str, list[Paper]]:
            missing = await self._missing(listing_date, categories)
            window = listing.submission_window(listing_date)
            fetched = await self._source.fetch_listing(missing, listing_date, window)
            await self._save(listing_date, missing, fetched)
            found = await self._cached(listing_date, categories)
            assert found is not None
            return found

        per = await self._flight.run(f"dated:{listing_date}:{'+'.join(sorted(categories))}", check, work)
        return merge(listing_date, categories, per)

    async def _latest(self, categories: tuple[str, ...]) -> Batch:
        now = self._clock()
        target = listing.latest_feed_listing(now)
        shown_key = "+".join(sorted(categories))

        async def check() -> tuple[date, dict[str, list[Paper]]] | None:
            per = await self._cached(target, categories)
            if per is not None:
                return target, per
            shown = await self._recently_shown(shown_key, target, now)
            if shown is not None:
                per = await self._cached(shown, categories)
                if per is not None:
                    return shown, per
            return None

        async def work() -> tuple[date, dict[str, list[Paper]]]:
            day = await self._fill_latest(categories, target, now)
            await self._store.cache_set("feedcheck", shown_key, day.isoformat(), ttl=FEED_RECHECK)
            per = await self._cached(day, categories)
            if per is None:
                # The feed showed a newer batch than expected while other categories were cached
                # for the expected one: the rest of that newer batch comes from the export API.
                remaining = await self._missing(day, categories)
                rest = await self._source.fetch_listing(remaining, day, listing.submission_window(day))
                await self._save(day, remaining, rest)
                per = await self._cached(day, categories)
                assert per is not None
            return day, per

        day, per = await self._flight.run(f"latest:{target}:{shown_key}", check, work)
        return merge(day, categories, per)

    async def _recently_shown(self, key: str, target: date, now: datetime) -> date | None:
        """The older batch the feed showed a moment ago, while its rebuild is still within grace."""
        if now >= listing.feed_ready_at(target) + FEED_GRACE:
            return None
        raw = await self._store.cache_get("feedcheck", key)
        return date.fromisoformat(raw) if raw else None

    async def _fill_latest(self, categories: tuple[str, ...], target: date, now: datetime) -> date:
        """Fetch what the cache lacks for the latest batch; return the listing date now cached."""
        missing = await self._missing(target, categories)
        feed: Batch | None = None
        feed_error: SourceError | None = None
        try:
            feed = await self._source.fetch_feed(missing)
        except SourceError as error:
            feed_error = error
            log.warning("feed_failed", error=str(error), categories=len(missing))
        if feed is not None and feed.listing_date >= target:
            await self._save(feed.listing_date, missing, feed)
            await self._note(feed.listing_date, feed.listing_date, now, feed, missing)
            return feed.listing_date
        rebuilding = now < listing.feed_ready_at(target) + FEED_GRACE
        if feed is not None and rebuilding and len(missing) == len(categories):
            # The feed is not rebuilt yet and nothing of the new batch is cached: serve the old one.
            # (If some categories were cached for the new batch, it is out: backfill the rest.)
            await self._save(feed.listing_date, missing, feed)
            await self._note(feed.listing_date, target, now, feed, missing)
            log.info("feed_not_rebuilt_yet", shown=str(feed.listing_date), expected=str(target))
            return feed.listing_date
        try:
            window = listing.submission_window(target)
            backfill = await self._source.fetch_listing(missing, target, window)
        except SourceError as error:
            if feed is not None:
                raise StaleFeed(feed.listing_date, target) from error
            raise (feed_error or error) from error
        await self._save(target, missing, backfill)
        shown = feed.listing_date if feed is not None else target
        await self._note(shown, target, now, backfill, missing)
        log.info("backfilled", listing_date=str(target), papers=len(backfill.papers), feed_shown=str(shown))
        return target

    async def _note(
        self, shown: date, expected: date, now: datetime, batch: Batch, categories: Sequence[str]
    ) -> None:
        counts = {c: len(ps) for c, ps in split_by_category(batch, categories).items()}
        previous = await self.feed_status()
        if previous is not None and previous.listing_date == shown:
            counts = {**previous.counts, **counts}
        status = FeedStatus(listing_date=shown, expected=expected, checked_at=now, counts=counts)
        await self._store.cache_set("meta", "feed", status.to_json())

    async def feed_status(self) -> FeedStatus | None:
        """The last batch seen and whether the feed looked stale then."""
        raw = await self._store.cache_get("meta", "feed")
        return FeedStatus.from_json(raw) if raw else None

    # -- digests -------------------------------------------------------------------------------------
    async def build(
        self,
        categories: Sequence[str],
        listing_date: date | None = None,
        language: str = "en",
        include_replacements: bool = False,
        summarizer: Summarizer | None = None,
        progress: Progress | None = None,
    ) -> Digest:
        """The digest of ``categories`` for one listing date, summarized in ``language``."""
        batch = await self.batch(categories, listing_date)
        main, replaced = order_for_digest(batch.papers)
        if not include_replacements:
            replaced = ()
        summarized = await (summarizer or self._summarizer).summarize(main + replaced, language, progress)
        return Digest(
            listing_date=batch.listing_date,
            categories=tuple(categories),
            language=language,
            papers=tuple(summarized[: len(main)]),
            updated=tuple(summarized[len(main) :]),
        )
