"""The morning push of a real busy day to many chats: messages per chat, LLM calls, and the time to
build every chat's digest.

The day is ``tests/fixtures/busy_day/2026-06-23.jsonl`` served as the latest cs.CV + cs.CL feed by the
local fake arXiv (``tests/fakes``). Each chat follows cs.CV and cs.CL with interests of its own: the
thirteen interest profiles of ``bench/labels/`` alone or two of them together (about 170 different
texts), a fifth of the chats with none; 70% read English, 30% Chinese; a tenth have three 👍. The
LLM is the local fake OpenAI server (answers at once, so the time is the product's own work plus
HTTP on 127.0.0.1); ``--embeddings`` also ranks with its ``/v1/embeddings``. Messages are counted as
Telegram would send them: each digest rendered by the Telegram renderer (4096 characters a
message, fitted to ``max_messages``), acknowledged at once (no network, no flood limits: the
figure is the build, not Telegram's pace, which ``bench_push.py`` measures).

With ``--telegram`` the push goes through the product's Telegram platform (python-telegram-bot and
our flood control) to the local fake Bot API enforcing Telegram's real limits (30 messages/s
overall, 1/s per chat; a 429 for any message that breaks them): the seconds are then the whole
morning push as Telegram would pace it, and the messages are those the fake Bot API accepted.

Prints, for the default top 10 and for ``/top all`` (the day in full, as before ranking existed;
skipped with ``--telegram``, whose pace would make it half an hour): messages per chat (mean and
most), papers shown per chat, LLM calls (in all and per language), the seconds of the push cycle,
and the index and per-chat ranking times.

    python bench/bench_busy_push.py                  # 1,000 chats, about a minute
    python bench/bench_busy_push.py --chats 200 --embeddings
    python bench/bench_busy_push.py --telegram       # 1,000 chats through the fake Bot API, ~2 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from adapters.logs import configure  # noqa: E402
from adapters.telegram.app import build_platform  # noqa: E402
from adapters.telegram.limits import FloodControl  # noqa: E402
from adapters.telegram.render import render_digest  # noqa: E402
from bot.delivery import OnSent  # noqa: E402
from bot.engine import DigestEngine  # noqa: E402
from bot.models import ChatKey, ChatSettings, Digest, Feedback, Selection  # noqa: E402
from bot.push import Pusher  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.source import ArxivSource  # noqa: E402
from bot.store import open_store  # noqa: E402
from bot.store.base import Store  # noqa: E402
from bot.throttle import Throttle  # noqa: E402
from summarizer.embeddings import OpenAIEmbedder  # noqa: E402
from summarizer.llm import LLMSummarizer  # noqa: E402
from summarizer.translate import LLMTranslator  # noqa: E402
from tests.fakes.arxiv import FakeArxiv  # noqa: E402
from tests.fakes.feeds import make_rss  # noqa: E402
from tests.fakes.openai import FakeOpenAI, requested_language  # noqa: E402
from tests.fakes.real_day import BUSY_DAY, busy_day_papers  # noqa: E402
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, FloodLimits  # noqa: E402

CATEGORIES = ("cs.CV", "cs.CL")
NOW = datetime(2026, 6, 23, 12, 0, tzinfo=UTC)
LABELS = ROOT / "bench" / "labels" / "2026-06-23.json"
ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})")


class TelegramCount:
    """Renders each digest as Telegram messages, sends at most ``max_messages`` of them, and
    acknowledges each at once; counts messages and papers per chat."""

    name = "telegram"

    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()
        self.papers: Counter[str] = Counter()
        self.received: dict[str, list[str]] = {}

    async def send_digest(
        self, chat: ChatKey, digest: Digest, on_sent: OnSent, max_messages: int | None = None
    ) -> None:
        for message in render_digest(digest, max_messages=max_messages):
            self.messages[chat.chat_id] += 1
            self.papers[chat.chat_id] += len(message.paper_ids)
            self.received.setdefault(chat.chat_id, []).extend(message.paper_ids)
            await on_sent(message.paper_ids)

    async def send_text(self, chat: ChatKey, text: str) -> None:
        self.messages[chat.chat_id] += 1


class BotApiCount:
    """What the fake Bot API accepted, per chat: messages and the papers they link (each once per
    message)."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self.messages: Counter[str] = Counter()
        self.papers: Counter[str] = Counter()
        self.received: dict[str, list[str]] = {}
        for message in telegram.sent:
            chat_id = str(message.chat_id)
            ids = list(dict.fromkeys(ABS.findall(message.text)))
            self.messages[chat_id] += 1
            self.papers[chat_id] += len(ids)
            self.received.setdefault(chat_id, []).extend(ids)


def profiles() -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(LABELS.read_text(encoding="utf-8"))
    return list(data["profiles"])


def chat_settings(count: int, top: Any, seed: int = 1) -> list[tuple[ChatSettings, list[Feedback]]]:
    """``count`` chats following cs.CV and cs.CL, with varied interests, languages and 👍."""
    rng = random.Random(seed)
    known = profiles()
    day = {p["id"]: p for p in busy_day_papers()}
    chats = []
    for n in range(count):
        roll = rng.random()
        chosen = [] if roll < 0.2 else rng.sample(known, 1 if roll < 0.7 else 2)
        interests = " and ".join(p["interests"] for p in chosen)
        language = "zh" if rng.random() < 0.3 else "en"
        feedback: list[Feedback] = []
        if chosen and rng.random() < 0.1:
            relevant = [i for i, grade in chosen[0]["grades"].items() if grade == 2 and i in day]
            for paper_id in relevant[:3]:
                paper = day[paper_id]
                feedback.append(Feedback(paper_id, 1, paper["title"], paper["abstract"], at=float(n)))
        settings = ChatSettings(
            ChatKey("telegram", str(10_000_000 + n)),
            CATEGORIES,
            language=language,
            interests=interests,
            top=top,
        )
        chats.append((settings, feedback))
    return chats


async def subscribe(store: Store, chats: Sequence[tuple[ChatSettings, list[Feedback]]]) -> None:
    for settings, feedback in chats:
        await store.put_chat(settings)
        await store.set_due(settings.chat, NOW.timestamp())
        for vote in feedback:
            await store.set_feedback(settings.chat, vote)


async def one_push(args: argparse.Namespace, top: Any, folder: Path, label: str) -> None:
    papers = [p for p in busy_day_papers() if set(p["categories"]) & set(CATEGORIES)]
    async with AsyncExitStack() as fakes:
        arxiv = await fakes.enter_async_context(FakeArxiv())
        llm = await fakes.enter_async_context(FakeOpenAI())
        telegram = None
        if args.telegram:
            telegram = await fakes.enter_async_context(FakeTelegram(flood_limits=FloodLimits()))
        arxiv.set_feed(make_rss(BUSY_DAY, papers, CATEGORIES))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            arxiv_rss_url=arxiv.rss_url,
            arxiv_api_url=arxiv.api_url,
            arxiv_min_interval=0.0,
            openai_base_url=llm.base_url,
            openai_api_key=SecretStr("sk-local"),
            openai_embedding_model="bench-embedding" if args.embeddings else None,
            store_url=f"sqlite:///{folder / ('top-all' if top == 'all' else 'top-default')}.sqlite3",
            telegram_bot_token=SecretStr(DEFAULT_TOKEN) if telegram is not None else None,
            telegram_api_url=telegram.api_url if telegram is not None else "https://api.telegram.org/bot",
        )
        store = await open_store(settings.store_url, "bench:")
        source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
        summarizer = LLMSummarizer(settings, store)
        embedder = OpenAIEmbedder(settings, store) if args.embeddings else None
        translator = LLMTranslator(settings, store)
        engine = DigestEngine(
            store, source, summarizer, clock=lambda: NOW, embedder=embedder, translator=translator
        )
        counted = TelegramCount()
        real = build_platform(settings, flood=FloodControl()) if telegram is not None else None
        chats = chat_settings(args.chats, top)
        await subscribe(store, chats)
        pusher = Pusher(store, engine, {"telegram": real or counted}, clock=lambda: NOW, default_top=10)
        try:
            started = time.perf_counter()
            report = await pusher.run_once()
            elapsed = time.perf_counter() - started
            batch = await engine.batch(CATEGORIES)
            fresh = DigestEngine(store, source, summarizer, clock=lambda: NOW, embedder=embedder)
            started = time.perf_counter()
            index = await fresh.index(batch)
            index_seconds = time.perf_counter() - started
            started = time.perf_counter()
            for settings_, feedback in chats[:200]:
                await engine.rank(batch, Selection(interests=settings_.interests, feedback=tuple(feedback)))
            rank_ms = (time.perf_counter() - started) / min(200, len(chats)) * 1000
        finally:
            if real is not None:
                await real.close()
            await summarizer.close()
            await translator.close()
            if embedder is not None:
                await embedder.close()
            await source.aclose()
            await store.close()
        platform = BotApiCount(telegram) if telegram is not None else counted
        per_chat = [platform.messages[s.chat.chat_id] for s, _ in chats]
        shown = [platform.papers[s.chat.chat_id] for s, _ in chats]
        repeated = sum(len(ids) - len(set(ids)) for ids in platform.received.values())
        translations = [r for r in llm.requests if "translate a reader" in r.system]
        languages = Counter(requested_language(r.messages) for r in llm.requests if r not in translations)
        print(f"-- {label} ({args.chats} chats, cs.CV + cs.CL, {len(papers)} papers announced) --")
        print(f"messages per chat      mean {statistics.mean(per_chat):.2f}, most {max(per_chat)}")
        print(f"papers shown per chat  mean {statistics.mean(shown):.1f}, most {max(shown)}")
        print(
            f"LLM calls              {len(llm.requests)}: summaries by language {dict(languages)}, "
            f"{len(translations)} translations of interests"
        )
        if args.embeddings:
            print(f"embedding requests     {len(llm.embedding_requests)}")
        print(f"push cycle             {elapsed:.1f} s ({report.sent} chats sent, {report.errors} errors)")
        if telegram is not None:
            sent = len(telegram.sent)
            print(
                f"Telegram               {sent} messages accepted, {sent / elapsed:.1f} messages/s over the "
                f"cycle, {telegram.flood_violations} answered 429"
            )
        print(f"papers repeated        {repeated}")
        print(f"day index              {index_seconds * 1000:.0f} ms, once per batch ({len(index)} papers)")
        print(f"ranking per chat       {rank_ms:.2f} ms")
        print(f"arXiv requests         {len(arxiv.requests)}")


async def main(args: argparse.Namespace) -> None:
    configure("WARNING")
    with tempfile.TemporaryDirectory() as folder:
        label = "default top 10" + (
            ", through the fake Bot API at Telegram's limits" if args.telegram else ""
        )
        await one_push(args, None, Path(folder), label)
        if not (args.skip_all or args.telegram):
            await one_push(args, "all", Path(folder), "/top all")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--embeddings", action="store_true", help="rank with the fake /v1/embeddings too")
    parser.add_argument("--skip-all", action="store_true", help="skip the /top all comparison")
    parser.add_argument(
        "--telegram",
        action="store_true",
        help="push through the Telegram platform to the fake Bot API at Telegram's limits (30/s, 1/s per chat)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
