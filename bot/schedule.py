"""When each chat's push is due: pure schedule maths, and the hook that keeps the due index current.

A chat's push happens at its local ``HH:MM`` on each day when a new batch has been announced since
the previous day's push time. The batch a push is for is ``listing.latest_listing(push instant)``;
if its feed is not ready yet, the push delivers what the chat has not received and then waits for
the batch (catch-up). Weekends and arXiv holidays announce nothing, so they bring no push.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import listing
from bot.commands import OnChange
from bot.engine import Clock
from bot.models import ChatSettings
from bot.store.base import Store

MAX_DAYS_AHEAD = 30


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day`` in ``zone`` as an aware UTC datetime; a time skipped by a DST change is
    moved forward by the gap (02:30 on a spring-forward night → 03:30)."""
    aware = datetime.combine(day, at, tzinfo=zone)
    shifted = aware.astimezone(UTC).astimezone(zone)
    if shifted.replace(tzinfo=None) != aware.replace(tzinfo=None):
        return datetime.combine(day, at, tzinfo=zone).replace(fold=1).astimezone(UTC)
    return aware.astimezone(UTC)


def daily_instants(push_time: str, timezone: str, after: datetime) -> Iterator[datetime]:
    """The chat's local push instants strictly after ``after``, in order."""
    zone = ZoneInfo(timezone)
    hour, minute = (int(x) for x in push_time.split(":"))
    at = time(hour, minute)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(MAX_DAYS_AHEAD + 2):
        instant = local_instant(day, at, zone)
        if instant > after:
            yield instant
        day += timedelta(days=1)


def batch_for(instant: datetime) -> date:
    """The listing date a push at ``instant`` is for: the latest announced batch."""
    return listing.latest_listing(instant)


def next_push(push_time: str, timezone: str, after: datetime) -> datetime:
    """The first push instant after ``after`` at which a new batch has been announced since the
    chat's previous push instant."""
    zone = ZoneInfo(timezone)
    for instant in daily_instants(push_time, timezone, after):
        local_day = instant.astimezone(zone).date()
        hour, minute = (int(x) for x in push_time.split(":"))
        previous = local_instant(local_day - timedelta(days=1), time(hour, minute), zone)
        if batch_for(instant) != batch_for(previous):
            return instant
    raise ValueError("no announcement within a month")  # pragma: no cover - arXiv never pauses that long


def next_push_for(settings: ChatSettings, after: datetime) -> datetime | None:
    """The chat's next push, or None if it follows no category."""
    if not settings.categories:
        return None
    return next_push(settings.push_time, settings.timezone, after)


def scheduler_hook(store: Store, clock: Clock) -> OnChange:
    """A ``Commands`` hook that records each chat's next push in the due index."""

    async def on_change(settings: ChatSettings) -> datetime | None:
        due = next_push_for(settings, clock())
        await store.set_due(settings.chat, due.timestamp() if due else None)
        return due

    return on_change
