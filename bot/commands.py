"""Chat commands, free of any platform: (caller, text) → a reply value.

Adapters parse nothing themselves: they pass the message text to ``Commands.handle`` and render
what comes back — a ``TextReply`` (plain text, escaped by the adapter) or a ``DigestReply``.
After each digest message the platform acknowledged, they call ``Commands.delivered`` with the ids
of the papers shown in full in it, so the chat's ledger records exactly what arrived (papers a
digest only counts stay reachable with ``/more``). A rejected command changes nothing in the store.

Buttons are text commands too: a platform turns ``like:<id>``, ``dislike:<id>`` and
``more:<YYYY-MM-DD>`` into ``/like <id>``, ``/dislike <id>`` and ``/more <YYYY-MM-DD>`` and passes
them to ``handle`` with the caller of the chat the button's message is in.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, available_timezones

import structlog

from bot import filters, listing, taxonomy
from bot import paused as pauses
from bot.engine import BatchStatus, DigestEngine, parsed_filter
from bot.errors import BatchNotReady, SourceError, UnknownCategory, clip
from bot.i18n import (
    LANGUAGES,
    format_moment,
    is_chinese,
    join_clauses,
    join_list,
    language_name,
    normalize_language,
    primary,
    t,
    template,
    utc_offset,
)
from bot.models import (
    DEFAULT_TYPES,
    DISLIKE,
    LIKE,
    ChatKey,
    ChatSettings,
    Digest,
    Feedback,
    Selection,
    canonical_types,
)
from bot.pages import MORE_DAYS, last_digest, move_chat, remember_digest
from bot.ranking import interest_words
from bot.render import category_name, default_title
from bot.settings import MAX_TOP, Settings
from bot.store import as_unavailable
from bot.store.base import Store

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = structlog.get_logger(__name__)

MAX_CATEGORIES = 100
MAX_TEXT = 4096
MAX_TITLE = 60
"""Longest digest title accepted, in characters."""
MAX_TOKENS = 2000
"""Category arguments looked at; past this many the rest are not even split."""
_HHMM = re.compile(r"^([01]?\d|2[0-3])[:：.h]([0-5]\d)$")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?$")
_ADDRESSED = re.compile(r"^/+[^@\s]*@([A-Za-z0-9_]{1,64})$")
_CATEGORY_SEPARATORS = re.compile(r"[\s,+;、，；/|。]+")
_UNKNOWN_SHOWN = 3
_CLEAR = frozenset({"clear", "none", "reset", "default", "清除", "清空", "默认", "重置"})


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
    """A command of the menus (Telegram's command list, Discord's slash commands)."""

    name: str

    def description(self, language: str) -> str:
        """The command's one-line description in ``language``."""
        return t(language, f"cmd_{self.name}")


COMMANDS: list[CommandInfo] = [
    CommandInfo(name)
    for name in (
        "start",
        "help",
        "subscribe",
        "unsubscribe",
        "list",
        "today",
        "more",
        "interests",
        "like",
        "dislike",
        "filter",
        "types",
        "top",
        "time",
        "lang",
        "title",
        "status",
    )
]
NAMES = frozenset(c.name for c in COMMANDS)
MUTATING = frozenset(
    {"subscribe", "unsubscribe", "time", "lang", "title", "interests", "filter", "types", "top"}
)
"""Commands that change a chat's settings: in groups, for admins only."""
SHOWABLE = frozenset({"interests", "filter", "types", "top"})
"""Settings commands that anyone may send without an argument, to see the setting."""
VOTING = frozenset({"like", "dislike"})
"""Anyone may vote (a group's shared taste); clearing the chat's votes is for admins."""
RAW_ARGUMENT = frozenset({"title", "interests", "filter"})
"""Commands that take the rest of the message as one argument, exactly as written."""
MAX_INTERESTS = 300
"""Longest interests text accepted, in characters."""
VOTES_SHOWN = 20
"""Votes listed by ``/like`` or ``/dislike`` alone; the rest are counted."""
_ALL = frozenset({"all", "全部", "所有"})
_TYPE_NAMES = {
    "new": "new",
    "cross": "cross",
    "cross-list": "cross",
    "cross-lists": "cross",
    "crosslist": "cross",
    "crosslists": "cross",
    "replace": "replace",
    "replaces": "replace",
    "replaced": "replace",
    "replacement": "replace",
    "replacements": "replace",
    "replace-cross": "replace",
    "updated": "replace",
    "新": "new",
    "新论文": "new",
    "交叉": "cross",
    "交叉列表": "cross",
    "更新": "replace",
    "新版本": "replace",
}
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z]+(?:-[a-z]+)*(?:\.[a-z]{2})?/\d{7}"
_PAPER_ID = re.compile(rf"(?:arxiv:)?(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?", re.IGNORECASE | re.ASCII)
_PAPER_URL = re.compile(
    rf"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<id>{_NEW_ID}|{_OLD_ID})"
    r"(?:v\d+)?(?:\.pdf)?/?(?:[?#]\S*)?",
    re.IGNORECASE | re.ASCII,
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

OnChange = Callable[[ChatSettings], Awaitable[datetime | None]]
"""Called after a chat's settings change; returns the chat's next push time, if scheduled."""
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, list[str]] | None:
    """``"/today@ourbot cs.DC"`` → ``("today", ["cs.DC"])``; None for plain text or another bot's command.

    The command word is read in any width (``／ｓｕｂｓｃｒｉｂｅ`` is ``/subscribe``) and any case.
    Anything else starting with ``/`` comes back as typed, lower-cased, without its slashes: ``""``
    for ``/`` or ``//``, ``"/subscribe"`` for ``//subscribe``, so the caller can answer it.
    """
    text = text.strip()
    if not text:
        return None
    head, *args = text.split()
    head = unicodedata.normalize("NFKC", head[:200])
    if not head.startswith("/"):
        return None
    match = _COMMAND.match(head)
    if match is None:
        addressed = _ADDRESSED.match(head)
        if addressed and bot_username and addressed.group(1).lower() != bot_username.lower():
            return None
        word = head[1:].split("@", 1)[0] if addressed else head[1:]
        return clip(word.lower(), 32), args
    name, target = match.group(1).lower(), match.group(2)
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name, args


def command_rest(text: str) -> str:
    """The message after its command word, as written (inner line breaks kept)."""
    parts = text.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


_CHINESE_COMMANDS = {
    "开始": "start", "開始": "start", "帮助": "help", "幫助": "help", "订阅": "subscribe",
    "訂閱": "subscribe", "取消订阅": "unsubscribe", "取消訂閱": "unsubscribe", "退订": "unsubscribe",
    "退訂": "unsubscribe", "列表": "list", "今天": "today", "今日": "today", "更多": "more",
    "兴趣": "interests", "興趣": "interests", "关注": "interests", "關注": "interests", "喜欢": "like",
    "喜歡": "like", "点赞": "like", "點讚": "like", "不喜欢": "dislike", "不喜歡": "dislike",
    "筛选": "filter", "篩選": "filter", "过滤": "filter", "過濾": "filter", "类型": "types",
    "類型": "types", "篇数": "top", "篇數": "top", "时间": "time", "時間": "time", "语言": "lang",
    "語言": "lang", "标题": "title", "標題": "title", "状态": "status", "狀態": "status",
}  # fmt: skip
"""Commands as a Chinese reader may type them (``/订阅``), for "did you mean"."""


def suggest_command(word: str) -> str | None:
    """The command a typo most likely meant: ``subscrib`` → ``subscribe``, ``/today`` → ``today``,
    ``订阅`` → ``subscribe``."""
    word = word.strip("/").lower()
    if word in NAMES:
        return word
    if word in _CHINESE_COMMANDS:
        return _CHINESE_COMMANDS[word]
    found = difflib.get_close_matches(word, sorted(NAMES), n=1, cutoff=0.6)
    if found:
        return found[0]
    prefixed = [name for name in sorted(NAMES) if len(word) >= 3 and name.startswith(word)]
    return prefixed[0] if prefixed else None


def ascii_digits(text: str) -> str:
    """``text`` with the decimal digits of any script as ASCII digits (``٢٦٠٦`` → ``2606``)."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def parse_paper_id(text: str) -> str | None:
    """An arXiv id without version from what a user may paste: ``2606.12345``, ``2606.12345v2``,
    ``arXiv:2606.12345``, an abs, PDF or HTML link, an old-style ``hep-th/9901001``, in any width
    and with the digits of any script; None for anything else."""
    given = unicodedata.normalize("NFKC", text[:300]).strip().strip("<>()[]“”\"'「」")
    given = given.rstrip(",.;:!?。、").strip("<>()[]“”\"'「」")
    given = ascii_digits(given)
    match = _PAPER_ID.fullmatch(given) or _PAPER_URL.fullmatch(given)
    if match is None:
        return None
    found = match.group("id")
    if "/" not in found:
        return found
    archive, number = found.split("/", 1)
    return f"{archive.split('.', 1)[0].lower()}/{number}"


def could_exist(paper_id: str, now: datetime) -> bool:
    """False for a new-style id arXiv cannot have given yet (``2699.00001``: month 99; a month after
    ``now``'s), so nobody can make the bot ask arXiv about ids that cannot exist."""
    if "/" in paper_id:
        return True
    yymm = paper_id.split(".", 1)[0]
    month = int(yymm[2:])
    return 1 <= month <= 12 and int(yymm) <= int(now.strftime("%y%m"))


def parse_top(text: str) -> int | Literal["all"] | None:
    """A ``/top`` argument: a whole number from 1 to ``MAX_TOP``, or ``"all"``; None otherwise."""
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if value in _ALL:
        return "all"
    if re.fullmatch(r"\d{1,4}", value) and 1 <= int(value) <= MAX_TOP:
        return int(value)
    return None


def parse_types(args: Sequence[str]) -> tuple[tuple[str, ...], str | None]:
    """``/types`` arguments as announce types in canonical order, and the first word that is none
    (``(("new", "cross"), None)``; ``((), "foo")``)."""
    found: list[str] = []
    for token in category_tokens(args)[:50]:
        kind = _TYPE_NAMES.get(token.lower())
        if kind is None:
            return (), token
        found.append(kind)
    return canonical_types(found), None


def mostly_latin(text: str) -> bool:
    """True when at least 80% of the letters of ``text`` are Latin (English, French, German…);
    interests in another script match English papers only once translated."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    latin = sum(1 for c in letters if ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF)
    return latin >= 0.8 * len(letters)


def interests_untranslated(interests: str, llm_enabled: bool) -> bool:
    """Whether ``interests`` match English papers only as written: in another script than Latin,
    with no LLM to translate them (the reply then says ``interests_untranslated``)."""
    return bool(interests) and not llm_enabled and not mostly_latin(interests)


def asks_admin(name: str, args: Sequence[str]) -> bool:
    """Whether command ``name`` with ``args`` changes the chat as a whole (its settings, or all of a
    group's votes): in groups only administrators may. Adapters ask who sent it only then."""
    if name in MUTATING:
        return not (name in SHOWABLE and not args)
    if name in VOTING and args:
        return unicodedata.normalize("NFKC", args[0]).lower() in _CLEAR
    return False


def parse_time(text: str) -> str | None:
    """``"8:30"``, ``"０８：３０"`` → ``"08:30"``; None if not a 24-hour time."""
    match = _HHMM.match(ascii_digits(unicodedata.normalize("NFKC", text).strip()))
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2)}"


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def parse_zone(text: str) -> str | None:
    """An IANA zone name, matched case-insensitively and in any width (``Asia／Shanghai``)."""
    if len(text) > 64:
        return None
    return _zones().get(unicodedata.normalize("NFKC", text).strip().lower())


def parse_language(text: str) -> str | None:
    """A ``/lang`` argument as a language code (``ｚｈ`` → ``zh``), or None."""
    return normalize_language(unicodedata.normalize("NFKC", text))


def category_tokens(args: Sequence[str]) -> list[str]:
    """What was typed as categories, one per item: separated by spaces, commas, ``+``, ``;``, ``、``,
    ``/`` or ``|``, in any width (``cs.lg，cs.CV``; ``cs.DC、cs.LG``; ``ｃｓ．ＤＣ``)."""
    tokens: list[str] = []
    for arg in args:
        text = unicodedata.normalize("NFKC", arg[: MAX_TEXT * 4])
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c.isspace())
        tokens.extend(token for token in _CATEGORY_SEPARATORS.split(text) if token)
        if len(tokens) >= MAX_TOKENS:
            return tokens[:MAX_TOKENS]
    return tokens


@dataclass(frozen=True, slots=True)
class Unknown:
    """A token that is no arXiv category, with the closest codes."""

    given: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParsedCategories:
    """Category tokens sorted into canonical codes (in order, without repeats) and the unknown ones
    (only the first few carry suggestions; ``unknown_count`` counts them all)."""

    found: tuple[str, ...]
    unknown: tuple[Unknown, ...]
    unknown_count: int


def resolve_categories(args: Sequence[str]) -> ParsedCategories:
    """``["cs.lg，cs.DCC"]`` → found ``(cs.LG,)``, unknown ``cs.DCC`` with ``cs.DC`` suggested.

    A category written with a hyphen or an underscore for its dot (``cs-LG``, ``math_AG``) is that
    category; so is an archive followed by what makes it a category (``cs LG``, ``physics optics``),
    not the whole archive and an unknown word."""
    found: list[str] = []
    unknown: list[Unknown] = []
    count = 0
    tokens = category_tokens(args)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        code = _category(token)
        if code in taxonomy.ARCHIVES and i < len(tokens) and _category(tokens[i]) is None:
            joined = _category(f"{code}.{tokens[i]}")
            if joined is not None:
                code = joined
                i += 1
        if code is None:
            count += 1
            if len(unknown) < _UNKNOWN_SHOWN:
                unknown.append(Unknown(shown(token), tuple(taxonomy.suggest(token))))
            continue
        if code not in found:
            found.append(code)
    return ParsedCategories(tuple(found), tuple(unknown), count)


def _category(token: str) -> str | None:
    """The category ``token`` names, or None; also when written with an underscore for a hyphen
    (``hep_th``) or with a hyphen or an underscore for its dot (``cs-LG``, ``math_AG``)."""
    token = token[: taxonomy.MAX_INPUT_LENGTH + 1]
    hyphens = token.replace("_", "-")
    head, separator, tail = hyphens.rpartition("-")
    spellings = [token, hyphens] + ([f"{head}.{tail}"] if separator and head and tail else [])
    for spelling in spellings:
        try:
            return taxonomy.normalize(spelling)
        except UnknownCategory:
            continue
    return None


def shown(text: str, limit: int = 40) -> str:
    """User input as quoted back: control characters dropped, whitespace collapsed, clipped."""
    visible = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    return clip(" ".join(visible.split()), limit)


def options_text(codes: Sequence[str], lang: str) -> str:
    """``cs.DC, cs.CC or cs.DS`` / ``cs.DC、cs.CC 或 cs.DS``."""
    if len(codes) <= 1:
        return "".join(codes)
    return join_list(codes[:-1], lang) + template(lang, "or") + codes[-1]


def unknown_text(item: Unknown, lang: str) -> str:
    """``“cs.DCC” is not an arXiv category: did you mean cs.DC?`` in ``lang``, as one sentence."""
    zh = is_chinese(lang)
    colon = "：" if zh else ": "
    if item.suggestions:
        hint = t(lang, "did_you_mean", options=options_text(item.suggestions, lang))
    else:
        hint = t(lang, "category_form") + ("。" if zh else ".")
    return t(lang, "unknown_category", given=f"“{item.given}”") + colon + hint


def unknown_categories_text(parsed: ParsedCategories, lang: str) -> str:
    """Every unknown category named: those with suggestions one sentence each, the others together
    with what a category looks like."""
    zh = is_chinese(lang)
    sentences = [unknown_text(item, lang) for item in parsed.unknown if item.suggestions]
    plain = [f"“{item.given}”" for item in parsed.unknown if not item.suggestions]
    if len(plain) == 1:
        sentences.append(unknown_text(Unknown(plain[0][1:-1], ()), lang))
    elif plain:
        head = t(lang, "unknown_categories", given=join_list(plain, lang))
        sentences.append(head + ("：" if zh else ": ") + t(lang, "category_form") + ("。" if zh else "."))
    more = parsed.unknown_count - len(parsed.unknown)
    if more > 0:
        sentences.append(t(lang, "unknown_more", n=more))
    return ("" if zh else " ").join(sentences)


def unknown_items_text(parsed: ParsedCategories, lang: str) -> str:
    """The unknown categories as a list: ``“cs.DCC” (did you mean cs.DC?), “xyz”``."""
    items = [
        t(lang, "unknown_item", given=item.given, options=options_text(item.suggestions, lang))
        if item.suggestions
        else f"“{item.given}”"
        for item in parsed.unknown
    ]
    more = parsed.unknown_count - len(parsed.unknown)
    text = join_list(items, lang)
    if more > 0:
        text += ("" if is_chinese(lang) else " ") + t(lang, "unknown_more", n=more).rstrip("。.")
    return text


def title_problem(title: str) -> str | None:
    """Why ``title`` cannot be a digest title (a message key), or None when it can."""
    for char in title:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (category == "Cf" and char != "\u200d"):
            return "title_bad_chars"
    if len(title) > MAX_TITLE:
        return "title_too_long"
    return None


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
        clock: Clock = _utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._engine = engine
        self._on_change = on_change
        self._clock = clock
        self._metrics = metrics

    # -- entry points for adapters --------------------------------------------------------------------
    async def handle(self, caller: Caller, text: str, bot_username: str | None = None) -> Reply | None:
        """The reply to one message; None when the text is not a command for us.

        While the store cannot be used, every command gets a short "try again in a minute" in the
        chat's language (the caller's, or the default, when the chat's settings cannot be read).
        """
        text = text[: MAX_TEXT * 4]
        parsed = parse_command(text, bot_username)
        if parsed is None:
            return None
        name, args = parsed
        lang = self._reply_language(None, caller)
        try:
            current = await self._store.get_chat(caller.chat)
            lang = self._reply_language(current, caller)
            if name not in NAMES:
                return self._unknown_command(name, lang)
            if asks_admin(name, args) and not caller.can_manage:
                key = "not_admin_discord" if caller.chat.platform == "discord" else "not_admin"
                return TextReply(t(lang, key), ok=False)
            if name in RAW_ARGUMENT:
                rest = command_rest(text)
                args = [rest] if rest else []
            handler = getattr(self, f"cmd_{name}")
            reply: Reply = await handler(caller, args, current, lang)
        except Exception as error:
            failure = as_unavailable(error)
            if failure is None:
                raise
            log.warning("command_store_unavailable", chat=str(caller.chat), command=name, error=str(failure))
            return TextReply(t(lang, "store_down"), ok=False)
        log.info("command", chat=str(caller.chat), command=name, ok=getattr(reply, "ok", True))
        return reply

    async def language_of(self, caller: Caller) -> str:
        """The language replies to ``caller`` are written in (the caller's or the default while the
        store cannot be read)."""
        try:
            current = await self._store.get_chat(caller.chat)
        except Exception as error:
            if as_unavailable(error) is None:
                raise
            current = None
        return self._reply_language(current, caller)

    async def hint(self, caller: Caller, key: str) -> TextReply:
        """A fixed message (``not_a_command``, ``not_utf8``, ``failed``, ``start_terminal``…) in the
        caller's language."""
        return TextReply(
            t(await self.language_of(caller), key), ok=key not in ("not_a_command", "not_utf8", "failed")
        )

    async def delivered(self, chat: ChatKey, paper_ids: Sequence[str]) -> None:
        """Record one digest message a platform acknowledged in ``chat``, and the papers shown in
        full in it (those it counts but does not show stay reachable with ``/more``)."""
        if paper_ids:
            await self._store.mark_received(chat, paper_ids)
        self.replied(chat)

    def replied(self, chat: ChatKey, messages: int = 1) -> None:
        """Count ``messages`` reply messages the platform acknowledged in ``chat``."""
        if self._metrics is not None:
            self._metrics.messages_sent.labels(chat.platform).inc(messages)

    async def chat_removed(self, chat: ChatKey) -> None:
        """The bot left, was blocked, or the chat is gone: unsubscribe it (its ledger stays)."""
        if await self._store.delete_chat(chat):
            log.info("chat_unsubscribed", chat=str(chat), reason="removed")

    async def chat_may_post(self, chat: ChatKey) -> bool:
        """The platform says the bot may post in ``chat`` again: end its pause (if it was paused)
        and make it due now, so what it missed arrives without waiting for the backoff."""
        was = await pauses.resume(self._store, chat)
        if was is None:
            return False
        settings = await self._store.get_chat(chat)
        if settings is not None and settings.categories:
            await self._store.set_due(chat, self._clock().timestamp())
        log.info("chat_rights_back", chat=str(chat), refused=was.attempts)
        return True

    async def chat_migrated(self, old: ChatKey, new: ChatKey) -> None:
        """The chat has a new id: move its subscription and ledger."""
        moved = await move_chat(self._store, old, new)
        log.info("chat_migrated", old=str(old), new=str(new), had_settings=moved)

    # -- helpers --------------------------------------------------------------------------------------
    def _reply_language(self, current: ChatSettings | None, caller: Caller) -> str:
        if current is not None:
            return current.language
        if caller.user_language:
            return normalize_language(caller.user_language) or self._settings.default_language
        return self._settings.default_language

    async def _selection(self, chat: ChatKey, settings: ChatSettings | None) -> Selection:
        """What ``chat`` wants of a day: its settings (or the defaults) and its 👍/👎."""
        feedback = await self._store.get_feedback(chat)
        own = settings or ChatSettings(chat)
        return own.selection(feedback, self._settings.default_top)

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

    def _unknown_command(self, name: str, lang: str) -> TextReply:
        if not name.strip("/"):
            return TextReply(t(lang, "empty_command"), ok=False)
        typed = "/" + shown(name, 32)
        suggestion = suggest_command(name)
        if suggestion is None:
            return TextReply(t(lang, "unknown_command", cmd=typed), ok=False)
        return TextReply(t(lang, "unknown_command_suggest", cmd=typed, suggestion="/" + suggestion), ok=False)

    def _zone_text(self, zone: str, lang: str) -> str:
        """``Asia/Shanghai, UTC+8`` (Chinese ``Asia/Shanghai，UTC+8``); just ``UTC`` for UTC."""
        try:
            offset = utc_offset(self._clock().astimezone(ZoneInfo(zone)))
        except (KeyError, ValueError):
            return zone
        if zone in ("UTC", "Etc/UTC", "Universal", "Zulu", "Etc/Zulu") or offset == zone:
            return offset
        return f"{zone}{'，' if is_chinese(lang) else ', '}{offset}"

    def _named(self, codes: Sequence[str], lang: str) -> str:
        """``cs.DC (Distributed, Parallel, and Cluster Computing), cs.LG (Machine Learning)``."""
        if is_chinese(lang):
            return join_list((f"{c}（{category_name(c, lang)}）" for c in codes), lang)
        return join_list((f"{c} ({category_name(c, lang)})" for c in codes), lang)

    def _following(self, settings: ChatSettings, lang: str) -> str:
        title = settings.title or default_title(settings.categories, lang)
        return t(
            lang,
            "following_nopush" if not settings.chat.pushed else "following",
            all=self._named(settings.categories, lang),
            time=settings.push_time,
            zone=self._zone_text(settings.timezone, lang),
            lang=language_name(settings.language),
        ) + ("\n" + t(lang, "title_current", title=title))

    def _categories_rejected(self, parsed: ParsedCategories, lang: str) -> TextReply:
        nothing = template(lang, "nothing_changed")
        return TextReply(
            unknown_categories_text(parsed, lang) + ("" if is_chinese(lang) else " ") + nothing, ok=False
        )

    # -- commands -------------------------------------------------------------------------------------
    async def cmd_start(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        return TextReply(t(lang, "start_terminal" if not caller.chat.pushed else "start"))

    async def cmd_help(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        return TextReply(t(lang, "help"))

    async def cmd_subscribe(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        parsed = resolve_categories(args)
        if not parsed.found and not parsed.unknown_count:
            return TextReply(t(lang, "need_args_subscribe"), ok=False)
        if not parsed.found:
            return self._categories_rejected(parsed, lang)
        settings = current or self._fresh(caller, lang)
        added = [c for c in parsed.found if c not in settings.categories]
        if not added:
            already = t(lang, "already", cats=join_list(parsed.found, lang))
            if parsed.unknown_count:
                sep = "" if is_chinese(lang) else " "
                return TextReply(already + sep + unknown_categories_text(parsed, lang), ok=False)
            return TextReply(already)
        categories = settings.categories + tuple(added)
        if len(categories) > MAX_CATEGORIES:
            return TextReply(t(lang, "too_many_categories", n=MAX_CATEGORIES, m=len(categories)), ok=False)
        await self._save(replace(settings, categories=categories))
        everything = join_list(categories, lang)
        if parsed.unknown_count:
            rejected = unknown_items_text(parsed, lang)
            return TextReply(
                t(
                    lang,
                    "subscribed_partly",
                    added=self._named(added, lang),
                    rejected=rejected,
                    all=everything,
                )
            )
        return TextReply(t(lang, "subscribed", added=self._named(added, lang), all=everything))

    async def cmd_unsubscribe(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        tokens = category_tokens(args)
        if not tokens:
            return TextReply(t(lang, "need_args_unsubscribe"), ok=False)
        if len(tokens) == 1 and tokens[0].lower() in {"all", "*", "全部", "所有"}:
            if current is not None and current.categories:
                await self._save(replace(current, categories=()))
            return TextReply(t(lang, "unsubscribed_all"))
        parsed = resolve_categories(tokens)
        if parsed.unknown_count:
            return self._categories_rejected(parsed, lang)
        following = current.categories if current else ()
        absent = [c for c in parsed.found if c not in following]
        if absent:
            shown_all = join_list(following, lang) or template(lang, "nothing_followed")
            return TextReply(t(lang, "not_following", cats=join_list(absent, lang), all=shown_all), ok=False)
        assert current is not None
        rest = tuple(c for c in following if c not in parsed.found)
        updated = replace(current, categories=rest)
        await self._save(updated)
        tail = self._following(updated, lang) if rest else ""
        return TextReply(t(lang, "unsubscribed", removed=join_list(parsed.found, lang), rest=tail).strip())

    async def cmd_list(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if current is None or not current.categories:
            return TextReply(t(lang, "following_none"))
        return TextReply(self._following(current, lang))

    async def cmd_today(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if args:
            parsed = resolve_categories(args)
            if parsed.unknown_count or not parsed.found:
                return self._categories_rejected(parsed, lang)
            categories = parsed.found
            if len(categories) > MAX_CATEGORIES:
                return TextReply(
                    t(lang, "too_many_categories", n=MAX_CATEGORIES, m=len(categories)), ok=False
                )
        elif current is not None and current.categories:
            categories = current.categories
        else:
            return TextReply(t(lang, "today_needs_category"), ok=False)
        selection = await self._selection(caller.chat, current)
        try:
            digest = await self._engine.build(categories, None, lang, selection)
        except SourceError as error:
            return self._unavailable(error, current, lang)
        await remember_digest(self._store, caller.chat, digest.listing_date)
        return DigestReply(self._own(digest, categories, current))

    def _unavailable(self, error: SourceError, current: ChatSettings | None, lang: str) -> TextReply:
        """A batch that cannot be had, in the chat's language: which batch, why and when arXiv is asked
        again (``not_ready_text``), or that arXiv cannot be reached."""
        if isinstance(error, BatchNotReady):
            zone = current.timezone if current else self._settings.default_timezone
            return TextReply(not_ready_text(lang, error, zone), ok=False)
        return TextReply(t(lang, "source_down"), ok=False)

    def _own(self, digest: Digest, categories: Sequence[str], current: ChatSettings | None) -> Digest:
        """``digest`` with the chat's title (for its own categories) and time zone."""
        if current is None:
            return replace(digest, timezone=self._settings.default_timezone)
        own = current.title if tuple(categories) == current.categories else ""
        return replace(digest, title=own, timezone=current.timezone)

    async def cmd_more(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        categories = current.categories if current else ()
        if not categories:
            return TextReply(t(lang, "more_needs_category"), ok=False)
        now = self._clock()
        latest = listing.latest_listing(now)
        if len(args) > 1:
            return TextReply(t(lang, "more_bad_date", given=shown(" ".join(args)), date=latest), ok=False)
        if args:
            day, problem = self._more_day(args[0], now, lang)
            if day is None:
                return TextReply(problem, ok=False)
        else:
            day = await last_digest(self._store, caller.chat)
            if day is None:
                return TextReply(t(lang, "more_no_digest"), ok=False)
        selection = await self._selection(caller.chat, current)
        try:
            ranked = await self._engine.build(categories, day, lang, selection, summarize=False)
        except SourceError as error:
            return self._unavailable(error, current, lang)
        received = await self._store.filter_received(caller.chat, ranked.paper_ids())
        page = ranked.next_page(received, selection.top)
        if not page.all_papers:
            return TextReply(t(lang, "more_done", date=day.isoformat(), n=len(ranked.all_papers)))
        page = await self._engine.summarize_full(page)
        await remember_digest(self._store, caller.chat, page.listing_date)
        return DigestReply(self._own(page, categories, current))

    def _more_day(self, text: str, now: datetime, lang: str) -> tuple[date | None, str]:
        """The listing date a ``/more`` names, or None and the reply saying why it cannot be paged."""
        latest = listing.latest_listing(now)
        given = ascii_digits(unicodedata.normalize("NFKC", text).strip())
        day: date | None = None
        if _ISO_DAY.fullmatch(given):
            try:
                day = date.fromisoformat(given)
            except ValueError:
                day = None
        if day is None:
            return None, t(lang, "more_bad_date", given=shown(text), date=latest)
        if day > latest:
            return None, t(lang, "more_future", date=day.isoformat())
        if not listing.is_listing_day(day):
            return None, t(lang, "more_not_listing", date=day.isoformat())
        if (now.date() - day).days > MORE_DAYS:
            return None, t(lang, "more_too_old", date=day.isoformat(), days=MORE_DAYS)
        return day, ""

    async def cmd_interests(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if not args:
            mine = current.interests if current else ""
            now = t(lang, "interests_current", text=mine) if mine else t(lang, "interests_none")
            return TextReply(now + "\n" + t(lang, "interests_usage"))
        raw = args[0]
        text = " ".join(raw.split())
        settings = current or self._fresh(caller, lang)
        if unicodedata.normalize("NFKC", text).lower() in _CLEAR:
            await self._save(replace(settings, interests=""))
            return TextReply(t(lang, "interests_cleared"))
        if title_problem(text) == "title_bad_chars":
            return TextReply(t(lang, "interests_bad_chars"), ok=False)
        if len(text) > MAX_INTERESTS:
            return TextReply(t(lang, "interests_too_long", n=len(text), limit=MAX_INTERESTS), ok=False)
        if not interest_words(text):
            return TextReply(t(lang, "interests_no_words", given=shown(text)), ok=False)
        await self._save(replace(settings, interests=text))
        reply = t(lang, "interests_set", text=text)
        if interests_untranslated(text, self._settings.llm_enabled):
            reply += "\n" + t(lang, "interests_untranslated")
        return TextReply(reply)

    async def cmd_like(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        return await self._vote(caller, args, current, lang, LIKE)

    async def cmd_dislike(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        return await self._vote(caller, args, current, lang, DISLIKE)

    async def _vote(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str, vote: int
    ) -> Reply:
        cmd = "/like" if vote == LIKE else "/dislike"
        mark = t(lang, "btn_like" if vote == LIKE else "btn_dislike")
        usage = t(lang, "vote_usage", cmd=cmd)
        if not args:
            return await self._votes(caller.chat, vote, lang, cmd, mark)
        if unicodedata.normalize("NFKC", args[0]).lower() in _CLEAR:
            if len(args) == 1:
                mine = [f for f in await self._store.get_feedback(caller.chat) if f.vote == vote]
                for each in mine:
                    await self._store.clear_feedback(caller.chat, each.paper_id)
                return TextReply(t(lang, "votes_cleared", n=len(mine), vote=mark))
            if len(args) > 2:
                return TextReply(usage, ok=False)
            paper_id = parse_paper_id(args[1])
            if paper_id is None:
                return TextReply(t(lang, "bad_paper_id", given=shown(args[1])), ok=False)
            had = next(
                (f for f in await self._store.get_feedback(caller.chat) if f.paper_id == paper_id), None
            )
            if had is None or had.vote != vote:
                return TextReply(t(lang, "vote_absent", vote=mark, id=paper_id), ok=False)
            await self._store.clear_feedback(caller.chat, paper_id)
            return TextReply(t(lang, "vote_removed", vote=mark, id=paper_id))
        if len(args) > 1:
            return TextReply(usage, ok=False)
        paper_id = parse_paper_id(args[0])
        if paper_id is None:
            return TextReply(t(lang, "bad_paper_id", given=shown(args[0])), ok=False)
        had = next((f for f in await self._store.get_feedback(caller.chat) if f.paper_id == paper_id), None)
        if had is not None and had.vote == vote:
            return TextReply(t(lang, "vote_same", vote=mark, id=paper_id))
        title, abstract = (had.title, had.abstract) if had is not None else ("", "")
        if not title and not abstract and not could_exist(paper_id, self._clock()):
            return TextReply(t(lang, "paper_unknown", id=paper_id), ok=False)
        if not title and not abstract:
            try:
                paper = await self._engine.find_paper(current.categories if current else (), paper_id)
            except SourceError:
                return TextReply(t(lang, "source_down"), ok=False)
            if paper is None:
                return TextReply(t(lang, "paper_unknown", id=paper_id), ok=False)
            title, abstract = paper.title, paper.abstract
        await self._store.set_feedback(
            caller.chat, Feedback(paper_id, vote, title, abstract, at=self._clock().timestamp())
        )
        key = "voted_like" if vote == LIKE else "voted_dislike"
        return TextReply(t(lang, key, id=paper_id, title=clip(" ".join(title.split()), 80)))

    async def _votes(self, chat: ChatKey, vote: int, lang: str, cmd: str, mark: str) -> TextReply:
        """The chat's 👍 (or 👎), newest first."""
        mine = [f for f in await self._store.get_feedback(chat) if f.vote == vote]
        if not mine:
            return TextReply(t(lang, "votes_none", vote=mark, cmd=cmd))
        sep = "：" if is_chinese(lang) else ": "
        lines = [t(lang, "votes_list", vote=mark, n=len(mine))]
        lines += [f"{f.paper_id}{sep}{clip(' '.join(f.title.split()), 70)}" for f in mine[:VOTES_SHOWN]]
        if len(mine) > VOTES_SHOWN:
            lines.append(t(lang, "votes_more", n=len(mine) - VOTES_SHOWN))
        lines.append(t(lang, "votes_hint", cmd=cmd))
        return TextReply("\n".join(lines))

    async def cmd_filter(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        usage = t(lang, "filter_usage", max=filters.MAX_TERMS, chars=filters.MAX_TERM_CHARS)
        if not args:
            mine = parsed_filter(current.filters) if current else None
            if mine is None:
                return TextReply(t(lang, "filter_none") + "\n" + usage)
            return TextReply(t(lang, "filter_current", filter=str(mine)) + "\n" + filter_text(mine, lang))
        raw = args[0]
        settings = current or self._fresh(caller, lang)
        if unicodedata.normalize("NFKC", raw).strip().lower() in _CLEAR:
            await self._save(replace(settings, filters=""))
            return TextReply(t(lang, "filter_cleared"))
        try:
            flt = filters.parse(raw)
        except filters.BadFilter as error:
            return TextReply(bad_filter_text(error, lang), ok=False)
        await self._save(replace(settings, filters=str(flt)))
        return TextReply(t(lang, "filter_set", filter=str(flt)) + "\n" + filter_text(flt, lang))

    async def cmd_types(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if not args:
            mine = current.types if current else DEFAULT_TYPES
            now = t(lang, "types_current", types=types_text(mine, lang))
            return TextReply(now + "\n" + t(lang, "types_usage"))
        types, unknown = parse_types(args)
        if unknown is not None or not types:
            return TextReply(t(lang, "types_bad", given=shown(unknown or " ".join(args))), ok=False)
        settings = current or self._fresh(caller, lang)
        await self._save(replace(settings, types=types))
        return TextReply(t(lang, "types_set", types=types_text(types, lang)))

    async def cmd_top(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        usage = t(lang, "top_usage", max=MAX_TOP)
        if not args:
            n = (current or ChatSettings(caller.chat)).top_or(self._settings.default_top)
            now = t(lang, "top_current_all") if n is None else t(lang, "top_current", n=n)
            return TextReply(now + "\n" + usage)
        top = parse_top(args[0]) if len(args) == 1 else None
        if top is None:
            return TextReply(t(lang, "top_bad", given=shown(" ".join(args)), max=MAX_TOP), ok=False)
        settings = current or self._fresh(caller, lang)
        await self._save(replace(settings, top=top))
        if top == "all":
            return TextReply(t(lang, "top_set_all"))
        return TextReply(t(lang, "top_set", n=top))

    async def cmd_time(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        if not args or len(args) > 2:
            return TextReply(t(lang, "time_usage"), ok=False)
        push_time = parse_time(args[0])
        if push_time is None:
            return TextReply(t(lang, "bad_time", given=shown(args[0])), ok=False)
        settings = current or self._fresh(caller, lang)
        zone = settings.timezone
        if len(args) == 2:
            found = parse_zone(args[1])
            if found is None:
                return TextReply(t(lang, "bad_zone", given=shown(args[1])), ok=False)
            zone = found
        updated = replace(settings, push_time=push_time, timezone=zone)
        due = await self._save(updated)
        zone_text = self._zone_text(zone, lang)
        if not caller.chat.pushed:
            return TextReply(t(lang, "time_set_nopush", time=push_time, zone=zone_text))
        if due is None:
            return TextReply(t(lang, "time_set_plain", time=push_time, zone=zone_text))
        next_push = format_moment(due.astimezone(ZoneInfo(zone)))
        return TextReply(t(lang, "time_set", time=push_time, zone=zone_text, next=next_push))

    async def cmd_lang(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        code = parse_language(" ".join(args[:4])) if 1 <= len(args) <= 4 else None
        if code is None and len(args) != 1:
            usage = t(lang, "lang_usage", hint=template(lang, "lang_hint"))
            if not args and current is not None:
                usage += "\n" + t(lang, "lang_current", lang=language_name(current.language))
            return TextReply(usage, ok=False)
        if code is None:
            return TextReply(t(lang, "bad_lang", given=shown(args[0])), ok=False)
        settings = current or self._fresh(caller, code)
        await self._save(replace(settings, language=code))
        key = "lang_set" if primary(code) in LANGUAGES else "lang_set_summaries"
        return TextReply(t(code, key, lang=language_name(code)))

    async def cmd_title(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        categories = current.categories if current else ()
        if not args:
            title = (current.title if current else "") or default_title(categories, lang)
            usage = t(lang, "title_usage")
            return TextReply(usage + "\n" + t(lang, "title_current", title=title), ok=False)
        raw = args[0].strip()
        problem = title_problem(raw)
        if problem is not None:
            return TextReply(t(lang, problem, n=len(raw), limit=MAX_TITLE), ok=False)
        title = " ".join(raw.split())
        settings = current or self._fresh(caller, lang)
        if unicodedata.normalize("NFKC", title).lower() in _CLEAR:
            await self._save(replace(settings, title=""))
            return TextReply(t(lang, "title_cleared", title=default_title(settings.categories, lang)))
        await self._save(replace(settings, title=title))
        return TextReply(t(lang, "title_set", title=title))

    async def cmd_status(
        self, caller: Caller, args: list[str], current: ChatSettings | None, lang: str
    ) -> Reply:
        mine = current.categories if current else ()
        zone = current.timezone if current else self._settings.default_timezone
        if mine:
            status = await self._engine.status(mine, current.selection() if current else None)
            include = current.include_replacements if current else False
            last = status.listing_date.isoformat() if status.listing_date else t(lang, "status_none")
            counts = status_counts(lang, status, include)
            feed = status_feed_text(lang, status, zone)
        else:
            overall = await self._engine.feed_status()
            last = overall.listing_date.isoformat() if overall else t(lang, "status_none")
            feed = t(lang, "feed_ok") if overall else t(lang, "status_none")
            counts = ""
        due = await self._store.get_due(caller.chat)
        if not caller.chat.pushed:
            next_push = t(lang, "no_push_here")
        elif current is None or not current.categories:
            next_push = t(lang, "not_scheduled")
        elif due is None:
            next_push = t(lang, "not_known")
        else:
            next_push = format_moment(datetime.fromtimestamp(due, ZoneInfo(current.timezone)))
        text = t(lang, "status", last=last, counts=counts, next=next_push, feed=feed)
        pause = await pauses.paused(self._store, caller.chat)
        if pause is not None:
            shown = ZoneInfo(zone)
            since, retry = (
                format_moment(datetime.fromtimestamp(at, shown)) for at in (pause.since, pause.retry_at)
            )
            text += "\n" + t(lang, "status_paused", since=since, retry=retry)
        return TextReply(text)


def _when(moment: datetime | None, zone: str, lang: str) -> str:
    return format_moment(moment.astimezone(ZoneInfo(zone))) if moment else t(lang, "not_known")


def not_ready_text(lang: str, error: BatchNotReady, zone: str) -> str:
    """``BatchNotReady`` in the chat's language: which batch, why (with the older batch the feed still
    shows, when known), and when it is asked for again."""
    cats = join_list(list(error.categories), lang)
    if error.reason == "stale" and error.shown is not None:
        why = t(lang, "why_stale_shown", cats=cats, shown=error.shown.isoformat())
    else:
        why = t(lang, f"why_{error.reason}", cats=cats)
    when = _when(error.retry_at, zone, lang)
    return t(lang, "not_ready", date=error.listing_date.isoformat(), why=why, when=when)


def status_counts(lang: str, status: BatchStatus, include_replacements: bool) -> str:
    """The count lines of ``/status``, as the chat's digest counts: per category, then (for several
    categories, deduplicated) the digest's total; ``36 new + 1 updated`` when replacements are shown."""
    if status.listing_date is None:
        return ""
    lines = []
    for category, (new, updated) in status.by_category.items():
        name = category_name(category, lang)
        if include_replacements and updated:
            lines.append(t(lang, "status_count_updated", category=category, name=name, n=new, m=updated))
        else:
            lines.append(t(lang, "status_count", category=category, name=name, n=new))
    text = "".join(f"  {line}\n" for line in lines)
    if len(status.by_category) > 1:
        if include_replacements and status.updated:
            text += t(lang, "status_total_updated", n=status.new, m=status.updated) + "\n"
        else:
            text += t(lang, "status_total", n=status.new) + "\n"
    return text


def status_feed_text(lang: str, status: BatchStatus, zone: str) -> str:
    """The feed line of ``/status``: up to date, not rebuilt yet, a batch not available (why, next
    check), or arXiv unreachable; and which categories came from the export API."""
    if status.unreachable:
        hosts = join_list(list(dict.fromkeys(host for host, _, _ in status.unreachable)), lang)
        text = t(lang, "feed_unreachable", hosts=hosts)
    elif status.pending and status.checked_at is None:
        text = t(lang, "feed_unchecked", date=status.expected.isoformat())
    elif status.pending and status.reason is not None:
        cats = status.stale if status.reason == "stale" and status.stale else status.pending
        why = t(lang, f"why_{status.reason}", cats=join_list(list(cats), lang))
        text = t(
            lang,
            "feed_pending",
            date=status.expected.isoformat(),
            cats=join_list(list(status.pending), lang),
            why=why,
            when=_when(status.next_check, zone, lang),
        )
    elif status.listing_date is not None and status.listing_date < status.expected:
        text = t(lang, "feed_stale", shown=status.listing_date, expected=status.expected)
    elif status.listing_date is None:
        text = t(lang, "status_none")
    else:
        text = t(lang, "feed_ok")
    if status.from_api:
        text = join_clauses(
            [text, t(lang, "feed_from_api", cats=join_list(list(status.from_api), lang))], lang
        )
    return text


def types_text(types: Sequence[str], lang: str) -> str:
    """``new submissions, cross-lists`` / ``新论文、交叉列表``."""
    return join_list((t(lang, f"type_{kind}") for kind in types), lang)


def filter_text(flt: filters.Filter, lang: str) -> str:
    """What a filter keeps and leaves out, in the chat's language."""
    positive = join_list((str(term) for term in flt.positive), lang)
    negative = join_list((str(replace(term, negative=False)) for term in flt.negative), lang)
    if flt.only_negative:
        return t(lang, "filter_only_negative", terms=negative)
    text = t(lang, "filter_keeps", terms=positive)
    if flt.negative:
        text += ("" if is_chinese(lang) else " ") + t(lang, "filter_excludes", terms=negative)
    return text


def bad_filter_text(error: filters.BadFilter, lang: str) -> str:
    """Why a ``/filter`` was refused and what is accepted, in the chat's language."""
    reason = error.reason
    usage = t(lang, "filter_usage", max=error.max_terms, chars=error.max_term_chars)
    if reason == filters.Reason.TOO_MANY_TERMS:
        return t(lang, "filter_too_many", n=error.count, max=error.max_terms) + "\n" + usage
    if reason == filters.Reason.TERM_TOO_LONG:
        return t(lang, "filter_too_long", given=shown(error.term), chars=error.max_term_chars) + "\n" + usage
    if reason == filters.Reason.UNBALANCED_QUOTE:
        return t(lang, "filter_unbalanced", given=shown(error.term))
    if reason == filters.Reason.CONTRADICTORY:
        return t(lang, "filter_contradictory", given=shown(error.term))
    return t(lang, "filter_empty")
