"""Words the bot says, in English and Chinese; other languages fall back to English.

``t(lang, key, **values)`` looks a message up by the language's primary subtag (``zh-TW`` → ``zh``).
``normalize_language`` checks a ``/lang`` argument's form: a BCP 47 primary language subtag with an
optional script and region (``en``, ``zh``, ``zh-TW``, ``zh-Hant``, ``pt-BR``, ``es-419``).
"""

from __future__ import annotations

import re

_LANG = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})(?:[-_](?P<script>[A-Za-z]{4}))?(?:[-_](?P<region>[A-Za-z]{2}|\d{3}))?$"
)

LANGUAGE_HINT = "a language code such as en, zh, de, ja or pt-BR"

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "zh": "中文",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "ja": "日本語",
    "ko": "한국어",
    "ru": "Русский",
    "pt": "Português",
    "it": "Italiano",
}


def normalize_language(code: str) -> str | None:
    """The canonical form of a well-formed code (``"ZH_tw"`` → ``"zh-TW"``), or None if malformed."""
    match = _LANG.match(code.strip()) if len(code) <= 16 else None
    if match is None:
        return None
    parts = [match.group("lang").lower()]
    if script := match.group("script"):
        parts.append(script.title())
    if region := match.group("region"):
        parts.append(region.upper())
    return "-".join(parts)


def primary(lang: str) -> str:
    """``"zh-TW"`` → ``"zh"``."""
    return lang.replace("_", "-").split("-", 1)[0].lower()


_EN: dict[str, str] = {
    "digest_title": "arXiv daily digest",
    "papers": "{n} papers",
    "paper_1": "1 paper",
    "updated": "Updated papers",
    "cross": "cross-list",
    "replaced": "updated",
    "extractive": "extract from the abstract; no LLM summary",
    "authors": "Authors",
    "category": "Category",
    "no_papers": "No new papers in {cats} for {date}.",
    "no_announcement": "arXiv announced no new papers for today; your next digest comes with its next announcement.",
    "start": (
        "Hello! I send the new arXiv papers of the categories you follow, each with a short summary, "
        "every morning at your local time.\n\n"
        "Try: /subscribe cs.DC — then /today to see today's papers.\n"
        "Set the time with /time 08:30 Europe/Berlin and the language with /lang zh.\n"
        "/help lists every command."
    ),
    "help": (
        "Commands:\n"
        "/subscribe CAT… — follow categories, e.g. /subscribe cs.DC cs.LG\n"
        "/unsubscribe CAT…|all — stop following\n"
        "/list — the categories this chat follows\n"
        "/today [CAT] — the latest batch now\n"
        "/time HH:MM [Area/City] — daily push time, e.g. /time 08:30 Asia/Shanghai\n"
        "/lang CODE — summary language, e.g. /lang zh\n"
        "/status — last batch, next push, feed health\n"
        "Categories: https://arxiv.org/category_taxonomy"
    ),
    "subscribed": "Subscribed to {added}. This chat now follows: {all}.",
    "already": "Already following {cats}.",
    "unsubscribed": "Unsubscribed from {removed}. {rest}",
    "unsubscribed_all": "Unsubscribed from everything. /subscribe CAT to start again.",
    "not_following": "This chat does not follow {cats}. It follows: {all}.",
    "following": "This chat follows: {all}.\nDaily push at {time} ({zone}), summaries in {lang}.",
    "following_none": "This chat follows no category yet. Try /subscribe cs.DC",
    "need_args_subscribe": "Which categories? e.g. /subscribe cs.DC cs.LG",
    "need_args_unsubscribe": "Which categories? e.g. /unsubscribe cs.DC, or /unsubscribe all",
    "today_needs_category": "No categories yet: /subscribe cs.DC, or ask /today cs.DC",
    "time_usage": "Use /time HH:MM [Area/City], 24-hour clock, e.g. /time 08:30 or /time 08:30 Asia/Shanghai",
    "bad_time": "{given!r} is not a time: use HH:MM on a 24-hour clock, e.g. 08:30",
    "bad_zone": "{given!r} is not a time zone: use an IANA name such as Europe/Berlin, Asia/Shanghai or UTC",
    "time_set": "Daily push set to {time} ({zone}). Next push: {next}.",
    "time_set_plain": "Daily push set to {time} ({zone}).",
    "lang_usage": "Use /lang CODE, e.g. /lang zh or /lang en ({hint})",
    "bad_lang": "{given!r} is not a language code: use " + LANGUAGE_HINT,
    "lang_set": "Summaries will be in {lang}.",
    "not_admin": "Only the admins of this chat can change its subscriptions and settings.",
    "too_many_args": "Too many arguments: {cmd} takes {accepted}.",
    "unknown_command": "Unknown command {cmd}. /help lists what I understand.",
    "source_down": "arXiv cannot be reached right now; please try again in a few minutes.",
    "stale": "arXiv's feed still shows the batch of {shown}; the batch of {expected} is not available yet.",
    "status": ("Last batch seen: {last}\n{counts}Next push: {next}\narXiv feed: {feed}"),
    "status_none": "no batch fetched yet",
    "feed_ok": "up to date",
    "feed_stale": "stale (shows {shown}, expected {expected})",
    "not_scheduled": "not scheduled (no categories)",
    "too_many_categories": "At most {n} categories per chat; this chat would follow {m}.",
}

_ZH: dict[str, str] = {
    "digest_title": "ArXiv论文日报",
    "papers": "共 {n} 篇",
    "paper_1": "共 1 篇",
    "updated": "更新的论文",
    "cross": "交叉列表",
    "replaced": "更新",
    "extractive": "摘自原文摘要，非 LLM 精简摘要",
    "authors": "作者",
    "category": "分类",
    "no_papers": "{date} {cats} 没有新论文。",
    "no_announcement": "arXiv 今天没有发布新论文；下一期摘要将随下一次发布送达。",
    "start": (
        "你好！我会在每天早上你所在时区的时间，推送你关注的 arXiv 分类的新论文，并附上精简摘要。\n\n"
        "试试：/subscribe cs.DC，然后 /today 查看今天的论文。\n"
        "用 /time 08:30 Asia/Shanghai 设置推送时间，用 /lang zh 设置摘要语言。\n"
        "/help 列出全部命令。"
    ),
    "help": (
        "命令：\n"
        "/subscribe 分类… — 订阅分类，例如 /subscribe cs.DC cs.LG\n"
        "/unsubscribe 分类…|all — 取消订阅\n"
        "/list — 本聊天订阅的分类\n"
        "/today [分类] — 立即查看最新一批论文\n"
        "/time HH:MM [地区/城市] — 每日推送时间，例如 /time 08:30 Asia/Shanghai\n"
        "/lang 代码 — 摘要语言，例如 /lang zh\n"
        "/status — 最近一批、下次推送、订阅源状态\n"
        "分类列表：https://arxiv.org/category_taxonomy"
    ),
    "subscribed": "已订阅 {added}。本聊天现在关注：{all}。",
    "already": "已经在关注 {cats}。",
    "unsubscribed": "已取消订阅 {removed}。{rest}",
    "unsubscribed_all": "已取消全部订阅。用 /subscribe 分类 重新开始。",
    "not_following": "本聊天没有关注 {cats}。当前关注：{all}。",
    "following": "本聊天关注：{all}。\n每日 {time}（{zone}）推送，摘要语言：{lang}。",
    "following_none": "本聊天还没有关注任何分类。试试 /subscribe cs.DC",
    "need_args_subscribe": "要订阅哪些分类？例如 /subscribe cs.DC cs.LG",
    "need_args_unsubscribe": "要取消哪些分类？例如 /unsubscribe cs.DC，或 /unsubscribe all",
    "today_needs_category": "还没有订阅：/subscribe cs.DC，或直接 /today cs.DC",
    "time_usage": "用法：/time HH:MM [地区/城市]，24 小时制，例如 /time 08:30 或 /time 08:30 Asia/Shanghai",
    "bad_time": "{given!r} 不是有效时间：请用 24 小时制 HH:MM，例如 08:30",
    "bad_zone": "{given!r} 不是时区：请用 IANA 名称，例如 Asia/Shanghai、Europe/Berlin 或 UTC",
    "time_set": "每日推送时间已设为 {time}（{zone}）。下次推送：{next}。",
    "time_set_plain": "每日推送时间已设为 {time}（{zone}）。",
    "lang_usage": "用法：/lang 代码，例如 /lang zh 或 /lang en（{hint}）",
    "bad_lang": "{given!r} 不是语言代码：请用 en、zh、de、ja 或 pt-BR 这样的代码",
    "lang_set": "摘要语言已设为 {lang}。",
    "not_admin": "只有本聊天的管理员可以修改订阅和设置。",
    "too_many_args": "参数太多：{cmd} 接受 {accepted}。",
    "unknown_command": "未知命令 {cmd}。/help 列出可用命令。",
    "source_down": "暂时无法连接 arXiv，请几分钟后再试。",
    "stale": "arXiv 订阅源仍显示 {shown} 的一批；{expected} 的一批尚不可用。",
    "status": "最近一批：{last}\n{counts}下次推送：{next}\narXiv 订阅源：{feed}",
    "status_none": "尚未获取",
    "feed_ok": "正常",
    "feed_stale": "滞后（显示 {shown}，应为 {expected}）",
    "not_scheduled": "未安排（没有订阅分类）",
    "too_many_categories": "每个聊天最多关注 {n} 个分类；本次操作后将是 {m} 个。",
}

_TABLES: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def t(lang: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (English when the language has no table)."""
    table = _TABLES.get(primary(lang), _EN)
    return table.get(key, _EN[key]).format(**values)


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(primary(lang), lang)
