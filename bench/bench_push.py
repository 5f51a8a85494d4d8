"""One digest to many chats through the real Telegram platform, against a fake Bot API that enforces
Telegram's flood limits (30 messages/s overall, 20/min per group, 1/s per chat) and answers 429 with
``retry_after`` when they are exceeded.

Prints messages per second (target ≥ 0.95 × 30), 429s (target 0), duplicates and lost papers
(target 0), and the arXiv requests of the whole push (target 1 per batch).

    python -m bench.bench_push --chats 10000          # about six minutes
    python -m bench.bench_push --chats 600 --papers 40  # several messages per chat
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from uuid import uuid4

from pydantic import SecretStr

from adapters.logs import configure
from adapters.runner import settle_heap
from adapters.telegram.app import build_platform
from adapters.telegram.limits import FloodControl
from bot.engine import DigestEngine
from bot.models import ChatKey, ChatSettings
from bot.push import Pusher
from bot.settings import Settings
from bot.source import ArxivSource
from bot.store import open_store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import delete_prefix
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_papers, make_rss
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, FloodLimits

LISTING = date(2026, 9, 24)
NOW = datetime(2026, 9, 24, 8, 0, tzinfo=UTC)
CATEGORIES = ("cs.DC", "cs.LG")
ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})")


def chat_ids(count: int, group_share: float) -> list[int]:
    """Private chats (positive ids) and, for ``group_share`` of them, supergroups (negative ids)."""
    groups = int(count * group_share)
    return [-1001000000000 - n for n in range(groups)] + [10_000_000 + n for n in range(count - groups)]


async def subscribe(store_url: str, prefix: str, ids: list[int]) -> None:
    store = await open_store(store_url, prefix)
    try:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]

            async def one(chat_id: int) -> None:
                chat = ChatKey("telegram", str(chat_id))
                await store.put_chat(ChatSettings(chat, CATEGORIES))
                await store.set_due(chat, NOW.timestamp())

            await asyncio.gather(*(one(chat_id) for chat_id in chunk))
    finally:
        await store.close()


async def cleanup(store_url: str, prefix: str) -> None:
    if not store_url.startswith("redis"):
        return
    await delete_prefix(store_url, prefix)


async def main(args: argparse.Namespace) -> None:
    configure("WARNING")
    prefix = f"bench:{uuid4().hex}:"
    ids = chat_ids(args.chats, args.groups)
    papers = make_papers(args.papers, CATEGORIES, seed=7)
    async with FakeArxiv() as arxiv, FakeTelegram(flood_limits=FloodLimits()) as telegram:
        arxiv.set_feed(make_rss(LISTING, papers, CATEGORIES))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=SecretStr(DEFAULT_TOKEN),
            telegram_api_url=telegram.api_url,
            arxiv_rss_url=arxiv.rss_url,
            arxiv_api_url=arxiv.api_url,
            store_url=args.store,
            store_prefix=prefix,
        )
        await subscribe(args.store, prefix, ids)
        store = await open_store(args.store, prefix)
        source = ArxivSource(settings, Throttle(store, "arxiv", settings.arxiv_min_interval))
        engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: NOW)
        platform = build_platform(settings, flood=FloodControl())
        pusher = Pusher(
            store, engine, {"telegram": platform}, clock=lambda: NOW, concurrency=args.concurrency
        )
        try:
            settle_heap()  # as the bot process does after start-up
            started = time.perf_counter()
            report = await pusher.run_once()
            elapsed = time.perf_counter() - started
        finally:
            await platform.close()
            await source.aclose()
            await store.close()
            await cleanup(args.store, prefix)

        expected = set(digest_ids(papers))
        got: dict[int | str, Counter[str]] = defaultdict(Counter)
        for message in telegram.sent:
            got[message.chat_id].update(set(ABS.findall(message.text)))
        duplicates = sum(n - 1 for counts in got.values() for n in counts.values() if n > 1)
        lost = sum(len(expected - set(got[chat_id])) for chat_id in ids)
        times = sorted(m.at for m in telegram.sent)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        rate = (len(times) - 1) / span if span > 0 else float("nan")
        print(f"chats                 {args.chats} ({int(args.chats * args.groups)} groups)")
        print(f"papers per digest     {len(expected)}")
        print(
            f"messages              {len(telegram.sent)} ({len(telegram.sent) / max(1, args.chats):.2f} per chat)"
        )
        print(f"push cycle            {elapsed:.1f} s")
        print(f"messages/s            {rate:.2f} first to last message (target >= {0.95 * 30:.1f})")
        print(f"messages/s over cycle {len(telegram.sent) / elapsed:.2f}")
        print(f"429 answers           {telegram.flood_violations} (target 0)")
        print(f"duplicate papers      {duplicates} (target 0)")
        print(f"lost papers           {lost} (target 0)")
        print(f"arXiv requests        {len(arxiv.requests)} (target 1)")
        print(f"report                {report}")


def digest_ids(papers: list[dict[str, object]]) -> list[str]:
    """The ids a digest of ``CATEGORIES`` carries: new submissions and cross-lists (no replacements)."""
    return [str(p["id"]) for p in papers if p["announce_type"] in ("new", "cross")]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=12, help="papers in the batch (12 fit one message)")
    parser.add_argument("--groups", type=float, default=0.2, help="share of chats that are groups")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--store", default="redis://127.0.0.1:6379/0")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
