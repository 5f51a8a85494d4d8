"""``arxiv-digest push --now`` as a process, against the fake Telegram and arXiv: stopped with
SIGTERM mid-push, and with its Redis killed and restarted mid-push. Each run is the real command;
what it sends is read from the fake Telegram, what it logs from its standard error."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import listing
from bot.models import ChatKey, ChatSettings
from bot.store import open_store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.telegram import FakeTelegram
from tests.own_redis import OwnRedis
from tests.paths import ROOT
from tests.processes import spawn
from tests.push_rig import ids, thursday_items

ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{5})")
DC = sorted(ids(1, 2, 3, 4, 5, 10))


@dataclass
class Deployment:
    tg: FakeTelegram
    arxiv: FakeArxiv
    store_url: str
    chats: list[int]

    def env(self) -> dict[str, str]:
        kept = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("TELEGRAM_", "DISCORD_", "OPENAI_", "ARXIV_", "STORE_", "METRICS_", "LOG_")
            )
        }
        return kept | {
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": self.tg.token,
            "TELEGRAM_API_URL": self.tg.api_url,
            "ARXIV_RSS_URL": self.arxiv.rss_url,
            "ARXIV_API_URL": self.arxiv.api_url,
            "ARXIV_MIN_INTERVAL": "0",
            "STORE_URL": self.store_url,
            "LOG_LEVEL": "INFO",
        }

    async def push(self, cwd: Path) -> asyncio.subprocess.Process:
        return await spawn(
            sys.executable,
            "-c",
            "from adapters.cli import main; main()",
            "push",
            "--now",
            cwd=cwd,
            env=self.env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )

    def papers(self) -> dict[int, list[str]]:
        """Every chat's received paper ids, in order, once per message that linked them."""
        found: dict[int, list[str]] = {chat: [] for chat in self.chats}
        for message in self.tg.sent:
            assert isinstance(message.chat_id, int)
            found[message.chat_id] += list(dict.fromkeys(ABS.findall(message.text)))
        return found


async def subscribe(store_url: str, chats: list[int]) -> None:
    store = await open_store(store_url, "arxiv-digest:")
    try:
        for chat_id in chats:
            await store.put_chat(ChatSettings(ChatKey("telegram", str(chat_id)), ("cs.DC",)))
    finally:
        await store.close()


def lines(stderr: bytes, event: str) -> list[str]:
    return [line for line in stderr.decode(errors="replace").splitlines() if f"event={event}" in line]


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeTelegram, FakeArxiv]]:
    """The fake Telegram and a fake arXiv whose feed shows the latest batch (cs.DC papers 1-5 and 10)."""
    day = listing.latest_feed_listing(datetime.now(UTC))
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(day, thursday_items(), ["cs.DC", "cs.LG"]))
        yield tg, arxiv


async def test_sigterm_hands_back_cleanly_and_exits_0(
    fakes: tuple[FakeTelegram, FakeArxiv], tmp_path: Path
) -> None:
    """SIGTERM during ``push --now``: the chats being pushed finish, the rest are handed back, one
    line says so, exit 0; their leases are free, so the next ``push --now`` completes every chat at
    once and no chat gets a paper twice."""
    tg, arxiv = fakes
    chats = [1000 + n for n in range(100)]
    deployment = Deployment(tg, arxiv, f"sqlite:///{tmp_path / 'store.sqlite3'}", chats)
    await subscribe(deployment.store_url, chats)
    tg.send_latency = 0.1
    first = await deployment.push(tmp_path)
    await tg.wait_for(lambda: tg.sends_started >= 5, within=60)
    first.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(first.communicate(), 60)
    assert first.returncode == 0, stderr.decode()[-3000:]
    [stopped] = lines(stderr, "push_stopped")
    assert "signal=SIGTERM" in stopped
    assert b"Traceback" not in stderr
    done = {chat for chat, papers in deployment.papers().items() if papers}
    assert done and len(done) < len(chats), "the stop came mid-push"
    for chat, papers in deployment.papers().items():
        assert sorted(papers) == (DC if chat in done else [])

    tg.send_latency = 0.0
    second = await deployment.push(tmp_path)
    _, stderr = await asyncio.wait_for(second.communicate(), 120)
    assert second.returncode == 0, stderr.decode()[-3000:]
    assert not lines(stderr, "push_left_to_other_holders")
    for papers in deployment.papers().values():
        assert sorted(papers) == DC


async def test_redis_killed_and_restarted_mid_push_repeats_nothing(
    fakes: tuple[FakeTelegram, FakeArxiv], tmp_path: Path
) -> None:
    """Redis killed mid-push and restarted a moment later: the push records what Telegram
    acknowledged once Redis is back, logs the outage in one line with no traceback and exits 0; a
    second push completes every chat and no chat receives its in-flight message twice."""
    tg, arxiv = fakes
    server = OwnRedis(tmp_path)
    await server.start()
    chats = [2000 + n for n in range(80)]
    deployment = Deployment(tg, arxiv, server.url, chats)
    await subscribe(server.url, chats)
    tg.send_latency = 0.05
    first = await deployment.push(tmp_path)
    await tg.wait_for(lambda: len(tg.sent) >= 15, within=60)
    await server.kill()
    await asyncio.sleep(1.0)  # the outage
    await server.start()
    _, stderr = await asyncio.wait_for(first.communicate(), 120)
    assert first.returncode == 0, stderr.decode()[-3000:]
    assert b"Traceback" not in stderr
    assert len(lines(stderr, "service_unavailable")) == 1
    assert len(lines(stderr, "service_recovered")) == 1
    noisy = [
        line for line in stderr.decode().splitlines() if "level=warning" in line or "level=error" in line
    ]
    assert len(noisy) <= 3, noisy

    tg.send_latency = 0.0
    second = await deployment.push(tmp_path)
    _, stderr = await asyncio.wait_for(second.communicate(), 120)
    assert second.returncode == 0, stderr.decode()[-3000:]
    for chat, papers in deployment.papers().items():
        repeated = [paper for paper, count in Counter(papers).items() if count > 1]
        assert not repeated, f"chat {chat} received {repeated} twice"
        assert sorted(papers) == DC
