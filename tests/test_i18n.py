"""Every reply string exists in both languages, fills in, and no Chinese reply carries an English sentence."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.i18n import (
    _EN,
    _ZH,
    KEYS,
    format_moment,
    is_traditional,
    join_names,
    label,
    t,
    template,
    utc_offset,
)

ALLOWED = re.compile(
    r"https?://\S+"  # links
    r"|/[a-z]+"  # commands
    r"|\{[a-z_]+\}"  # placeholders
    r"|\b[a-z-]+\.[A-Za-z-]+\b"  # category codes: cs.DC, math.PR
    r"|author:[A-Za-z]+|YYYY-MM-DD|--top"  # command arguments: a filter's author term, a date, an option
    r"|\b(?:arXiv|ArXiv|arxiv-digest|LLM|PDF|UTC|IANA|UTF-8|Telegram|Discord|Ctrl-D|HH:MM|hep-th|"
    r"en|zh|de|ja|pt-BR|all|clear|run|new|cross|replace|Asia/Shanghai|Europe/Berlin|Europe/London)\b"
)
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[\s,;:.'-]+[A-Za-z]{2,})+")


def english_sentences(text: str) -> list[str]:
    """Runs of two or more English words left once commands, codes, links and names are taken out."""
    return ENGLISH_RUN.findall(ALLOWED.sub(" ", text))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


SAMPLE = {
    "n": 3,
    "m": 120,
    "names": "甲、乙",
    "part": 1,
    "parts": 2,
    "version": 2,
    "cats": "cs.DC",
    "date": "2026-09-24",
    "added": "cs.DC",
    "all": "cs.DC、cs.LG",
    "rejected": "“cs.DCC”",
    "removed": "cs.DC",
    "rest": "",
    "time": "08:30",
    "zone": "Asia/Shanghai，UTC+8",
    "lang": "中文",
    "given": "“cs.DCC”",
    "options": "cs.DC",
    "title": "云计算",
    "limit": 60,
    "cmd": "/subscrib",
    "suggestion": "/subscribe",
    "accepted": "1",
    "next": "2026-09-25 08:30 UTC+8",
    "hint": "en",
    "shown": "2026-09-23",
    "expected": "2026-09-24",
    "last": "2026-09-24",
    "counts": "",
    "feed": "正常",
    "category": "cs.DC",
    "name": "分布式",
    "why": "arXiv 订阅源出错",
    "when": "2026-09-24 08:35 UTC+8",
    "hosts": "rss.arxiv.org、export.arxiv.org",
    "since": "2026-09-24 08:00 UTC+8",
    "retry": "2026-09-24 08:10 UTC+8",
    "command": "/like 2606.12345",
    "announced": 400,
    "matched": 120,
    "text": "三维高斯溅射",
    "id": "2606.12345",
    "vote": "👍",
    "max": 100,
    "chars": 100,
    "filter": "LLM -survey",
    "terms": "LLM",
    "types": "新论文、交叉列表",
    "days": 21,
}


def test_both_tables_have_every_key() -> None:
    """English and Chinese have the same keys, and each message the same placeholders."""
    assert set(_ZH) == set(_EN) == set(KEYS)
    for key in KEYS:
        assert placeholders(_EN[key]) == placeholders(_ZH[key]), key


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("language", ["en", "zh", "zh-CN", "zh-TW", "zh-Hant", "de"])
def test_every_message_fills_in(key: str, language: str) -> None:
    """Every message formats with its values in every language (others fall back to English)."""
    assert t(language, key, **SAMPLE).strip()


@pytest.mark.parametrize("key", KEYS)
def test_no_english_sentence_in_chinese(key: str) -> None:
    """No Chinese message (Simplified or Traditional) contains an English sentence."""
    for language in ("zh", "zh-TW"):
        text = t(language, key, **SAMPLE)
        assert english_sentences(text) == [], (key, text)


def test_the_check_finds_english() -> None:
    """The English-sentence check does find English, and leaves commands and codes alone."""
    assert english_sentences("did you mean cs.DC?") == ["did you mean"]
    assert english_sentences("unknown arXiv category 'x'")
    assert english_sentences("试试 /subscribe cs.DC，或 /today") == []
    assert english_sentences(t("en", "help"))


@pytest.mark.parametrize(
    ("language", "traditional"),
    [("zh", False), ("zh-CN", False), ("zh-Hans", False), ("zh-TW", True), ("zh-HK", True),
     ("zh-Hant", True), ("zh-Hant-CN", True), ("en", False)],
)  # fmt: skip
def test_traditional_chinese(language: str, traditional: bool) -> None:
    """Traditional script for zh-TW, zh-HK and zh-Hant; Simplified otherwise."""
    assert is_traditional(language) is traditional
    if language.startswith("zh"):
        shown = t(language, "cmd_subscribe")
        assert shown == ("訂閱 arXiv 分類，如 cs.DC" if traditional else "订阅 arXiv 分类，如 cs.DC")


@pytest.mark.parametrize("key", KEYS)
def test_traditional_messages_use_taiwans_words(key: str) -> None:
    """zh-TW messages say 代碼, 權限, 發布 and 審核 (a code, a permission, an announcement,
    moderation), never OpenCC's program code, licence, software release or audit."""
    shown = template("zh-TW", key)
    for wrong in ("程式碼", "許可權", "釋出", "稽核", "雲端計算"):
        assert wrong not in shown, shown


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, "UTC"),
        (8 * 60, "UTC+8"),
        (-5 * 60, "UTC-5"),
        (5 * 60 + 30, "UTC+5:30"),
        (-(3 * 60 + 30), "UTC-3:30"),
    ],
)
def test_utc_offset(offset: int, expected: str) -> None:
    """Offsets are shown as UTC±H[:MM], never as an ambiguous abbreviation."""
    moment = datetime(2026, 9, 24, 8, 0, tzinfo=timezone(timedelta(minutes=offset)))
    assert utc_offset(moment) == expected
    assert format_moment(moment, seconds=True) == f"2026-09-24 08:00:00 {expected}"


def test_labels_and_lists() -> None:
    """Chinese labels end in a full-width colon; names holding 、 are joined with ；."""
    assert label("zh", "label_authors") == "作者："
    assert label("en", "label_authors") == "Authors: "
    assert join_names(["分布式、并行与集群计算", "机器学习"], "zh") == "分布式、并行与集群计算；机器学习"
    assert join_names(["机器学习", "计算机视觉"], "zh") == "机器学习、计算机视觉"
    assert template("zh", "label_summary") == "精简摘要"
    assert format_moment(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 00:00 UTC"
