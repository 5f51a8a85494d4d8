"""Words the bot says, in English and Chinese; other languages fall back to English.

``t(lang, key, **values)`` looks a message up by the language's primary subtag (``zh-CN`` → ``zh``);
Chinese in Traditional script (``zh-TW``, ``zh-HK``, ``zh-Hant``) is converted from the Simplified
table with OpenCC. ``normalize_language`` turns a ``/lang`` argument (a tag or a language's name) into the canonical
tag of ``bot.language`` (``zh-TW`` → ``zh-Hant``, ``中文`` → ``zh``).

Typography follows the language: Chinese labels end in a full-width colon (``作者：``), lists are
joined with ``、``, and a Chinese sentence carries no space before its punctuation. Times are shown
with their UTC offset (``UTC+8``), never with an abbreviation such as ``CST`` that names several zones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from bot.language import parse_language

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

_TRADITIONAL_REGIONS = frozenset({"TW", "HK", "MO"})


def normalize_language(code: str) -> str | None:
    """The canonical tag of a language tag or name (``"ZH_tw"`` → ``"zh-Hant"``, ``"中文"`` → ``"zh"``),
    or None; see ``bot.language.parse_language``."""
    return parse_language(code)


def primary(lang: str) -> str:
    """``"zh-TW"`` → ``"zh"``."""
    return lang.replace("_", "-").split("-", 1)[0].lower()


def is_traditional(lang: str) -> bool:
    """Chinese written in Traditional characters: ``zh-Hant``, ``zh-TW``, ``zh-HK``, ``zh-MO``."""
    parts = lang.replace("_", "-").split("-")
    if parts[0].lower() != "zh":
        return False
    rest = [p.lower() for p in parts[1:]]
    if "hans" in rest:
        return False
    return "hant" in rest or any(p.upper() in _TRADITIONAL_REGIONS for p in rest)


_EN: dict[str, str] = {
    # -- the digest --------------------------------------------------------------------------------------
    "digest_title": "arXiv Daily Digest",
    "label_updated_at": "Updated",
    "label_count": "Papers",
    "count_value": "{n}",
    "label_summary": "Summary",
    "label_pdf": "PDF",
    "pdf_link": "Download from arXiv",
    "label_authors": "Authors",
    "label_category": "Category",
    "label_abs": "Abstract page",
    "papers": "{n} papers",
    "paper_1": "1 paper",
    "updated": "Updated papers",
    "cross": "cross-list",
    "replaced": "updated, v{version}",
    "extractive": "extract from the abstract; no LLM summary",
    "et_al": "{names} et al.",
    "title_more": "{names} and {n} more",
    "part": "part {part} of {parts}",
    "no_papers": "No new papers in {cats} for {date}.",
    "no_announcement": "arXiv announced no new papers for today; your next digest comes with its next announcement.",
    # -- conversation --------------------------------------------------------------------------------------
    "start": (
        "Hello! I send the new arXiv papers of the categories you follow, each with a short summary, "
        "every morning at your local time.\n\n"
        "Try: /subscribe cs.DC — then /today to see today's papers.\n"
        "Set the time with /time 08:30 Europe/Berlin, the language with /lang zh "
        "and the digest's title with /title Cloud computing.\n"
        "/help lists every command."
    ),
    "start_terminal": (
        "Hello! This is arxiv-digest in your terminal: type a command and press Enter.\n"
        "Try: /subscribe cs.DC — then /today to see the latest papers.\n"
        "/help lists every command; Ctrl-D leaves. The terminal shows digests when you ask: "
        "for a daily push, run the bot on Telegram or Discord (arxiv-digest run)."
    ),
    "help": (
        "Commands:\n"
        "/subscribe CAT… — follow categories, e.g. /subscribe cs.DC cs.LG\n"
        "/unsubscribe CAT…|all — stop following\n"
        "/list — the categories this chat follows\n"
        "/today [CAT] — the latest batch now\n"
        "/time HH:MM [Area/City] — daily push time, e.g. /time 08:30 Asia/Shanghai\n"
        "/lang CODE — language of replies and summaries, e.g. /lang zh\n"
        "/title TEXT|clear — the digest's title, e.g. /title Cloud computing\n"
        "/status — last batch, next push, feed health\n"
        "Categories: https://arxiv.org/category_taxonomy"
    ),
    "subscribed": "Subscribed to {added}. This chat now follows: {all}.",
    "subscribed_partly": "Subscribed to {added}. Not arXiv categories, so not subscribed: {rejected}. This chat now follows: {all}.",
    "already": "Already following {cats}.",
    "unsubscribed": "Unsubscribed from {removed}. {rest}",
    "unsubscribed_all": "Unsubscribed from everything. /subscribe CAT to start again.",
    "not_following": "This chat does not follow {cats}. It follows: {all}. Nothing was changed.",
    "nothing_followed": "nothing yet",
    "following": "This chat follows: {all}.\nDaily push at {time} ({zone}), replies and summaries in {lang}.",
    "following_nopush": "This chat follows: {all}.\nReplies and summaries in {lang}.",
    "following_none": "This chat follows no category yet. Try /subscribe cs.DC",
    "need_args_subscribe": "Which categories? e.g. /subscribe cs.DC cs.LG",
    "need_args_unsubscribe": "Which categories? e.g. /unsubscribe cs.DC, or /unsubscribe all",
    "today_needs_category": "No categories yet: /subscribe cs.DC, or ask /today cs.DC",
    "unknown_category": "{given} is not an arXiv category",
    "unknown_categories": "{given} are not arXiv categories",
    "did_you_mean": "did you mean {options}?",
    "unknown_item": "“{given}” (did you mean {options}?)",
    "category_form": "categories look like cs.DC, math.PR or hep-th (https://arxiv.org/category_taxonomy)",
    "unknown_more": "{n} more unknown.",
    "nothing_changed": "Nothing was changed.",
    "or": " or ",
    "time_usage": "Use /time HH:MM [Area/City], 24-hour clock, e.g. /time 08:30 or /time 08:30 Asia/Shanghai",
    "bad_time": "“{given}” is not a time: use HH:MM on a 24-hour clock, e.g. 08:30",
    "bad_zone": "“{given}” is not a time zone: use an IANA name such as Europe/Berlin, Asia/Shanghai or UTC",
    "time_set": "Daily push set to {time} ({zone}). Next push: {next}.",
    "time_set_plain": "Daily push set to {time} ({zone}).",
    "time_set_nopush": "Push time saved: {time} ({zone}). The terminal has no daily push: ask /today here, or run the bot on Telegram or Discord (arxiv-digest run).",
    "no_push_here": "none in the terminal (ask /today)",
    "lang_usage": "Use /lang CODE, e.g. /lang zh or /lang en ({hint})",
    "lang_hint": "a language code such as en, zh, de, ja or pt-BR",
    "bad_lang": "“{given}” is not a language: use a code such as en, zh, de, ja or pt-BR",
    "lang_set": "Replies and summaries will be in {lang}.",
    "title_usage": "Use /title TEXT to name this chat's digest (e.g. /title Cloud computing), or /title clear for the categories' names.",
    "title_set": "The digest's title is now “{title}”.",
    "title_cleared": "The digest's title is now the categories' names: {title}.",
    "title_too_long": "That title is {n} characters long; at most {limit} are accepted.",
    "title_bad_chars": "A title is one line of visible text: no control characters or line breaks.",
    "title_current": "This chat's digest title: {title}.",
    "not_admin": "Only the admins of this chat can change its subscriptions and settings.",
    "not_admin_discord": "Only members with the Manage Channels permission can change this channel's subscriptions and settings.",
    "too_many_args": "Too many arguments: {cmd} takes {accepted}.",
    "unknown_command": "Unknown command {cmd}. /help lists what I understand.",
    "unknown_command_suggest": "Unknown command {cmd}. Did you mean {suggestion}? /help lists what I understand.",
    "empty_command": "A command goes right after the /, e.g. /subscribe cs.DC or /today. /help lists them all.",
    "not_a_command": "Commands start with /, e.g. /subscribe cs.DC — /help lists them all.",
    "not_utf8": "That line is not valid UTF-8 text; please send commands as UTF-8, e.g. /help",
    "failed": "Something went wrong with this command; please try again in a moment. /help lists the commands.",
    "must_be_in_channel": "This command must be used in a channel.",
    "source_down": "arXiv cannot be reached right now; please try again in a few minutes.",
    "stale": "arXiv's feed still shows the batch of {shown}; the batch of {expected} is not available yet.",
    "status": "Last batch seen: {last}\n{counts}Next push: {next}\narXiv feed: {feed}",
    "status_count": "{category} ({name}): {n}",
    "status_none": "no batch fetched yet",
    "feed_ok": "up to date",
    "feed_stale": "stale (shows {shown}, expected {expected})",
    "not_scheduled": "not scheduled (no categories)",
    "not_known": "not known yet",
    "too_many_categories": "At most {n} categories per chat; this chat would follow {m}.",
    # -- command descriptions (menus, slash commands) -----------------------------------------------------
    "cmd_start": "What this bot does",
    "cmd_help": "List the commands",
    "cmd_subscribe": "Follow arXiv categories, e.g. cs.DC",
    "cmd_unsubscribe": "Stop following categories (or all)",
    "cmd_list": "Categories this chat follows",
    "cmd_today": "The latest papers now",
    "cmd_time": "Daily push time, e.g. 08:30 Asia/Shanghai",
    "cmd_lang": "Language of replies and summaries, e.g. zh or en",
    "cmd_title": "The digest's title, or clear",
    "cmd_status": "Last batch, next push, feed health",
    "opt_category": "An arXiv category such as cs.DC (several: separate by spaces)",
    "opt_unsubscribe": "A category this channel follows, or all",
    "opt_today": "Another category than this channel's (optional)",
    "opt_time": "HH:MM on a 24-hour clock, e.g. 08:30",
    "opt_timezone": "IANA time zone, e.g. Asia/Shanghai",
    "opt_code": "Language code, e.g. en or zh",
    "opt_title": "The title, e.g. Cloud computing; clear for the categories' names",
    "not_ready": "The batch of {date} is not available yet: {why}. I will check again after {when}.",
    "why_stale": "arXiv's feed still shows the previous batch for {cats}",
    "why_empty_feed": "arXiv's feed is empty on a listing day (possibly an arXiv holiday)",
    "why_feed_failed": "arXiv's feed is failing",
    "why_api_lag": "arXiv's export API does not list it yet",
    "status_count_updated": "{category} ({name}): {n} new + {m} updated",
    "status_total": "In your digest: {n}",
    "status_total_updated": "In your digest: {n} new + {m} updated",
    "feed_pending": "the batch of {date} is not available yet for {cats}: {why}; next check {when}",
    "feed_unreachable": "unreachable ({hosts})",
    "feed_unchecked": "the batch of {date} has not been fetched yet",
    "feed_from_api": "{cats} from arXiv's export API (may miss papers on moderation hold)",
    "digest_pending": "Not available yet: {cats} (batch of {date}); those papers follow when arXiv has them.",
    "digest_from_api": "Papers of {cats} come from arXiv's export API and may miss papers that were on moderation hold.",
    "store_down": "I'm temporarily unavailable (my storage cannot be reached); please try again in a minute.",
    "btn_like": "👍",
    "btn_dislike": "👎",
    "btn_more": "More ({n})",
    "more_line": "{n} more papers of this day: /more",
    "status_paused": (
        "Delivery paused since {since}: the bot may not post here (it is muted, or lacks the right "
        "to send messages). "
        "Subscriptions and settings are kept; next try {retry}. "
        "Give the bot the right to send messages and delivery resumes."
    ),
    "btn_invalid": "Unknown button: nothing changed. Use the buttons under a digest, or send /like ID, /dislike ID or /more.",
    "btn_stale": "This button no longer works here: nothing changed. Send {command} in the chat instead.",
}

_ZH: dict[str, str] = {
    # -- the digest --------------------------------------------------------------------------------------
    "digest_title": "ArXiv论文日报",
    "label_updated_at": "更新时间",
    "label_count": "论文数量",
    "count_value": "{n} 篇",
    "label_summary": "精简摘要",
    "label_pdf": "PDF链接",
    "pdf_link": "ArXiv下载",
    "label_authors": "作者",
    "label_category": "分类",
    "label_abs": "摘要页",
    "papers": "共 {n} 篇",
    "paper_1": "共 1 篇",
    "updated": "更新的论文",
    "cross": "交叉列表",
    "replaced": "更新版本 v{version}",
    "extractive": "摘自原文摘要，非 LLM 精简摘要",
    "et_al": "{names} 等",
    "title_more": "{names}等 {n} 个分类",
    "part": "第 {part}/{parts} 部分",
    "no_papers": "{date} {cats} 没有新论文。",
    "no_announcement": "arXiv 今天没有发布新论文；下一期日报将随下一次发布送达。",
    # -- conversation --------------------------------------------------------------------------------------
    "start": (
        "你好！我会在每天早上你所在时区的时间，推送你关注的 arXiv 分类的新论文，并附上精简摘要。\n\n"
        "试试：/subscribe cs.DC，然后用 /today 查看今天的论文。\n"
        "用 /time 08:30 Asia/Shanghai 设置推送时间，用 /lang zh 设置语言，"
        "用 /title 云计算 设置日报标题。\n"
        "/help 列出全部命令。"
    ),
    "start_terminal": (
        "你好！这是终端里的 arxiv-digest：输入命令后按回车。\n"
        "试试：/subscribe cs.DC，然后用 /today 查看最新论文。\n"
        "/help 列出全部命令，Ctrl-D 退出。终端只在你询问时显示日报；"
        "如需每日推送，请在 Telegram 或 Discord 上运行机器人（arxiv-digest run）。"
    ),
    "help": (
        "命令：\n"
        "/subscribe 分类… — 订阅分类，例如 /subscribe cs.DC cs.LG\n"
        "/unsubscribe 分类…|all — 取消订阅\n"
        "/list — 本聊天订阅的分类\n"
        "/today [分类] — 立即查看最新一批论文\n"
        "/time HH:MM [地区/城市] — 每日推送时间，例如 /time 08:30 Asia/Shanghai\n"
        "/lang 代码 — 回复和摘要的语言，例如 /lang zh\n"
        "/title 标题|clear — 日报标题，例如 /title 云计算\n"
        "/status — 最近一批、下次推送、订阅源状态\n"
        "分类列表：https://arxiv.org/category_taxonomy"
    ),
    "subscribed": "已订阅 {added}。本聊天现在关注：{all}。",
    "subscribed_partly": "已订阅 {added}。以下不是 arXiv 分类，未订阅：{rejected}。本聊天现在关注：{all}。",
    "already": "已经在关注 {cats}。",
    "unsubscribed": "已取消订阅 {removed}。{rest}",
    "unsubscribed_all": "已取消全部订阅。用 /subscribe 分类 重新开始。",
    "not_following": "本聊天没有关注 {cats}。当前关注：{all}。未做任何更改。",
    "nothing_followed": "暂无",
    "following": "本聊天关注：{all}。\n每日 {time}（{zone}）推送，回复和摘要语言：{lang}。",
    "following_nopush": "本聊天关注：{all}。\n回复和摘要语言：{lang}。",
    "following_none": "本聊天还没有关注任何分类。试试 /subscribe cs.DC",
    "need_args_subscribe": "要订阅哪些分类？例如 /subscribe cs.DC cs.LG",
    "need_args_unsubscribe": "要取消哪些分类？例如 /unsubscribe cs.DC，或 /unsubscribe all",
    "today_needs_category": "还没有订阅：/subscribe cs.DC，或直接 /today cs.DC",
    "unknown_category": "{given}不是 arXiv 分类",
    "unknown_categories": "{given}都不是 arXiv 分类",
    "did_you_mean": "你是不是想输入 {options}？",
    "unknown_item": "“{given}”（你是不是想输入 {options}？）",
    "category_form": "分类代码形如 cs.DC、math.PR 或 hep-th（见 https://arxiv.org/category_taxonomy）",
    "unknown_more": "另有 {n} 个未知分类。",
    "nothing_changed": "未做任何更改。",
    "or": " 或 ",
    "time_usage": "用法：/time HH:MM [地区/城市]，24 小时制，例如 /time 08:30 或 /time 08:30 Asia/Shanghai",
    "bad_time": "“{given}”不是有效时间：请用 24 小时制 HH:MM，例如 08:30",
    "bad_zone": "“{given}”不是时区：请用 IANA 名称，例如 Asia/Shanghai、Europe/Berlin 或 UTC",
    "time_set": "每日推送时间已设为 {time}（{zone}）。下次推送：{next}。",
    "time_set_plain": "每日推送时间已设为 {time}（{zone}）。",
    "time_set_nopush": "推送时间已保存：{time}（{zone}）。终端没有每日推送：请在这里用 /today 查看，或在 Telegram、Discord 上运行机器人（arxiv-digest run）。",
    "no_push_here": "终端没有推送（请用 /today）",
    "lang_usage": "用法：/lang 代码，例如 /lang zh 或 /lang en（{hint}）",
    "lang_hint": "可用 en、zh、de、ja 或 pt-BR 这样的语言代码",
    "bad_lang": "“{given}”不是可识别的语言：请用 en、zh、de、ja 或 pt-BR 这样的代码",
    "lang_set": "回复和摘要将使用{lang}。",
    "title_usage": "用法：/title 标题，为本聊天的日报命名（例如 /title 云计算）；/title clear 恢复为分类名称。",
    "title_set": "日报标题已设为“{title}”。",
    "title_cleared": "日报标题已恢复为分类名称：{title}。",
    "title_too_long": "标题有 {n} 个字符，最多 {limit} 个。",
    "title_bad_chars": "标题须为一行可见文字，不能包含控制字符或换行。",
    "title_current": "本聊天的日报标题：{title}。",
    "not_admin": "只有本聊天的管理员可以修改订阅和设置。",
    "not_admin_discord": "只有拥有“管理频道”权限的成员可以修改本频道的订阅和设置。",
    "too_many_args": "参数太多：{cmd} 接受 {accepted}。",
    "unknown_command": "未知命令 {cmd}。/help 列出可用命令。",
    "unknown_command_suggest": "未知命令 {cmd}。你是不是想用 {suggestion}？/help 列出可用命令。",
    "empty_command": "命令要紧跟在 / 后面，例如 /subscribe cs.DC 或 /today。/help 列出全部命令。",
    "not_a_command": "命令以 / 开头，例如 /subscribe cs.DC。/help 列出全部命令。",
    "not_utf8": "这一行不是有效的 UTF-8 文本，请用 UTF-8 输入命令，例如 /help",
    "failed": "处理命令时出错，请稍后再试。/help 列出全部命令。",
    "must_be_in_channel": "请在频道中使用此命令。",
    "source_down": "暂时无法连接 arXiv，请几分钟后再试。",
    "stale": "arXiv 订阅源仍显示 {shown} 的一批；{expected} 的一批尚不可用。",
    "status": "最近一批：{last}\n{counts}下次推送：{next}\narXiv 订阅源：{feed}",
    "status_count": "{category}（{name}）：{n} 篇",
    "status_none": "尚未获取",
    "feed_ok": "正常",
    "feed_stale": "滞后（显示 {shown}，应为 {expected}）",
    "not_scheduled": "未安排（没有订阅分类）",
    "not_known": "暂不确定",
    "too_many_categories": "每个聊天最多关注 {n} 个分类；本次操作后将是 {m} 个。",
    # -- command descriptions (menus, slash commands) -----------------------------------------------------
    "cmd_start": "机器人简介",
    "cmd_help": "命令列表",
    "cmd_subscribe": "订阅 arXiv 分类，如 cs.DC",
    "cmd_unsubscribe": "取消订阅分类（或 all）",
    "cmd_list": "本聊天订阅的分类",
    "cmd_today": "立即查看最新论文",
    "cmd_time": "每日推送时间，如 08:30 Asia/Shanghai",
    "cmd_lang": "回复和摘要的语言，如 zh 或 en",
    "cmd_title": "日报标题，或 clear 恢复默认",
    "cmd_status": "最近一批、下次推送、订阅源状态",
    "opt_category": "arXiv 分类，如 cs.DC（多个用空格分隔）",
    "opt_unsubscribe": "本频道关注的分类，或 all",
    "opt_today": "查看其他分类（可选）",
    "opt_time": "24 小时制 HH:MM，如 08:30",
    "opt_timezone": "IANA 时区，如 Asia/Shanghai",
    "opt_code": "语言代码，如 en 或 zh",
    "opt_title": "标题，如 云计算；clear 恢复为分类名称",
    "not_ready": "{date} 的一批尚不可用：{why}。我会在 {when} 之后再查。",
    "why_stale": "arXiv 订阅源中 {cats} 仍是上一批",
    "why_empty_feed": "arXiv 订阅源在发布日为空（可能是 arXiv 假日）",
    "why_feed_failed": "arXiv 订阅源出错",
    "why_api_lag": "arXiv 导出 API 尚未收录",
    "status_count_updated": "{category}（{name}）：新论文 {n} 篇 + 更新 {m} 篇",
    "status_total": "摘要共 {n} 篇",
    "status_total_updated": "摘要中新论文 {n} 篇 + 更新 {m} 篇",
    "feed_pending": "{date} 的一批中 {cats} 尚不可用：{why}；下次检查 {when}",
    "feed_unreachable": "无法连接（{hosts}）",
    "feed_unchecked": "尚未获取 {date} 的一批",
    "feed_from_api": "{cats} 来自 arXiv 导出 API（可能缺少审核暂缓的论文）",
    "digest_pending": "尚不可用：{cats}（{date} 的一批）；arXiv 发布后补发。",
    "digest_from_api": "{cats} 的论文来自 arXiv 导出 API，可能缺少曾被审核暂缓的论文。",
    "store_down": "机器人暂时不可用（无法连接存储），请一分钟后再试。",
    "btn_like": "👍",
    "btn_dislike": "👎",
    "btn_more": "更多（{n}）",
    "more_line": "当天还有 {n} 篇：/more",
    "status_paused": (
        "推送自 {since} 起暂停：机器人在此被禁言或没有发送消息的权限。"
        "订阅和设置都已保留；下次尝试：{retry}。恢复机器人的发言权限后，推送将自动继续。"
    ),
    "btn_invalid": "无法识别的按钮，未做任何更改。请使用日报下方的按钮，或发送 /like ID、/dislike ID 或 /more。",
    "btn_stale": "此按钮在这里已失效，未做任何更改。请在聊天中发送 {command}。",
}

_TABLES: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}
KEYS: tuple[str, ...] = tuple(_EN)
"""Every message key; each table has exactly these."""
LANGUAGES: tuple[str, ...] = tuple(_TABLES)


@lru_cache(maxsize=1)
def _converter() -> object | None:
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a dependency
        return None
    return opencc.OpenCC("s2twp")


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Simplified Chinese in Traditional characters, with Taiwan's usual words (OpenCC ``s2twp``)."""
    converter = _converter()
    if converter is None:  # pragma: no cover
        return text
    return str(converter.convert(text))  # type: ignore[attr-defined]


def template(lang: str, key: str) -> str:
    """The unformatted message ``key`` in ``lang`` (English when the language has no table)."""
    table = _TABLES.get(primary(lang), _EN)
    text = table.get(key, _EN[key])
    return to_traditional(text) if is_traditional(lang) else text


def t(lang: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``values`` filled in."""
    return template(lang, key).format(**values)


def is_chinese(lang: str) -> bool:
    return primary(lang) == "zh"


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(primary(lang), lang)


def join_list(items: Iterable[str], lang: str) -> str:
    """Items as a list: ``A, B, C`` in English, ``A、B、C`` in Chinese."""
    return ("、" if is_chinese(lang) else ", ").join(items)


def join_names(names: Sequence[str], lang: str) -> str:
    """Names that may themselves contain list punctuation (``分布式、并行与集群计算``): joined with
    ``、``/``, `` when none does, else with the next level up, ``；``/``; ``."""
    inner = "、" if is_chinese(lang) else ", "
    if any(inner.strip() in name for name in names):
        return ("；" if is_chinese(lang) else "; ").join(names)
    return inner.join(names)


def label(lang: str, key: str) -> str:
    """A label with its colon: ``作者：`` in Chinese, ``Authors: `` in English."""
    return template(lang, key) + ("：" if is_chinese(lang) else ": ")


def utc_offset(moment: datetime) -> str:
    """The offset of an aware time, unambiguous: ``UTC``, ``UTC+8``, ``UTC-4``, ``UTC+5:30``."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_moment(moment: datetime, seconds: bool = False) -> str:
    """``2026-09-24 08:00 UTC+8`` (with ``:SS`` when ``seconds``)."""
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {utc_offset(moment)}"
