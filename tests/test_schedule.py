"""Schedule maths as tables: push instants across DST, weekends and holidays; catch-up; the hook."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import ChatKey, ChatSettings
from bot.schedule import (
    batch_for,
    brings_batch,
    daily_instants,
    last_instant,
    local_instant,
    mark_retry,
    next_push,
    next_push_for,
    pending_retry,
    reschedule,
    scheduler_hook,
)
from bot.store.base import Store

NY = "America/New_York"
BERLIN = "Europe/Berlin"
SHANGHAI = "Asia/Shanghai"
TEN_MINUTES = timedelta(minutes=10)


def utc(text: str) -> datetime:
    """``"2026-09-24 08:00"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def at(text: str, zone: str) -> datetime:
    """``"2026-09-24 08:00"`` local to ``zone``, as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def pushes(push_time: str, zone: str, start: datetime, count: int) -> list[str]:
    """The next ``count`` push instants after ``start``, as local ``YYYY-MM-DD HH:MM`` texts."""
    found: list[str] = []
    after = start
    for _ in range(count):
        after = next_push(push_time, zone, after)
        found.append(after.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"))
    return found


@pytest.mark.parametrize(
    ("day", "clock", "zone", "expected_utc"),
    [
        ("2026-03-08", "02:30", NY, "2026-03-08 07:30"),  # skipped hour: 03:30 EDT
        ("2026-11-01", "01:30", NY, "2026-11-01 05:30"),  # repeated hour: the first (EDT)
        ("2026-03-29", "02:30", BERLIN, "2026-03-29 01:30"),  # skipped hour: 03:30 CEST
        ("2026-10-25", "02:30", BERLIN, "2026-10-25 00:30"),  # repeated hour: the first (CEST)
        ("2026-03-08", "08:00", SHANGHAI, "2026-03-08 00:00"),  # no DST
        ("2026-07-01", "08:00", BERLIN, "2026-07-01 06:00"),
        ("2026-01-15", "08:00", BERLIN, "2026-01-15 07:00"),
    ],
)
def test_local_instant(day: str, clock: str, zone: str, expected_utc: str) -> None:
    """A local wall-clock time maps to one UTC instant, DST gaps moving forward, repeats taking the first."""
    hour, minute = (int(x) for x in clock.split(":"))
    assert local_instant(date.fromisoformat(day), time(hour, minute), ZoneInfo(zone)) == utc(expected_utc)


def test_daily_instants_cross_the_spring_gap() -> None:
    """Daily 02:30 in New York lands at 03:30 on the night the clocks skip 02:00-03:00."""
    instants = daily_instants("02:30", NY, utc("2026-03-07 12:00"))
    local = [next(instants).astimezone(ZoneInfo(NY)).strftime("%m-%d %H:%M") for _ in range(3)]
    assert local == ["03-08 03:30", "03-09 02:30", "03-10 02:30"]


@pytest.mark.parametrize(
    ("push_time", "zone", "moment", "expected_utc"),
    [
        ("08:00", "UTC", "2026-09-24 08:00", "2026-09-24 08:00"),  # the instant itself counts
        ("08:00", "UTC", "2026-09-24 07:59", "2026-09-23 08:00"),
        ("21:00", NY, "2026-09-25 00:30", "2026-09-24 01:00"),
        ("02:30", NY, "2026-03-08 08:00", "2026-03-08 07:30"),
    ],
)
def test_last_instant(push_time: str, zone: str, moment: str, expected_utc: str) -> None:
    """The latest push instant at or before a moment."""
    assert last_instant(push_time, zone, utc(moment)) == utc(expected_utc)


@pytest.mark.parametrize(
    ("push_time", "zone", "start", "expected"),
    [
        # UTC mornings: Monday to Friday, never on Saturday or Sunday.
        (
            "08:00",
            "UTC",
            "2026-09-24 09:00",
            ["2026-09-25 08:00", "2026-09-28 08:00", "2026-09-29 08:00", "2026-09-30 08:00"],
        ),
        # New York evenings: the batch announced at 20:00 Sunday to Thursday; no Friday or Saturday.
        (
            "21:00",
            NY,
            "2026-09-25 02:00",
            [
                "2026-09-27 21:00",
                "2026-09-28 21:00",
                "2026-09-29 21:00",
                "2026-09-30 21:00",
                "2026-10-01 21:00",
                "2026-10-04 21:00",
            ],
        ),
        # Just before the announcement the push is for the previous batch, which it already had.
        (
            "19:59",
            NY,
            "2026-09-23 00:00",
            ["2026-09-23 19:59", "2026-09-24 19:59", "2026-09-25 19:59", "2026-09-28 19:59"],
        ),
        # Shanghai 08:00 is 20:00 New York in summer time: Monday to Friday.
        ("08:00", SHANGHAI, "2026-09-25 12:00", ["2026-09-28 08:00", "2026-09-29 08:00"]),
        # ... and 19:00 New York in winter: Monday's batch is not out yet, so Tuesday to Saturday.
        (
            "08:00",
            SHANGHAI,
            "2026-01-09 12:00",
            [
                "2026-01-10 08:00",
                "2026-01-13 08:00",
                "2026-01-14 08:00",
                "2026-01-15 08:00",
                "2026-01-16 08:00",
                "2026-01-17 08:00",
                "2026-01-21 08:00",
            ],
        ),
        # New York spring forward (Sunday 2026-03-08): 08:00 stays 08:00 local on either side.
        ("08:00", NY, "2026-03-06 09:00", ["2026-03-06 08:00", "2026-03-09 08:00", "2026-03-10 08:00"]),
        # Fall back (Sunday 2026-11-01).
        ("08:00", NY, "2026-10-30 09:00", ["2026-10-30 08:00", "2026-11-02 08:00", "2026-11-03 08:00"]),
        # Berlin 01:30: winter pushes Tuesday to Saturday (19:30 New York the evening before) ...
        (
            "01:30",
            BERLIN,
            "2026-03-03 12:00",
            ["2026-03-04 01:30", "2026-03-05 01:30", "2026-03-06 01:30", "2026-03-07 01:30"],
        ),
        # ... while the US is on summer time and Europe not yet (03-08 to 03-29) it is 20:30 there.
        (
            "01:30",
            BERLIN,
            "2026-03-07 12:00",
            [
                "2026-03-09 01:30",
                "2026-03-10 01:30",
                "2026-03-11 01:30",
                "2026-03-12 01:30",
                "2026-03-13 01:30",
                "2026-03-16 01:30",
            ],
        ),
        # Berlin spring forward (Sunday 2026-03-29), 02:30 is skipped that night but no push is due.
        ("02:30", BERLIN, "2026-03-27 12:00", ["2026-03-30 02:30", "2026-03-31 02:30"]),
        # Berlin fall back (Sunday 2026-10-25): one hour more that night; Monday unaffected.
        ("08:00", BERLIN, "2026-10-23 12:00", ["2026-10-26 08:00", "2026-10-27 08:00"]),
    ],
)
def test_next_push(push_time: str, zone: str, start: str, expected: list[str]) -> None:
    """Pushes fall at the chat's local time on days a new batch has been announced since the last one."""
    assert pushes(push_time, zone, utc(start), len(expected)) == expected


@pytest.mark.parametrize(
    ("push_time", "zone", "start", "expected"),
    [
        # New Year's Day (Thursday): no batch; Friday's batch comes as usual.
        ("08:00", "UTC", "2025-12-31 09:00", ["2026-01-02 08:00", "2026-01-05 08:00"]),
        # Martin Luther King Jr. Day (Monday 01-19): no push Sunday evening; Monday evening's is Tuesday's.
        ("21:00", NY, "2026-01-16 02:00", ["2026-01-19 21:00", "2026-01-20 21:00"]),
        ("08:00", "UTC", "2026-01-16 09:00", ["2026-01-20 08:00"]),
        # Juneteenth (Friday 06-19).
        ("08:00", "UTC", "2026-06-18 09:00", ["2026-06-22 08:00"]),
        # Independence Day observed (Friday 07-03).
        ("08:00", "UTC", "2026-07-02 09:00", ["2026-07-06 08:00"]),
        # Labor Day (Monday 09-07).
        ("08:00", "UTC", "2026-09-04 09:00", ["2026-09-08 08:00"]),
        # Thanksgiving (Thursday 11-26): nothing Thursday, Friday's batch on Friday.
        ("08:00", "UTC", "2026-11-25 09:00", ["2026-11-27 08:00", "2026-11-30 08:00"]),
        # Christmas week: holidays 12-25, 12-29 and 12-31.
        (
            "08:00",
            "UTC",
            "2026-12-23 09:00",
            ["2026-12-24 08:00", "2026-12-28 08:00", "2026-12-30 08:00"],
        ),
        # Shanghai in winter, Christmas week: each push is the evening-before batch in New York.
        ("08:00", SHANGHAI, "2026-12-24 12:00", ["2026-12-25 08:00", "2026-12-29 08:00", "2026-12-31 08:00"]),
    ],
)
def test_next_push_skips_arxiv_holidays(push_time: str, zone: str, start: str, expected: list[str]) -> None:
    """arXiv's 2026 holidays announce nothing, so they bring no push."""
    assert pushes(push_time, zone, utc(start), len(expected)) == expected


@pytest.mark.parametrize(
    ("instant", "listing"),
    [
        ("2026-09-24 23:59", "2026-09-24"),  # 19:59 New York, Thursday: Thursday's batch
        ("2026-09-25 00:00", "2026-09-25"),  # 20:00 New York: Friday's batch announced
        ("2026-09-26 12:00", "2026-09-25"),  # Saturday
        ("2026-09-28 00:00", "2026-09-28"),  # Sunday 20:00 New York: Monday's
        ("2026-11-26 12:00", "2026-11-25"),  # Thanksgiving
    ],
)
def test_batch_for(instant: str, listing: str) -> None:
    """A push is for the latest batch announced by its instant."""
    assert batch_for(utc(instant)) == date.fromisoformat(listing)


THU = date(2026, 9, 24)
WED = date(2026, 9, 23)
FRI = date(2026, 9, 25)


@pytest.mark.parametrize(
    ("push_time", "zone", "now", "delivered", "expected"),
    [
        # Delivered on time: due at the next push with a new batch.
        ("08:00", "UTC", utc("2026-09-24 08:00"), THU, utc("2026-09-25 08:00")),
        # Friday's push: next on Monday.
        ("08:00", "UTC", utc("2026-09-25 08:00"), FRI, utc("2026-09-28 08:00")),
        # A batch three hours late (feed shows it at 03:00 New York = 09:00 Berlin): wait and retry ...
        ("08:00", BERLIN, at("2026-09-24 08:00", BERLIN), WED, at("2026-09-24 08:10", BERLIN)),
        ("08:00", BERLIN, at("2026-09-24 08:50", BERLIN), WED, at("2026-09-24 09:00", BERLIN)),
        # ... and once it is there, delivered and back on schedule.
        ("08:00", BERLIN, at("2026-09-24 09:00", BERLIN), THU, at("2026-09-25 08:00", BERLIN)),
        # arXiv unreachable: retry.
        ("08:00", "UTC", utc("2026-09-24 08:00"), None, utc("2026-09-24 08:10")),
        # The bot was down over its push time and pushed at start-up: next push as usual.
        ("08:00", "UTC", utc("2026-09-24 15:00"), THU, utc("2026-09-25 08:00")),
        # Down for days: the latest batch is what it holds now; Monday next.
        ("08:00", "UTC", utc("2026-09-26 10:00"), FRI, utc("2026-09-28 08:00")),
        # Pushed after the next announcement but before the feed rebuild: Friday's push still comes.
        ("08:00", "UTC", utc("2026-09-25 01:00"), THU, utc("2026-09-25 08:00")),
        # A push that already brought Friday's batch (feed rebuilt early): no empty push Friday.
        ("08:00", "UTC", utc("2026-09-25 05:00"), FRI, utc("2026-09-28 08:00")),
        # New York evening push: the feed shows the batch only from midnight.
        ("21:00", NY, at("2026-09-24 21:00", NY), THU, at("2026-09-24 21:10", NY)),
        ("21:00", NY, at("2026-09-25 00:10", NY), FRI, at("2026-09-27 21:00", NY)),
    ],
)
def test_reschedule(
    push_time: str, zone: str, now: datetime, delivered: date | None, expected: datetime
) -> None:
    """After a push the chat waits for a late batch, retries a failed source, or moves to its next push."""
    assert reschedule(push_time, zone, now, delivered, TEN_MINUTES) == expected


@pytest.mark.parametrize(
    ("push_time", "zone", "instant", "brings"),
    [
        ("08:00", "UTC", "2026-09-25 08:00", True),  # Friday: Friday's batch, announced Thursday evening
        ("08:00", "UTC", "2026-09-26 08:00", False),  # Saturday
        ("08:00", "UTC", "2026-09-27 08:00", False),  # Sunday
        ("08:00", "UTC", "2026-11-26 08:00", False),  # Thanksgiving
        ("21:00", NY, "2026-09-28 01:00", True),  # Sunday 21:00 New York: Monday's batch
        ("21:00", NY, "2026-09-26 01:00", False),  # Friday 21:00 New York
    ],
)
def test_brings_batch(push_time: str, zone: str, instant: str, brings: bool) -> None:
    """A push instant brings a batch when one was announced since the chat's previous push time."""
    assert brings_batch(push_time, zone, utc(instant)) is brings


def test_every_day_for_a_chat_that_wants_notes() -> None:
    """A chat that wants a note on quiet days is due at its time every day, weekends included."""
    start = utc("2026-09-25 09:00")
    assert next_push("08:00", "UTC", start, every_day=True) == utc("2026-09-26 08:00")
    settings = ChatSettings(ChatKey("test", "1"), categories=("cs.DC",), empty_day_note=True)
    assert next_push_for(settings, start) == utc("2026-09-26 08:00")
    saturday = utc("2026-09-26 08:00")
    assert reschedule("08:00", "UTC", saturday, FRI, TEN_MINUTES, every_day=True) == utc("2026-09-27 08:00")
    assert reschedule("08:00", "UTC", saturday, FRI, TEN_MINUTES) == utc("2026-09-28 08:00")


def test_next_push_for_needs_categories() -> None:
    """A chat following no category is never scheduled."""
    chat = ChatSettings(ChatKey("test", "1"), push_time="08:00", timezone="UTC")
    assert next_push_for(chat, utc("2026-09-24 09:00")) is None
    subscribed = ChatSettings(ChatKey("test", "1"), categories=("cs.DC",), push_time="08:00", timezone="UTC")
    assert next_push_for(subscribed, utc("2026-09-24 09:00")) == utc("2026-09-25 08:00")


def test_next_push_for_a_terminal_chat_is_none() -> None:
    """A terminal chat has no push, so it is never scheduled, whatever it follows."""
    local = ChatSettings(ChatKey("terminal", "lab"), categories=("cs.DC",), push_time="08:00", timezone="UTC")
    assert next_push_for(local, utc("2026-09-24 09:00")) is None


async def test_hook_schedules_the_next_push(store: Store) -> None:
    """A settings change records the chat's next push; unsubscribing removes it."""
    now = utc("2026-09-24 09:00")
    hook = scheduler_hook(store, lambda: now)
    chat = ChatSettings(ChatKey("test", "7"), categories=("cs.DC",), push_time="07:30", timezone=BERLIN)
    due = await hook(chat)
    assert due == at("2026-09-25 07:30", BERLIN)
    assert await store.get_due(chat.chat) == due.timestamp()
    assert await hook(ChatSettings(chat.chat)) is None
    assert await store.get_due(chat.chat) is None


async def test_hook_keeps_a_pending_retry(store: Store) -> None:
    """A settings change while a late batch is awaited keeps the sooner retry, so the batch still comes."""
    now = utc("2026-09-24 08:05")
    hook = scheduler_hook(store, lambda: now)
    chat = ChatSettings(ChatKey("test", "8"), categories=("cs.DC",), push_time="08:00", timezone="UTC")
    retry_at = utc("2026-09-24 08:10").timestamp()
    await store.set_due(chat.chat, retry_at)
    await mark_retry(store, chat.chat, retry_at)
    assert await pending_retry(store, chat.chat) == retry_at
    due = await hook(ChatSettings(chat.chat, categories=("cs.DC", "cs.LG"), push_time="09:00"))
    assert due == utc("2026-09-24 08:10")
    assert await store.get_due(chat.chat) == retry_at


async def test_hook_ignores_a_retry_already_rescheduled(store: Store) -> None:
    """A retry marker whose due time was since replaced by a regular push no longer holds the schedule."""
    now = utc("2026-09-24 08:05")
    hook = scheduler_hook(store, lambda: now)
    chat = ChatKey("test", "9")
    await mark_retry(store, chat, utc("2026-09-24 08:00").timestamp())
    await store.set_due(chat, utc("2026-09-25 08:00").timestamp())
    assert await pending_retry(store, chat) is None
    due = await hook(ChatSettings(chat, categories=("cs.DC",), push_time="10:00", timezone="UTC"))
    assert due == utc("2026-09-24 10:00")
