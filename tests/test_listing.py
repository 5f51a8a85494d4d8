"""arXiv's announcement calendar: listing days, announcement and feed times, windows, dates typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadDate, BadInput
from bot.listing import (
    ET,
    FIRST_LISTING,
    HOLIDAYS,
    HOLIDAYS_BY_YEAR,
    announcement_at,
    feed_listing_date,
    feed_ready_at,
    holidays_known,
    is_listing_day,
    latest_feed_listing,
    latest_listing,
    nearest_listing_days,
    next_listing,
    next_listing_day,
    parse_listing_date,
    previous_listing_day,
    settled_at,
    submission_window,
)

D = date.fromisoformat


def et(text: str) -> datetime:
    """An aware datetime at New York wall-clock time ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=ET)


def utc(text: str) -> datetime:
    """An aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


HOLIDAYS_2026 = [
    "2026-01-01",
    "2026-01-19",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
    "2026-12-29",
    "2026-12-31",
]

# -- listing days ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "listed"),
    [
        ("2026-09-21", True),  # Monday
        ("2026-09-22", True),
        ("2026-09-23", True),
        ("2026-09-24", True),
        ("2026-09-25", True),  # Friday
        ("2026-09-26", False),  # Saturday
        ("2026-09-27", False),  # Sunday
        ("2026-11-25", True),  # Wednesday before Thanksgiving
        ("2026-11-27", True),  # Friday after Thanksgiving
        ("2026-12-30", True),
        ("2026-03-09", True),  # Monday after the March clock change
        ("2026-11-02", True),  # Monday after the November clock change
        ("1991-08-14", True),  # the first listing
        ("1991-08-13", False),
        ("1970-01-01", False),
    ],
)
def test_is_listing_day(day: str, listed: bool) -> None:
    """Weekdays are listing days, weekends and days before the first listing are not."""
    assert is_listing_day(D(day)) is listed


@pytest.mark.parametrize("day", HOLIDAYS_2026)
def test_each_2026_holiday_has_no_listing(day: str) -> None:
    """Every 2026 holiday is a weekday without a listing."""
    assert D(day).weekday() < 5
    assert D(day) in HOLIDAYS
    assert not is_listing_day(D(day))


def test_holiday_tables() -> None:
    """The 2026 table is exactly the design's list, and every table entry lies in its year."""
    assert sorted(HOLIDAYS_BY_YEAR[2026]) == [D(day) for day in HOLIDAYS_2026]
    for year, days in HOLIDAYS_BY_YEAR.items():
        assert all(day.year == year and day.weekday() < 5 for day in days)
    assert frozenset().union(*HOLIDAYS_BY_YEAR.values()) == HOLIDAYS


@pytest.mark.parametrize(
    ("day", "previous", "following"),
    [
        ("2026-09-23", "2026-09-22", "2026-09-24"),  # Wednesday
        ("2026-09-25", "2026-09-24", "2026-09-28"),  # Friday
        ("2026-09-26", "2026-09-25", "2026-09-28"),  # Saturday
        ("2026-09-28", "2026-09-25", "2026-09-29"),  # Monday
        ("2026-09-07", "2026-09-04", "2026-09-08"),  # Labor Day
        ("2026-09-08", "2026-09-04", "2026-09-09"),  # Tuesday after Labor Day
        ("2026-11-26", "2026-11-25", "2026-11-27"),  # Thanksgiving
        ("2026-07-03", "2026-07-02", "2026-07-06"),  # Friday holiday
        ("2026-12-28", "2026-12-24", "2026-12-30"),  # Christmas week
        ("2026-12-30", "2026-12-28", "2027-01-01"),
        ("2026-01-02", "2025-12-31", "2026-01-05"),
        ("2026-01-20", "2026-01-16", "2026-01-21"),  # after Martin Luther King Jr. Day
    ],
)
def test_previous_and_next_listing_day(day: str, previous: str, following: str) -> None:
    """Neighbouring listing days skip weekends and holidays, strictly before and after."""
    assert previous_listing_day(D(day)) == D(previous)
    assert next_listing_day(D(day)) == D(following)


@pytest.mark.parametrize("day", ["1991-08-14", "1991-08-01", "1900-01-01"])
def test_no_listing_before_the_first(day: str) -> None:
    """There is no listing day before 1991-08-14."""
    with pytest.raises(ValueError, match="no arXiv listing before"):
        previous_listing_day(D(day))


@pytest.mark.parametrize(("day", "following"), [("1991-08-13", "1991-08-14"), ("1980-05-05", "1991-08-14")])
def test_next_listing_day_before_the_first(day: str, following: str) -> None:
    """The next listing day before arXiv began is its first listing."""
    assert next_listing_day(D(day)) == D(following)


# -- announcement and feed times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listing", "announced_utc"),
    [
        ("2026-09-24", "2026-09-24 00:00"),  # Wednesday 20:00 EDT
        ("2026-09-28", "2026-09-28 00:00"),  # Sunday 20:00 EDT
        ("2026-03-06", "2026-03-06 01:00"),  # Thursday 20:00 EST
        ("2026-03-09", "2026-03-09 00:00"),  # Sunday 2026-03-08 20:00, the day clocks go forward
        ("2026-10-30", "2026-10-30 00:00"),  # Thursday 20:00 EDT
        ("2026-11-02", "2026-11-02 01:00"),  # Sunday 2026-11-01 20:00, the day clocks go back
    ],
)
def test_announcement_at(listing: str, announced_utc: str) -> None:
    """A batch is announced at 20:00 New York time the day before its listing date."""
    announced = announcement_at(D(listing))
    assert announced == utc(announced_utc)
    assert announced.astimezone(ET).hour == 20
    assert announced.astimezone(ET).date() == D(listing) - timedelta(days=1)


@pytest.mark.parametrize(
    ("listing", "ready_utc"),
    [
        ("2026-09-24", "2026-09-24 04:00"),
        ("2026-03-06", "2026-03-06 05:00"),
        ("2026-03-09", "2026-03-09 04:00"),
        ("2026-11-02", "2026-11-02 05:00"),
        ("2026-01-05", "2026-01-05 05:00"),
    ],
)
def test_feed_ready_at(listing: str, ready_utc: str) -> None:
    """The feed shows a batch from 00:00 New York time on its listing date."""
    assert feed_ready_at(D(listing)) == utc(ready_utc)


# -- latest and next batch ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        (et("2026-09-24 19:59"), "2026-09-24"),  # Thursday, before the announcement
        (et("2026-09-24 20:00"), "2026-09-25"),  # Thursday, at the announcement
        (et("2026-09-25 10:00"), "2026-09-25"),  # Friday
        (et("2026-09-25 19:59"), "2026-09-25"),
        (et("2026-09-25 21:00"), "2026-09-25"),  # Friday evening: no announcement
        (et("2026-09-26 12:00"), "2026-09-25"),  # Saturday
        (et("2026-09-27 19:59"), "2026-09-25"),  # Sunday, before the announcement
        (et("2026-09-27 20:00"), "2026-09-28"),  # Sunday, at the announcement
        (et("2026-09-28 00:00"), "2026-09-28"),
        (utc("2026-09-24 23:59"), "2026-09-24"),  # the same instants given in UTC
        (utc("2026-09-25 00:00"), "2026-09-25"),
        (datetime(2026, 9, 25, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-09-25"),
        (datetime(2026, 9, 25, 7, 59, tzinfo=ZoneInfo("Asia/Shanghai")), "2026-09-24"),
        (et("2026-03-08 19:59"), "2026-03-06"),  # the day clocks go forward
        (et("2026-03-08 20:00"), "2026-03-09"),
        (utc("2026-03-08 23:59"), "2026-03-06"),
        (utc("2026-03-09 00:00"), "2026-03-09"),
        (et("2026-11-01 19:59"), "2026-10-30"),  # the day clocks go back
        (et("2026-11-01 20:00"), "2026-11-02"),
        (utc("2026-11-02 00:59"), "2026-10-30"),
        (utc("2026-11-02 01:00"), "2026-11-02"),
        (et("2026-11-24 20:00"), "2026-11-25"),  # Thanksgiving week
        (et("2026-11-25 20:00"), "2026-11-25"),  # no batch is announced for the holiday
        (et("2026-11-26 19:59"), "2026-11-25"),
        (et("2026-11-26 20:00"), "2026-11-27"),
        (et("2026-12-28 20:00"), "2026-12-28"),  # 12-29 is a holiday
        (et("2026-12-29 20:00"), "2026-12-30"),
        (et("2026-12-30 20:00"), "2026-12-30"),  # 12-31 is a holiday
        (et("2025-12-31 20:00"), "2025-12-31"),  # 2026-01-01 is a holiday
        (et("2026-01-18 20:00"), "2026-01-16"),  # 01-19 is a holiday
        (et("2026-09-06 20:00"), "2026-09-04"),  # Labor Day
        (et("2026-09-07 20:00"), "2026-09-08"),
    ],
)
def test_latest_listing(now: datetime, latest: str) -> None:
    """The latest batch is the last one whose 20:00 New York announcement has passed."""
    assert latest_listing(now) == D(latest)


@pytest.mark.parametrize(
    ("now", "following"),
    [
        (et("2026-09-24 19:59"), "2026-09-25"),
        (et("2026-09-24 20:00"), "2026-09-28"),
        (et("2026-09-25 12:00"), "2026-09-28"),
        (et("2026-09-27 19:59"), "2026-09-28"),
        (et("2026-09-27 20:00"), "2026-09-29"),
        (et("2026-11-24 20:00"), "2026-11-27"),  # nothing is announced Wednesday evening
        (et("2026-11-25 19:59"), "2026-11-27"),
        (et("2026-11-25 20:00"), "2026-11-27"),  # announced Thursday 20:00
        (et("2026-11-26 20:00"), "2026-11-30"),
        (utc("2026-03-09 00:00"), "2026-03-10"),
        (utc("2026-03-08 23:59"), "2026-03-09"),
    ],
)
def test_next_listing(now: datetime, following: str) -> None:
    """The next batch is the first one whose announcement is still ahead."""
    assert next_listing(now) == D(following)


@pytest.mark.parametrize("start", ["2026-03-02", "2026-06-15", "2026-10-26", "2026-11-20", "2026-12-21"])
def test_latest_and_next_bracket_now(start: str) -> None:
    """For every half hour over two weeks, the latest batch is announced by now and the next after."""
    now = et(f"{start} 00:00")
    for _ in range(14 * 48):
        latest = latest_listing(now)
        following = next_listing(now)
        assert announcement_at(latest) <= now < announcement_at(following)
        assert following == next_listing_day(latest)
        assert is_listing_day(latest) and is_listing_day(following)
        now += timedelta(minutes=30)


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        (et("2026-09-24 23:59"), "2026-09-24"),
        (et("2026-09-25 00:00"), "2026-09-25"),  # Friday's feed rebuild
        (et("2026-09-24 20:30"), "2026-09-24"),  # announced, not yet in the feed
        (et("2026-09-26 12:00"), "2026-09-25"),
        (et("2026-09-27 23:59"), "2026-09-25"),
        (et("2026-09-28 00:00"), "2026-09-28"),
        (utc("2026-09-25 03:59"), "2026-09-24"),
        (utc("2026-09-25 04:00"), "2026-09-25"),
        (utc("2026-11-27 04:59"), "2026-11-25"),  # Thanksgiving, 23:59 EST
        (utc("2026-11-27 05:00"), "2026-11-27"),
        (et("2026-03-09 00:00"), "2026-03-09"),
        (utc("2026-03-09 03:59"), "2026-03-06"),
    ],
)
def test_latest_feed_listing(now: datetime, latest: str) -> None:
    """The feed shows the last batch whose listing date has begun in New York."""
    assert latest_feed_listing(now) == D(latest)


@pytest.mark.parametrize("function", [latest_listing, latest_feed_listing, next_listing])
def test_naive_now_is_refused(function: object) -> None:
    """A naive current time is a programming error."""
    assert callable(function)
    with pytest.raises(ValueError, match="timezone-aware"):
        function(datetime(2026, 9, 24, 12, 0))


# -- submission windows ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listing", "start", "end"),
    [
        ("2026-09-22", "2026-09-18 18:00", "2026-09-21 18:00"),  # Tuesday: Fri 14:00 – Mon 14:00
        ("2026-09-23", "2026-09-21 18:00", "2026-09-22 18:00"),  # Wednesday: Mon – Tue
        ("2026-09-25", "2026-09-23 18:00", "2026-09-24 18:00"),  # Friday: Wed – Thu
        ("2026-09-28", "2026-09-24 18:00", "2026-09-25 18:00"),  # Monday: Thu – Fri
        ("2026-11-27", "2026-11-24 19:00", "2026-11-26 19:00"),  # after Thanksgiving: Tue – Thu
        ("2026-09-08", "2026-09-03 18:00", "2026-09-07 18:00"),  # after Labor Day: Thu – Mon
        ("2026-07-06", "2026-07-01 18:00", "2026-07-03 18:00"),  # after the Friday holiday: Wed – Fri
        ("2026-03-10", "2026-03-06 19:00", "2026-03-09 18:00"),  # across the March clock change
        ("2026-11-03", "2026-10-30 18:00", "2026-11-02 19:00"),  # across the November clock change
    ],
)
def test_submission_window(listing: str, start: str, end: str) -> None:
    """A batch holds submissions from the previous batch's 14:00 cutoff to its own, in UTC."""
    window = submission_window(D(listing))
    assert window == (utc(start), utc(end))
    assert all(moment.utcoffset() == timedelta(0) for moment in window)
    assert all(moment.astimezone(ET).hour == 14 for moment in window)


@pytest.mark.parametrize("start", ["2026-01-01", "2026-11-01", "2026-12-20"])
def test_submission_windows_tile_time(start: str) -> None:
    """Consecutive batches' windows meet with no gap and no overlap."""
    listing = next_listing_day(D(start))
    for _ in range(20):
        following = next_listing_day(listing)
        assert submission_window(listing)[1] == submission_window(following)[0]
        listing = following


@pytest.mark.parametrize("day", ["2026-09-26", "2026-11-26", "1991-08-14"])
def test_submission_window_needs_a_listing_day_after_the_first(day: str) -> None:
    """A day without a listing, or the very first listing, has no window."""
    with pytest.raises(ValueError):
        submission_window(D(day))


# -- nearest listing days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "latest", "nearest"),
    [
        ("2026-09-26", None, ["2026-09-25", "2026-09-28"]),
        ("2026-09-27", None, ["2026-09-25", "2026-09-28"]),
        ("2026-09-26", "2026-09-25", ["2026-09-25"]),
        ("2026-09-26", "2026-09-28", ["2026-09-25", "2026-09-28"]),
        ("2026-11-26", None, ["2026-11-25", "2026-11-27"]),
        ("2026-09-07", None, ["2026-09-04", "2026-09-08"]),
        ("2026-12-31", None, ["2026-12-30", "2027-01-01"]),
        ("1991-08-13", None, ["1991-08-14"]),
    ],
)
def test_nearest_listing_days(day: str, latest: str | None, nearest: list[str]) -> None:
    """The listing days around a day without one, leaving out those not yet announced."""
    found = nearest_listing_days(D(day), D(latest) if latest else None)
    assert found == [D(d) for d in nearest]


# -- parsing a date ----------------------------------------------------------------------------------

MONDAY_NOON = et("2026-09-28 12:00")  # latest batch: 2026-09-28


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("2026-09-25", MONDAY_NOON, "2026-09-25"),
        ("  2026-09-28\n", MONDAY_NOON, "2026-09-28"),
        ("2026-09-08", MONDAY_NOON, "2026-09-08"),
        ("1991-08-14", MONDAY_NOON, "1991-08-14"),
        ("2026-09-29", et("2026-09-28 20:00"), "2026-09-29"),  # announced this evening
    ],
)
def test_parse_listing_date(text: str, now: datetime, expected: str) -> None:
    """A YYYY-MM-DD listing day up to the latest batch is accepted."""
    assert parse_listing_date(text, now) == D(expected)


@pytest.mark.parametrize(
    ("text", "now", "message", "nearest"),
    [
        (
            "2026-09-26",
            MONDAY_NOON,
            "2026-09-26 is a Saturday: arXiv has no listing that day; "
            "the nearest listing days are 2026-09-25 and 2026-09-28",
            ["2026-09-25", "2026-09-28"],
        ),
        (
            "2026-09-27",
            MONDAY_NOON,
            "2026-09-27 is a Sunday: arXiv has no listing that day; "
            "the nearest listing days are 2026-09-25 and 2026-09-28",
            ["2026-09-25", "2026-09-28"],
        ),
        (
            "2026-09-07",
            MONDAY_NOON,
            "2026-09-07 is an arXiv holiday: arXiv has no listing that day; "
            "the nearest listing days are 2026-09-04 and 2026-09-08",
            ["2026-09-04", "2026-09-08"],
        ),
        (
            "2026-09-26",
            et("2026-09-26 12:00"),
            "2026-09-26 is a Saturday: arXiv has no listing that day; the nearest listing day is 2026-09-25",
            ["2026-09-25"],
        ),
        (
            "2026-11-26",
            et("2026-11-26 12:00"),
            "2026-11-26 is an arXiv holiday: arXiv has no listing that day; "
            "the nearest listing day is 2026-11-25",
            ["2026-11-25"],
        ),
        (
            "2026-09-29",
            MONDAY_NOON,
            "2026-09-29 is in the future; the latest batch is 2026-09-28",
            ["2026-09-28"],
        ),
        (
            "2026-09-27",
            et("2026-09-26 12:00"),
            "2026-09-27 is in the future; the latest batch is 2026-09-25",
            ["2026-09-25"],
        ),
        (
            "9999-12-31",
            MONDAY_NOON,
            "9999-12-31 is in the future; the latest batch is 2026-09-28",
            ["2026-09-28"],
        ),
        (
            "1991-08-13",
            MONDAY_NOON,
            "1991-08-13 is too early: arXiv's first listing is 1991-08-14",
            ["1991-08-14"],
        ),
        (
            "0001-01-01",
            MONDAY_NOON,
            "0001-01-01 is too early: arXiv's first listing is 1991-08-14",
            ["1991-08-14"],
        ),
    ],
)
def test_parse_listing_date_refuses_days_without_a_batch(
    text: str, now: datetime, message: str, nearest: list[str]
) -> None:
    """A date without a batch says why and names the nearest listing days."""
    with pytest.raises(BadDate) as caught:
        parse_listing_date(text, now)
    assert str(caught.value) == message
    assert caught.value.nearest == [D(d) for d in nearest]
    assert isinstance(caught.value, BadInput)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-9-25",
        "2026/09/25",
        "25-09-2026",
        "20260925",
        "2026-02-30",
        "2026-13-01",
        "2026-W39-5",
        "2026-09-25T00:00",
        "\uff12\uff10\uff12\uff16-09-25",  # full-width digits
    ],
)
def test_parse_listing_date_refuses_other_formats(text: str) -> None:
    """Only YYYY-MM-DD is accepted, and the message says so."""
    with pytest.raises(BadDate) as caught:
        parse_listing_date(text, MONDAY_NOON)
    assert "is not a date: give a listing date as YYYY-MM-DD, e.g. 2026-09-28" in str(caught.value)


def test_parse_listing_date_caps_the_echoed_text() -> None:
    """A huge input is echoed in at most 40 characters."""
    with pytest.raises(BadDate) as caught:
        parse_listing_date("2026-09-25" * 1_000, MONDAY_NOON)
    message = str(caught.value)
    assert len(message) < 140
    assert message.startswith(repr(("2026-09-25" * 4)[:37] + "..."))


def test_first_listing_is_a_listing_day() -> None:
    """arXiv's first listing, Wednesday 1991-08-14, is itself a listing day."""
    assert FIRST_LISTING.isoformat() == "1991-08-14"
    assert FIRST_LISTING.weekday() == 2
    assert is_listing_day(FIRST_LISTING)


@pytest.mark.parametrize(
    ("published", "built", "expected"),
    [
        # As recorded: dated the listing day, built that night.
        (D("2026-09-24"), utc("2026-09-24 08:58"), D("2026-09-24")),
        # Dated Sunday for Monday's batch, built after Sunday's announcement: Monday.
        (D("2026-09-27"), et("2026-09-28 00:02"), D("2026-09-28")),
        (D("2026-09-27"), et("2026-09-27 20:30"), D("2026-09-28")),
        (D("2026-09-27"), None, D("2026-09-28")),
        # A date the build cannot hold yet (built before Monday's announcement): Friday's batch.
        (D("2026-09-28"), et("2026-09-27 19:00"), D("2026-09-25")),
        # A feed left unrebuilt: its own date, whatever the time it is read.
        (D("2026-09-25"), et("2026-09-28 09:00"), D("2026-09-25")),
        # Dated on a holiday: the next listing day, bounded by the build.
        (D("2026-11-26"), et("2026-11-27 00:01"), D("2026-11-27")),
        # No stated date: the build time alone.
        (None, et("2026-09-24 00:03"), D("2026-09-24")),
        (None, None, None),
    ],
)
def test_feed_listing_date(published: date | None, built: datetime | None, expected: date | None) -> None:
    """A feed's listing date comes from its stated date and its build time, not one field alone."""
    assert feed_listing_date(published, built) == expected


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        (D("2026-09-24"), et("2026-09-24 20:00")),
        (D("2026-09-25"), et("2026-09-27 20:00")),
        (D("2026-11-25"), et("2026-11-26 20:00")),  # Thanksgiving: the next batch is Friday's
    ],
)
def test_settled_at(listing: date, expected: datetime) -> None:
    """The export API surely lists a batch once the next one is announced."""
    assert settled_at(listing) == expected


def test_holidays_are_known_by_year() -> None:
    """The calendar says which years it holds holidays for; later years are tolerated, not guessed."""
    assert holidays_known(D("2026-07-03")) and not holidays_known(D("2027-01-18"))
    assert is_listing_day(D("2027-01-18"))
