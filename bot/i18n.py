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
        "/interests TEXT|clear — what this chat cares about, in its own words: papers come most relevant first\n"
        "/like ID, /dislike ID — 👍/👎 a paper (e.g. /like 2606.12345) to refine the ranking; "
        "alone: this chat's votes; /like clear [ID]: remove them (or one)\n"
        '/filter TERMS…|clear — keep only matching papers: LLM "graph neural network" author:Hinton -survey\n'
        "/types new cross replace — which announcements to show: new submissions, cross-lists, new versions\n"
        "/top N|all — papers shown in full per digest; the rest of the day is counted\n"
        "/more [YYYY-MM-DD] — the next papers of the day\n"
        "In groups anyone may vote; interests, filter, types and top are for admins.\n"
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
    "lang_set_summaries": "Summaries will be in {lang}; replies stay in English, as the bot's messages are written in English and Chinese only.",
    "title_usage": "Use /title TEXT to name this chat's digest (e.g. /title Cloud computing), or /title clear for the categories' names.",
    "title_set": "The digest's title is now “{title}”.",
    "title_cleared": "The digest's title is now the categories' names: {title}.",
    "title_too_long": "That title is {n} characters long; at most {limit} are accepted. Nothing was changed.",
    "title_bad_chars": "A title is one line of visible text: no control characters or line breaks. Nothing was changed.",
    "title_current": "This chat's digest title: {title}.",
    "lang_current": "This chat's language: {lang}.",
    "working": "Working on it…",
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
    "why_stale_shown": "arXiv's feed still shows the batch of {shown} for {cats}",
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
    "more_line_1": "1 more paper of this day: /more",
    "status_paused": (
        "Delivery paused since {since}: the bot may not post here (it is muted, or lacks the right "
        "to send messages). "
        "Subscriptions and settings are kept; next try {retry}. "
        "Give the bot the right to send messages and delivery resumes."
    ),
    "btn_invalid": "Unknown button: nothing changed. Use the buttons under a digest, or send /like ID, /dislike ID or /more.",
    "btn_stale": "This button no longer works here: nothing changed. Send {command} in the chat instead.",
    "count_announced": "{n} (of {announced} announced)",
    "count_detail": "{n} (of {matched} matching, {announced} announced)",
    "more_line_cli": "{n} more papers of this day: --top all shows them",
    "cmd_interests": "What this chat cares about, to rank papers",
    "cmd_like": "👍 a paper: rank papers like it higher",
    "cmd_dislike": "👎 a paper: rank papers like it lower",
    "cmd_filter": "Keep only papers matching terms, or clear",
    "cmd_types": "Announce types: new, cross, replace",
    "cmd_top": "Papers shown in full per digest, or all",
    "cmd_more": "The next papers of the day",
    "opt_interests": "Your interests in your own words, or clear",
    "opt_paper": "An arXiv id such as 2606.12345, or its link",
    "opt_filter": 'Keywords, "phrases", author:Name, -excluded; or clear',
    "opt_types": "new, cross and/or replace",
    "opt_top": "A number from 1 to 100, or all",
    "opt_date": "A listing date YYYY-MM-DD (optional)",
    "interests_usage": "Use /interests TEXT to say what this chat cares about, in your own words (e.g. /interests 3D Gaussian splatting and neural rendering): papers then come most relevant first. /interests clear removes them.",
    "interests_none": "This chat has no interests set: papers come in arXiv's order.",
    "interests_current": "This chat's interests: “{text}”.",
    "interests_set": "Interests saved: “{text}”. Digests now show the most relevant papers first; 👍/👎 (/like, /dislike) refine the ranking.",
    "interests_cleared": "Interests removed. Without interests or 👍/👎, papers come in arXiv's order.",
    "interests_too_long": "That text is {n} characters long; at most {limit} are accepted. Nothing was changed.",
    "interests_bad_chars": "Interests are visible text, without control characters. Nothing was changed.",
    "interests_no_words": "“{given}” has no words to rank papers by: name topics, methods or problems, e.g. /interests 3D Gaussian splatting. Nothing was changed.",
    "interests_untranslated": "Papers are written in English and no LLM is configured to translate these interests, so only words written as in the papers match.",
    "vote_usage": "Use {cmd} ID with an arXiv id: 2606.12345, 2606.12345v2, arXiv:2606.12345 or a link to its abstract or PDF page. {cmd} alone lists this chat's votes, {cmd} clear removes them, {cmd} clear ID one of them.",
    "bad_paper_id": "“{given}” is not an arXiv id: use 2606.12345, 2606.12345v2, arXiv:2606.12345 or a link such as https://arxiv.org/abs/2606.12345. Nothing was changed.",
    "paper_unknown": "arXiv has no paper {id}. Nothing was changed.",
    "voted_like": "👍 {id}: “{title}”. Papers like it rank higher in this chat.",
    "voted_dislike": "👎 {id}: “{title}”. Papers like it rank lower in this chat.",
    "vote_same": "This chat already gave {vote} to {id}.",
    "votes_none": "This chat has no {vote} yet: {cmd} ID adds one.",
    "votes_list": "This chat's {vote} ({n}):",
    "votes_more": "…and {n} more.",
    "votes_hint": "{cmd} clear removes them all, {cmd} clear ID one of them.",
    "votes_cleared": "Removed {n} {vote} from this chat.",
    "vote_removed": "Removed this chat's {vote} on {id}.",
    "vote_absent": "This chat has no {vote} on {id}. Nothing was changed.",
    "filter_usage": 'Use /filter TERMS to keep only the papers that match: keywords (LLM), quoted phrases ("graph neural network"), authors (author:Hinton) and terms to leave out (-survey); at most {max} terms of at most {chars} characters each. /filter clear removes it.',
    "filter_none": "This chat has no filter: every paper of its categories is shown.",
    "filter_current": "This chat's filter: {filter}",
    "filter_set": "Filter saved: {filter}",
    "filter_keeps": "Keeps the papers whose title, abstract or authors contain any of: {terms}.",
    "filter_only_negative": "Keeps every paper except those whose title, abstract or authors contain any of: {terms}.",
    "filter_excludes": "Leaves out the papers that contain any of: {terms}.",
    "filter_cleared": "Filter removed: every paper of this chat's categories is shown.",
    "filter_too_many": "{n} terms given; at most {max} are accepted. Nothing was changed.",
    "filter_too_long": "The term “{given}” is longer than {chars} characters. Nothing was changed.",
    "filter_unbalanced": 'A quote is not closed, or stands inside a word, near “{given}”: write a phrase as "graph neural network". Nothing was changed.',
    "filter_contradictory": "“{given}” is both wanted and left out, so no paper could pass. Nothing was changed.",
    "filter_empty": 'No filter term given: use keywords, "phrases", author:Name or -excluded terms, or /filter clear. Nothing was changed.',
    "types_usage": "Use /types with one or more of new (new submissions), cross (cross-lists) and replace (new versions), e.g. /types new cross.",
    "types_current": "This chat's digests show: {types}.",
    "types_set": "Digests now show: {types}.",
    "types_bad": "“{given}” is not an announce type: use new, cross or replace. Nothing was changed.",
    "type_new": "new submissions",
    "type_cross": "cross-lists",
    "type_replace": "new versions",
    "top_usage": "Use /top N (1 to {max}) for the papers shown in full per digest, or /top all for every paper; the rest of the day is counted and /more shows it.",
    "top_current": "Digests show {n} papers in full.",
    "top_current_all": "Digests show every paper in full.",
    "top_set": "Digests now show the {n} most relevant papers in full; the rest of the day is counted and /more shows it.",
    "top_set_all": "Digests now show every paper in full; on a busy day the morning push then sends many messages.",
    "top_bad": "“{given}” is not accepted: use a whole number from 1 to {max}, or all. Nothing was changed.",
    "more_bad_date": "“{given}” is not a listing date: use /more, or /more YYYY-MM-DD (e.g. /more {date}).",
    "more_no_digest": "No digest in this chat yet: /today shows the latest papers, then /more the next ones.",
    "more_done": "That was all: this chat has received every paper of {date} that matches it ({n}).",
    "more_too_old": "The papers of {date} are no longer kept for paging (only the last {days} days).",
    "more_not_listing": "arXiv listed no papers on {date} (a weekend or an arXiv holiday).",
    "more_future": "The batch of {date} is not out yet.",
    "more_needs_category": "This chat follows no category: /subscribe cs.DC first.",
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
        "/interests 文本|clear — 用自己的话写下本聊天关注的内容，论文按相关度排序\n"
        "/like 编号、/dislike 编号 — 对论文 👍/👎（例如 /like 2606.12345）以改进排序；"
        "单独发送列出本聊天的投票；/like clear [编号] 清除全部（或一条）\n"
        "/filter 条件…|clear — 只保留匹配的论文，例如 /filter LLM author:Hinton -survey\n"
        "/types new cross replace — 显示哪些类型：新论文、交叉列表、新版本\n"
        "/top N|all — 每期完整显示的论文数，其余只计数\n"
        "/more [YYYY-MM-DD] — 当天的下一页论文\n"
        "群组中任何人都可以投票；关注内容、筛选、类型和篇数只有管理员可以修改。\n"
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
    "lang_set_summaries": "摘要将使用{lang}；机器人的消息只有英文和中文两种，回复仍用英文。",
    "title_usage": "用法：/title 标题，为本聊天的日报命名（例如 /title 云计算）；/title clear 恢复为分类名称。",
    "title_set": "日报标题已设为“{title}”。",
    "title_cleared": "日报标题已恢复为分类名称：{title}。",
    "title_too_long": "标题有 {n} 个字符，最多 {limit} 个。未做任何更改。",
    "title_bad_chars": "标题须为一行可见文字，不能包含控制字符或换行。未做任何更改。",
    "title_current": "本聊天的日报标题：{title}。",
    "lang_current": "本聊天的语言：{lang}。",
    "working": "正在处理……",
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
    "why_stale_shown": "arXiv 订阅源中 {cats} 仍是 {shown} 的一批",
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
    "more_line_1": "当天还有 1 篇：/more",
    "status_paused": (
        "推送自 {since} 起暂停：机器人在此被禁言或没有发送消息的权限。"
        "订阅和设置都已保留；下次尝试：{retry}。恢复机器人的发言权限后，推送将自动继续。"
    ),
    "btn_invalid": "无法识别的按钮，未做任何更改。请使用日报下方的按钮，或发送 /like ID、/dislike ID 或 /more。",
    "btn_stale": "此按钮在这里已失效，未做任何更改。请在聊天中发送 {command}。",
    "count_announced": "{n} 篇（当日发布 {announced} 篇）",
    "count_detail": "{n} 篇（匹配 {matched} 篇，当日发布 {announced} 篇）",
    "more_line_cli": "当天还有 {n} 篇：加 --top all 全部显示",
    "cmd_interests": "本聊天关注的内容，用于排序",
    "cmd_like": "👍 论文：相似论文排在前面",
    "cmd_dislike": "👎 论文：相似论文排在后面",
    "cmd_filter": "只保留匹配条件的论文，或 clear",
    "cmd_types": "论文类型：new、cross、replace",
    "cmd_top": "每期完整显示的论文数，或 all",
    "cmd_more": "当天的下一页论文",
    "opt_interests": "用自己的话描述关注的内容，或 clear",
    "opt_paper": "arXiv 编号（如 2606.12345）或链接",
    "opt_filter": "关键词、“短语”、author:姓名、-排除词；或 clear",
    "opt_types": "new、cross 和/或 replace",
    "opt_top": "1 到 100 的数字，或 all",
    "opt_date": "发布日期 YYYY-MM-DD（可选）",
    "interests_usage": "用法：/interests 文本，用自己的话写下本聊天关注的内容（例如 /interests 三维高斯溅射与神经渲染），论文将按相关度排序；/interests clear 清除。",
    "interests_none": "本聊天尚未设置关注内容：论文按 arXiv 的顺序排列。",
    "interests_current": "本聊天的关注内容：“{text}”。",
    "interests_set": "关注内容已保存：“{text}”。日报将先显示最相关的论文；用 👍/👎（/like、/dislike）可改进排序。",
    "interests_cleared": "关注内容已清除。没有关注内容和 👍/👎 时，论文按 arXiv 的顺序排列。",
    "interests_too_long": "这段文字有 {n} 个字符，最多 {limit} 个。未做任何更改。",
    "interests_bad_chars": "关注内容须为可见文字，不能包含控制字符。未做任何更改。",
    "interests_no_words": "“{given}”中没有可用于排序的词：请写出主题、方法或问题，例如 /interests 三维高斯溅射。未做任何更改。",
    "interests_untranslated": "论文为英文，且未配置可翻译关注内容的 LLM，因此只有与论文中写法相同的词才能匹配。",
    "vote_usage": "用法：{cmd} 编号，编号可写作 2606.12345、2606.12345v2、arXiv:2606.12345，或论文摘要页、PDF 的链接。单独发送 {cmd} 列出本聊天的投票，{cmd} clear 全部清除，{cmd} clear 编号 清除一条。",
    "bad_paper_id": "“{given}”不是 arXiv 编号：请用 2606.12345、2606.12345v2、arXiv:2606.12345 或 https://arxiv.org/abs/2606.12345 这样的链接。未做任何更改。",
    "paper_unknown": "arXiv 上没有编号为 {id} 的论文。未做任何更改。",
    "voted_like": "👍 {id}：“{title}”。本聊天中与它相似的论文将排在前面。",
    "voted_dislike": "👎 {id}：“{title}”。本聊天中与它相似的论文将排在后面。",
    "vote_same": "本聊天已经给过 {id} {vote}。",
    "votes_none": "本聊天还没有 {vote}：用 {cmd} 编号 添加。",
    "votes_list": "本聊天的 {vote}（{n} 篇）：",
    "votes_more": "……另有 {n} 篇。",
    "votes_hint": "{cmd} clear 全部清除，{cmd} clear 编号 清除一条。",
    "votes_cleared": "已清除本聊天的 {n} 个 {vote}。",
    "vote_removed": "已清除本聊天对 {id} 的 {vote}。",
    "vote_absent": "本聊天没有给过 {id} {vote}。未做任何更改。",
    "filter_usage": "用法：/filter 条件，只保留匹配的论文：关键词（LLM）、带引号的短语（多个词按顺序匹配）、作者（author:Hinton、作者：张三）和要排除的词（-survey）；最多 {max} 个条件，每个最多 {chars} 个字符。/filter clear 清除。",
    "filter_none": "本聊天没有设置筛选：显示所关注分类的全部论文。",
    "filter_current": "本聊天的筛选：{filter}",
    "filter_set": "筛选已保存：{filter}",
    "filter_keeps": "保留标题、摘要或作者中含有以下任一条件的论文：{terms}。",
    "filter_only_negative": "保留全部论文，但排除标题、摘要或作者中含有以下任一条件的论文：{terms}。",
    "filter_excludes": "排除含有以下任一条件的论文：{terms}。",
    "filter_cleared": "筛选已清除：显示所关注分类的全部论文。",
    "filter_too_many": "给出了 {n} 个条件，最多 {max} 个。未做任何更改。",
    "filter_too_long": "条件“{given}”超过 {chars} 个字符。未做任何更改。",
    "filter_unbalanced": "“{given}”附近有未闭合的引号，或引号在词语中间：短语请写在一对引号中。未做任何更改。",
    "filter_contradictory": "“{given}”既要保留又要排除，没有论文能通过。未做任何更改。",
    "filter_empty": "没有给出筛选条件：请用关键词、带引号的短语、author:姓名（或作者：姓名）或 -排除词，或 /filter clear。未做任何更改。",
    "types_usage": "用法：/types 加上 new（新论文）、cross（交叉列表）、replace（新版本）中的一个或多个，例如 /types new cross。",
    "types_current": "本聊天的日报显示：{types}。",
    "types_set": "日报现在显示：{types}。",
    "types_bad": "“{given}”不是论文类型：请用 new、cross 或 replace。未做任何更改。",
    "type_new": "新论文",
    "type_cross": "交叉列表",
    "type_replace": "新版本",
    "top_usage": "用法：/top N（1 到 {max}）设置每期完整显示的论文数，/top all 显示全部；当天其余论文只计数，用 /more 查看。",
    "top_current": "日报完整显示 {n} 篇论文。",
    "top_current_all": "日报完整显示全部论文。",
    "top_set": "日报现在完整显示最相关的 {n} 篇论文；当天其余论文只计数，用 /more 查看。",
    "top_set_all": "日报现在完整显示全部论文；论文多的日子，早间推送会发送很多条消息。",
    "top_bad": "不接受“{given}”：请用 1 到 {max} 的整数，或 all。未做任何更改。",
    "more_bad_date": "“{given}”不是发布日期：请用 /more，或 /more YYYY-MM-DD（例如 /more {date}）。",
    "more_no_digest": "本聊天还没有日报：先用 /today 查看最新论文，再用 /more 查看后面的论文。",
    "more_done": "没有更多了：本聊天已收到 {date} 全部 {n} 篇匹配的论文。",
    "more_too_old": "{date} 的论文已不再保留以供翻页（只保留最近 {days} 天）。",
    "more_not_listing": "arXiv 在 {date} 没有发布论文（周末或 arXiv 假日）。",
    "more_future": "{date} 的一批尚未发布。",
    "more_needs_category": "本聊天没有关注任何分类：请先 /subscribe cs.DC。",
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


_TAIWAN_WORDS = (
    ("程式碼", "代碼"),
    ("許可權", "權限"),
    ("釋出", "發布"),
    ("稽核", "審核"),
    ("雲端計算", "雲端運算"),
)
"""Words ``s2twp`` gets wrong in these messages, and what Taiwan writes: a language or category
*code* (代码) is 代碼, not program code (程式碼); a permission (权限) 權限; arXiv *announces* (发布)
發布, not a software release (釋出); moderation (审核) 審核, not an audit (稽核); cloud computing
雲端運算."""


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """Simplified Chinese in Traditional characters, with Taiwan's usual words (OpenCC ``s2twp``,
    and ``_TAIWAN_WORDS`` where its phrase table misreads these messages)."""
    converter = _converter()
    if converter is None:  # pragma: no cover
        return text
    converted = str(converter.convert(text))  # type: ignore[attr-defined]
    for wrong, right in _TAIWAN_WORDS:
        converted = converted.replace(wrong, right)
    return converted


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


def join_clauses(clauses: Iterable[str], lang: str) -> str:
    """Clauses of one sentence: ``A; B`` in English, ``A；B`` in Chinese."""
    return ("；" if is_chinese(lang) else "; ").join(clauses)


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
