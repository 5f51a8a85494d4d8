"""Outages in the logs, as an operator reads them at INFO: a platform or arXiv that stops answering
for a while is one warning when it starts and one line when it answers again, however many polls,
reconnects or chats fail meanwhile; the libraries' own traceback per failed attempt stays at DEBUG.
Logging is configured as the CLI does, and the real client libraries run against the fakes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import structlog

from adapters.logs import configure
from bot.i18n import t
from bot.store.base import Store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import TOKEN as DISCORD_TOKEN
from tests.fakes.telegram import message_update, server_error
from tests.fakes.telegram_harness import running_bot
from tests.push_rig import push_rig
from tests.test_discord_bot import running_discord
from tests.test_logs import restore_logging  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("restore_logging")

LOUD = re.compile(r"\blevel=(warning|error|critical)\b")


def configure_logs(*secrets: str) -> None:
    """Logging as the CLI configures it at INFO, except that structlog caches no logger on first
    use, so the loggers used here log as the other tests expect afterwards."""
    configure("INFO", secrets)
    structlog.configure(cache_logger_on_first_use=False)


def loud(err: str) -> list[str]:
    """The WARNING, ERROR and CRITICAL lines of a log."""
    return [line for line in err.splitlines() if LOUD.search(line)]


def events(err: str, event: str) -> list[str]:
    return [line for line in err.splitlines() if f"event={event} " in line]


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    """Wait until ``check()`` holds (polled)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        if check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("fault", ["502", "refused"])
async def test_telegram_polling_outage_is_one_line_each_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str
) -> None:
    """getUpdates failing for a while (Telegram answering 502, or refusing connections) is one
    warning when it starts and one line when a poll is answered again, not python-telegram-bot's
    traceback per failed poll; the bot then answers commands."""
    async with running_bot(tmp_path) as bot:
        configure_logs(bot.tg.token)
        polling = bot.service.polling
        if fault == "502":
            bot.tg.fail(server_error(502), method="getUpdates", times=3)
            await until(lambda: polling.failures >= 3)
        else:
            await bot.tg.go_down()
            await until(lambda: polling.failures >= 3)
            await bot.tg.come_back()
        await until(lambda: not polling.down)
        await bot.send(message_update("/help"))
        assert bot.tg.sent[-1].visible == t("en", "help")
    err = capsys.readouterr().err
    [line] = loud(err)
    assert "event=service_unavailable" in line and "service=telegram_updates" in line
    assert "error=NetworkError" in line
    [back] = events(err, "service_recovered")
    assert "service=telegram_updates" in back and "level=info" in back
    failed = int(re.search(r"failed_calls=(\d+)", back).group(1))  # type: ignore[union-attr]
    assert failed == 3 if fault == "502" else failed >= 3
    assert "Traceback" not in err


async def test_discord_gateway_outage_is_one_line_each_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Discord's routine reconnect (one lost connection, resumed) writes nothing at INFO; a gateway
    that keeps closing and refusing connections is one warning when it starts and one line when the
    session resumes, not discord.py's traceback per reconnect; commands are answered afterwards."""
    async with running_discord(tmp_path) as bot:
        fake = bot.discord
        configure_logs(DISCORD_TOKEN)
        await fake.drop_gateway()
        await fake.wait_for(lambda: fake.resumes == 1, 20)
        assert "/subscribe" in (await bot.slash("help")).texts[0]
        assert loud(capsys.readouterr().err) == []

        fake.gateway_failures = ["close", "close", "refuse"]
        await fake.drop_gateway()
        await fake.wait_for(lambda: fake.resumes == 2, 30)
        assert "/subscribe" in (await bot.slash("help")).texts[0]
    err = capsys.readouterr().err
    assert fake.gateway_failed == 3
    [line] = loud(err)
    assert "event=service_unavailable" in line and "service=discord_gateway" in line
    [back] = events(err, "service_recovered")
    assert "service=discord_gateway" in back and "failed_calls=3" in back
    assert "Traceback" not in err


async def test_push_with_arxiv_unreachable_is_one_line_each_way(
    fake_arxiv: FakeArxiv,
    store: Store,
    capsys: pytest.CaptureFixture[str],
    stamina_testing: None,
) -> None:
    """arXiv refusing connections through two push cycles of eight chats is one warning (not one
    per chat and cycle); the cycle after arXiv is back delivers every chat and says it is back."""
    async with push_rig(fake_arxiv, store) as rig:
        chats = [f"chat{n}" for n in range(8)]
        for chat_id in chats:
            await rig.subscribe(chat_id, ["cs.DC"])
        configure_logs()
        pusher = rig.pusher(poll=timedelta(minutes=10))
        await fake_arxiv.stop()
        for _ in range(2):
            report = await pusher.run_once()
            assert (report.source_errors, report.sent) == (len(chats), 0)
            rig.clock.now += timedelta(minutes=10)
        down = capsys.readouterr().err
        await fake_arxiv.start()
        report = await pusher.run_once()
        assert report.sent == len(chats)
        assert all(rig.platform.papers_of(chat_id) for chat_id in chats)
    up = capsys.readouterr().err
    [line] = loud(down)
    assert "event=service_unavailable" in line and "service=arxiv" in line
    assert "connection refused" in line
    assert events(down, "service_recovered") == [] and events(down, "push_source_failed") == []
    assert loud(up) == []
    [back] = events(up, "service_recovered")
    assert "service=arxiv" in back and f"failed_calls={2 * len(chats) + 2}" in back
