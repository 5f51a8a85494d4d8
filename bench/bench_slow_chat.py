"""One slow chat must never hold the others: ``run`` with a chat whose every send gets ``429
retry_after: 120`` and other chats falling due over the next seconds, and ``push --now`` with the
same stuck chat.

Real clock, the real Telegram platform and ``run_forever`` against a fake Telegram and a fake
arXiv, SQLite store. Prints each on-time chat's delay from its due time to its first message
(goal ≈ 0, i.e. well under a second), when the stuck chat is due again, and how long ``push --now``
took with the stuck chat (bounded: it reschedules the chat instead of waiting).

    python -m bench.bench_slow_chat
    python -m bench.bench_slow_chat --on-time 10 --spacing 2
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from adapters.runner import push_once, run_forever
from bot import listing
from bot.models import ChatKey, ChatSettings
from bot.settings import Settings
from bot.store import open_store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.telegram import FakeTelegram, too_many_requests
from tests.push_rig import thursday_items

STUCK = 4_000_000
RETRY_AFTER = 120


def settings_for(tg: FakeTelegram, arxiv: FakeArxiv, store: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=tg.token,  # type: ignore[arg-type]
        telegram_api_url=tg.api_url,
        arxiv_rss_url=arxiv.rss_url,
        arxiv_api_url=arxiv.api_url,
        arxiv_min_interval=0.0,
        store_url=f"sqlite:///{store}",
    )


async def subscribe(settings: Settings, due: dict[int, float]) -> None:
    store = await open_store(settings.store_url, settings.store_prefix)
    try:
        for chat_id, at in due.items():
            chat = ChatKey("telegram", str(chat_id))
            await store.put_chat(ChatSettings(chat, ("cs.DC",)))
            await store.set_due(chat, at)
    finally:
        await store.close()


async def run_case(args: argparse.Namespace, workdir: Path) -> None:
    day = listing.latest_feed_listing(datetime.now(UTC))
    async with FakeTelegram(clock=time.time) as tg, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(day, thursday_items(), ["cs.DC", "cs.LG"]))
        tg.fail(too_many_requests(RETRY_AFTER), chat_id=STUCK, times=None)
        settings = settings_for(tg, arxiv, workdir / "run.sqlite3")
        start = time.time() + 2.0
        due = {STUCK: start} | {STUCK + 1 + n: start + args.spacing * (n + 1) for n in range(args.on_time)}
        await subscribe(settings, due)
        stop = asyncio.Event()
        task = asyncio.create_task(run_forever(settings, stop_event=stop))
        try:
            last = max(due.values())
            await tg.wait_for(
                lambda: {m.chat_id for m in tg.sent} >= set(due) - {STUCK} or task.done(),
                last - time.time() + 60,
            )
        finally:
            stop.set()
            await task
        store = await open_store(settings.store_url, settings.store_prefix)
        try:
            stuck_due = await store.get_due(ChatKey("telegram", str(STUCK)))
        finally:
            await store.close()
    delays = []
    for chat_id, at in sorted(due.items(), key=lambda item: item[1]):
        if chat_id == STUCK:
            continue
        first = min(m.at for m in tg.sent if m.chat_id == chat_id)
        delays.append(first - at)
    attempts = sum(1 for params, _ in tg.rejected if str(params.get("chat_id")) == str(STUCK))
    print(
        f"run: {args.on_time} on-time chats due every {args.spacing:g} s while chat {STUCK} gets "
        f"429 retry_after {RETRY_AFTER} s ({attempts} attempt(s))"
    )
    print(
        f"  delay from due time to first message: max {max(delays):.3f} s, "
        f"mean {sum(delays) / len(delays):.3f} s (goal ≈ 0)"
    )
    if stuck_due is not None:
        print(f"  the stuck chat is due again {stuck_due - due[STUCK]:.0f} s after its due time")


async def push_case(workdir: Path) -> None:
    day = listing.latest_feed_listing(datetime.now(UTC))
    async with FakeTelegram(clock=time.time) as tg, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(day, thursday_items(), ["cs.DC", "cs.LG"]))
        tg.fail(too_many_requests(RETRY_AFTER), chat_id=STUCK, times=None)
        settings = settings_for(tg, arxiv, workdir / "push.sqlite3")
        now = time.time()
        await subscribe(settings, {STUCK: now, STUCK + 1: now, STUCK + 2: now})
        started = time.monotonic()
        code = await push_once(settings, everyone=True)
        took = time.monotonic() - started
    delivered = sorted({m.chat_id for m in tg.sent})
    print(f"push --now with the stuck chat: exit {code} after {took:.2f} s, delivered to {delivered}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--on-time", type=int, default=5, help="chats falling due after the stuck one")
    parser.add_argument("--spacing", type=float, default=3.0, help="seconds between their due times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await run_case(args, Path(tmp))
        await push_case(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
