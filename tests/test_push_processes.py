"""The push across processes: three replicas on one store, and processes killed with SIGKILL mid-push.

Each process is ``python -m tests.test_push_processes CONFIG``: a push on the shared store against
the fake arXiv, sending through a recording platform that appends every acknowledged message to a
log file before the ledger records it.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from bot.models import ChatKey, ChatSettings
from bot.store import open_store
from tests.conftest import delete_prefix
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.paths import ROOT
from tests.processes import spawn
from tests.push_rig import PLATFORM, THU, THU_0800, ids, thursday_items

CATEGORY_SETS = [("cs.DC",), ("cs.LG",), ("cs.DC", "cs.LG")]
EXPECTED = {
    ("cs.DC",): ids(1, 2, 3, 4, 5, 10),
    ("cs.LG",): ids(6, 7, 8, 9, 10),
    ("cs.DC", "cs.LG"): ids(*range(1, 11)),
}


# -- the process -----------------------------------------------------------------------------------------


async def worker(config: dict[str, Any]) -> None:
    """One push process: say "ready" on stdout, wait for a line on stdin, then push until no chat is due."""
    from adapters.logs import configure
    from bot.engine import DigestEngine
    from bot.push import Pusher
    from bot.settings import Settings
    from bot.source import ArxivSource
    from bot.summary import NoSummarizer
    from bot.throttle import Throttle
    from tests.push_rig import RecordingPlatform

    configure("WARNING")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        arxiv_rss_url=config["rss_url"],
        arxiv_api_url=config["api_url"],
        arxiv_min_interval=0.0,
        store_url=config["store_url"],
        store_prefix=config["prefix"],
    )
    store = await open_store(settings.store_url, settings.store_prefix)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    now = THU_0800
    engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: now)
    platform = RecordingPlatform(
        log=Path(config["log"]), tag=config["tag"], delay=config["delay"], per_message=2
    )
    pusher = Pusher(
        store,
        engine,
        {PLATFORM: platform},
        clock=lambda: now,
        concurrency=config["concurrency"],
        page_size=config["page_size"],
        lease_ttl=config["lease_ttl"],
        default_top=None,
    )
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    try:
        while True:
            await pusher.run_once()
            if not await store.due_chats(now.timestamp(), limit=1):
                break
            await asyncio.sleep(0.1)
    finally:
        await source.aclose()
        await store.close()


# -- the tests ----------------------------------------------------------------------------------------------


@dataclass
class Deployment:
    store_url: str
    prefix: str
    fake: FakeArxiv
    tmp: Path
    chats: dict[str, tuple[str, ...]]

    def config(self, tag: str, **options: Any) -> dict[str, Any]:
        return {
            "rss_url": self.fake.rss_url,
            "api_url": self.fake.api_url,
            "store_url": self.store_url,
            "prefix": self.prefix,
            "log": str(self.tmp / f"sent-{tag}.jsonl"),
            "tag": tag,
            "delay": 0.005,
            "concurrency": 8,
            "page_size": 50,
            "lease_ttl": 60.0,
            **options,
        }

    async def start(self, config: dict[str, Any]) -> asyncio.subprocess.Process:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
        return await spawn(
            sys.executable,
            "-m",
            "tests.test_push_processes",
            json.dumps(config),
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    def messages(self) -> list[dict[str, Any]]:
        """Every acknowledged message, each log in the order written."""
        found: list[dict[str, Any]] = []
        for log in sorted(self.tmp.glob("sent-*.jsonl")):
            for line in log.read_text(encoding="utf-8").splitlines():
                found.append(json.loads(line))
        return found

    def lines(self, tag: str) -> int:
        log = self.tmp / f"sent-{tag}.jsonl"
        return log.read_text(encoding="utf-8").count("\n") if log.exists() else 0


async def until(predicate: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.002)


async def ready(process: asyncio.subprocess.Process, within: float = 30.0) -> None:
    """Wait for the process to say it is ready."""
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), within)
    assert line.strip() == b"ready", line


async def go(process: asyncio.subprocess.Process) -> None:
    """Let a ready process start pushing."""
    assert process.stdin is not None
    process.stdin.write(b"go\n")
    await process.stdin.drain()


async def finished(process: asyncio.subprocess.Process, within: float = 60.0) -> None:
    _, stderr = await asyncio.wait_for(process.communicate(), within)
    assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]


@pytest.fixture(params=["redis", "sqlite"])
async def deployment(
    request: pytest.FixtureRequest, fake_arxiv: FakeArxiv, tmp_path: Path, redis_url: str
) -> AsyncIterator[Deployment]:
    """240 chats due on a shared store (Redis or one SQLite file), a fake arXiv showing Thursday."""
    prefix = f"test:{uuid4().hex}:"
    url = redis_url if request.param == "redis" else f"sqlite:///{tmp_path / 'store.sqlite3'}"
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    chats = {f"{n:04d}": CATEGORY_SETS[n % 3] for n in range(240)}
    store = await open_store(url, prefix)
    try:
        for chat_id, categories in chats.items():
            chat = ChatKey(PLATFORM, chat_id)
            await store.put_chat(ChatSettings(chat, categories))
            await store.set_due(chat, THU_0800.timestamp())
    finally:
        await store.close()
    try:
        yield Deployment(url, prefix, fake_arxiv, tmp_path, chats)
    finally:
        if request.param == "redis":
            await delete_prefix(redis_url, prefix)


async def test_three_replicas_deliver_each_paper_once(deployment: Deployment) -> None:
    """Three processes pushing the same chats together deliver every (chat, paper) exactly once, with one arXiv request."""
    configs = [deployment.config(f"r{n}", delay=0.03) for n in range(3)]  # long enough for all three to join
    processes = [await deployment.start(config) for config in configs]
    for process in processes:
        await ready(process)
    for process in processes:
        await go(process)
    for process in processes:
        await finished(process)
    delivered: dict[str, list[str]] = defaultdict(list)
    by_replica: dict[str, int] = defaultdict(int)
    for message in deployment.messages():
        delivered[message["chat"]] += message["ids"]
        by_replica[message["tag"]] += 1
    for chat_id, categories in deployment.chats.items():
        papers = delivered[chat_id]
        assert len(papers) == len(set(papers)), f"chat {chat_id} got a paper twice"
        assert set(papers) == EXPECTED[categories]
    assert len(by_replica) == 3, f"every replica should have pushed some chats: {dict(by_replica)}"
    assert len(deployment.fake.requests) == 1


async def test_killed_mid_push_resumes_without_loss(deployment: Deployment) -> None:
    """SIGKILL at random points of a push, then restarts: every chat gets every paper, and only the
    message in flight at a kill is ever sent again."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kills = 3
    for generation in range(kills):
        tag = f"g{generation}"
        process = await deployment.start(deployment.config(tag, lease_ttl=0.5))
        await ready(process)
        await go(process)
        threshold = rng.randint(1, 120)

        def reached(tag: str = tag, threshold: int = threshold, process: Any = process) -> bool:
            return deployment.lines(tag) >= threshold or process.returncode is not None

        try:
            await until(reached, 30.0)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
    await asyncio.sleep(0.6)  # the killed processes' claims expire
    final_tag = f"g{kills}"
    final = await deployment.start(deployment.config(final_tag, lease_ttl=0.5))
    await ready(final)
    await go(final)
    await finished(final)

    seen: dict[str, set[str]] = defaultdict(set)
    last_of: dict[tuple[str, str], list[str]] = {}
    repeats: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for message in deployment.messages():
        chat_id, part, tag = message["chat"], message["ids"], message["tag"]
        again = [paper for paper in part if paper in seen[chat_id]]
        if again:
            repeats[chat_id].append((tag, part))
            earlier = [
                last for (chat, g), last in last_of.items() if chat == chat_id and g != tag and g != final_tag
            ]
            assert any(set(part) <= set(last) for last in earlier), (
                f"seed {seed}: chat {chat_id} got {part} again, not the message in flight at a kill"
            )
        seen[chat_id].update(part)
        last_of[(chat_id, tag)] = part
    for chat_id, categories in deployment.chats.items():
        assert seen[chat_id] == EXPECTED[categories], f"seed {seed}: chat {chat_id} is missing papers"
        assert len(repeats[chat_id]) <= kills, f"seed {seed}: chat {chat_id} repeated {repeats[chat_id]}"
    in_flight_bound = kills * deployment.config("x")["concurrency"]
    assert sum(len(r) for r in repeats.values()) <= in_flight_bound, f"seed {seed}"


if __name__ == "__main__":
    asyncio.run(worker(json.loads(sys.argv[1])))
