"""One embedded SQLite store, many processes: any number of them open a new file at the same moment
and work on it (``run`` beside a cron ``push``, replicas, terminal chats), without "database is
locked".

The race is real: switching a new file to WAL takes its exclusive lock, and SQLite refuses a second
process asking at that moment at once, busy timeout or not. Each worker process here opens a series
of new files at instants shared with the others, so every file is raced for by all of them.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from bot.models import ChatKey, ChatSettings
from bot.store.sqlite import SQLiteStore
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.telegram import FakeTelegram
from tests.paths import ROOT
from tests.processes import run_cli, spawn
from tests.test_settings import _environment

WORKERS = 10
FILES = 40
STEP = 0.08
"""Seconds between two files: every worker opens file k at go + k * STEP."""
PREFIX = "race:"


async def worker(directory: Path, tag: str) -> int:
    """Say "ready", wait for "go", then open each new file at its shared instant and write to it;
    the number of failures is the exit code."""
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    go = time.monotonic()
    failures = 0
    for index in range(FILES):
        await asyncio.sleep(max(0.0, go + index * STEP - time.monotonic()))
        try:
            store = await SQLiteStore.connect(f"sqlite:///{directory / f'{index}.sqlite3'}", PREFIX)
            try:
                await store.put_chat(ChatSettings(ChatKey("terminal", tag), ("cs.DC",)))
                await store.claim(f"file:{index}", tag, 60.0)
            finally:
                await store.close()
        except Exception as error:
            failures += 1
            print(f"file {index}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    return failures


async def test_many_processes_open_new_files_at_once(tmp_path: Path) -> None:
    """Eight processes opening each of twenty new SQLite files at the same instant all succeed, and
    every file holds what each of them wrote."""
    processes = [
        await spawn(
            sys.executable,
            "-m",
            "tests.test_sqlite_processes",
            str(tmp_path),
            f"w{n}",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(WORKERS)
    ]
    for process in processes:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 60) == b"ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
    await asyncio.gather(*(p.stdin.drain() for p in processes if p.stdin is not None))
    results = [await asyncio.wait_for(p.communicate(), 120) for p in processes]
    errors = [err.decode() for _, err in results if err]
    assert [p.returncode for p in processes] == [0] * WORKERS, errors
    for index in range(FILES):
        store = await SQLiteStore.connect(f"sqlite:///{tmp_path / f'{index}.sqlite3'}", PREFIX)
        try:
            assert await store.count_chats() == WORKERS
        finally:
            await store.close()


async def test_chats_and_pushes_start_together_on_one_new_store(tmp_path: Path) -> None:
    """Terminal chats and ``push --now`` processes started at once on one new store file all start,
    answer and exit 0."""
    store_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        env = _environment(
            STORE_URL=store_url,
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.api_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_API_URL=arxiv.api_url,
        )
        commands = [["chat", "--chat", f"reader{n}"] for n in range(4)] + [["push", "--now"]] * 2
        processes = [
            await spawn(
                sys.executable,
                "-m",
                "adapters.cli",
                *command,
                env=env,
                cwd=tmp_path,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for command in commands
        ]
        results = await asyncio.wait_for(
            asyncio.gather(*(p.communicate(b"/subscribe cs.DC\n/list\n") for p in processes)), 120
        )
    for process, (_, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()
        assert "locked" not in err.decode()
    for out, _ in results[:4]:
        assert "This chat follows: cs.DC" in out.decode()
    store = await SQLiteStore.connect(store_url, "arxiv-digest:")
    try:
        assert await store.count_chats() == 4
    finally:
        await store.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(worker(Path(sys.argv[1]), sys.argv[2])))


@pytest.mark.parametrize("where", ["directory", "dangling link"])
@pytest.mark.parametrize("command", [["check"], ["today", "cs.DC"], ["chat"]])
async def test_a_store_file_that_cannot_be_opened_is_one_line(
    tmp_path: Path, where: str, command: list[str]
) -> None:
    """STORE_URL naming a directory, or a link into a missing directory: one line naming the file
    and STORE_URL, exit 3, nothing else on stderr (no traceback from the SQLite worker thread)."""
    target = tmp_path / "store.sqlite3"
    if where == "directory":
        target.mkdir()
    else:
        target.symlink_to(tmp_path / "missing" / "deeper" / "store.sqlite3")
    async with FakeTelegram() as tg:
        env = _environment(
            STORE_URL=f"sqlite:///{target}", TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.api_url
        )
        code, _, err = await run_cli(env, tmp_path, *command)
    assert code == 3, err
    [line] = err.splitlines()
    assert line.startswith(f"arxiv-digest: cannot open the SQLite store {target} (STORE_URL): "), line
