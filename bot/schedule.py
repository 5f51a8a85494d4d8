"""When each chat's push is due: pure schedule maths, and the hook that keeps the due index current.

A chat's push happens at its local ``HH:MM`` on each day when a new batch has been announced since
the previous day's push time. The batch a push is for is ``listing.latest_listing(push instant)``;
if its feed is not ready yet, the push delivers what the chat has not received and then waits for
the batch (catch-up). Weekends and arXiv holidays announce nothing, so they bring no push, except
a one-line note to a chat that asked for one (``ChatSettings.empty_day_note``).

After a push, ``reschedule`` says when the chat is next due: at its next push instant with a batch
newer than the one it now holds, or after a short wait when the batch its push time has passed for
is not in the feed yet. A push that has to be retried leaves a marker (``RETRY_NAMESPACE``) so a
settings change meanwhile does not move the retry past the batch it still owes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import listing
from bot.commands import OnChange
from bot.engine import Clock
from bot.models import ChatKey, ChatSettings
from bot.store.base import Store

MAX_DAYS_AHEAD = 30
RETRY_NAMESPACE = "push-retry"
"""Cache namespace: chat → the due time of a pending retry (its push still owes papers)."""
RETRY_MARK_TTL = 3 * 24 * 3600.0


def _clock_time(push_time: str) -> time:
    hour, minute = (int(x) for x in push_time.split(":"))
    return time(hour, minute)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone`` as an aware UTC datetime. A time skipped by a DST change is
    moved forward by the gap (02:30 on a spring-forward night → 03:30); a time that occurs twice
    (fall back) is its first occurrence."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def daily_instants(push_time: str, timezone: str, after: datetime) -> Iterator[datetime]:
    """The chat's local push instants strictly after ``after``, in order."""
    zone = ZoneInfo(timezone)
    at = _clock_time(push_time)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(MAX_DAYS_AHEAD + 2):
        instant = local_instant(day, at, zone)
        if instant > after:
            yield instant
        day += timedelta(days=1)


def last_instant(push_time: str, timezone: str, at_or_before: datetime) -> datetime:
    """The chat's latest local push instant at or before ``at_or_before``."""
    zone = ZoneInfo(timezone)
    at = _clock_time(push_time)
    day = at_or_before.astimezone(zone).date() + timedelta(days=1)
    while True:
        instant = local_instant(day, at, zone)
        if instant <= at_or_before:
            return instant
        day -= timedelta(days=1)


def batch_for(instant: datetime) -> date:
    """The listing date a push at ``instant`` is for: the latest announced batch."""
    return listing.latest_listing(instant)


def brings_batch(push_time: str, timezone: str, instant: datetime) -> bool:
    """Whether a new batch has been announced between the chat's previous push instant (the day
    before, at the same local time) and its push instant ``instant``."""
    zone = ZoneInfo(timezone)
    local_day = instant.astimezone(zone).date()
    previous = local_instant(local_day - timedelta(days=1), _clock_time(push_time), zone)
    return batch_for(instant) != batch_for(previous)


def next_push(push_time: str, timezone: str, after: datetime, every_day: bool = False) -> datetime:
    """The first push instant after ``after`` at which a new batch has been announced since the
    chat's previous push instant; with ``every_day`` (a chat that wants a note on days without an
    announcement), simply the next push instant."""
    for instant in daily_instants(push_time, timezone, after):
        if every_day or brings_batch(push_time, timezone, instant):
            return instant
    raise ValueError("no announcement within a month")  # pragma: no cover - arXiv never pauses that long


def next_push_for(settings: ChatSettings, after: datetime) -> datetime | None:
    """The chat's next push, or None if it follows no category or its platform has no push."""
    if not settings.categories or not settings.chat.pushed:
        return None
    return next_push(settings.push_time, settings.timezone, after, every_day=settings.empty_day_note)


def awaiting_batch(push_time: str, timezone: str, now: datetime, delivered: date | None) -> bool:
    """Whether the chat's push time has passed, by ``now``, for a batch newer than ``delivered``
    (the batch it holds; None when none could be built): it is still owed that batch."""
    return delivered is None or batch_for(last_instant(push_time, timezone, now)) > delivered


def reschedule(
    push_time: str,
    timezone: str,
    now: datetime,
    delivered: date | None,
    retry: timedelta,
    every_day: bool = False,
) -> datetime:
    """When a chat is next due after a push at ``now`` that left it holding the batch of
    ``delivered`` (the listing date of the digest built now; None when no digest could be built).

    If the chat's push time has passed for a batch newer than ``delivered`` (the feed does not show
    it yet, or the source failed), it is due again after ``retry``; otherwise at its next push
    instant that brings a batch newer than ``delivered`` (with ``every_day``, its next push instant).
    """
    if delivered is None or awaiting_batch(push_time, timezone, now, delivered):
        return now + retry
    instant = next_push(push_time, timezone, now, every_day)
    while not every_day and batch_for(instant) <= delivered:
        instant = next_push(push_time, timezone, instant)
    return instant


async def mark_retry(store: Store, chat: ChatKey, due: float) -> None:
    """Record that the chat's due time ``due`` is a retry of a push that still owes papers."""
    await store.cache_set(RETRY_NAMESPACE, str(chat), repr(float(due)), ttl=RETRY_MARK_TTL)


async def pending_retry(store: Store, chat: ChatKey) -> float | None:
    """The chat's due time if it is a pending retry (marked and not rescheduled since)."""
    marked = await store.cache_get(RETRY_NAMESPACE, str(chat))
    if marked is None:
        return None
    due = await store.get_due(chat)
    if due is None or abs(due - float(marked)) > 1e-3:
        return None
    return due


def scheduler_hook(store: Store, clock: Clock) -> OnChange:
    """A ``Commands`` hook that records each chat's next push in the due index. A pending retry
    (a late batch or a failed delivery) that comes sooner is kept, so no batch is skipped."""

    async def on_change(settings: ChatSettings) -> datetime | None:
        due = next_push_for(settings, clock())
        if due is not None:
            retry = await pending_retry(store, settings.chat)
            if retry is not None and retry < due.timestamp():
                return datetime.fromtimestamp(retry, UTC)
        await store.set_due(settings.chat, due.timestamp() if due else None)
        return due

    return on_change
