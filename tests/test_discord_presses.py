"""Buttons on Discord end to end: real discord.py against the fake Discord's gateway (component
interactions) and REST (messages with buttons, interaction callbacks), the core's commands and a
real store. A press acts on the channel the interaction comes from, is always answered, and a
forged one changes nothing."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import build_platform
from bot.i18n import t, template
from tests.fakes.discord import EPHEMERAL, MEMBER_PERMISSIONS, InteractionLog, custom_ids, load
from tests.test_discord_bot import CATEGORIES, Running, eventually, running_discord, snapshot


def refused(texts: list[str]) -> bool:
    """Whether a reply is the refusal of a button (unknown, or not usable here), in any language."""
    for language in ("en", "zh"):
        stale = template(language, "btn_stale").split("{command}")
        for text in texts:
            if text == t(language, "btn_invalid") or (text.startswith(stale[0]) and text.endswith(stale[1])):
                return True
    return False


def public(bot: Running, channel_id: str) -> int:
    """How many messages everyone in the channel can see the bot created there."""
    return sum(1 for m in bot.discord.created.get(channel_id, []) if not m["flags"] & EPHEMERAL)


def chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def embed_urls(message: dict[str, Any]) -> list[str]:
    return [embed["url"] for embed in message.get("embeds") or []]


def votes_of(message: dict[str, Any]) -> list[str]:
    return [cid for cid in custom_ids(message) if not cid.startswith("more:")]


def expected_votes(message: dict[str, Any]) -> list[str]:
    ids = [url.rsplit("/", 1)[1] for url in embed_urls(message)]
    return [f"{kind}:{pid}" for pid in ids for kind in ("like", "dislike")]


PART = re.compile(r"\((\d+)/(\d+)\)\*\*$", re.MULTILINE)


def digest_sent(entry: InteractionLog) -> bool:
    """Whether every message of the digest an interaction answers with has been sent: its first
    message's title says how many parts (``(1/3)``), none for a digest of one message."""
    if not entry.followups:
        return False
    marker = PART.search(entry.followups[0].get("content") or "")
    return len(entry.followups) >= (int(marker.group(2)) if marker else 1)


async def today(bot: Running, channel_id: str | None = None) -> list[dict[str, Any]]:
    """Use /today in a channel and return the digest messages it created there, with their buttons."""
    channel = channel_id or bot.discord.default_channel
    before = len(bot.discord.created.get(channel, []))
    entry = await bot.slash("today", channel_id=channel)
    assert entry.callback_type == 5
    await bot.discord.wait_for(lambda: digest_sent(entry), 10)
    return bot.discord.created[channel][before:]


async def press(bot: Running, payload: dict[str, Any]) -> InteractionLog:
    entry = await bot.discord.interact(payload)
    if entry.callback_type == 5:
        await bot.discord.wait_for(lambda: bool(entry.followups), 10)
    return entry


async def subscribed(bot: Running, channel_id: str | None = None, language: str = "en") -> None:
    await bot.slash("subscribe", category=" ".join(CATEGORIES), channel_id=channel_id)
    if language != "en":
        await bot.slash("lang", code=language, channel_id=channel_id)


@pytest.fixture
async def bot(tmp_path: Path) -> Any:
    async with running_discord(tmp_path) as running:
        yield running


# -- buttons under digests ---------------------------------------------------------------------------------


async def test_today_digest_carries_a_vote_pair_per_paper(bot: Running) -> None:
    """Every /today message carries 👍/👎 for exactly the papers it shows, labelled with their
    numbers, in rows Discord accepts (the fake refuses anything else)."""
    await subscribed(bot)
    messages = await today(bot)
    assert len(messages) >= 2
    for message in messages:
        assert votes_of(message) == expected_votes(message)
        assert len(message["components"]) <= 5
    labels = [b["label"] for row in messages[0]["components"] for b in row["components"]]
    assert labels[:4] == ["👍 1", "👎 1", "👍 2", "👎 2"]


async def test_pushed_digest_with_more_papers_has_a_more_button(bot: Running) -> None:
    """A digest showing only part of the day, sent by the push's own client, ends with More (n)
    carrying the listing date, on its last message only."""
    digest = await bot.app.engine.build(CATEGORIES, None, "en")
    partial = replace(digest, shown=12)
    platform = build_platform(bot.app.settings)
    acks: list[list[str]] = []

    async def on_sent(ids: Sequence[str]) -> None:
        acks.append(list(ids))

    try:
        await platform.send_digest(bot.chat(), partial, on_sent)
    finally:
        await platform.aclose()
    sent = bot.discord.created[bot.discord.default_channel]
    assert sum(len(embed_urls(m)) for m in sent) == 12 and len(sent) >= 2
    assert [pid for ids in acks for pid in ids] == [p.id for p in partial.full]
    more = f"more:{digest.listing_date.isoformat()}"
    assert custom_ids(sent[-1])[-1] == more and more not in custom_ids(sent[0])
    left = len(digest.all_papers) - 12
    assert sent[-1]["components"][-1]["components"][-1]["label"] == f"More ({left})"
    assert sent[-1]["content"].endswith(f"{left} more papers of this day: /more")


# -- presses -------------------------------------------------------------------------------------------


async def test_vote_is_answered_ephemerally_for_the_interactions_channel(bot: Running) -> None:
    """A 👍 press is answered ephemerally, in the language of the channel the interaction comes from,
    even when the pressed message names another channel; it posts nothing and changes no settings."""
    fake = bot.discord
    other = fake.guilds[fake.default_guild]["channels"][1]["id"]
    await subscribed(bot)
    await subscribed(bot, other, language="zh")
    message = (await today(bot))[0]
    before = (await snapshot(bot), await snapshot(bot, bot.chat(other)), public(bot, fake.default_channel))
    here = await press(bot, fake.press(message))
    there = await press(bot, fake.press(message, channel_id=other))
    for entry in (here, there):
        assert entry.callback_type == 4 and entry.ephemeral and entry.texts
        assert entry.callbacks[0]["data"]["allowed_mentions"] == {"parse": []}
        assert not refused(entry.texts)
    assert not chinese(here.texts[0]) and chinese(there.texts[0])
    assert there.payload["message"]["channel_id"] == fake.default_channel
    after = (await snapshot(bot), await snapshot(bot, bot.chat(other)), public(bot, fake.default_channel))
    assert after == before
    assert public(bot, other) == 2


async def test_every_button_of_a_digest_is_answered(bot: Running) -> None:
    """Each of a message's buttons, pressed by a member without any right, gets a response."""
    await subscribed(bot)
    message = (await today(bot))[-1]
    for custom in custom_ids(message):
        entry = await press(bot, bot.discord.press(message, custom, permissions=MEMBER_PERMISSIONS))
        assert entry.responded and entry.texts and not refused(entry.texts)


async def test_press_in_a_dm(bot: Running) -> None:
    """In a DM (no guild, no member) a press is answered like in a channel."""
    dm = bot.discord.add_dm()
    await subscribed(bot, dm)
    message = (await today(bot, dm))[0]
    entry = await press(bot, bot.discord.press(message, custom_ids(message)[1]))
    assert entry.responded and entry.texts and not refused(entry.texts)


def _foreign(message: dict[str, Any]) -> dict[str, Any]:
    forged = copy.deepcopy(message)
    forged["author"] = load("discordrb_json_examples/user.json")
    return forged


FORGED: list[tuple[str, str | None, str | None]] = [
    ("like:../../2609.00001", None, None),
    ("share:2609.00001", None, None),
    ("subscribe:cs.DC", None, None),
    ("like:2609.00001 /unsubscribe all", None, None),
    ("more:2026-02-30", None, None),
    ("x" * 100, None, None),
    ("like:<@&123456789012345678>", None, None),
    ("", "select", None),
    ("more:2026-09-24", None, "/more 2026-09-24"),
    ("like:2609.99999", None, "/like 2609.99999"),
    ("", "foreign", "first"),
    ("", "no message", "first"),
]


@pytest.mark.parametrize(("custom", "twist", "command"), FORGED)
async def test_forged_press_gets_an_error_and_changes_nothing(
    bot: Running, custom: str, twist: str | None, command: str | None
) -> None:
    """A custom_id the bot does not send or a select menu: "unknown button"; a valid one its
    message does not carry, on a message someone else sent or on none at all: "no longer works
    here", naming the command to send instead. Ephemeral, and nothing changes."""
    fake = bot.discord
    await subscribed(bot)
    message = (await today(bot))[0]
    before = (await snapshot(bot), public(bot, fake.default_channel))
    payload = fake.press(message, custom or None)
    if twist == "select":
        payload["data"]["component_type"] = 3
        payload["data"]["values"] = ["x"]
    elif twist == "foreign":
        payload["message"] = _foreign(message)
    elif twist == "no message":
        payload.pop("message")
    entry = await press(bot, payload)
    assert entry.callback_type == 4 and entry.ephemeral
    if command is None:
        assert entry.texts == [t("en", "btn_invalid")]
    else:
        named = f"/like {message['embeds'][0]['url'].rsplit('/', 1)[1]}" if command == "first" else command
        assert entry.texts == [t("en", "btn_stale", command=named)]
    assert entry.followups == []
    assert (await snapshot(bot), public(bot, fake.default_channel)) == before
    assert await bot.store.get_feedback(bot.chat()) == []
    assert not bot.task.done()


async def test_forged_press_answered_in_the_channels_language(bot: Running) -> None:
    """The error for a forged press speaks the channel's language."""
    await subscribed(bot, language="zh")
    message = (await today(bot))[0]
    entry = await press(bot, bot.discord.press(message, "like:2609.99999"))
    assert entry.ephemeral and entry.texts == [t("zh", "btn_stale", command="/like 2609.99999")]


async def test_more_press_is_deferred_publicly(bot: Running) -> None:
    """More defers at once with a public "thinking…", and its answer follows."""
    digest = await bot.app.engine.build(CATEGORIES, None, "en")
    platform = build_platform(bot.app.settings)

    async def on_sent(ids: Sequence[str]) -> None:
        await bot.app.commands.delivered(bot.chat(), ids)

    try:
        await platform.send_digest(bot.chat(), replace(digest, shown=3), on_sent)
    finally:
        await platform.aclose()
    message = bot.discord.created[bot.discord.default_channel][-1]
    entry = await press(bot, bot.discord.press(message, f"more:{digest.listing_date.isoformat()}"))
    assert entry.callback_type == 5 and not entry.ephemeral
    assert entry.followups and entry.texts


async def test_buttons_work_after_a_restart(tmp_path: Path) -> None:
    """A button sent before the bot restarted is answered by the new process (no view in memory)."""
    async with running_discord(tmp_path) as first:
        await subscribed(first)
        message = (await today(first))[0]
    async with running_discord(tmp_path) as second:
        assert second.discord.created == {}
        entry = await press(second, second.discord.press(message, custom_ids(message)[0]))
        assert entry.callback_type == 4 and entry.ephemeral
        assert entry.texts and not refused(entry.texts)


# -- votes, pages and settings ----------------------------------------------------------------------------


async def test_vote_is_recorded_for_the_interactions_channel(bot: Running) -> None:
    """👍 pressed from another channel than the pressed message's is recorded for the interaction's
    channel only; 👎 then replaces it; the reply says the vote was noted."""
    fake = bot.discord
    other = fake.guilds[fake.default_guild]["channels"][1]["id"]
    await subscribed(bot)
    await subscribed(bot, other)
    message = (await today(bot))[0]
    paper_id = message["embeds"][0]["url"].rsplit("/", 1)[1]
    liked = await press(bot, fake.press(message, f"like:{paper_id}", channel_id=other))
    assert liked.ephemeral and "👍" in liked.texts[0]
    assert [(f.paper_id, f.vote) for f in await bot.store.get_feedback(bot.chat(other))] == [(paper_id, 1)]
    assert await bot.store.get_feedback(bot.chat()) == []
    disliked = await press(bot, fake.press(message, f"dislike:{paper_id}", channel_id=other))
    assert disliked.ephemeral and "👎" in disliked.texts[0]
    assert [(f.paper_id, f.vote) for f in await bot.store.get_feedback(bot.chat(other))] == [(paper_id, -1)]


def more_count(message: dict[str, Any]) -> int:
    """n of the message's "More (n)" button; 0 without one."""
    last = message["components"][-1]["components"][-1]
    if not last["custom_id"].startswith("more:"):
        return 0
    return int(last["label"].rsplit("(", 1)[1].rstrip(")"))


async def test_more_by_button_until_the_day_is_exhausted(bot: Running) -> None:
    """/top 10, /today, then More pressed on each newest page: every page continues the numbering,
    brings its own buttons, never repeats a paper, and the last page has no More; pressing an old
    More then says nothing is left, ephemerally."""
    fake = bot.discord
    channel = fake.default_channel
    await subscribed(bot)
    assert (await bot.slash("top", number="10")).texts
    digest = await bot.app.engine.build(CATEGORIES, None, "en")
    total = len(digest.all_papers)
    pages = [await today(bot)]
    first_more = custom_ids(pages[0][-1])[-1]
    assert first_more == f"more:{digest.listing_date.isoformat()}"
    while more_count(pages[-1][-1]):
        before = len(fake.created[channel])
        entry = await press(bot, fake.press(pages[-1][-1], custom_ids(pages[-1][-1])[-1]))
        assert entry.callback_type == 5 and not entry.ephemeral
        await fake.wait_for(lambda entry=entry: digest_sent(entry), 10)  # type: ignore[misc]
        pages.append(fake.created[channel][before:])
        assert len(pages) <= total
    urls = [url for page in pages for message in page for url in embed_urls(message)]
    assert len(urls) == len(set(urls)) == total
    titles = [e["title"] for page in pages for m in page for e in m["embeds"]]
    assert [int(title.split(".", 1)[0]) for title in titles] == list(range(1, total + 1))
    for page in pages:
        for message in page:
            assert votes_of(message) == expected_votes(message)
    ids = [url.rsplit("/", 1)[1] for url in urls]

    async def received() -> bool:
        got: set[str] = await bot.store.filter_received(bot.chat(), ids)
        return got == set(ids)

    await eventually(received)
    again = await press(bot, fake.press(pages[0][-1], first_more))
    assert again.texts and (again.ephemeral or again.followups[-1]["flags"] & 64)
    assert len({url for m in fake.created[channel] for url in embed_urls(m)}) == total


async def test_slash_votes_and_settings(bot: Running) -> None:
    """/like and /dislike by slash command record a vote privately; /interests, /filter, /types and
    /top change the channel's settings in public and show them privately when used alone."""
    await subscribed(bot)
    message = (await today(bot))[0]
    paper_id = message["embeds"][0]["url"].rsplit("/", 1)[1]
    liked = await bot.slash("like", paper=f"arXiv:{paper_id}")
    assert liked.ephemeral and "👍" in liked.texts[0]
    assert [f.paper_id for f in await bot.store.get_feedback(bot.chat())] == [paper_id]
    for name, option, value in (
        ("interests", "text", "distributed training of large models"),
        ("filter", "terms", '"graph neural network" -survey'),
        ("types", "types", "new cross"),
        ("top", "number", "5"),
    ):
        given: dict[str, Any] = {option: value}
        changed = await bot.slash(name, **given)
        assert not changed.ephemeral, (name, changed.texts)
        shown = await bot.slash(name)
        assert shown.ephemeral and shown.texts, name
    refused = await bot.slash("top", number="0")
    assert refused.ephemeral
