"""``run`` and ``push`` as a whole under faults: each platform supervised on its own, one bad event
or one failing platform never stopping the rest, configuration errors ending the process with exit
code 2, stopping within the grace period, and ``push``'s exit codes. Real python-telegram-bot and
discord.py against the fake Telegram and Discord; the fake arXiv; a real SQLite store."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from adapters.discord.endpoints import current_endpoints, restore_endpoints
from adapters.runner import _exit_code, push_once, restart_delay, run_forever, supervise
from bot.errors import BadInput
from bot.models import ChatKey, ChatSettings
from bot.push import PushReport
from bot.settings import Settings
from bot.store import open_store
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import TOKEN as DISCORD_TOKEN
from tests.fakes.discord import FakeDiscord, Scripted
from tests.fakes.feeds import make_rss
from tests.fakes.telegram import FakeTelegram, message_update, server_error
from tests.push_rig import THU, THU_0800, ids, thursday_items

ABS = re.compile(r"https://arxiv\.org/abs/([0-9]{4}\.[0-9]{5})")


# -- pure parts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "seconds"), [(1, 1.0), (2, 2.0), (3, 4.0), (8, 128.0), (9, 256.0), (10, 300.0), (99, 300.0)]
)
def test_restart_delay(failures: int, seconds: float) -> None:
    """A failing platform restarts after 1 s, doubling, at most 5 minutes."""
    assert restart_delay(failures) == seconds


def report(**counts: Any) -> PushReport:
    return PushReport(**counts)


@pytest.mark.parametrize(
    ("made", "recorded", "code"),
    [
        (report(), True, 0),
        (report(chats=3, sent=3), True, 0),
        (report(chats=3, skipped=3, held_elsewhere=3), True, 0),
        (report(chats=2, sent=1, store_errors=1), True, 0),
        (report(chats=2, retry=2), True, 0),
        (report(chats=2, paused=2), True, 0),
        (report(store_errors=1), True, 3),
        (report(chats=4, store_errors=4), True, 3),
        (report(chats=2, errors=2), True, 3),
        (report(chats=2, undelivered=2), True, 3),
        (report(chats=2, sent=1, undelivered=1), True, 0),
        (report(chats=2, source_errors=2), True, 3),
        (report(chats=2, sent=2), False, 3),
    ],
)
def test_push_exit_codes(made: PushReport, recorded: bool, code: int) -> None:
    """``push`` exits 0 unless every chat failed (store gone, platform unreachable, errors), arXiv was
    unreachable, or acknowledged deliveries could not be recorded: then 3."""
    assert _exit_code(made, recorded) == code


def test_push_exit_code_for_a_refused_token() -> None:
    """Every chat refused because of the token is bad input (exit 2) naming the setting."""
    made = report(chats=3, rejected=3, token_settings=["TELEGRAM_BOT_TOKEN"])
    with pytest.raises(BadInput, match="TELEGRAM_BOT_TOKEN"):
        _exit_code(made, True)


# -- the supervisor -------------------------------------------------------------------------------------


async def test_supervise_restarts_with_backoff_one_line_per_failure() -> None:
    """A platform that raises, or ends on its own, is restarted after a doubling backoff, with one
    log line per failure; it ends when asked to stop."""
    stop = asyncio.Event()
    calls = 0

    async def service() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("attachment_size_limit")
        if calls == 3:
            stop.set()

    with capture_logs() as logs:
        await supervise("discord", service, stop, initial=0.001)
    failed = [entry for entry in logs if entry["event"] == "platform_failed"]
    assert calls == 3
    assert [entry["error"] for entry in failed] == ["KeyError", "Stopped"]
    assert [entry["restart_in"] for entry in failed] == [0.001, 0.002]
    assert all("exc_info" not in entry for entry in logs)


async def test_supervise_backoff_starts_over_after_a_healthy_run() -> None:
    """A platform that ran a while before failing restarts after the first backoff step again."""
    stop = asyncio.Event()
    now = [0.0]
    runs = [1.0, 1.0, 120.0, 1.0]

    async def service() -> None:
        if not runs:
            stop.set()
            return
        now[0] += runs.pop(0)
        raise ConnectionResetError("gateway closed")

    with capture_logs() as logs:
        await supervise("telegram", service, stop, initial=0.001, healthy_after=60.0, clock=lambda: now[0])
    delays = [entry["restart_in"] for entry in logs if entry["event"] == "platform_failed"]
    assert delays == [0.001, 0.002, 0.001, 0.002]


async def test_supervise_gives_up_on_configuration_errors() -> None:
    """A configuration error (a refused token) is raised at once: restarting cannot fix it."""
    calls = 0

    async def service() -> None:
        nonlocal calls
        calls += 1
        raise BadInput("Telegram refused TELEGRAM_BOT_TOKEN: check the bot token")

    with pytest.raises(BadInput):
        await supervise("telegram", service, asyncio.Event(), initial=0.001)
    assert calls == 1


# -- run, with both platforms ----------------------------------------------------------------------------


@dataclass
class Both:
    tg: FakeTelegram
    dc: FakeDiscord
    arxiv: FakeArxiv
    settings: Settings

    async def subscribe_telegram(self, chat_id: int, due: datetime) -> None:
        store = await open_store(self.settings.store_url, self.settings.store_prefix)
        try:
            chat = ChatKey("telegram", str(chat_id))
            await store.put_chat(ChatSettings(chat, ("cs.DC",)))
            await store.set_due(chat, due.timestamp())
        finally:
            await store.close()

    def papers_to(self, chat_id: int) -> list[str]:
        """Paper ids linked in the messages the chat received, each once per message."""
        return [
            pid for m in self.tg.sent if m.chat_id == chat_id for pid in dict.fromkeys(ABS.findall(m.text))
        ]


@pytest.fixture
async def both(tmp_path: Path, fake_arxiv: FakeArxiv) -> AsyncIterator[Both]:
    """The fake Telegram, the fake Discord and the fake arXiv, with settings for all three."""
    previous = current_endpoints()
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    async with FakeTelegram() as tg, FakeDiscord(heartbeat_interval_ms=200) as dc:
        settings = settings_for(
            fake_arxiv,
            telegram_bot_token=tg.token,
            telegram_api_url=tg.api_url,
            discord_bot_token=DISCORD_TOKEN,
            discord_api_url=dc.api_url,
            discord_gateway_url=dc.gateway_url,
            store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        )
        try:
            yield Both(tg, dc, fake_arxiv, settings)
        finally:
            restore_endpoints(previous)


async def started(both: Both, task: asyncio.Task[int]) -> None:
    """Wait until Discord synced its commands and Telegram polls."""
    await both.dc.wait_for(lambda: (None in both.dc.synced and both.dc.ready.is_set()) or task.done(), 20)
    await both.tg.wait_for(lambda: both.tg.polls > 0 or task.done(), 20)
    assert not task.done(), task


async def test_a_bad_discord_event_leaves_everything_running(both: Both) -> None:
    """An interaction discord.py cannot parse is dropped with one log line; Discord goes on
    answering, Telegram answers, the push delivers a chat that falls due afterwards, and the
    process runs until stopped (exit 0)."""
    now = [THU_0800]
    await both.subscribe_telegram(1001, THU_0800 + timedelta(minutes=1))
    stop = asyncio.Event()
    with capture_logs() as logs:
        task = asyncio.create_task(
            run_forever(both.settings, clock=lambda: now[0], interval=0.2, stop_event=stop)
        )
        try:
            await started(both, task)
            bad = both.dc.interaction("list")
            del bad["attachment_size_limit"]
            await both.dc.dispatch("INTERACTION_CREATE", bad)
            entry = await both.dc.interact(both.dc.interaction("help"))
            assert "/subscribe" in entry.texts[0]
            both.tg.add_update(message_update("/help"))
            await both.tg.wait_sent(1, within=10)
            now[0] = THU_0800 + timedelta(minutes=1)
            await both.tg.wait_for(lambda: len(both.papers_to(1001)) == 6, within=10)
            assert not task.done()
        finally:
            stop.set()
            assert await asyncio.wait_for(task, 30) == 0
    dropped = [e for e in logs if e["event"] == "discord_event_dropped"]
    assert len(dropped) == 1 and dropped[0]["gateway_event"] == "INTERACTION_CREATE"
    assert dropped[0]["error"] == "KeyError"
    assert not [e for e in logs if e["event"] in ("platform_failed", "platform_supervisor_failed")]
    assert sorted(both.papers_to(1001)) == sorted(ids(1, 2, 3, 4, 5, 10))


async def test_a_failing_platform_restarts_while_the_other_serves(both: Both) -> None:
    """Discord failing at start (its command sync answers 503) is one line and a restart with
    backoff; Telegram serves meanwhile, and Discord answers once restarted."""
    both.dc.sync_failures.append(Scripted(503, {"message": "Service Unavailable", "code": 0}))
    stop = asyncio.Event()
    with capture_logs() as logs:
        task = asyncio.create_task(
            run_forever(
                both.settings, clock=lambda: THU_0800, interval=0.2, stop_event=stop, restart_initial=0.05
            )
        )
        try:
            await started(both, task)
            both.tg.add_update(message_update("/help"))
            await both.tg.wait_sent(1, within=10)
            entry = await both.dc.interact(both.dc.interaction("help"))
            assert "/subscribe" in entry.texts[0]
        finally:
            stop.set()
            assert await asyncio.wait_for(task, 30) == 0
    failed = [e for e in logs if e["event"] == "platform_failed"]
    assert [(e["platform"], e["error"]) for e in failed] == [("discord", "DiscordServerError")]


async def test_a_refused_token_ends_run_with_bad_input(both: Both) -> None:
    """A Telegram token the Bot API refuses ends ``run`` (exit code 2) with a message naming
    TELEGRAM_BOT_TOKEN and never the token; Discord is stopped with it."""
    wrong = "4242:refused-token-value"
    settings = both.settings.model_copy(update={"telegram_bot_token": SecretStr(wrong)})
    with pytest.raises(BadInput, match="TELEGRAM_BOT_TOKEN") as caught:
        await asyncio.wait_for(run_forever(settings, clock=lambda: THU_0800, interval=0.2), 30)
    assert "refused-token-value" not in str(caught.value)
    assert both.dc.connected == 0


async def test_stopping_run_lets_the_chats_in_progress_finish(both: Both) -> None:
    """Stopped while messages are on their way, ``run`` lets the chats being pushed finish (within
    its grace period) instead of cutting them off: no chat is left with part of its digest."""
    chats = [1001, 1002, 1003, 1004]
    for chat_id in chats:
        await both.subscribe_telegram(chat_id, THU_0800)
    both.tg.send_latency = 0.4
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_forever(both.settings, clock=lambda: THU_0800, interval=0.2, stop_event=stop)
    )
    try:
        await started(both, task)
        await both.tg.wait_for(lambda: both.tg.sends_started >= 1, within=15)
        stop.set()
        assert await asyncio.wait_for(task, 30) == 0
    finally:
        stop.set()
    started_chats = {m.chat_id for m in both.tg.sent}
    assert started_chats
    store = await open_store(both.settings.store_url, both.settings.store_prefix)
    try:
        for chat_id in chats:
            papers = both.papers_to(chat_id)
            if chat_id in started_chats:
                assert sorted(papers) == sorted(ids(1, 2, 3, 4, 5, 10))
            else:
                assert papers == []
                assert await store.get_due(ChatKey("telegram", str(chat_id))) == THU_0800.timestamp()
            assert await store.holder(f"push:telegram:{chat_id}") is None
    finally:
        await store.close()


async def test_push_with_telegram_unreachable_is_one_line_and_exit_3(
    both: Both, stamina_testing: None
) -> None:
    """Telegram answering 502 to every send: ``push`` says so in one line (not one per chat), keeps
    every chat due for a retry, and exits 3."""
    chats = [1001, 1002, 1003]
    for chat_id in chats:
        await both.subscribe_telegram(chat_id, THU_0800)
    both.tg.fail(server_error(502), times=None)
    settings = both.settings.model_copy(update={"discord_bot_token": None})
    with capture_logs() as logs:
        assert await push_once(settings, clock=lambda: THU_0800) == 3
    assert [e["service"] for e in logs if e["event"] == "service_unavailable"] == ["telegram"]
    assert [e["event"] for e in logs].count("push_failed") == 1
    assert not [e for e in logs if e["event"] == "push_delivery_failed"]
    store = await open_store(settings.store_url, settings.store_prefix)
    try:
        for chat_id in chats:
            chat = ChatKey("telegram", str(chat_id))
            assert await store.get_chat(chat) is not None
            assert await store.get_due(chat) == (THU_0800 + timedelta(minutes=2)).timestamp()
    finally:
        await store.close()
