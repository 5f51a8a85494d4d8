"""``push`` and ``run`` end to end: the real Telegram platform against the fake Bot API and fake arXiv."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.discord.endpoints import current_endpoints, restore_endpoints
from adapters.runner import push_once, run_forever
from bot.errors import BadInput
from bot.metrics import Metrics, metrics_app
from bot.models import ChatKey, ChatSettings
from bot.settings import Settings
from bot.store import open_store
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import TOKEN as DISCORD_TOKEN
from tests.fakes.discord import FakeDiscord
from tests.fakes.feeds import make_rss
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.push_rig import THU, THU_0800, ids, thursday_items

ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{5})")
CHATS = {"1001": ("cs.DC",), "1002": ("cs.LG",), "-1001557912345": ("cs.DC", "cs.LG")}


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API."""
    async with FakeTelegram() as server:
        yield server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings(fake_arxiv: FakeArxiv, telegram: FakeTelegram, tmp_path: Path, **overrides: Any) -> Settings:
    return settings_for(
        fake_arxiv,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_url=telegram.api_url,
        store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        **overrides,
    )


async def subscribe(config: Settings, due: datetime) -> None:
    store = await open_store(config.store_url, config.store_prefix)
    try:
        for chat_id, categories in CHATS.items():
            chat = ChatKey("telegram", chat_id)
            await store.put_chat(ChatSettings(chat, categories))
            await store.set_due(chat, due.timestamp())
    finally:
        await store.close()


def papers_in(telegram: FakeTelegram, chat_id: int) -> list[str]:
    """Paper ids linked in the messages the chat received."""
    found: list[str] = []
    for message in telegram.sent:
        if message.chat_id == chat_id:
            found += [
                pid for pid in sorted(ids(*range(1, 11))) if f"https://arxiv.org/abs/{pid}" in message.text
            ]
    return found


async def test_push_once_through_telegram(
    fake_arxiv: FakeArxiv, telegram: FakeTelegram, tmp_path: Path
) -> None:
    """``push`` delivers each due chat's papers through the Bot API once and exits 0; a second run sends nothing."""
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    config = settings(fake_arxiv, telegram, tmp_path)
    await subscribe(config, THU_0800)
    assert await push_once(config, clock=lambda: THU_0800) == 0
    assert sorted(papers_in(telegram, 1001)) == sorted(ids(1, 2, 3, 4, 5, 10))
    assert sorted(papers_in(telegram, 1002)) == sorted(ids(6, 7, 8, 9, 10))
    assert sorted(papers_in(telegram, -1001557912345)) == sorted(ids(*range(1, 11)))
    sent = len(telegram.sent)
    assert await push_once(config, everyone=True, clock=lambda: THU_0800) == 0
    assert len(telegram.sent) == sent
    assert len(fake_arxiv.requests) == 1


async def test_push_once_through_telegram_and_discord(
    fake_arxiv: FakeArxiv, telegram: FakeTelegram, tmp_path: Path
) -> None:
    """With both tokens set, one ``push`` serves the Telegram chats and the Discord channels, each once."""
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    previous = current_endpoints()
    async with FakeDiscord() as discord:
        config = settings(
            fake_arxiv,
            telegram,
            tmp_path,
            discord_bot_token=DISCORD_TOKEN,
            discord_api_url=discord.api_url,
            discord_gateway_url=discord.gateway_url,
        )
        await subscribe(config, THU_0800)
        channel = discord.default_channel
        store = await open_store(config.store_url, config.store_prefix)
        try:
            chat = ChatKey("discord", channel)
            await store.put_chat(ChatSettings(chat, ("cs.LG",)))
            await store.set_due(chat, THU_0800.timestamp())
        finally:
            await store.close()
        try:
            assert await push_once(config, clock=lambda: THU_0800) == 0
            assert await push_once(config, everyone=True, clock=lambda: THU_0800) == 0
        finally:
            restore_endpoints(previous)
        linked = [ABS.findall(json.dumps(body)) for body in discord.messages[channel]]
        in_discord = [pid for found in linked for pid in dict.fromkeys(found)]
    assert sorted(in_discord) == sorted(ids(6, 7, 8, 9, 10))
    assert sorted(papers_in(telegram, 1002)) == sorted(ids(6, 7, 8, 9, 10))


async def test_push_once_arxiv_down_exits_3(
    fake_arxiv: FakeArxiv, telegram: FakeTelegram, tmp_path: Path, stamina_testing: None
) -> None:
    """``push`` exits 3 when arXiv is unreachable and nothing could be sent."""
    for _ in range(20):
        fake_arxiv.queue("rss", 503, "down")
        fake_arxiv.queue("api", 503, "down")
    config = settings(fake_arxiv, telegram, tmp_path)
    await subscribe(config, THU_0800)
    assert await push_once(config, clock=lambda: THU_0800) == 3
    assert telegram.sent == []


async def test_push_once_needs_a_platform(fake_arxiv: FakeArxiv, tmp_path: Path) -> None:
    """``push`` without any platform token is bad input naming the settings to set."""
    config = settings_for(fake_arxiv, store_url=f"sqlite:///{tmp_path / 's.sqlite3'}")
    with pytest.raises(BadInput, match="TELEGRAM_BOT_TOKEN"):
        await push_once(config)


async def test_run_pushes_serves_metrics_and_stops(
    fake_arxiv: FakeArxiv, telegram: FakeTelegram, tmp_path: Path
) -> None:
    """``run`` pushes due chats on its schedule, answers /healthz and /metrics, and stops cleanly."""
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    port = free_port()
    config = settings(fake_arxiv, telegram, tmp_path, metrics_port=port)
    await subscribe(config, THU_0800)
    stop = asyncio.Event()
    metrics = Metrics()
    running = asyncio.create_task(
        run_forever(config, clock=lambda: THU_0800, interval=0.2, stop_event=stop, metrics=metrics)
    )
    try:
        await telegram.wait_for(lambda: len(papers_in(telegram, -1001557912345)) == 10, within=10.0)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                body = await response.text()
        assert 'arxiv_digest_messages_sent_total{platform="telegram"}' in body
        assert "arxiv_digest_arxiv_requests_total 1.0" in body
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 30.0) == 0
    assert sorted(papers_in(telegram, 1001)) == sorted(ids(1, 2, 3, 4, 5, 10))


async def test_healthz_reports_an_unreachable_store() -> None:
    """/healthz answers 503 when the store does not answer."""

    async def down() -> bool:
        return False

    from aiohttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(metrics_app(Metrics(), down))) as client:
        response = await client.get("/healthz")
        assert response.status == 503
