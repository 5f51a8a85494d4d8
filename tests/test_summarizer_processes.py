"""Single flight of summaries across processes sharing one store (Redis prefix or SQLite file)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest

from tests.conftest import delete_prefix
from tests.fakes.openai import Behaviour, FakeOpenAI
from tests.paths import ROOT
from tests.processes import spawn

WORKER = """
import asyncio, json, sys
import structlog
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
from bot.settings import Settings
from bot.store import open_store
from summarizer.llm import LLMSummarizer
from tests.test_summarizer_llm import paper

async def main() -> None:
    base_url, store_url, prefix, language, count, claim_ttl = sys.argv[1:7]
    settings = Settings(
        _env_file=None, openai_base_url=base_url, store_url=store_url, store_prefix=prefix,
        openai_timeout=30.0, summary_concurrency=4,
    )
    store = await open_store(store_url, prefix)
    summarizer = LLMSummarizer(settings, store, claim_ttl=float(claim_ttl), poll_interval=0.02, max_retries=0)
    papers = [paper(n) for n in range(1, int(count) + 1)]
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    results = await summarizer.summarize(papers, language)
    print(json.dumps([[p.summary_source, p.summary] for p in results]), flush=True)
    await summarizer.close()
    await store.close()

asyncio.run(main())
"""


async def start_worker(
    fake: FakeOpenAI,
    store_url: str,
    prefix: str,
    language: str,
    count: int,
    log: Path,
    claim_ttl: float = 30.0,
) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "STORE_URL"):
        env.pop(name, None)
    with log.open("ab") as errors:
        process = await spawn(
            sys.executable,
            "-c",
            WORKER,
            fake.base_url,
            store_url,
            prefix,
            language,
            str(count),
            str(claim_ttl),
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    if line.strip() != b"ready":
        process.kill()
        await process.wait()
        raise AssertionError(line.decode() + await asyncio.to_thread(log.read_text))
    return process


def go(process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None
    process.stdin.write(b"go\n")


async def result_of(process: asyncio.subprocess.Process, log: Path) -> list[list[str]]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    await asyncio.wait_for(process.wait(), 30)
    if not line:
        raise AssertionError(await asyncio.to_thread(log.read_text))
    result = json.loads(line)
    assert isinstance(result, list)
    return result


@pytest.fixture(params=["sqlite", "redis"])
async def shared_store(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> AsyncIterator[tuple[str, str]]:
    """A store URL and prefix that two processes can share, cleaned up afterwards."""
    prefix = f"test:{uuid4().hex}:"
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}", prefix
        return
    try:
        yield redis_url, prefix
    finally:
        await delete_prefix(redis_url, prefix)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(latency=0.3) as server:
        yield server


async def test_two_processes_make_one_call_per_paper(
    fake: FakeOpenAI, shared_store: tuple[str, str], tmp_path: Path
) -> None:
    """Two processes summarizing the same papers at the same moment make one LLM call per paper."""
    store_url, prefix = shared_store
    log = tmp_path / "workers.log"
    workers = await asyncio.gather(*(start_worker(fake, store_url, prefix, "zh", 4, log) for _ in range(2)))
    for worker in workers:
        go(worker)
    first, second = [await result_of(worker, log) for worker in workers]
    assert fake.calls == 4
    assert first == second
    assert {source for source, _ in first} == {"llm"}


async def test_process_takes_over_from_a_killed_one(
    fake: FakeOpenAI, shared_store: tuple[str, str], tmp_path: Path
) -> None:
    """When the process computing a summary is killed, another takes over once its claim expires."""
    store_url, prefix = shared_store
    log = tmp_path / "workers.log"
    fake.queue(Behaviour.STALL)
    doomed, survivor = await asyncio.gather(
        *(start_worker(fake, store_url, prefix, "en", 1, log, claim_ttl=0.6) for _ in range(2))
    )
    go(doomed)
    for _ in range(200):
        if fake.calls:
            break
        await asyncio.sleep(0.02)
    assert fake.calls == 1
    doomed.kill()
    await doomed.wait()
    go(survivor)
    ((source, summary),) = await result_of(survivor, log)
    assert source == "llm" and summary
    assert fake.calls == 2
