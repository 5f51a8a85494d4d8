"""The push: each due chat receives the papers of its categories it has not received yet.

One cycle (``Pusher.run_once``) pages through the due-time index, never loading every chat. Each
chat is held under a lease (``bot.lease``: 30 s, renewed while its push runs) so replicas on one
store never push the same chat at once; a chat another process holds is left to it, and the cycle
says in one line how many and until when. A holder that dies frees its chats within the lease's
ttl. Cycles of one process may overlap (``run`` starts one whenever a chat falls due): a chat
taken up by one cycle is skipped by the others, and ``concurrency`` bounds the chats pushed at
once across all of them.

Papers are marked received as each message is acknowledged, so a process killed mid-push repeats
at most the message in flight, and a chat never gets a paper twice (``/today`` counts too). An
acknowledged message whose papers the store could not take (it is down) is kept in memory and
given to the store as soon as it answers (``flush``), and this process never sends those papers
again meanwhile.

Digests are built once per cycle for each group of chats that want the same of a day (categories,
language, announce types, filter, interests, 👍/👎); the day's ranking index is shared by
every group (``DigestEngine.index``), and the categories of a page of chats are fetched in one
request, so a push costs one arXiv request per batch.

A busy day does not bury a chat: each chat gets its own top N of the day's matching papers it has
not received (``Digest.next_page``), in at most ``max_messages`` messages (3; a chat with
``/top all`` has no limit), summarized for those papers only (one summary per paper version and
language, shared by every chat). The rest of the day is counted in the header and stays reachable
with ``/more``; what the push offered is remembered (``bot.pages``), so a later push of the same day
sends only papers that were not offered yet (a category that came late), never the next page.
A page cut short (a process killed, a platform failing midway) is finished by the next push within
what is left of its budget: the chat never gets more than ``max_messages`` messages or ``top``
papers for it.

A chat that missed batches while the bot was down gets them first, oldest first (up to
``MAX_BACKLOG``), from the export API. After its push a chat is rescheduled (``schedule.reschedule``):
its next push with a new batch, or a short wait when the batch it is due for is not in the feed yet
(catch-up). A chat is never waited for inside a cycle: one that must wait (a platform's
``retry_after``, a failed delivery, arXiv down) is rescheduled at its own retry time and the cycle
says in one line which chats it left for later. A chat whose platform refuses the bot's right to
post (``NoRights``) is paused (``bot.paused``) with its settings kept, and retried with backoff. A
chat that blocked the bot is unsubscribed; a migrated chat moves and is sent to at its new id.

Faults stay in their room: one chat's error is one log line and that chat's retry; a store that
stops answering is one line for the outage (``bot.outage``) and chats it touched stay due; so is
arXiv unreachable (``arxiv_outage``: one line when it starts, one when a digest is built again,
the chats it held back retried); a platform that refuses the bot's token is one line, and its chats
stay due.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import structlog

from bot import listing, pages
from bot import paused as pauses
from bot.delivery import Platform
from bot.engine import Clock, utc_now
from bot.errors import (
    BatchNotReady,
    ChatGone,
    ChatMigrated,
    DeliveryFailed,
    NoRights,
    SourceError,
    TokenRejected,
)
from bot.i18n import t
from bot.lease import LEASE_TTL, Lease, LeaseLost, Leases, default_owner
from bot.metrics import Metrics
from bot.models import Batch, ChatKey, ChatSettings, Digest, Selection
from bot.outage import Outage, detail
from bot.schedule import awaiting_batch, brings_batch, last_instant, mark_retry, reschedule
from bot.store import as_unavailable
from bot.store.base import Store

log = structlog.get_logger(__name__)

MAX_MIGRATIONS = 3
"""A chat followed through at most this many id changes in one push."""

MAX_BACKLOG = 5
"""A chat that missed batches (the bot was down over several announcements) gets at most this many
earlier batches before the latest one."""

SHOWN_CHATS = 20
"""Chats named in a "left for later" line; the rest are counted."""

MAX_MESSAGES = 3
"""Messages one chat receives for one listing date from the push, by default, whatever the day's
size (a chat with ``/top all`` has no limit)."""

GroupKey = tuple[tuple[str, ...], str, tuple[Any, ...], date | None]
SummaryKey = tuple[str, tuple[str, ...]]

COUNTS = (
    "chats",
    "sent",
    "messages",
    "papers",
    "nothing_new",
    "waiting",
    "retry",
    "undelivered",
    "paused",
    "gone",
    "migrated",
    "skipped",
    "no_platform",
    "handed_back",
    "rejected",
    "source_errors",
    "store_errors",
    "errors",
)


class DigestBuilder(Protocol):
    """What the push needs of the engine (``bot.engine.DigestEngine``)."""

    async def batch(self, categories: Sequence[str], listing_date: date | None = None) -> Batch: ...

    async def build(
        self,
        categories: Sequence[str],
        listing_date: date | None = None,
        language: str = "en",
        selection: Selection | None = None,
        *,
        summarize: bool = True,
    ) -> Digest: ...

    async def summarize_full(self, digest: Digest) -> Digest: ...


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
    """Chats whose platform asked them to wait (``retry_after``) or refused one message; due again at
    their retry time."""
    undelivered: int = 0
    """Chats whose platform could not be reached; due again after the retry wait."""
    paused: int = 0
    """Chats where the bot may not post (``NoRights``); kept, and retried with backoff."""
    gone: int = 0
    migrated: int = 0
    skipped: int = 0
    """Chats another process was pushing, or had pushed already."""
    no_platform: int = 0
    """Due chats of a platform this process does not run."""
    handed_back: int = 0
    """Chats left due because the process was stopping (never started, or cut off at the end of
    the grace period)."""
    rejected: int = 0
    """Chats left due because their platform refused the bot's token."""
    source_errors: int = 0
    store_errors: int = 0
    """Chats (or the due index) the store failed for; they stay due."""
    errors: int = 0
    later: dict[str, float] = field(default_factory=dict)
    """Chats left for later (retry, pause) → their next due time (Unix seconds)."""
    held_until: float | None = None
    """With chats held by another process: when the last of those leases ends (Unix seconds)."""
    held_elsewhere: int = 0
    """Chats left to another process holding their lease."""
    token_settings: list[str] = field(default_factory=list)
    """The settings naming tokens a platform refused (e.g. ``TELEGRAM_BOT_TOKEN``)."""

    def counts(self) -> dict[str, int]:
        """The counters, for a log line."""
        return {name: getattr(self, name) for name in COUNTS}

    @property
    def unreachable(self) -> bool:
        """arXiv could not be reached and nothing was sent."""
        return self.source_errors > 0 and self.sent == 0

    @property
    def all_failed(self) -> bool:
        """Something failed (the store, a token, an error) and no chat had any other outcome."""
        failed = self.errors + self.store_errors + self.rejected + self.undelivered
        handled = (
            self.sent + self.nothing_new + self.retry + self.paused + self.gone + self.migrated + self.waiting
        )
        return failed > 0 and handled == 0


@dataclass(slots=True)
class _Job:
    chat: ChatKey
    settings: ChatSettings
    chats: list[ChatKey] = field(default_factory=list)
    """Every chat this job holds in the process's active set (the chat, and a migrated chat's new id)."""


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
    platforms_missing: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)
    """Platforms that refused the bot's token this cycle."""

    @property
    def now_ts(self) -> float:
        return self.now.timestamp()


class _Digests:
    """Digests built in one cycle, one build per group shared by every chat in it, and the
    summaries of each set of papers shown in full, made once for every chat shown them; the most
    recently used ``capacity`` of each are kept."""

    def __init__(self, engine: DigestBuilder, capacity: int) -> None:
        self._engine = engine
        self._capacity = capacity
        self._tasks: OrderedDict[GroupKey, asyncio.Task[Digest]] = OrderedDict()
        self._summaries: OrderedDict[SummaryKey, asyncio.Task[Digest]] = OrderedDict()

    async def get(
        self, settings: ChatSettings, selection: Selection, listing_date: date | None = None
    ) -> Digest:
        """Every paper of the day matching ``selection``, ranked, without summaries."""
        key: GroupKey = (settings.categories, settings.language, selection.key, listing_date)
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(
                self._engine.build(
                    settings.categories, listing_date, settings.language, selection, summarize=False
                )
            )
            self._tasks[key] = task
            _evict(self._tasks, self._capacity)
        else:
            self._tasks.move_to_end(key)
        return await asyncio.shield(task)

    async def summarized(self, page: Digest) -> Digest:
        """``page`` with a summary for each paper shown in full (made once per set of papers)."""
        todo = tuple(p for p in page.full if p.summary_source == "none" and not p.summary)
        if not todo:
            return page
        key: SummaryKey = (page.language, tuple(p.versioned_id for p in todo))
        task = self._summaries.get(key)
        if task is None:
            alone = Digest(page.listing_date, page.categories, page.language, papers=todo)
            task = asyncio.ensure_future(self._engine.summarize_full(alone))
            self._summaries[key] = task
            _evict(self._summaries, self._capacity)
        else:
            self._summaries.move_to_end(key)
        return page.with_summaries((await asyncio.shield(task)).papers)

    def close(self) -> None:
        for tasks in (self._tasks, self._summaries):
            for task in tasks.values():
                if not task.done():
                    task.cancel()
                elif not task.cancelled():
                    task.exception()  # retrieved: a failed build was reported to its chats already
            tasks.clear()


def _evict(tasks: OrderedDict[Any, asyncio.Task[Digest]], capacity: int) -> None:
    while len(tasks) > capacity:
        oldest = next(iter(tasks))
        if not tasks[oldest].done():
            return
        tasks.pop(oldest)


def _shown(chats: Iterable[str]) -> str:
    names = list(chats)
    text = ",".join(names[:SHOWN_CHATS])
    return text if len(names) <= SHOWN_CHATS else f"{text} (+{len(names) - SHOWN_CHATS} more)"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


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
        lease_ttl: float = LEASE_TTL,
        leases: Leases | None = None,
        digest_cache: int = 32,
        default_top: int | None = 10,
        max_messages: int = MAX_MESSAGES,
    ) -> None:
        if concurrency < 1 or page_size < 1:
            raise ValueError("concurrency and page_size must be at least 1")
        self._store = store
        self._engine = engine
        self._platforms = dict(platforms)
        self._clock = clock
        self._metrics = metrics
        self._leases = leases or Leases(store, owner or default_owner(), lease_ttl)
        self.owner = self._leases.owner
        self.outage: Outage = self._leases.outage
        self.arxiv_outage = Outage("arxiv")
        """arXiv unreachable: logged when a build first fails for it, and when a digest is built
        again (a batch not ready yet says nothing either way)."""
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._page_size = page_size
        self._poll = poll
        self._retry = retry
        self._digest_cache = digest_cache
        self._active: set[ChatKey] = set()
        self._unrecorded: dict[ChatKey, set[str]] = {}
        self._pushes: set[asyncio.Task[None]] = set()
        self._default_top = default_top
        self._max_messages = max_messages
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Take up no more chats: queued chats are handed back (left due), the chats being pushed
        finish."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def in_flight(self) -> int:
        """Chats this process has taken up and not finished (queued or being pushed)."""
        return len(self._active)

    def abort(self) -> None:
        """Cut off the chats still being pushed (at the end of a stop's grace period): each releases
        its lease and stays due; acknowledged messages are kept for ``flush``."""
        self._stopping = True
        for task in list(self._pushes):
            task.cancel()

    @property
    def unrecorded(self) -> int:
        """Chats with acknowledged messages the store has not taken yet."""
        return len(self._unrecorded)

    async def flush(self) -> bool:
        """Give the store the acknowledged deliveries it could not take yet; True when none are left.
        Never raises: a store still down is counted in ``outage``."""
        for chat, ids in list(self._unrecorded.items()):
            batch = sorted(ids)
            try:
                await self._store.mark_received(chat, batch)
            except Exception as error:
                self._store_failed(error, chat)
                return False
            self.outage.answered()
            ids.difference_update(batch)
            if not ids:
                self._unrecorded.pop(chat, None)
        return not self._unrecorded

    async def close(self) -> None:
        """Give back every lease this pusher still holds (never raises)."""
        await self._leases.close()

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
        if self._unrecorded:
            await self.flush()
        workers = [asyncio.create_task(self._worker(cycle)) for _ in range(self._concurrency)]
        try:
            try:
                if everyone:
                    await self._produce_everyone(cycle)
                else:
                    await self._produce_due(cycle)
            except Exception as error:  # the due index or the chat list could not be read
                self._trouble(cycle, None, error)
            finally:
                for _ in workers:
                    await cycle.queue.put(None)
                await asyncio.gather(*workers, return_exceptions=True)
        finally:
            for task in workers:
                task.cancel()
            cycle.digests.close()
        self._log_cycle(cycle, asyncio.get_running_loop().time() - started)
        return cycle.report

    def _log_cycle(self, cycle: _Cycle, elapsed: float) -> None:
        report = cycle.report
        if self._metrics is not None:
            self._metrics.push_cycle_seconds.observe(elapsed)
            self._metrics.push_last_cycle.set(self._clock().timestamp())
        if cycle.platforms_missing:
            log.warning(
                "push_platform_missing", platforms=sorted(cycle.platforms_missing), chats=report.no_platform
            )
        if report.later:
            log.info(
                "push_left_for_later",
                count=len(report.later),
                chats=_shown(report.later),
                next=_iso(min(report.later.values())),
            )
        if report.held_elsewhere:
            log.info(
                "push_left_to_other_holders",
                count=report.held_elsewhere,
                until=_iso(report.held_until) if report.held_until is not None else None,
            )
        if any(report.counts().values()):
            log.info("push_cycle", everyone=cycle.everyone, seconds=round(elapsed, 3), **report.counts())

    async def _produce_due(self, cycle: _Cycle) -> None:
        while not self._stopping:
            limit = self._page_size + len(cycle.pending) + len(self._active)
            rows = await self._store.due_chats(cycle.now_ts, limit=limit)
            self.outage.answered()
            fresh = [
                chat
                for chat, _ in rows
                if chat not in cycle.pending and chat not in self._active and hash(chat) not in cycle.taken
            ]
            if not fresh:
                return
            cycle.pending.update(fresh)
            cycle.taken.update(hash(chat) for chat in fresh)
            for chat in fresh:
                if not chat.pushed:
                    await self._store.set_due(chat, None)
            chats = [chat for chat in fresh if self._runs(chat, cycle)]
            self._active.update(chats)
            try:
                found = await asyncio.gather(
                    *(self._store.get_chat(chat) for chat in chats), return_exceptions=True
                )
                jobs: list[_Job] = []
                for chat, settings in zip(chats, found, strict=True):
                    if isinstance(settings, BaseException):
                        if not isinstance(settings, Exception) or as_unavailable(settings) is not None:
                            raise settings
                        # this chat's row cannot be read: the others go on, it is tried again later
                        self._trouble(cycle, chat, settings)
                        self._active.discard(chat)
                        await self._retry_later(chat, self._retry, cycle)
                        continue
                    if settings is None or not settings.categories:
                        await self._store.set_due(chat, None)
                        cycle.pending.discard(chat)
                        self._active.discard(chat)
                        continue
                    jobs.append(_Job(chat, settings, [chat]))
            except BaseException:
                self._active.difference_update(chats)
                raise
            await self._enqueue(cycle, jobs)

    async def _produce_everyone(self, cycle: _Cycle) -> None:
        page: list[_Job] = []
        async for settings in self._store.iter_chats(self._page_size):
            self.outage.answered()
            if self._stopping:
                break
            chat = settings.chat
            if settings.categories and chat not in self._active and self._runs(chat, cycle):
                self._active.add(chat)
                page.append(_Job(chat, settings, [chat]))
            if len(page) >= self._page_size:
                await self._enqueue(cycle, page)
                page = []
        await self._enqueue(cycle, page)

    def _runs(self, chat: ChatKey, cycle: _Cycle) -> bool:
        """Whether this process pushes to ``chat``; a chat of a platform with a push that this process
        does not run is counted (left for a process that does)."""
        if chat.platform in self._platforms:
            return True
        if not chat.pushed:
            return False
        cycle.platforms_missing.add(chat.platform)
        cycle.report.no_platform += 1
        return False

    async def _enqueue(self, cycle: _Cycle, jobs: list[_Job]) -> None:
        """Fetch the page's categories in one request, then hand its chats to the workers."""
        categories = sorted({c for job in jobs for c in job.settings.categories})
        if categories and not self._stopping:
            try:
                await self._engine.batch(categories)
            except BatchNotReady:
                pass  # each chat waits for it; the engine said why, once
            except SourceError as error:
                self.arxiv_outage.failed(error)
            except Exception as error:  # each chat's own build reports it again
                log.warning("push_prefetch_failed", error=detail(error), categories=len(categories))
            else:
                self.arxiv_outage.answered()
        for job in jobs:
            if self._stopping:
                self._hand_back(job, cycle)
            else:
                await cycle.queue.put(job)

    def _hand_back(self, job: _Job, cycle: _Cycle) -> None:
        self._active.difference_update(job.chats)
        cycle.pending.discard(job.chat)
        self._count(cycle, "handed_back")

    async def _worker(self, cycle: _Cycle) -> None:
        while True:
            job = await cycle.queue.get()
            if job is None:
                return
            if self._stopping:
                self._hand_back(job, cycle)
                continue
            async with self._slots:
                if self._stopping:
                    self._hand_back(job, cycle)
                    continue
                push = asyncio.create_task(self._take(job, cycle))
                self._pushes.add(push)
                try:
                    await push
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise  # the cycle itself is cancelled
                    # only this chat was cut off (``abort``): go on handing back the queue
                finally:
                    self._pushes.discard(push)

    # -- one chat ----------------------------------------------------------------------------------------
    async def _take(self, job: _Job, cycle: _Cycle) -> None:
        """Push one chat under its lease; never raises (but for cancellation)."""
        name = f"push:{job.chat}"
        try:
            lease = await self._leases.acquire(name)
        except Exception as error:
            self._trouble(cycle, job.chat, error)
            self._active.difference_update(job.chats)
            return
        if lease is None:
            await self._held_elsewhere(name, cycle)
            self._active.difference_update(job.chats)
            return
        leases = [lease]
        try:
            await self._push(job, cycle, leases)
        except asyncio.CancelledError:
            self._count(cycle, "handed_back")  # cut off by ``abort``: stays due, lease released below
            raise
        except LeaseLost as lost:
            self._count(cycle, "skipped")
            log.warning("push_lease_lost", chat=str(job.chat), lease=lost.name)
        except Exception as error:
            self._trouble(cycle, job.chat, error)
            if not as_unavailable(error) is not None:
                await self._retry_later(job.chat, self._retry, cycle)
        finally:
            for held in leases:
                await self._leases.release(held)
            self._active.difference_update(job.chats)

    async def _held_elsewhere(self, name: str, cycle: _Cycle) -> None:
        self._count(cycle, "skipped")
        cycle.report.held_elsewhere += 1
        try:
            found = await self._leases.holder(name)
        except Exception:  # only for the log line
            return
        if found is not None:
            until = found[1]
            held = cycle.report.held_until
            cycle.report.held_until = until if held is None else max(held, until)

    async def _push(self, job: _Job, cycle: _Cycle, leases: list[Lease]) -> None:
        """Push one chat held under ``leases`` (a migrated chat's new id adds one)."""
        chat, settings = job.chat, job.settings
        due = await self._store.get_due(chat)
        if not cycle.everyone and (due is None or due > cycle.now_ts):
            self._count(cycle, "skipped")  # pushed meanwhile by another process
            cycle.pending.discard(chat)
            return
        cycle.report.chats += 1
        if chat.platform in cycle.rejected:
            self._count(cycle, "rejected")
            return
        try:
            selection = settings.selection(await self._store.get_feedback(chat), self._default_top)
            digest = await cycle.digests.get(settings, selection)
            backlog: list[Digest] = []
            unfinished = [] if digest.final else [digest.listing_date]
            for day in await self._missed(chat, digest.listing_date):
                try:
                    backlog.append(await cycle.digests.get(settings, selection, day))
                except BatchNotReady:
                    unfinished.append(day)  # not to be had yet: asked for again as a missed day
            unfinished += [each.listing_date for each in backlog if not each.final]
            self.arxiv_outage.answered()
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
            self.arxiv_outage.failed(error)
            log.debug("push_source_failed", chat=str(chat), error=str(error))
            self._count(cycle, "source_errors")
            await self._retry_later(chat, self._poll, cycle)
            return
        platform = self._platforms[chat.platform]
        lag_from = due if due is not None and due <= cycle.now_ts else None
        for _ in range(MAX_MIGRATIONS + 1):
            try:
                sent = 0
                for each in (*backlog, digest):
                    sent += await self._deliver(
                        platform, chat, each.for_chat(settings), selection.top, lag_from, cycle, leases
                    )
                if not sent and self._owes_note(settings, due, cycle):
                    await platform.send_text(chat, t(settings.language, "no_announcement"))
                    log.info("push_no_announcement_note", chat=str(chat))
                break
            except ChatGone as error:
                await self._store.delete_chat(chat)
                await pauses.resume(self._store, chat)
                cycle.pending.discard(chat)
                self._failed(platform, "gone", cycle)
                log.info("chat_unsubscribed", chat=str(chat), reason="gone", detail=str(error))
                return
            except ChatMigrated as moved:
                new = ChatKey(chat.platform, moved.new_chat_id)
                lease = await self._leases.acquire(f"push:{new}")
                if lease is not None:
                    leases.append(lease)
                self._active.add(new)
                job.chats.append(new)
                had_settings = await pages.move_chat(self._store, chat, new)
                self._failed(platform, "migrated", cycle)
                log.info("chat_migrated", old=str(chat), new=str(new), had_settings=had_settings)
                cycle.pending.discard(chat)
                cycle.pending.add(new)
                chat = new
            except NoRights as error:
                await self._pause(platform, chat, error, cycle)
                return
            except TokenRejected as error:
                self._token_rejected(platform, error, cycle)
                return
            except DeliveryFailed as error:
                wait = max(self._retry.total_seconds(), error.retry_after or 0.0)
                self._failed(platform, "unreachable" if error.unreachable else "failed", cycle)
                if not error.unreachable:  # an unreachable platform logged its outage once
                    log.warning("push_delivery_failed", chat=str(chat), error=str(error), retry_in=wait)
                await self._retry_later(chat, timedelta(seconds=wait), cycle)
                self._count(cycle, "undelivered" if error.unreachable else "retry")
                return
        else:
            log.warning("push_too_many_migrations", chat=str(chat))
            await self._retry_later(chat, self._retry, cycle)
            self._count(cycle, "retry")
            return
        was = await pauses.resume(self._store, chat)
        if was is not None:
            log.info("push_resumed", chat=str(chat), paused_since=_iso(was.since), refused=was.attempts)
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

    async def _pause(self, platform: Platform, chat: ChatKey, error: NoRights, cycle: _Cycle) -> None:
        """The bot may not post in ``chat``: keep it, retry after the pause's backoff."""
        now = max(self._clock(), cycle.now)
        state = await pauses.pause(self._store, chat, error.reason, now)
        await self._store.set_due(chat, state.retry_at)
        await mark_retry(self._store, chat, state.retry_at)
        cycle.pending.discard(chat)
        cycle.report.later[str(chat)] = state.retry_at
        self._failed(platform, "no_rights", cycle)
        self._count(cycle, "paused")
        log.warning(
            "push_paused",
            chat=str(chat),
            reason=error.reason,
            refused=state.attempts,
            retry_at=_iso(state.retry_at),
        )

    def _token_rejected(self, platform: Platform, error: TokenRejected, cycle: _Cycle) -> None:
        """The platform refused the bot's token: leave its chats due, say so once per cycle."""
        if platform.name not in cycle.rejected:
            cycle.rejected.add(platform.name)
            cycle.report.token_settings.append(error.setting)
            log.error("push_token_rejected", platform=platform.name, setting=error.setting)
        self._failed(platform, "token_rejected", cycle)
        self._count(cycle, "rejected")

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
        self,
        platform: Platform,
        chat: ChatKey,
        digest: Digest,
        top: int | None,
        lag_from: float | None,
        cycle: _Cycle,
        leases: list[Lease],
    ) -> int:
        """Send ``chat`` its next page of ``digest`` (the day's matching papers, ranked): the first
        ``top`` it has neither received nor been offered, summarized, in at most ``max_messages``
        messages (no limit with ``top`` None), marking each acknowledged message; the number of
        messages sent."""
        day = digest.listing_date
        received = await self._store.filter_received(chat, digest.paper_ids())
        received |= self._unrecorded.get(chat, set())
        offered = await pages.offered(self._store, chat, day)
        limit = None if top is None else self._max_messages
        if top is not None and limit is not None:
            messages_before, papers_before = await pages.push_progress(self._store, chat, day)
            top, limit = top - papers_before, limit - messages_before
            if top <= 0 or limit <= 0:
                await pages.add_offered(self._store, chat, day, set(digest.paper_ids()) - received)
                await pages.end_push_progress(self._store, chat, day)
                self._count(cycle, "nothing_new")
                return 0
        fresh = digest.next_page(received, top, skip=offered)
        if not fresh.all_papers:
            self._count(cycle, "nothing_new")
            return 0
        fresh = await cycle.digests.summarized(fresh)
        messages = 0
        shown: set[str] = set()

        async def on_sent(paper_ids: Sequence[str]) -> None:
            nonlocal messages
            shown.update(paper_ids)
            messages += 1
            cycle.report.messages += 1
            cycle.report.papers += len(paper_ids)
            if self._metrics is not None:
                self._metrics.messages_sent.labels(platform.name).inc()
                if messages == 1 and lag_from is not None:
                    lag = max(0.0, self._clock().timestamp() - lag_from)
                    self._metrics.push_lag.labels(platform.name).observe(lag)
            if paper_ids:
                await self._record(chat, paper_ids)
            if limit is not None:
                await pages.add_push_progress(self._store, chat, day, len(paper_ids))
            for lease in leases:
                lease.check()

        try:
            await platform.send_digest(chat, fresh, on_sent, max_messages=limit)
            await pages.remember_digest(self._store, chat, day)
            if set(digest.paper_ids()) - received - shown:
                await pages.add_offered(self._store, chat, day, digest.paper_ids())
            if limit is not None:
                await pages.end_push_progress(self._store, chat, day)
        finally:
            if messages:
                self._count(cycle, "sent")
                log.info(
                    "push_sent",
                    chat=str(chat),
                    listing_date=fresh.listing_date.isoformat(),
                    papers=len(shown),
                    messages=messages,
                )
        return messages

    async def _record(self, chat: ChatKey, paper_ids: Sequence[str]) -> None:
        """Mark acknowledged papers received; kept in memory until the store takes them, so a store
        that fails here (or a cancellation) never makes this process send them again."""
        ids = set(paper_ids)
        pending = self._unrecorded.setdefault(chat, set())
        pending.update(ids)
        await self._store.mark_received(chat, paper_ids)
        pending.difference_update(ids)
        if not pending and self._unrecorded.get(chat) is pending:
            del self._unrecorded[chat]

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
            self._store_failed(error, chat)
            return
        cycle.report.later[str(chat)] = at
        cycle.pending.discard(chat)

    # -- faults and counting -------------------------------------------------------------------------------
    def _trouble(self, cycle: _Cycle, chat: ChatKey | None, error: Exception) -> None:
        """One chat's push (or the cycle's reading of the due index) failed with ``error``."""
        if as_unavailable(error) is not None:
            self.outage.failed(error)
            self._count(cycle, "store_errors")
            return
        log.error(
            "push_chat_failed" if chat is not None else "push_cycle_failed",
            chat=str(chat) if chat is not None else None,
            error=type(error).__name__,
            detail=detail(error),
        )
        self._count(cycle, "errors")

    def _store_failed(self, error: Exception, chat: ChatKey) -> None:
        if as_unavailable(error) is not None:
            self.outage.failed(error)
        else:
            log.warning("push_store_error", chat=str(chat), error=type(error).__name__, detail=detail(error))

    def _count(self, cycle: _Cycle, outcome: str) -> None:
        setattr(cycle.report, outcome, getattr(cycle.report, outcome) + 1)
        if self._metrics is not None:
            self._metrics.push_chats.labels(outcome).inc()

    def _failed(self, platform: Platform, reason: str, cycle: _Cycle) -> None:
        if self._metrics is not None:
            self._metrics.messages_failed.labels(platform.name, reason).inc()
        if reason in ("gone", "migrated"):
            self._count(cycle, reason)
