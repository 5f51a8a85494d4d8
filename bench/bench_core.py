"""Core figures: CPU to build a 2,000-item batch, `arxiv-digest --help` start-up, and arXiv requests
when 1,000 chats ask for 1, 10 and 100 categories.

    python bench/bench_core.py            # run from the project root with the venv active
"""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.logs import configure  # noqa: E402
from bot import taxonomy  # noqa: E402
from bot.engine import DigestEngine  # noqa: E402
from bot.models import ANNOUNCE_TYPES, Selection  # noqa: E402
from bot.source import ArxivSource, parse_feed  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.summary import NoSummarizer  # noqa: E402
from bot.throttle import Throttle  # noqa: E402
from tests.conftest import settings_for  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.feeds import make_papers, make_rss  # noqa: E402

DAY = date(2026, 9, 24)
NOW = datetime(2026, 9, 24, 16, 0, tzinfo=UTC)


def cpu_parse(body: bytes, categories: list[str]) -> float:
    start = time.process_time()
    batch = parse_feed(body, categories)
    assert batch is not None and len(batch.papers) == 2000
    return time.process_time() - start


async def cpu_build(body: bytes, categories: list[str], tmp: Path) -> tuple[float, int]:
    async with FakeArxiv() as server:
        server.set_feed(body)
        store = await open_store(f"sqlite:///{tmp / 'build.sqlite3'}", "bench:")
        source = ArxivSource(settings_for(server), Throttle(store, "arxiv", 0.0))
        engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: NOW)
        start = time.process_time()
        digest = await engine.build(categories, None, "en", Selection(types=ANNOUNCE_TYPES))
        spent = time.process_time() - start
        await source.aclose()
        await store.close()
        return spent, len(digest.all_papers)


async def requests_for(chats: int, k: int, tmp: Path, mixed: bool) -> int:
    pool = [c for c in taxonomy.CATEGORIES if c not in taxonomy.ALIASES][:100]
    rng = random.Random(k)
    async with FakeArxiv() as server:
        server.set_feed(make_rss(DAY, make_papers(300, pool, seed=k), pool))
        store = await open_store(f"sqlite:///{tmp / f'req-{k}-{mixed}.sqlite3'}", "bench:")
        source = ArxivSource(settings_for(server), Throttle(store, "arxiv", 0.0))
        engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: NOW)
        subsets = [rng.sample(pool, k) if mixed else pool[:k] for _ in range(chats)]
        if mixed:
            union = sorted({c for s in subsets for c in s})
            await engine.batch(union)
        await asyncio.gather(*(engine.build(s, None, "en") for s in subsets))
        count = len(server.requests)
        await source.aclose()
        await store.close()
        return count


def help_time(runs: int = 7) -> tuple[float, float]:
    exe = Path(sys.executable).with_name("arxiv-digest")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(exe), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


async def main() -> None:
    configure("WARNING")
    categories = ["cs.DC", "cs.LG", "cs.AI", "cs.CL"]
    body = make_rss(DAY, make_papers(2000, categories, seed=1), categories)
    print(f"2,000-item feed: {len(body) / 1e6:.1f} MB")
    print(f"parse 2,000 items:           {cpu_parse(body, categories):.3f} s CPU")
    with tempfile.TemporaryDirectory() as tmp:
        spent, papers = await cpu_build(body, categories, Path(tmp))
        print(f"build digest of {papers} papers (fetch, parse, cache, merge): {spent:.3f} s CPU")
        for k in (1, 10, 100):
            same = await requests_for(1000, k, Path(tmp), mixed=False)
            mixed = await requests_for(1000, k, Path(tmp), mixed=True)
            print(
                f"1,000 chats × {k:>3} categories: {same} arXiv request(s) (same set), {mixed} (mixed sets, union prefetched)"
            )
    median, worst = help_time()
    print(f"arxiv-digest --help: median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms over 7 runs")


if __name__ == "__main__":
    asyncio.run(main())
