"""LLM faults from the field, measured against the fake OpenAI-compatible server.

Figures printed:
  1. a digest of N papers when the server accepts requests and never answers: wall time of its
     summaries and requests sent (bounded by SUMMARY_DEADLINE, not by timeouts × retries);
  2. LLM calls for N papers pushed to chats whose language is spelled zh, zh-CN and zh-hans;
  3. LLM calls for one paper whose answer is always refused (unsafe), over B builds H hours apart;
  4. warning lines logged for an N-paper digest while the LLM is unreachable;
  5. a push's digests with that hanging server: 12 digests (6 languages × 2 sets of 10 papers),
     built 2 at a time as a push's chat groups are: wall time of all their summaries.

Run from the project root with the venv active:

    python bench/bench_llm_faults.py
    python bench/bench_llm_faults.py --papers 36 --deadline 5 --builds 25 --spacing 2
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import structlog  # noqa: E402
from structlog.testing import capture_logs  # noqa: E402

from bot.models import AnnounceType, Paper  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import Store, open_store  # noqa: E402
from summarizer.llm import LLMSummarizer  # noqa: E402
from tests.fakes.openai import Behaviour, FakeOpenAI  # noqa: E402

COMMAND = "python bench/bench_llm_faults.py [--papers N] [--deadline S] [--builds B] [--spacing H]"


def papers(count: int, version: int = 1) -> list[Paper]:
    return [
        Paper(
            id=f"2609.{n:05d}",
            version=version,
            title=f"Scheduling distributed training jobs, part {n}",
            authors=("A. Author",),
            categories=("cs.AI",),
            primary_category="cs.AI",
            announce_type=AnnounceType.NEW,
            abstract=(
                "Training large models is limited by communication. "
                f"We propose method {n}, which overlaps gradient exchange with computation. "
                f"Experiments show that it reduces step time by {n % 40 + 10}% compared to baselines."
            ),
        )
        for n in range(1, count + 1)
    ]


def settings(base_url: str, **values: object) -> Settings:
    return Settings(_env_file=None, openai_base_url=base_url, **values)  # type: ignore[call-arg, arg-type]


class Wall:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


async def hanging(store: Store, args: argparse.Namespace) -> tuple[float, int]:
    async with FakeOpenAI(stall_seconds=3600.0) as fake:
        for _ in range(10 * args.papers):
            fake.queue(Behaviour.STALL)
        config = settings(fake.base_url, openai_timeout=60.0, summary_deadline=args.deadline)
        summarizer = LLMSummarizer(config, store, max_retries=2)
        started = time.perf_counter()
        result = await summarizer.summarize(papers(args.papers), "en")
        seconds = time.perf_counter() - started
        await summarizer.close()
        assert {p.summary_source for p in result} == {"extractive"}
        return seconds, fake.calls


async def hanging_push(store: Store, args: argparse.Namespace) -> float:
    async with FakeOpenAI(stall_seconds=3600.0) as fake:
        for _ in range(2000):
            fake.queue(Behaviour.STALL)
        config = settings(fake.base_url, openai_timeout=60.0, summary_deadline=args.deadline)
        summarizer = LLMSummarizer(config, store, max_retries=2)
        sets = [papers(10, version=5), papers(10, version=6)]
        builds = [(day, lang) for lang in ("en", "zh", "de", "fr", "es", "ja") for day in sets]
        started = time.perf_counter()
        for first in range(0, len(builds), 2):
            pair = builds[first : first + 2]
            results = await asyncio.gather(*(summarizer.summarize(day, lang) for day, lang in pair))
            assert all(p.summary_source == "extractive" for result in results for p in result)
        seconds = time.perf_counter() - started
        await summarizer.close()
        return seconds


async def spellings(store: Store, args: argparse.Namespace) -> int:
    async with FakeOpenAI() as fake:
        async with LLMSummarizer(settings(fake.base_url), store) as summarizer:
            day = papers(args.papers, version=2)
            await asyncio.gather(*(summarizer.summarize(day, code) for code in ("zh", "zh-CN", "zh-hans")))
        return fake.calls


async def refused(store: Store, args: argparse.Namespace) -> int:
    async with FakeOpenAI() as fake:
        for _ in range(args.builds):
            fake.queue(Behaviour.INJECTION)
        wall = Wall()
        async with LLMSummarizer(settings(fake.base_url), store, now=wall) as summarizer:
            for _ in range(args.builds):
                await summarizer.summarize(papers(1, version=3), "en")
                wall.now += args.spacing * 3600.0
        return fake.calls


async def down(store: Store, args: argparse.Namespace) -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs() as logs:
            async with LLMSummarizer(
                settings(f"http://127.0.0.1:{port}/v1"), store, max_retries=0
            ) as summarizer:
                await summarizer.summarize(papers(args.papers, version=4), "en")
    finally:
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    return sum(1 for entry in logs if entry["log_level"] in ("warning", "error", "critical"))


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=f"reproduce: {COMMAND}")
    parser.add_argument("--papers", type=int, default=36, help="papers in the digest, default 36")
    parser.add_argument("--deadline", type=float, default=5.0, help="SUMMARY_DEADLINE in seconds, default 5")
    parser.add_argument("--builds", type=int, default=25, help="builds for the refused answer, default 25")
    parser.add_argument("--spacing", type=float, default=2.0, help="hours between those builds, default 2")
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    print(f"command: {COMMAND}")
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "bench:")
        try:
            seconds, sent = await hanging(store, args)
            print(
                f"  hanging LLM, {args.papers} papers, SUMMARY_DEADLINE={args.deadline:g}s, timeout 60s, "
                f"2 retries, concurrency 4: summaries done in {seconds:.2f}s, {sent} requests sent"
            )
            calls = await spellings(store, args)
            print(f"  {args.papers} papers for chats in zh, zh-CN and zh-hans: {calls} LLM calls")
            calls = await refused(store, args)
            print(
                f"  one paper refused as unsafe, {args.builds} builds {args.spacing:g} h apart: {calls} LLM calls"
            )
            lines = await down(store, args)
            print(f"  LLM unreachable, {args.papers}-paper digest: {lines} warning line(s)")
            seconds = await hanging_push(store, args)
            print(
                f"  hanging LLM, 12 digests of 10 papers (6 languages), 2 at a time, "
                f"SUMMARY_DEADLINE={args.deadline:g}s: all summaries done in {seconds:.2f}s"
            )
        finally:
            await store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
