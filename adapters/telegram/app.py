"""The Telegram bot: python-telegram-bot's Application wired to the core's ``Commands``.

Handlers are short: work out the chat (a forum topic is its own chat) and whether the sender may
change its settings, pass the text to ``Commands.handle``, and deliver the reply through the same
``TelegramPlatform`` the morning push uses, recording each acknowledged digest message in the ledger.

* Commands come as messages and channel posts; ``/cmd@otherbot``, plain text, edits and automatic
  forwards from a linked channel are ignored.
* In groups and supergroups only the creator and administrators (getChatMember, cached for a minute)
  may change subscriptions or settings; anonymous admins (posting as the group) count as admins.
  In channels only admins can post, so a channel post may change them.
* The bot removed, kicked or blocked (``my_chat_member``) → the chat is unsubscribed; a group that
  became a supergroup (``migrate_to_chat_id``) keeps its subscription under the new id. A bot muted
  or without the right to post is never unsubscribed: its delivery is paused (``bot.paused``), and
  when ``my_chat_member`` says it may post again the pause ends and the chat is pushed at once.
* A pressed button (``callback_query``) acts on the chat of the message that carries it, never on
  another: its payload (``like:<id>``, ``dislike:<id>``, ``more:<date>``, see ``buttons``) becomes
  the text command the core handles, for that chat, with the presser's language. A payload that does
  not parse, or a press without its message (inline mode, a message too old to access), changes
  nothing. Every press is answered (``answerCallbackQuery``): a vote with a short toast and, when it
  was taken, its mark on the pressed row (``editMessageReplyMarkup``); a failed command is also
  posted in the chat; a "More" press is answered at once and the next page follows as a digest.
* Long polling by default; with ``TELEGRAM_WEBHOOK_URL`` a webhook server (secret token checked),
  so several replicas can sit behind one load balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import structlog
from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberRestricted,
    Message,
    Update,
    User,
)
from telegram.constants import ChatAction, ChatMemberStatus, ChatType
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.commands import (
    COMMANDS,
    MUTATING,
    Caller,
    Commands,
    DigestReply,
    Reply,
    TextReply,
    asks_admin,
    parse_command,
)
from bot.errors import ChatGone, ChatMigrated, DeliveryFailed, NoRights, TokenRejected
from bot.i18n import normalize_language, t
from bot.metrics import Metrics
from bot.models import ChatKey
from bot.outage import Outage
from bot.settings import Settings
from bot.store.base import Store

from .buttons import MORE, VOTES, ButtonAction, mark_vote, parse_payload
from .delivery import (
    PLATFORM,
    SEND_READ_TIMEOUT,
    RetryPolicy,
    Sleep,
    TelegramPlatform,
    chat_key,
    chat_target,
    inline_markup,
    keyboard_of,
    token_rejected,
)
from .limits import CommandOrder, FloodControl, TelegramRateLimiter
from .render import truncate

log = structlog.get_logger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Context = CallbackContext[Any, Any, Any, Any]

SLOW_COMMANDS = frozenset({"today", "more"})
"""Commands that may take a while (arXiv, the LLM): the chat sees "typing…" meanwhile."""
TYPING_EVERY = 4.0
"""Seconds between two "typing…" actions; Telegram shows one for up to 5 seconds."""
TYPING_GRACE = 1.0
"""Seconds a finished command waits for a "typing…" request in flight before cancelling it."""
ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST, Update.MY_CHAT_MEMBER, Update.CALLBACK_QUERY]
"""The update kinds the bot asks Telegram for (edits and the rest are never even delivered)."""
ADMINS = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})
REMOVED = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})
GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
MAX_TOAST = 200
"""Characters of an ``answerCallbackQuery`` text."""
ANSWER_WITHIN = 3.0
"""Seconds a vote's command may take before its press is answered without waiting for it (Telegram
drops an answer that comes too late, and the presser sees a spinner until then)."""


class AdminCache:
    """Whether a user administers a chat, from getChatMember, remembered for ``ttl`` seconds."""

    def __init__(
        self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_admin(self, bot: ExtBot[Any], chat_id: int, user_id: int) -> bool:
        now = self._clock()
        cached = self._entries.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as error:
            log.warning("telegram_admin_check_failed", chat_id=chat_id, reason=str(error))
            return False
        admin = member.status in ADMINS
        if len(self._entries) >= self._max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
        self._entries[(chat_id, user_id)] = (now + self.ttl, admin)
        return admin


def may_post(member: ChatMember) -> bool:
    """Whether the bot, as this member of a chat, may send messages there."""
    if member.status in REMOVED:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.can_send_messages
    return not (isinstance(member, ChatMemberAdministrator) and member.can_post_messages is False)


def message_chat(message: Message) -> ChatKey:
    """The chat a message belongs to; a message inside a forum topic belongs to that topic."""
    if message.chat.is_forum and message.is_topic_message and message.message_thread_id:
        return chat_key(message.chat.id, message.message_thread_id)
    return chat_key(message.chat.id)


class _Press:
    """The answer to one button press: sent once, by whichever comes first, the command's result or
    the deadline (an empty answer, so the presser's spinner stops in time)."""

    def __init__(self, handlers: Handlers, query: CallbackQuery) -> None:
        self.handlers = handlers
        self.query = query
        self.answered = False
        self.late = False

    async def answer(self, text: str | None) -> bool:
        """Answer with ``text`` unless already answered; whether this call answered."""
        if self.answered:
            return False
        self.answered = True
        await self.handlers.answer(self.query, text)
        return True

    async def answer_after(self, seconds: float) -> None:
        """The deadline: after ``seconds``, an empty answer if none was given yet."""
        await asyncio.sleep(seconds)
        self.late = not self.answered
        await self.answer(None)


class Handlers:
    """The update handlers of one bot.

    A chat's commands that change its settings run one at a time in the order they arrived, and
    every command waits for the changes sent before it; nothing waits for a command that only
    reads, so a ``/list`` sent during a slow ``/today`` is answered at once. While a command that
    may be slow runs, the chat sees "typing…" (``sendChatAction``, renewed every ``typing_every``
    seconds, as Telegram shows it for 5 seconds at most).
    """

    def __init__(
        self,
        commands: Commands,
        store: Store,
        platform: TelegramPlatform,
        admins: AdminCache,
        typing_every: float = TYPING_EVERY,
        default_language: str = "en",
        answer_within: float = ANSWER_WITHIN,
    ) -> None:
        self.commands = commands
        self.store = store
        self.platform = platform
        self.admins = admins
        self.order = CommandOrder()
        self.typing_every = typing_every
        self.default_language = default_language
        self.answer_within = answer_within

    async def may_manage(self, bot: ExtBot[Any], message: Message) -> bool:
        """May the sender change this chat's subscription and settings?"""
        if message.chat.type not in GROUPS:
            return True
        if message.sender_chat is not None:
            return message.sender_chat.id == message.chat.id
        if message.from_user is None:
            return False
        return await self.admins.is_admin(bot, message.chat.id, message.from_user.id)

    async def on_message(self, update: Update, context: Context) -> None:
        message = update.message or update.channel_post
        if message is None or message.text is None or message.is_automatic_forward:
            return
        username = context.bot.username
        parsed = parse_command(message.text, username)
        if parsed is None:
            return
        chat = message_chat(message)
        name, args = parsed
        async with self.order.turn(chat, changes=name in MUTATING):
            can_manage = await self.may_manage(context.bot, message) if asks_admin(name, args) else True
            language = message.from_user.language_code if message.from_user else None
            caller = Caller(chat=chat, can_manage=can_manage, user_language=language)
            async with self.typing(context.bot, chat, name in SLOW_COMMANDS):
                reply = await self.commands.handle(caller, message.text, username)
            if reply is not None:
                await self.deliver(chat, reply)

    # -- buttons ----------------------------------------------------------------------------------------
    async def may_press(self, bot: ExtBot[Any], chat: Chat, presser: User | None) -> bool:
        """May the presser of a button change this chat's settings? As for messages, in private chats
        anyone; in groups and channels (where anyone may press a button) only administrators."""
        if chat.type == ChatType.PRIVATE:
            return True
        if presser is None:
            return False
        return await self.admins.is_admin(bot, chat.id, presser.id)

    @staticmethod
    def ours(message: object, bot: ExtBot[Any]) -> bool:
        """Whether a press came with its message, one the bot can still access and sent itself."""
        if not isinstance(message, Message) or not message.is_accessible:
            return False
        return message.from_user is None or message.from_user.id == bot.id

    async def on_callback(self, update: Update, context: Context) -> None:
        """A pressed inline button; see the module's docstring."""
        query = update.callback_query
        if query is None:
            return
        language = query.from_user.language_code if query.from_user else None
        action = parse_payload(query.data)
        message = query.message
        if action is None or not self.ours(message, context.bot):
            lang = await self.press_language(message, language)
            key = "btn_invalid" if action is None else "btn_stale"
            log.info("telegram_button_refused", reason=key, chat_id=message.chat.id if message else None)
            await self.answer(query, t(lang, key, command=action.command if action else ""))
            return
        assert isinstance(message, Message)
        chat = message_chat(message)
        press = _Press(self, query)
        late = asyncio.create_task(press.answer_after(self.answer_within), name=f"answer:{query.id}")
        try:
            async with self.order.turn(chat, changes=action.name in MUTATING or action.name in VOTES):
                if action.name in MUTATING:
                    can_manage = await self.may_press(context.bot, message.chat, query.from_user)
                else:
                    can_manage = True
                caller = Caller(chat=chat, can_manage=can_manage, user_language=language)
                await self.run_press(context.bot, press, message, caller, action)
        finally:
            if press.late:
                await late
            else:
                late.cancel()

    async def press_language(self, message: object, language: str | None) -> str:
        """The language a refused press is answered in: that of the chat the button is in, as for
        every other reply there (the presser's only while the chat has none, or for a press without
        a chat, as in inline mode)."""
        chat = getattr(message, "chat", None)
        if chat is None:
            return normalize_language(language or "") or self.default_language
        key = message_chat(message) if isinstance(message, Message) else chat_key(chat.id)
        return await self.commands.language_of(Caller(chat=key, user_language=language))

    async def run_press(
        self, bot: ExtBot[Any], press: _Press, message: Message, caller: Caller, action: ButtonAction
    ) -> None:
        """Run a press's command. "More": answered at once, then the next page as a digest. A vote:
        its reply as the toast (posted in the chat as well when the command failed or the toast had
        to go before the reply was ready), and its mark on the pressed row when it was taken."""
        chat = caller.chat
        try:
            if action.name == MORE:
                await press.answer(None)
                async with self.typing(bot, chat, True):
                    reply = await self.commands.handle(caller, action.command, bot.username)
            else:
                reply = await self.commands.handle(caller, action.command, bot.username)
        except Exception:
            await press.answer(t(await self.commands.language_of(caller), "failed"))
            raise
        if isinstance(reply, TextReply):
            toasted = await press.answer(reply.text)
            if not reply.ok or not toasted:
                await self.deliver(chat, reply)
            if reply.ok and action.name in VOTES:
                await self.show_vote(bot, message, action)
            return
        await press.answer(None)
        if reply is not None:
            await self.deliver(chat, reply)

    async def answer(self, query: CallbackQuery, text: str | None) -> None:
        """Answer a press (the client's spinner stops), with ``text`` as a short toast."""
        toast = truncate(" ".join(text.split()), MAX_TOAST) if text else None
        try:
            await query.answer(toast)
        except TelegramError as error:
            log.warning("telegram_answer_failed", reason=str(error))

    async def show_vote(self, bot: ExtBot[Any], message: Message, action: ButtonAction) -> None:
        """Mark the vote on the pressed row of the message's keyboard (left as it is when unchanged)."""
        keyboard = keyboard_of(message.reply_markup)
        marked = mark_vote(keyboard, action)
        if marked == keyboard:
            return
        try:
            await bot.edit_message_reply_markup(
                chat_id=message.chat.id, message_id=message.message_id, reply_markup=inline_markup(marked)
            )
        except TelegramError as error:
            log.debug("telegram_vote_mark_failed", chat_id=message.chat.id, reason=str(error))

    @asynccontextmanager
    async def typing(self, bot: ExtBot[Any], chat: ChatKey, slow: bool) -> AsyncIterator[None]:
        """Show "typing…" in ``chat`` while the block runs (when ``slow``), renewed every
        ``typing_every`` seconds; it stops before the reply is sent."""
        if not slow:
            yield
            return
        done = asyncio.Event()
        chat_id, thread_id = chat_target(chat)

        async def show() -> None:
            while not done.is_set():
                try:
                    await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
                except TelegramError as error:
                    log.debug("telegram_typing_failed", chat=str(chat), reason=str(error))
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), self.typing_every)

        task = asyncio.create_task(show(), name=f"typing:{chat}")
        try:
            yield
        finally:
            done.set()
            _, late = await asyncio.wait({task}, timeout=TYPING_GRACE)
            for still in late:
                still.cancel()

    async def deliver(self, chat: ChatKey, reply: Reply) -> None:
        """Send a command's reply; digest messages go into the chat's ledger as they arrive."""
        try:
            if isinstance(reply, TextReply):
                await self.platform.send_text(chat, reply.text)
                self.commands.replied(chat)
                return
            if reply.notice:
                await self.platform.send_text(chat, reply.notice)
                self.commands.replied(chat)
            assert isinstance(reply, DigestReply)
            await self.platform.send_digest(chat, reply.digest, partial(self.commands.delivered, chat))
        except ChatGone:
            await self.remove_chat(chat)
        except ChatMigrated as error:
            await self.commands.chat_migrated(chat, chat_key(error.new_chat_id))
        except NoRights as error:
            log.warning("telegram_reply_no_rights", chat=str(chat), reason=error.reason)
        except (DeliveryFailed, TokenRejected) as error:
            log.warning("telegram_reply_failed", chat=str(chat), reason=str(error))

    async def on_my_chat_member(self, update: Update, context: Context) -> None:
        change = update.my_chat_member
        if change is None:
            return
        member = change.new_chat_member
        chat = chat_key(change.chat.id)
        if member.status in REMOVED:
            log.info("telegram_bot_removed", chat_id=change.chat.id, status=member.status)
            await self.remove_chat(chat, forum=bool(change.chat.is_forum))
        elif may_post(member) and not may_post(change.old_chat_member):
            for each in await self.with_topics(chat, forum=bool(change.chat.is_forum)):
                await self.commands.chat_may_post(each)

    async def remove_chat(self, chat: ChatKey, forum: bool = False) -> None:
        """Unsubscribe a chat; for a forum supergroup, every topic of it too."""
        for each in await self.with_topics(chat, forum):
            await self.commands.chat_removed(each)

    async def with_topics(self, chat: ChatKey, forum: bool) -> list[ChatKey]:
        """The chat, and for a forum supergroup every subscribed topic of it."""
        if not forum:
            return [chat]
        prefix = f"{chat.chat_id}:"
        topics = [
            settings.chat
            async for settings in self.store.iter_chats()
            if settings.chat.platform == PLATFORM and settings.chat.chat_id.startswith(prefix)
        ]
        return [chat, *topics]

    async def on_migrate(self, update: Update, context: Context) -> None:
        message = update.message
        if message is None:
            return
        if message.migrate_to_chat_id:
            await self.commands.chat_migrated(chat_key(message.chat.id), chat_key(message.migrate_to_chat_id))
        elif message.migrate_from_chat_id:
            await self.commands.chat_migrated(
                chat_key(message.migrate_from_chat_id), chat_key(message.chat.id)
            )

    async def on_error(self, update: object, context: Context) -> None:
        error = context.error
        log.error(
            "telegram_handler_error",
            error_type=type(error).__name__,
            error=str(error),
            update_id=update.update_id if isinstance(update, Update) else None,
        )


# -- building ------------------------------------------------------------------------------------------------


def _token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return settings.telegram_bot_token.get_secret_value()


def _file_url(api_url: str) -> str:
    return api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url


class PollingRequest(HTTPXRequest):
    """The HTTP client of ``getUpdates`` (python-telegram-bot's defaults for it) that tells
    ``polling`` when Telegram answers: a 2xx answer ends an outage the updater's error callback
    began (``TelegramService``)."""

    __slots__ = ("_polling",)

    def __init__(self, polling: Outage) -> None:
        super().__init__()
        self._polling = polling

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        if 200 <= status < 300:
            self._polling.answered()
        return status, payload


def make_bot(
    settings: Settings, flood: FloodControl | None = None, polling: Outage | None = None
) -> ExtBot[None]:
    """A bot on ``TELEGRAM_API_URL`` whose messages go through the flood limiter, waiting
    ``SEND_READ_TIMEOUT`` seconds for each answer; its ``getUpdates`` answers end ``polling``'s
    outage (``PollingRequest``)."""
    return ExtBot(
        token=_token(settings),
        base_url=settings.telegram_api_url,
        base_file_url=_file_url(settings.telegram_api_url),
        request=HTTPXRequest(connection_pool_size=64, read_timeout=SEND_READ_TIMEOUT),
        get_updates_request=PollingRequest(polling) if polling is not None else None,
        rate_limiter=TelegramRateLimiter(flood or FloodControl()),
    )


def build_platform(
    settings: Settings,
    flood: FloodControl | None = None,
    policy: RetryPolicy | None = None,
    sleep: Sleep = asyncio.sleep,
    metrics: Metrics | None = None,
) -> TelegramPlatform:
    """The platform the push sends through; share ``flood`` with ``run_telegram`` in one process."""
    return TelegramPlatform(
        make_bot(settings, flood), policy=policy, sleep=sleep, owns_bot=True, metrics=metrics
    )


def build_application(
    settings: Settings,
    commands: Commands,
    store: Store,
    *,
    flood: FloodControl | None = None,
    policy: RetryPolicy | None = None,
    admins: AdminCache | None = None,
    sleep: Sleep = asyncio.sleep,
    typing_every: float = TYPING_EVERY,
    metrics: Metrics | None = None,
    answer_within: float = ANSWER_WITHIN,
    polling: Outage | None = None,
) -> tuple[TelegramApp, Handlers]:
    """python-telegram-bot's Application on ``TELEGRAM_API_URL``, and the handlers it calls;
    ``polling`` learns when ``getUpdates`` is answered."""
    bot = make_bot(settings, flood, polling)
    application: TelegramApp = ApplicationBuilder().bot(bot).concurrent_updates(True).job_queue(None).build()
    platform = TelegramPlatform(application.bot, policy=policy, sleep=sleep, metrics=metrics)
    handlers = Handlers(
        commands,
        store,
        platform,
        admins or AdminCache(),
        typing_every=typing_every,
        default_language=settings.default_language,
        answer_within=answer_within,
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, handlers.on_migrate))
    application.add_handler(
        MessageHandler(
            (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST) & filters.TEXT,
            handlers.on_message,
        )
    )
    application.add_handler(ChatMemberHandler(handlers.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CallbackQueryHandler(handlers.on_callback))
    application.add_error_handler(handlers.on_error)
    return application, handlers


async def register_commands(bot: ExtBot[Any]) -> None:
    """The command menu, in English by default and in Chinese for ``language_code`` zh."""
    for language in ("en", "zh"):
        menu = [BotCommand(c.name, c.description(language)) for c in COMMANDS]
        try:
            await bot.set_my_commands(menu, language_code=None if language == "en" else language)
        except TelegramError as error:
            log.warning("telegram_set_commands_failed", language=language, reason=str(error))


def webhook_secret(settings: Settings) -> str:
    """``TELEGRAM_WEBHOOK_SECRET``, or one derived from the token so every replica agrees on it."""
    _token(settings)
    return settings.webhook_secret()


class TelegramService:
    """The bot as a start/stop pair: ``start`` returns once updates are being received."""

    def __init__(
        self,
        settings: Settings,
        commands: Commands,
        store: Store,
        *,
        flood: FloodControl | None = None,
        policy: RetryPolicy | None = None,
        admins: AdminCache | None = None,
        sleep: Sleep = asyncio.sleep,
        poll_timeout: int = 10,
        typing_every: float = TYPING_EVERY,
        metrics: Metrics | None = None,
        answer_within: float = ANSWER_WITHIN,
    ) -> None:
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.polling = Outage("telegram_updates")
        """Long polling's state: down from a failed ``getUpdates`` until one is answered."""
        self.application, self.handlers = build_application(
            settings,
            commands,
            store,
            flood=flood,
            policy=policy,
            admins=admins,
            sleep=sleep,
            typing_every=typing_every,
            metrics=metrics,
            answer_within=answer_within,
            polling=self.polling,
        )
        self.mode = "webhook" if settings.telegram_webhook_url else "polling"
        self._running = False

    async def start(self) -> None:
        application = self.application
        try:
            await application.initialize()
        except InvalidToken:
            raise token_rejected() from None
        await register_commands(application.bot)
        await application.start()
        updater = application.updater
        assert updater is not None
        settings = self.settings
        if settings.telegram_webhook_url:
            await updater.start_webhook(
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
                url_path=urlsplit(settings.telegram_webhook_url).path.lstrip("/"),
                webhook_url=settings.telegram_webhook_url,
                allowed_updates=ALLOWED_UPDATES,
                secret_token=webhook_secret(settings),
            )
        else:
            await updater.start_polling(
                timeout=self.poll_timeout,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._polling_failed,
            )
        self._running = True
        log.info("telegram_started", mode=self.mode, username=application.bot.username)

    def _polling_failed(self, error: TelegramError) -> None:
        """A failed ``getUpdates`` (python-telegram-bot retries it with backoff): the first of an
        outage is one line, instead of the library's traceback for each."""
        self.polling.failed(error)

    def idle(self) -> bool:
        """No update waiting in the queue or being handled."""
        application = self.application
        busy = application.update_processor.current_concurrent_updates
        return application.update_queue.empty() and busy == 0

    async def stop(self) -> None:
        application = self.application
        if self._running:
            updater = application.updater
            assert updater is not None
            await updater.stop()
            await application.stop()
            self._running = False
        await application.shutdown()
        log.info("telegram_stopped", mode=self.mode)


async def run_telegram(
    settings: Settings,
    commands: Commands,
    store: Store,
    stop_event: asyncio.Event,
    *,
    flood: FloodControl | None = None,
    poll_timeout: int = 10,
    metrics: Metrics | None = None,
) -> None:
    """Serve Telegram until ``stop_event`` is set: long polling, or a webhook when
    ``TELEGRAM_WEBHOOK_URL`` is set. A token Telegram refuses is ``BadSetting`` naming it; any other
    failure to start propagates for the caller's supervisor to retry."""
    service = TelegramService(
        settings, commands, store, flood=flood, poll_timeout=poll_timeout, metrics=metrics
    )
    try:
        await service.start()
        await stop_event.wait()
    finally:
        await service.stop()
