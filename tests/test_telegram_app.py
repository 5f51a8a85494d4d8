"""The Telegram bot end to end: real python-telegram-bot polling the fake Bot API, the core's
Commands on a real SQLite store, arXiv from the fake arXiv server."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from adapters.telegram.app import ALLOWED_UPDATES, AdminCache, webhook_secret
from bot import listing
from bot.commands import COMMANDS
from bot.i18n import t
from bot.models import ChatKey
from bot.paused import pause, paused
from tests.fakes.feeds import make_papers, search_api
from tests.fakes.telegram import (
    bot_blocked,
    bot_user,
    channel_chat,
    group_chat,
    group_migrated,
    message_update,
    migrate_update,
    my_chat_member_update,
    not_enough_rights,
    private_chat,
    recorded_updates,
    supergroup_chat,
    too_many_requests,
    user,
)
from tests.fakes.telegram_harness import LISTING, NOW, RunningBot, running_bot

ADMIN, MEMBER = 111, 222
GROUP = group_chat(-4012345678)
SUPER = supergroup_chat(-1001557912345)
FORUM = supergroup_chat(-1001600000001, forum=True)
CHANNEL = channel_chat(-1001999888777)


def key(chat_id: int | str) -> ChatKey:
    return ChatKey("telegram", str(chat_id))


def texts(bot: RunningBot) -> list[str]:
    return [m.visible for m in bot.tg.sent]


async def test_every_command_in_a_private_chat(tmp_path: Path) -> None:
    """Each command answers in a private chat; settings land in the store; /today fills the ledger."""
    chat = key(10081232)
    async with running_bot(tmp_path) as bot:
        await bot.send(message_update("/start"))
        await bot.send(message_update("/help"))
        await bot.send(message_update("/list"))
        await bot.send(message_update("/subscribe cs.DC"))
        await bot.send(message_update("/list"))
        await bot.send(message_update("/today"))
        await bot.send(message_update("/status"))
        await bot.send(message_update("/time 08:30 Asia/Shanghai"))
        await bot.send(message_update("/lang zh"))
        await bot.send(message_update("/unsubscribe cs.DC"))
        await bot.send(message_update("/subscribe cs.LG"))
        await bot.send(message_update("/unsubscribe all"))
        shown = texts(bot)
        assert shown[0] == t("en", "start")
        assert shown[1] == t("en", "help")
        assert shown[2] == t("en", "following_none")
        assert shown[3] == t(
            "en", "subscribed", added="cs.DC (Distributed, Parallel, and Cluster Computing)", all="cs.DC"
        )
        assert shown[4].startswith("This chat follows: cs.DC (Distributed")
        parts = [i for i, text in enumerate(shown) if text.startswith("arXiv Daily Digest - ")]
        assert parts == list(range(5, 5 + len(parts))) and parts
        assert shown[5].startswith(
            f"arXiv Daily Digest - Distributed, Parallel, and Cluster Computing (1/{len(parts)})\n"
            "Updated: 2026-09-24 00:00:00 UTC\n"
        )
        after = 5 + len(parts)
        digest_ids = [i for m in bot.tg.sent[5:after] for i in _ids(m.text)]
        assert digest_ids
        assert await bot.store.filter_received(chat, digest_ids) == set(digest_ids)
        assert shown[after].startswith("Last batch seen: 2026-09-24")
        assert shown[after + 1].startswith("Daily push set to 08:30 (Asia/Shanghai, UTC+8)")
        assert shown[after + 2] == t("zh", "lang_set", lang="中文")
        assert shown[after + 3].startswith("已取消订阅 cs.DC")
        assert shown[after + 4].startswith("已订阅 cs.LG")
        assert shown[after + 5] == t("zh", "unsubscribed_all")
        stored = await bot.store.get_chat(chat)
        assert stored is not None
        assert (stored.categories, stored.push_time, stored.timezone, stored.language) == (
            (),
            "08:30",
            "Asia/Shanghai",
            "zh",
        )
        assert all(m.chat_id == 10081232 and m.parse_mode == "HTML" for m in bot.tg.sent)
        assert all(m.link_preview_options == {"is_disabled": True} for m in bot.tg.sent)


def _ids(html: str) -> list[str]:
    import re

    return list(dict.fromkeys(re.findall(r'href="https://arxiv\.org/abs/([^"]+)"', html)))


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [("en", "en"), ("zh", "zh"), ("zh-hans", "zh"), ("zh-TW", "zh-TW"), ("de", "en"), (None, "en")],
)
async def test_start_in_the_users_language(tmp_path: Path, language_code: str | None, expected: str) -> None:
    """/start explains the bot in the user's Telegram language (English otherwise)."""
    async with running_bot(tmp_path) as bot:
        await bot.send(message_update("/start", sender=user(10081232, language_code)))
        assert texts(bot) == [t(expected, "start")]


async def test_command_menu_registered(tmp_path: Path) -> None:
    """The command menu is set for the default language and for zh, from the core's list."""
    async with running_bot(tmp_path) as bot:
        assert bot.tg.commands[("default", "")] == [
            {"command": c.name, "description": c.description("en")} for c in COMMANDS
        ]
        assert bot.tg.commands[("default", "zh")] == [
            {"command": c.name, "description": c.description("zh")} for c in COMMANDS
        ]
        assert bot.tg.allowed_updates == ALLOWED_UPDATES


@pytest.mark.parametrize("status", ["creator", "administrator"])
async def test_group_admin_may_change_settings(tmp_path: Path, status: str) -> None:
    """In a group the creator and administrators may subscribe."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, status)
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN)))
        assert texts(bot) == [
            t("en", "subscribed", added="cs.DC (Distributed, Parallel, and Cluster Computing)", all="cs.DC")
        ]
        stored = await bot.store.get_chat(key(GROUP["id"]))
        assert stored is not None and stored.categories == ("cs.DC",)


@pytest.mark.parametrize("chat", [GROUP, SUPER])
@pytest.mark.parametrize(
    "command", ["/subscribe cs.DC", "/unsubscribe all", "/time 09:00", "/lang zh", "/unsubscribe cs.LG"]
)
async def test_group_member_is_refused(tmp_path: Path, chat: dict[str, Any], command: str) -> None:
    """A member who is not an admin gets a polite refusal and nothing changes."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(chat["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.LG", chat=chat, sender=user(ADMIN)))
        before = await bot.chats()
        await bot.send(message_update(command, chat=chat, sender=user(MEMBER)))
        assert texts(bot)[-1] == t("en", "not_admin")
        assert await bot.chats() == before


async def test_group_votes_are_cleared_by_admins_only(tmp_path: Path) -> None:
    """Any member's vote counts without an admin check, but clearing the group's votes asks who sent it."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/like", chat=GROUP, sender=user(MEMBER)))
        assert bot.tg.calls_to("getChatMember") == []
        await bot.send(message_update("/like clear", chat=GROUP, sender=user(MEMBER)))
        assert texts(bot)[-1] == t("en", "not_admin")
        await bot.send(message_update("/like clear", chat=GROUP, sender=user(ADMIN)))
        assert texts(bot)[-1] == t("en", "votes_cleared", n=0, vote=t("en", "btn_like"))


async def test_group_member_may_read(tmp_path: Path) -> None:
    """Members may use the commands that change nothing; no admin check is made for them."""
    async with running_bot(tmp_path) as bot:
        for command in ("/list", "/today cs.DC", "/status", "/help"):
            await bot.send(message_update(command, chat=GROUP, sender=user(MEMBER)))
        assert len(bot.tg.sent) >= 4
        assert bot.tg.calls_to("getChatMember") == []


async def test_admin_check_is_cached(tmp_path: Path) -> None:
    """Repeated commands of one admin ask getChatMember once within the cache time."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        for command in ("/subscribe cs.DC", "/time 07:00", "/lang en"):
            await bot.send(message_update(command, chat=GROUP, sender=user(ADMIN)))
        assert len(bot.tg.calls_to("getChatMember")) == 1


async def test_admin_cache_expires() -> None:
    """The cached answer is used for ``ttl`` seconds, then asked again (demotions take effect)."""
    from adapters.telegram.app import make_bot
    from bot.settings import Settings
    from tests.fakes.telegram import FakeTelegram

    now = [0.0]
    cache = AdminCache(ttl=60.0, clock=lambda: now[0])
    async with FakeTelegram() as tg:
        settings = Settings(_env_file=None, telegram_bot_token=tg.token, telegram_api_url=tg.api_url)  # type: ignore[call-arg,arg-type]
        async with make_bot(settings) as bot:
            tg.set_member(-5, ADMIN, "administrator")
            assert await cache.is_admin(bot, -5, ADMIN)
            tg.set_member(-5, ADMIN, "member")
            now[0] = 59.0
            assert await cache.is_admin(bot, -5, ADMIN)
            now[0] = 61.0
            assert not await cache.is_admin(bot, -5, ADMIN)
        assert len(tg.calls_to("getChatMember")) == 2


async def test_anonymous_admin_and_channel_speakers(tmp_path: Path) -> None:
    """An anonymous admin (posting as the group) may change settings; someone posting as a
    channel may not."""
    async with running_bot(tmp_path) as bot:
        anonymous = user(1087968824, None, "Group")
        await bot.send(message_update("/subscribe cs.DC", chat=SUPER, sender=anonymous, sender_chat=SUPER))
        assert texts(bot)[-1] == t(
            "en", "subscribed", added="cs.DC (Distributed, Parallel, and Cluster Computing)", all="cs.DC"
        )
        other = channel_chat(-1002222222222, "Someone's channel")
        await bot.send(message_update("/unsubscribe all", chat=SUPER, sender=anonymous, sender_chat=other))
        assert texts(bot)[-1] == t("en", "not_admin")
        stored = await bot.store.get_chat(key(SUPER["id"]))
        assert stored is not None and stored.categories == ("cs.DC",)


async def test_forum_topic_is_its_own_chat(tmp_path: Path) -> None:
    """A subscription made inside a forum topic belongs to that topic, and replies go there."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(FORUM["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=FORUM, sender=user(ADMIN), thread_id=77))
        await bot.send(message_update("/today", chat=FORUM, sender=user(MEMBER), thread_id=77))
        await bot.send(message_update("/list", chat=FORUM, sender=user(MEMBER)))
        topic = key(f"{FORUM['id']}:77")
        stored = await bot.store.get_chat(topic)
        assert stored is not None and stored.categories == ("cs.DC",)
        assert await bot.store.get_chat(key(FORUM["id"])) is None
        threads = [m.message_thread_id for m in bot.tg.sent]
        assert threads[:-1] == [77] * (len(threads) - 1)
        assert threads[-1] is None
        assert texts(bot)[-1] == t("en", "following_none")
        ids = _ids(bot.tg.sent[1].text)
        assert await bot.store.filter_received(topic, ids) == set(ids)


async def test_channel_post_subscribes_the_channel(tmp_path: Path) -> None:
    """An admin's channel post can subscribe the channel; the reply is posted in the channel."""
    async with running_bot(tmp_path) as bot:
        await bot.send(message_update("/subscribe cs.LG", chat=CHANNEL, kind="channel_post"))
        await bot.send(message_update("/today", chat=CHANNEL, kind="channel_post"))
        stored = await bot.store.get_chat(key(CHANNEL["id"]))
        assert stored is not None and stored.categories == ("cs.LG",)
        assert texts(bot)[0] == t("en", "subscribed", added="cs.LG (Machine Learning)", all="cs.LG")
        assert texts(bot)[1].startswith("arXiv Daily Digest - Machine Learning")
        assert {m.chat_id for m in bot.tg.sent} == {CHANNEL["id"]}


@pytest.mark.parametrize(
    ("text", "answered"),
    [
        ("/list@arxiv_digest_bot", True),
        ("/list@ARXIV_Digest_Bot", True),
        ("/list", True),
        ("/list@otherbot", False),
        ("/subscribe@otherbot cs.DC", False),
        ("list", False),
        ("hello everyone, see /list", False),
    ],
)
async def test_addressed_commands_only(tmp_path: Path, text: str, answered: bool) -> None:
    """In groups, /cmd@ourbot and bare /cmd are answered; /cmd@otherbot and plain text are not."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update(text, chat=GROUP, sender=user(ADMIN)))
        assert bool(bot.tg.sent) is answered
        assert await bot.chats() == {}


async def test_edits_are_ignored(tmp_path: Path) -> None:
    """An edited command is ignored even when Telegram delivers it."""
    async with running_bot(tmp_path, fake_options={"honour_allowed_updates": False}) as bot:
        await bot.send(message_update("/subscribe cs.DC", kind="edited_message"))
        await bot.send(message_update("/subscribe cs.DC", chat=CHANNEL, kind="edited_channel_post"))
        assert bot.tg.sent == []
        assert await bot.chats() == {}


async def test_recorded_updates_are_handled(tmp_path: Path) -> None:
    """Every recorded update from the fixtures is handled without an error: commands answered,
    everything else ignored."""
    async with running_bot(tmp_path, fake_options={"honour_allowed_updates": False}) as bot:
        with capture_logs() as logs:
            for update in recorded_updates():
                bot.tg.add_update(update)
            await bot.settle()
        assert [e for e in logs if e["event"] == "telegram_handler_error"] == []
        answered = texts(bot)
        assert t("en", "start") in answered
        assert t("en", "unknown_command", cmd="/register") in answered
        assert any(text.startswith("Unknown command /test.") for text in answered)
        assert len(answered) == 3


@pytest.mark.parametrize(
    ("chat", "new_status"),
    [(GROUP, "kicked"), (GROUP, "left"), (SUPER, "kicked"), (CHANNEL, "left"), (private_chat(), "kicked")],
)
async def test_bot_removed_unsubscribes(tmp_path: Path, chat: dict[str, Any], new_status: str) -> None:
    """The bot kicked, removed or blocked (my_chat_member) → the chat is unsubscribed."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(chat["id"], ADMIN, "administrator")
        kind = "channel_post" if chat["type"] == "channel" else "message"
        await bot.send(message_update("/subscribe cs.DC", chat=chat, sender=user(ADMIN), kind=kind))
        assert await bot.store.get_chat(key(chat["id"])) is not None
        await bot.send(my_chat_member_update(chat, bot_user(bot.tg), "member", new_status))
        assert await bot.store.get_chat(key(chat["id"])) is None


async def test_bot_removed_from_forum_unsubscribes_topics(tmp_path: Path) -> None:
    """Removed from a forum supergroup → the group and each of its topics are unsubscribed."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(FORUM["id"], ADMIN, "administrator")
        for thread in (None, 5, 77):
            await bot.send(
                message_update("/subscribe cs.DC", chat=FORUM, sender=user(ADMIN), thread_id=thread)
            )
        await bot.send(message_update("/subscribe cs.DC", chat=SUPER, sender=user(ADMIN), sender_chat=SUPER))
        assert len(await bot.chats()) == 4
        await bot.send(my_chat_member_update(FORUM, bot_user(bot.tg), "administrator", "kicked"))
        assert set(await bot.chats()) == {key(SUPER["id"])}


async def test_promotion_is_not_removal(tmp_path: Path) -> None:
    """A my_chat_member change that keeps the bot in the chat changes nothing."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN)))
        before = await bot.chats()
        await bot.send(my_chat_member_update(GROUP, bot_user(bot.tg), "member", "administrator"))
        assert await bot.chats() == before


async def test_muted_bot_is_paused_not_removed_and_resumes_when_unmuted(tmp_path: Path) -> None:
    """A reply refused for lack of rights leaves the chat subscribed; a paused chat whose bot is
    unmuted (my_chat_member restricted → member) is due at once, its pause over."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN)))
        before = await bot.chats()
        chat = key(GROUP["id"])
        bot.tg.fail(not_enough_rights(), chat_id=GROUP["id"], times=None)
        await bot.send(message_update("/list", chat=GROUP, sender=user(ADMIN)))
        assert await bot.chats() == before
        await bot.store.set_due(chat, NOW.timestamp() + 86_400)
        await pause(bot.store, chat, "not enough rights to send text messages to the chat", NOW)
        await bot.send(my_chat_member_update(GROUP, bot_user(bot.tg), "member", "restricted"))
        assert await paused(bot.store, chat) is not None
        bot.tg.clear_failures()
        await bot.send(my_chat_member_update(GROUP, bot_user(bot.tg), "restricted", "member"))
        assert await paused(bot.store, chat) is None
        assert await bot.store.get_due(chat) == NOW.timestamp()
        assert await bot.chats() == before


async def test_migration_moves_the_subscription(tmp_path: Path) -> None:
    """A group upgraded to a supergroup keeps its subscription and ledger under the new id."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN)))
        await bot.send(message_update("/today", chat=GROUP, sender=user(ADMIN)))
        ids = _ids(bot.tg.sent[-1].text)
        await bot.send(migrate_update(GROUP["id"], SUPER["id"]))
        assert await bot.store.get_chat(key(GROUP["id"])) is None
        moved = await bot.store.get_chat(key(SUPER["id"]))
        assert moved is not None and moved.categories == ("cs.DC",)
        assert await bot.store.filter_received(key(SUPER["id"]), ids) == set(ids)


async def test_reply_to_a_blocked_chat_unsubscribes(tmp_path: Path) -> None:
    """A reply refused with 403 unsubscribes the chat instead of crashing the handler."""
    async with running_bot(tmp_path) as bot:
        await bot.send(message_update("/subscribe cs.DC"))
        bot.tg.fail(bot_blocked(), chat_id=10081232, times=None)
        await bot.send(message_update("/list"))
        assert await bot.store.get_chat(key(10081232)) is None


async def test_reply_to_a_migrated_group_moves_it(tmp_path: Path) -> None:
    """A reply refused because the group migrated moves its subscription to the new id."""
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(GROUP["id"], ADMIN, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=GROUP, sender=user(ADMIN)))
        bot.tg.fail(group_migrated(SUPER["id"]), chat_id=GROUP["id"], times=None)
        await bot.send(message_update("/list", chat=GROUP, sender=user(ADMIN)))
        assert await bot.store.get_chat(key(GROUP["id"])) is None
        assert await bot.store.get_chat(key(SUPER["id"])) is not None


async def test_reply_waits_out_flood_control(tmp_path: Path) -> None:
    """A reply that draws 429 waits retry_after and is sent once."""
    async with running_bot(tmp_path) as bot:
        bot.tg.fail(too_many_requests(7), chat_id=10081232)
        await bot.send(message_update("/help"))
        assert bot.sleeps == [7.0]
        assert texts(bot) == [t("en", "help")]


async def test_reply_never_waits_minutes(tmp_path: Path) -> None:
    """A reply that draws 429 retry_after 120 is not waited for: the handler gives up at once (one
    line) and the next command is answered."""
    async with running_bot(tmp_path) as bot:
        bot.tg.fail(too_many_requests(120), chat_id=10081232)
        with capture_logs() as logs:
            await bot.send(message_update("/help"))
        assert bot.sleeps == []
        assert [e["event"] for e in logs].count("telegram_reply_failed") == 1
        await bot.send(message_update("/help"))
        assert texts(bot) == [t("en", "help")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode(tmp_path: Path) -> None:
    """With TELEGRAM_WEBHOOK_URL the bot registers a webhook with a secret token and serves the
    updates Telegram posts; a request without the secret is refused."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    overrides = {
        "telegram_webhook_url": url,
        "telegram_webhook_listen": "127.0.0.1",
        "telegram_webhook_port": port,
    }
    async with running_bot(tmp_path, settings_overrides=overrides) as bot:
        assert bot.tg.webhook["url"] == url
        assert bot.tg.webhook["secret_token"] == webhook_secret(bot.app.settings)
        assert bot.tg.calls_to("getUpdates") == []
        assert await bot.tg.deliver_webhook(message_update("/start")) == 200
        await bot.tg.wait_sent(1)
        assert texts(bot) == [t("en", "start")]
        async with aiohttp.ClientSession() as session:
            forged = message_update("/unsubscribe all") | {"update_id": 1}
            headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with session.post(url, json=forged, headers=headers) as response:
                assert response.status == 403
        assert len(bot.tg.sent) == 1


async def test_today_from_the_export_api_says_so(tmp_path: Path) -> None:
    """A day only arXiv's export API could serve (the feed answers an HTML page) ends /today's last
    message with the note that it may miss papers on moderation hold, in the chat's language."""
    start = listing.submission_window(LISTING)[0]
    papers = [{**p, "published": start + timedelta(hours=1)} for p in make_papers(4, ["cs.DC"], seed=3)]
    async with running_bot(tmp_path) as bot:
        bot.arxiv.set_feed(b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>")
        bot.arxiv.set_api_handler(search_api(papers))
        await bot.send(message_update("/subscribe cs.DC"))
        await bot.send(message_update("/today"))
        assert texts(bot)[-1].endswith("\n\n" + t("en", "digest_from_api", cats="cs.DC"))
        assert "<i>Papers of cs.DC come from arXiv&#x27;s export API" in bot.tg.sent[-1].text
        await bot.send(message_update("/lang zh"))
        await bot.send(message_update("/today"))
        assert texts(bot)[-1].endswith("\n\ncs.DC 的论文来自 arXiv 导出 API，可能缺少曾被审核暂缓的论文。")
