"""Summary throughput and LLM call counts against the fake OpenAI-compatible server.

Figures printed:
  1. wall time to summarize a 100-paper day with a fixed latency L per call and concurrency C,
     against the bound 1.2 × ceil(papers / C) × L;
  2. LLM calls when 1,000 chats in 3 languages ask for the same 100 papers, spread over several
     replicas (summarizer instances with their own claim owner) sharing one store: expect papers × 3;
  3. LLM calls when the same digest is built again by a restarted replica: expect 0.

Run from the project root with the venv active:

    python bench/bench_summaries.py                       # temporary SQLite store
    python bench/bench_summaries.py --redis               # also on redis://127.0.0.1:6379/0
    python bench/bench_summaries.py --latency 0.2 --concurrency 4 --papers 100 --chats 1000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402

from bot.models import AnnounceType, Paper  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store, open_store  # noqa: E402
from summarizer.llm import LLMSummarizer  # noqa: E402
from tests.fakes.openai import FakeOpenAI  # noqa: E402

LANGUAGES = ("en", "zh", "ja")
COMMAND = (
    "python bench/bench_summaries.py [--redis [URL]] [--latency L] [--concurrency C] [--papers N] [--chats N]"
)


def papers(count: int) -> list[Paper]:
    return [
        Paper(
            id=f"2609.{n:05d}",
            version=1,
            title=f"Scheduling distributed training jobs, part {n}",
            authors=("A. Author", "B. Author"),
            categories=("cs.DC",),
            primary_category="cs.DC",
            announce_type=AnnounceType.NEW,
            abstract=(
                "Training large models is limited by communication. "
                f"We propose method {n}, which overlaps gradient exchange with computation. "
                f"Experiments show that it reduces step time by {n % 40 + 10}% compared to baselines."
            ),
        )
        for n in range(1, count + 1)
    ]


@dataclass
class Figures:
    backend: str
    day_seconds: float
    day_bound: float
    day_calls: int
    max_in_flight: int
    fanout_calls: int
    fanout_expected: int
    fanout_seconds: float
    rebuild_calls: int


def settings_for(fake: FakeOpenAI, concurrency: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_base_url=fake.base_url,
        openai_timeout=30.0,
        summary_concurrency=concurrency,
    )


async def run(backend: str, store_url: str, args: argparse.Namespace) -> Figures:
    prefix = f"bench:{uuid4().hex}:"
    day = papers(args.papers)
    async with FakeOpenAI(latency=args.latency) as fake:
        settings = settings_for(fake, args.concurrency)

        # 1. A 100-paper day on an empty cache.
        store = await open_store(store_url, prefix)
        try:
            summarizer = LLMSummarizer(settings, store)
            started = time.perf_counter()
            result = await summarizer.summarize(day, "en")
            day_seconds = time.perf_counter() - started
            await summarizer.close()
            assert all(p.summary_source == "llm" for p in result)
            day_calls = fake.calls
            max_in_flight = fake.max_in_flight

            # 2. 1,000 chats × 3 languages over the same papers, on several replicas, fresh keys.
            fresh = [replace(p, version=2) for p in day]
            replicas = [LLMSummarizer(settings, store, poll_interval=0.02) for _ in range(args.replicas)]
            before = fake.calls
            started = time.perf_counter()
            for first in range(0, args.chats, args.chat_batch):
                chats = range(first, min(first + args.chat_batch, args.chats))
                await asyncio.gather(
                    *(
                        replicas[chat % len(replicas)].summarize(fresh, LANGUAGES[(chat // 7) % 3])
                        for chat in chats
                    )
                )
            fanout_seconds = time.perf_counter() - started
            fanout_calls = fake.calls - before
            for replica in replicas:
                await replica.close()

            # 3. Rebuilding the same digest after a restart (new summarizer, same store).
            restarted = LLMSummarizer(settings, store)
            before = fake.calls
            for language in LANGUAGES:
                rebuilt = await restarted.summarize(fresh, language)
                assert all(p.summary_source == "llm" for p in rebuilt)
            rebuild_calls = fake.calls - before
            await restarted.close()
        finally:
            await _cleanup(store, backend, store_url, prefix)
    return Figures(
        backend=backend,
        day_seconds=day_seconds,
        day_bound=1.2 * math.ceil(args.papers / args.concurrency) * args.latency,
        day_calls=day_calls,
        max_in_flight=max_in_flight,
        fanout_calls=fanout_calls,
        fanout_expected=args.papers * len(LANGUAGES),
        fanout_seconds=fanout_seconds,
        rebuild_calls=rebuild_calls,
    )


async def _cleanup(store: Store, backend: str, store_url: str, prefix: str) -> None:
    await store.close()
    if backend == "redis":
        from tests.conftest import delete_prefix

        await delete_prefix(store_url, prefix)


def report(figures: Figures, args: argparse.Namespace) -> None:
    ok_day = figures.day_seconds <= figures.day_bound
    print(f"[{figures.backend}]")
    print(
        f"  {args.papers}-paper day, L={args.latency:g}s, C={args.concurrency}: "
        f"{figures.day_seconds:.2f}s (bound 1.2 x ceil({args.papers}/{args.concurrency}) x {args.latency:g}s "
        f"= {figures.day_bound:.2f}s) {'OK' if ok_day else 'OVER'}; "
        f"{figures.day_calls} calls, at most {figures.max_in_flight} in flight"
    )
    print(
        f"  {args.chats} chats x {len(LANGUAGES)} languages over {args.papers} papers on "
        f"{args.replicas} replicas: {figures.fanout_calls} LLM calls (expected {figures.fanout_expected}) "
        f"{'OK' if figures.fanout_calls == figures.fanout_expected else 'MISMATCH'} "
        f"in {figures.fanout_seconds:.2f}s"
    )
    print(
        f"  rebuilding the same digest ({len(LANGUAGES)} languages) after a restart: "
        f"{figures.rebuild_calls} LLM calls {'OK' if figures.rebuild_calls == 0 else 'MISMATCH'}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Summary throughput and LLM call counts against a fake OpenAI-compatible server.",
        epilog=f"reproduce: {COMMAND}",
    )
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per LLM call (L), default 0.2")
    parser.add_argument("--concurrency", type=int, default=4, help="SUMMARY_CONCURRENCY (C), default 4")
    parser.add_argument("--papers", type=int, default=100, help="papers in the day, default 100")
    parser.add_argument("--chats", type=int, default=1000, help="chats asking for the day, default 1000")
    parser.add_argument("--replicas", type=int, default=2, help="summarizer replicas sharing the store")
    parser.add_argument("--chat-batch", type=int, default=250, help="chats summarizing at the same moment")
    parser.add_argument(
        "--redis",
        nargs="?",
        const="redis://127.0.0.1:6379/0",
        default=None,
        metavar="URL",
        help="also run on Redis (default URL redis://127.0.0.1:6379/0)",
    )
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(f"command: {COMMAND}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")]
        if args.redis:
            backends.append(("redis", args.redis))
        for backend, url in backends:
            figures = await run(backend, url, args)
            report(figures, args)
            ok &= (
                figures.day_seconds <= figures.day_bound
                and figures.fanout_calls == figures.fanout_expected
                and figures.rebuild_calls == 0
            )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
