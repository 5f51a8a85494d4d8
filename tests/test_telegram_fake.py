"""The fake Bot API itself: its HTML rules match Telegram's, its payloads are the recorded ones and
python-telegram-bot reads them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest

from tests.fakes.telegram import (
    DEFAULT_TOKEN,
    EntityError,
    FakeTelegram,
    check_text,
    message_update,
    parse_html,
    recorded_updates,
)


@pytest.mark.parametrize(
    ("html", "visible"),
    [
        ("plain text", "plain text"),
        ("<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins>", "bold s i e u n"),
        ("<s>s</s><strike>t</strike><del>d</del>", "std"),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy"),
        ('<a href="https://arxiv.org/abs/1">link</a>', "link"),
        ('<code>c</code><pre><code class="language-python">p</code></pre>', "cp"),
        ("<blockquote>q</blockquote><blockquote expandable>e</blockquote>", "qe"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("&lt;&gt;&amp;&quot;&#39;&#x27;&#128512;", "<>&\"''😀"),
        ("AT&T & friends &unknown; &amp", "AT&T & friends &unknown; &amp"),
        ("<b>nested <i>tags <u>deep</u></i></b>", "nested tags deep"),
        ("<B>upper</B>", "upper"),
    ],
)
def test_html_accepted(html: str, visible: str) -> None:
    """Telegram's allowed tags and entities are accepted and reduced to their visible text."""
    assert parse_html(html) == visible
    assert check_text(html, "HTML") is None


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("分布式 <x>", 'Unsupported start tag "x" at byte offset 10'),
    ],
)
def test_html_rejected(html: str, description: str) -> None:
    """Malformed or unsupported markup is refused with Telegram's wording."""
    with pytest.raises(EntityError) as caught:
        parse_html(html)
    assert str(caught.value) == description
    problem = check_text(html, "HTML")
    assert problem is not None
    status, body = problem
    assert status == 400
    assert body["description"] == f"Bad Request: can't parse entities: {description}"


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("a" * 4096, None, None),
        ("a" * 4097, None, "Bad Request: message is too long"),
        ("😀" * 2048, None, None),
        ("😀" * 2049, None, "Bad Request: message is too long"),
        ("<b>" + "a" * 4096 + "</b>", "HTML", None),
        ("&amp;" * 4096, "HTML", None),
        ("&amp;" * 4097, "HTML", "Bad Request: message is too long"),
        ("   ", None, "Bad Request: message text is empty"),
        ("<b> </b>", "HTML", "Bad Request: message text is empty"),
    ],
)
def test_length_rule(text: str, parse_mode: str | None, error: str | None) -> None:
    """The 4096 limit applies to the visible text after entity parsing, in UTF-16 units."""
    problem = check_text(text, parse_mode)
    if error is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem[1]["description"] == error


def test_recorded_updates_are_read_by_ptb() -> None:
    """Every recorded update in the fixtures is a valid Update for python-telegram-bot."""
    bot = Bot(DEFAULT_TOKEN)
    updates = recorded_updates()
    assert len(updates) >= 15
    kinds = set()
    for data in updates:
        update = Update.de_json(data, bot)
        assert update is not None
        assert update.update_id == data["update_id"]
        kinds.add(next(k for k in data if k != "update_id"))
    assert {"message", "callback_query"} <= kinds


async def test_fake_speaks_the_bot_api() -> None:
    """The real Bot class talks to the fake: getMe, sendMessage, rejection of bad HTML."""
    async with FakeTelegram() as tg:
        bot = Bot(tg.token, base_url=tg.api_url)
        async with bot:
            assert bot.username == "arxiv_digest_bot"
            message = await bot.send_message(42, "<b>hi</b> &amp; bye", parse_mode="HTML")
            assert message.text == "hi & bye"
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                await bot.send_message(42, "<b>unclosed", parse_mode="HTML")
            with pytest.raises(BadRequest, match=r"(?i)message is too long"):
                await bot.send_message(42, "x" * 5000)
        assert [(m.chat_id, m.text) for m in tg.sent] == [(42, "<b>hi</b> &amp; bye")]
        assert len(tg.rejected) == 2


async def test_wrong_token_is_unauthorized() -> None:
    """A request with another token gets the recorded 401."""
    from telegram.error import InvalidToken

    async with FakeTelegram() as tg:
        bot = Bot("1:wrong", base_url=tg.api_url)
        with pytest.raises(InvalidToken):
            await bot.initialize()
        await bot.shutdown()


async def test_get_updates_long_polling() -> None:
    """getUpdates serves queued updates, confirms them by offset, waits up to timeout when empty
    and answers at once when an update arrives meanwhile."""
    async with FakeTelegram() as tg, Bot(tg.token, base_url=tg.api_url) as bot:
        first = tg.add_update(message_update("/start"))
        second = tg.add_update(message_update("/help"))
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [first, second]
        assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
        assert await bot.get_updates(offset=second + 1, timeout=timedelta(seconds=0.3)) == ()
        waiting = asyncio.create_task(bot.get_updates(offset=second + 1, timeout=5))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        third = tg.add_update(message_update("/list"))
        assert [u.update_id for u in await waiting] == [third]
        assert set(tg.handed_at) == {first, second, third}
