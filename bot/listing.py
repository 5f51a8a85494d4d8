"""arXiv's announcement calendar, as pure functions of dates and aware datetimes.

A batch is named by its **listing date** L. Listing days are Monday to Friday, except arXiv's
holidays. The batch of L is announced at 20:00 America/New_York on the calendar day before L
(Sunday to Thursday evenings), and the RSS feed shows it from 00:00 America/New_York on L, when the
feeds are rebuilt. Submissions received before 14:00 New York time on the last weekday before L, and
after the previous batch's cutoff, make up the batch of L.

Every time of day is taken in America/New_York through zoneinfo, so the summer-time changes in
March and November are right; results are aware datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from bot.errors import BadDate, clip

__all__ = [
    "ANNOUNCEMENT_TIME",
    "CUTOFF_TIME",
    "ET",
    "FEED_READY_TIME",
    "FIRST_LISTING",
    "HOLIDAYS",
    "HOLIDAYS_BY_YEAR",
    "announcement_at",
    "feed_listing_date",
    "feed_ready_at",
    "holidays_known",
    "is_listing_day",
    "latest_feed_listing",
    "latest_listing",
    "nearest_listing_days",
    "next_listing",
    "next_listing_day",
    "parse_listing_date",
    "previous_listing_day",
    "settled_at",
    "submission_window",
]

ET = ZoneInfo("America/New_York")

FIRST_LISTING = date(1991, 8, 14)
ANNOUNCEMENT_TIME = time(20, 0)  # on the day before the listing date
FEED_READY_TIME = time(0, 0)  # on the listing date
CUTOFF_TIME = time(14, 0)  # on the last weekday before the listing date

# Listing dates on which arXiv publishes no batch, year by year. 2026 is arXiv's list from its help
# page "Availability of submissions". 2025 holds the holidays arXiv observes every year (those of its
# 2023, 2024 and 2026 lists); any extra year-end days of 2025 are not included. Years missing here
# have no known holidays: every weekday counts as a listing day, and a weekday whose feed turns out
# empty is treated as a possible holiday (the engine waits for the next batch; nothing is lost).
HOLIDAYS_BY_YEAR: Mapping[int, frozenset[date]] = MappingProxyType(
    {
        2025: frozenset(
            {
                date(2025, 1, 1),  # New Year's Day
                date(2025, 1, 20),  # Martin Luther King Jr. Day
                date(2025, 6, 19),  # Juneteenth
                date(2025, 7, 4),  # Independence Day
                date(2025, 9, 1),  # Labor Day
                date(2025, 11, 27),  # Thanksgiving
                date(2025, 12, 25),  # Christmas Day
            }
        ),
        2026: frozenset(
            {
                date(2026, 1, 1),  # New Year's Day
                date(2026, 1, 19),  # Martin Luther King Jr. Day
                date(2026, 6, 19),  # Juneteenth
                date(2026, 7, 3),  # Independence Day (observed)
                date(2026, 9, 7),  # Labor Day
                date(2026, 11, 26),  # Thanksgiving
                date(2026, 12, 25),  # Christmas Day
                date(2026, 12, 29),
                date(2026, 12, 31),
            }
        ),
    }
)
HOLIDAYS: frozenset[date] = frozenset().union(*HOLIDAYS_BY_YEAR.values())

_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Holidays never span more than a few days; this bounds every walk through the calendar.
_MAX_GAP = 31


def holidays_known(d: date) -> bool:
    """Whether the calendar holds arXiv's holiday list for the year of ``d``."""
    return d.year in HOLIDAYS_BY_YEAR


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return now.astimezone(ET)


def is_listing_day(d: date) -> bool:
    """Whether arXiv lists a batch dated ``d``: a weekday, not a holiday, from 1991-08-14 on."""
    return d >= FIRST_LISTING and d.weekday() < 5 and d not in HOLIDAYS


def previous_listing_day(d: date) -> date:
    """The latest listing day strictly before ``d``; ValueError if there is none."""
    candidate = d
    for _ in range(_MAX_GAP):
        if candidate <= FIRST_LISTING:
            break
        candidate -= _ONE_DAY
        if is_listing_day(candidate):
            return candidate
    raise ValueError(f"no arXiv listing before {d.isoformat()}")


def next_listing_day(d: date) -> date:
    """The earliest listing day strictly after ``d``."""
    candidate = max(d, FIRST_LISTING - _ONE_DAY)
    for _ in range(_MAX_GAP):
        candidate += _ONE_DAY
        if is_listing_day(candidate):
            return candidate
    raise ValueError(f"no arXiv listing within {_MAX_GAP} days after {d.isoformat()}")


def _on_or_before(d: date) -> date:
    return d if is_listing_day(d) else previous_listing_day(d)


def _on_or_after(d: date) -> date:
    return d if is_listing_day(d) else next_listing_day(d)


def announcement_at(listing: date) -> datetime:
    """When the batch of ``listing`` is announced: 20:00 New York time the day before."""
    return datetime.combine(listing - _ONE_DAY, ANNOUNCEMENT_TIME, tzinfo=ET)


def feed_ready_at(listing: date) -> datetime:
    """When the RSS feed shows the batch of ``listing``: 00:00 New York time that day."""
    return datetime.combine(listing, FEED_READY_TIME, tzinfo=ET)


def latest_listing(now: datetime) -> date:
    """The latest listing day whose batch has been announced at ``now`` (an aware datetime)."""
    local = _require_aware(now)
    candidate = local.date() + _ONE_DAY if local.time() >= ANNOUNCEMENT_TIME else local.date()
    return _on_or_before(candidate)


def latest_feed_listing(now: datetime) -> date:
    """The latest listing day whose batch the RSS feed shows at ``now`` (an aware datetime)."""
    local = _require_aware(now)
    return _on_or_before(local.date())


def feed_listing_date(published: date | None, built: datetime | None) -> date | None:
    """The listing date of a feed's batch, from its stated date and the time it was built.

    ``published`` is the date the feed states (its channel's ``pubDate``, or its items'), ``built``
    the feed's build time (``lastBuildDate``, or Atom's ``updated``), an aware datetime. No batch can
    be in a feed built before the batch was announced, so the listing date is at most
    ``latest_listing(built)``. A stated date that is not a listing day (a Sunday date on Monday's
    batch) stands for the next listing day. None when the feed states neither.
    """
    by_build = latest_listing(built) if built is not None else None
    if published is None:
        return by_build
    stated = _on_or_after(published) if published >= FIRST_LISTING else published
    if by_build is None:
        return stated
    return min(stated, by_build)


def settled_at(listing: date) -> datetime:
    """When the export API surely lists the batch of ``listing``: the next batch's announcement.

    The API lags the announcement by hours; an empty or short answer before this time may only mean
    it has not caught up yet.
    """
    return announcement_at(next_listing_day(listing))


def next_listing(now: datetime) -> date:
    """The first listing day whose batch is announced after ``now`` (an aware datetime)."""
    local = _require_aware(now)
    days_ahead = 2 if local.time() >= ANNOUNCEMENT_TIME else 1
    return _on_or_after(local.date() + timedelta(days=days_ahead))


def _cutoff(listing: date) -> datetime:
    """14:00 New York time on the last weekday (Monday–Friday) before ``listing``."""
    day = listing - _ONE_DAY
    while day.weekday() >= 5:
        day -= _ONE_DAY
    return datetime.combine(day, CUTOFF_TIME, tzinfo=ET)


def submission_window(listing: date) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC of the submissions announced in the batch of ``listing``.

    ``end`` is 14:00 New York time on the last weekday before the listing date; ``start`` is the
    previous listing day's ``end``, so a holiday merges its submissions into the next batch.
    Raises ValueError when ``listing`` is not a listing day.
    """
    if not is_listing_day(listing):
        raise ValueError(f"{listing.isoformat()} is not an arXiv listing day")
    start = _cutoff(previous_listing_day(listing))
    end = _cutoff(listing)
    return start.astimezone(UTC), end.astimezone(UTC)


def nearest_listing_days(d: date, latest: date | None = None) -> list[date]:
    """The listing days just before and just after ``d``, leaving out any after ``latest``."""
    nearest: list[date] = []
    for neighbour in (previous_listing_day, next_listing_day):
        try:
            found = neighbour(d)
        except (ValueError, OverflowError):
            continue
        if latest is None or found <= latest:
            nearest.append(found)
    return nearest


def _why_not_listed(d: date) -> str:
    if d.weekday() >= 5:
        return f"a {_WEEKDAYS[d.weekday()]}"
    return "an arXiv holiday"


def _nearest_phrase(nearest: list[date]) -> str:
    if not nearest:
        return ""
    if len(nearest) == 1:
        return f"; the nearest listing day is {nearest[0].isoformat()}"
    return f"; the nearest listing days are {nearest[0].isoformat()} and {nearest[1].isoformat()}"


def parse_listing_date(text: str, now: datetime) -> date:
    """The listing date written as ``YYYY-MM-DD`` in ``text``, checked against the calendar at ``now``.

    Raises BadDate, saying what is accepted, for text that is not such a date, a date before
    arXiv's first listing, a date after the latest announced batch (a weekend day or holiday that
    is already here is reported as such), or a day without a listing (``nearest`` then holds the
    listing days around it that are already announced).
    """
    latest = latest_listing(now)
    today = now.astimezone(ET).date()
    stripped = text.strip()
    parsed: date | None = None
    if len(stripped) == 10 and _ISO_DATE.fullmatch(stripped):
        try:
            parsed = date.fromisoformat(stripped)
        except ValueError:
            parsed = None
    if parsed is None:
        raise BadDate(
            f"{clip(stripped)!r} is not a date: give a listing date as YYYY-MM-DD, e.g. {latest.isoformat()}",
            nearest=[latest],
        )
    if parsed < FIRST_LISTING:
        raise BadDate(
            f"{parsed.isoformat()} is too early: arXiv's first listing is {FIRST_LISTING.isoformat()}",
            nearest=[FIRST_LISTING],
        )
    if parsed > latest and (parsed > today or is_listing_day(parsed)):
        raise BadDate(
            f"{parsed.isoformat()} is in the future; the latest batch is {latest.isoformat()}",
            nearest=[latest],
        )
    if not is_listing_day(parsed):
        nearest = nearest_listing_days(parsed, latest)
        raise BadDate(
            f"{parsed.isoformat()} is {_why_not_listed(parsed)}: arXiv has no listing that day"
            + _nearest_phrase(nearest),
            nearest=nearest,
        )
    return parsed
