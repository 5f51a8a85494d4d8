"""Delivery to Telegram (the push's Platform): order, ledger callbacks and Telegram's errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

import pytest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from adapters.telegram.app import build_platform, make_bot
from adapters.telegram.delivery import SEND_READ_TIMEOUT, TelegramPlatform, chat_key, chat_target
from adapters.telegram.limits import FloodControl, Limits, TelegramRateLimiter
from adapters.telegram.render import render_digest
from bot.errors import ChatGone, ChatMigrated, DeliveryFailed, NoRights, TokenRejected
from bot.metrics import Metrics
from bot.models import ChatKey, Digest
from bot.settings import Settings
from tests.factories import digest, paper
from tests.fakes.real_day import BUSY_DAY, busy_day_models
from tests.fakes.telegram import (
    FakeError,
    FakeTelegram,
    FloodLimits,
    accepted_late,
    bot_blocked,
    bot_kicked,
    cant_parse_entities,
    chat_not_found,
    error_body,
    group_migrated,
    not_enough_rights,
    parse_html,
    server_error,
    stall,
    too_many_requests,
    user_deactivated,
)
from tests.fakes.telegram_harness import QUICK_RETRY, UNLIMITED

PRIVATE = ChatKey("telegram", "10081232")
BIG = digest([paper(i, summary="A long enough summary sentence. " * 12, source="llm") for i in range(1, 40)])


@dataclass
class Sent:
    """What on_sent was told, and how many messages the fake had accepted at that moment."""

    tg: FakeTelegram
    calls: list[tuple[tuple[str, ...], int]] = field(default_factory=list)

    async def __call__(self, paper_ids: Sequence[str]) -> None:
        self.calls.append((tuple(paper_ids), len(self.tg.sent)))


@dataclass
class Setup:
    tg: FakeTelegram
    platform: TelegramPlatform
    sleeps: list[float]


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    async with FakeTelegram() as tg:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=tg.token,  # type: ignore[arg-type]
            telegram_api_url=tg.api_url,
        )
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        platform = build_platform(settings, flood=FloodControl(UNLIMITED), policy=QUICK_RETRY, sleep=sleep)
        async with platform:
            yield Setup(tg, platform, sleeps)


@pytest.mark.parametrize(
    ("chat_id", "target"),
    [
        ("10081232", (10081232, None)),
        ("-4012345678", (-4012345678, None)),
        ("-1001557912345:77", (-1001557912345, 77)),
        ("@papers", ("@papers", None)),
        ("-100155:abc", ("-100155:abc", None)),
    ],
)
def test_chat_target(chat_id: str, target: tuple[int | str, int | None]) -> None:
    """A ChatKey names a chat, or a forum topic as "chat:thread"."""
    assert chat_target(ChatKey("telegram", chat_id)) == target
    if target[1] is not None or isinstance(target[0], int):
        assert chat_key(*target) == ChatKey("telegram", chat_id)


async def test_digest_in_order_with_ledger_after_each(setup: Setup) -> None:
    """Parts go out in order; on_sent follows each acknowledged message with exactly its papers."""
    on_sent = Sent(setup.tg)
    await setup.platform.send_digest(PRIVATE, BIG, on_sent)
    expected = render_digest(BIG)
    assert len(expected) > 1
    assert [m.text for m in setup.tg.sent] == [m.html for m in expected]
    assert on_sent.calls == [(m.paper_ids, k) for k, m in enumerate(expected, start=1)]
    for message in setup.tg.sent:
        assert message.parse_mode == "HTML"
        assert message.link_preview_options == {"is_disabled": True}
        assert message.message_thread_id is None


async def test_topic_delivery(setup: Setup) -> None:
    """A forum topic's digest goes to that topic (message_thread_id)."""
    topic = ChatKey("telegram", "-1001557912345:77")
    await setup.platform.send_digest(topic, digest([paper(1)]), Sent(setup.tg))
    [message] = setup.tg.sent
    assert (message.chat_id, message.message_thread_id) == (-1001557912345, 77)


async def test_retry_after_waits_and_sends_once(setup: Setup) -> None:
    """429 with a short retry_after: wait that many seconds, then send the message once."""
    setup.tg.fail(too_many_requests(5), chat_id=10081232)
    on_sent = Sent(setup.tg)
    await setup.platform.send_digest(PRIVATE, digest([paper(1)]), on_sent)
    assert setup.sleeps == [5.0]
    assert len(setup.tg.sent) == 1
    assert len(setup.tg.rejected) == 1
    assert on_sent.calls == [(("2609.00001",), 1)]


@pytest.mark.parametrize("seconds", [14, 120])
async def test_long_retry_after_fails_at_once(setup: Setup, seconds: int) -> None:
    """429 with a retry_after longer than the policy waits in place fails the send at once with that
    retry_after (the push reschedules the chat): nothing is waited for, nothing sent or acknowledged."""
    setup.tg.fail(too_many_requests(seconds), chat_id=10081232, times=None)
    on_sent = Sent(setup.tg)
    with pytest.raises(DeliveryFailed) as caught:
        await setup.platform.send_digest(PRIVATE, digest([paper(1)]), on_sent)
    assert caught.value.retry_after == float(seconds)
    assert setup.sleeps == []
    assert setup.tg.sent == [] and on_sent.calls == []


async def test_retry_after_without_end_fails(setup: Setup) -> None:
    """A chat that keeps answering 429 ends in DeliveryFailed carrying retry_after (never dropped)."""
    setup.tg.fail(too_many_requests(3), chat_id=10081232, times=None)
    with pytest.raises(DeliveryFailed) as caught:
        await setup.platform.send_text(PRIVATE, "hello")
    assert caught.value.retry_after == 3.0
    assert setup.sleeps == [3.0] * QUICK_RETRY.max_flood_waits
    assert setup.tg.sent == []


@pytest.mark.parametrize("error", [bot_blocked(), user_deactivated(), bot_kicked(), chat_not_found()])
async def test_chat_gone(setup: Setup, error: FakeError) -> None:
    """403 (blocked, deactivated, kicked) and 400 "chat not found" → ChatGone, ledger untouched."""
    setup.tg.fail(error, chat_id=10081232, times=None)
    on_sent = Sent(setup.tg)
    with pytest.raises(ChatGone):
        await setup.platform.send_digest(PRIVATE, digest([paper(1)]), on_sent)
    assert on_sent.calls == []


async def test_gone_midway_keeps_what_arrived(setup: Setup) -> None:
    """When a chat goes away between parts, only the delivered parts reach the ledger."""
    on_sent = Sent(setup.tg)
    first = render_digest(BIG)[0]

    async def block_after_first(paper_ids: Sequence[str]) -> None:
        await on_sent(paper_ids)
        setup.tg.fail(bot_blocked(), chat_id=10081232, times=None)

    with pytest.raises(ChatGone):
        await setup.platform.send_digest(PRIVATE, BIG, block_after_first)
    assert on_sent.calls == [(first.paper_ids, 1)]


async def test_migrated_group(setup: Setup) -> None:
    """400 with migrate_to_chat_id → ChatMigrated with the supergroup's id."""
    setup.tg.fail(group_migrated(-1001557912345), chat_id=-4012345678)
    with pytest.raises(ChatMigrated) as caught:
        await setup.platform.send_text(ChatKey("telegram", "-4012345678"), "hello")
    assert caught.value.new_chat_id == "-1001557912345"
    await setup.platform.send_text(chat_key(caught.value.new_chat_id), "hello")
    assert [m.chat_id for m in setup.tg.sent] == [-1001557912345]


@pytest.mark.parametrize("error", [server_error(500), server_error(502), server_error(503)])
async def test_server_errors_are_retried(setup: Setup, error: FakeError) -> None:
    """5xx answers are retried with backoff; the message arrives once."""
    setup.tg.fail(error, times=2)
    await setup.platform.send_text(PRIVATE, "hello")
    assert [m.text for m in setup.tg.sent] == ["hello"]
    assert len(setup.tg.rejected) == 2


async def test_server_errors_outlasting_retries(setup: Setup) -> None:
    """5xx on every attempt → DeliveryFailed after the policy's attempts, nothing sent."""
    setup.tg.fail(server_error(502), times=None)
    with pytest.raises(DeliveryFailed):
        await setup.platform.send_text(PRIVATE, "hello")
    assert len(setup.tg.rejected) == QUICK_RETRY.attempts
    assert setup.tg.sent == []


async def test_timeouts_are_retried() -> None:
    """A request that times out is tried again and the message arrives once."""
    async with FakeTelegram() as tg:
        bot = ExtBot(
            tg.token,
            base_url=tg.api_url,
            request=HTTPXRequest(read_timeout=0.2),
            rate_limiter=TelegramRateLimiter(FloodControl(UNLIMITED)),
        )
        async with TelegramPlatform(bot, policy=QUICK_RETRY, owns_bot=True) as platform:
            tg.fail(stall(0.5))
            await platform.send_text(PRIVATE, "hello")
        assert [m.text for m in tg.sent] == ["hello"]


async def test_unparsable_entities_resent_as_plain_text(setup: Setup) -> None:
    """If Telegram ever refuses our HTML, the same message goes again as plain text."""
    setup.tg.fail(cant_parse_entities())
    on_sent = Sent(setup.tg)
    d = digest([paper(1, title="A <b> & title")])
    await setup.platform.send_digest(PRIVATE, d, on_sent)
    [message] = setup.tg.sent
    assert message.parse_mode is None
    assert message.text == parse_html(render_digest(d)[0].html)
    assert on_sent.calls == [(("2609.00001",), 1)]


async def test_other_bad_request_fails(setup: Setup) -> None:
    """Any other refusal is a DeliveryFailed with Telegram's description, not a crash."""
    setup.tg.fail(FakeError(400, error_body(400, "Bad Request: something unexpected")))
    with pytest.raises(DeliveryFailed, match=r"(?i)something unexpected"):
        await setup.platform.send_text(PRIVATE, "hello")


async def test_send_text_is_escaped(setup: Setup) -> None:
    """Plain text is escaped for HTML mode and shown as written."""
    await setup.platform.send_text(PRIVATE, "1 < 2 & <b>")
    [message] = setup.tg.sent
    assert message.visible == "1 < 2 & <b>"


async def test_errors_never_show_the_token(setup: Setup) -> None:
    """No delivery error carries the bot token."""
    failures: list[Exception] = []
    for error in (bot_blocked(), server_error(502), group_migrated(-100999)):
        setup.tg.clear_failures()
        setup.tg.fail(error, times=None)
        try:
            await setup.platform.send_text(PRIVATE, "x")
        except (ChatGone, ChatMigrated, DeliveryFailed) as caught:
            failures.append(caught)
    assert len(failures) == 3
    secret = setup.tg.token.split(":")[1]
    assert all(secret not in str(f) and secret not in repr(f) for f in failures)


NO_RIGHTS = [
    not_enough_rights(),
    FakeError(400, error_body(400, "Bad Request: have no rights to send a message")),
    FakeError(400, error_body(400, "Bad Request: need administrator rights in the channel chat")),
    FakeError(400, error_body(400, "Bad Request: CHAT_WRITE_FORBIDDEN")),
    FakeError(403, error_body(403, "Forbidden: CHAT_WRITE_FORBIDDEN")),
    FakeError(400, error_body(400, "Bad Request: TOPIC_CLOSED")),
    FakeError(400, error_body(400, "Bad Request: CHAT_SEND_PLAIN_FORBIDDEN")),
]


@pytest.mark.parametrize("error", NO_RIGHTS)
async def test_missing_right_is_no_rights_not_gone(setup: Setup, error: FakeError) -> None:
    """A muted bot, a channel admin without the posting right, a closed topic: NoRights carrying
    Telegram's words, never ChatGone; nothing is acknowledged."""
    setup.tg.fail(error, chat_id=10081232, times=None)
    on_sent = Sent(setup.tg)
    with pytest.raises(NoRights) as caught:
        await setup.platform.send_digest(PRIVATE, digest([paper(1)]), on_sent)
    assert isinstance(error.body, dict)
    assert caught.value.reason.lower() in str(error.body["description"]).lower()
    assert on_sent.calls == [] and setup.tg.sent == []


@pytest.mark.parametrize(
    "description",
    [
        "Forbidden: bot is not a member of the channel chat",
        "Forbidden: bot can't initiate conversation with a user",
    ],
)
async def test_not_a_member_is_gone(setup: Setup, description: str) -> None:
    """403s that say the bot is not in the chat (or may never write to that user) are removals."""
    setup.tg.fail(FakeError(403, error_body(403, description)), chat_id=10081232, times=None)
    with pytest.raises(ChatGone):
        await setup.platform.send_text(PRIVATE, "hello")


@pytest.mark.parametrize(
    "description",
    ["Bad Request: group chat was deactivated", "Bad Request: CHANNEL_PRIVATE"],
)
async def test_a_deactivated_group_or_private_channel_is_gone(setup: Setup, description: str) -> None:
    """400s that say the group no longer exists or the channel no longer lets the bot in are removals,
    not a refused message retried for ever."""
    setup.tg.fail(FakeError(400, error_body(400, description)), chat_id=10081232, times=None)
    with pytest.raises(ChatGone):
        await setup.platform.send_text(PRIVATE, "hello")


async def test_refused_token_is_token_rejected_once() -> None:
    """A token Telegram refuses is TokenRejected naming TELEGRAM_BOT_TOKEN (never the token); later
    sends fail the same way without asking Telegram again."""
    async with FakeTelegram() as tg:
        wrong = "987654:not-the-right-token"
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=wrong,  # type: ignore[arg-type]
            telegram_api_url=tg.api_url,
        )
        platform = build_platform(settings, flood=FloodControl(UNLIMITED), policy=QUICK_RETRY)
        try:
            with pytest.raises(TokenRejected) as caught:
                await platform.send_text(PRIVATE, "hello")
            assert caught.value.setting == "TELEGRAM_BOT_TOKEN"
            assert "not-the-right-token" not in str(caught.value)
            asked = tg.unauthorized
            with pytest.raises(TokenRejected):
                await platform.send_text(PRIVATE, "again")
            assert tg.unauthorized == asked == 1
        finally:
            await platform.close()
        assert tg.sent == []


async def test_accepted_but_late_answer_counts_a_possible_repeat() -> None:
    """A send Telegram delivered but answered after the client's read timeout is sent again (so
    nothing is lost) and counted as a possible repeat in the metrics; a refused connection is not."""
    metrics = Metrics()
    async with FakeTelegram() as tg:
        bot = ExtBot(
            tg.token,
            base_url=tg.api_url,
            request=HTTPXRequest(read_timeout=0.2),
            rate_limiter=TelegramRateLimiter(FloodControl(UNLIMITED)),
        )
        async with TelegramPlatform(bot, policy=QUICK_RETRY, owns_bot=True, metrics=metrics) as platform:
            tg.fail(accepted_late(0.6))
            await platform.send_text(PRIVATE, "hello")
            assert [m.text for m in tg.sent] == ["hello", "hello"]
            assert platform.possible_repeats == 1
            tg.fail(server_error(502))
            await platform.send_text(PRIVATE, "again")
            assert platform.possible_repeats == 1
    counted = metrics.registry.get_sample_value(
        "arxiv_digest_possible_repeats_total", {"platform": "telegram"}
    )
    assert counted == 1.0


def test_sends_wait_long_enough_for_telegram() -> None:
    """The bot the push and the replies send through waits SEND_READ_TIMEOUT (20 s) for an answer,
    not python-telegram-bot's 5 s default."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123:abc",  # type: ignore[arg-type]
    )
    request = make_bot(settings).request
    assert isinstance(request, HTTPXRequest)
    assert request.read_timeout == SEND_READ_TIMEOUT >= 20.0


def busy_day() -> Digest:
    """The recorded 499-paper day as one digest, each paper with an extract as its summary."""
    papers = busy_day_models(extract=True, extract_chars=400)
    return Digest(BUSY_DAY, ("cs.CV", "cs.CL", "cs.AI"), "en", tuple(papers))


async def test_busy_day_fits_three_messages_per_chat_under_telegrams_limits() -> None:
    """A 499-paper day sent to private chats and groups at once with ``max_messages=3``: at most three
    messages per chat, every one accepted under the flood windows (scaled in time; the limiter's margins
    stand for the network between its clock and the server's) with its keyboard;
    the ledger gets exactly the papers sent, the rest is counted on the More button."""
    windows = FloodLimits(overall=(6, 0.3), group=(3, 0.4), chat=(1, 0.1), tolerance=0.0)
    limits = Limits(overall=(6, 0.3), group=(3, 0.4), chat=(1, 0.1), margin=0.3, pace_margin=0.3)
    day = busy_day()
    async with FakeTelegram(flood_limits=windows) as tg:
        bot = ExtBot(tg.token, base_url=tg.api_url, rate_limiter=TelegramRateLimiter(FloodControl(limits)))
        async with TelegramPlatform(bot, owns_bot=True) as platform:
            chats = [chat_key(c) for c in (1001, 1002, 1003, -4001, -4002, -1001557912345)]
            ledgers = {chat: Sent(tg) for chat in chats}
            await asyncio.gather(*(platform.send_digest(c, day, ledgers[c], max_messages=3) for c in chats))
    assert tg.flood_violations == 0 and tg.rejected == []
    for chat in chats:
        target = chat_target(chat)[0]
        messages = [m for m in tg.sent if m.chat_id == target]
        assert 1 <= len(messages) <= 3
        received = [pid for ids, _ in ledgers[chat].calls for pid in ids]
        assert received == [p.id for p in day.papers[: len(received)]]
        assert [pid for m in messages for pid in m.payloads if pid.startswith("like:")] == [
            f"like:{pid}" for pid in received
        ]
        assert messages[-1].keyboard[-1] == [(f"More ({499 - len(received)})", "more:2026-06-23")]


async def test_replies_and_push_messages_carry_their_keyboards(setup: Setup) -> None:
    """Each message of a split digest goes out with its own keyboard, exactly as rendered."""
    page = replace(BIG, shown=30)
    await setup.platform.send_digest(PRIVATE, page, Sent(setup.tg))
    expected = render_digest(page)
    assert len(expected) > 1
    assert [m.keyboard for m in setup.tg.sent] == [
        [[(b.text, b.data) for b in row] for row in message.keyboard] for message in expected
    ]
    assert setup.tg.sent[-1].keyboard[-1] == [("More (9)", "more:2026-09-24")]
