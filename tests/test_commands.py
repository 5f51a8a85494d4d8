"""Chat commands on both stores: replies, settings, the ledger, and nothing changed on rejection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.commands import Caller, Commands, DigestReply, TextReply
from bot.engine import DigestEngine
from bot.models import ChatKey
from bot.schedule import scheduler_hook
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_papers, make_rss

NOW = datetime(2026, 9, 24, 16, 0, tzinfo=UTC)
CHAT = ChatKey("test", "42")
ME = Caller(CHAT)


@pytest.fixture
async def commands(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Commands]:
    settings = settings_for(fake_arxiv)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: NOW)
    fake_arxiv.set_feed(make_rss(date(2026, 9, 24), make_papers(30, ["cs.DC", "cs.LG"]), ["cs.DC", "cs.LG"]))
    try:
        yield Commands(settings, store, engine, on_change=scheduler_hook(store, lambda: NOW))
    finally:
        await source.aclose()


async def snapshot(store: Store, chat: ChatKey = CHAT) -> tuple[Any, Any]:
    return await store.get_chat(chat), await store.get_due(chat)


async def text(commands: Commands, line: str, caller: Caller = ME) -> TextReply:
    reply = await commands.handle(caller, line)
    assert isinstance(reply, TextReply), reply
    return reply


async def test_subscribe_list_unsubscribe(commands: Commands, store: Store) -> None:
    """Subscribing normalises codes, lists them, schedules the chat; unsubscribing all clears it."""
    reply = await text(commands, "/subscribe cs.dc CS.LG")
    assert reply.ok and "cs.DC, cs.LG" in reply.text
    settings = await store.get_chat(CHAT)
    assert settings is not None and settings.categories == ("cs.DC", "cs.LG")
    assert await store.get_due(CHAT) is not None
    assert "cs.DC, cs.LG" in (await text(commands, "/list")).text
    assert (await text(commands, "/unsubscribe cs.LG")).ok
    assert (await store.get_chat(CHAT)).categories == ("cs.DC",)  # type: ignore[union-attr]
    assert (await text(commands, "/unsubscribe all")).ok
    assert (await store.get_chat(CHAT)).categories == ()  # type: ignore[union-attr]
    assert await store.get_due(CHAT) is None


async def test_did_you_mean(commands: Commands, store: Store) -> None:
    """A near miss gets a suggestion and changes nothing."""
    reply = await text(commands, "/subscribe cs.DCC")
    assert not reply.ok and "did you mean cs.DC" in reply.text
    assert await snapshot(store) == (None, None)


async def test_time_and_lang(commands: Commands, store: Store) -> None:
    """/time sets the push time and zone and shows the next push; /lang switches the reply language."""
    await text(commands, "/subscribe cs.DC")
    reply = await text(commands, "/time 8:30 asia/shanghai")
    assert (
        reply.ok
        and "08:30" in reply.text
        and "Asia/Shanghai" in reply.text
        and "2026-09-25 08:30 CST" in reply.text
    )
    assert (await text(commands, "/lang zh")).text == "摘要语言已设为 中文。"
    settings = await store.get_chat(CHAT)
    assert settings is not None and (settings.push_time, settings.timezone, settings.language) == (
        "08:30",
        "Asia/Shanghai",
        "zh",
    )
    assert "已订阅" in (await text(commands, "/subscribe cs.LG")).text


async def test_today_shows_and_marks_received(commands: Commands, store: Store) -> None:
    """/today returns the digest; papers count as received once the adapter says they arrived."""
    await text(commands, "/subscribe cs.DC")
    reply = await commands.handle(ME, "/today")
    assert isinstance(reply, DigestReply) and reply.digest.papers
    ids = reply.digest.paper_ids()
    assert await store.filter_received(CHAT, ids) == set()
    await commands.delivered(CHAT, ids)
    assert await store.filter_received(CHAT, ids) == set(ids)


async def test_today_with_a_category_needs_no_subscription(commands: Commands, store: Store) -> None:
    """/today CAT works in a chat with no subscription and subscribes nothing."""
    reply = await commands.handle(ME, "/today cs.LG")
    assert isinstance(reply, DigestReply) and reply.digest.categories == ("cs.LG",)
    assert await snapshot(store) == (None, None)


async def test_status(commands: Commands) -> None:
    """/status shows the last batch, its count for this chat's categories, and the next push."""
    await text(commands, "/subscribe cs.DC")
    await commands.handle(ME, "/today")
    reply = await text(commands, "/status")
    assert "2026-09-24" in reply.text and "cs.DC:" in reply.text and "up to date" in reply.text
    assert "Next push: 2026-09-25 08:00 UTC" in reply.text


async def test_non_admins_change_nothing(commands: Commands, store: Store) -> None:
    """In a group, non-admins are refused politely for every command that changes settings."""
    group = Caller(ChatKey("test", "-100"), can_manage=False)
    for line in ("/subscribe cs.DC", "/unsubscribe all", "/time 09:00", "/lang zh"):
        reply = await text(commands, line, group)
        assert not reply.ok and "admins" in reply.text
    assert await snapshot(store, group.chat) == (None, None)
    assert isinstance(await commands.handle(group, "/today cs.DC"), DigestReply)


@pytest.mark.parametrize(
    "line",
    [
        "/subscribe",
        "/subscribe cs.DCC",
        "/subscribe 计算机",
        "/subscribe " + "x" * 10_000,
        "/subscribe " + " ".join(["cs.DC"] * 500 + ["nope"]),
        "/unsubscribe",
        "/unsubscribe cs.AI",
        "/unsubscribe ???",
        "/time",
        "/time 25:00",
        "/time 08:00 Mars/Base",
        "/time 08:00 UTC extra",
        "/time " + "9" * 10_000,
        "/lang",
        "/lang english",
        "/lang zh en",
        "/lang " + "z" * 10_000,
        "/today nonsense",
        "/frobnicate",
    ],
)
async def test_rejected_commands_change_nothing(commands: Commands, store: Store, line: str) -> None:
    """Bad input gets a short reply saying what is accepted, and the store is unchanged."""
    await text(commands, "/subscribe cs.DC")
    before = await snapshot(store)
    reply = await text(commands, line)
    assert not reply.ok
    assert len(reply.text) < 400
    assert await snapshot(store) == before


async def test_plain_text_is_ignored(commands: Commands) -> None:
    """Text that is not a command gets no reply."""
    assert await commands.handle(ME, "hello there") is None


async def test_removed_and_migrated_chats(commands: Commands, store: Store) -> None:
    """A removed chat is unsubscribed; a migrated one keeps its settings and ledger under the new id."""
    await text(commands, "/subscribe cs.DC")
    await commands.delivered(CHAT, ["2609.00001"])
    new = ChatKey("test", "-100999")
    await commands.chat_migrated(CHAT, new)
    assert await store.get_chat(CHAT) is None
    moved = await store.get_chat(new)
    assert moved is not None and moved.categories == ("cs.DC",)
    assert await store.filter_received(new, ["2609.00001"]) == {"2609.00001"}
    await commands.chat_removed(new)
    assert await store.get_chat(new) is None
