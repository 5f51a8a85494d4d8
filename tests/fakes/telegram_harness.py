"""The whole bot on local fakes: the fake Bot API, the fake arXiv, a real SQLite store and the
core's ``Commands``, driven by the real python-telegram-bot through ``TelegramService``.

    async with running_bot(tmp_path) as bot:
        await bot.send(message_update("/subscribe cs.DC"))
        assert bot.tg.sent[-1].visible.startswith("Subscribed")
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from adapters.app import App, build_app
from adapters.telegram.app import AdminCache, Handlers, TelegramService
from adapters.telegram.delivery import RetryPolicy, TelegramPlatform
from adapters.telegram.limits import FloodControl, Limits
from bot import listing
from bot.commands import Caller, Commands, Reply
from bot.models import ChatKey, ChatSettings
from bot.settings import Settings
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_papers, make_rss
from tests.fakes.telegram import FakeTelegram

LISTING = date(2026, 9, 24)
NOW = listing.feed_ready_at(LISTING) + timedelta(hours=2)
CATEGORIES = ("cs.DC", "cs.LG")
UNLIMITED = Limits(overall=(100_000, 1.0), group=(100_000, 1.0), chat=(100_000, 1.0), margin=0.0)
QUICK_RETRY = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02, wait_jitter=0.0, timeout=5.0)


@dataclass
class RunningBot:
    """A started bot and the fakes around it."""

    tg: FakeTelegram
    arxiv: FakeArxiv
    app: App
    service: TelegramService
    admins: AdminCache
    sleeps: list[float] = field(default_factory=list)

    @property
    def store(self) -> Any:
        return self.app.store

    @property
    def handlers(self) -> Handlers:
        """The bot's update handlers (its commands, store and platform)."""
        return self.service.handlers

    @property
    def platform(self) -> TelegramPlatform:
        """The platform the bot replies through (the push uses one like it)."""
        return self.handlers.platform

    async def send(self, update: dict[str, Any], within: float = 10.0) -> int:
        """Queue an update and return once the bot has fully handled it."""
        update_id = self.tg.add_update(update)
        await self.settle(within)
        return update_id

    async def settle(self, within: float = 10.0) -> None:
        """Wait until every queued update was fetched and nothing is being handled."""
        async with asyncio.timeout(within):
            await self.tg.wait_for(lambda: self.tg.pending_updates() == 0, within)
            calm = 0
            while calm < 3:
                await asyncio.sleep(0.005)
                calm = calm + 1 if self.service.idle() else 0

    async def chats(self) -> dict[ChatKey, ChatSettings]:
        """Every stored chat, by key (to compare the store before and after)."""
        return {settings.chat: settings async for settings in self.store.iter_chats()}


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    papers: int = 12,
    limits: Limits = UNLIMITED,
    policy: RetryPolicy = QUICK_RETRY,
    admin_ttl: float = 60.0,
    username: str = "arxiv_digest_bot",
    settings_overrides: dict[str, Any] | None = None,
    fake_options: dict[str, Any] | None = None,
    typing_every: float = 4.0,
    answer_within: float = 3.0,
) -> AsyncIterator[RunningBot]:
    """Start the fakes, the core on a fresh SQLite store, and the Telegram bot polling the fake.
    ``settings_overrides`` replace any of the settings, the store included."""
    async with FakeTelegram(username=username, **(fake_options or {})) as tg, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(LISTING, make_papers(papers, CATEGORIES, seed=7), CATEGORIES))
        values: dict[str, Any] = {
            "telegram_bot_token": tg.token,
            "telegram_api_url": tg.api_url,
            "arxiv_rss_url": arxiv.rss_url,
            "arxiv_api_url": arxiv.api_url,
            "arxiv_min_interval": 0.0,
            "arxiv_retries": 1,
            "store_url": f"sqlite:///{tmp_path / f'store-{uuid4().hex}.sqlite3'}",
            "store_prefix": f"test:{uuid4().hex}:",
            **(settings_overrides or {}),
        }
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        app = await build_app(settings, clock=lambda: NOW)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            await asyncio.sleep(0)

        admins = AdminCache(ttl=admin_ttl)
        service = TelegramService(
            settings,
            app.commands,
            app.store,
            flood=FloodControl(limits),
            policy=policy,
            admins=admins,
            sleep=sleep,
            poll_timeout=2,
            typing_every=typing_every,
            answer_within=answer_within,
        )
        try:
            await service.start()
            if service.mode == "polling":
                await tg.wait_for(lambda: tg.polls > 0)
            yield RunningBot(tg, arxiv, app, service, admins, sleeps)
        finally:
            await service.stop()
            await app.aclose()


Handle = Callable[[Caller, str, "str | None"], Awaitable["Reply | None"]]


def record_handled(
    commands: Commands, hold: Callable[[str], asyncio.Event | None] | None = None
) -> list[tuple[Caller, str]]:
    """Record every (caller, text) the bot passes to ``commands.handle``, in order; the real handling
    still runs. ``hold(text)`` may return an event the command then waits for before it runs."""
    seen: list[tuple[Caller, str]] = []
    handle: Handle = commands.handle

    async def recording(caller: Caller, text: str, bot_username: str | None = None) -> Reply | None:
        seen.append((caller, text))
        gate = hold(text) if hold is not None else None
        if gate is not None:
            await gate.wait()
        return await handle(caller, text, bot_username)

    setattr(commands, "handle", recording)  # noqa: B010
    return seen
