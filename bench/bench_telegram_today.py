"""/today answered from a cached digest: latency from the update reaching the bot to sendMessage
reaching the Bot API, over 1,000 requests (target: p99 <= 50 ms).

The real python-telegram-bot long-polls the fake Bot API on 127.0.0.1; the core's Commands run on a
real store (embedded SQLite by default, ``--store redis://...`` for Redis) with the day's batch
already cached (one warm-up /today fetched it from the fake arXiv). Each request comes from its own
subscribed private chat, so the per-chat limit (1/s) never applies; requests arrive at ``--rate``
per second, under Telegram's 30 messages/s, with the real flood limits in force. The clock starts
when the fake server hands the update out in a getUpdates answer and stops when the reply's
sendMessage arrives.

    python bench/bench_telegram_today.py                 # run from the project root, venv active
    python bench/bench_telegram_today.py --requests 1000 --rate 25 --store redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.app import build_app  # noqa: E402
from adapters.logs import configure  # noqa: E402
from adapters.telegram.app import TelegramService  # noqa: E402
from adapters.telegram.limits import FloodControl, Limits  # noqa: E402
from bot.models import ChatKey, ChatSettings  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.feeds import make_papers, make_rss  # noqa: E402
from tests.fakes.telegram import FakeTelegram, message_update, private_chat, user  # noqa: E402
from tests.fakes.telegram_harness import CATEGORIES, LISTING, NOW  # noqa: E402

TARGET_P99_MS = 50.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


async def bench(requests: int, rate: float, papers: int, store_url: str | None) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg, FakeArxiv() as arxiv:
            arxiv.set_feed(make_rss(LISTING, make_papers(papers, CATEGORIES, seed=11), CATEGORIES))
            prefix = f"bench:{uuid4().hex}:"
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=tg.token,  # type: ignore[arg-type]
                telegram_api_url=tg.api_url,
                arxiv_rss_url=arxiv.rss_url,
                arxiv_api_url=arxiv.api_url,
                arxiv_min_interval=0.0,
                store_url=store_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                store_prefix=prefix,
            )
            app = await build_app(settings, clock=lambda: NOW)
            chats = [10_000_000 + i for i in range(requests + 1)]
            for chat_id in chats:
                chat = ChatKey("telegram", str(chat_id))
                await app.store.put_chat(ChatSettings(chat=chat, categories=("cs.DC",)))
            service = TelegramService(settings, app.commands, app.store, flood=FloodControl(Limits()))
            latencies: list[float] = []
            try:
                await service.start()
                warm = tg.add_update(
                    message_update("/today", chat=private_chat(chats[-1]), sender=user(chats[-1]))
                )
                await tg.wait_sent(1, within=30)
                assert tg.sent[0].chat_id == chats[-1], "warm-up reply missing"
                assert len(tg.sent) == 1, "the digest should fit one message"
                del warm
                interval = 1.0 / rate
                started = time.perf_counter()
                for n, chat_id in enumerate(chats[:-1]):
                    due = started + n * interval
                    pause = due - time.perf_counter()
                    if pause > 0:
                        await asyncio.sleep(pause)
                    update_id = tg.add_update(
                        message_update("/today", chat=private_chat(chat_id), sender=user(chat_id))
                    )
                    await tg.wait_sent(n + 2, within=10)
                    reply = tg.sent[n + 1]
                    assert reply.chat_id == chat_id
                    latencies.append((reply.at - tg.handed_at[update_id]) * 1000)
                assert tg.flood_violations == 0 and not tg.rejected
            finally:
                await service.stop()
                if store_url and store_url.startswith("redis"):
                    await _delete_prefix(store_url, prefix)
                await app.aclose()
            return latencies


async def _delete_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start : start + 1000])
    finally:
        await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=25.0, help="requests per second (Telegram allows 30)")
    parser.add_argument(
        "--papers", type=int, default=12, help="papers in the fake feed (one message's worth)"
    )
    parser.add_argument("--store", default=None, help="STORE_URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    configure("WARNING")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    latencies = asyncio.run(bench(args.requests, args.rate, args.papers, args.store))
    p50, p90, p99 = (percentile(latencies, q) for q in (50, 90, 99))
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(f"store: {args.store or 'sqlite (embedded)'}; requests: {len(latencies)} at {args.rate:g}/s")
    print(
        f"/today latency (update handed out -> sendMessage received): "
        f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms, "
        f"mean {statistics.fmean(latencies):.1f} ms"
    )
    verdict = "OK" if p99 <= TARGET_P99_MS else "ABOVE TARGET"
    print(f"target p99 <= {TARGET_P99_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
