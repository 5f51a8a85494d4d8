"""Chat commands, free of any platform: (caller, text) → a reply value.

Adapters parse nothing themselves: they pass the message text to ``Commands.handle`` and render
what comes back — a ``TextReply`` (plain text, escaped by the adapter) or a ``DigestReply``.
After each digest message the platform acknowledged, they call ``Commands.delivered`` so the
chat's ledger records exactly what arrived. A rejected command changes nothing in the store.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import structlog

from bot import taxonomy
from bot.engine import DigestEngine
from bot.errors import BadInput, SourceUnavailable, StaleFeed, clip
from bot.i18n import LANGUAGE_HINT, language_name, normalize_language, t
from bot.models import ChatKey, ChatSettings, Digest
from bot.settings import Settings
from bot.store.base import Store

log = structlog.get_logger(__name__)

MAX_CATEGORIES = 100
MAX_TEXT = 4096
_HHMM = re.compile(r"^([01]?\d|2[0-3])[:：.h]([0-5]\d)$")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?$")


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a command: the chat, whether they may change its settings, their UI language."""

    chat: ChatKey
    can_manage: bool = True
    user_language: str | None = None


@dataclass(frozen=True, slots=True)
class TextReply:
    """A plain-text reply; ``ok`` is False when it reports a rejected command."""

    text: str
    ok: bool = True


@dataclass(frozen=True, slots=True)
class DigestReply:
    """A digest to render, with an optional one-line notice (e.g. a stale feed)."""

    digest: Digest
    notice: str | None = None


Reply = TextReply | DigestReply


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    description: dict[str, str]


COMMANDS: list[CommandInfo] = [
    CommandInfo("start", {"en": "What this bot does", "zh": "机器人简介"}),
    CommandInfo("help", {"en": "List the commands", "zh": "命令列表"}),
    CommandInfo(
        "subscribe", {"en": "Follow arXiv categories, e.g. cs.DC", "zh": "订阅 arXiv 分类，如 cs.DC"}
    ),
    CommandInfo("unsubscribe", {"en": "Stop following categories (or all)", "zh": "取消订阅分类（或 all）"}),
    CommandInfo("list", {"en": "Categories this chat follows", "zh": "本聊天订阅的分类"}),
    CommandInfo("today", {"en": "The latest papers now", "zh": "立即查看最新论文"}),
    CommandInfo(
        "time",
        {"en": "Daily push time, e.g. 08:30 Asia/Shanghai", "zh": "每日推送时间，如 08:30 Asia/Shanghai"},
    ),
    CommandInfo("lang", {"en": "Summary language, e.g. zh or en", "zh": "摘要语言，如 zh 或 en"}),
    CommandInfo(
        "status", {"en": "Last batch, next push, feed health", "zh": "最近一批、下次推送、订阅源状态"}
    ),
]
NAMES = frozenset(c.name for c in COMMANDS)
MUTATING = frozenset({"subscribe", "unsubscribe", "time", "lang"})

OnChange = Callable[[ChatSettings], Awaitable[datetime | None]]
"""Called after a chat's settings change; returns the chat's next push time, if scheduled."""


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, list[str]] | None:
    """``"/today@ourbot cs.DC"`` → ``("today", ["cs.DC"])``; None for plain text or another bot's command."""
    text = text.strip()
    if not text.startswith("/"):
        return None
    head, *args = text.split()
    match = _COMMAND.match(head)
    if match is None:
        return None
    name, target = match.group(1).lower(), match.group(2)
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name, args


def parse_time(text: str) -> str | None:
    """``"8:30"`` → ``"08:30"``; None if not a 24-hour time."""
    match = _HHMM.match(text.strip())
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def parse_zone(text: str) -> str | None:
    """An IANA zone name, matched case-insensitively; None if unknown."""
    if len(text) > 64:
        return None
    return _zones().get(text.strip().lower())


async def _no_schedule(settings: ChatSettings) -> datetime | None:
    return None


class Commands:
    """Every chat command, on one store and one engine."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        engine: DigestEngine,
        on_change: OnChange = _no_schedule,
    ) -> None:
        self._settings = settings
        self._store = store
        self._engine = engine
        self._on_change = on_change

    # -- entry points for adapters --------------------------------------------------------------------
    async def handle(self, caller: Caller, text: str, bot_username: str | None = None) -> Reply | None:
        """The reply to one message; None when the text is not a command for us."""
        parsed = parse_command(text[: MAX_TEXT * 4], bot_username)
        if parsed is None:
            return None
        name, args = parsed
        current = await self._store.get_chat(caller.chat)
        lang = self._reply_language(current, caller)
        if name not in NAMES:
            return TextReply(t(lang, "unknown_command", cmd="/" + clip(name, 32)), ok=False)
        if name in MUTATING and not caller.can_manage:
            return TextReply(t(lang, "not_admin"), ok=False)
        handler = getattr(self, f"cmd_{name}")
        reply: Reply = await handler(caller, args, current, lang)
        log.info("command", chat=str(caller.chat), command=name, ok=getattr(reply, "ok", True))
        return reply

    async def delivered(self, chat: ChatKey, paper_ids: Sequence[str]) -> None:
        """Record papers a platform acknowledged as delivered to ``chat``."""
        if paper_ids:
            await self._store.mark_received(chat, paper_ids)

    async def chat_removed(self, chat: ChatKey) -> None:
        """The bot left, was blocked, or the chat is gone: unsubscribe it (its ledger stays)."""
        if await self._store.delete_chat(chat):
            log.info("chat_unsubscribed", chat=str(chat), reason="removed")

    async def chat_migrated(self, old: ChatKey, new: ChatKey) -> None:
        """The chat has a new id: move its subscription and ledger."""
        moved = await self._store.migrate_chat(old, new)
        log.info("chat_migrated", old=str(old), new=str(new), had_settings=moved)

    # -- helpers --------------------------------------------------------------------------------------
    def _reply_language(self, current: ChatSettings | None, caller: Caller) -> str:
        if current is not None:
            return current.language
        if caller.user_language:
            return normalize_language(caller.user_language) or self._settings.default_language
        return self._settings.default_language

    def _fresh(self, caller: Caller, lang: str) -> ChatSettings:
        return ChatSettings(
            chat=caller.chat,
            push_time=self._settings.default_push_time,
            timezone=self._settings.default_timezone,
            language=lang,
        )

    async def _save(self, settings: ChatSettings) -> datetime | None:
        await self._store.put_chat(settings)
        return await self._on_change(settings)

    # -- commands -------------------------------------------------------------------------------------
    async def cmd_start(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        return TextReply(t(lang, "start"))

    async def cmd_help(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        return TextReply(t(lang, "help"))

    async def cmd_subscribe(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if not args:
            return TextReply(t(lang, "need_args_subscribe"), ok=False)
        try:
            wanted = taxonomy.parse_categories(args)
        except BadInput as error:
            return TextReply(str(error), ok=False)
        settings = current or self._fresh(caller, lang)
        added = [c for c in wanted if c not in settings.categories]
        if not added:
            return TextReply(t(lang, "already", cats=", ".join(wanted)))
        categories = settings.categories + tuple(added)
        if len(categories) > MAX_CATEGORIES:
            return TextReply(t(lang, "too_many_categories", n=MAX_CATEGORIES, m=len(categories)), ok=False)
        await self._save(replace(settings, categories=categories))
        return TextReply(t(lang, "subscribed", added=", ".join(added), all=", ".join(categories)))

    async def cmd_unsubscribe(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if not args:
            return TextReply(t(lang, "need_args_unsubscribe"), ok=False)
        if len(args) == 1 and args[0].lower() in {"all", "*"}:
            if current is not None and current.categories:
                await self._save(replace(current, categories=()))
            return TextReply(t(lang, "unsubscribed_all"))
        try:
            unwanted = taxonomy.parse_categories(args)
        except BadInput as error:
            return TextReply(str(error), ok=False)
        following = current.categories if current else ()
        absent = [c for c in unwanted if c not in following]
        if absent:
            shown = ", ".join(following) or "—"
            return TextReply(t(lang, "not_following", cats=", ".join(absent), all=shown), ok=False)
        assert current is not None
        rest = tuple(c for c in following if c not in unwanted)
        await self._save(replace(current, categories=rest))
        tail = t(lang, "following", all=", ".join(rest), **self._prefs(current)) if rest else ""
        return TextReply(t(lang, "unsubscribed", removed=", ".join(unwanted), rest=tail).strip())

    def _prefs(self, settings: ChatSettings) -> dict[str, str]:
        return {
            "time": settings.push_time,
            "zone": settings.timezone,
            "lang": language_name(settings.language),
        }

    async def cmd_list(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if current is None or not current.categories:
            return TextReply(t(lang, "following_none"))
        return TextReply(t(lang, "following", all=", ".join(current.categories), **self._prefs(current)))

    async def cmd_today(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if args:
            try:
                categories = tuple(taxonomy.parse_categories(args))
            except BadInput as error:
                return TextReply(str(error), ok=False)
            if len(categories) > MAX_CATEGORIES:
                return TextReply(
                    t(lang, "too_many_categories", n=MAX_CATEGORIES, m=len(categories)), ok=False
                )
        elif current is not None and current.categories:
            categories = current.categories
        else:
            return TextReply(t(lang, "today_needs_category"), ok=False)
        include = current.include_replacements if current else False
        try:
            digest = await self._engine.build(categories, None, lang, include_replacements=include)
        except StaleFeed as error:
            return TextReply(t(lang, "stale", shown=error.shown, expected=error.expected), ok=False)
        except SourceUnavailable:
            return TextReply(t(lang, "source_down"), ok=False)
        return DigestReply(digest)

    async def cmd_time(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if not args:
            return TextReply(t(lang, "time_usage"), ok=False)
        if len(args) > 2:
            return TextReply(t(lang, "time_usage"), ok=False)
        push_time = parse_time(args[0])
        if push_time is None:
            return TextReply(t(lang, "bad_time", given=clip(args[0])), ok=False)
        settings = current or self._fresh(caller, lang)
        zone = settings.timezone
        if len(args) == 2:
            found = parse_zone(args[1])
            if found is None:
                return TextReply(t(lang, "bad_zone", given=clip(args[1])), ok=False)
            zone = found
        updated = replace(settings, push_time=push_time, timezone=zone)
        due = await self._save(updated)
        if due is None:
            return TextReply(t(lang, "time_set_plain", time=push_time, zone=zone))
        shown = due.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
        return TextReply(t(lang, "time_set", time=push_time, zone=zone, next=shown))

    async def cmd_lang(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if len(args) != 1:
            return TextReply(t(lang, "lang_usage", hint=LANGUAGE_HINT), ok=False)
        code = normalize_language(args[0])
        if code is None:
            return TextReply(t(lang, "bad_lang", given=clip(args[0])), ok=False)
        settings = current or self._fresh(caller, code)
        await self._save(replace(settings, language=code))
        return TextReply(t(code, "lang_set", lang=language_name(code)))

    async def cmd_status(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        status = await self._engine.feed_status()
        if status is None:
            last, feed, counts = t(lang, "status_none"), t(lang, "status_none"), ""
        else:
            last = status.listing_date.isoformat()
            feed = (
                t(lang, "feed_stale", shown=status.listing_date, expected=status.expected)
                if status.stale
                else t(lang, "feed_ok")
            )
            mine = current.categories if current else ()
            counts = "".join(f"  {c}: {status.counts[c]}\n" for c in mine if c in status.counts)
        due = await self._store.get_due(caller.chat)
        if current is None or not current.categories:
            next_push = t(lang, "not_scheduled")
        elif due is None:
            next_push = "—"
        else:
            next_push = datetime.fromtimestamp(due, ZoneInfo(current.timezone)).strftime("%Y-%m-%d %H:%M %Z")
        return TextReply(t(lang, "status", last=last, counts=counts, next=next_push, feed=feed))
