"""The fake Bot API itself: its HTML and keyboard rules match Telegram's, its payloads are the recorded
ones and python-telegram-bot reads them."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from tests.fakes.telegram import (
    DEFAULT_TOKEN,
    EntityError,
    FakeTelegram,
    callback_update,
    check_reply_markup,
    check_text,
    message_update,
    old_message,
    parse_html,
    private_chat,
    recorded_updates,
    user,
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


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inline_keyboard": list(rows)}


def button(data: str = "like:2606.12345", text: str = "👍 1") -> dict[str, Any]:
    return {"text": text, "callback_data": data}


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        (None, None),
        (keyboard([button(), button("dislike:2606.12345", "👎 1")], [button("more:2026-09-24", "More (3)")]), None),
        (keyboard([button("x" * 64)]), None),
        (keyboard([button("分" * 21 + "x")]), None),
        (keyboard([button("x" * 65)]), "Bad Request: BUTTON_DATA_INVALID"),
        (keyboard([button("分" * 22)]), "Bad Request: BUTTON_DATA_INVALID"),
        (keyboard([button("")]), "Bad Request: BUTTON_DATA_INVALID"),
        (keyboard(*([button(f"like:{i}")] for i in range(100))), None),
        (keyboard(*([button(f"like:{i}")] for i in range(101))), "Bad Request: reply markup is too long"),
        (keyboard([button(f"like:{i}") for i in range(8)]), None),
        (keyboard([button(f"like:{i}") for i in range(9)]), "Bad Request: reply markup is too long"),
        (keyboard(*([button("x" * 64, "y" * 64)] for i in range(90))), "Bad Request: reply markup is too long"),
        ("not json", "Bad Request: can't parse reply keyboard markup JSON object"),
        ([[button()]], "Bad Request: can't parse reply keyboard markup JSON object"),
        ({"inline_keyboard": [button()]}, "Bad Request: can't parse reply keyboard markup JSON object"),
        (keyboard([{"text": "no action"}]), "Bad Request: text buttons are unallowed in the inline keyboard"),
        (keyboard([{"text": "", "callback_data": "a"}]), "Bad Request: text buttons are unallowed in the inline keyboard"),
        ({"remove_keyboard": True}, None),
    ],
)  # fmt: skip
def test_reply_markup_rules(markup: Any, error: str | None) -> None:
    """Keyboards are checked as Telegram does: a keyboard object, 1–64 bytes of callback_data, at most
    100 buttons and 8 in a row, and a bounded size."""
    problem = check_reply_markup(markup if isinstance(markup, str) or markup is None else json.dumps(markup))
    if error is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem == (400, {"ok": False, "error_code": 400, "description": error})


async def test_buttons_through_the_bot_api() -> None:
    """python-telegram-bot sends a keyboard the fake records; an invalid one is refused with Telegram's
    words; a press carries the message with its keyboard and is answered once; a keyboard edit needs a
    change."""
    async with FakeTelegram() as tg, Bot(tg.token, base_url=tg.api_url) as bot:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("👍 1", callback_data="like:2606.12345")]])
        await bot.send_message(10081232, "digest", reply_markup=markup)
        [sent] = tg.sent
        assert sent.keyboard == [[("👍 1", "like:2606.12345")]]
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="x" * 65)]])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(10081232, "digest", reply_markup=too_long)
        assert len(tg.sent) == 1

        query_id = tg.press(sent, "like:2606.12345", by=user(777, "de"))
        [update] = await bot.get_updates(timeout=0)
        query = update.callback_query
        assert query is not None and query.id == query_id and query.data == "like:2606.12345"
        assert query.from_user.id == 777 and query.message is not None
        assert query.message.chat.id == 10081232 and query.message.message_id == sent.message_id
        assert isinstance(query.message, Message) and query.message.reply_markup == markup
        assert await query.answer("noted")
        with pytest.raises(BadRequest, match="Query is too old"):
            await query.answer("again")
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query("12345")
        assert [(a.query_id, a.text) for a in tg.answers] == [(query_id, "noted")]

        marked = InlineKeyboardMarkup([[InlineKeyboardButton("👍 1 ✓", callback_data="like:2606.12345")]])
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_reply_markup(10081232, sent.message_id, reply_markup=markup)
        await bot.edit_message_reply_markup(10081232, sent.message_id, reply_markup=marked)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_reply_markup(-100, sent.message_id, reply_markup=marked)
        assert [e.keyboard for e in tg.edits] == [[[("👍 1 ✓", "like:2606.12345")]]]
        with pytest.raises(ValueError, match="no button"):
            tg.press(sent, "like:forged")


def test_callback_shapes_are_read_by_ptb() -> None:
    """Built presses read as python-telegram-bot reads Telegram's: without a message (inline mode),
    with an inaccessible (too old) message, without data."""
    bot = Bot(DEFAULT_TOKEN)
    inline = Update.de_json(callback_update("like:1", inline_message_id="AAAA"), bot).callback_query
    assert inline is not None and inline.message is None and inline.inline_message_id == "AAAA"
    old = Update.de_json(callback_update("like:1", message=old_message(private_chat())), bot).callback_query
    assert old is not None and old.message is not None and not old.message.is_accessible
    bare = Update.de_json(callback_update(None, message=old_message(private_chat())), bot).callback_query
    assert bare is not None and bare.data is None
