"""Memory of the bot process with many subscribed chats in Redis, during a push cycle.

The parent subscribes ``--chats`` chats (all due), caches the day's batch as the engine does (one
request to a fake arXiv), then starts a fresh bot process: the app as ``arxiv-digest run`` builds it,
with the Telegram and Discord adapters imported, and a push cycle over every due chat through a
platform that acknowledges each message at once. The child samples its resident set size while the
cycle pages through the due index; the target is a peak of at most 150 MB.

    python -m bench.bench_memory --chats 100000
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

LISTING = date(2026, 9, 24)
NOW = datetime(2026, 9, 24, 8, 0, tzinfo=UTC)
CATEGORY_SETS = [("cs.DC",), ("cs.LG",), ("cs.DC", "cs.LG"), ("cs.AI",), ("cs.AI", "cs.LG"), ("cs.CL",)]
LANGUAGES = ("en", "zh")
ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    """This process's resident set size now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the parent ------------------------------------------------------------------------------------------


async def prepare(store_url: str, prefix: str, chats: int) -> None:
    """Subscribe ``chats`` chats, all due now, and cache the batch of every category they follow."""
    from bot.engine import DigestEngine
    from bot.models import ChatKey, ChatSettings
    from bot.settings import Settings
    from bot.source import ArxivSource
    from bot.store import open_store
    from bot.summary import NoSummarizer
    from bot.throttle import Throttle
    from tests.fakes.arxiv import FakeArxiv
    from tests.fakes.feeds import make_papers, make_rss

    categories = sorted({c for cats in CATEGORY_SETS for c in cats})
    store = await open_store(store_url, prefix)
    try:
        for start in range(0, chats, 1000):

            async def one(n: int) -> None:
                chat = ChatKey("telegram", str(10_000_000 + n))
                settings = ChatSettings(
                    chat, CATEGORY_SETS[n % len(CATEGORY_SETS)], language=LANGUAGES[n % len(LANGUAGES)]
                )
                await store.put_chat(settings)
                await store.set_due(chat, NOW.timestamp())

            await asyncio.gather(*(one(n) for n in range(start, min(chats, start + 1000))))
        async with FakeArxiv() as arxiv:
            arxiv.set_feed(make_rss(LISTING, make_papers(150, categories, seed=3), categories))
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                arxiv_rss_url=arxiv.rss_url,
                arxiv_api_url=arxiv.api_url,
                arxiv_min_interval=0.0,
            )
            source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
            engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: NOW)
            await engine.batch(categories)
            await source.aclose()
    finally:
        await store.close()


async def cleanup(store_url: str, prefix: str) -> None:
    from tests.conftest import delete_prefix

    await delete_prefix(store_url, prefix)


def parent(args: argparse.Namespace) -> None:
    from adapters.logs import configure

    configure("WARNING")
    prefix = f"bench:{uuid4().hex}:"
    started = time.perf_counter()
    asyncio.run(prepare(args.store, prefix, args.chats))
    print(f"subscribed            {args.chats} chats in {time.perf_counter() - started:.1f} s")
    try:
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_memory",
                "--child",
                json.dumps({"store": args.store, "prefix": prefix}),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr[-4000:])
            raise SystemExit(child.returncode)
        figures = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        asyncio.run(cleanup(args.store, prefix))
    print(f"RSS after start-up    {figures['baseline']:.1f} MB")
    print(f"RSS peak in the cycle {figures['peak']:.1f} MB (target <= 150)")
    print(
        f"push cycle            {figures['seconds']:.1f} s, {figures['chats']} chats, {figures['messages']} messages"
    )


# -- the bot process -------------------------------------------------------------------------------------


class AckPlatform:
    """Acknowledges every message at once."""

    name = "telegram"

    def __init__(self) -> None:
        self.messages = 0

    async def send_digest(self, chat: Any, digest: Any, on_sent: Any, max_messages: Any = None) -> None:
        ids = [p.id for p in digest.full]
        for start in range(0, len(ids), 10):
            self.messages += 1
            await on_sent(ids[start : start + 10])

    async def send_text(self, chat: Any, text: str) -> None:
        self.messages += 1


async def child(config: dict[str, Any]) -> dict[str, Any]:
    from adapters.app import build_app
    from adapters.logs import configure
    from adapters.runner import settle_heap
    from bot.metrics import Metrics
    from bot.push import Pusher
    from bot.settings import Settings

    for module in ("adapters.telegram.app", "adapters.discord.platform"):
        importlib.import_module(module)  # loaded as in `arxiv-digest run`
    configure("WARNING")
    settings = Settings(_env_file=None, store_url=config["store"], store_prefix=config["prefix"])  # type: ignore[call-arg]
    app = await build_app(settings, clock=lambda: NOW)
    platform = AckPlatform()
    pusher = Pusher(app.store, app.engine, {"telegram": platform}, clock=lambda: NOW, metrics=Metrics())
    settle_heap()
    baseline = rss_mb()
    samples: list[float] = []

    async def sample() -> None:
        while True:
            samples.append(rss_mb())
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    report = await pusher.run_once()
    seconds = time.perf_counter() - started
    sampler.cancel()
    await app.aclose()
    return {
        "baseline": baseline,
        "peak": max([*samples, peak_mb()]),
        "seconds": seconds,
        "chats": report.chats,
        "messages": platform.messages,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Bot RSS with many subscribed chats during a push cycle.")
    parser.add_argument("--chats", type=int, default=100_000)
    parser.add_argument("--store", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(json.loads(args.child)))))
    else:
        parent(args)


if __name__ == "__main__":
    main()
