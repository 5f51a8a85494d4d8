"""Logs: one line per event, secrets never written at any level, library chatter kept at DEBUG.

The in-process tests configure logging as the CLI does and drive the real client libraries
(python-telegram-bot, openai over httpx) against the local fakes at DEBUG; the subprocess tests run
``arxiv-digest run`` and ``push`` themselves.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest
import structlog
from openai import AsyncOpenAI
from telegram import Bot

from adapters.logs import Redactor, configure, redact
from bot import listing
from bot.i18n import t
from bot.store import open_store
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import FakeDiscord
from tests.fakes.feeds import make_papers, make_rss
from tests.fakes.openai import FakeOpenAI
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram, message_update
from tests.paths import ROOT
from tests.processes import spawn
from tests.redis_server import RedisServer

API_KEY = "sk-test-4f9a0c2b7e1d8a6f3c5b"
URL_PASSWORD = "pa55-in-the-url-9d1e"
STORE_PASSWORD = "store-pa55word-7c2a"
DIGEST = t("en", "digest_title")
REJECTED_TOKEN = "987654321:AAH-this-token-was-revoked-by-botfather"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Logging, structlog and the exception hooks as they were before the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpx2", "httpcore", "httpcore2")}
    hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    config = structlog.get_config()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        sys.excepthook, threading.excepthook, sys.unraisablehook = hooks
        logging.captureWarnings(False)
        structlog.configure(**config)
        configure.__globals__["_active"] = Redactor()


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("POST http://h/bot123456789:AAE-fake-token-for-tests/getMe", [DEFAULT_TOKEN], "POST http://h/bot***/getMe"),
        ("GET http://h/bot123456789%3AAAE-fake-token-for-tests/getMe", [DEFAULT_TOKEN], "GET http://h/bot***/getMe"),
        ("url=redis://:pw@host:6379/0", [], "url=redis://:***@host:6379/0"),
        ("rediss://user:pa@ss@host/0 up", [], "rediss://user:***@host/0 up"),
        ("http://user:password@127.0.0.1:8/v1/chat", [], "http://user:***@127.0.0.1:8/v1/chat"),
        ("token `5555555555:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` rejected", [], "token `***` rejected"),
        ("{'url': 'https://x/hook', 'secret_token': 'abc123def'}", [], "{'url': 'https://x/hook', 'secret_token': '***'}"),
        ("Authorization: Bearer sk-zzzzzzzz", [], "Authorization: Bearer ***"),
        ("key sk-test-4f9a0c2b7e1d8a6f3c5b in a sentence", [API_KEY], "key *** in a sentence"),
        ("mail bob@example.com and http://127.0.0.1:8000/v1", [], "mail bob@example.com and http://127.0.0.1:8000/v1"),
        ("a short secret 'pw' elsewhere", ["pw"], "a short secret 'pw' elsewhere"),
    ],
)  # fmt: skip
def test_redactor(text: str, secrets: list[str], expected: str) -> None:
    """Exact secrets (also percent-encoded), URL passwords, token shapes and keyed values are masked."""
    assert Redactor(secrets)(text) == expected


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


async def test_real_libraries_at_debug_write_no_secret(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """At DEBUG, python-telegram-bot's Bot API URL, httpx's request lines and an OpenAI base URL with
    credentials are all logged, and none of the secrets in them is written."""
    async with FakeTelegram() as tg, FakeOpenAI() as llm:
        base_url = llm.base_url.replace("http://", f"http://reader:{URL_PASSWORD}@")
        configure("DEBUG", [DEFAULT_TOKEN, API_KEY, URL_PASSWORD])
        bot = Bot(DEFAULT_TOKEN, base_url=tg.api_url)
        async with bot:
            await bot.send_message(chat_id=1001, text="hello")
        client = AsyncOpenAI(api_key=API_KEY, base_url=base_url)
        try:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "Summarize in English: a paper"}]
            )
        finally:
            await client.close()
    err = capsys.readouterr().err
    loggers = {
        part.split("=", 1)[1] for line in _lines(err) for part in line.split() if part.startswith("logger=")
    }
    assert {"telegram.Bot", "httpx"} <= loggers, loggers
    assert any(name.startswith(("openai", "httpx2")) for name in loggers), loggers
    assert "bot***" in err and "reader:***@" in err
    for secret in (DEFAULT_TOKEN, API_KEY, URL_PASSWORD, DEFAULT_TOKEN.split(":")[1]):
        assert secret not in err


def test_one_line_per_event_and_library_chatter_at_debug(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """An exception's traceback stays on its event's line; a library's INFO line is DEBUG (hidden at
    INFO); discord.py's start-up warnings (voice support, a client without the guilds intent) are
    dropped, its other warnings kept; our INFO lines are kept."""
    configure("INFO", [API_KEY])
    log = structlog.get_logger("bot.example")
    try:
        raise ValueError(f"bad\nthing with {API_KEY}")
    except ValueError:
        log.exception("example_failed")
    log.info("example_event", value=1)
    logging.getLogger("telegram.ext.Application").info("Application started")
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True  # as in a new process
    discord.Client(intents=discord.Intents.none())
    logging.getLogger("discord.gateway").warning("Shard ID None heartbeat blocked")
    lines = _lines(capsys.readouterr().err)
    assert len(lines) == 3, lines
    failed, event, warning = lines
    assert "event=example_failed" in failed and "Traceback" in failed and "ValueError" in failed
    assert API_KEY not in failed and "***" in failed
    assert "event=example_event" in event and "level=info" in event
    assert "heartbeat blocked" in warning and "level=warning" in warning
    configure("DEBUG")
    logging.getLogger("telegram.ext.Application").info("Application started")
    [shown] = _lines(capsys.readouterr().err)
    assert "level=debug" in shown and "Application started" in shown


async def test_sqlite_statements_are_not_written_even_at_debug(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """At DEBUG the embedded store's own lines are written, aiosqlite's line per statement is not."""
    configure("DEBUG")
    store = await open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        await store.cache_set("example", "key", "value", ttl=60.0)
        assert await store.cache_get("example", "key") == "value"
    finally:
        await store.close()
    assert "logger=aiosqlite" not in capsys.readouterr().err


def test_uncaught_exception_is_one_redacted_line(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """An exception nobody caught is logged as one line through the same redaction."""
    configure("INFO", [API_KEY])
    try:
        raise RuntimeError(f"failed with {API_KEY}")
    except RuntimeError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    [line] = _lines(capsys.readouterr().err)
    assert "uncaught_exception" in line and "RuntimeError" in line and API_KEY not in line
    assert redact(f"x {API_KEY}") == "x ***"


def test_an_exception_python_ignores_is_one_redacted_line(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """An exception raised in ``__del__`` (which Python can only ignore) is logged as one redacted
    line, not printed raw as "Exception ignored in"."""
    configure("INFO", [API_KEY])

    class Leaky:
        def __del__(self) -> None:
            raise RuntimeError(f"closing with {API_KEY}")

    Leaky()
    gc.collect()
    err = capsys.readouterr().err
    [line] = _lines(err)
    assert "unraisable_exception" in line and "RuntimeError" in line and API_KEY not in err
    assert "Exception ignored" not in err


# -- the real processes ------------------------------------------------------------------------------


def _environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "TELEGRAM_", "DISCORD_", "ARXIV_", "STORE_", "LOG_", "METRICS_"))
    }
    env.update(PYTHONPATH=str(ROOT), ARXIV_MIN_INTERVAL="0", ARXIV_RETRIES="1", **settings)
    return env


async def _cli(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await spawn(
        sys.executable,
        "-m",
        "adapters.cli",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_at_debug_writes_no_secret(tmp_path: Path) -> None:
    """``LOG_LEVEL=DEBUG arxiv-digest run`` answering /today with LLM summaries, on a Redis store
    with a password, writes neither the bot token, nor the API key, nor any URL password, while the
    libraries' DEBUG lines (Bot API calls, HTTP requests) are there, one line each."""
    latest = listing.latest_feed_listing(datetime.now(UTC))
    async with (
        FakeTelegram() as tg,
        FakeArxiv() as arxiv,
        FakeOpenAI() as llm,
        RedisServer(tmp_path / "redis", password=STORE_PASSWORD) as store,
    ):
        arxiv.set_feed(make_rss(latest, make_papers(6, ["cs.DC"], seed=5), ["cs.DC"]))
        env = _environment(
            tmp_path,
            LOG_LEVEL="DEBUG",
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.api_url,
            OPENAI_API_KEY=API_KEY,
            OPENAI_BASE_URL=llm.base_url.replace("http://", f"http://reader:{URL_PASSWORD}@"),
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_API_URL=arxiv.api_url,
            STORE_URL=store.url,
        )
        process = await _cli(env, tmp_path, "run")
        try:
            await tg.wait_for(lambda: tg.polls > 0, 30)
            tg.add_update(message_update("/subscribe cs.DC"))
            tg.add_update(message_update("/today"))
            await tg.wait_for(lambda: any(DIGEST in m.text for m in tg.sent), 60)
            assert llm.calls > 0
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, raw = await asyncio.wait_for(process.communicate(), 60)
    err = raw.decode()
    lines = _lines(err)
    assert process.returncode == 0, err[-2000:]
    assert all(line.startswith("timestamp=") for line in lines), [
        line for line in lines if not line.startswith("timestamp=")
    ][:3]
    assert any("logger=telegram" in line for line in lines)
    assert any("logger=httpx" in line and "HTTP Request" in line for line in lines)
    for secret in (tg.token, tg.token.split(":")[1], API_KEY, URL_PASSWORD, STORE_PASSWORD):
        assert secret not in err


@pytest.mark.parametrize("command", [["run"], ["push", "--now"], ["check"]])
async def test_rejected_telegram_token_exits_2(tmp_path: Path, command: list[str]) -> None:
    """A token Telegram refuses exits 2 with one line naming TELEGRAM_BOT_TOKEN; the token is never
    written, at DEBUG either."""
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        env = _environment(
            tmp_path,
            LOG_LEVEL="DEBUG",
            TELEGRAM_BOT_TOKEN=REJECTED_TOKEN,
            TELEGRAM_API_URL=tg.api_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_API_URL=arxiv.api_url,
            STORE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        )
        process = await _cli(env, tmp_path, *command)
        _, raw = await asyncio.wait_for(process.communicate(), 60)
    err = raw.decode()
    assert process.returncode == 2, err[-2000:]
    assert REJECTED_TOKEN not in err and REJECTED_TOKEN.split(":")[1] not in err
    [named] = [line for line in _lines(err) if "TELEGRAM_BOT_TOKEN" in line]
    assert named.startswith("arxiv-digest: Telegram rejected TELEGRAM_BOT_TOKEN")


@pytest.mark.parametrize("command", [["run"], ["push", "--now"], ["check"]])
async def test_rejected_discord_token_exits_2(tmp_path: Path, command: list[str]) -> None:
    """A token Discord refuses exits 2 with one line naming DISCORD_BOT_TOKEN, the token unwritten."""
    rejected = "MTA.revoked-discord-token.never-in-the-logs"
    async with FakeDiscord() as fake, FakeArxiv() as arxiv:
        env = _environment(
            tmp_path,
            LOG_LEVEL="DEBUG",
            DISCORD_BOT_TOKEN=rejected,
            DISCORD_API_URL=fake.api_url,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_API_URL=arxiv.api_url,
            STORE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        )
        process = await _cli(env, tmp_path, *command)
        _, raw = await asyncio.wait_for(process.communicate(), 60)
    err = raw.decode()
    assert process.returncode == 2, err[-2000:]
    assert rejected not in err
    [named] = [line for line in _lines(err) if "DISCORD_BOT_TOKEN" in line]
    assert named.startswith("arxiv-digest: Discord rejected DISCORD_BOT_TOKEN")
