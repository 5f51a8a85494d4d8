"""A fake Telegram Bot API server: real HTTP on 127.0.0.1, the Bot API's wire format.

Serves ``/bot{token}/{method}`` the way api.telegram.org does (form or JSON parameters in, a JSON
``{"ok": …}`` envelope out, the HTTP status equal to ``error_code``). Updates are queued with
``add_update`` and handed out by ``getUpdates`` (long polling honouring ``offset``, ``limit`` and
``timeout``) or pushed to a registered webhook with ``deliver_webhook``. ``sendMessage`` checks the
text the way Telegram does for ``parse_mode=HTML`` (allowed tags, well-formedness, the 4096 UTF-16
code unit limit after entity parsing) and records every accepted message, with its ``reply_markup``
checked as Telegram checks it (a keyboard object; ``callback_data`` of 1–64 bytes; at most 100 buttons,
8 in a row). Button presses are queued as ``callback_query`` updates (``press`` for a button of a
message the bot sent, ``callback_update`` for anything else); ``answerCallbackQuery`` accepts one
answer per query and ``editMessageReplyMarkup`` edits a sent message's keyboard, both recorded.
Errors recorded from the real API (``tests/fixtures/telegram``) can be injected per method, per chat
and per call, and the flood limits (30 messages/s overall, 20/min per group, 1/s per chat) can be
enforced.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.paths import FIXTURES

TELEGRAM = FIXTURES / "telegram"
MAX_LENGTH = 4096
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage"})
DEFAULT_TOKEN = "123456789:AAE-fake-token-for-tests"
MAX_CALLBACK_DATA = 64
"""``callback_data`` bytes (UTF-8), as the Bot API documents them."""
MAX_BUTTONS = 100
MAX_ROW = 8
MAX_MARKUP_BYTES = 10_000
"""A keyboard's JSON past this size is refused even under 100 buttons."""
MAX_ANSWER = 200
"""Characters of an ``answerCallbackQuery`` text."""
BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    }
)  # fmt: skip
CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip


def fixture(relative: str) -> Any:
    """A recorded payload under ``fixtures/telegram``, parsed."""
    return json.loads((TELEGRAM / relative).read_text(encoding="utf-8"))


def recorded_updates() -> list[dict[str, Any]]:
    """Every recorded single update and getUpdates result from the fixtures, in a stable order."""
    updates: list[dict[str, Any]] = []
    for path in sorted((TELEGRAM / "nutgram" / "updates").glob("*.json")):
        updates.append(json.loads(path.read_text(encoding="utf-8")))
    updates.extend(fixture("62bot_testdata_2020/getUpdates.json")["ok"]["body"]["result"])
    for interaction in fixture("nadia_exvcr_2015/get_updates.json"):
        for update in json.loads(interaction["response"]["body"])["result"]:
            # recorded in 2015, before the Bot API added User.is_bot (always present since 2017)
            update["message"]["from"].setdefault("is_bot", False)
            updates.append(update)
    return updates


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts message text."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


# -- HTML parse mode ----------------------------------------------------------------------------------


class EntityError(ValueError):
    """Text that Telegram's HTML parser rejects; ``str()`` is the text after "can't parse entities: "."""


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, index: int) -> tuple[str, int] | None:
    """Decode the entity at ``text[index] == "&"``; (decoded text, index after it) or None."""
    end = text.find(";", index + 1, index + 12)
    if end < 0:
        return None
    name = text[index + 1 : end]
    if name in NAMED_ENTITIES:
        return NAMED_ENTITIES[name], end + 1
    try:
        if name[:2] in ("#x", "#X"):
            code = int(name[2:], 16)
        elif name.startswith("#"):
            code = int(name[1:], 10)
        else:
            return None
        return chr(code), end + 1
    except (ValueError, OverflowError):
        return None


def parse_html(text: str) -> str:
    """The visible text of an HTML-mode message, or ``EntityError`` as Telegram words it."""
    out: list[str] = []
    open_tags: list[tuple[str, int]] = []
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is None:
                out.append("&")
                i += 1
            else:
                out.append(decoded[0])
                i = decoded[1]
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < size and text[i] == "/":
            close = text.find(">", i)
            if close < 0:
                raise EntityError(f"Unclosed end tag at byte offset {_offset(text, begin)}")
            name = text[i + 1 : close].strip().lower()
            if not open_tags:
                raise EntityError(f"Unexpected end tag at byte offset {_offset(text, begin)}")
            expected = open_tags[-1][0]
            if name != expected:
                raise EntityError(
                    f'Unmatched end tag at byte offset {_offset(text, begin)}, expected "</{expected}>", '
                    f'found "</{name}>"'
                )
            open_tags.pop()
            i = close + 1
            continue
        start = i
        while i < size and not text[i].isspace() and text[i] not in "<>":
            i += 1
        if i >= size:
            raise EntityError(f"Unclosed start tag at byte offset {_offset(text, begin)}")
        name = text[start:i].lower()
        if name not in ALLOWED_TAGS:
            raise EntityError(f'Unsupported start tag "{name}" at byte offset {_offset(text, begin)}')
        attributes, i = _parse_attributes(text, i, name, begin)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityError('Tag "span" must have class "tg-spoiler"')
        open_tags.append((name, begin))
    if open_tags:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    return "".join(out)


def _parse_attributes(text: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    attributes: dict[str, str] = {}
    size = len(text)
    while True:
        while i < size and text[i].isspace():
            i += 1
        if i >= size:
            raise EntityError(f"Unclosed start tag at byte offset {_offset(text, begin)}")
        if text[i] == ">":
            return attributes, i + 1
        start = i
        while i < size and (text[i].isalnum() or text[i] in "-_"):
            i += 1
        name = text[start:i].lower()
        if not name:
            raise EntityError(
                f'Empty attribute name in the tag "{tag}" at byte offset {_offset(text, begin)}'
            )
        while i < size and text[i].isspace():
            i += 1
        if i < size and text[i] != "=":
            attributes[name] = ""
            continue
        i += 1
        while i < size and text[i].isspace():
            i += 1
        if i >= size:
            raise EntityError(f"Unclosed start tag at byte offset {_offset(text, begin)}")
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                raise EntityError(f"Unclosed start tag at byte offset {_offset(text, begin)}")
            raw = text[i + 1 : end]
            i = end + 1
        else:
            start = i
            while i < size and not text[i].isspace() and text[i] != ">":
                i += 1
            raw = text[start:i]
        attributes[name] = _decode_value(raw)


def _decode_value(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i] == "&" and (decoded := _decode_entity(raw, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def check_text(text: str, parse_mode: str | None) -> tuple[int, dict[str, Any]] | None:
    """The error response Telegram gives for this message text, or None if it is accepted."""
    visible = text
    if parse_mode is not None and parse_mode.upper() == "HTML":
        try:
            visible = parse_html(text)
        except EntityError as exc:
            return 400, error_body(400, f"Bad Request: can't parse entities: {exc}")
    if not visible.strip():
        return 400, error_body(400, "Bad Request: message text is empty")
    if utf16_len(visible) > MAX_LENGTH:
        return 400, fixture("nutgram/responses/too_long.json")
    return None


def check_reply_markup(value: Any) -> tuple[int, dict[str, Any]] | None:
    """The error response Telegram gives for this ``reply_markup`` parameter, or None if accepted.

    An inline keyboard must be ``{"inline_keyboard": [[button, …], …]}``, each button a label and
    exactly one action; ``callback_data`` is 1–64 bytes; at most 100 buttons, 8 in a row, and about
    10 kB of JSON in all."""
    if value is None or value == "":
        return None
    unparsable = 400, fixture("from_github_issues/sendMessage_400_cant_parse_reply_markup.json")
    try:
        markup = _json(value)
    except ValueError:
        return unparsable
    if not isinstance(markup, dict):
        return unparsable
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return unparsable
    buttons = [button for row in rows for button in row]
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            return unparsable
        actions = BUTTON_ACTIONS & set(button)
        if len(actions) != 1 or not button["text"]:
            return 400, error_body(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and (
            not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA
        ):
            return 400, fixture("from_github_issues/sendMessage_400_button_data_invalid.json")
    size = len(json.dumps(markup, ensure_ascii=False).encode("utf-8"))
    if len(buttons) > MAX_BUTTONS or any(len(row) > MAX_ROW for row in rows) or size > MAX_MARKUP_BYTES:
        return 400, fixture("from_github_issues/sendMessage_400_reply_markup_too_long.json")
    return None


def keyboard_rows(markup: dict[str, Any] | None) -> list[list[tuple[str, str]]]:
    """An inline keyboard as rows of (label, callback_data); ``[]`` for none."""
    if not markup:
        return []
    return [
        [(str(b.get("text")), str(b.get("callback_data", ""))) for b in row]
        for row in markup.get("inline_keyboard", [])
    ]


# -- injected errors ------------------------------------------------------------------------------------


def error_body(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


@dataclass(frozen=True)
class FakeError:
    """One error response: HTTP status and body (JSON, or raw text for a gateway page), answered
    after ``delay`` seconds (longer than the client's read timeout: a timeout). With ``accept`` the
    call is carried out as usual (a message is delivered) and only its answer comes ``delay`` late."""

    status: int
    body: dict[str, Any] | str
    delay: float = 0.0
    accept: bool = False


def too_many_requests(retry_after: int = 14) -> FakeError:
    body = fixture("nutgram/responses/too_many_requests.json")
    body["description"] = f"Too Many Requests: retry after {retry_after}"
    body["parameters"]["retry_after"] = retry_after
    return FakeError(429, body)


def bot_blocked() -> FakeError:
    return FakeError(403, fixture("from_github_issues/sendMessage_403_bot_blocked.json"))


def user_deactivated() -> FakeError:
    return FakeError(403, fixture("nutgram/responses/user_deactivated.json"))


def bot_kicked() -> FakeError:
    return FakeError(403, error_body(403, "Forbidden: bot was kicked from the group chat"))


def group_migrated(new_chat_id: int) -> FakeError:
    body = fixture("from_github_issues/sendMessage_400_group_migrated.json")
    body["parameters"]["migrate_to_chat_id"] = new_chat_id
    return FakeError(400, body)


def chat_not_found() -> FakeError:
    return FakeError(400, error_body(400, "Bad Request: chat not found"))


def cant_parse_entities() -> FakeError:
    lines = (TELEGRAM / "from_github_issues" / "cant_parse_entities_descriptions.txt").read_text("utf-8")
    description = next(line for line in lines.splitlines() if line.startswith("Bad Request"))
    return FakeError(400, error_body(400, description.split("\t")[0]))


def stall(seconds: float) -> FakeError:
    """No answer for ``seconds`` (then a 504): the client times out first."""
    return FakeError(504, error_body(504, "Gateway Timeout"), delay=seconds)


def accepted_late(seconds: float) -> FakeError:
    """The message is delivered, but the answer comes only after ``seconds``: a client whose read
    timeout is shorter gives up on a message that did arrive."""
    return FakeError(200, {}, delay=seconds, accept=True)


def not_enough_rights() -> FakeError:
    """A muted bot in a group (or a group that forbids plain text), as the Bot API words it."""
    return FakeError(400, error_body(400, "Bad Request: not enough rights to send text messages to the chat"))


def query_too_old() -> FakeError:
    return FakeError(400, fixture("from_github_issues/answerCallbackQuery_400_query_too_old.json"))


def not_modified() -> dict[str, Any]:
    description = TELEGRAM / "from_github_issues" / "editMessage_400_not_modified_description.txt"
    return error_body(400, description.read_text(encoding="utf-8").strip())


def server_error(status: int = 500) -> FakeError:
    if status == 502:
        page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        return FakeError(502, page + "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
    return FakeError(status, error_body(status, "Internal Server Error"))


@dataclass
class _Injection:
    error: FakeError
    method: str | None
    chat_id: int | str | None
    remaining: int | None


# -- records ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentMessage:
    """A message the fake accepted."""

    method: str
    chat_id: int | str
    text: str
    parse_mode: str | None
    message_thread_id: int | None
    link_preview_options: dict[str, Any] | None
    message_id: int
    at: float
    reply_markup: dict[str, Any] | None = None

    @property
    def visible(self) -> str:
        """The text as a reader sees it."""
        if self.parse_mode and self.parse_mode.upper() == "HTML":
            return parse_html(self.text)
        return self.text

    @property
    def keyboard(self) -> list[list[tuple[str, str]]]:
        """The inline keyboard it was sent with, as rows of (label, callback_data)."""
        return keyboard_rows(self.reply_markup)

    @property
    def payloads(self) -> list[str]:
        """Every ``callback_data`` of its keyboard, in order."""
        return [data for row in self.keyboard for _, data in row]


@dataclass(frozen=True)
class CallbackAnswer:
    """An accepted ``answerCallbackQuery``: the query, the toast text (None: none) and whether it was
    an alert."""

    query_id: str
    text: str | None
    show_alert: bool
    at: float


@dataclass(frozen=True)
class KeyboardEdit:
    """An accepted ``editMessageReplyMarkup``: the message and the keyboard it has now."""

    chat_id: int | str
    message_id: int
    reply_markup: dict[str, Any] | None
    at: float

    @property
    def keyboard(self) -> list[list[tuple[str, str]]]:
        return keyboard_rows(self.reply_markup)


@dataclass(frozen=True)
class ApiCall:
    """Any request the fake received, with its parameters as sent and the status it answered."""

    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits as (messages, seconds) windows."""

    overall: tuple[int, float] = (30, 1.0)
    group: tuple[int, float] = (20, 60.0)
    chat: tuple[int, float] = (1, 1.0)
    tolerance: float = 0.02


class _Window:
    def __init__(self, limit: int, period: float, tolerance: float) -> None:
        self.limit = limit
        self.period = period
        self.tolerance = tolerance
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.period - self.tolerance:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.period - self.tolerance - now

    def add(self, now: float) -> None:
        self.times.append(now)


# -- the server ---------------------------------------------------------------------------------------------


class FakeTelegram:
    """The fake Bot API. Use as ``async with FakeTelegram() as tg:``; point PTB at ``tg.api_url``."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_id: int = 5681419729,
        username: str = "arxiv_digest_bot",
        flood_limits: FloodLimits | None = None,
        max_poll_wait: float = 30.0,
        honour_allowed_updates: bool = True,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.token = token
        me = fixture("62bot_testdata_2020/getMe.json")["authorized"]["body"]["result"]
        self.me: dict[str, Any] = {**me, "id": bot_id, "first_name": "arXiv digest", "username": username}
        self.flood_limits = flood_limits
        self.max_poll_wait = max_poll_wait
        self.honour_allowed_updates = honour_allowed_updates
        self.allowed_updates: list[str] | None = None
        self.clock = clock
        self.sent: list[SentMessage] = []
        self.answers: list[CallbackAnswer] = []
        self.edits: list[KeyboardEdit] = []
        self.markups: dict[tuple[int | str, int], dict[str, Any] | None] = {}
        self.open_queries: set[str] = set()
        self.queries: dict[str, dict[str, Any]] = {}
        self.rejected: list[tuple[dict[str, Any], dict[str, Any] | str]] = []
        self.calls: list[ApiCall] = []
        self.handed_at: dict[int, float] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.chat_types: dict[int, str] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {}
        self.flood_violations = 0
        self.polls = 0
        self.unauthorized = 0
        """Requests refused for a wrong token."""
        self.sends_started = 0
        """``sendMessage`` calls received so far, answered or not."""
        self.arrived: Counter[str] = Counter()
        """Calls received so far per method, answered or not (``calls`` lists the answered ones)."""
        self.send_latency = 0.0
        """Seconds every ``sendMessage`` takes before it is delivered and answered."""
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_000)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(666728699048485871)
        self._injections: list[_Injection] = []
        self._overall: _Window | None = None
        self._groups: dict[int, _Window] = {}
        self._chats: dict[int | str, _Window] = {}
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._http: aiohttp.ClientSession | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def go_down(self) -> None:
        """Telegram unreachable: pending long polls end, open connections close, and every new
        connection is refused until ``come_back`` (on the same port)."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def come_back(self) -> None:
        """Listen again on the same port after ``go_down``."""
        self._closing = False
        await self.start()

    async def close(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        """``TELEGRAM_API_URL`` for this fake (PTB appends the token)."""
        return f"http://127.0.0.1:{self._port}/bot"

    # -- scripting ---------------------------------------------------------------------------------------------
    def add_update(self, update: dict[str, Any]) -> int:
        """Queue an update (a copy, renumbered so ids increase as Telegram's do); its new update_id."""
        queued = copy.deepcopy(update)
        queued["update_id"] = next(self._update_ids)
        query = queued.get("callback_query")
        if query is not None:
            query["id"] = str(next(self._query_ids))
            self.open_queries.add(query["id"])
            self.queries[query["id"]] = query
        self._updates.append(queued)
        self._notify_soon()
        return int(queued["update_id"])

    def press(self, message: SentMessage, data: str, by: dict[str, Any] | None = None) -> str:
        """A reader (``by``, a user) presses the button with ``data`` under ``message``, as a client
        does: a ``callback_query`` update carrying the message with its current keyboard. The query's id."""
        markup = self.markups.get((message.chat_id, message.message_id), message.reply_markup)
        if data not in [d for row in keyboard_rows(markup) for _, d in row]:
            raise ValueError(f"no button {data!r} under message {message.message_id}")
        update = callback_update(data, message=self.message_json(message), sender=by)
        self.add_update(update)
        return str(self._updates[-1]["callback_query"]["id"])

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        """A sent message as the Bot API shows it in updates, with its current keyboard."""
        shown: dict[str, Any] = {
            "message_id": message.message_id,
            "from": {k: self.me[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": self._chat(message.chat_id),
            "date": int(time.time()),
            "text": message.visible,
        }
        if message.message_thread_id is not None:
            shown["message_thread_id"] = message.message_thread_id
            shown["is_topic_message"] = True
            shown["chat"]["is_forum"] = True
        markup = self.markups.get((message.chat_id, message.message_id), message.reply_markup)
        if markup:
            shown["reply_markup"] = markup
        return shown

    def answer_to(self, query_id: str) -> CallbackAnswer | None:
        """The answer given to a callback query, if any."""
        return next((a for a in self.answers if a.query_id == query_id), None)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for (chat, user): creator, administrator, member, left, kicked."""
        self.members[(chat_id, user_id)] = status

    def fail(
        self,
        error: FakeError,
        *,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next ``times`` matching calls (None: every one) with ``error``."""
        self._injections.append(_Injection(error, method, chat_id, times))

    def clear_failures(self) -> None:
        self._injections.clear()

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def pending_updates(self) -> int:
        return len(self._updates)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Return once ``predicate()`` holds (checked after every request), or fail after ``within`` s."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(until(), within)

    async def wait_sent(self, count: int, within: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted; all accepted messages."""
        await self.wait_for(lambda: len(self.sent) >= count, within)
        return list(self.sent)

    async def wait_handed(self, update_id: int, within: float = 5.0) -> None:
        """Wait until getUpdates confirmed ``update_id`` (the bot asked for a later offset)."""
        await self.wait_for(lambda: all(u["update_id"] > update_id for u in self._updates), within)

    async def deliver_webhook(self, update: dict[str, Any]) -> int:
        """POST an update to the registered webhook, as Telegram does; the HTTP status it answered."""
        url = self.webhook.get("url")
        assert url, "no webhook registered"
        queued = copy.deepcopy(update)
        queued["update_id"] = next(self._update_ids)
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        if self._http is None:
            self._http = aiohttp.ClientSession()
        async with self._http.post(url, data=json.dumps(queued), headers=headers) as response:
            await response.read()
            return response.status

    def _notify_soon(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(notify())

    # -- HTTP ----------------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            self.unauthorized += 1
            status, body = 401, fixture("62bot_testdata_2020/getMe.json")["unauthorized"]["body"]
            return web.json_response(body, status=status)
        method = request.match_info["method"]
        params = await self._params(request)
        self.arrived[method] += 1
        self._notify_soon()
        status, body = await self._dispatch(method, params)
        self.calls.append(ApiCall(method, params, status, self.clock()))
        async with self._changed:
            self._changed.notify_all()
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.json_response(body, status=status)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw = await request.read()
            if raw:
                params.update(json.loads(raw))
        elif request.can_read_body:
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        return params

    async def _dispatch(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any] | str]:
        chat_id = _chat_id(params.get("chat_id"))
        injected = self._injected(method, chat_id)
        if injected is not None and injected.accept:
            handler = getattr(self, f"_m_{method}")
            result: tuple[int, dict[str, Any] | str] = await handler(params)
            await asyncio.sleep(injected.delay)
            return result
        if injected is not None:
            if injected.delay:
                await asyncio.sleep(injected.delay)
            if method in SEND_METHODS:
                self.rejected.append((params, injected.body))
            return injected.status, injected.body
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, error_body(404, "Not Found: method not found")
        answer: tuple[int, dict[str, Any] | str] = await handler(params)
        return answer

    def _injected(self, method: str, chat_id: int | str | None) -> FakeError | None:
        for injection in self._injections:
            if injection.remaining == 0:
                continue
            if injection.method is not None and injection.method != method:
                continue
            if injection.chat_id is not None and injection.chat_id != chat_id:
                continue
            if injection.remaining is not None:
                injection.remaining -= 1
            return injection.error
        return None

    # -- methods ---------------------------------------------------------------------------------------------------
    async def _m_getMe(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": self.me}

    async def _m_logOut(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": True}

    async def _m_getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        if self.webhook.get("url"):
            return 409, fixture("62bot_testdata_2020/getUpdates.json")["conflict_with_webhook"]["body"]
        allowed = _json(params.get("allowed_updates"))
        if allowed is not None:
            self.allowed_updates = list(allowed)
        self.polls += 1
        self._notify_soon()
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0 and not self._closing:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates) or self._closing), timeout
                    )
        if self.honour_allowed_updates and self.allowed_updates:
            kinds = set(self.allowed_updates)
            self._updates = [u for u in self._updates if kinds & set(u) or set(u) == {"update_id"}]
        batch = self._updates[:limit]
        now = self.clock()
        for update in batch:
            self.handed_at.setdefault(int(update["update_id"]), now)
        return 200, {"ok": True, "result": batch}

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if _flag(params.get("drop_pending_updates")):
            self._updates.clear()
        had = bool(self.webhook.get("url"))
        self.webhook = {}
        body = fixture("nadia_exvcr_2015/delete_webhook.json")[0]["response"]["body"]
        answer: dict[str, Any] = json.loads(body)
        if had:
            answer["description"] = "Webhook was deleted"
        return 200, answer

    async def _m_setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = str(params.get("url") or "")
        cases = fixture("62bot_testdata_2020/setWebhook.json")
        if url and not url.startswith(("https://", "http://127.0.0.1")):
            return 400, cases["error_not_https"]["body"]
        if _flag(params.get("drop_pending_updates")):
            self._updates.clear()
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        return 200, json.loads(fixture("nadia_exvcr_2015/set_webhook.json")[0]["response"]["body"])

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False}
        return 200, {"ok": True, "result": {**info, "pending_update_count": len(self._updates)}}

    async def _m_setMyCommands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        commands = _json(params.get("commands")) or []
        for command in commands:
            if not (1 <= len(command.get("command", "")) <= 32) or not (
                1 <= len(command.get("description", "")) <= 256
            ):
                return 400, error_body(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands[self._command_key(params)] = commands
        return 200, {"ok": True, "result": True}

    async def _m_getMyCommands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": self.commands.get(self._command_key(params), [])}

    async def _m_deleteMyCommands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.commands.pop(self._command_key(params), None)
        return 200, {"ok": True, "result": True}

    @staticmethod
    def _command_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = _json(params.get("scope")) or {"type": "default"}
        return str(scope.get("type", "default")), str(params.get("language_code") or "")

    async def _m_getChatMember(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = _chat_id(params.get("chat_id"))
        user_id = int(params.get("user_id") or 0)
        status = self.members.get((chat_id, user_id), "member") if isinstance(chat_id, int) else "member"
        return 200, {"ok": True, "result": _member(user_id, status)}

    async def _m_sendChatAction(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if _chat_id(params.get("chat_id")) is None:
            return 400, error_body(400, "Bad Request: chat_id is empty")
        if params.get("action") not in CHAT_ACTIONS:
            return 400, error_body(400, "Bad Request: wrong parameter action in request")
        body = fixture("nadia_exvcr_2015/send_chat_action.json")[0]["response"]["body"]
        return 200, json.loads(body)

    async def _m_sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.sends_started += 1
        if self.send_latency:
            await asyncio.sleep(self.send_latency)
        chat_id = _chat_id(params.get("chat_id"))
        if chat_id is None:
            return 400, error_body(400, "Bad Request: chat_id is empty")
        text = str(params.get("text") or "")
        parse_mode = params.get("parse_mode") or None
        now = self.clock()
        flood = self._flood_wait(chat_id, now)
        if flood > 0:
            self.flood_violations += 1
            error = too_many_requests(max(1, math.ceil(flood)))
            self.rejected.append((params, error.body))
            return error.status, error.body  # type: ignore[return-value]
        problem = check_text(text, parse_mode) or check_reply_markup(params.get("reply_markup"))
        if problem is not None:
            self.rejected.append((params, problem[1]))
            return problem
        self._flood_add(chat_id, now)
        thread = params.get("message_thread_id")
        message_id = next(self._message_ids)
        record = SentMessage(
            method="sendMessage",
            chat_id=chat_id,
            text=text,
            parse_mode=parse_mode,
            message_thread_id=int(thread) if thread not in (None, "") else None,
            link_preview_options=_json(params.get("link_preview_options")),
            message_id=message_id,
            at=now,
            reply_markup=_json(params.get("reply_markup")),
        )
        self.sent.append(record)
        self.markups[(chat_id, message_id)] = record.reply_markup
        return 200, {"ok": True, "result": self.message_json(record)}

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.open_queries:
            error = query_too_old()
            return error.status, error.body  # type: ignore[return-value]
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_ANSWER:
            return 400, error_body(400, "Bad Request: MESSAGE_TOO_LONG")
        self.open_queries.discard(query_id)
        alert = _flag(params.get("show_alert"))
        self.answers.append(
            CallbackAnswer(query_id, None if text in (None, "") else str(text), alert, self.clock())
        )
        return 200, {"ok": True, "result": True}

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = _chat_id(params.get("chat_id"))
        message_id = int(params.get("message_id") or 0)
        record = next((m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id), None)
        if chat_id is None or record is None:
            return 400, error_body(400, "Bad Request: message to edit not found")
        problem = check_reply_markup(params.get("reply_markup"))
        if problem is not None:
            return problem
        markup = _json(params.get("reply_markup")) or None
        if keyboard_rows(markup) == keyboard_rows(self.markups.get((chat_id, message_id))):
            return 400, not_modified()
        self.markups[(chat_id, message_id)] = markup
        self.edits.append(KeyboardEdit(chat_id, message_id, markup, self.clock()))
        return 200, {"ok": True, "result": self.message_json(record)}

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, str):
            return {"id": -1001000000001, "title": chat_id.lstrip("@"), "type": "channel"}
        kind = self.chat_types.get(chat_id)
        if kind is None:
            kind = "private" if chat_id > 0 else "supergroup" if str(chat_id).startswith("-100") else "group"
        if kind == "private":
            return {"id": chat_id, "first_name": "Reader", "type": "private"}
        return {"id": chat_id, "title": "Readers", "type": kind}

    # -- flood limits -----------------------------------------------------------------------------------------------
    def _windows(self, chat_id: int | str) -> list[_Window]:
        limits = self.flood_limits
        if limits is None:
            return []
        if self._overall is None:
            self._overall = _Window(*limits.overall, limits.tolerance)
        windows = [self._overall]
        if isinstance(chat_id, str) or chat_id < 0:
            key = chat_id if isinstance(chat_id, int) else hash(chat_id)
            windows.append(self._groups.setdefault(key, _Window(*limits.group, limits.tolerance)))
        windows.append(self._chats.setdefault(chat_id, _Window(*limits.chat, limits.tolerance)))
        return windows

    def _flood_wait(self, chat_id: int | str, now: float) -> float:
        return max((window.wait(now) for window in self._windows(chat_id)), default=0.0)

    def _flood_add(self, chat_id: int | str, now: float) -> None:
        for window in self._windows(chat_id):
            window.add(now)


def _chat_id(value: Any) -> int | str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return text


def _flag(value: Any) -> bool:
    return value in (True, "true", "True", "1", 1)


def _json(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return json.loads(value)
    return value


def _member(user_id: int, status: str) -> dict[str, Any]:
    """A ChatMember object built from the recorded ones (nutgram chat_members.json)."""
    recorded = fixture("nutgram/responses/chat_members.json")["result"]
    user = {"id": user_id, "is_bot": False, "first_name": "Reader"}
    if status == "administrator":
        rights = fixture("nutgram/responses/ChatAdministratorRights.json")["result"]
        return {**rights, **recorded[0], "user": user}
    if status == "creator":
        return {**recorded[1], "user": user}
    if status == "kicked":
        return {"user": user, "status": "kicked", "until_date": 0}
    if status == "restricted":  # muted: in the chat, every sending right taken away
        rights = dict.fromkeys(RESTRICTED_RIGHTS, False)
        return {"user": user, "status": "restricted", "is_member": True, **rights, "until_date": 0}
    return {"user": user, "status": status}


RESTRICTED_RIGHTS = (
    "can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos", "can_send_videos",
    "can_send_video_notes", "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
    "can_add_web_page_previews", "can_change_info", "can_invite_users", "can_pin_messages",
    "can_manage_topics", "can_edit_tag", "can_react_to_messages",
)  # fmt: skip
"""The rights of a ChatMemberRestricted (Bot API), all False for a muted member."""


# -- update builders -------------------------------------------------------------------------------------------------

_dates = itertools.count(1_700_000_000)


def user(
    user_id: int = 10081232, language_code: str | None = "en", first_name: str = "Ada"
) -> dict[str, Any]:
    """A Telegram user, shaped like the recorded ones."""
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        data["language_code"] = language_code
    return data


def private_chat(chat_id: int = 10081232) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Ada", "type": "private"}


def group_chat(chat_id: int = -4012345678, title: str = "Reading group") -> dict[str, Any]:
    return {"id": chat_id, "title": title, "type": "group"}


def supergroup_chat(chat_id: int = -1001557912345, title: str = "Lab", forum: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": chat_id, "title": title, "type": "supergroup"}
    if forum:
        data["is_forum"] = True
    return data


def channel_chat(chat_id: int = -1001999888777, title: str = "Papers") -> dict[str, Any]:
    return {"id": chat_id, "title": title, "type": "channel"}


def _entities(text: str) -> list[dict[str, Any]]:
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0] if text.strip() else text
    return [{"offset": 0, "length": utf16_len(command), "type": "bot_command"}]


def message_update(
    text: str,
    *,
    chat: dict[str, Any] | None = None,
    sender: dict[str, Any] | None = None,
    thread_id: int | None = None,
    kind: str = "message",
    sender_chat: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An update carrying a text message (``kind``: message, edited_message, channel_post)."""
    chat = chat or private_chat()
    message: dict[str, Any] = {"message_id": next(_dates) % 1_000_000, "date": next(_dates), "chat": chat}
    in_channel = kind in ("channel_post", "edited_channel_post")
    if not in_channel:
        message["from"] = sender or user(chat["id"] if chat["type"] == "private" else 10081232)
    if sender_chat is not None:
        message["sender_chat"] = sender_chat
    elif in_channel:
        message["sender_chat"] = chat
    message["text"] = text
    if entities := _entities(text):
        message["entities"] = entities
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        message["is_topic_message"] = True
    if kind.startswith("edited_"):
        message["edit_date"] = message["date"] + 5
    return {"update_id": 0, kind: message}


def my_chat_member_update(
    chat: dict[str, Any], bot: dict[str, Any], old: str = "member", new: str = "kicked"
) -> dict[str, Any]:
    """The bot's own membership changed in ``chat`` (e.g. removed from a group, blocked in private)."""

    def member(status: str) -> dict[str, Any]:
        return _member(bot["id"], status) | {"user": bot}

    return {
        "update_id": 0,
        "my_chat_member": {
            "chat": chat,
            "from": user(),
            "date": next(_dates),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        },
    }


def callback_update(
    data: str | None,
    *,
    message: dict[str, Any] | None = None,
    sender: dict[str, Any] | None = None,
    inline_message_id: str | None = None,
) -> dict[str, Any]:
    """A button press (the recorded nutgram ``callback_query`` shape): ``message`` is the message
    with the button (None: none, as for inline mode); ``{"chat": …, "message_id": n, "date": 0}`` is
    an inaccessible (too old) message. The fake gives the query its id when queued."""
    recorded = fixture("nutgram/updates/callback_query.json")["callback_query"]
    query: dict[str, Any] = {
        "id": recorded["id"],
        "from": sender or user(),
        "chat_instance": recorded["chat_instance"],
    }
    if message is not None:
        query["message"] = message
    if inline_message_id is not None:
        query["inline_message_id"] = inline_message_id
    if data is not None:
        query["data"] = data
    return {"update_id": 0, "callback_query": query}


def old_message(chat: dict[str, Any], message_id: int = 41) -> dict[str, Any]:
    """A message the bot can no longer access (Bot API ``InaccessibleMessage``: date 0)."""
    return {"chat": chat, "message_id": message_id, "date": 0}


def migrate_update(old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
    """The service message in the old group when it becomes a supergroup (recorded nutgram shape)."""
    update = fixture("nutgram/updates/migrate_to_chat_id.json")
    message = update["message"]
    message["chat"] = group_chat(old_chat_id)
    message["migrate_to_chat_id"] = new_chat_id
    return dict(update)


def bot_user(fake: FakeTelegram) -> dict[str, Any]:
    return {
        "id": fake.me["id"],
        "is_bot": True,
        "first_name": fake.me["first_name"],
        "username": fake.me["username"],
    }


__all__ = [
    "ALLOWED_TAGS",
    "MAX_LENGTH",
    "ApiCall",
    "CallbackAnswer",
    "EntityError",
    "FakeError",
    "FakeTelegram",
    "FloodLimits",
    "KeyboardEdit",
    "SentMessage",
    "accepted_late",
    "bot_blocked",
    "bot_kicked",
    "bot_user",
    "callback_update",
    "cant_parse_entities",
    "channel_chat",
    "chat_not_found",
    "check_reply_markup",
    "check_text",
    "group_chat",
    "group_migrated",
    "keyboard_rows",
    "message_update",
    "migrate_update",
    "my_chat_member_update",
    "not_enough_rights",
    "old_message",
    "parse_html",
    "private_chat",
    "query_too_old",
    "recorded_updates",
    "server_error",
    "stall",
    "supergroup_chat",
    "too_many_requests",
    "user",
    "user_deactivated",
    "utf16_len",
]
