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

from adapters.logs import configure  # noqa: E402
from adapters.telegram.limits import Limits  # noqa: E402
from bot.models import ChatKey, ChatSettings  # noqa: E402
from bot.store.base import Store  # noqa: E402
from tests.conftest import delete_prefix  # noqa: E402
from tests.fakes.telegram import FakeTelegram, message_update, private_chat, user  # noqa: E402
from tests.fakes.telegram_harness import running_bot  # noqa: E402

TARGET_P99_MS = 50.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


async def bench(requests: int, rate: float, papers: int, store_url: str | None) -> list[float]:
    prefix = f"bench:{uuid4().hex}:"
    overrides = {"store_prefix": prefix, **({"store_url": store_url} if store_url else {})}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_bot(
                Path(tmp), papers=papers, limits=Limits(), settings_overrides=overrides
            ) as bot:
                return await _measure(bot.tg, bot.store, requests, rate)
    finally:
        if store_url and store_url.startswith("redis"):
            await delete_prefix(store_url, prefix)


async def _measure(tg: FakeTelegram, store: Store, requests: int, rate: float) -> list[float]:
    chats = [10_000_000 + i for i in range(requests + 1)]
    for chat_id in chats:
        await store.put_chat(ChatSettings(chat=ChatKey("telegram", str(chat_id)), categories=("cs.DC",)))
    tg.add_update(message_update("/today", chat=private_chat(chats[-1]), sender=user(chats[-1])))
    await tg.wait_sent(1, within=30)
    assert tg.sent[0].chat_id == chats[-1], "warm-up reply missing"
    assert len(tg.sent) == 1, "the digest should fit one message"
    latencies: list[float] = []
    interval = 1.0 / rate
    started = time.perf_counter()
    for n, chat_id in enumerate(chats[:-1]):
        pause = started + n * interval - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        update_id = tg.add_update(message_update("/today", chat=private_chat(chat_id), sender=user(chat_id)))
        await tg.wait_sent(n + 2, within=10)
        reply = tg.sent[n + 1]
        assert reply.chat_id == chat_id
        latencies.append((reply.at - tg.handed_at[update_id]) * 1000)
    assert tg.flood_violations == 0 and not tg.rejected
    return latencies


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
