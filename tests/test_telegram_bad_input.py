"""Bad input through the real bot: every command with missing, extra, garbled, huge and non-Latin
arguments, from every kind of chat. Each gets its documented reply or is ignored; nothing crashes;
a rejected command leaves the store as it was."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.i18n import t
from tests.fakes.telegram import channel_chat, group_chat, message_update, supergroup_chat, user
from tests.fakes.telegram_harness import RunningBot, running_bot

HUGE = 10_000
DIGEST = "arXiv Daily Digest - "
IGNORED = None


def unknown(given: str) -> str:
    return f"“{given}” is not an arXiv category"


# (command text, what the reply starts with; IGNORED when the bot must stay silent)
CASES: list[tuple[str, str | None]] = [
    # missing arguments
    ("/subscribe", t("en", "need_args_subscribe")),
    ("/unsubscribe", t("en", "need_args_unsubscribe")),
    ("/time", t("en", "time_usage")),
    ("/lang", "Use /lang CODE"),
    ("/title", "Use /title TEXT"),
    # extra arguments
    ("/start now please", t("en", "start")),
    ("/help me a lot", t("en", "help")),
    ("/list everything", "This chat follows: cs.DC (Distributed"),
    ("/status of everything", "Last batch seen"),
    ("/time 08:30 UTC and more", t("en", "time_usage")),
    ("/lang en zh", "Use /lang CODE"),
    ("/subscribe cs.DC cs.XX", t("en", "already", cats="cs.DC") + " " + unknown("cs.XX")),
    ("/unsubscribe cs.DC nonsense", unknown("nonsense")),
    # garbled
    ("/subscribe c$.D©", unknown("c$.D©") + ": did you mean cs.DC"),
    ("/subscribe cs.DCC", unknown("cs.DCC") + ": did you mean cs.DC"),
    ("/unsubscribe ..::", unknown("..::")),
    ("/time 25:61", "“25:61” is not a time"),
    ("/time 8-30", "“8-30” is not a time"),
    ("/time 08:30 Mars/Olympus", "“Mars/Olympus” is not a time zone"),
    ("/lang e_n_g", "“e_n_g” is not a language"),
    ("/today %%%", unknown("%%%")),
    ("/subscribe <b>cs.DC</b>", unknown("<b>cs.DC<")),
    ("/lang <script>alert(1)</script>", "“<script>alert(1)</script>” is not a language"),
    ("/subscribe cs.DC\u0000\u0007", t("en", "already", cats="cs.DC")),
    ("/title bell\u0007", t("en", "title_bad_chars")),
    # huge
    ("/subscribe " + "a" * HUGE, unknown("a" * 37 + "...")),
    ("/unsubscribe " + "x" * HUGE, unknown("x" * 37 + "...")),
    ("/time " + "9" * HUGE, "“" + "9" * 37 + "...” is not a time"),
    ("/time 08:30 " + "Z" * HUGE, "“" + "Z" * 37 + "...” is not a time zone"),
    ("/lang " + "z" * HUGE, "“" + "z" * 37 + "...” is not a language"),
    ("/title " + "t" * HUGE, t("en", "title_too_long", n=HUGE, limit=60)),
    ("/subscribe " + "cs.DC " * 1700, t("en", "already", cats="cs.DC")),
    ("/today " + "cs.DC " * 1700, DIGEST),
    ("/" + "a" * HUGE, "Unknown command /" + "a" * 29 + "..."),
    ("/unknowncommand " + "y" * HUGE, "Unknown command /unknowncommand"),
    # non-Latin and natural input
    ("/subscribe 分布式", unknown("分布式")),
    ("/unsubscribe علوم", unknown("علوم")),
    ("/subscribe ру́сский", "“ру"),
    ("/today 😀", unknown("😀")),
    ("/time 八点", "“八点” is not a time"),
    ("/lang 火星语", "“火星语” is not a language"),
    ("/ｓｕｂｓｃｒｉｂｅ cs.DC", t("en", "already", cats="cs.DC")),
    ("／subscribe cs.dc，cs.DC", t("en", "already", cats="cs.DC")),
    ("/subscrib cs.DC", "Unknown command /subscrib. Did you mean /subscribe?"),
    ("/подписка cs.DC", "Unknown command /подписка"),
    ("/", t("en", "empty_command")),
    ("//subscribe cs.DC", "Unknown command //subscribe. Did you mean /subscribe?"),
    # not commands at all
    ("", IGNORED),
    ("   ", IGNORED),
    ("just chatting about cs.DC", IGNORED),
]

MUTATING_PREFIXES = ("/subscribe", "/unsubscribe", "/time", "/lang", "/title")

CONTEXTS: dict[str, dict[str, Any]] = {
    "private": {},
    "group admin": {"chat": group_chat(-4012345678), "sender": user(111)},
    "group member": {"chat": group_chat(-4012345678), "sender": user(222)},
    "forum topic": {"chat": supergroup_chat(-1001600000001, forum=True), "sender": user(111), "thread_id": 9},
    "channel": {"chat": channel_chat(-1001999888777), "kind": "channel_post"},
}


async def seed(bot: RunningBot, context: dict[str, Any]) -> None:
    """Subscribe the chat to cs.DC as an admin, so there is state that must not change."""
    admin_context = {**context, "sender": user(111)} if "sender" in context else context
    await bot.send(message_update("/subscribe cs.DC", **admin_context))


def expected_reply(text: str, expected: str | None, context_name: str) -> str | None:
    if expected is None:
        return None
    command = unicodedata.normalize("NFKC", text)
    if context_name == "group member" and command.startswith(MUTATING_PREFIXES):
        return t("en", "not_admin")
    return expected


@pytest.mark.parametrize("context_name", list(CONTEXTS))
async def test_bad_input_corpus(tmp_path: Path, context_name: str) -> None:
    """Every malformed command gets its documented reply or none, and the settings stay as they were."""
    context = CONTEXTS[context_name]
    async with running_bot(tmp_path) as bot:
        bot.tg.set_member(-4012345678, 111, "administrator")
        bot.tg.set_member(-1001600000001, 111, "creator")
        await seed(bot, context)
        before = await bot.chats()
        assert len(before) == 1
        problems: list[str] = []
        with capture_logs() as logs:
            for text, expected in CASES:
                sent_before = len(bot.tg.sent)
                await bot.send(message_update(text, **context))
                replies = [m.visible for m in bot.tg.sent[sent_before:]]
                want = expected_reply(text, expected, context_name)
                shown = text[:40]
                if want is None and replies:
                    problems.append(f"{shown!r}: expected silence, got {replies[0][:80]!r}")
                elif want is not None and (not replies or not replies[0].startswith(want)):
                    problems.append(f"{shown!r}: expected {want[:60]!r}, got {replies[:1]!r}")
                if await bot.chats() != before:
                    problems.append(f"{shown!r}: the stored settings changed")
        assert problems == []
        assert bot.tg.rejected == []
        assert [e for e in logs if e["event"] == "telegram_handler_error"] == []
        if context.get("thread_id"):
            assert {m.message_thread_id for m in bot.tg.sent} == {9}


async def test_update_kinds_we_do_not_handle(tmp_path: Path) -> None:
    """Updates the bot does not handle (inline queries, reactions, service messages, media) are ignored
    without error even when Telegram delivers them, and a callback it never made changes nothing."""
    chat = group_chat(-4012345678)
    base = message_update("x", chat=chat)["message"]
    odd: list[dict[str, Any]] = [
        {"callback_query": {"id": "1", "from": user(), "chat_instance": "1", "data": "/subscribe cs.DC"}},
        {"inline_query": {"id": "1", "from": user(), "query": "/subscribe cs.DC", "offset": ""}},
        {"message": {k: v for k, v in base.items() if k != "text"} | {"sticker": {
            "file_id": "f", "file_unique_id": "u", "width": 1, "height": 1, "is_animated": False,
            "is_video": False, "type": "regular"}}},
        {"message": {k: v for k, v in base.items() if k != "text"} | {"caption": "/subscribe cs.DC",
            "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]}},
        {"message": {k: v for k, v in base.items() if k != "text"} | {"new_chat_title": "Renamed"}},
        {"message": {k: v for k, v in base.items() if k != "text"} | {"left_chat_member": user(5)}},
        {"message": base | {"is_automatic_forward": True, "text": "/unsubscribe all"}},
        {"message_reaction": {"chat": chat, "message_id": 1, "date": 1, "old_reaction": [],
                              "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        {"chat_member": {"chat": chat, "from": user(), "date": 1,
                         "old_chat_member": {"user": user(5), "status": "member"},
                         "new_chat_member": {"user": user(5), "status": "left"}}},
    ]  # fmt: skip
    async with running_bot(tmp_path, fake_options={"honour_allowed_updates": False}) as bot:
        bot.tg.set_member(chat["id"], 111, "administrator")
        await bot.send(message_update("/subscribe cs.DC", chat=chat, sender=user(111)))
        before = await bot.chats()
        sent = len(bot.tg.sent)
        with capture_logs() as logs:
            for update in odd:
                bot.tg.add_update({"update_id": 0, **update})
            await bot.settle()
        assert len(bot.tg.sent) == sent
        assert await bot.chats() == before
        assert [e for e in logs if e["event"] == "telegram_handler_error"] == []
