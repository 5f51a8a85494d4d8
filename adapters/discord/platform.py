"""Discord as a delivery platform for the push: digests and text over REST.

discord.py handles rate limits itself (it waits ``retry_after`` on a 429 and retries); a wait longer
than ``max_ratelimit_timeout`` (``MAX_RATELIMIT_WAIT``, 10 s) comes back as ``DeliveryFailed``
carrying ``retry_after``, so the push reschedules the channel instead of waiting for minutes. A
missing right (403 50013 Missing Permissions, 50001 Missing Access) is ``NoRights``: delivery pauses
and the channel keeps its settings. A channel that is gone (404 Unknown Channel, other 403s such as
50007 for a user who closed their DMs) is ``ChatGone``. A refused token is ``TokenRejected``; server
errors that outlast discord.py's retries and network failures are ``DeliveryFailed``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp
import discord
import structlog

from adapters.discord.buttons import Rows, view_of
from adapters.discord.render import render_digest, render_text
from bot.delivery import OnSent
from bot.errors import BadSetting, ChatGone, DeliveryError, DeliveryFailed, NoRights, TokenRejected
from bot.models import ChatKey, Digest
from bot.outage import Outage

log = structlog.get_logger(__name__)

PLATFORM = "discord"
TOKEN_SETTING = "DISCORD_BOT_TOKEN"
MAX_RATELIMIT_WAIT = 10.0
"""Longest 429 wait discord.py sleeps through (a push, a command reply); longer ones fail the
delivery with their ``retry_after``."""
NO_RIGHTS_CODES = frozenset({50001, 50013})
"""Discord's JSON error codes for a bot that is in the guild but lacks a permission there
(Missing Access, Missing Permissions)."""

T = TypeVar("T")


def token_rejected() -> BadSetting:
    """The error for a bot token Discord refuses."""
    return BadSetting(
        "DISCORD_BOT_TOKEN",
        "Discord rejected DISCORD_BOT_TOKEN: set the bot token from the developer portal (Bot → Token)",
    )


def channel_id(chat: ChatKey) -> int:
    """The Discord channel (or thread, or DM channel) id of a chat."""
    try:
        value = int(chat.chat_id)
    except ValueError:
        raise ChatGone(f"{chat} is not a Discord channel id") from None
    if value <= 0:
        raise ChatGone(f"{chat} is not a Discord channel id")
    return value


def delivery_error(chat: ChatKey, error: Exception) -> DeliveryError:
    """discord.py's exception for one send, as the delivery error the push understands."""
    if isinstance(error, discord.RateLimited):
        return DeliveryFailed(f"Discord rate limit on {chat}", retry_after=error.retry_after)
    if isinstance(error, discord.LoginFailure) or (
        isinstance(error, discord.HTTPException) and error.status == 401
    ):
        return TokenRejected("Discord", TOKEN_SETTING)
    if isinstance(error, discord.Forbidden) and error.code in NO_RIGHTS_CODES:
        return NoRights(f"{error.text or 'Missing Permissions'} (code {error.code})")
    if isinstance(error, discord.Forbidden | discord.NotFound):
        return ChatGone(
            f"Discord refused {chat}: {error.status} {error.text or ''} (code {error.code})".strip()
        )
    if isinstance(error, discord.DiscordServerError):
        return DeliveryFailed(f"Discord server error {error.status} for {chat}", unreachable=True)
    if isinstance(error, discord.HTTPException):
        return DeliveryFailed(f"Discord rejected a message to {chat}: {error.status} (code {error.code})")
    return DeliveryFailed(f"Discord unreachable for {chat}: {type(error).__name__}", unreachable=True)


_TRANSLATED = (discord.DiscordException, aiohttp.ClientError, OSError, asyncio.TimeoutError)


async def guarded(chat: ChatKey, call: Callable[[], Awaitable[T]], outage: Outage | None = None) -> T:
    """Run one Discord call, translating its failure into a delivery error (logged once; Discord
    being unreachable is counted in ``outage``: one line per outage)."""
    try:
        result = await call()
    except _TRANSLATED as error:
        translated = delivery_error(chat, error)
        status = getattr(error, "status", None)
        code = getattr(error, "code", None)
        if isinstance(translated, DeliveryFailed) and translated.unreachable and outage is not None:
            outage.failed(error)
        elif isinstance(translated, ChatGone):
            log.warning("discord_chat_gone", chat=str(chat), status=status, code=code)
        elif isinstance(translated, NoRights):
            log.warning("discord_no_rights", chat=str(chat), status=status, code=code)
        elif isinstance(translated, TokenRejected):
            pass  # the push says it once per cycle
        else:
            log.warning(
                "discord_delivery_failed",
                chat=str(chat),
                status=status,
                code=code,
                error=type(error).__name__,
                retry_after=getattr(translated, "retry_after", None),
            )
        raise translated from error
    if outage is not None:
        outage.answered()
    return result


def push_client(**options: object) -> discord.Client:
    """A gateway-less client for sending: no intents, no mentions, bounded rate-limit waits."""
    return discord.Client(
        intents=discord.Intents.none(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=MAX_RATELIMIT_WAIT,
        **options,  # type: ignore[arg-type]
    )


class DiscordPlatform:
    """``bot.delivery.Platform`` for Discord, sending through a discord.py client's REST session.

    The client may be the running gateway client (already logged in) or a client of its own that
    logs in with ``token`` on first use.
    """

    name = PLATFORM

    def __init__(self, client: discord.Client, token: str | None = None) -> None:
        self._client = client
        self._token = token
        self._login_lock = asyncio.Lock()
        self._rejected: TokenRejected | None = None
        self.outage = Outage("discord")
        """Discord unreachable (network, 5xx): one line when it goes, one when it is back."""

    async def _ready(self, chat: ChatKey) -> discord.Client:
        if self._client.user is not None:
            return self._client
        async with self._login_lock:
            if self._rejected is not None:
                raise self._rejected  # a refused token stays refused: no login per channel
            if self._client.user is None:
                if self._token is None:
                    raise DeliveryFailed("the Discord client is not logged in")
                token = self._token
                try:
                    await guarded(chat, lambda: self._client.login(token), self.outage)
                except TokenRejected as rejected:
                    self._rejected = rejected
                    raise
        return self._client

    async def verify(self) -> str:
        """Whether Discord accepts the token (``GET /users/@me``): the bot's name; ``BadSetting``
        when the token is refused, discord.py's own errors when Discord cannot be reached."""
        if self._client.user is None and self._token is not None:
            async with self._login_lock:
                if self._client.user is None:
                    try:
                        await self._client.login(self._token)
                    except discord.LoginFailure:
                        self._rejected = TokenRejected("Discord", TOKEN_SETTING)
                        raise token_rejected() from None
        return str(self._client.user) if self._client.user is not None else "not logged in"

    async def _send(
        self, chat: ChatKey, content: str | None, embeds: list[discord.Embed], rows: Rows = ()
    ) -> None:
        client = await self._ready(chat)
        channel = client.get_partial_messageable(channel_id(chat))
        view = view_of(rows)
        await guarded(
            chat,
            lambda: channel.send(
                content=content or None,
                embeds=embeds,
                allowed_mentions=discord.AllowedMentions.none(),
                view=view if view is not None else discord.utils.MISSING,
            ),
            self.outage,
        )

    async def send_digest(
        self, chat: ChatKey, digest: Digest, on_sent: OnSent, max_messages: int | None = None
    ) -> None:
        """Send the digest message by message (with its 👍/👎 and "More" buttons), calling
        ``on_sent`` after each accepted one with the ids of the papers shown in full in it.

        With ``max_messages``, at most that many messages: papers of ``digest.full`` that do not fit
        are left out from the end (``render_digest``), not marked received, and stay reachable with
        /more."""
        messages = render_digest(digest, max_messages=max_messages)
        for index, message in enumerate(messages, start=1):
            await self._send(chat, message.content, message.embeds, message.rows)
            await on_sent(message.paper_ids)
            log.info(
                "discord_message_sent",
                chat=str(chat),
                part=index,
                parts=len(messages),
                papers=len(message.paper_ids),
            )

    async def send_text(self, chat: ChatKey, text: str) -> None:
        """One plain-text message, escaped and within the content limit."""
        await self._send(chat, render_text(text), [])

    async def aclose(self) -> None:
        """Close the client's HTTP session (only a client this platform logged in itself)."""
        if self._token is not None and not self._client.is_closed():
            await self._client.close()
