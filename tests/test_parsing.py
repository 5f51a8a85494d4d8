"""Pure parsing of chat input: commands, times, zones, language codes."""

from __future__ import annotations

import pytest

from bot.commands import parse_command, parse_time, parse_zone
from bot.i18n import LANGUAGE_HINT, normalize_language, t, to_traditional


@pytest.mark.parametrize(
    ("text", "bot", "expected"),
    [
        ("/today", None, ("today", [])),
        ("/today cs.DC", None, ("today", ["cs.DC"])),
        ("  /subscribe  cs.DC   cs.LG ", None, ("subscribe", ["cs.DC", "cs.LG"])),
        ("/today@ourbot cs.DC", "ourbot", ("today", ["cs.DC"])),
        ("/today@OurBot", "ourbot", ("today", [])),
        ("/today@otherbot", "ourbot", None),
        ("/TODAY", None, ("today", [])),
        ("today", None, None),
        ("hello /today", None, None),
        ("/", None, ("", [])),
        ("/to-day", None, ("to-day", [])),
        ("/" + "x" * 40, None, ("x" * 29 + "...", [])),
        ("", None, None),
    ],
)
def test_parse_command(text: str, bot: str | None, expected: tuple[str, list[str]] | None) -> None:
    """Commands are recognised with their arguments; other bots' commands and plain text are not;
    anything else after a slash comes back as typed, to be answered."""
    assert parse_command(text, bot) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:30", "08:30"),
        ("8:30", "08:30"),
        ("23:59", "23:59"),
        ("00:00", "00:00"),
        ("08：30", "08:30"),
        ("٠٨:٣٠", "08:30"),
        ("२३:५९", "23:59"),
        ("24:00", None),
        ("12:60", None),
        ("830", None),
        ("noon", None),
        ("", None),
        ("08:30:00", None),
    ],
)
def test_parse_time(text: str, expected: str | None) -> None:
    """Times are 24-hour HH:MM in the digits of any script, normalised to two ASCII-digit hours."""
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("asia/shanghai", "Asia/Shanghai"),
        ("UTC", "UTC"),
        ("Europe/Berlin", "Europe/Berlin"),
        ("Mars/Olympus", None),
        ("x" * 10_000, None),
    ],
)
def test_parse_zone(text: str, expected: str | None) -> None:
    """Zones are IANA names matched case-insensitively."""
    assert parse_zone(text) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "en"),
        ("zh", "zh"),
        ("EN", "en"),
        ("zh-TW", "zh-Hant"),
        ("zh_tw", "zh-Hant"),
        ("zh-hant", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("pt-BR", "pt"),
        ("es-419", "es"),
        ("de", "de"),
        ("ja", "ja"),
        ("yue", "yue"),
        (" fr ", "fr"),
        ("english", "en"),
        ("e1", None),
        ("e", None),
        ("", None),
        ("zh-", None),
        ("zh-TWN1", None),
        ("en;DROP", None),
        ("x" * 10_000, None),
        ("中文", "zh"),
    ],
)
def test_normalize_language(code: str, expected: str | None) -> None:
    """Codes and names come back as the one canonical tag of their language; malformed ones are None."""
    assert normalize_language(code) == expected


def test_language_hint_names_the_accepted_form() -> None:
    """The hint shown on rejection gives examples of accepted codes."""
    assert "en" in LANGUAGE_HINT and "zh" in LANGUAGE_HINT


def test_chinese_messages_fall_back_by_primary_subtag() -> None:
    """zh-TW uses the Chinese messages in Traditional characters and unknown languages use English."""
    assert (
        t("zh-TW", "lang_set", lang="中文")
        == to_traditional(t("zh", "lang_set", lang="中文"))
        != t("zh", "lang_set", lang="中文")
    )
    assert t("de", "already", cats="cs.DC") == t("en", "already", cats="cs.DC")
