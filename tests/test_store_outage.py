"""The store down: the command line says so in one line and exits 3 (a password in STORE_URL is
never printed); in every chat a command gets "try again in a minute" in the chat's language (the
caller's when the chat's settings cannot be read), and the bot recovers by itself when the store
is back. Outages are played on a Redis of the test's own, never on the shared one."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as redis

from adapters.app import build_app
from adapters.discord import run_discord
from adapters.discord.endpoints import current_endpoints, restore_endpoints
from bot import listing
from bot.errors import StoreUnavailable
from bot.i18n import t
from bot.models import ChatKey
from bot.store import as_unavailable, open_store
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import TOKEN, FakeDiscord
from tests.fakes.feeds import make_papers, make_rss
from tests.fakes.telegram import FakeTelegram, message_update, user
from tests.fakes.telegram_harness import running_bot
from tests.paths import ROOT
from tests.processes import run_cli, spawn
from tests.redis_server import RedisServer, free_port

PASSWORD = "s3cret-store-pa55"
DOWN_EN = t("en", "store_down")
DOWN_ZH = t("zh", "store_down")


def _environment(**settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "TELEGRAM_", "DISCORD_", "ARXIV_", "STORE_", "LOG_", "METRICS_"))
    }
    env.update(PYTHONPATH=str(ROOT), ARXIV_MIN_INTERVAL="0", ARXIV_RETRIES="1", **settings)
    return env


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{PASSWORD}@127.0.0.1:{{port}}/0",
        f"rediss://reader:{PASSWORD}@127.0.0.1:{{port}}/0",
    ],
)
@pytest.mark.parametrize("command", [["today", "cs.DC"], ["chat"], ["push", "--now"], ["run"], ["check"]])
async def test_cli_with_the_store_down_exits_3(tmp_path: Path, url: str, command: list[str]) -> None:
    """Every command with an unreachable store prints one line naming the store (password masked)
    and exits 3: no traceback."""
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        env = _environment(
            STORE_URL=url.format(port=free_port()),
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.api_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_API_URL=arxiv.api_url,
        )
        code, _, err = await run_cli(env, tmp_path, *command)
    assert code == 3, err
    [line] = err.splitlines()
    assert line.startswith("arxiv-digest: the store at redis") and "cannot be reached" in line
    assert ":***@127.0.0.1" in line and PASSWORD not in err


async def test_store_failures_are_recognised(tmp_path: Path) -> None:
    """A Redis that went away mid-run is recognised as the store being unavailable; other errors
    are not."""
    async with RedisServer(tmp_path / "redis") as server:
        store = await open_store(server.url, "outage:")
        try:
            await server.stop()
            with pytest.raises(redis.ConnectionError) as caught:
                await store.get_chat(ChatKey("telegram", "1"))
            assert isinstance(as_unavailable(caught.value), StoreUnavailable)
            assert as_unavailable(ValueError("a bug")) is None
            await server.start()
            assert await store.get_chat(ChatKey("telegram", "1")) is None
        finally:
            await store.close()


async def test_telegram_answers_while_the_store_is_down(tmp_path: Path) -> None:
    """With Redis down, commands get "try again in a minute" in the caller's language (the chat's
    cannot be read); when Redis is back the bot answers from the kept settings, without a restart."""
    server = RedisServer(tmp_path / "redis", password=PASSWORD)
    async with server, running_bot(tmp_path, settings_overrides={"store_url": server.url}) as bot:
        chinese = user(10081232, language_code="zh-hans")
        await bot.send(message_update("/lang zh", sender=chinese))
        await bot.send(message_update("/subscribe cs.DC", sender=chinese))
        await server.stop()
        await bot.send(message_update("/list", sender=chinese))
        await bot.send(message_update("/today"))
        await bot.send(message_update("/subscribe cs.LG", sender=chinese))
        assert [m.visible for m in bot.tg.sent[-3:]] == [DOWN_ZH, DOWN_EN, DOWN_ZH]
        await server.start()
        await bot.send(message_update("/list"))
        assert bot.tg.sent[-1].visible.startswith("本聊天关注：cs.DC")


@asynccontextmanager
async def discord_bot(tmp_path: Path, store_url: str) -> AsyncIterator[FakeDiscord]:
    """The Discord bot on the fakes, its store at ``store_url``, deferring after 0.2 s."""
    previous = current_endpoints()
    async with FakeDiscord(heartbeat_interval_ms=200) as fake, FakeArxiv() as arxiv:
        arxiv.set_feed(
            make_rss(listing.latest_feed_listing(datetime.now(UTC)), make_papers(5, ["cs.DC"]), ["cs.DC"])
        )
        settings = settings_for(
            arxiv,
            discord_bot_token=TOKEN,
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            store_url=store_url,
        )
        app = await build_app(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_discord(settings, app.commands, app.store, stop, guild_ready_timeout=0.05, defer_after=0.2)
        )
        try:
            await fake.wait_for(lambda: fake.ready.is_set() or task.done(), 10)
            assert not task.done(), task
            yield fake
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await app.aclose()
            restore_endpoints(previous)


async def test_discord_answers_while_the_store_is_down_or_slow(tmp_path: Path) -> None:
    """Redis down: the answer is "try again in a minute" in the caller's language. Redis frozen: the
    command is deferred ("thinking…") within Discord's 3 seconds and the same answer follows.
    Redis back: the usual answers, without a restart."""
    async with RedisServer(tmp_path / "redis") as server:
        url = server.url + "?socket_timeout=1&socket_connect_timeout=1"
        async with discord_bot(tmp_path, url) as fake:
            subscribed = await fake.interact(
                fake.interaction("subscribe", [fake.option("category", "cs.DC")])
            )
            assert subscribed.callback_type == 4
            await server.stop()
            down = await fake.interact(fake.interaction("list", locale="zh-CN"))
            assert down.callback_type == 4 and down.texts == [DOWN_ZH]
            await server.start()
            server.pause()
            slow = await fake.interact(fake.interaction("list"))
            assert slow.callback_type == 5 and slow.ephemeral
            await fake.wait_for(lambda: bool(slow.followups), 30)
            assert slow.texts == [DOWN_EN]
            server.resume()
            back = await fake.interact(fake.interaction("list"), within=30)
            assert back.callback_type == 4 and back.texts[0].startswith("This chat follows: cs.DC")


async def test_terminal_chat_answers_while_the_store_is_down(tmp_path: Path) -> None:
    """``arxiv-digest chat`` keeps reading commands while Redis is down, answers each with "try again
    in a minute", and works again once Redis is back."""
    async with RedisServer(tmp_path / "redis", password=PASSWORD) as server, FakeArxiv() as arxiv:
        env = _environment(STORE_URL=server.url, ARXIV_RSS_URL=arxiv.rss_url, ARXIV_API_URL=arxiv.api_url)
        process = await spawn(
            sys.executable,
            "-m",
            "adapters.cli",
            "chat",
            env=env,
            cwd=tmp_path,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stdout is not None

        async def ask(line: str, expected: str) -> None:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(line.encode() + b"\n")
            await process.stdin.drain()
            async with asyncio.timeout(30):
                while expected not in (await process.stdout.readline()).decode():
                    pass

        await ask("/subscribe cs.DC", "Subscribed to cs.DC")
        await server.stop()
        await ask("/list", DOWN_EN)
        await ask("hello", t("en", "not_a_command"))
        await server.start()
        await ask("/list", "This chat follows: cs.DC")
        process.stdin.close()
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert PASSWORD not in err.decode()


@pytest.mark.parametrize("command", [["check"], ["today", "cs.DC"]])
async def test_redis_refusing_the_database_of_store_url_is_a_setting_to_fix(
    tmp_path: Path, command: list[str]
) -> None:
    """A STORE_URL naming a database Redis does not have (/99 of 16) is one line naming STORE_URL,
    password masked, exit 2: no traceback."""
    async with RedisServer(tmp_path / "redis", password=PASSWORD) as server, FakeTelegram() as tg:
        env = _environment(
            STORE_URL=server.url.removesuffix("/0") + "/99",
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.api_url,
        )
        code, _, err = await run_cli(env, tmp_path, *command)
    assert code == 2, err
    [line] = err.splitlines()
    assert "STORE_URL" in line and "DB index is out of range" in line
    assert ":***@127.0.0.1" in line and PASSWORD not in err
