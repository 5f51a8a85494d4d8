"""The Discord bot end to end: real discord.py against the fake Discord (REST + gateway), the fake
arXiv, a real store and the core's commands, wired by ``run_discord`` as ``arxiv-digest run`` does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from structlog.testing import capture_logs

from adapters.app import App, build_app
from adapters.discord import run_discord
from adapters.discord.endpoints import current_endpoints, restore_endpoints
from bot import listing
from bot.i18n import t
from bot.models import ChatKey
from tests.conftest import delete_prefix, settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import (
    ALL_PERMISSIONS,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    TOKEN,
    FakeDiscord,
    InteractionLog,
    validate_message,
)
from tests.fakes.feeds import make_papers, make_rss, search_api
from tests.own_redis import OwnRedis

LISTING = date(2026, 9, 24)
NOW = listing.feed_ready_at(LISTING) + timedelta(hours=2)
CATEGORIES = ["cs.DC", "cs.LG"]
SLASH = {
    "subscribe",
    "unsubscribe",
    "list",
    "today",
    "time",
    "lang",
    "title",
    "status",
    "help",
    "interests",
    "like",
    "dislike",
    "filter",
    "types",
    "top",
    "more",
}


@dataclass
class Running:
    """A running Discord bot and the fakes around it."""

    discord: FakeDiscord
    arxiv: FakeArxiv
    app: App
    task: asyncio.Task[None]

    @property
    def store(self) -> Any:
        return self.app.store

    def chat(self, channel_id: str | None = None) -> ChatKey:
        return ChatKey("discord", channel_id or self.discord.default_channel)

    async def slash(
        self,
        name: str,
        *,
        channel_id: str | None = None,
        permissions: str | None = None,
        locale: str = "en-US",
        raw_options: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> InteractionLog:
        """Use a slash command and wait for the bot's first response."""
        fake = self.discord
        opts = raw_options if raw_options is not None else [fake.option(k, v) for k, v in options.items()]
        payload = fake.interaction(
            name,
            opts,
            channel_id=channel_id,
            locale=locale,
            permissions=permissions or ALL_PERMISSIONS,
        )
        return await fake.interact(payload)

    async def complete(self, name: str, focused: str, value: str, **others: str) -> list[dict[str, Any]]:
        """Type ``value`` into option ``focused`` and return the autocomplete choices offered."""
        fake = self.discord
        options = [fake.option(k, v) for k, v in others.items()] + [fake.option(focused, value, focused=True)]
        entry = await fake.interact(fake.interaction(name, options, kind=4))
        assert entry.callback_type == 8
        return list(entry.callbacks[0]["data"]["choices"])


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait until an async condition holds (polled)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running_discord(
    tmp_path: Path, store_url: str | None = None, prefix: str = "arxiv-digest:"
) -> AsyncIterator[Running]:
    previous = current_endpoints()
    async with FakeDiscord(heartbeat_interval_ms=200) as fake, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(LISTING, make_papers(30, CATEGORIES), CATEGORIES))
        settings = settings_for(
            arxiv,
            discord_bot_token=TOKEN,
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            store_url=store_url or f"sqlite:///{tmp_path / 'store.sqlite3'}",
            store_prefix=prefix,
        )
        app = await build_app(settings, clock=lambda: NOW)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_discord(settings, app.commands, app.store, stop, guild_ready_timeout=0.05)
        )
        try:
            await fake.wait_for(lambda: fake.ready.is_set() or task.done(), 10)
            assert not task.done(), task
            yield Running(fake, arxiv, app, task)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await app.aclose()
            restore_endpoints(previous)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_discord(tmp_path) as running:
        yield running


async def snapshot(bot: Running, chat: ChatKey | None = None) -> tuple[Any, Any]:
    key = chat or bot.chat()
    settings = await bot.store.get_chat(key)
    return (settings.to_dict() if settings else None), await bot.store.get_due(key)


# -- start-up ------------------------------------------------------------------------------------------


async def test_login_gateway_and_command_sync(bot: Running) -> None:
    """Start-up logs in over REST, identifies with only the guilds intent over zlib-stream, gets
    heartbeats acknowledged, and syncs the sixteen slash commands with Chinese descriptions."""
    fake = bot.discord
    assert ("GET", "/api/v10/users/@me") in fake.requests
    assert ("GET", "/api/v10/oauth2/applications/@me") in fake.requests
    assert fake.gateway_queries[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert [i["intents"] for i in fake.identifies] == [1]
    await fake.wait_for(lambda: fake.heartbeats >= 2)
    synced = {c["name"]: c for c in fake.synced[None]}
    assert set(synced) == SLASH
    assert synced["subscribe"]["description_localizations"]["zh-CN"].startswith("订阅")
    assert synced["subscribe"]["description_localizations"]["zh-TW"].startswith("訂閱")
    option = synced["subscribe"]["options"][0]
    assert option["name"] == "category" and option["autocomplete"] and option["required"]
    assert synced["today"]["options"][0]["required"] is False
    assert [o["name"] for o in synced["time"]["options"]] == ["time", "timezone"]
    options = {
        name: synced[name]["options"]
        for name in ("interests", "like", "dislike", "filter", "types", "top", "more")
    }
    assert {name: [o["name"] for o in opts] for name, opts in options.items()} == {
        "interests": ["text"],
        "like": ["paper"],
        "dislike": ["paper"],
        "filter": ["terms"],
        "types": ["types"],
        "top": ["number"],
        "more": ["date"],
    }
    for name, opts in options.items():
        assert opts[0]["required"] is False, name
        assert synced[name]["description_localizations"]["zh-CN"], name
        assert opts[0]["description_localizations"]["zh-TW"], name
    assert synced["more"]["description_localizations"]["zh-CN"] == t("zh", "cmd_more")
    assert not bot.task.done()


# -- commands ------------------------------------------------------------------------------------------


async def test_subscribe_in_a_guild_channel(bot: Running) -> None:
    """/subscribe answers publicly, stores the channel's categories and remembers its guild."""
    entry = await bot.slash("subscribe", category="cs.dc CS.LG")
    assert entry.callback_type == 4 and not entry.ephemeral
    assert entry.texts == [
        "Subscribed to cs.DC (Distributed, Parallel, and Cluster Computing), cs.LG (Machine Learning)."
        " This chat now follows: cs.DC, cs.LG."
    ]
    assert entry.callbacks[0]["data"]["allowed_mentions"] == {"parse": []}
    settings = await bot.store.get_chat(bot.chat())
    assert settings.categories == ("cs.DC", "cs.LG")
    assert settings.extra["guild_id"] == bot.discord.default_guild
    assert await bot.store.get_due(bot.chat()) is not None


async def test_list_help_status_are_ephemeral_in_guilds(bot: Running) -> None:
    """/list, /help and /status concern only the caller: ephemeral in a guild, plain in a DM."""
    await bot.slash("subscribe", category="cs.DC")
    listed = await bot.slash("list")
    assert listed.ephemeral and "cs.DC" in listed.texts[0]
    helped = await bot.slash("help")
    assert helped.ephemeral and "/subscribe" in helped.texts[0]
    status = await bot.slash("status")
    assert status.ephemeral and "Next push" in status.texts[0]
    dm = bot.discord.add_dm()
    assert not (await bot.slash("help", channel_id=dm)).ephemeral


@pytest.mark.parametrize(
    ("permissions", "allowed"),
    [
        (MEMBER_PERMISSIONS, False),
        ("0", False),
        (str(MANAGE_CHANNELS), True),
        (str(MANAGE_GUILD), True),
        (str(int(MEMBER_PERMISSIONS) | MANAGE_CHANNELS), True),
    ],
)
async def test_changing_a_channel_needs_manage_permission(
    bot: Running, permissions: str, allowed: bool
) -> None:
    """Without Manage Channels or Manage Server a change is refused ephemerally and nothing is stored."""
    before = await snapshot(bot)
    entry = await bot.slash("subscribe", category="cs.DC", permissions=permissions)
    if allowed:
        assert not entry.ephemeral and entry.texts[0].startswith("Subscribed")
        assert (await bot.store.get_chat(bot.chat())).categories == ("cs.DC",)
    else:
        assert entry.ephemeral and "Manage Channels" in entry.texts[0]
        assert await snapshot(bot) == before
        assert not (await bot.slash("list", permissions=permissions)).texts[0].startswith("Only")


async def test_dm_is_a_personal_subscription(bot: Running) -> None:
    """In a DM anyone may subscribe; the DM channel is the chat and no guild is recorded."""
    dm = bot.discord.add_dm()
    entry = await bot.slash("subscribe", category="math.PR", channel_id=dm, permissions=None)
    assert entry.texts[0].startswith("Subscribed") and not entry.ephemeral
    settings = await bot.store.get_chat(bot.chat(dm))
    assert settings.categories == ("math.PR",) and "guild_id" not in settings.extra
    assert await bot.store.get_chat(bot.chat()) is None


async def test_threads_have_their_own_subscriptions(bot: Running) -> None:
    """A thread is a chat of its own, separate from its parent channel."""
    thread = bot.discord.add_thread(bot.discord.default_channel)
    await bot.slash("subscribe", category="cs.LG", channel_id=thread)
    await bot.slash("subscribe", category="cs.DC")
    assert (await bot.store.get_chat(bot.chat(thread))).categories == ("cs.LG",)
    assert (await bot.store.get_chat(bot.chat())).categories == ("cs.DC",)


async def test_time_lang_and_chinese_locale(bot: Running) -> None:
    """/time with a zone and /lang update the channel; a Chinese client gets Chinese replies."""
    entry = await bot.slash("time", time="8:30", timezone="asia/shanghai")
    assert "08:30" in entry.texts[0] and "Asia/Shanghai" in entry.texts[0]
    assert (await bot.slash("lang", code="zh")).texts[0] == "回复和摘要将使用中文。"
    settings = await bot.store.get_chat(bot.chat())
    assert (settings.push_time, settings.timezone, settings.language) == ("08:30", "Asia/Shanghai", "zh")
    other = bot.discord.add_dm()
    assert (await bot.slash("help", channel_id=other, locale="zh-CN")).texts[0].startswith("命令")


async def test_today_defers_then_sends_digest_followups(bot: Running) -> None:
    """/today defers at once, then sends the digest as followups within Discord's limits, public,
    with no mentions, and records every paper in the channel's ledger (a channel showing every
    paper in full, so the digest takes several messages)."""
    await bot.slash("subscribe", category="cs.DC cs.LG")
    settings = await bot.store.get_chat(bot.chat())
    assert settings is not None
    await bot.store.put_chat(replace(settings, top="all"))
    entry = await bot.slash("today")
    assert entry.callback_type == 5 and not entry.ephemeral
    await bot.discord.wait_for(lambda: len(entry.followups) >= 1)
    digest = await bot.app.engine.build(CATEGORIES, None, "en")
    expected = len(digest.all_papers)
    assert expected > 10

    def shown() -> list[str]:
        return [e["url"] for f in entry.followups for e in f.get("embeds", [])]

    await bot.discord.wait_for(lambda: len(shown()) == expected, 10)
    assert len(entry.followups) >= 3
    for body in entry.followups:
        assert validate_message(body) is None
        assert body["allowed_mentions"] == {"parse": []}
        assert not (body.get("flags") or 0) & 64
        assert "arXiv Daily Digest - " in body["content"]
    assert shown() == [p.abs_url for p in digest.all_papers]
    ids = digest.paper_ids()
    await eventually(lambda: _received_all(bot, ids))


async def _received_all(bot: Running, ids: list[str]) -> bool:
    received: set[str] = await bot.store.filter_received(bot.chat(), ids)
    return received == set(ids)


async def test_today_error_is_ephemeral(bot: Running) -> None:
    """/today with an unknown category removes the public placeholder and answers ephemerally."""
    entry = await bot.slash("today", category="cs.DCC")
    await bot.discord.wait_for(lambda: bool(entry.followups))
    assert entry.deleted_original
    assert entry.followups[0]["flags"] & 64
    assert "did you mean cs.DC" in entry.followups[0]["content"]


# -- autocomplete ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("cs.d", "cs.DC"),
        ("CS.DC", "cs.DC"),
        ("distributed", "cs.DC"),
        ("Machine Learning", "cs.LG"),
        ("hep-t", "hep-th"),
        ("cs.DC cs.L", "cs.DC cs.LG"),
    ],
)
async def test_subscribe_autocomplete_matches_code_or_name(bot: Running, typed: str, expected: str) -> None:
    """Category autocomplete offers at most 25 choices matching the code or the name."""
    choices = await bot.complete("subscribe", "category", typed)
    assert 0 < len(choices) <= 25
    assert expected in [c["value"] for c in choices]
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)


@pytest.mark.parametrize("typed", ["", "x" * 10_000, "\x00\ufffd💥", "计算机", "@everyone"])
async def test_subscribe_autocomplete_odd_input(bot: Running, typed: str) -> None:
    """Empty, huge or garbled text still gets a valid answer of at most 25 choices."""
    choices = await bot.complete("subscribe", "category", typed)
    assert len(choices) <= 25
    if typed == "":
        assert len(choices) == 25


async def test_other_autocompletes(bot: Running) -> None:
    """/unsubscribe offers the channel's categories and all; /time offers zones; /lang offers codes."""
    await bot.slash("subscribe", category="cs.DC cs.LG")
    assert [c["value"] for c in await bot.complete("unsubscribe", "category", "")] == [
        "cs.DC",
        "cs.LG",
        "all",
    ]
    assert [c["value"] for c in await bot.complete("unsubscribe", "category", "lg")] == ["cs.LG"]
    zones = [c["value"] for c in await bot.complete("time", "timezone", "shang", time="08:00")]
    assert zones == ["Asia/Shanghai"]
    assert "Europe/Berlin" in [c["value"] for c in await bot.complete("time", "timezone", "berl")]
    assert "zh" in [c["value"] for c in await bot.complete("lang", "code", "中")]


# -- removal -----------------------------------------------------------------------------------------------


async def test_guild_removal_unsubscribes_its_channels(bot: Running) -> None:
    """GUILD_DELETE (the bot removed) unsubscribes that guild's channels and threads, not others."""
    fake = bot.discord
    second = fake.guilds[fake.default_guild]["channels"][1]["id"]
    thread = fake.add_thread(fake.default_channel)
    other_guild = fake.add_guild()
    await fake.dispatch("GUILD_CREATE", fake.guilds[other_guild])
    elsewhere = fake.guilds[other_guild]["channels"][0]["id"]
    dm = fake.add_dm()
    for channel in (fake.default_channel, second, thread, elsewhere, dm):
        assert (
            (await bot.slash("subscribe", category="cs.DC", channel_id=channel))
            .texts[0]
            .startswith("Subscribed")
        )
    await fake.guild_delete(fake.default_guild)

    async def removed() -> bool:
        return all(
            [await bot.store.get_chat(bot.chat(c)) is None for c in (fake.default_channel, second, thread)]
        )

    await eventually(removed)
    assert await bot.store.get_chat(bot.chat(elsewhere)) is not None
    assert await bot.store.get_chat(bot.chat(dm)) is not None


async def test_deleted_channel_is_unsubscribed(bot: Running) -> None:
    """CHANNEL_DELETE and THREAD_DELETE unsubscribe the deleted channel or thread."""
    fake = bot.discord
    thread = fake.add_thread(fake.default_channel)
    await bot.slash("subscribe", category="cs.DC")
    await bot.slash("subscribe", category="cs.DC", channel_id=thread)
    await fake.dispatch("CHANNEL_DELETE", fake.channels[fake.default_channel])
    await fake.dispatch(
        "THREAD_DELETE",
        {"id": thread, "guild_id": fake.default_guild, "parent_id": fake.default_channel, "type": 11},
    )

    async def gone() -> bool:
        return (
            await bot.store.get_chat(bot.chat()) is None
            and await bot.store.get_chat(bot.chat(thread)) is None
        )

    await eventually(gone)


async def test_guild_removal_on_redis(tmp_path: Path, redis_url: str) -> None:
    """With Redis as the store, subscriptions and guild removal work the same."""
    prefix = f"test:{uuid4().hex}:"
    try:
        async with running_discord(tmp_path, store_url=redis_url, prefix=prefix) as bot:
            await bot.slash("subscribe", category="cs.DC")
            assert (await bot.store.get_chat(bot.chat())).extra["guild_id"] == bot.discord.default_guild
            await bot.discord.guild_delete(bot.discord.default_guild)

            async def removed() -> bool:
                return await bot.store.get_chat(bot.chat()) is None

            await eventually(removed)
    finally:
        await delete_prefix(redis_url, prefix)


# -- bad input ---------------------------------------------------------------------------------------------

HUGE = "cs.DC " * 2000
GARBLED = "\x00\x1b[31m\ufffd\u202e💥"
BAD_INPUT = [
    ("subscribe", []),
    ("subscribe", [("category", "")]),
    ("subscribe", [("category", GARBLED)]),
    ("subscribe", [("category", "x" * 10_000)]),
    ("subscribe", [("category", "计算机科学")]),
    ("subscribe", [("category", "علوم الحاسوب")]),
    ("subscribe", [("category", "@everyone <@&123456789012345678>")]),
    ("subscribe", [("category", "cs.DCC")]),
    ("subscribe", [("categry", "cs.DC")]),
    ("unsubscribe", []),
    ("unsubscribe", [("category", "math.PR")]),
    ("unsubscribe", [("category", "x" * 10_000)]),
    ("time", []),
    ("time", [("time", "25:99")]),
    ("time", [("time", "08:00"), ("timezone", "Mars/Olympus_Mons")]),
    ("time", [("time", "８点")]),
    ("time", [("time", "8" * 10_000)]),
    ("lang", []),
    ("lang", [("code", "klingon-xx-yy")]),
    ("lang", [("code", GARBLED)]),
    ("today", [("category", "x" * 10_000)]),
    ("frobnicate", []),
    ("start", []),
    ("interests", [("text", "x" * 10_000)]),
    ("filter", [("terms", '"unbalanced quote')]),
    ("filter", [("terms", "x" * 10_000)]),
    ("filter", [("terms", " ".join(f"t{i}" for i in range(500)))]),
    ("types", [("types", "bogus")]),
    ("top", [("number", "0")]),
    ("top", [("number", "-3")]),
    ("top", [("number", "10000")]),
    ("like", [("paper", GARBLED)]),
    ("dislike", [("paper", "x" * 10_000)]),
    ("like", [("paper", "@everyone")]),
    ("more", [("date", "2026-02-30")]),
    ("more", [("date", "x" * 10_000)]),
]


@pytest.mark.parametrize(("name", "options"), BAD_INPUT)
async def test_bad_input_gets_an_answer_and_changes_nothing(
    bot: Running, name: str, options: list[tuple[str, str]]
) -> None:
    """Missing, garbled, huge, non-Latin or unexpected arguments get a reply within limits, the bot
    keeps running, and a rejected command leaves the store as it was."""
    before = await snapshot(bot)
    entry = await bot.slash(name, raw_options=[bot.discord.option(k, v) for k, v in options])
    if entry.callback_type == 5:
        await bot.discord.wait_for(lambda: bool(entry.followups))
    texts = entry.texts
    assert texts and all(len(t) <= 2000 for t in texts)
    assert "@everyone" not in " ".join(texts).replace("@\u200beveryone", "")
    assert entry.ephemeral or (entry.followups and entry.followups[0]["flags"] & 64)
    assert await snapshot(bot) == before
    assert not bot.task.done()
    follow_up = await bot.slash("list")
    assert follow_up.texts


@pytest.mark.parametrize(("name", "value"), [("subscribe", "cs.DC"), ("unsubscribe", "all"), ("lang", "zh")])
async def test_non_admin_corpus(bot: Running, name: str, value: str) -> None:
    """A member without the permission is refused for every settings change, and nothing changes."""
    await bot.slash("subscribe", category="cs.LG")
    before = await snapshot(bot)
    key = {"subscribe": "category", "unsubscribe": "category", "lang": "code"}[name]
    options: dict[str, Any] = {key: value}
    entry = await bot.slash(name, permissions=MEMBER_PERMISSIONS, **options)
    assert entry.ephemeral and "Manage Channels" in entry.texts[0]
    assert await snapshot(bot) == before
    time_entry = await bot.slash("time", time="09:00", permissions=MEMBER_PERMISSIONS)
    assert time_entry.ephemeral and await snapshot(bot) == before


async def test_a_failing_event_handler_is_one_line_and_the_bot_goes_on(tmp_path: Path) -> None:
    """An event handler that fails (the store is down when a channel is deleted) is one log line
    with no traceback; the gateway stays connected and later commands are answered."""
    server = OwnRedis(tmp_path)
    await server.start()
    async with running_discord(tmp_path, store_url=server.url, prefix="handler-fault:") as bot:
        fake = bot.discord
        await bot.slash("subscribe", category="cs.DC")
        second = fake.guilds[fake.default_guild]["channels"][1]
        await server.kill()
        with capture_logs() as logs:
            await fake.dispatch("CHANNEL_DELETE", second)
            await fake.wait_for(lambda: any(e["event"] == "discord_handler_failed" for e in logs), 10)
        await server.start()
        entry = await bot.slash("help")
        assert "/subscribe" in entry.texts[0]
        assert not bot.task.done()
    failed = [e for e in logs if e["event"] == "discord_handler_failed"]
    assert len(failed) == 1 and failed[0]["handler"] == "on_guild_channel_delete"
    assert not any("exc_info" in e for e in logs)


async def test_stopped_right_after_ready_dispatches_nothing_later(tmp_path: Path) -> None:
    """A bot stopped while discord.py still delays its ``ready`` (waiting for the guilds) leaves no
    task behind that would dispatch an event on the closed client."""
    async with FakeDiscord(heartbeat_interval_ms=200) as fake, FakeArxiv() as arxiv:
        settings = settings_for(
            arxiv,
            discord_bot_token=TOKEN,
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
            store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        )
        previous = current_endpoints()
        app = await build_app(settings, clock=lambda: NOW)
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_discord(settings, app.commands, app.store, stop, guild_ready_timeout=3600)
        )
        try:
            await fake.wait_for(lambda: fake.ready.is_set() or task.done(), 10)

            def delayed() -> list[asyncio.Task[Any]]:
                return [t for t in asyncio.all_tasks() if "_delay_ready" in t.get_coro().__qualname__]  # type: ignore[union-attr]

            await fake.wait_for(lambda: bool(delayed()), 10)
            stop.set()
            await asyncio.wait_for(task, 10)
            assert all(t.done() or t.cancelling() for t in delayed())
        finally:
            stop.set()
            await app.aclose()
            restore_endpoints(previous)


async def test_today_from_the_export_api_says_so(bot: Running) -> None:
    """A day only arXiv's export API could serve (the feed answers an HTML page) ends /today's last
    message with the note that it may miss papers on moderation hold, in the chat's language."""
    start = listing.submission_window(LISTING)[0]
    papers = [{**p, "published": start + timedelta(hours=1)} for p in make_papers(4, ["cs.DC"], seed=3)]
    bot.arxiv.set_feed(b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>")
    bot.arxiv.set_api_handler(search_api(papers))
    await bot.slash("subscribe", category="cs.DC")
    for language, note in [
        (
            "en",
            "*Papers of cs.DC come from arXiv's export API and may miss papers that were on moderation hold.*",
        ),
        ("zh", "*cs.DC 的论文来自 arXiv 导出 API，可能缺少曾被审核暂缓的论文。*"),
    ]:
        await bot.slash("lang", code=language)
        entry = await bot.slash("today")
        await bot.discord.wait_for(lambda: any(note in f["content"] for f in entry.followups), 10)  # noqa: B023
        assert entry.followups[-1]["content"].endswith("\n" + note)
        assert all(validate_message(body) is None for body in entry.followups)
