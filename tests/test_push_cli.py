"""``arxiv-digest push --now`` as a process, against the fake Telegram and arXiv: stopped with
SIGTERM mid-push, with its Redis killed and restarted mid-push, and pushing a recorded busy day
under Telegram's flood limits. Each run is the real command; what it sends is read from the fake
Telegram, what it logs from its standard error."""

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
from bot.engine import DigestEngine
from bot.models import ChatKey, ChatSettings
from bot.source import ArxivSource
from bot.store import open_store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.real_day import busy_day_papers
from tests.fakes.telegram import FakeTelegram, FloodLimits, stall
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
    await put_chats(
        store_url, [ChatSettings(ChatKey("telegram", str(chat_id)), ("cs.DC",)) for chat_id in chats]
    )


async def put_chats(store_url: str, chats: list[ChatSettings]) -> None:
    store = await open_store(store_url, "arxiv-digest:")
    try:
        for settings in chats:
            await store.put_chat(settings)
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


BUSY = ("cs.CV", "cs.CL")
INTERESTS = (
    "",
    "3D Gaussian splatting and neural rendering",
    "speech recognition",
    "retrieval-augmented generation",
    "medical image segmentation",
    "machine translation for low-resource languages",
    "hallucination in vision-language models",
    "autonomous driving perception from lidar",
    "diffusion models for video generation",
)


async def ranked(arxiv: FakeArxiv, tmp_path: Path, chat: ChatSettings, now: datetime) -> list[str]:
    """The ids of the papers ``chat`` should see in full, most relevant first, as the engine ranks
    them on a store of its own (lexical ranking: no LLM is configured)."""
    settings = settings_for(arxiv, store_url=f"sqlite:///{tmp_path / 'ranking.sqlite3'}")
    store = await open_store(settings.store_url, "ranking:")
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    try:
        engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: now)
        selection = chat.selection((), settings.default_top)
        digest = await engine.build(BUSY, None, chat.language, selection, summarize=False)
        return [paper.id for paper in digest.full]
    finally:
        await source.aclose()
        await store.close()


async def test_busy_day_push_under_telegram_flood_limits(tmp_path: Path) -> None:
    """``push --now`` of the recorded busy day (cs.CV + cs.CL, 400-odd papers) to 36 chats (private
    chats and groups, English and Chinese, nine kinds of interests, some asking for 40 papers)
    against a Bot API enforcing Telegram's flood limits: every chat gets at most 3 messages carrying
    its own most relevant papers first, Telegram refuses nothing, and the command exits 0."""
    now = datetime.now(UTC)
    day = listing.latest_feed_listing(now)
    papers = [p for p in busy_day_papers() if set(p["categories"]) & set(BUSY)]
    chats = [
        ChatSettings(
            ChatKey("telegram", str(-1001_500_000_000 - n if n % 4 == 3 else 3000 + n)),
            BUSY,
            language="zh" if n % 3 == 2 else "en",
            interests=INTERESTS[n % len(INTERESTS)],
            top=40 if n % 5 == 4 else None,
        )
        for n in range(36)
    ]
    async with FakeTelegram(flood_limits=FloodLimits()) as tg, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(day, papers, BUSY))
        ids = [int(chat.chat.chat_id) for chat in chats]
        deployment = Deployment(tg, arxiv, f"sqlite:///{tmp_path / 'store.sqlite3'}", ids)
        await put_chats(deployment.store_url, chats)
        process = await deployment.push(tmp_path)
        _, stderr = await asyncio.wait_for(process.communicate(), 300)
        assert process.returncode == 0, stderr.decode()[-3000:]
        expected = {int(chat.chat.chat_id): await ranked(arxiv, tmp_path, chat, now) for chat in chats}
    assert tg.flood_violations == 0 and tg.rejected == []
    messages = Counter(message.chat_id for message in tg.sent)
    assert set(messages) == set(ids) and max(messages.values()) <= 3
    assert all(messages[int(chat.chat.chat_id)] == 3 for chat in chats if chat.top == 40)
    for chat_id, received in deployment.papers().items():
        assert len(received) >= 3, chat_id
        assert received == expected[chat_id][: len(received)], chat_id
    assert len({tuple(papers[:3]) for papers in expected.values()}) >= len(INTERESTS) - 1
    assert b"Traceback" not in stderr and not lines(stderr, "push_delivery_failed")


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("command", [["run"], ["push", "--now"]])
async def test_a_signal_during_start_up_stops_at_once_with_one_line(
    fakes: tuple[FakeTelegram, FakeArxiv], tmp_path: Path, command: list[str], sent: signal.Signals
) -> None:
    """SIGTERM or SIGINT while start-up waits for a Telegram that does not answer (getMe): one
    line naming the signal, exit 0, nothing sent, no traceback."""
    tg, arxiv = fakes
    tg.fail(stall(8), method="getMe", times=None)
    deployment = Deployment(tg, arxiv, f"sqlite:///{tmp_path / 'store.sqlite3'}", [1000])
    await subscribe(deployment.store_url, deployment.chats)
    process = await spawn(
        sys.executable,
        "-c",
        "from adapters.cli import main; main()",
        *command,
        cwd=tmp_path,
        env=deployment.env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await tg.wait_for(lambda: tg.arrived["getMe"] > 0, within=60)
    process.send_signal(sent)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()[-3000:]
    [stopped] = lines(stderr, "stopped")
    assert f"signal={sent.name}" in stopped and "during=start-up" in stopped
    assert b"Traceback" not in stderr and not tg.sent


async def test_a_second_signal_cuts_off_the_chats_in_progress(
    fakes: tuple[FakeTelegram, FakeArxiv], tmp_path: Path
) -> None:
    """SIGTERM then SIGINT during ``push --now`` while a send hangs: the second signal cuts the chat
    off without waiting out the grace period (30 s), one line each, exit 0, the chat's lease freed
    so the next ``push --now`` delivers it."""
    tg, arxiv = fakes
    deployment = Deployment(tg, arxiv, f"sqlite:///{tmp_path / 'store.sqlite3'}", [1000])
    await subscribe(deployment.store_url, deployment.chats)
    tg.fail(stall(40), times=1)
    first = await deployment.push(tmp_path)
    await tg.wait_for(lambda: tg.arrived["sendMessage"] > 0, within=60)
    first.send_signal(signal.SIGTERM)
    first.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(first.communicate(), 20)
    assert first.returncode == 0, stderr.decode()[-3000:]
    [now] = lines(stderr, "stopping_now")
    assert "signal=SIGINT" in now
    [stopped] = lines(stderr, "push_stopped")
    assert "signal=SIGTERM" in stopped and "handed_back=1" in stopped
    assert b"Traceback" not in stderr
    second = await deployment.push(tmp_path)
    _, stderr = await asyncio.wait_for(second.communicate(), 60)
    assert second.returncode == 0, stderr.decode()[-3000:]
    assert sorted(deployment.papers()[1000]) == DC
