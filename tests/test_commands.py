"""Chat commands on both stores: replies, settings, the ledger, and nothing changed on rejection."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from adapters.terminal import PROMPT, REPLY_END, serve
from bot.commands import (
    Caller,
    Commands,
    DigestReply,
    TextReply,
    parse_command,
    resolve_categories,
    status_feed_text,
    suggest_command,
)
from bot.engine import BatchStatus, DigestEngine
from bot.i18n import t
from bot.models import ChatKey
from bot.paused import pause, resume
from bot.schedule import scheduler_hook
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_papers, make_rss
from tests.test_i18n import english_sentences

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
        yield Commands(
            settings, store, engine, on_change=scheduler_hook(store, lambda: NOW), clock=lambda: NOW
        )
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
    assert (
        "cs.DC (Distributed, Parallel, and Cluster Computing), cs.LG (Machine Learning)"
        in (await text(commands, "/list")).text
    )
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
        and "2026-09-25 08:30 UTC+8" in reply.text
        and "CST" not in reply.text
    )
    assert (await text(commands, "/lang zh")).text == "回复和摘要将使用中文。"
    settings = await store.get_chat(CHAT)
    assert settings is not None and (settings.push_time, settings.timezone, settings.language) == (
        "08:30",
        "Asia/Shanghai",
        "zh",
    )
    assert "已订阅" in (await text(commands, "/subscribe cs.LG")).text
    alone = await text(commands, "/lang")
    assert not alone.ok and alone.text.endswith("本聊天的语言：中文。") and "/lang" in alone.text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "up to date; cs.AI, cs.CL from arXiv's export API"),
        ("zh", "正常；cs.AI、cs.CL 来自 arXiv 导出 API"),
    ],
)
def test_status_feed_clauses_are_joined_in_the_chats_language(lang: str, expected: str) -> None:
    """/status's feed line joins its clauses with the chat's own semicolon (；in Chinese)."""
    status = BatchStatus(
        expected=date(2026, 9, 24), listing_date=date(2026, 9, 24), from_api=("cs.AI", "cs.CL")
    )
    line = status_feed_text(lang, status, "UTC")
    assert line.startswith(expected) and ("; " in line) == (lang == "en")


@pytest.mark.parametrize(("line", "name"), [("/lang 日本語", "日本語"), ("/lang de", "Deutsch")])
async def test_lang_without_own_messages_says_replies_stay_english(
    commands: Commands, store: Store, line: str, name: str
) -> None:
    """/lang to a language the bot has no messages in sets the summaries' language and says the
    replies stay in English, instead of promising replies in that language."""
    await text(commands, "/lang zh")
    reply = await text(commands, line)
    assert reply.ok and reply.text == t("en", "lang_set_summaries", lang=name)
    assert "replies stay in English" in reply.text
    assert (await text(commands, "/list")).text == t("en", "following_none")


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
    """/status shows the last batch, the count the chat's digest shows, and the next push."""
    await text(commands, "/subscribe cs.DC")
    digest = await commands.handle(ME, "/today")
    assert isinstance(digest, DigestReply)
    reply = await text(commands, "/status")
    assert "2026-09-24" in reply.text and "up to date" in reply.text
    shown = len(digest.digest.all_papers)
    assert f"cs.DC (Distributed, Parallel, and Cluster Computing): {shown}\n" in reply.text
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
        "/lang klingon-xx-yy",
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


# -- natural input, every reply in the chat's language ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "found", "unknown"),
    [
        (["cs.lg，cs.CV"], ("cs.LG", "cs.CV"), ()),
        (["cs.DC、cs.LG；math.PR"], ("cs.DC", "cs.LG", "math.PR"), ()),
        (["cs.DC／cs.LG"], ("cs.DC", "cs.LG"), ()),
        (["ｃｓ．ＤＣ", "CS.lg。"], ("cs.DC", "cs.LG"), ()),
        (["cs.DC,cs.DC", "cs.dc"], ("cs.DC",), ()),
        (["cs.lg", "cs.DCC"], ("cs.LG",), ("cs.DCC",)),
        (["计算机"], (), ("计算机",)),
        (["cs.DC\u0000\u0007"], ("cs.DC",), ()),
        (["cs.\u200bDC"], ("cs.DC",), ()),
        (["cs LG"], ("cs.LG",), ()),
        (["stat", "ML", "physics", "optics"], ("stat.ML", "physics.optics"), ()),
        (["cs-LG，math_AG", "hep_th", "astro-ph-CO"], ("cs.LG", "math.AG", "hep-th", "astro-ph.CO"), ()),
        (["cs", "math"], ("cs", "math"), ()),
        (["cs", "XX"], ("cs",), ("XX",)),
    ],
)
def test_category_input_is_normalised(
    typed: list[str], found: tuple[str, ...], unknown: tuple[str, ...]
) -> None:
    """Full-width forms, Chinese separators, a hyphen or underscore for the dot and an archive
    followed by its subject class (cs LG) read as categories; unknown ones are kept apart."""
    parsed = resolve_categories(typed)
    assert parsed.found == found
    assert tuple(item.given for item in parsed.unknown) == unknown


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/subscribe cs.DC", ("subscribe", ["cs.DC"])),
        ("／subscribe cs.DC", ("subscribe", ["cs.DC"])),
        ("／ｓｕｂｓｃｒｉｂｅ cs.DC", ("subscribe", ["cs.DC"])),
        ("/Today@OurBot", ("today", [])),
        ("/today@otherbot", None),
        ("/", ("", [])),
        ("//", ("/", [])),
        ("//subscribe cs.DC", ("/subscribe", ["cs.DC"])),
        ("/订阅 cs.DC", ("订阅", ["cs.DC"])),
        ("hello", None),
    ],
)
def test_parse_command_natural_forms(line: str, expected: tuple[str, list[str]] | None) -> None:
    """Command words are read in any width; anything else after a slash comes back to be answered."""
    assert parse_command(line, "ourbot") == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("subscrib", "subscribe"),
        ("subscibe", "subscribe"),
        ("/today", "today"),
        ("lsit", "list"),
        ("zzz", None),
        ("订阅", "subscribe"),
        ("訂閱", "subscribe"),
        ("今天", "today"),
        ("筛选", "filter"),
        ("更多", "more"),
    ],
)
def test_suggest_command(word: str, expected: str | None) -> None:
    """A typo of a command word points at the command."""
    assert suggest_command(word) == expected


async def test_typos_and_bare_slashes_get_answers(commands: Commands) -> None:
    """A command typo gets "did you mean"; / and // say how commands look."""
    assert "Did you mean /subscribe?" in (await text(commands, "/subscrib cs.DC")).text
    assert "Did you mean /subscribe?" in (await text(commands, "//subscribe cs.DC")).text
    for bare in ("/", "//"):
        reply = await text(commands, bare)
        assert not reply.ok and "/subscribe cs.DC" in reply.text


async def test_subscribe_valid_and_name_the_rest(commands: Commands, store: Store) -> None:
    """/subscribe cs.lg cs.DCC subscribes cs.LG and names cs.DCC with its suggestion."""
    reply = await text(commands, "/subscribe cs.lg cs.DCC")
    assert reply.ok and "Subscribed to cs.LG (Machine Learning)" in reply.text
    assert "“cs.DCC” (did you mean cs.DC" in reply.text
    assert (await store.get_chat(CHAT)).categories == ("cs.LG",)  # type: ignore[union-attr]
    rejected = await text(commands, "/subscribe cs.DCC foo")
    assert not rejected.ok and rejected.text.endswith("Nothing was changed.")
    assert (await store.get_chat(CHAT)).categories == ("cs.LG",)  # type: ignore[union-attr]


async def test_title(commands: Commands, store: Store) -> None:
    """/title sets the chat's digest title, /today carries it, /title clear restores the names;
    bad titles change nothing."""
    await text(commands, "/subscribe cs.DC")
    assert "“Cloud computing”" in (await text(commands, "/title   Cloud   computing")).text
    reply = await commands.handle(ME, "/today")
    assert isinstance(reply, DigestReply) and reply.digest.title == "Cloud computing"
    before = await snapshot(store)
    for bad in ("/title " + "x" * 61, "/title line\nbreak", "/title bell\u0007"):
        refused = await text(commands, bad)
        assert not refused.ok and await snapshot(store) == before
    assert (await store.get_chat(CHAT)).title == "Cloud computing"  # type: ignore[union-attr]
    cleared = await text(commands, "/title clear")
    assert "Distributed, Parallel, and Cluster Computing" in cleared.text
    assert (await store.get_chat(CHAT)).title == ""  # type: ignore[union-attr]
    usage = await text(commands, "/title")
    assert not usage.ok and "/title clear" in usage.text
    group = Caller(ChatKey("test", "-100"), can_manage=False)
    assert not (await text(commands, "/title x", group)).ok


async def test_discord_refusal_names_manage_channels(commands: Commands) -> None:
    """On Discord the refusal names the permission that is needed."""
    member = Caller(ChatKey("discord", "123"), can_manage=False, user_language="zh-CN")
    reply = await text(commands, "/subscribe cs.DC", member)
    assert not reply.ok and "管理频道" in reply.text


async def test_terminal_promises_no_push(commands: Commands) -> None:
    """The terminal chat is told it has no daily push rather than promised one."""
    me = Caller(ChatKey("terminal", "local"))
    assert "no daily push" in (await text(commands, "/time 08:30", me)).text
    await text(commands, "/subscribe cs.DC", me)
    assert "Daily push" not in (await text(commands, "/list", me)).text
    assert "none in the terminal" in (await text(commands, "/status", me)).text
    assert "every morning" not in (await text(commands, "/start", me)).text


CHINESE_LINES = [
    "/start", "/help", "/list", "/status", "/subscribe", "/subscribe cs.DCC", "/subscribe cs.lg，cs.DCC",
    "/subscribe 计算机 foo bar baz", "/subscribe cs.DC", "/subscribe cs.DC", "/unsubscribe",
    "/unsubscribe cs.AI", "/unsubscribe cs.XX", "/today nonsense", "/time", "/time 25:00",
    "/time 08:00 Mars/Base", "/time ０８：３０ Asia／Shanghai", "/lang", "/lang e_n", "/title",
    "/title " + "长" * 80, "/title 云计算", "/title clear", "/frobnicate", "/subscrib", "/", "//",
    "/unsubscribe cs.DC", "/unsubscribe all",
]  # fmt: skip


async def test_no_english_reaches_a_chinese_chat(commands: Commands) -> None:
    """Every reply to a Chinese chat, errors and usage included, is free of English sentences."""
    zh = Caller(ChatKey("test", "zh"), user_language="zh-hans")
    assert (await text(commands, "/lang zh", zh)).ok
    for line in CHINESE_LINES:
        reply = await commands.handle(zh, line)
        assert isinstance(reply, TextReply), line
        assert english_sentences(reply.text) == [], (line, reply.text)
        assert " ：" not in reply.text and " 。" not in reply.text


async def test_terminal_greets_and_prompts(commands: Commands) -> None:
    """On a terminal the chat greets once and prompts before each command; piped, it prints each
    reply followed by the separator line and nothing else."""
    lines = b"/lang zh\nhello\n"
    screen = io.StringIO()
    await serve(commands, ChatKey("terminal", "tty"), io.BytesIO(lines), screen, interactive=True)
    shown = screen.getvalue()
    assert shown.startswith(t("en", "start_terminal")) and shown.count(PROMPT) == 3
    assert "命令以 / 开头" in shown and REPLY_END not in shown
    piped = io.StringIO()
    await serve(commands, ChatKey("terminal", "pipe"), io.BytesIO(b"/help\n\n/list\n"), piped)
    replies = piped.getvalue().split(REPLY_END + "\n")
    assert replies[0] == t("en", "help") + "\n" and replies[1] == t("en", "following_none") + "\n"
    assert replies[2] == "" and PROMPT not in piped.getvalue()


async def test_terminal_says_a_slow_command_is_under_way(commands: Commands) -> None:
    """On a terminal a command still running after ``working_after`` gets a line saying so, in the
    chat's language, before its reply; a quick one gets none, and piped output never does."""
    lines = b"/lang zh\n/list\n"
    slow = io.StringIO()
    await serve(
        commands, ChatKey("terminal", "slow"), io.BytesIO(lines), slow, interactive=True, working_after=0
    )
    shown = slow.getvalue()
    assert shown.index(PROMPT + t("zh", "working") + "\n") < shown.index("本聊天")
    quick = io.StringIO()
    await serve(
        commands, ChatKey("terminal", "quick"), io.BytesIO(lines), quick, interactive=True, working_after=60
    )
    piped = io.StringIO()
    await serve(commands, ChatKey("terminal", "piped"), io.BytesIO(lines), piped, working_after=0)
    assert t("zh", "working") not in quick.getvalue() + piped.getvalue()


async def test_status_shows_a_paused_delivery(commands: Commands, store: Store) -> None:
    """/status of a chat the bot may not post in says since when, why and the next try, in the
    chat's language; its settings stay as they were."""
    assert (await text(commands, "/subscribe cs.DC")).ok
    await pause(store, CHAT, "not enough rights to send text messages to the chat", NOW)
    before = await snapshot(store)
    reply = await text(commands, "/status")
    assert "may not post here" in reply.text
    assert "since 2026-09-24 16:00 UTC" in reply.text and "next try 2026-09-24 16:10 UTC" in reply.text
    assert await snapshot(store) == before
    await text(commands, "/lang zh")
    assert "暂停" in (await text(commands, "/status")).text
    await resume(store, CHAT)
    assert "暂停" not in (await text(commands, "/status")).text
