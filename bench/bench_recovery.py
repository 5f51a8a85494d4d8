"""Crash recovery of ``arxiv-digest push --now``: ``kill -9`` mid-push, then a new ``push --now``
every 10 seconds (as cron would start it), until every chat has its whole digest.

The real command runs as a child process against a fake Telegram (each send takes ``--latency``
seconds) and a fake arXiv, on the local Redis under a key prefix of its own (deleted afterwards) or
on a SQLite file. Prints, per kill, the seconds from the kill to the moment every chat had every
paper (goal ≤ 60 s: the dead process's leases last 30 s), how many pushes that took, and the
papers sent twice (at most the messages in flight at the kill).

    python -m bench.bench_recovery                    # 3 kills, 300 chats, Redis
    python -m bench.bench_recovery --kills 10 --store sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from bot import listing
from bot.models import ChatKey, ChatSettings
from bot.store import open_store
from tests.conftest import delete_prefix
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.telegram import FakeTelegram
from tests.paths import ROOT
from tests.push_rig import ids, thursday_items

ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{5})")
REDIS = "redis://127.0.0.1:6379/0"
EXPECTED = ids(1, 2, 3, 4, 5, 10)


def environment(tg: FakeTelegram, arxiv: FakeArxiv, store_url: str, prefix: str) -> dict[str, str]:
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DISCORD_", "OPENAI_", "ARXIV_", "STORE_", "METRICS_", "LOG_"))
    }
    return kept | {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.api_url,
        "ARXIV_RSS_URL": arxiv.rss_url,
        "ARXIV_API_URL": arxiv.api_url,
        "ARXIV_MIN_INTERVAL": "0",
        "STORE_URL": store_url,
        "STORE_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
    }


async def push(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from adapters.cli import main; main()",
        "push",
        "--now",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def received(tg: FakeTelegram) -> dict[int, Counter[str]]:
    found: dict[int, Counter[str]] = {}
    for message in tg.sent:
        assert isinstance(message.chat_id, int)
        found.setdefault(message.chat_id, Counter()).update(list(dict.fromkeys(ABS.findall(message.text))))
    return found


def complete(tg: FakeTelegram, chats: list[int]) -> bool:
    got = received(tg)
    return all(set(got.get(chat, ())) >= EXPECTED for chat in chats)


async def one_kill(
    args: argparse.Namespace, rng: random.Random, run: int, workdir: Path
) -> tuple[float, int, int]:
    """One kill and the recovery after it: (seconds to complete, pushes started, papers sent twice)."""
    day = listing.latest_feed_listing(datetime.now(UTC))
    prefix = f"bench-recovery:{uuid4().hex}:"
    store_url = REDIS if args.store == "redis" else f"sqlite:///{workdir / f'store-{run}.sqlite3'}"
    chats = [3_000_000 + n for n in range(args.chats)]
    store = await open_store(store_url, prefix)
    try:
        for chat_id in chats:
            await store.put_chat(ChatSettings(ChatKey("telegram", str(chat_id)), ("cs.DC",)))
    finally:
        await store.close()
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with FakeTelegram() as tg, FakeArxiv() as arxiv:
            arxiv.set_feed(make_rss(day, thursday_items(), ["cs.DC", "cs.LG"]))
            tg.send_latency = args.latency
            env = environment(tg, arxiv, store_url, prefix)
            first = await push(env, workdir)
            processes.append(first)
            threshold = rng.randint(args.chats // 10, args.chats // 2)
            await tg.wait_for(lambda: len(tg.sent) >= threshold or first.returncode is not None, 300)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            killed_at = time.monotonic()
            pushes = 0
            while not complete(tg, chats):
                processes.append(await push(env, workdir))
                pushes += 1
                with contextlib.suppress(TimeoutError):
                    await tg.wait_for(lambda: complete(tg, chats), args.every)
                if time.monotonic() - killed_at > args.give_up:
                    break
            seconds = time.monotonic() - killed_at
            twice = sum(count - 1 for got in received(tg).values() for count in got.values() if count > 1)
            return seconds, pushes, twice
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if args.store == "redis":
            await delete_prefix(REDIS, prefix)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each send takes")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between restarts")
    parser.add_argument("--give-up", type=float, default=600.0)
    parser.add_argument("--store", choices=["redis", "sqlite"], default="redis")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    figures: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.kills):
            seconds, pushes, twice = await one_kill(args, rng, run, Path(tmp))
            figures.append(seconds)
            print(
                f"kill {run + 1}: every chat complete {seconds:.1f} s after kill -9 ({pushes} pushes, {twice} papers sent twice)"
            )
    print(
        f"{args.store}, {args.chats} chats, restarts every {args.every:g} s, seed {seed}: "
        f"max {max(figures):.1f} s, median {sorted(figures)[len(figures) // 2]:.1f} s (goal ≤ 60 s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
