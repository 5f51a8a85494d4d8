"""Sending to Telegram, with Telegram's errors turned into the project's.

``TelegramPlatform`` implements ``bot.delivery.Platform``: it renders, sends message by message in
order, and awaits ``on_sent`` after each message Telegram acknowledged. The Bot API's answers are
handled as the API defines them:

* 429 ``RetryAfter``: a short ``retry_after`` (at most ``RetryPolicy.max_flood_wait``, 10 s) is
  waited out and the same message sent again (it was not delivered, so it is neither dropped nor
  doubled); a longer one is ``DeliveryFailed`` carrying ``retry_after``, so the push reschedules the
  chat instead of holding anything for minutes;
* 403 ``Forbidden`` (blocked, kicked, user deactivated) and 400 "chat not found", "group chat was
  deactivated", ``CHANNEL_PRIVATE`` → ``ChatGone``;
* 400/403 saying the bot may not post ("not enough rights to send text messages", "have no rights
  to send a message", ``CHAT_WRITE_FORBIDDEN``, ``CHAT_SEND_PLAIN_FORBIDDEN``, "need administrator
  rights in the channel chat", a closed topic) → ``NoRights``: a muted bot is paused, never removed;
* 400 with ``migrate_to_chat_id`` → ``ChatMigrated(new id)``;
* 401/404 on the bot itself (``InvalidToken``) → ``TokenRejected`` naming ``TELEGRAM_BOT_TOKEN``;
* 400 "can't parse entities" → the message once more as plain text (the renderer is tested so this
  never happens);
* timeouts, connection errors and 5xx → retried with exponential backoff (stamina), then
  ``DeliveryFailed``. A send whose request went out but whose answer never came (a read timeout, a
  dropped connection) may have been delivered: its retry is counted in
  ``arxiv_digest_possible_repeats_total``. Sends read for ``SEND_READ_TIMEOUT`` seconds (20), well
  past the Bot API's usual answer time, so such retries stay rare.

A chat is a ``ChatKey("telegram", "<chat id>")``; a forum topic is ``"<chat id>:<message_thread_id>"``.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
import stamina
import structlog
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.error import (
    ChatMigrated as TelegramChatMigrated,
)

from bot.delivery import OnSent
from bot.errors import BadSetting, ChatGone, ChatMigrated, DeliveryFailed, NoRights, TokenRejected
from bot.metrics import Metrics
from bot.models import ChatKey, Digest
from bot.outage import Outage

from .buttons import Button, Keyboard
from .render import RenderedMessage, render_digest, render_reply

log = structlog.get_logger(__name__)

PLATFORM = "telegram"
TOKEN_SETTING = "TELEGRAM_BOT_TOKEN"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
SEND_READ_TIMEOUT = 20.0
"""Seconds a send waits for the Bot API's answer (python-telegram-bot's default is 5): long enough
for Telegram's slow moments, so a message it accepted is rarely sent again after a timeout."""
GONE_REASONS = (
    "chat not found",
    "message thread not found",
    "topic_deleted",
    "topic deleted",
    "peer_id_invalid",
    "group chat was deactivated",
    "channel_private",
)
"""Lower-case fragments of 400 descriptions that mean the chat (or topic) no longer exists for the bot."""
NO_RIGHTS_REASONS = (
    "not enough rights to send",
    "have no rights to send",
    "need administrator rights in the channel chat",
    "chat_write_forbidden",
    "chat_send_",
    "chat_restricted",
    "chat_admin_required",
    "topic_closed",
)
"""Lower-case fragments of 400/403 descriptions that mean the bot is there but may not post (a muted
or restricted bot, a channel admin without the posting right, a closed forum topic)."""

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for transient failures (timeouts, network errors, 5xx) and the patience for 429s."""

    attempts: int = 3
    wait_initial: float = 0.5
    wait_max: float = 5.0
    wait_jitter: float = 1.0
    timeout: float = 60.0
    """Seconds all attempts of one message may take together."""
    max_flood_wait: float = 10.0
    """Longest ``retry_after`` waited out in place; a longer one fails the send with it."""
    max_flood_waits: int = 3


def chat_key(chat_id: int | str, thread_id: int | None = None) -> ChatKey:
    """The ChatKey of a chat, or of one topic of a forum supergroup."""
    if thread_id:
        return ChatKey(PLATFORM, f"{chat_id}:{thread_id}")
    return ChatKey(PLATFORM, str(chat_id))


def chat_target(chat: ChatKey) -> tuple[int | str, int | None]:
    """``ChatKey`` → (chat_id for the Bot API, message_thread_id or None)."""
    base, _, thread = chat.chat_id.rpartition(":")
    if not base or not _is_int(thread):
        base, thread = chat.chat_id, ""
    chat_id: int | str = int(base) if _is_int(base) else base
    return chat_id, int(thread) if thread else None


def token_rejected() -> BadSetting:
    """The error for a bot token Telegram refuses."""
    return BadSetting(
        "TELEGRAM_BOT_TOKEN",
        "Telegram rejected TELEGRAM_BOT_TOKEN: set the token @BotFather gave you (123456789:AAE…)",
    )


def inline_markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Keyboard data as python-telegram-bot's markup (None for no keyboard)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.text, callback_data=button.data) for button in row] for row in keyboard]
    )


def keyboard_of(markup: InlineKeyboardMarkup | None) -> Keyboard:
    """The callback buttons of a message's markup as keyboard data (other kinds of button are left out)."""
    if markup is None:
        return ()
    rows = (
        tuple(Button(b.text, b.callback_data) for b in row if isinstance(b.callback_data, str))
        for row in markup.inline_keyboard
    )
    return tuple(row for row in rows if row)


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this python-telegram-bot version reports."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _seconds(error.retry_after)


def _transient(error: Exception) -> bool:
    """Worth another try: timeouts, connection errors, 5xx. BadRequest is a NetworkError subclass
    in python-telegram-bot, but a refusal, not a transient failure."""
    return isinstance(error, TimedOut | NetworkError) and not isinstance(error, BadRequest)


def _gone(description: str) -> bool:
    lowered = description.lower()
    return any(reason in lowered for reason in GONE_REASONS)


def no_rights(description: str) -> bool:
    """Whether a refusal's description says the bot may not post (rather than that the chat is gone)."""
    lowered = description.lower()
    return any(reason in lowered for reason in NO_RIGHTS_REASONS)


_SENT_ERRORS = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


def maybe_delivered(error: BaseException) -> bool:
    """Whether a failed send may have reached Telegram anyway: the request went out and the answer
    was lost (a read timeout, a connection dropped while waiting), as opposed to a connection that
    was never made."""
    return isinstance(error, TimedOut | NetworkError) and isinstance(error.__cause__, _SENT_ERRORS)


class TelegramPlatform:
    """``bot.delivery.Platform`` for Telegram on one ``telegram.Bot`` (or PTB's ``ExtBot`` with the
    flood limiter, so replies and the push share the same windows)."""

    name = PLATFORM

    def __init__(
        self,
        bot: Bot,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        owns_bot: bool = False,
        metrics: Metrics | None = None,
    ) -> None:
        self.bot = bot
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._owns_bot = owns_bot
        self._metrics = metrics
        self._started = False
        self._start_lock = asyncio.Lock()
        self._rejected: TokenRejected | None = None
        self.outage = Outage("telegram")
        """Telegram unreachable (network, timeouts, 5xx): one line when it goes, one when it is back."""
        self.possible_repeats = 0
        """Sends retried after their request went out unanswered (the chat may have them twice)."""

    async def start(self) -> None:
        """Open the bot's HTTP client (only when this platform owns the bot): ``TokenRejected`` if
        Telegram refuses the token (remembered: every later send fails the same way at once),
        ``DeliveryFailed`` if it cannot be reached."""
        async with self._start_lock:
            if self._rejected is not None:
                raise self._rejected
            if self._owns_bot and not self._started:
                try:
                    await self.bot.initialize()
                except InvalidToken:
                    raise self._reject() from None
                except TelegramError as error:
                    self.outage.failed(error)
                    raise DeliveryFailed(f"Telegram unreachable: {error}", unreachable=True) from None
            self._started = True

    def _reject(self) -> TokenRejected:
        """The refusal, remembered (the push says it once per cycle)."""
        if self._rejected is None:
            self._rejected = TokenRejected("Telegram", TOKEN_SETTING)
        return self._rejected

    async def verify(self) -> str:
        """Whether Telegram accepts the token (``getMe``): the bot's ``@username``; ``BadSetting``
        when the token is refused, ``DeliveryFailed`` or Telegram's own errors when it cannot be
        reached."""
        try:
            await self.start()
            me = await self.bot.get_me()
        except InvalidToken:
            self._reject()
            raise token_rejected() from None
        except TokenRejected:
            raise token_rejected() from None
        return f"@{me.username}"

    async def close(self) -> None:
        if self._owns_bot and self._started:
            await self.bot.shutdown()
        self._started = False

    async def __aenter__(self) -> TelegramPlatform:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- Platform -----------------------------------------------------------------------------------------
    async def send_digest(
        self, chat: ChatKey, digest: Digest, on_sent: OnSent, max_messages: int | None = None
    ) -> None:
        """Send the digest's messages in order, each with its 👍/👎 (and the last with "More (n)"
        when papers of the day follow); ``on_sent`` after each acknowledged one, with the ids of the
        papers in it. With ``max_messages``, at most that many messages: the papers that do not fit
        are left out from the end and counted as remaining (see ``render_digest``). Rendering runs in
        a worker thread, so a long digest never holds up the event loop (and the flood windows'
        timing) of other chats' sends."""
        messages = await asyncio.to_thread(render_digest, digest, max_messages=max_messages)
        for message in messages:
            await self.send_message(chat, message)
            await on_sent(message.paper_ids)

    async def send_text(self, chat: ChatKey, text: str) -> None:
        """Send plain text (escaped here)."""
        await self.send_message(chat, render_reply(text))

    # -- one message ----------------------------------------------------------------------------------------
    async def send_message(self, chat: ChatKey, message: RenderedMessage) -> Message:
        """Deliver one rendered message, handling Telegram's errors as described in the module."""
        if not self._started or self._rejected is not None:
            await self.start()
        chat_id, thread_id = chat_target(chat)
        as_html = True
        flood_waits = 0
        while True:
            try:
                sent = await self._send_retrying(chat_id, thread_id, message, as_html)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                flood_waits += 1
                if seconds > self.policy.max_flood_wait:
                    log.warning("telegram_retry_after", chat=str(chat), retry_after=seconds, waited=False)
                    raise DeliveryFailed(
                        f"Telegram asked to wait {seconds:g} s before sending to {chat}", retry_after=seconds
                    ) from None
                if flood_waits > self.policy.max_flood_waits:
                    raise DeliveryFailed(
                        f"Telegram kept asking to slow down for {chat}", retry_after=seconds
                    ) from None
                log.warning("telegram_retry_after", chat=str(chat), retry_after=seconds, waits=flood_waits)
                await self._sleep(seconds)
            except TelegramChatMigrated as error:
                new_id = str(error.new_chat_id)
                log.info("telegram_chat_migrated", chat=str(chat), new_chat_id=new_id)
                raise ChatMigrated(new_id) from None
            except InvalidToken:
                raise self._reject() from None
            except Forbidden as error:
                if no_rights(error.message):
                    log.info("telegram_no_rights", chat=str(chat), reason=error.message)
                    raise NoRights(error.message) from None
                log.info("telegram_chat_gone", chat=str(chat), reason=error.message)
                raise ChatGone(f"{chat}: {error.message}") from None
            except BadRequest as error:
                description = error.message
                if "can't parse entities" in description.lower() and as_html:
                    log.error("telegram_entities_rejected", chat=str(chat), reason=description)
                    as_html = False
                    continue
                if no_rights(description):
                    log.info("telegram_no_rights", chat=str(chat), reason=description)
                    raise NoRights(description) from None
                if _gone(description):
                    log.info("telegram_chat_gone", chat=str(chat), reason=description)
                    raise ChatGone(f"{chat}: {description}") from None
                log.error("telegram_bad_request", chat=str(chat), reason=description)
                raise DeliveryFailed(f"Telegram refused a message to {chat}: {description}") from None
            except (TimedOut, NetworkError) as error:
                self.outage.failed(error)
                raise DeliveryFailed(f"Telegram unreachable for {chat}: {error}", unreachable=True) from None
            except TelegramError as error:
                log.error("telegram_error", chat=str(chat), reason=str(error))
                raise DeliveryFailed(f"Telegram error for {chat}: {error}") from None
            else:
                self.outage.answered()
                return sent

    async def _send_retrying(
        self, chat_id: int | str, thread_id: int | None, message: RenderedMessage, as_html: bool
    ) -> Message:
        policy = self.policy
        uncertain = False
        async for attempt in stamina.retry_context(
            on=_transient,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                if uncertain:
                    self._possible_repeat(chat_id)
                try:
                    return await self.bot.send_message(
                        chat_id=chat_id,
                        text=message.html if as_html else message.plain,
                        parse_mode=ParseMode.HTML if as_html else None,
                        message_thread_id=thread_id,
                        link_preview_options=NO_PREVIEW,
                        reply_markup=inline_markup(message.keyboard),
                    )
                except (TimedOut, NetworkError) as error:
                    uncertain = maybe_delivered(error)
                    raise
        raise AssertionError("unreachable: stamina re-raises the last error")

    def _possible_repeat(self, chat_id: int | str) -> None:
        self.possible_repeats += 1
        if self._metrics is not None:
            self._metrics.possible_repeats.labels(PLATFORM).inc()
        log.warning("telegram_possible_repeat", chat_id=str(chat_id))
