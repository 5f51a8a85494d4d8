"""The Discord command helpers, pure: text commands, reply visibility, permissions, autocomplete."""

from __future__ import annotations

import discord
import pytest

from adapters.discord.client import (
    _description,
    _option,
    category_choices,
    is_private,
    language_choices,
    localized,
    may_manage,
    text_command,
    unsubscribe_choices,
    user_language,
    zone_choices,
)
from bot.commands import DigestReply, Reply, TextReply
from tests.factories import digest


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("subscribe", ("cs.DC cs.LG",), "/subscribe cs.DC cs.LG"),
        ("time", ("08:30", None), "/time 08:30"),
        ("time", (" 08:30 ", "Asia/Shanghai"), "/time 08:30 Asia/Shanghai"),
        ("today", (None,), "/today"),
        ("subscribe", ("",), "/subscribe"),
        ("list", (), "/list"),
        (
            "interests",
            ("3D Gaussian splatting and neural rendering",),
            "/interests 3D Gaussian splatting and neural rendering",
        ),
        ("filter", ('"graph neural network" -survey',), '/filter "graph neural network" -survey'),
        ("like", ("arXiv:2606.12345",), "/like arXiv:2606.12345"),
        ("more", (None,), "/more"),
        ("top", ("all",), "/top all"),
    ],
)
def test_text_command(name: str, args: tuple[str | None, ...], expected: str) -> None:
    """A slash command becomes the chat command it mirrors; empty options are left out."""
    assert text_command(name, *args) == expected


@pytest.mark.parametrize(
    ("name", "reply", "in_guild", "private"),
    [
        ("subscribe", TextReply("Subscribed"), True, False),
        ("subscribe", TextReply("unknown", ok=False), True, True),
        ("help", TextReply("Commands"), True, True),
        ("status", TextReply("Last batch"), True, True),
        ("list", TextReply("follows"), True, True),
        ("list", TextReply("follows"), False, False),
        ("subscribe", TextReply("unknown", ok=False), False, False),
        ("today", DigestReply(digest([])), True, False),
        ("more", DigestReply(digest([])), True, False),
        ("more", TextReply("nothing left", ok=False), True, True),
        ("more", TextReply("that was all"), True, True),
        ("more", TextReply("that was all"), False, False),
    ],
)
def test_is_private(name: str, reply: Reply, in_guild: bool, private: bool) -> None:
    """Rejections and replies about the caller are ephemeral in guilds; digests never; DMs never need it."""
    assert is_private(name, reply, in_guild) is private


@pytest.mark.parametrize(
    ("name", "bare", "in_guild", "private"),
    [
        ("like", False, True, True),
        ("dislike", False, True, True),
        ("like", True, True, True),
        ("like", False, False, False),
        ("interests", False, True, False),
        ("interests", True, True, True),
        ("filter", False, True, False),
        ("filter", True, True, True),
        ("types", True, True, True),
        ("top", False, True, False),
        ("top", True, True, True),
        ("top", True, False, False),
        ("subscribe", True, True, False),
    ],
)
def test_busy_day_commands_privacy(name: str, bare: bool, in_guild: bool, private: bool) -> None:
    """Votes are private; /interests, /filter, /types and /top show their setting privately when
    used alone and change it in public; in a DM nothing needs hiding."""
    assert is_private(name, TextReply("ok"), in_guild, bare) is private


@pytest.mark.parametrize(
    ("in_guild", "permissions", "allowed"),
    [
        (False, discord.Permissions.none(), True),
        (True, discord.Permissions.none(), False),
        (True, discord.Permissions(manage_channels=True), True),
        (True, discord.Permissions(manage_guild=True), True),
        (True, discord.Permissions(send_messages=True, manage_messages=True), False),
        (True, discord.Permissions.all(), True),
    ],
)
def test_may_manage(in_guild: bool, permissions: discord.Permissions, allowed: bool) -> None:
    """Manage Channels or Manage Server is needed in a guild; a DM is always the caller's own."""
    assert may_manage(in_guild, permissions) is allowed


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (discord.Locale.chinese, "zh"),
        (discord.Locale.taiwan_chinese, "zh-Hant"),
        (discord.Locale.american_english, "en"),
        (discord.Locale.german, "de"),
        (None, None),
    ],
)
def test_user_language(locale: discord.Locale | None, expected: str | None) -> None:
    """A Discord client locale becomes the language's canonical tag (Traditional for zh-TW)."""
    assert user_language(locale) == expected


@pytest.mark.parametrize(
    ("typed", "first", "expected_first"),
    [
        ("cs.DC", (), "cs.DC"),
        ("", ("math.PR",), "math.PR"),
        ("cs.DC cs.L", (), "cs.DC cs.LG"),
        ("notacat cs.L", (), None),
    ],
)
def test_category_choices(typed: str, first: tuple[str, ...], expected_first: str | None) -> None:
    """Category choices lead with the best match (or the channel's own) and complete a list word by word."""
    choices = category_choices(typed, first)
    assert len(choices) <= 25
    if expected_first is None:
        assert all(not c.value.startswith("notacat") for c in choices)
    else:
        assert choices[0].value == expected_first


@pytest.mark.parametrize(
    ("typed", "following", "expected"),
    [
        ("", ("cs.DC", "cs.LG"), ["cs.DC", "cs.LG", "all"]),
        ("lg", ("cs.DC", "cs.LG"), ["cs.LG"]),
        ("a", (), ["all"]),
        ("zzz", ("cs.DC",), []),
    ],
)
def test_unsubscribe_choices(typed: str, following: tuple[str, ...], expected: list[str]) -> None:
    """Unsubscribe offers the channel's matching categories, then all."""
    assert [c.value for c in unsubscribe_choices(typed, following)] == expected


@pytest.mark.parametrize(
    ("typed", "own", "expected_first", "expected_in"),
    [
        ("", "Asia/Tokyo", "Asia/Tokyo", "UTC"),
        ("", None, "UTC", "Asia/Shanghai"),
        ("shanghai", None, "Asia/Shanghai", "Asia/Shanghai"),
        ("new_y", None, "America/New_York", "America/New_York"),
        ("x" * 500, None, None, None),
    ],
)
def test_zone_choices(
    typed: str, own: str | None, expected_first: str | None, expected_in: str | None
) -> None:
    """Zone choices: the chat's zone and common ones when empty, else matches by name part."""
    values = [c.value for c in zone_choices(typed, own)]
    assert len(values) <= 25
    if expected_first is None:
        assert values == []
    else:
        assert values[0] == expected_first and expected_in in values


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("", "en"), ("zh", "zh"), ("中文", "zh"), ("deut", "de"), ("pt-BR", "pt-BR")],
)
def test_language_choices(typed: str, expected: str) -> None:
    """Language choices match code or name; an unlisted code is offered as typed."""
    assert expected in [c.value for c in language_choices(typed)]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (discord.Locale.chinese, "订阅 arXiv 分类，如 cs.DC"),
        (discord.Locale.taiwan_chinese, "訂閱 arXiv 分類，如 cs.DC"),
        (discord.Locale.german, None),
    ],
)
def test_descriptions_are_localized(locale: discord.Locale, expected: str | None) -> None:
    """Slash-command descriptions: Simplified for zh-CN, Traditional for zh-TW, Discord's English otherwise."""
    assert localized(_description("subscribe"), locale) == expected
    if expected is not None:
        assert localized(_option("category"), locale)


@pytest.mark.parametrize("name", ["interests", "like", "dislike", "filter", "types", "top", "more"])
@pytest.mark.parametrize("locale", [discord.Locale.chinese, discord.Locale.taiwan_chinese])
def test_busy_day_commands_are_localized(name: str, locale: discord.Locale) -> None:
    """The busy-day commands have Chinese descriptions within Discord's 100 characters."""
    text = localized(_description(name), locale)
    assert text and 1 <= len(text) <= 100 and text != _description(name).message


def test_category_labels_in_the_chat_language() -> None:
    """Autocomplete labels name categories in the chat's language, and Chinese names can be typed."""
    [first, *_] = category_choices("cs.DC", (), "zh")
    assert first.name == "cs.DC — 分布式、并行与集群计算" and first.value == "cs.DC"
    assert "cs.DC" in [c.value for c in category_choices("分布式", (), "zh")]
