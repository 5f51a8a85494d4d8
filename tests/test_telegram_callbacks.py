"""Inline buttons end to end: the real python-telegram-bot polling the fake Bot API, the core's Commands
on a real SQLite store. A press acts on the chat of the message that carries the button and on no
other, every press is answered, and what does not parse changes nothing."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from adapters.telegram.app import ALLOWED_UPDATES
from bot.commands import Caller
from bot.i18n import t
from bot.models import ChatKey, Digest
from tests.factories import digest, paper
from tests.fakes.telegram import (
    SentMessage,
    callback_update,
    group_chat,
    message_update,
    old_message,
    supergroup_chat,
    user,
)
from tests.fakes.telegram_harness import LISTING, RunningBot, record_handled, running_bot

GROUP = group_chat(-4012345678)
FORUM = supergroup_chat(-1001600000001, forum=True)
ADMIN, MEMBER = 111, 777
PAGE = replace(
    digest([paper(i, summary="A short summary.", source="llm") for i in range(1, 13)]), shown=4, matched=12
)


def key(chat_id: int | str) -> ChatKey:
    return ChatKey("telegram", str(chat_id))


async def post(bot: RunningBot, chat: ChatKey, page: Digest = PAGE) -> list[SentMessage]:
    """Send a digest to ``chat`` the way replies and the push do; the messages the fake accepted."""
    before = len(bot.tg.sent)
    delivered: list[tuple[str, ...]] = []

    async def on_sent(ids: Any) -> None:
        delivered.append(tuple(ids))

    await bot.platform.send_digest(chat, page, on_sent)
    return bot.tg.sent[before:]


def ids_in(message: SentMessage) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="https://arxiv\.org/abs/([^"]+)"', message.text)))


async def test_callbacks_are_asked_for() -> None:
    """The bot asks Telegram for callback queries, in polling and webhook mode alike."""
    assert "callback_query" in ALLOWED_UPDATES


async def test_buttons_under_a_digest(tmp_path: Path) -> None:
    """/today's digest carries a 👍/👎 row for every paper of each message, numbered as shown, and
    More only on the last message when papers of the day follow."""
    async with running_bot(tmp_path) as bot:
        await bot.send(message_update("/subscribe cs.DC cs.LG"))
        await bot.send(message_update("/today"))
        messages = bot.tg.sent[1:]
        assert messages
        numbers: list[int] = []
        for index, message in enumerate(messages):
            ids = ids_in(message)
            shown = [int(n) for n in re.findall(r"^(\d+)\. ", message.visible, re.MULTILINE)]
            numbers += shown
            votes = [row for row in message.keyboard if row[0][1].startswith("like:")]
            assert votes == [
                [(f"👍 {n}", f"like:{i}"), (f"👎 {n}", f"dislike:{i}")]
                for n, i in zip(shown, ids, strict=True)
            ]
            rest = [row for row in message.keyboard if not row[0][1].startswith("like:")]
            if index < len(messages) - 1 or not rest:
                assert rest == []
            else:
                [[(label, data)]] = rest
                assert label.startswith("More (") and data == f"more:{LISTING.isoformat()}"
        assert numbers == list(range(1, len(numbers) + 1))


async def test_a_vote_acts_on_the_chat_of_its_message(tmp_path: Path) -> None:
    """A member's 👍 under a group's digest is the text command /like ID for that group, in the
    presser's language and without asking for admin rights; the press is answered once, and nothing is
    ever sent to the presser's own chat."""
    async with running_bot(tmp_path) as bot:
        handled = record_handled(bot.app.commands)
        [message] = await post(bot, key(GROUP["id"]))
        query = bot.tg.press(message, "like:2609.00002", by=user(MEMBER, "de"))
        await bot.settle()
        assert handled == [(Caller(key(GROUP["id"]), True, "de"), "/like 2609.00002")]
        assert [a.query_id for a in bot.tg.answers] == [query]
        assert {m.chat_id for m in bot.tg.sent} == {GROUP["id"]}
        assert bot.tg.calls_to("getChatMember") == []


async def test_a_press_in_a_forum_topic_acts_on_the_topic(tmp_path: Path) -> None:
    """A button under a digest in a forum topic acts on that topic, the chat its subscription lives in."""
    async with running_bot(tmp_path) as bot:
        handled = record_handled(bot.app.commands)
        topic = ChatKey("telegram", f"{FORUM['id']}:9")
        [message] = await post(bot, topic)
        assert message.message_thread_id == 9
        bot.tg.press(message, "dislike:2609.00004", by=user(MEMBER, "zh-hans"))
        await bot.settle()
        assert handled == [(Caller(topic, True, "zh-hans"), "/dislike 2609.00004")]
        assert {(m.chat_id, m.message_thread_id) for m in bot.tg.sent} == {(FORUM["id"], 9)}


async def test_more_is_answered_at_once_and_runs_for_the_chat(tmp_path: Path) -> None:
    """A More press is answered while its command still runs (the next page may take a while), and
    the command is /more with the listing date, for the chat of the message."""
    gate = asyncio.Event()
    async with running_bot(tmp_path) as bot:
        handled = record_handled(
            bot.app.commands, hold=lambda text: gate if text.startswith("/more") else None
        )
        messages = await post(bot, key(GROUP["id"]))
        assert messages[-1].keyboard[-1] == [("More (8)", "more:2026-09-24")]
        query = bot.tg.press(messages[-1], "more:2026-09-24", by=user(MEMBER))
        try:
            await bot.tg.wait_for(lambda: bot.tg.answer_to(query) is not None and bool(handled))
            assert handled == [(Caller(key(GROUP["id"]), True, "en"), "/more 2026-09-24")]
            assert bot.tg.answer_to(query).text is None  # type: ignore[union-attr]
        finally:
            gate.set()
        await bot.settle()
        assert len(bot.tg.answers) == 1
        assert {m.chat_id for m in bot.tg.sent} == {GROUP["id"]}


async def test_a_slow_vote_is_still_answered_in_time(tmp_path: Path) -> None:
    """When a vote's command takes longer than Telegram waits, the press is answered without it, and
    its reply comes to the chat once ready, never twice."""
    gate = asyncio.Event()
    async with running_bot(tmp_path, answer_within=0.05) as bot:
        record_handled(bot.app.commands, hold=lambda text: gate)
        [message] = await post(bot, key(GROUP["id"]))
        sent = len(bot.tg.sent)
        query = bot.tg.press(message, "like:2609.00001", by=user(MEMBER))
        try:
            await bot.tg.wait_for(lambda: bot.tg.answer_to(query) is not None)
            assert len(bot.tg.sent) == sent
        finally:
            gate.set()
        await bot.settle()
        assert [(a.query_id, a.text) for a in bot.tg.answers] == [(query, None)]
        replies = bot.tg.sent[sent:]
        assert [m.chat_id for m in replies] == [GROUP["id"]]


FORGED = [
    "like:2609.00001 -1001557912345",
    "like:2609.00001:-1001557912345",
    "more:2026-09-24@-1001557912345",
    "like:2609.00001\n/unsubscribe all",
    "unsubscribe:all",
    "/subscribe cs.DC",
    "more:2026-02-30",
    "like:" + "9" * 59,
    "",
    "thedata",
]


@pytest.mark.parametrize(("language", "presser"), [("en", "zh"), ("zh", "en")])
async def test_forged_payloads_change_nothing(tmp_path: Path, language: str, presser: str) -> None:
    """Payloads the bot never made are answered with a short error in the chat's language (not the
    presser's); no command runs, nothing is stored and nothing is posted, in any chat."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN, language)))
        [message] = await post(bot, key(GROUP["id"]))
        handled = record_handled(bot.app.commands)
        before, sent = await bot.chats(), len(bot.tg.sent)
        for data in FORGED:
            shown = bot.tg.message_json(message)
            bot.tg.add_update(callback_update(data or None, message=shown, sender=user(ADMIN, presser)))
        await bot.settle()
        assert handled == []
        assert [a.text for a in bot.tg.answers] == [t(language, "btn_invalid")] * len(FORGED)
        assert len(bot.tg.sent) == sent
        assert await bot.chats() == before
        assert bot.tg.edits == []


@pytest.mark.parametrize(
    ("shape", "language"),
    [("inline", "en"), ("old", "zh"), ("someone else's", "en")],
)
async def test_a_press_without_its_message_changes_nothing(tmp_path: Path, shape: str, language: str) -> None:
    """A press that comes without the bot's own message (inline mode, a message too old to access,
    a message the bot did not send) is answered with what to send instead; nothing runs or is posted."""
    async with running_bot(tmp_path) as bot:
        handled = record_handled(bot.app.commands)
        if shape == "inline":
            update = callback_update(
                "like:2609.00001", inline_message_id="BAAAAB", sender=user(MEMBER, language)
            )
        elif shape == "old":
            update = callback_update(
                "like:2609.00001", message=old_message(GROUP), sender=user(MEMBER, language)
            )
        else:
            other = message_update("a message with a button", chat=GROUP, sender=user(ADMIN))["message"]
            other["reply_markup"] = {
                "inline_keyboard": [[{"text": "👍", "callback_data": "like:2609.00001"}]]
            }
            update = callback_update("like:2609.00001", message=other, sender=user(MEMBER, language))
        bot.tg.add_update(update)
        await bot.settle()
        assert handled == []
        assert [a.text for a in bot.tg.answers] == [t(language, "btn_stale", command="/like 2609.00001")]
        assert bot.tg.sent == []
        assert await bot.chats() == {}


async def test_a_stale_press_speaks_the_chats_language(tmp_path: Path) -> None:
    """A press on a message too old to access, in a chat set to Chinese, is answered in Chinese
    even when the presser's Telegram is in English; nothing runs."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN, "zh-hans")))
        assert (await bot.chats())[key(GROUP["id"])].language == "zh"
        handled = record_handled(bot.app.commands)
        bot.tg.add_update(
            callback_update("like:2609.00001", message=old_message(GROUP), sender=user(MEMBER, "en"))
        )
        await bot.settle()
        assert handled == []
        assert [a.text for a in bot.tg.answers] == [t("zh", "btn_stale", command="/like 2609.00001")]


async def test_a_failed_vote_is_posted_where_the_button_is(tmp_path: Path) -> None:
    """When the core refuses a vote, the refusal is the toast and is also posted, in the chat of the
    button, and the button is left unmarked."""
    async with running_bot(tmp_path) as bot:
        [message] = await post(bot, key(GROUP["id"]))

        async def refuse(caller: Caller, text: str, bot_username: str | None = None) -> Any:
            from bot.commands import TextReply

            return TextReply(f"cannot take {text} in {caller.chat}", ok=False)

        setattr(bot.app.commands, "handle", refuse)  # noqa: B010
        query = bot.tg.press(message, "like:2609.00003", by=user(MEMBER))
        await bot.settle()
        expected = f"cannot take /like 2609.00003 in telegram:{GROUP['id']}"
        assert [(a.query_id, a.text) for a in bot.tg.answers] == [(query, expected)]
        assert [(m.chat_id, m.visible) for m in bot.tg.sent[1:]] == [(GROUP["id"], expected)]
        assert bot.tg.edits == []


async def test_a_taken_vote_is_marked_on_its_row(tmp_path: Path) -> None:
    """A vote the core took is the toast alone (nothing posted), and its row shows it; a 👎 on the
    same paper moves the mark, and a repeated vote edits nothing."""
    async with running_bot(tmp_path) as bot:
        [message] = await post(bot, key(GROUP["id"]))

        async def take(caller: Caller, text: str, bot_username: str | None = None) -> Any:
            from bot.commands import TextReply

            return TextReply(f"noted {text}")

        setattr(bot.app.commands, "handle", take)  # noqa: B010
        for data in ("like:2609.00002", "like:2609.00002", "dislike:2609.00002"):
            bot.tg.press(message, data, by=user(MEMBER))
            await bot.settle()
        assert [a.text for a in bot.tg.answers] == [
            "noted /like 2609.00002",
            "noted /like 2609.00002",
            "noted /dislike 2609.00002",
        ]
        assert len(bot.tg.sent) == 1
        assert [edit.keyboard[1] for edit in bot.tg.edits] == [
            [("👍 2 ✓", "like:2609.00002"), ("👎 2", "dislike:2609.00002")],
            [("👍 2", "like:2609.00002"), ("👎 2 ✓", "dislike:2609.00002")],
        ]
        assert all(edit.keyboard[0] == message.keyboard[0] for edit in bot.tg.edits)
        assert bot.tg.edits[-1].keyboard[-1] == [("More (8)", "more:2026-09-24")]


async def test_press_handling_never_logs_an_error(tmp_path: Path) -> None:
    """A burst of presses of every kind (good, forged, without message) is handled without an error line."""
    async with running_bot(tmp_path) as bot:
        messages = await post(bot, key(GROUP["id"]))
        with capture_logs() as logs:
            for data in messages[0].payloads:
                bot.tg.press(messages[0], data, by=user(MEMBER))
            for data in FORGED:
                bot.tg.add_update(callback_update(data or None, message=bot.tg.message_json(messages[0])))
            bot.tg.add_update(callback_update("like:2609.00001"))
            await bot.settle(30)
        assert [e for e in logs if e["log_level"] == "error"] == []
        assert len(bot.tg.answers) == len(messages[0].payloads) + len(FORGED) + 1
        assert bot.tg.open_queries == set()


# -- with the core's commands ------------------------------------------------------------------------------


async def test_a_vote_is_stored_for_the_chat_of_its_button(tmp_path: Path) -> None:
    """A member's 👍 under a group's digest is the group's vote (never the member's own chat's), taken
    with a toast alone and marked on its row; a 👎 on the same paper replaces it."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC cs.LG", chat=GROUP, sender=user(ADMIN)))
        await bot.send(message_update("/today", chat=GROUP, sender=user(ADMIN)))
        first = next(m for m in bot.tg.sent if m.payloads)
        like, dislike = first.payloads[:2]
        paper_id = like.removeprefix("like:")
        sent = len(bot.tg.sent)
        query = bot.tg.press(first, like, by=user(MEMBER))
        await bot.settle()
        votes = await bot.store.get_feedback(key(GROUP["id"]))
        assert [(v.paper_id, v.vote) for v in votes] == [(paper_id, 1)]
        assert await bot.store.get_feedback(key(MEMBER)) == []
        assert len(bot.tg.sent) == sent
        assert bot.tg.answer_to(query).text  # type: ignore[union-attr]
        assert bot.tg.edits[-1].keyboard[0][0][0].endswith("✓")
        bot.tg.press(first, dislike, by=user(ADMIN))
        await bot.settle()
        votes = await bot.store.get_feedback(key(GROUP["id"]))
        assert [(v.paper_id, v.vote) for v in votes] == [(paper_id, -1)]
        assert len(bot.tg.sent) == sent


async def test_more_by_button_until_the_day_is_exhausted(tmp_path: Path) -> None:
    """With /top 3, each More press brings the next three papers of the day, numbered on from the last
    page, each page with its own More until the day is exhausted; every paper arrives once, and an old
    More pressed again brings none twice."""
    chat = key(10081232)
    async with running_bot(tmp_path) as bot:
        for text in ("/subscribe cs.DC cs.LG", "/top 3", "/today"):
            await bot.send(message_update(text))
        [[(label, _)]] = bot.tg.sent[-1].keyboard[-1:]
        total = 3 + int(re.sub(r"\D", "", label))
        pages = 1
        while more := [d for d in bot.tg.sent[-1].payloads if d.startswith("more:")]:
            bot.tg.press(bot.tg.sent[-1], more[0])
            await bot.settle()
            pages += 1
            assert pages <= 10
        digests = [m for m in bot.tg.sent if m.payloads]
        ids = [pid for m in digests for pid in ids_in(m)]
        numbers = [int(n) for m in digests for n in re.findall(r"^(\d+)\. ", m.visible, re.MULTILINE)]
        assert pages == -(-total // 3) > 1
        assert len(ids) == len(set(ids)) == total
        assert numbers == list(range(1, total + 1))
        assert await bot.store.filter_received(chat, ids) == set(ids)
        first_more = next(m for m in bot.tg.sent if any(d.startswith("more:") for d in m.payloads))
        sent = len(bot.tg.sent)
        bot.tg.press(first_more, f"more:{LISTING.isoformat()}")
        await bot.settle()
        assert [ids_in(m) for m in bot.tg.sent[sent:]] == [[]]
        assert len(bot.tg.answers) == pages


async def test_a_busy_day_push_sends_at_most_three_messages_per_chat(tmp_path: Path) -> None:
    """``push`` on the recorded busy day (cs.CV and cs.CL, 407 papers), with Telegram's flood windows
    enforced (scaled in time; the limiter's margins stand for the network):
    each chat gets at most three messages, the last with its More button, and the rest stays unsent."""
    from adapters.runner import push_once
    from adapters.telegram.app import build_platform
    from adapters.telegram.limits import FloodControl, Limits
    from bot import listing
    from bot.models import ChatSettings
    from bot.store import open_store
    from tests.conftest import settings_for
    from tests.fakes.arxiv import FakeArxiv
    from tests.fakes.feeds import make_rss
    from tests.fakes.real_day import BUSY_DAY, busy_day_papers
    from tests.fakes.telegram import FakeTelegram, FloodLimits

    categories = ("cs.CV", "cs.CL")
    now = listing.feed_ready_at(BUSY_DAY) + timedelta(hours=8)
    windows = FloodLimits(overall=(6, 0.3), group=(3, 0.4), chat=(1, 0.1), tolerance=0.0)
    limits = Limits(overall=(6, 0.3), group=(3, 0.4), chat=(1, 0.1), margin=0.3, pace_margin=0.3)
    async with FakeArxiv() as arxiv, FakeTelegram(flood_limits=windows) as tg:
        arxiv.set_feed(make_rss(BUSY_DAY, busy_day_papers(categories), list(categories)))
        config = settings_for(
            arxiv,
            telegram_bot_token=tg.token,
            telegram_api_url=tg.api_url,
            store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        )
        chats = [key(1001), key(-1001557912345)]
        store = await open_store(config.store_url, config.store_prefix)
        try:
            for chat in chats:
                await store.put_chat(ChatSettings(chat, categories))
                await store.set_due(chat, now.timestamp())
        finally:
            await store.close()
        platform = build_platform(config, flood=FloodControl(limits))
        async with platform:
            assert await push_once(config, clock=lambda: now, platforms={"telegram": platform}) == 0
    assert tg.flood_violations == 0
    for chat in chats:
        messages = [m for m in tg.sent if str(m.chat_id) == chat.chat_id]
        assert 1 <= len(messages) <= 3
        assert any(d.startswith("more:") for d in messages[-1].payloads)


async def test_admin_rights_of_a_presser_as_for_messages(tmp_path: Path) -> None:
    """Were a button to change settings, its presser would need the rights a message needs: anyone in
    a private chat, administrators in groups and channels (where any subscriber may press a button)."""
    from telegram import Chat, User

    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        tg_bot = bot.service.application.bot
        presser = User(MEMBER, "Reader", is_bot=False)
        admin = User(ADMIN, "Admin", is_bot=False)
        assert await bot.handlers.may_press(tg_bot, Chat(MEMBER, "private"), presser)
        assert await bot.handlers.may_press(tg_bot, Chat(GROUP["id"], "group"), admin)
        assert not await bot.handlers.may_press(tg_bot, Chat(GROUP["id"], "group"), presser)
        assert not await bot.handlers.may_press(tg_bot, Chat(-1001999888777, "channel"), presser)
        assert not await bot.handlers.may_press(tg_bot, Chat(GROUP["id"], "group"), None)
