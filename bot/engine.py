"""The digest engine: categories + listing date + language (+ a chat's selection) → a Digest.

Batches are cached in the store per (listing date, category), so any number of chats asking for
any mix of categories cause one arXiv request per batch: only the categories missing from the
cache are fetched, all in one request, by one process at a time.

"Latest" means the batch the RSS feed should show now (``listing.latest_feed_listing``). What a
category's entry for a listing date holds, and how final it is:

- from the **feed** (``origin="rss"``): the day as arXiv announced it, final, even when empty (a
  combined feed whose other categories have items shows that this one really had none, unless its
  previous batch was busy: then its section is taken as missing);
- from the **export API** (``origin="api"``): the papers submitted in the day's window; the feed's
  record replaces it whenever the feed shows that day, and papers the feed saw announced on a later
  day (held for moderation) are left out; it may still miss papers announced late;
- **not yet available**: nothing is cached as the day. An empty API answer is re-asked once, then
  told apart by one more request (does the API list *any* submission of that window?): if it does,
  the category really had no papers; if not, the API has not caught up (or arXiv announced nothing:
  a holiday), and the day is asked for again later, spaced out (``api_reask`` doubling up to
  ``api_reask_max``), never cached as empty.

A feed that still shows an older batch is tolerated for ``FEED_GRACE`` after its usual rebuild (the
older batch is served meanwhile). After that, or when a category of a combined feed still lists
the previous batch's papers, or lists none although its previous batch had ``BUSY`` or more, or
when the feed is empty on a listing day or fails, the category is asked for from the export API. While neither has it, ``BatchNotReady`` (or, for one
category of several, a partial batch that names it in ``pending``) says so and when the engine asks
again; both arXiv hosts unreachable give one ``SourceUnavailable`` naming each and its cause.

What the last look at each category showed is kept per (listing date, category) in the store,
with the time of the next question, so ``/status`` and every process agree without asking arXiv.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal

import structlog

from bot import filters, listing
from bot.errors import (
    BatchNotReady,
    MalformedResponse,
    NotReadyReason,
    SourceError,
    SourceUnavailable,
    StaleFeed,
)
from bot.flight import SingleFlight
from bot.models import ANNOUNCE_TYPES, AnnounceType, Batch, Digest, Paper, Selection, type_of
from bot.ranking import DayIndex, Embedder, Profile, Ranked, Translator
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import Progress, Summarizer

log = structlog.get_logger(__name__)

BATCH_TTL = 21 * 24 * 3600.0
"""Seconds a category's papers of one listing date stay cached."""
LOOK_TTL = 4 * 24 * 3600.0
"""Seconds the record of the last look at a category-day is kept."""
FEED_GRACE = timedelta(hours=3)
"""How long after the feed's usual rebuild an older feed is taken as "not rebuilt yet"."""
FEED_RECHECK = timedelta(minutes=5)
"""Shortest wait before asking the feed again for a category whose day is not final."""
FAILED_RECHECK = timedelta(minutes=1)
"""Shortest wait before asking a host again after it failed."""
API_REASK = timedelta(minutes=5)
"""Wait before asking the export API again for a day it did not list yet; doubles each time."""
API_REASK_MAX = timedelta(hours=1)
"""Longest wait between two questions to the export API about one day."""
MAX_HOLD = 5
"""Listing days after a day whose feed records are checked for papers announced late (held)."""
BUSY = 10
"""Papers in a category's previous batch past which no item for it in a combined feed is taken as
its section missing (asked for from the export API), not as a day without papers."""
MAX_LOOKBACK = 7
"""Listing days searched back for the latest batch held, for ``/status``."""

Clock = Callable[[], datetime]
Origin = Literal["rss", "api"]
FeedSeen = Literal["current", "stale", "older", "empty", "failed"]


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- what is kept per (listing date, category) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One category's papers of one listing date, where they came from and when they were asked."""

    origin: Origin
    asked: datetime
    papers: tuple[Paper, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "origin": self.origin,
                "asked": self.asked.isoformat(),
                "papers": [p.to_dict() for p in self.papers],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Entry:
        data = json.loads(text)
        origin: Origin = "api" if data.get("origin") == "api" else "rss"
        return cls(
            origin, datetime.fromisoformat(data["asked"]), tuple(Paper.from_dict(p) for p in data["papers"])
        )


Failure = tuple[str, str, int]
"""``(host, cause, attempts)`` of a host that could not be reached."""


@dataclass(frozen=True, slots=True)
class Look:
    """What the last questions about one category-day showed, and when to ask again.

    ``feed``: the feed showed this day (``current``), the previous batch's papers under this day's
    date (``stale``), an older date (``older``, ``shown``), no items (``empty``), or failed
    (``failed``, ``feed_detail``; ``feed_failure`` if the host was unreachable). ``api``: None (not
    asked), ``listed`` (it had the day), ``lag`` (it listed nothing of the day's window yet) or
    ``failed`` (``api_detail``, ``api_failure``); ``api_asks`` counts the questions whose answer was
    not final (unanswered, or listed before the API surely had the whole day).
    """

    at: datetime
    feed: FeedSeen
    next_feed: datetime
    shown: date | None = None
    feed_detail: str | None = None
    feed_failure: Failure | None = None
    api: Literal["listed", "lag", "failed"] | None = None
    api_asks: int = 0
    next_api: datetime | None = None
    api_detail: str | None = None
    api_failure: Failure | None = None

    def to_json(self) -> str:
        data = {
            "at": self.at.isoformat(),
            "feed": self.feed,
            "next_feed": self.next_feed.isoformat(),
            "shown": self.shown.isoformat() if self.shown else None,
            "feed_detail": self.feed_detail,
            "feed_failure": list(self.feed_failure) if self.feed_failure else None,
            "api": self.api,
            "api_asks": self.api_asks,
            "next_api": self.next_api.isoformat() if self.next_api else None,
            "api_detail": self.api_detail,
            "api_failure": list(self.api_failure) if self.api_failure else None,
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Look:
        data = json.loads(text)

        def failure(value: list[object] | None) -> Failure | None:
            return (str(value[0]), str(value[1]), int(str(value[2]))) if value else None

        return cls(
            at=datetime.fromisoformat(data["at"]),
            feed=data["feed"],
            next_feed=datetime.fromisoformat(data["next_feed"]),
            shown=date.fromisoformat(data["shown"]) if data.get("shown") else None,
            feed_detail=data.get("feed_detail"),
            feed_failure=failure(data.get("feed_failure")),
            api=data.get("api"),
            api_asks=int(data.get("api_asks", 0)),
            next_api=datetime.fromisoformat(data["next_api"]) if data.get("next_api") else None,
            api_detail=data.get("api_detail"),
            api_failure=failure(data.get("api_failure")),
        )


def _key(listing_date: date, category: str) -> str:
    return f"{listing_date.isoformat()}|{category}"


# -- pure helpers ---------------------------------------------------------------------------------------


def relative_type(paper: Paper, categories: Sequence[str]) -> AnnounceType:
    """A paper's announce type as seen by someone following ``categories``: new if its primary
    category is among them, a cross-list otherwise; replacements stay replacements."""
    primary = paper.primary_category in categories
    if paper.announce_type.is_replacement:
        return AnnounceType.REPLACE if primary else AnnounceType.REPLACE_CROSS
    return AnnounceType.NEW if primary else AnnounceType.CROSS


def merge(
    listing_date: date, categories: Sequence[str], per_category: Mapping[str, Sequence[Paper]]
) -> Batch:
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


def digest_counts(papers: Sequence[Paper]) -> tuple[int, int]:
    """``(new, updated)`` as a digest counts them: new submissions and cross-lists, replacements."""
    main, replaced = order_for_digest(papers)
    return len(main), len(replaced)


def is_previous_batch(items: Sequence[Paper], previous: Sequence[Paper] | None) -> bool:
    """Whether a category's feed items are the previous batch's, not a new one.

    A paper is listed as new (or as a cross-list) in a category once, so a new batch never repeats
    the previous one's new items: the items are the previous batch when most of the new or
    cross-listed ones were in it (the previous batch may be the export API's record, which lacks
    cross-lists of older papers), or, with only replacements, when they are exactly its papers.
    False when there is no previous batch to compare with, or no items.
    """
    if not items or not previous:
        return False
    before = {p.id for p in previous}
    fresh = [p for p in items if not p.announce_type.is_replacement]
    if fresh:
        return 2 * sum(p.id in before for p in fresh) > len(fresh)
    return {p.id for p in items} == before


def without_repeats(
    items: Sequence[Paper], previous: Sequence[Paper] | None, stale: Sequence[Sequence[Paper]] = ()
) -> list[Paper]:
    """A current category's feed items less those that belong to an earlier batch.

    ``previous`` is the category's own previous batch as the feed announced it: a paper listed
    there as new or cross-listed is not listed so again (a cross-list added later belongs to the
    other category's day). (The export API's record of a day is not used here: it may hold a paper
    submitted that day but announced later.)
    ``stale`` are the previous batches of the categories of the same combined feed that are still
    on them: a combined feed lists a paper once, under all of its categories, so their papers (new
    and cross-listed ones by id, replacements by version) are not this category's new batch.
    """
    listed = {p.id for p in previous or () if not p.announce_type.is_replacement}
    versions = set()
    for papers in stale:
        for paper in papers:
            versions.add(paper.versioned_id)
            if not paper.announce_type.is_replacement:
                listed.add(paper.id)
    return [
        p
        for p in items
        if p.versioned_id not in versions and (p.announce_type.is_replacement or p.id not in listed)
    ]


def reask_delay(asks: int, first: timedelta = API_REASK, cap: timedelta = API_REASK_MAX) -> timedelta:
    """The wait before the next question after ``asks`` unanswered ones: ``first``, doubling, at most
    ``cap``."""
    return min(cap, first * (1 << max(0, min(asks - 1, 30))))


def unreachable(feed: Failure | None, api: Failure | None) -> SourceUnavailable:
    """One error naming each arXiv host tried (the feed's, the export API's), the cause in words
    and the requests sent to it."""

    def part(kind: str, failure: Failure) -> str:
        host, cause, attempts = failure
        return f"its {kind} at {host} ({cause}; {attempts} attempt{'s' if attempts != 1 else ''})"

    parts = [part(kind, f) for kind, f in (("feed", feed), ("export API", api)) if f is not None]
    return SourceUnavailable(
        "arXiv cannot be reached: " + " and ".join(parts) + "; try again later",
        failures=[f for f in (feed, api) if f is not None],
    )


def _failure(error: SourceError) -> Failure | None:
    """The first unreachable host of an error, if it is one."""
    if isinstance(error, SourceUnavailable) and error.failures:
        return error.failures[0]
    return None


def describe_failure(error: SourceError) -> str:
    """A source error as a short cause, for ``/status`` and the not-ready message."""
    if isinstance(error, SourceUnavailable) and error.failures:
        return "; ".join(f"{host}: {cause}" for host, cause, _ in error.failures)
    if isinstance(error, MalformedResponse) and error.cause:
        return f"it answered {error.cause}"
    return str(error)


# -- status -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """What the last look at arXiv showed, for ``/status`` (one per deployment, not per chat)."""

    listing_date: date
    expected: date
    checked_at: datetime
    counts: dict[str, int]
    """Per category: papers its digest shows (new submissions and cross-lists)."""
    updated: dict[str, int] = field(default_factory=dict)
    """Per category: replacements (shown only to chats that turned them on)."""

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
                "updated": self.updated,
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
            updated={k: int(v) for k, v in data.get("updated", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """A chat's view of arXiv for ``/status``, from the cache alone (no request).

    ``listing_date`` is the latest batch held for the chat's categories (None if none), ``new`` and
    ``updated`` count its papers as the chat's digest does (deduplicated across categories; updated
    are replacements), ``by_category`` the same ``(new, updated)`` per category. ``expected`` is
    the batch the calendar expects the feed to show now; ``pending`` the categories whose batch of ``expected`` is not to be had yet, ``stale`` those whose
    feed still lists the previous batch, ``from_api`` those served from the export API (may miss
    papers on hold). ``reason``/``detail`` say why ``expected`` is not (all) here; ``next_check``
    is when the engine asks arXiv again; ``unreachable`` names the hosts that failed.
    """

    expected: date
    listing_date: date | None = None
    new: int = 0
    updated: int = 0
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)
    pending: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    from_api: tuple[str, ...] = ()
    reason: NotReadyReason | None = None
    detail: str | None = None
    checked_at: datetime | None = None
    next_check: datetime | None = None
    unreachable: tuple[Failure, ...] = ()

    @property
    def up_to_date(self) -> bool:
        """The expected batch is held, whole, for every category."""
        return self.listing_date == self.expected and not self.pending


# -- the view of one listing day ---------------------------------------------------------------------


@dataclass(slots=True)
class _Day:
    """A listing day's cached entries and last looks for some categories."""

    listing_date: date
    categories: tuple[str, ...]
    entries: dict[str, Entry]
    looks: dict[str, Look]

    @property
    def missing(self) -> list[str]:
        return [c for c in self.categories if c not in self.entries]

    def from_api(self) -> tuple[str, ...]:
        return tuple(c for c in self.categories if c in self.entries and self.entries[c].origin == "api")


class DigestEngine:
    """Builds digests from the cache, the RSS feed and the export API.

    A chat's digest of a batch (``build``) keeps its announce types, then its filter, then ranks by
    its interests and 👍/👎 on the batch's ``DayIndex`` (built once per batch, kept in memory for
    the ``index_cache`` newest, shared by every chat; with ``embedder``, with the papers' vectors
    too; with ``translator``, interests in another language are put into English first), and
    summarizes only the papers shown in full. ``embedder`` and ``translator`` are optional; without
    them ranking is lexical and interests are read as written.
    """

    def __init__(
        self,
        store: Store,
        source: ArxivSource,
        summarizer: Summarizer,
        clock: Clock = utc_now,
        flight: SingleFlight | None = None,
        *,
        feed_recheck: timedelta = FEED_RECHECK,
        failed_recheck: timedelta = FAILED_RECHECK,
        api_reask: timedelta = API_REASK,
        api_reask_max: timedelta = API_REASK_MAX,
        embedder: Embedder | None = None,
        translator: Translator | None = None,
        index_cache: int = 8,
    ) -> None:
        self._store = store
        self._source = source
        self._summarizer = summarizer
        self._clock = clock
        self._flight = flight or SingleFlight(store)
        self._feed_recheck = feed_recheck
        self._failed_recheck = failed_recheck
        self._api_reask = api_reask
        self._api_reask_max = api_reask_max
        self._embedder = embedder
        self._translator = translator
        self._index_cache = max(1, index_cache)
        self._indexes: OrderedDict[tuple[date, tuple[str, ...], int], asyncio.Task[DayIndex[Paper]]] = (
            OrderedDict()
        )

    # -- batches -------------------------------------------------------------------------------------
    async def batch(self, categories: Sequence[str], listing_date: date | None = None) -> Batch:
        """The batch of ``listing_date`` (or the latest one) for ``categories``.

        A category whose papers of that day cannot be had yet is named in ``Batch.pending`` (the
        others are served); when none can be had, raises ``BatchNotReady`` (``StaleFeed`` when the
        feed still shows the previous batch), or ``SourceUnavailable`` naming the hosts that failed.
        """
        categories = tuple(dict.fromkeys(categories))
        now = self._clock()
        target = await self._target(now)
        if listing_date is None or listing_date == target:
            found = await self._latest(categories, target, now)
            if listing_date is None or found.listing_date == listing_date:
                return found
        assert listing_date is not None
        return await self._dated(categories, listing_date, now)

    async def _target(self, now: datetime) -> date:
        """The batch the feed should show now: by the calendar, or the newer one it already showed."""
        target = listing.latest_feed_listing(now)
        raw = await self._store.cache_get("meta", "newest")
        if raw:
            newest = date.fromisoformat(raw)
            if target < newest <= listing.next_listing_day(target):
                return newest
        return target

    async def _day(self, listing_date: date, categories: Sequence[str]) -> _Day:
        entries: dict[str, Entry] = {}
        looks: dict[str, Look] = {}
        for category in categories:
            raw = await self._store.cache_get("listing", _key(listing_date, category))
            if raw is not None:
                entries[category] = Entry.from_json(raw)
            seen = await self._store.cache_get("look", _key(listing_date, category))
            if seen is not None:
                looks[category] = Look.from_json(seen)
        return _Day(listing_date, tuple(categories), entries, looks)

    async def _save(self, listing_date: date, category: str, entry: Entry) -> None:
        await self._store.cache_set("listing", _key(listing_date, category), entry.to_json(), ttl=BATCH_TTL)

    async def _set_look(self, listing_date: date, category: str, look: Look) -> None:
        await self._store.cache_set("look", _key(listing_date, category), look.to_json(), ttl=LOOK_TTL)

    # -- the latest batch ------------------------------------------------------------------------------
    def _rebuilding(self, target: date, now: datetime) -> bool:
        """Whether an older feed is still within its usual rebuild time for ``target``."""
        return now < listing.feed_ready_at(target) + FEED_GRACE

    def _feed_due(self, day: _Day, now: datetime) -> list[str]:
        """Categories worth asking the feed about: no entry yet, or only the API's."""
        due = []
        for category in day.categories:
            entry = day.entries.get(category)
            if entry is not None and entry.origin == "rss":
                continue
            look = day.looks.get(category)
            if look is None or look.next_feed <= now:
                due.append(category)
        return due

    def _api_due(self, day: _Day, now: datetime) -> list[str]:
        """Categories the feed does not give for ``day`` now and the API may be asked about: not
        held, or held from an API answer given before the API surely lists the whole day, when
        their next question is due."""
        rebuilding = self._rebuilding(day.listing_date, now)
        out_elsewhere = any(e.origin == "rss" for e in day.entries.values())
        due = []
        for category in day.categories:
            look = day.looks.get(category)
            if look is None:
                continue
            entry = day.entries.get(category)
            if entry is not None:
                if entry.origin == "api" and look.next_api is not None and look.next_api <= now:
                    due.append(category)
                continue
            waiting_for_rebuild = look.feed in ("older", "empty") and rebuilding and not out_elsewhere
            if waiting_for_rebuild:
                continue
            if look.next_api is None or look.next_api <= now:
                due.append(category)
        return due

    async def _latest(self, categories: tuple[str, ...], target: date, now: datetime) -> Batch:
        shown_key = "+".join(sorted(categories))

        async def check() -> _Day | None:
            day = await self._day(target, categories)
            if self._feed_due(day, now) or self._api_due(day, now):
                return None
            return day

        async def work() -> _Day:
            day = await self._day(target, categories)
            asked = self._feed_due(day, now)
            if asked:
                newer = await self._ask_feed(day, asked, now)
                if newer is not None:
                    return await self._newer(categories, newer, now)
                day = await self._day(target, categories)
            wanted = self._api_due(day, now)
            if wanted:
                await self._ask_api(day, wanted, now)
                day = await self._day(target, categories)
            return day

        day = await self._flight.run(f"latest:{target}:{shown_key}", check, work)
        return await self._latest_result(day, now)

    async def _newer(self, categories: tuple[str, ...], newer: date, now: datetime) -> _Day:
        """The feed already shows ``newer`` than the calendar expects: complete that day instead."""
        await self._store.cache_set("meta", "newest", newer.isoformat(), ttl=LOOK_TTL)
        day = await self._day(newer, categories)
        asked = self._feed_due(day, now)
        if asked:
            await self._ask_feed(day, asked, now)
            day = await self._day(newer, categories)
        wanted = self._api_due(day, now)
        if wanted:
            await self._ask_api(day, wanted, now)
            day = await self._day(newer, categories)
        return day

    async def _ask_feed(self, day: _Day, categories: list[str], now: datetime) -> date | None:
        """One feed request for ``categories``; records what it showed. Returns a listing date newer
        than ``day`` if the feed shows one (its papers are saved under that date)."""
        target = day.listing_date
        try:
            feed = await self._source.fetch_feed(categories)
        except SourceError as error:
            detail = describe_failure(error)
            failure = _failure(error)
            log.info("arxiv_feed_failed", listing_date=str(target), categories=len(categories), error=detail)
            for category in categories:
                look = self._looked(day, category, now, "failed", None, detail, failure)
                await self._set_look(target, category, look)
            return None
        if feed is None:
            for category in categories:
                await self._set_look(target, category, self._looked(day, category, now, "empty", None))
            return None
        per = split_by_category(feed, categories)
        if feed.listing_date < target:
            shown = feed.listing_date
            for category in categories:
                older = await self._entry(shown, category)
                if older is None or older.origin == "api":
                    await self._save(shown, category, Entry("rss", now, tuple(per[category])))
                await self._set_look(target, category, self._looked(day, category, now, "older", shown))
            await self._note(shown, target, now, per)
            return None
        if feed.listing_date == target:
            await self._take_current(day, categories, per, now)
            return None
        await self._take_current(await self._day(feed.listing_date, categories), categories, per, now)
        return feed.listing_date

    async def _take_current(
        self, day: _Day, categories: Sequence[str], per: Mapping[str, Sequence[Paper]], now: datetime
    ) -> None:
        """Record a feed that shows ``day``: each category's items are its batch, but for a category
        still listing the previous batch's papers (stale: recorded as such, asked for again), a
        category without items whose previous batch had ``BUSY`` or more (its section missing:
        asked for again, and from the export API), and the papers of an earlier batch that a
        combined feed lists under a current category too."""
        listing_date = day.listing_date
        previous_day = listing.previous_listing_day(listing_date)
        previous: dict[str, tuple[Paper, ...] | None] = {}
        announced: dict[str, tuple[Paper, ...] | None] = {}
        for category in categories:
            entry = await self._entry(previous_day, category)
            previous[category] = entry.papers if entry is not None else None
            announced[category] = entry.papers if entry is not None and entry.origin == "rss" else None
        stale = [c for c in categories if is_previous_batch(per[c], previous[c])]
        kept: dict[str, list[Paper]] = {}
        for category in categories:
            if category in stale:
                look = self._looked(day, category, now, "stale", previous_day)
                await self._set_look(listing_date, category, look)
                continue
            if not per[category] and len(previous[category] or ()) >= BUSY:
                look = self._looked(day, category, now, "empty", None)
                await self._set_look(listing_date, category, look)
                continue
            papers = without_repeats(per[category], announced[category], [previous[c] or () for c in stale])
            kept[category] = papers
            await self._save(listing_date, category, Entry("rss", now, tuple(papers)))
            await self._set_look(
                listing_date, category, self._looked(day, category, now, "current", listing_date)
            )
        newly = [c for c in stale if c not in day.looks or day.looks[c].feed != "stale"]
        if newly:
            log.warning(
                "arxiv_feed_stale_categories",
                listing_date=str(listing_date),
                stale=",".join(newly),
                shows=str(previous_day),
            )
        await self._note(listing_date, listing_date, now, kept)

    def _looked(
        self,
        day: _Day,
        category: str,
        now: datetime,
        seen: FeedSeen,
        shown: date | None,
        detail: str | None = None,
        failure: Failure | None = None,
    ) -> Look:
        """The look after a feed answer, keeping what the API said before."""
        wait = self._failed_recheck if seen == "failed" else self._feed_recheck
        fresh = Look(
            at=now, feed=seen, next_feed=now + wait, shown=shown, feed_detail=detail, feed_failure=failure
        )
        before = day.looks.get(category)
        if before is None:
            return fresh
        return replace(
            fresh,
            api=before.api,
            api_asks=before.api_asks,
            next_api=before.next_api,
            api_detail=before.api_detail,
            api_failure=before.api_failure,
        )

    async def _entry(self, listing_date: date, category: str) -> Entry | None:
        raw = await self._store.cache_get("listing", _key(listing_date, category))
        return Entry.from_json(raw) if raw is not None else None

    async def _ask_api(self, day: _Day, categories: list[str], now: datetime) -> None:
        """Ask the export API for ``categories`` of ``day``; save what it lists, or note when to ask
        again. An empty answer is asked once more, then checked against the whole window."""
        listing_date = day.listing_date
        window = listing.submission_window(listing_date)
        try:
            found = await self._source.fetch_listing(categories, listing_date, window)
            if not found.papers:
                found = await self._source.fetch_listing(categories, listing_date, window)
            listed = bool(found.papers) or await self._source.has_submissions(window)
        except SourceError as error:
            detail = describe_failure(error)
            log.info(
                "arxiv_api_failed", listing_date=str(listing_date), categories=len(categories), error=detail
            )
            for category in categories:
                await self._api_looked(day, category, now, "failed", detail, _failure(error))
            return
        if not listed:
            log.info("arxiv_api_lags", listing_date=str(listing_date), categories=len(categories))
            for category in categories:
                await self._api_looked(day, category, now, "lag")
            return
        per = split_by_category(found, categories)
        for category in categories:
            papers = list(per[category])
            before = day.entries.get(category)
            if before is not None and before.origin == "api":
                have = {p.id for p in papers}
                papers += [p for p in before.papers if p.id not in have]
            await self._save(listing_date, category, Entry("api", now, tuple(papers)))
            await self._api_looked(day, category, now, "listed")
        log.info(
            "backfilled", listing_date=str(listing_date), papers=len(found.papers), categories=len(categories)
        )

    async def _api_looked(
        self,
        day: _Day,
        category: str,
        now: datetime,
        outcome: Literal["listed", "lag", "failed"],
        detail: str | None = None,
        failure: Failure | None = None,
    ) -> None:
        """Record the API's answer about one category-day and when to ask it again: an answer
        given before the API surely lists the whole day (``listing.settled_at``) may be short, and
        is asked for again, spaced out, until the feed gives the day or it is settled."""
        before = day.looks.get(category) or Look(at=now, feed="empty", next_feed=now)
        asks = before.api_asks + 1
        unsettled = now < listing.settled_at(day.listing_date)
        next_api: datetime | None = None
        if outcome == "failed":
            next_api = now + min(self._api_reask_max, self._failed_recheck * asks)
        elif outcome == "lag" or unsettled:
            next_api = now + reask_delay(asks, self._api_reask, self._api_reask_max)
        look = replace(
            before,
            api=outcome,
            api_asks=0 if outcome == "listed" and not unsettled else asks,
            next_api=next_api,
            api_detail=detail,
            api_failure=failure,
        )
        day.looks[category] = look
        await self._set_look(day.listing_date, category, look)

    async def _latest_result(self, day: _Day, now: datetime) -> Batch:
        """The batch for ``day``'s categories: whole, partial (``pending``), the previous batch while
        the feed is being rebuilt, or an error saying why it cannot be had."""
        per = await self._papers(day)
        pending = tuple(day.missing)
        stale = tuple(c for c in day.categories if c in pending and self._reason_of(day, c) == "stale")
        if len(pending) < len(day.categories):
            return replace(
                merge(day.listing_date, day.categories, per),
                expected=day.listing_date,
                pending=pending,
                stale=stale,
                from_api=day.from_api(),
                final=not pending and not day.from_api(),
            )
        previous = await self._previous(day, now)
        if previous is not None:
            return previous
        raise self._not_ready(day)

    async def _previous(self, day: _Day, now: datetime) -> Batch | None:
        """While the feed is being rebuilt and shows nothing newer, the batch it showed before."""
        if not self._rebuilding(day.listing_date, now):
            return None
        looks = [day.looks.get(c) for c in day.categories]
        if any(look is None or look.feed not in ("older", "empty") for look in looks):
            return None
        shown = {look.shown for look in looks if look is not None and look.shown is not None}
        before = max(shown) if shown else listing.previous_listing_day(day.listing_date)
        older = await self._day(before, day.categories)
        if older.missing:
            try:
                return replace(await self._dated(day.categories, before, now), expected=day.listing_date)
            except SourceError:
                return None
        log.info("feed_not_rebuilt_yet", shown=str(before), expected=str(day.listing_date))
        return replace(
            merge(before, day.categories, await self._papers(older)),
            expected=day.listing_date,
            from_api=older.from_api(),
        )

    def _reason_of(self, day: _Day, category: str) -> NotReadyReason:
        look = day.looks.get(category)
        if look is None:
            return "api_lag"
        if look.feed == "failed":
            return "feed_failed"
        if look.feed in ("stale", "older"):
            return "stale"
        out_elsewhere = any(e.origin == "rss" for e in day.entries.values())
        if (
            look.feed == "empty"
            and not out_elsewhere
            and look.at.astimezone(listing.ET).date() == day.listing_date
        ):
            return "empty_feed"  # the feed is empty on the very day it should show the batch
        return "api_lag"

    def _not_ready(self, day: _Day, dated: bool = False) -> SourceError:
        """The error for a day none of whose categories can be had: both hosts unreachable, the
        feed stale, or not ready for another reason, with the time of the next question."""
        looks = [day.looks[c] for c in day.missing if c in day.looks]
        feed_failure = None if dated else next((k.feed_failure for k in looks if k.feed_failure), None)
        api_failure = next((k.api_failure for k in looks if k.api == "failed" and k.api_failure), None)
        if api_failure is not None and (dated or feed_failure is not None):
            return unreachable(feed_failure, api_failure)
        times = [k.next_api for k in looks if k.next_api is not None]
        if not dated:
            times += [k.next_feed for k in looks]
        retry_at = min(times, default=None)
        reasons = {self._reason_of(day, c) for c in day.missing} if not dated else {"api_lag"}
        reason: NotReadyReason = next(
            (r for r in ("feed_failed", "stale", "empty_feed") if r in reasons), "api_lag"
        )
        api_detail = next((k.api_detail for k in looks if k.api == "failed"), None)
        shown = max((k.shown for k in looks if k.shown and k.shown < day.listing_date), default=None)
        if reason == "stale" and shown is not None:
            return StaleFeed(shown, day.listing_date, day.missing, retry_at, api_detail)
        feed_detail = None if dated else next((k.feed_detail for k in looks if k.feed_detail), None)
        return BatchNotReady(
            day.listing_date,
            day.missing,
            reason,
            retry_at,
            shown=shown,
            detail=feed_detail,
            api_detail=api_detail,
        )

    async def _papers(self, day: _Day) -> dict[str, list[Paper]]:
        """Each category's papers of ``day``; from the export API, less the papers the feed saw
        announced on a later day (they were held, and belong to that day)."""
        out: dict[str, list[Paper]] = {}
        for category, entry in day.entries.items():
            papers = list(entry.papers)
            if entry.origin == "api" and papers:
                later = await self._announced_later(day.listing_date, category)
                papers = [p for p in papers if p.id not in later]
            out[category] = papers
        return out

    async def _announced_later(self, listing_date: date, category: str) -> set[str]:
        """Ids the feed listed as new or cross-listed in ``category`` on the listing days after ``listing_date``."""
        ids: set[str] = set()
        day = listing_date
        for _ in range(MAX_HOLD):
            day = listing.next_listing_day(day)
            entry = await self._entry(day, category)
            if entry is not None and entry.origin == "rss":
                ids.update(p.id for p in entry.papers if not p.announce_type.is_replacement)
        return ids

    # -- past listing dates ------------------------------------------------------------------------------
    def _dated_due(self, day: _Day, now: datetime) -> list[str]:
        """Categories to ask the API about: not held and due again, or held from an answer given
        before the API surely listed the whole day (asked once more after that)."""
        settled = listing.settled_at(day.listing_date)
        due = []
        for category in day.categories:
            entry = day.entries.get(category)
            if entry is not None:
                if entry.origin == "api" and entry.asked < settled <= now:
                    due.append(category)
                continue
            look = day.looks.get(category)
            if look is None or look.next_api is None or look.next_api <= now:
                due.append(category)
        return due

    async def _dated(self, categories: tuple[str, ...], listing_date: date, now: datetime) -> Batch:
        async def check() -> _Day | None:
            day = await self._day(listing_date, categories)
            return None if self._dated_due(day, now) else day

        async def work() -> _Day:
            day = await self._day(listing_date, categories)
            wanted = self._dated_due(day, now)
            if wanted:
                await self._ask_api(day, wanted, now)
                day = await self._day(listing_date, categories)
            return day

        day = await self._flight.run(f"dated:{listing_date}:{'+'.join(sorted(categories))}", check, work)
        pending = tuple(day.missing)
        if len(pending) == len(categories):
            raise self._not_ready(day, dated=True)
        settled = listing.settled_at(listing_date)
        unsettled = any(e.origin == "api" and e.asked < settled for e in day.entries.values())
        return replace(
            merge(listing_date, categories, await self._papers(day)),
            expected=listing_date,
            pending=pending,
            from_api=day.from_api(),
            final=not pending and not unsettled,
        )

    # -- status ------------------------------------------------------------------------------------------
    async def _note(
        self, shown: date, expected: date, now: datetime, per: Mapping[str, Sequence[Paper]]
    ) -> None:
        counts: dict[str, int] = {}
        updated: dict[str, int] = {}
        for category, papers in per.items():
            counts[category], updated[category] = digest_counts(papers)
        previous = await self.feed_status()
        if previous is not None and previous.listing_date == shown:
            counts = {**previous.counts, **counts}
            updated = {**previous.updated, **updated}
        status = FeedStatus(
            listing_date=shown, expected=expected, checked_at=now, counts=counts, updated=updated
        )
        await self._store.cache_set("meta", "feed", status.to_json())

    async def feed_status(self) -> FeedStatus | None:
        """The last batch the feed showed, and the one expected then (any categories)."""
        raw = await self._store.cache_get("meta", "feed")
        return FeedStatus.from_json(raw) if raw else None

    async def status(self, categories: Sequence[str], selection: Selection | None = None) -> BatchStatus:
        """What ``categories`` stand at now, from the cache alone: the batch held, its counts as the
        digest of a chat with ``selection`` counts them (its announce types and filter; default: every
        paper, replacements counted apart), and, if the expected batch is not (all) here, why and until
        when."""
        categories = tuple(dict.fromkeys(categories))
        selection = selection or Selection(types=ANNOUNCE_TYPES)
        now = self._clock()
        target = await self._target(now)
        day = await self._day(target, categories)
        pending = tuple(day.missing)
        held: _Day | None = day if len(pending) < len(categories) else None
        candidate = target
        for _ in range(MAX_LOOKBACK):
            if held is not None or not categories:
                break
            candidate = listing.previous_listing_day(candidate)
            older = await self._day(candidate, categories)
            if not older.missing:
                held = older
        new = updated = 0
        by_category: dict[str, tuple[int, int]] = {}
        if held is not None:
            per = await self._papers(held)
            batch = merge(held.listing_date, categories, per)
            new, updated = digest_counts(chosen(batch.papers, selection))
            by_category = {
                c: digest_counts(chosen(merge(held.listing_date, categories, {c: per[c]}).papers, selection))
                for c in categories
                if c in per
            }
        looks = [day.looks[c] for c in pending if c in day.looks]
        reason: NotReadyReason | None = None
        detail: str | None = None
        hosts: tuple[Failure, ...] = ()
        if looks:
            error = self._not_ready(day)
            if isinstance(error, BatchNotReady):
                reason = error.reason
                detail = error.detail or error.api_detail
            elif isinstance(error, SourceUnavailable):
                hosts = error.failures
                detail = str(error)
        times = [t for look in looks for t in (look.next_feed, look.next_api) if t is not None]
        return BatchStatus(
            expected=target,
            listing_date=held.listing_date if held is not None else None,
            new=new,
            updated=updated,
            by_category=by_category,
            pending=pending,
            stale=tuple(c for c in pending if c in day.looks and self._reason_of(day, c) == "stale"),
            from_api=held.from_api() if held is not None else (),
            reason=reason,
            detail=detail,
            checked_at=max((look.at for look in day.looks.values()), default=None),
            next_check=min(times, default=None),
            unreachable=hosts,
        )

    # -- selection and ranking ---------------------------------------------------------------------------
    async def select(self, batch: Batch, selection: Selection) -> tuple[tuple[Paper, ...], tuple[Paper, ...]]:
        """``(main, replacements)`` of ``batch`` for a chat: its announce types, then its filter,
        then most relevant first (each paper with its ``relevance``) when it has interests or
        feedback, else arXiv's order (new submissions, then cross-lists)."""
        papers = chosen(batch.papers, selection)
        if not selection.ranked or not papers:
            return order_for_digest(papers)
        keep = {p.id for p in papers}
        ranked = [
            replace(r.paper, relevance=round(r.relevance, 6))
            for r in await self.rank(batch, selection)
            if r.paper.id in keep
        ]
        return (
            tuple(p for p in ranked if not p.announce_type.is_replacement),
            tuple(p for p in ranked if p.announce_type.is_replacement),
        )

    async def rank(self, batch: Batch, selection: Selection) -> list[Ranked[Paper]]:
        """Every paper of ``batch`` for ``selection``'s interests and feedback, most relevant first,
        on the batch's shared index (see ``bot.ranking``)."""
        index = await self.index(batch)
        profile, extra = await self._profile(selection, index)
        return index.rank(profile, extra)

    async def index(self, batch: Batch) -> DayIndex[Paper]:
        """The batch's ``DayIndex``, built once (with embeddings when an embedder is configured)
        and kept in memory for the ``index_cache`` most recent batches; every chat ranks on it."""
        key = (batch.listing_date, batch.categories, hash(tuple(p.versioned_id for p in batch.papers)))
        task = self._indexes.get(key)
        if task is None:
            task = asyncio.ensure_future(self._make_index(batch.papers))
            self._indexes[key] = task
            while len(self._indexes) > self._index_cache:
                oldest = next(iter(self._indexes))
                if not self._indexes[oldest].done():
                    break
                self._indexes.pop(oldest)
        else:
            self._indexes.move_to_end(key)
        try:
            return await asyncio.shield(task)
        except Exception:
            if self._indexes.get(key) is task:
                del self._indexes[key]
            raise

    async def _make_index(self, papers: Sequence[Paper]) -> DayIndex[Paper]:
        vectors: Mapping[str, Sequence[float]] = {}
        if self._embedder is not None:
            vectors = await self._embedder.embed_papers(papers)
        index = await asyncio.to_thread(DayIndex, papers, vectors)
        log.info("day_indexed", papers=len(papers), embeddings=len(vectors))
        return index

    async def _profile(
        self, selection: Selection, index: DayIndex[Paper]
    ) -> tuple[Profile, dict[str, Sequence[float]]]:
        """The chat's ranking profile: interests in English (translated once when an LLM is
        configured), its 👍/👎, and with embeddings the vectors of the interests and of voted papers
        not in the day."""
        interests = " ".join(selection.interests.split())
        if interests and self._translator is not None:
            interests = await self._translator.to_english(interests)
        liked = tuple(f for f in selection.feedback if f.liked)
        disliked = tuple(f for f in selection.feedback if not f.liked)
        vector: Sequence[float] | None = None
        extra: dict[str, Sequence[float]] = {}
        if self._embedder is not None:
            embedder = self._embedder
            if interests:
                vector = await embedder.embed_text(interests)
            day = {p.id for p in index.papers}
            others = [f for f in selection.feedback if f.paper_id not in day and (f.title or f.abstract)]
            found = await asyncio.gather(*(embedder.embed_text(f"{f.title}\n\n{f.abstract}") for f in others))
            extra = {f.paper_id: v for f, v in zip(others, found, strict=True) if v is not None}
        return Profile(interests, liked, disliked, vector), extra

    async def find_paper(self, categories: Sequence[str], paper_id: str) -> Paper | None:
        """The paper ``paper_id`` (no version): from the batches held for ``categories`` (the latest
        and the ``MAX_LOOKBACK`` listing days before it), else from arXiv's export API by id; None
        when arXiv has no such paper. Raises ``SourceError`` when arXiv cannot be reached."""
        day = await self._target(self._clock())
        for _ in range(MAX_LOOKBACK + 1):
            for category in dict.fromkeys(categories):
                entry = await self._entry(day, category)
                if entry is None:
                    continue
                for paper in entry.papers:
                    if paper.id == paper_id:
                        return paper
            day = listing.previous_listing_day(day)
        found = [p for p in await self._source.lookup([paper_id]) if p.id == paper_id]
        return found[0] if found else None

    # -- digests -------------------------------------------------------------------------------------
    async def build(
        self,
        categories: Sequence[str],
        listing_date: date | None = None,
        language: str = "en",
        selection: Selection | None = None,
        summarizer: Summarizer | None = None,
        progress: Progress | None = None,
        *,
        summarize: bool = True,
    ) -> Digest:
        """The digest of ``categories`` for one listing date in ``language``: every paper matching
        ``selection`` (default: new submissions and cross-lists, all shown in full), in the chat's
        order, ``announced`` and ``matched`` counted, ``shown`` its ``top``. With ``summarize``, the
        papers shown in full are summarized (the rest keep ``summary_source`` ``none``).

        Carries ``pending`` (categories whose papers of that day cannot be had yet), ``from_api``
        (categories served from the export API, which may miss papers on hold) and ``final``
        (nothing more is expected for that day). Raises as ``batch`` does.
        """
        selection = selection or Selection()
        batch = await self.batch(categories, listing_date)
        main, replaced = await self.select(batch, selection)
        matched = len(main) + len(replaced)
        digest = Digest(
            listing_date=batch.listing_date,
            categories=tuple(categories),
            language=language,
            papers=main,
            updated=replaced,
            pending=batch.pending,
            from_api=batch.from_api,
            final=batch.final,
            announced=len(batch.papers),
            matched=matched,
            shown=None if selection.top is None else min(selection.top, matched),
        )
        if summarize:
            digest = await self.summarize_full(digest, summarizer, progress)
        return digest

    async def summarize_full(
        self, digest: Digest, summarizer: Summarizer | None = None, progress: Progress | None = None
    ) -> Digest:
        """``digest`` with a summary for each paper shown in full that has none yet (the others
        untouched; one LLM call per paper version and language at most, through the summarizer's
        cache)."""
        full = digest.full
        todo = [p for p in full if p.summary_source == "none" and not p.summary]
        if not todo:
            return digest
        done = await (summarizer or self._summarizer).summarize(todo, digest.language, progress)
        return digest.with_summaries(done)


def chosen(papers: Sequence[Paper], selection: Selection) -> list[Paper]:
    """The papers a chat's digest keeps, in their order: its announce types, then its filter."""
    wanted = set(selection.types)
    kept = [p for p in papers if type_of(p.announce_type) in wanted]
    flt = parsed_filter(selection.filters)
    return filters.apply(flt, kept) if flt is not None else kept


def parsed_filter(text: str) -> filters.Filter | None:
    """A chat's stored filter text parsed (None when empty, or not a filter any more)."""
    if not text.strip():
        return None
    try:
        return _parse_filter(text)
    except filters.BadFilter:
        log.warning("stored_filter_unreadable", chars=len(text))
        return None


@lru_cache(maxsize=1024)
def _parse_filter(text: str) -> filters.Filter:
    return filters.parse(text)
