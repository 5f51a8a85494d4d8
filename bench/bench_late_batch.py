"""A late Monday batch for 1,000 chats: arXiv requests, deliveries and repeats.

At 08:00 US Eastern on a Monday, 1,000 chats (1 to 3 of 100 categories each) are due. The feed shows
Monday's batch, except for 10 categories whose items are still Friday's (stale) until 11:00; the
export API lists nothing of Monday until 10:00. The push runs every 10 minutes until 12:00 on a
simulated clock, against the local fake arXiv. Prints the requests sent to each arXiv host, the most
in one cycle, the papers delivered, repeats, and when the last chat had its whole day. Every chat has
``/top all``, so each paper of its day is sent in full and "its whole day" can be counted.

    python bench/bench_late_batch.py      # run from the project root with the venv active
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.logs import configure  # noqa: E402
from bot import listing, taxonomy  # noqa: E402
from bot.engine import DigestEngine  # noqa: E402
from bot.models import ChatKey, ChatSettings  # noqa: E402
from bot.push import Pusher  # noqa: E402
from bot.source import ArxivSource  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.summary import NoSummarizer  # noqa: E402
from bot.throttle import Throttle  # noqa: E402
from tests.conftest import settings_for  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.feeds import make_rss, search_api  # noqa: E402
from tests.test_push import RecordingPlatform  # noqa: E402

FRI, MON = date(2026, 9, 25), date(2026, 9, 28)
MON_0800 = datetime(2026, 9, 28, 12, 0, tzinfo=UTC)
CHATS = 1000


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def day_papers(day: date, categories: list[str], start: int) -> list[dict[str, Any]]:
    opened = listing.submission_window(day)[0]
    papers = []
    for i, category in enumerate(categories):
        for j in range(5):
            n = start + i * 5 + j
            papers.append(
                {
                    "id": f"2609.{n:05d}",
                    "version": 1,
                    "title": f"Paper {n}",
                    "authors": ["Ada Lovelace"],
                    "categories": [category],
                    "announce_type": "new",
                    "abstract": "We propose a method.",
                    "published": opened + timedelta(minutes=n % 600),
                }
            )
    return papers


async def main() -> None:
    configure("WARNING")
    pool = [c for c in taxonomy.CATEGORIES if c not in taxonomy.ALIASES][:100]
    stale = pool[:10]
    friday = day_papers(FRI, pool, 10_000)
    monday = day_papers(MON, pool, 20_000)
    by_category = {c: [p for p in monday if p["categories"] == [c]] for c in pool}
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeArxiv() as fake:
            store = await open_store(f"sqlite:///{Path(tmp) / 'late.sqlite3'}", "bench:")
            source = ArxivSource(settings_for(fake), Throttle(store, "arxiv", 0.0))
            clock = Clock(datetime(2026, 9, 25, 12, 0, tzinfo=UTC))
            engine = DigestEngine(store, source, NoSummarizer(), clock=clock)
            fake.set_feed(make_rss(FRI, friday, pool))
            await engine.batch(pool)
            platform = RecordingPlatform(per_message=100)
            pusher = Pusher(store, engine, {platform.name: platform}, clock=clock, poll=timedelta(minutes=10))
            follows: dict[str, set[str]] = {}
            for n in range(CHATS):
                cats = tuple(rng.sample(pool, rng.randint(1, 3)))
                chat = ChatKey(platform.name, str(n))
                await store.put_chat(
                    ChatSettings(chat, cats, push_time="08:00", timezone="America/New_York", top="all")
                )
                await store.set_due(chat, MON_0800.timestamp())
                follows[str(n)] = {p["id"] for c in cats for p in by_category[c]}

            fake.requests.clear()
            clock.now = MON_0800
            fake.set_api_handler(search_api(friday))
            per_cycle: list[int] = []
            complete_at: datetime | None = None
            while clock.now <= MON_0800 + timedelta(hours=4):
                stale_items = [p for p in friday if p["categories"][0] in stale]
                fresh = [p for p in monday if p["categories"][0] not in stale]
                if clock.now >= MON_0800 + timedelta(hours=3):
                    stale_items, fresh = [], monday
                fake.set_feed(make_rss(MON, stale_items + fresh, pool))
                if clock.now >= MON_0800 + timedelta(hours=2):
                    fake.set_api_handler(search_api(friday + monday))
                before = len(fake.requests)
                await pusher.run_once(clock.now)
                per_cycle.append(len(fake.requests) - before)
                if complete_at is None and all(
                    follows[chat] <= set(platform.papers_of(chat)) for chat in follows
                ):
                    complete_at = clock.now
                clock.now += timedelta(minutes=10)
            await source.aclose()
            await store.close()
    routes = Counter(r.route for r in fake.requests)
    delivered = [paper for _, part in platform.sent for paper in part]
    repeats = sum(
        count - 1 for chat in follows for count in Counter(platform.papers_of(chat)).values() if count > 1
    )
    print(
        f"chats: {CHATS}, categories: {len(pool)} ({len(stale)} stale until 11:00 ET), API lags until 10:00 ET"
    )
    print(f"arXiv requests 08:00-12:00 ET: feed {routes['rss']}, export API {routes['api']}")
    print(f"most requests in one 10-minute cycle: {max(per_cycle)}")
    old = {p["id"] for p in friday}
    print(
        f"papers delivered: {len(delivered)}, repeats: {repeats}, Friday's sent as Monday's: {len(old & set(delivered))}"
    )
    finished = "never" if complete_at is None else complete_at.astimezone(listing.ET).strftime("%H:%M ET")
    print(f"every chat had its whole Monday by: {finished}")


if __name__ == "__main__":
    asyncio.run(main())
