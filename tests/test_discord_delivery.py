"""Discord delivery for the push: real discord.py over REST against the fake Discord, with Discord's
errors (429 handled by discord.py, missing permissions → NoRights, other 403s and 404 → ChatGone,
5xx → DeliveryFailed); and the push itself, end to end through ``arxiv-digest run``'s wiring."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordPlatform, build_platform
from adapters.discord.endpoints import current_endpoints, restore_endpoints
from adapters.runner import push_once, run_forever
from bot import listing
from bot.errors import ChatGone, DeliveryFailed, NoRights, TokenRejected
from bot.models import ChatKey, ChatSettings, Digest
from bot.paused import FIRST_RETRY, paused
from bot.settings import Settings
from bot.store import open_store
from tests.conftest import settings_for
from tests.factories import digest as make_digest
from tests.factories import paper
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.discord import (
    TOKEN,
    FakeDiscord,
    Scripted,
    missing_access,
    missing_permissions,
    rate_limited,
    server_error,
    unknown_channel,
    validate_message,
)
from tests.fakes.feeds import make_papers, make_rss
from tests.fakes.real_day import busy_day_papers
from tests.test_discord_render import busy_day

LISTING = date(2026, 9, 24)
NOW = listing.feed_ready_at(LISTING) + timedelta(hours=2)
CATEGORIES = ["cs.DC", "cs.LG"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    previous = current_endpoints()
    async with FakeDiscord() as server:
        yield server
    restore_endpoints(previous)


def discord_settings(fake: FakeDiscord, token: str = TOKEN, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_bot_token": token,
        "discord_api_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
        "store_url": "sqlite:///:memory:",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def platform(fake: FakeDiscord) -> AsyncIterator[DiscordPlatform]:
    sender = build_platform(discord_settings(fake))
    try:
        yield sender
    finally:
        await sender.aclose()


class Acks:
    """Records what ``on_sent`` was told, in order."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, paper_ids: Sequence[str]) -> None:
        self.calls.append(list(paper_ids))


def big_digest(n: int = 25) -> Digest:
    return make_digest([paper(i, summary="A condensed summary. " * 10) for i in range(1, n + 1)])


def chat(channel_id: str) -> ChatKey:
    return ChatKey("discord", channel_id)


async def test_digest_is_sent_message_by_message(fake: FakeDiscord, platform: DiscordPlatform) -> None:
    """A digest goes out as several valid messages, each acknowledged with exactly its papers."""
    acks = Acks()
    digest = big_digest()
    await platform.send_digest(chat(fake.default_channel), digest, acks)
    sent = fake.messages[fake.default_channel]
    assert len(sent) == len(acks.calls) >= 3
    assert [pid for call in acks.calls for pid in call] == digest.paper_ids()
    for body, call in zip(sent, acks.calls, strict=True):
        assert validate_message(body) is None
        assert body["allowed_mentions"] == {"parse": []}
        assert [e["url"] for e in body["embeds"]] == [f"https://arxiv.org/abs/{pid}" for pid in call]
    assert ("GET", "/api/v10/users/@me") in fake.requests


async def test_text_is_escaped_without_mentions(fake: FakeDiscord, platform: DiscordPlatform) -> None:
    """A text message is escaped, cut to 2000 characters and sent with no mentions allowed."""
    await platform.send_text(chat(fake.default_channel), "@everyone *new* " + "x" * 3000)
    body = fake.messages[fake.default_channel][0]
    assert body["content"].startswith("@\u200beveryone \\*new\\*")
    assert len(body["content"]) == 2000
    assert body["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    "recorded",
    [
        "official_docs_examples/http_429_user_rate_limit.txt",
        "official_docs_examples/http_429_shared_resource_rate_limit.txt",
        "official_docs_examples/http_429_global_rate_limit.txt",
        "from_github_issues/rest_429_code_40062_service_resource.json",
    ],
)
async def test_429_is_retried_by_discord_py(
    fake: FakeDiscord, platform: DiscordPlatform, recorded: str
) -> None:
    """A recorded 429 (with Discord's ``Via`` header) is waited out and retried by discord.py: the
    message is sent once and acknowledged once."""
    fake.script(fake.default_channel, rate_limited(recorded, retry_after=0.05))
    acks = Acks()
    digest = make_digest([paper(1)])
    await platform.send_digest(chat(fake.default_channel), digest, acks)
    assert fake.attempts[fake.default_channel] == 2
    assert len(fake.messages[fake.default_channel]) == 1
    assert acks.calls == [digest.paper_ids()]


async def test_long_429_fails_the_delivery_with_retry_after(
    fake: FakeDiscord, platform: DiscordPlatform
) -> None:
    """A 429 asking for longer than a push waits (the recorded 64.57 s) fails with that retry_after
    and nothing is acknowledged."""
    fake.script(fake.default_channel, rate_limited(retry_after=None))
    acks = Acks()
    with pytest.raises(DeliveryFailed) as caught:
        await platform.send_digest(chat(fake.default_channel), make_digest([paper(1)]), acks)
    assert caught.value.retry_after == pytest.approx(64.57)
    assert acks.calls == [] and fake.default_channel not in fake.messages


async def test_429_without_via_is_not_retried(fake: FakeDiscord, platform: DiscordPlatform) -> None:
    """A 429 without ``Via`` (not from Discord's API, e.g. a Cloudflare block) is a failed delivery."""
    limited = rate_limited()
    limited.headers.pop("Via")
    fake.script(fake.default_channel, limited)
    with pytest.raises(DeliveryFailed):
        await platform.send_text(chat(fake.default_channel), "hello")
    assert fake.attempts[fake.default_channel] == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (missing_access(), NoRights),
        (unknown_channel(), ChatGone),
        (missing_permissions(), NoRights),
        (Scripted(403, {"message": "Cannot send messages to this user", "code": 50007}), ChatGone),
        (server_error(503), DeliveryFailed),
        (Scripted(400, {"message": "Invalid Form Body", "code": 50035, "errors": {}}), DeliveryFailed),
    ],
)
async def test_errors_as_discord_defines_them(
    fake: FakeDiscord, platform: DiscordPlatform, reply: Scripted, expected: type[Exception]
) -> None:
    """Missing Access/Permissions mean a missing right; other 403s and 404 mean the channel is gone
    for the bot; 5xx and other refusals are failed deliveries."""
    fake.script(fake.default_channel, reply)
    acks = Acks()
    with pytest.raises(expected):
        await platform.send_digest(chat(fake.default_channel), make_digest([paper(1)]), acks)
    assert acks.calls == []


async def test_failure_mid_digest_keeps_earlier_acknowledgements(
    fake: FakeDiscord, platform: DiscordPlatform
) -> None:
    """When the channel disappears after the first message, only that message's papers are acknowledged."""
    channel = fake.default_channel
    acks = Acks()
    digest = big_digest()
    original = fake.channels[channel]

    async def remove_after_first(paper_ids: Sequence[str]) -> None:
        await acks(paper_ids)
        fake.remove_channel(channel)

    with pytest.raises(ChatGone):
        await platform.send_digest(chat(channel), digest, remove_after_first)
    assert len(acks.calls) == 1 and len(fake.messages[channel]) == 1
    fake.channels[channel] = original


@pytest.mark.parametrize("chat_id", ["1234567890123", "not-a-number", "-5"])
async def test_unknown_or_invalid_channel_is_gone(
    fake: FakeDiscord, platform: DiscordPlatform, chat_id: str
) -> None:
    """A channel Discord does not know, or an id that cannot be a channel, is ChatGone."""
    with pytest.raises(ChatGone):
        await platform.send_text(chat(chat_id), "hello")


async def test_refused_token_is_token_rejected(fake: FakeDiscord) -> None:
    """A token Discord refuses is TokenRejected naming DISCORD_BOT_TOKEN, never showing the token,
    and later sends fail the same way without logging in again."""
    sender = build_platform(discord_settings(fake, token="wrong-token"))
    try:
        with pytest.raises(TokenRejected) as caught:
            await sender.send_text(chat(fake.default_channel), "hello")
        assert caught.value.setting == "DISCORD_BOT_TOKEN"
        assert "wrong-token" not in str(caught.value) and "wrong-token" not in repr(sender)
        logins = fake.requests.count(("GET", "/api/v10/users/@me"))
        with pytest.raises(TokenRejected):
            await sender.send_text(chat(fake.default_channel), "again")
        assert fake.requests.count(("GET", "/api/v10/users/@me")) == logins
    finally:
        await sender.aclose()


# -- the push, end to end --------------------------------------------------------------------------------


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as server:
        server.set_feed(make_rss(LISTING, make_papers(30, CATEGORIES), CATEGORIES))
        yield server


def full_settings(fake: FakeDiscord, arxiv: FakeArxiv, tmp_path: Path) -> Settings:
    return settings_for(
        arxiv,
        discord_bot_token=TOKEN,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        store_url=f"sqlite:///{tmp_path / 'store.sqlite3'}",
    )


async def subscribe(settings: Settings, *chats: ChatSettings) -> None:
    store = await open_store(settings.store_url, settings.store_prefix)
    try:
        for item in chats:
            await store.put_chat(item)
    finally:
        await store.close()


async def test_push_once_delivers_and_unsubscribes_gone_channels(
    fake: FakeDiscord, arxiv: FakeArxiv, tmp_path: Path
) -> None:
    """``arxiv-digest push --now`` sends each subscribed channel its digest once (every paper, as the
    channel asked with /top all), and a channel that answers 404 Unknown Channel is unsubscribed."""
    settings = full_settings(fake, arxiv, tmp_path)
    good, gone = fake.default_channel, fake.guilds[fake.default_guild]["channels"][1]["id"]
    fake.script(gone, unknown_channel())
    base = ChatSettings(chat(good), categories=tuple(CATEGORIES), top="all")
    await subscribe(settings, base, replace(base, chat=chat(gone)))
    assert await push_once(settings, everyone=True, clock=lambda: NOW) == 0
    sent = fake.messages[good]
    urls = [e["url"] for body in sent for e in body["embeds"]]
    assert len(urls) == len(set(urls)) > 10
    assert all(validate_message(body) is None for body in sent)
    assert gone not in fake.messages
    store = await open_store(settings.store_url, settings.store_prefix)
    try:
        assert await store.get_chat(chat(gone)) is None
        assert await store.get_chat(chat(good)) is not None
    finally:
        await store.close()
    assert await push_once(settings, everyone=True, clock=lambda: NOW) == 0
    assert len(fake.messages[good]) == len(sent)


async def test_run_serves_slash_commands_and_pushes(
    fake: FakeDiscord, arxiv: FakeArxiv, tmp_path: Path
) -> None:
    """``arxiv-digest run`` with DISCORD_BOT_TOKEN set: a channel subscribes by slash command, then the
    scheduled push delivers its digest there, and the process stops cleanly."""
    settings = full_settings(fake, arxiv, tmp_path)
    now = [NOW]
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(settings, clock=lambda: now[0], interval=0.1, stop_event=stop))
    try:
        await fake.wait_for(lambda: fake.ready.is_set() and None in fake.synced, 10)
        entry = await fake.interact(fake.interaction("subscribe", [fake.option("category", "cs.DC cs.LG")]))
        assert entry.texts[0].startswith("Subscribed")
        now[0] = NOW + timedelta(days=1)
        await fake.wait_for(lambda: bool(fake.messages.get(fake.default_channel)), 10)
        assert "arXiv Daily Digest - " in fake.messages[fake.default_channel][0]["content"]
    finally:
        stop.set()
        assert await asyncio.wait_for(task, 20) == 0


async def test_missing_permission_pauses_the_channel_until_it_returns(
    fake: FakeDiscord, arxiv: FakeArxiv, tmp_path: Path
) -> None:
    """A channel answering 403 Missing Permissions keeps its subscription, zone and language, is
    paused and due again after the backoff; once the permission is back, that push delivers."""
    settings = full_settings(fake, arxiv, tmp_path)
    channel = fake.default_channel
    fake.script(channel, missing_permissions())
    base = ChatSettings(chat(channel), categories=tuple(CATEGORIES), timezone="Asia/Tokyo", language="zh")
    await subscribe(settings, base)
    store = await open_store(settings.store_url, settings.store_prefix)
    try:
        await store.set_due(chat(channel), NOW.timestamp())
        assert await push_once(settings, clock=lambda: NOW) == 0
        assert channel not in fake.messages
        assert await store.get_chat(chat(channel)) == base
        assert await paused(store, chat(channel)) is not None
        retry = NOW + FIRST_RETRY
        assert await store.get_due(chat(channel)) == retry.timestamp()
        assert await push_once(settings, clock=lambda: retry) == 0
        assert len(fake.messages[channel]) >= 1
        assert await paused(store, chat(channel)) is None
        assert await store.get_chat(chat(channel)) == base
    finally:
        await store.close()


# -- busy days: buttons and at most max_messages ---------------------------------------------------------


def buttons(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["custom_id"], b["label"]) for row in body.get("components") or [] for b in row["components"]]


async def test_digest_goes_out_with_its_buttons(fake: FakeDiscord, platform: DiscordPlatform) -> None:
    """Each message carries 👍/👎 for exactly the papers it acknowledges; the last one More (n)."""
    acks = Acks()
    digest = replace(big_digest(25), shown=15)
    await platform.send_digest(chat(fake.default_channel), digest, acks)
    sent = fake.messages[fake.default_channel]
    assert [pid for call in acks.calls for pid in call] == [p.id for p in digest.full]
    for body, call in zip(sent, acks.calls, strict=True):
        votes = [cid for cid, _ in buttons(body) if not cid.startswith("more:")]
        assert votes == [f"{kind}:{pid}" for pid in call for kind in ("like", "dislike")]
    assert buttons(sent[-1])[-1] == ("more:2026-09-24", "More (10)")
    assert all(not cid.startswith("more:") for body in sent[:-1] for cid, _ in buttons(body))


async def test_busy_day_in_at_most_three_messages(fake: FakeDiscord, platform: DiscordPlatform) -> None:
    """The recorded 499-paper day with every paper in full, capped at 3 messages: 3 messages within
    every Discord limit, each acknowledged with exactly its papers, the first papers of the day in
    order; the rest are not acknowledged and are counted on More (n)."""
    papers = busy_day()
    acks = Acks()
    await platform.send_digest(chat(fake.default_channel), make_digest(papers), acks, max_messages=3)
    sent = fake.messages[fake.default_channel]
    assert len(sent) == len(acks.calls) == 3
    acked = [pid for call in acks.calls for pid in call]
    assert acked == [p.id for p in papers[: len(acked)]]
    for body in sent:
        assert validate_message(body) is None and len(body["embeds"]) <= 10
    assert buttons(sent[-1])[-1] == ("more:2026-09-24", f"More ({len(papers) - len(acked)})")
    assert sent[0]["content"].splitlines()[0].endswith("(1/3)**")


async def test_busy_day_push_sends_at_most_three_messages_per_channel(tmp_path: Path) -> None:
    """``arxiv-digest push --now`` on the recorded busy day (cs.CV, cs.CL, cs.AI) to three channels:
    at most 3 valid messages each, 👍/👎 under every paper, More on the last message, and only the
    papers sent are marked received."""
    day = date(2026, 6, 23)
    categories = ["cs.CV", "cs.CL", "cs.AI"]
    previous = current_endpoints()
    async with FakeDiscord() as fake, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(day, busy_day_papers(tuple(categories)), categories))
        settings = full_settings(fake, arxiv, tmp_path)
        channels = [fake.default_channel, fake.guilds[fake.default_guild]["channels"][1]["id"]]
        channels.append(fake.add_thread(fake.default_channel))
        await subscribe(settings, *(ChatSettings(chat(c), categories=tuple(categories)) for c in channels))
        now = listing.feed_ready_at(day) + timedelta(hours=2)
        try:
            assert await push_once(settings, everyone=True, clock=lambda: now) == 0
        finally:
            restore_endpoints(previous)
        store = await open_store(settings.store_url, settings.store_prefix)
        try:
            for channel in channels:
                sent = fake.messages[channel]
                assert 1 <= len(sent) <= 3
                shown = [e["url"].rsplit("/", 1)[1] for body in sent for e in body["embeds"]]
                for body in sent:
                    assert validate_message(body) is None
                    votes = [cid for cid, _ in buttons(body) if not cid.startswith("more:")]
                    ids = [e["url"].rsplit("/", 1)[1] for e in body["embeds"]]
                    assert votes == [f"{kind}:{pid}" for pid in ids for kind in ("like", "dislike")]
                assert buttons(sent[-1])[-1][0] == "more:2026-06-23"
                every = [p["id"] for p in busy_day_papers(tuple(categories))]
                assert await store.filter_received(chat(channel), every) == set(shown)
        finally:
            await store.close()
