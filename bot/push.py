"""The push: each due chat receives the papers of its categories it has not received yet.

One cycle (``Pusher.run_once``) pages through the due-time index, never loading every chat. Each
chat is claimed in the store for the time of its push, so replicas on one store never push the same
chat at once; a chat another process holds is left to it. Papers are marked received as each message
is acknowledged, so a process killed mid-push repeats at most the message in flight, and a chat
never gets a paper twice (``/today`` counts too).

Digests are built once per cycle for each (categories, language, replacements) and the categories of
a page of chats are fetched in one request, so a push costs one arXiv request per batch.

A chat that missed batches while the bot was down gets them first, oldest first (up to
``MAX_BACKLOG``), from the export API. After its push a chat is rescheduled (``schedule.reschedule``): its next push with a new batch, or a
short wait when the batch it is due for is not in the feed yet (catch-up), or a retry when delivery
or arXiv failed. A chat that blocked the bot is unsubscribed; a migrated chat moves and is sent to
at its new id.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import structlog

from bot import listing
from bot.delivery import Platform
from bot.engine import Clock, utc_now
from bot.errors import BatchNotReady, ChatGone, ChatMigrated, DeliveryFailed, SourceError
from bot.flight import default_owner
from bot.i18n import t
from bot.metrics import Metrics
from bot.models import Batch, ChatKey, ChatSettings, Digest
from bot.schedule import awaiting_batch, brings_batch, last_instant, mark_retry, reschedule
from bot.store.base import Store

log = structlog.get_logger(__name__)

MAX_MIGRATIONS = 3
"""A chat followed through at most this many id changes in one push."""

MAX_BACKLOG = 5
"""A chat that missed batches (the bot was down over several announcements) gets at most this many
earlier batches before the latest one."""

GroupKey = tuple[tuple[str, ...], str, bool, date | None]


class DigestBuilder(Protocol):
    """What the push needs of the engine (``bot.engine.DigestEngine``)."""

    async def batch(self, categories: Sequence[str], listing_date: date | None = None) -> Batch: ...

    async def build(
        self,
        categories: Sequence[str],
        listing_date: date | None = None,
        language: str = "en",
        include_replacements: bool = False,
    ) -> Digest: ...


@dataclass(slots=True)
class PushReport:
    """What one cycle did, chat by chat."""

    chats: int = 0
    """Chats taken up (due, or every subscribed chat with ``everyone``)."""
    sent: int = 0
    """Chats that received at least one message."""
    messages: int = 0
    papers: int = 0
    nothing_new: int = 0
    """Chats that had already received every paper of their digest."""
    waiting: int = 0
    """Chats whose batch is not in the feed yet; they are due again shortly."""
    retry: int = 0
    """Chats whose delivery failed; they are due again after a backoff."""
    gone: int = 0
    migrated: int = 0
    skipped: int = 0
    """Chats another process was pushing, or had pushed already."""
    no_platform: int = 0
    """Due chats of a platform this process does not run."""
    source_errors: int = 0
    errors: int = 0

    @property
    def unreachable(self) -> bool:
        """arXiv could not be reached and nothing was sent."""
        return self.source_errors > 0 and self.sent == 0


@dataclass(slots=True)
class _Job:
    chat: ChatKey
    settings: ChatSettings


@dataclass(slots=True)
class _Cycle:
    now: datetime
    everyone: bool
    report: PushReport
    queue: asyncio.Queue[_Job | None]
    digests: _Digests
    pending: set[ChatKey] = field(default_factory=set)
    """Chats taken from the due index this cycle that may still be in it (queued, in flight,
    claimed elsewhere, or of another platform)."""
    taken: set[int] = field(default_factory=set)
    """Hashes of the chats taken up this cycle, so a due-index read that raced with their reschedule
    cannot bring them back (hashes keep this small with 100,000 chats; a collision only defers a
    chat to the next cycle)."""
    held: dict[str, str] = field(default_factory=dict)
    """Claims held now: name → owner."""
    platforms_missing: set[str] = field(default_factory=set)

    @property
    def now_ts(self) -> float:
        return self.now.timestamp()


class _Digests:
    """Digests built in one cycle, one build per group shared by every chat in it; the most recently
    used ``capacity`` are kept."""

    def __init__(self, engine: DigestBuilder, capacity: int) -> None:
        self._engine = engine
        self._capacity = capacity
        self._tasks: OrderedDict[GroupKey, asyncio.Task[Digest]] = OrderedDict()

    async def get(self, settings: ChatSettings, listing_date: date | None = None) -> Digest:
        key: GroupKey = (settings.categories, settings.language, settings.include_replacements, listing_date)
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(
                self._engine.build(
                    settings.categories,
                    listing_date,
                    settings.language,
                    include_replacements=settings.include_replacements,
                )
            )
            self._tasks[key] = task
            self._evict()
        else:
            self._tasks.move_to_end(key)
        return await asyncio.shield(task)

    def _evict(self) -> None:
        while len(self._tasks) > self._capacity:
            oldest = next(iter(self._tasks))
            if not self._tasks[oldest].done():
                return
            self._tasks.pop(oldest)

    def close(self) -> None:
        for task in self._tasks.values():
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # retrieved: a failed build was reported to its chats already
        self._tasks.clear()


class Pusher:
    """Pushes due digests to chats through their platforms."""

    def __init__(
        self,
        store: Store,
        engine: DigestBuilder,
        platforms: Mapping[str, Platform],
        *,
        clock: Clock = utc_now,
        metrics: Metrics | None = None,
        owner: str | None = None,
        concurrency: int = 64,
        page_size: int = 500,
        poll: timedelta = timedelta(minutes=10),
        retry: timedelta = timedelta(minutes=2),
        claim_ttl: float = 300.0,
        digest_cache: int = 32,
    ) -> None:
        if concurrency < 1 or page_size < 1:
            raise ValueError("concurrency and page_size must be at least 1")
        self._store = store
        self._engine = engine
        self._platforms = dict(platforms)
        self._clock = clock
        self._metrics = metrics
        self.owner = owner or default_owner()
        self._concurrency = concurrency
        self._page_size = page_size
        self._poll = poll
        self._retry = retry
        self._claim_ttl = claim_ttl
        self._digest_cache = digest_cache
        self._jobs = itertools.count()
        self._stopping = False

    def stop(self) -> None:
        """Take up no more chats; the cycle running finishes the chats it is pushing."""
        self._stopping = True

    # -- the cycle ---------------------------------------------------------------------------------------
    async def run_once(self, now: datetime | None = None, everyone: bool = False) -> PushReport:
        """One push cycle at ``now``: every chat due by then (or, with ``everyone``, every subscribed
        chat) receives what it has not received yet, and is rescheduled."""
        now = now or self._clock()
        started = asyncio.get_running_loop().time()
        cycle = _Cycle(
            now=now,
            everyone=everyone,
            report=PushReport(),
            queue=asyncio.Queue(maxsize=self._page_size),
            digests=_Digests(self._engine, self._digest_cache),
        )
        workers = [asyncio.create_task(self._worker(cycle)) for _ in range(self._concurrency)]
        keeper = asyncio.create_task(self._keep_claims(cycle))
        try:
            try:
                if everyone:
                    await self._produce_everyone(cycle)
                else:
                    await self._produce_due(cycle)
            finally:
                for _ in workers:
                    await cycle.queue.put(None)
                await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            keeper.cancel()
            cycle.digests.close()
        report = cycle.report
        elapsed = asyncio.get_running_loop().time() - started
        if self._metrics is not None:
            self._metrics.push_cycle_seconds.observe(elapsed)
            self._metrics.push_last_cycle.set(self._clock().timestamp())
        if cycle.platforms_missing:
            log.warning(
                "push_platform_missing", platforms=sorted(cycle.platforms_missing), chats=report.no_platform
            )
        if report.chats or report.no_platform:
            log.info(
                "push_cycle",
                everyone=everyone,
                seconds=round(elapsed, 3),
                **asdict(report),
            )
        return report

    async def _produce_due(self, cycle: _Cycle) -> None:
        while not self._stopping:
            rows = await self._store.due_chats(cycle.now_ts, limit=self._page_size + len(cycle.pending))
            fresh = [chat for chat, _ in rows if chat not in cycle.pending and hash(chat) not in cycle.taken]
            if not fresh:
                return
            cycle.pending.update(fresh)
            cycle.taken.update(hash(chat) for chat in fresh)
            chats = [chat for chat in fresh if self._runs(chat, cycle)]
            found = await asyncio.gather(*(self._store.get_chat(chat) for chat in chats))
            jobs: list[_Job] = []
            for chat, settings in zip(chats, found, strict=True):
                if settings is None or not settings.categories:
                    await self._store.set_due(chat, None)
                    cycle.pending.discard(chat)
                    continue
                jobs.append(_Job(chat, settings))
            await self._enqueue(cycle, jobs)

    async def _produce_everyone(self, cycle: _Cycle) -> None:
        page: list[_Job] = []
        async for settings in self._store.iter_chats(self._page_size):
            if self._stopping:
                return
            if settings.categories and self._runs(settings.chat, cycle):
                page.append(_Job(settings.chat, settings))
            if len(page) >= self._page_size:
                await self._enqueue(cycle, page)
                page = []
        if page and not self._stopping:
            await self._enqueue(cycle, page)

    def _runs(self, chat: ChatKey, cycle: _Cycle) -> bool:
        if chat.platform in self._platforms:
            return True
        cycle.platforms_missing.add(chat.platform)
        cycle.report.no_platform += 1
        return False

    async def _enqueue(self, cycle: _Cycle, jobs: list[_Job]) -> None:
        """Fetch the page's categories in one request, then hand its chats to the workers."""
        categories = sorted({c for job in jobs for c in job.settings.categories})
        if categories:
            try:
                await self._engine.batch(categories)
            except BatchNotReady:
                pass  # each chat waits for it; the engine said why, once
            except Exception as error:  # each chat's own build reports it again
                log.warning("push_prefetch_failed", error=str(error), categories=len(categories))
        for job in jobs:
            await cycle.queue.put(job)

    async def _worker(self, cycle: _Cycle) -> None:
        while True:
            job = await cycle.queue.get()
            if job is None:
                return
            await self._take(job, cycle)

    async def _keep_claims(self, cycle: _Cycle) -> None:
        """Extend the claims held while their chats are pushed."""
        while True:
            await asyncio.sleep(self._claim_ttl / 3)
            for name, owner in list(cycle.held.items()):
                try:
                    await self._store.claim(name, owner, self._claim_ttl)
                except Exception as error:
                    log.warning("push_claim_extend_failed", claim=name, error=type(error).__name__)

    # -- one chat ----------------------------------------------------------------------------------------
    async def _take(self, job: _Job, cycle: _Cycle) -> None:
        owner = f"{self.owner}:{next(self._jobs)}"
        name = f"push:{job.chat}"
        try:
            if not await self._store.claim(name, owner, self._claim_ttl):
                self._count(cycle, "skipped")
                return
        except Exception as error:
            log.warning("push_claim_failed", chat=str(job.chat), error=type(error).__name__)
            self._count(cycle, "errors")
            return
        cycle.held[name] = owner
        claims = [name]
        try:
            await self._push(job, cycle, owner, claims)
        except Exception as error:
            log.exception("push_chat_failed", chat=str(job.chat), error=type(error).__name__)
            self._count(cycle, "errors")
            await self._retry_later(job.chat, self._retry, cycle)
        finally:
            for held in claims:
                cycle.held.pop(held, None)
                try:
                    await self._store.release(held, owner)
                except Exception as error:
                    log.warning("push_release_failed", claim=held, error=type(error).__name__)

    async def _push(self, job: _Job, cycle: _Cycle, owner: str, claims: list[str]) -> None:
        """Push one claimed chat; ``claims`` collects further claims taken (a migrated chat's)."""
        chat, settings = job.chat, job.settings
        due = await self._store.get_due(chat)
        if not cycle.everyone and (due is None or due > cycle.now_ts):
            self._count(cycle, "skipped")  # pushed meanwhile by another process
            cycle.pending.discard(chat)
            return
        cycle.report.chats += 1
        try:
            digest = await cycle.digests.get(settings)
            backlog: list[Digest] = []
            unfinished = [] if digest.final else [digest.listing_date]
            for day in await self._missed(chat, digest.listing_date):
                try:
                    backlog.append(await cycle.digests.get(settings, day))
                except BatchNotReady:
                    unfinished.append(day)  # not to be had yet: asked for again as a missed day
            unfinished += [each.listing_date for each in backlog if not each.final]
        except BatchNotReady as error:
            log.debug(
                "push_batch_not_ready",
                chat=str(chat),
                listing_date=str(error.listing_date),
                reason=error.reason,
            )
            self._count(cycle, "waiting")
            await self._retry_later(chat, self._poll, cycle)
            return
        except SourceError as error:
            log.warning("push_source_failed", chat=str(chat), error=str(error))
            self._count(cycle, "source_errors")
            await self._retry_later(chat, self._poll, cycle)
            return
        platform = self._platforms[chat.platform]
        lag_from = due if due is not None and due <= cycle.now_ts else None
        for _ in range(MAX_MIGRATIONS + 1):
            try:
                sent = 0
                for each in (*backlog, digest):
                    sent += await self._deliver(platform, chat, each.for_chat(settings), lag_from, cycle)
                if not sent and self._owes_note(settings, due, cycle):
                    await platform.send_text(chat, t(settings.language, "no_announcement"))
                    log.info("push_no_announcement_note", chat=str(chat))
                break
            except ChatGone as error:
                await self._store.delete_chat(chat)
                cycle.pending.discard(chat)
                self._failed(platform, "gone", cycle)
                log.info("chat_unsubscribed", chat=str(chat), reason="gone", detail=str(error))
                return
            except ChatMigrated as moved:
                new = ChatKey(chat.platform, moved.new_chat_id)
                new_name = f"push:{new}"
                if await self._store.claim(new_name, owner, self._claim_ttl):
                    cycle.held[new_name] = owner
                    claims.append(new_name)
                had_settings = await self._store.migrate_chat(chat, new)
                self._failed(platform, "migrated", cycle)
                log.info("chat_migrated", old=str(chat), new=str(new), had_settings=had_settings)
                cycle.pending.discard(chat)
                cycle.pending.add(new)
                chat = new
            except DeliveryFailed as error:
                wait = max(self._retry.total_seconds(), error.retry_after or 0.0)
                self._failed(platform, "failed", cycle)
                log.warning("push_delivery_failed", chat=str(chat), error=str(error), retry_in=wait)
                await self._retry_later(chat, timedelta(seconds=wait), cycle)
                self._count(cycle, "retry")
                return
        else:
            log.warning("push_too_many_migrations", chat=str(chat))
            await self._retry_later(chat, self._retry, cycle)
            self._count(cycle, "retry")
            return
        if unfinished:
            # More of a day may still come (a category pending, or only the export API's record):
            # what came is delivered; the day is asked for again shortly, and again as a missed day.
            done = listing.previous_listing_day(min(unfinished))
            await self._store.cache_set("pushed", str(chat), done.isoformat())
            log.info("push_batch_incomplete", chat=str(chat), listing_date=str(min(unfinished)))
            self._count(cycle, "waiting")
            await self._retry_later(chat, self._poll, cycle)
            return
        await self._store.cache_set("pushed", str(chat), digest.listing_date.isoformat())
        await self._reschedule(chat, settings, due, digest.listing_date, cycle)

    async def _missed(self, chat: ChatKey, latest: date) -> list[date]:
        """Listing days between the chat's last pushed batch and ``latest``, oldest first."""
        raw = await self._store.cache_get("pushed", str(chat))
        if raw is None:
            return []
        last = date.fromisoformat(raw)
        days: list[date] = []
        day = listing.previous_listing_day(latest)
        while day > last and len(days) < MAX_BACKLOG:
            days.append(day)
            day = listing.previous_listing_day(day)
        return days[::-1]

    def _owes_note(self, settings: ChatSettings, due: float | None, cycle: _Cycle) -> bool:
        """A chat that asked for it gets a note at a push time with no announcement since the last."""
        if not settings.empty_day_note or cycle.everyone or due is None:
            return False
        instant = last_instant(settings.push_time, settings.timezone, datetime.fromtimestamp(due, UTC))
        return not brings_batch(settings.push_time, settings.timezone, instant)

    async def _deliver(
        self, platform: Platform, chat: ChatKey, digest: Digest, lag_from: float | None, cycle: _Cycle
    ) -> int:
        """Send what ``chat`` has not received of ``digest``, marking each acknowledged message;
        the number of messages sent."""
        received = await self._store.filter_received(chat, digest.paper_ids())
        fresh = digest.without(received) if received else digest
        if not fresh.all_papers:
            self._count(cycle, "nothing_new")
            return 0
        messages = 0

        async def on_sent(paper_ids: Sequence[str]) -> None:
            nonlocal messages
            if paper_ids:
                await self._store.mark_received(chat, paper_ids)
            messages += 1
            cycle.report.messages += 1
            cycle.report.papers += len(paper_ids)
            if self._metrics is not None:
                self._metrics.messages_sent.labels(platform.name).inc()
                if messages == 1 and lag_from is not None:
                    lag = max(0.0, self._clock().timestamp() - lag_from)
                    self._metrics.push_lag.labels(platform.name).observe(lag)

        try:
            await platform.send_digest(chat, fresh, on_sent)
        finally:
            if messages:
                self._count(cycle, "sent")
                log.info(
                    "push_sent",
                    chat=str(chat),
                    listing_date=fresh.listing_date.isoformat(),
                    papers=len(fresh.all_papers),
                    messages=messages,
                )
        return messages

    async def _reschedule(
        self, chat: ChatKey, settings: ChatSettings, due: float | None, delivered: date, cycle: _Cycle
    ) -> None:
        if cycle.everyone and due is not None and due > cycle.now_ts:
            cycle.pending.discard(chat)
            return  # pushed ahead of time: its regular push stays, and will find nothing new
        now = max(self._clock(), cycle.now)
        following = reschedule(
            settings.push_time,
            settings.timezone,
            now,
            delivered,
            self._poll,
            every_day=settings.empty_day_note,
        )
        await self._store.set_due(chat, following.timestamp())
        if awaiting_batch(settings.push_time, settings.timezone, now, delivered):
            await mark_retry(self._store, chat, following.timestamp())
            self._count(cycle, "waiting")
            log.info(
                "push_waiting_for_batch",
                chat=str(chat),
                holds=delivered.isoformat(),
                next_check=following.isoformat(),
            )
        cycle.pending.discard(chat)

    async def _retry_later(self, chat: ChatKey, wait: timedelta, cycle: _Cycle) -> None:
        at = (max(self._clock(), cycle.now) + wait).timestamp()
        try:
            await self._store.set_due(chat, at)
            await mark_retry(self._store, chat, at)
        except Exception as error:
            log.warning("push_reschedule_failed", chat=str(chat), error=type(error).__name__)
            return
        cycle.pending.discard(chat)

    # -- counting ------------------------------------------------------------------------------------------
    def _count(self, cycle: _Cycle, outcome: str) -> None:
        setattr(cycle.report, outcome, getattr(cycle.report, outcome) + 1)
        if self._metrics is not None:
            self._metrics.push_chats.labels(outcome).inc()

    def _failed(self, platform: Platform, reason: str, cycle: _Cycle) -> None:
        if self._metrics is not None:
            self._metrics.messages_failed.labels(platform.name, reason).inc()
        if reason in ("gone", "migrated"):
            self._count(cycle, reason)
