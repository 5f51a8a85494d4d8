"""The Discord bot: slash commands over the gateway, turned into the shared chat commands.

Each slash command becomes the text command it mirrors (``/subscribe category:cs.DC`` →
``"/subscribe cs.DC"``) and goes through ``Commands.handle``, so every platform behaves the same.
Subscriptions belong to the channel the command was used in (a thread is a channel of its own; a
DM is a personal subscription). Changing a guild channel's settings needs Manage Channels or Manage
Server. Replies that concern only the caller are ephemeral; digests and settings changes are public.

The only gateway intent is ``guilds`` (no privileged intent): it tells the bot when it is removed
from a guild or a subscribed channel or thread is deleted, and those channels are unsubscribed.

Digests carry buttons (``adapters.discord.buttons``): 👍/👎 under every paper shown in full and
"More (n)" when papers of the day remain. A press is handled by its ``custom_id`` alone
(``on_interaction``), so buttons work across restarts: it becomes ``/like <id>``, ``/dislike <id>``
or ``/more <date>`` for the channel the interaction comes from, with the presser's permissions and
language. A ``custom_id`` that does not parse, or a press on a message the bot did not send or that
does not carry that button, gets an ephemeral error and changes nothing. Votes are answered
ephemerally; "More" defers ("thinking…") and sends the next page as public follow-ups.

One bad event never stops the bot: an event discord.py cannot parse (a payload missing a field it
expects raises inside its parser) is dropped with one log line, and an event handler that fails
logs one line; the gateway connection and every other event go on. Whatever still ends the client
is the supervisor's business (``adapters.runner``): it reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, TypeAlias
from zoneinfo import available_timezones

import discord
import structlog
from discord import app_commands
from discord.app_commands import locale_str

from adapters.discord.buttons import parse_custom_id, view_of
from adapters.discord.endpoints import configure_endpoints
from adapters.discord.platform import (
    MAX_RATELIMIT_WAIT,
    PLATFORM,
    DiscordPlatform,
    push_client,
    token_rejected,
)
from adapters.discord.render import fit, render_digest, render_text
from bot import taxonomy
from bot.commands import MUTATING, SHOWABLE, Caller, Commands, DigestReply, Reply, TextReply
from bot.errors import BadInput, clip
from bot.i18n import KEYS, LANGUAGE_NAMES, primary, t
from bot.language import canonical_language
from bot.models import ChatKey, ChatSettings
from bot.outage import Outage, detail
from bot.render import category_name
from bot.settings import Settings
from bot.store.base import Store

log = structlog.get_logger(__name__)

DigestInteraction: TypeAlias = "discord.Interaction[DigestClient]"

CHOICES_LIMIT = 25
CHOICE_LIMIT = 100
GUILD_KEY = "guild_id"
"""``ChatSettings.extra`` key holding the guild of a guild channel, to unsubscribe it on removal."""

SLASH_COMMANDS = (
    "subscribe",
    "unsubscribe",
    "list",
    "today",
    "more",
    "time",
    "lang",
    "title",
    "interests",
    "filter",
    "types",
    "top",
    "like",
    "dislike",
    "status",
    "help",
)
GATEWAY_LOSSES = 2
"""Gateway connections lost in a row (with no READY or RESUMED between them) that make an outage."""
DEFERRED_COMMANDS = frozenset({"today", "more"})
"""Commands deferred at once: they fetch from arXiv and may wait for the LLM."""
DEFER_AFTER = 1.5
"""Seconds any other command may take before its answer is deferred (Discord allows 3)."""
PRIVATE_COMMANDS = frozenset({"help", "status", "list", "like", "dislike", "more"})
"""Commands whose text replies concern the caller alone: help, the channel's state, a vote, a
/more with nothing left to show (a page of /more is a digest, public like every digest)."""
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
)

LOCALE_LANGUAGES = {discord.Locale.chinese: "zh-CN", discord.Locale.taiwan_chinese: "zh-TW"}
"""Discord locales that get our own translations: Simplified for zh-CN, Traditional for zh-TW."""


# -- pure helpers ---------------------------------------------------------------------------------------


def text_command(name: str, *args: str | None) -> str:
    """The chat command a slash command stands for: ``("time", "08:30", None)`` → ``"/time 08:30"``."""
    return " ".join(["/" + name, *(a.strip() for a in args if a is not None and a.strip())])


def is_private(name: str, reply: Reply, in_guild: bool, bare: bool = False) -> bool:
    """Whether a reply is ephemeral: rejections, replies about the caller and votes, and a setting
    shown by its command used without an argument (``bare``, ``SHOWABLE``); never digests; in DMs
    nothing needs hiding."""
    if not in_guild or isinstance(reply, DigestReply):
        return False
    return not reply.ok or name in PRIVATE_COMMANDS or (bare and name in SHOWABLE)


def may_manage(in_guild: bool, permissions: discord.Permissions) -> bool:
    """DMs are personal; in a guild, Manage Channels or Manage Server is needed to change a channel."""
    return not in_guild or permissions.manage_channels or permissions.manage_guild


def user_language(locale: discord.Locale | None) -> str | None:
    """The caller's Discord client language as a canonical tag (``zh-CN`` → ``zh``, ``zh-TW`` →
    ``zh-Hant``)."""
    return canonical_language(locale.value) if locale is not None else None


def _choice(label: str, value: str) -> app_commands.Choice[str] | None:
    if not value or len(value) > CHOICE_LIMIT:
        return None
    return app_commands.Choice(name=fit(label, CHOICE_LIMIT), value=value)


def _choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    out: list[app_commands.Choice[str]] = []
    seen: set[str] = set()
    for label, value in pairs:
        choice = _choice(label, value)
        if choice is not None and value not in seen:
            seen.add(value)
            out.append(choice)
        if len(out) == CHOICES_LIMIT:
            break
    return out


def _known(code: str) -> str | None:
    try:
        return taxonomy.normalize(code)
    except BadInput:
        return None


def _search(typed: str, language: str, limit: int = CHOICES_LIMIT) -> list[str]:
    """Codes matching what is typed: by code or English name, and by the name in ``language``."""
    codes = [code for code, _ in taxonomy.search(typed, limit)]
    wanted = typed.strip().lower()
    if wanted and primary(language) != "en":
        codes += [
            code
            for code in taxonomy.CATEGORIES
            if code not in taxonomy.ALIASES and wanted in category_name(code, language).lower()
        ]
    return list(dict.fromkeys(codes))[:limit]


def _label(code: str, language: str) -> str:
    return f"{code} — {category_name(code, language)}"


def category_choices(
    current: str, first: Sequence[str] = (), language: str = "en"
) -> list[app_commands.Choice[str]]:
    """Categories matching what is typed, by code or name (also in ``language``), labelled with
    their names in ``language``. When the earlier words are already categories, the last word is
    completed after them, so several can be picked in one go. ``first`` (e.g. the channel's own
    categories) lead."""
    current = unicodedata.normalize("NFKC", current[:200])
    words = current.split()
    pairs: list[tuple[str, str]] = []
    if len(words) > 1:
        earlier = [_known(w) for w in words[:-1][:20]]
        if all(earlier):
            prefix = " ".join(c for c in earlier if c) + " "
            pairs += [
                (prefix + _label(code, language), prefix + code) for code in _search(words[-1], language)
            ]
    wanted = current.strip().lower()
    pairs += [(_label(c, language), c) for c in first if wanted in c.lower() and _known(c)]
    pairs += [(_label(code, language), code) for code in _search(current, language)]
    return _choices(pairs)


def unsubscribe_choices(current: str, following: Sequence[str]) -> list[app_commands.Choice[str]]:
    """The channel's categories matching what is typed, then ``all``."""
    wanted = current.strip().lower()
    pairs = [(c, c) for c in following if wanted in c.lower()]
    if "all".startswith(wanted) or not wanted:
        pairs.append(("all", "all"))
    return _choices(pairs)


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone_choices(current: str, own: str | None = None) -> list[app_commands.Choice[str]]:
    """IANA zones: those starting with the text (or a part after a ``/``), then those containing it."""
    wanted = current.strip().lower()
    if not wanted:
        names = [own, *COMMON_ZONES] if own else list(COMMON_ZONES)
        return _choices((z, z) for z in names if z)
    if len(wanted) > CHOICE_LIMIT:
        return []
    starts = [z for z in _zones() if any(part.lower().startswith(wanted) for part in (z, *z.split("/")))]
    contains = [z for z in _zones() if wanted in z.lower() and z not in starts]
    return _choices((z, z) for z in [*starts, *contains])


def language_choices(current: str) -> list[app_commands.Choice[str]]:
    """Language codes whose code or name matches the text."""
    wanted = current.strip().lower()
    pairs = [
        (f"{code} — {name}", code)
        for code, name in LANGUAGE_NAMES.items()
        if wanted in f"{code} {name}".lower()
    ]
    if not pairs and 0 < len(wanted) <= 12:
        pairs = [(current.strip(), current.strip())]
    return _choices(pairs)


def _description(name: str) -> locale_str:
    return locale_str(t("en", f"cmd_{name}"), key=f"cmd_{name}")


def _option(key: str) -> locale_str:
    return locale_str(t("en", f"opt_{key}"), key=f"opt_{key}")


def localized(string: locale_str, locale: discord.Locale) -> str | None:
    """Our translation of a description for a Discord locale: Simplified Chinese for zh-CN,
    Traditional for zh-TW, None (Discord shows the English) for the rest."""
    language = LOCALE_LANGUAGES.get(locale)
    key = string.extras.get("key")
    if language is None or not isinstance(key, str) or key not in KEYS:
        return None
    return t(language, key)


class Translator(app_commands.Translator):
    """Command and option descriptions in Chinese for Discord clients set to Chinese."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        return localized(string, locale)


# -- the client -----------------------------------------------------------------------------------------


def _guarded_parser(event: str, parse: Callable[[Any], None]) -> Callable[[Any], None]:
    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception as error:
            log.error(
                "discord_event_dropped", gateway_event=event, error=type(error).__name__, detail=detail(error)
            )

    return guarded


class Tree(app_commands.CommandTree["DigestClient"]):
    async def on_error(self, interaction: DigestInteraction, error: app_commands.AppCommandError) -> None:
        await interaction.client.command_failed(interaction, error)


class DigestClient(discord.Client):
    """discord.py client serving the slash commands for one ``Commands`` and one store."""

    def __init__(
        self, commands: Commands, store: Store, *, defer_after: float = DEFER_AFTER, **options: Any
    ) -> None:
        self.defer_after = defer_after
        intents = discord.Intents.none()
        intents.guilds = True
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
        super().__init__(intents=intents, **options)
        self.core = commands
        self.store = store
        self.gateway = Outage("discord_gateway")
        """The gateway's state: down after ``GATEWAY_LOSSES`` connections lost in a row."""
        self._losses = 0
        self.tree = Tree(self)
        self._register()
        self._guard_parsers()

    def _guard_parsers(self) -> None:
        """Wrap discord.py's gateway event parsers so one event it cannot parse is dropped with a
        log line instead of ending the connection (and the process with it)."""
        parsers = self._connection.parsers
        for event, parse in list(parsers.items()):
            parsers[event] = _guarded_parser(event, parse)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """An event handler failed: one line, and the bot goes on."""
        error = sys.exc_info()[1]
        log.error(
            "discord_handler_failed",
            handler=event_method,
            error=type(error).__name__ if error is not None else None,
            detail=detail(error) if error is not None else None,
        )

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """discord.py's dispatch, except once the client is closed: its gateway loop and its delayed
        ``ready`` may still dispatch then, with no event loop left to run a handler on."""
        if self.is_closed():
            return
        super().dispatch(event, *args, **kwargs)

    async def close(self) -> None:
        """Close the connection; a ``ready`` discord.py is still delaying (it waits
        ``guild_ready_timeout`` for the guilds after READY) is dropped first."""
        delayed: asyncio.Task[None] | None = getattr(self._connection, "_ready_task", None)
        if delayed is not None and not delayed.done():
            delayed.cancel()
        await super().close()

    async def setup_hook(self) -> None:
        await self.tree.set_translator(Translator())
        synced = await self.tree.sync()
        log.info("discord_commands_synced", commands=sorted(c.name for c in synced))

    # -- events -------------------------------------------------------------------------------------------
    async def on_ready(self) -> None:
        log.info("discord_ready", guilds=len(self.guilds))

    async def on_connect(self) -> None:
        self._gateway_up()

    async def on_resumed(self) -> None:
        self._gateway_up()

    async def on_disconnect(self) -> None:
        """The gateway connection was lost (discord.py reconnects by itself). One loss is Discord's
        routine reconnect; ``GATEWAY_LOSSES`` in a row are an outage: one line when it starts, one
        when the gateway answers again (discord.py's own traceback per attempt is DEBUG)."""
        self._losses += 1
        if self._losses >= GATEWAY_LOSSES:
            self.gateway.failed(ConnectionError(f"gateway connection lost {self._losses} times in a row"))

    def _gateway_up(self) -> None:
        self._losses = 0
        self.gateway.answered()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("discord_guild_joined", guild=str(guild.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed from a guild: unsubscribe every channel and thread of it."""
        gone = await self.guild_chats(str(guild.id))
        for chat in gone:
            await self.core.chat_removed(chat)
        log.info("discord_guild_removed", guild=str(guild.id), channels=len(gone))

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.core.chat_removed(ChatKey(PLATFORM, str(channel.id)))

    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        await self.core.chat_removed(ChatKey(PLATFORM, str(payload.thread_id)))

    async def guild_chats(self, guild_id: str) -> list[ChatKey]:
        """The subscribed channels recorded under ``guild_id``."""
        return [
            settings.chat
            async for settings in self.store.iter_chats()
            if settings.chat.platform == PLATFORM and str(settings.extra.get(GUILD_KEY)) == guild_id
        ]

    # -- commands -----------------------------------------------------------------------------------------
    def caller(self, interaction: DigestInteraction) -> Caller:
        if interaction.channel_id is None:
            raise BadInput("this command must be used in a channel")
        in_guild = interaction.guild_id is not None
        return Caller(
            chat=ChatKey(PLATFORM, str(interaction.channel_id)),
            can_manage=may_manage(in_guild, interaction.permissions),
            user_language=user_language(interaction.locale),
        )

    async def language(self, interaction: DigestInteraction) -> str:
        """The language to answer in: the channel's, else the caller's Discord language."""
        settings = await self._channel_settings(interaction)
        if settings is not None:
            return settings.language
        return user_language(interaction.locale) or "en"

    async def run_command(self, interaction: DigestInteraction, name: str, *args: str | None) -> None:
        """Answer one slash command through the shared commands.

        Discord waits 3 seconds for the first response: ``/today`` and ``/more`` are deferred at
        once ("thinking…"), any other command as soon as it takes longer than ``defer_after``
        seconds (the store or arXiv being slow), and its answer then follows.
        """
        if interaction.channel_id is None:
            await interaction.response.send_message(
                render_text(t(await self.language(interaction), "must_be_in_channel")),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        caller = self.caller(interaction)
        in_guild = interaction.guild_id is not None
        bare = not any(a and a.strip() for a in args)
        private = is_private(name, TextReply(""), in_guild, bare)
        reply, deferred_private = await self._handled(
            interaction, caller, text_command(name, *args), name in DEFERRED_COMMANDS, private
        )
        if reply is None:
            reply = TextReply(t(await self.language(interaction), "failed"), ok=False)
        if in_guild and name in MUTATING and isinstance(reply, TextReply) and reply.ok:
            await self._remember_guild(caller.chat, str(interaction.guild_id))
        if deferred_private is not None:
            await self._followups(interaction, caller.chat, reply, name, deferred_private, bare)
            return
        await interaction.response.send_message(
            render_text(reply.text) if isinstance(reply, TextReply) else "",
            ephemeral=is_private(name, reply, in_guild, bare),
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.core.replied(caller.chat)

    async def _handled(
        self, interaction: DigestInteraction, caller: Caller, text: str, at_once: bool, private: bool
    ) -> tuple[Reply | None, bool | None]:
        """``Commands.handle`` within Discord's 3 seconds: the response is deferred at once
        (``at_once``, public) or once the command takes longer than ``defer_after`` (ephemeral when
        ``private``). Returns the reply and how the response was deferred: None when it was not,
        else whether the "thinking…" is ephemeral."""
        if at_once:
            await interaction.response.defer(thinking=True)
            return await self.core.handle(caller, text), False
        work = asyncio.ensure_future(self.core.handle(caller, text))
        try:
            done, _ = await asyncio.wait({work}, timeout=self.defer_after)
            deferred: bool | None = None
            if not done:
                deferred = private
                await interaction.response.defer(thinking=True, ephemeral=private)
            return await work, deferred
        finally:
            work.cancel()

    async def _followups(
        self,
        interaction: DigestInteraction,
        chat: ChatKey,
        reply: Reply,
        name: str = "today",
        deferred_private: bool = False,
        bare: bool = False,
    ) -> None:
        """The answer to a deferred command; a reply that must be private after a public
        "thinking…" replaces it with an ephemeral message. A digest goes out message by message
        with its buttons, each acknowledged message recorded with ``Commands.delivered``."""
        none = discord.AllowedMentions.none()
        if isinstance(reply, TextReply):
            private = is_private(name, reply, interaction.guild_id is not None, bare)
            if private and not deferred_private:
                await interaction.delete_original_response()
            await interaction.followup.send(render_text(reply.text), ephemeral=private, allowed_mentions=none)
            self.core.replied(chat)
            return
        messages = render_digest(reply.digest, reply.notice)
        for message in messages:
            view = view_of(message.rows)
            await interaction.followup.send(
                content=message.content,
                embeds=message.embeds,
                allowed_mentions=none,
                wait=True,
                view=view if view is not None else discord.utils.MISSING,
            )
            await self.core.delivered(chat, message.paper_ids)
        log.info(
            f"discord_{name}_sent",
            chat=str(chat),
            messages=len(messages),
            papers=sum(len(m.paper_ids) for m in messages),
        )

    # -- buttons ------------------------------------------------------------------------------------------
    async def on_interaction(self, interaction: DigestInteraction) -> None:
        """Every interaction passes here; button presses (message components) are answered."""
        if interaction.type is not discord.InteractionType.component:
            return
        try:
            await self.press(interaction)
        except Exception as error:
            await self.command_failed(interaction, error)

    def carries(self, interaction: DigestInteraction, custom_id: str) -> bool:
        """Whether the pressed message is one the bot sent and carries a button with ``custom_id``."""
        message = interaction.message
        if message is None or self.user is None or message.author.id != self.user.id:
            return False
        for component in message.components:
            for child in getattr(component, "children", [component]):
                if getattr(child, "custom_id", None) == custom_id:
                    return True
        return False

    async def press(self, interaction: DigestInteraction) -> None:
        """Answer one button press: its ``custom_id`` as a text command for the interaction's
        channel, or an ephemeral error that changes nothing."""
        data: dict[str, Any] = dict(interaction.data or {})
        raw = data.get("custom_id")
        is_button = data.get("component_type") == discord.ComponentType.button.value
        pressed = parse_custom_id(raw) if is_button else None
        if pressed is None or interaction.channel_id is None or not self.carries(interaction, str(raw)):
            log.warning(
                "discord_button_refused",
                channel=str(interaction.channel_id),
                custom_id=clip(str(raw), 110),
                component_type=data.get("component_type"),
            )
            key = "btn_invalid" if pressed is None else "btn_stale"
            await interaction.response.send_message(
                render_text(
                    t(await self.language(interaction), key, command=pressed.command if pressed else "")
                ),
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        caller = self.caller(interaction)
        log.info("discord_button", chat=str(caller.chat), action=pressed.action)
        if pressed.action == "more":
            reply, deferred = await self._handled(interaction, caller, pressed.command, True, False)
        else:
            reply, deferred = await self._handled(interaction, caller, pressed.command, False, True)
        if reply is None:
            reply = TextReply(t(await self.language(interaction), "failed"), ok=False)
        if deferred is not None:
            await self._followups(interaction, caller.chat, reply, pressed.action, deferred)
            return
        await interaction.response.send_message(
            render_text(reply.text) if isinstance(reply, TextReply) else "",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.core.replied(caller.chat)

    async def _remember_guild(self, chat: ChatKey, guild_id: str) -> None:
        settings = await self.store.get_chat(chat)
        if settings is not None and settings.extra.get(GUILD_KEY) != guild_id:
            await self.store.put_chat(replace(settings, extra={**settings.extra, GUILD_KEY: guild_id}))

    async def command_failed(self, interaction: DigestInteraction, error: Exception) -> None:
        """A command that could not run as asked: say what is accepted, or that something failed."""
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
            return
        data: dict[str, Any] = dict(interaction.data or {})
        name = data.get("name") or clip(str(data.get("custom_id", "")), 110)
        text: str | None = None
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            try:
                usage = (
                    str(name)
                    if str(name) in MUTATING or isinstance(error, app_commands.CommandNotFound)
                    else ""
                )
                reply = await self.core.handle(self.caller(interaction), f"/{usage}") if usage else None
            except Exception:
                reply = None
            if isinstance(reply, TextReply):
                text = reply.text
            log.warning("discord_command_mismatch", command=str(name), error=type(error).__name__)
        else:
            original = getattr(error, "original", error)
            log.error(
                "discord_command_failed",
                command=str(name),
                error=type(original).__name__,
                exc_info=(type(original), original, original.__traceback__),
            )
        try:
            language = await self.language(interaction)
        except Exception:
            language = user_language(interaction.locale) or "en"
        message = render_text(text or t(language, "failed"))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
            else:
                await interaction.response.send_message(
                    message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.HTTPException as http_error:
            log.warning("discord_error_reply_failed", command=str(name), status=http_error.status)

    async def _channel_settings(self, interaction: DigestInteraction) -> ChatSettings | None:
        if interaction.channel_id is None:
            return None
        return await self.store.get_chat(ChatKey(PLATFORM, str(interaction.channel_id)))

    async def _following(self, interaction: DigestInteraction) -> tuple[str, ...]:
        settings = await self._channel_settings(interaction)
        return settings.categories if settings else ()

    def _register(self) -> None:
        tree = self.tree

        @tree.command(name="subscribe", description=_description("subscribe"))
        @app_commands.describe(category=_option("category"))
        async def subscribe(interaction: DigestInteraction, category: str) -> None:
            await self.run_command(interaction, "subscribe", category)

        @subscribe.autocomplete("category")
        async def subscribe_complete(
            interaction: DigestInteraction, current: str
        ) -> list[app_commands.Choice[str]]:
            return category_choices(current, (), await self.language(interaction))

        @tree.command(name="unsubscribe", description=_description("unsubscribe"))
        @app_commands.describe(category=_option("unsubscribe"))
        async def unsubscribe(interaction: DigestInteraction, category: str) -> None:
            await self.run_command(interaction, "unsubscribe", category)

        @unsubscribe.autocomplete("category")
        async def unsubscribe_complete(
            interaction: DigestInteraction, current: str
        ) -> list[app_commands.Choice[str]]:
            return unsubscribe_choices(current, await self._following(interaction))

        @tree.command(name="list", description=_description("list"))
        async def list_(interaction: DigestInteraction) -> None:
            await self.run_command(interaction, "list")

        @tree.command(name="today", description=_description("today"))
        @app_commands.describe(category=_option("today"))
        async def today(interaction: DigestInteraction, category: str | None = None) -> None:
            await self.run_command(interaction, "today", category)

        @today.autocomplete("category")
        async def today_complete(
            interaction: DigestInteraction, current: str
        ) -> list[app_commands.Choice[str]]:
            return category_choices(
                current, await self._following(interaction), await self.language(interaction)
            )

        @tree.command(name="time", description=_description("time"))
        @app_commands.describe(time=_option("time"), timezone=_option("timezone"))
        async def time(interaction: DigestInteraction, time: str, timezone: str | None = None) -> None:
            await self.run_command(interaction, "time", time, timezone)

        @time.autocomplete("timezone")
        async def zone_complete(
            interaction: DigestInteraction, current: str
        ) -> list[app_commands.Choice[str]]:
            settings = await self._channel_settings(interaction)
            return zone_choices(current, settings.timezone if settings else None)

        @tree.command(name="lang", description=_description("lang"))
        @app_commands.describe(code=_option("code"))
        async def lang(interaction: DigestInteraction, code: str) -> None:
            await self.run_command(interaction, "lang", code)

        @lang.autocomplete("code")
        async def lang_complete(
            interaction: DigestInteraction, current: str
        ) -> list[app_commands.Choice[str]]:
            return language_choices(current)

        @tree.command(name="title", description=_description("title"))
        @app_commands.describe(title=_option("title"))
        async def title(interaction: DigestInteraction, title: str) -> None:
            await self.run_command(interaction, "title", title)

        @tree.command(name="more", description=_description("more"))
        @app_commands.describe(date=_option("date"))
        async def more(interaction: DigestInteraction, date: str | None = None) -> None:
            await self.run_command(interaction, "more", date)

        @tree.command(name="interests", description=_description("interests"))
        @app_commands.describe(text=_option("interests"))
        async def interests(interaction: DigestInteraction, text: str | None = None) -> None:
            await self.run_command(interaction, "interests", text)

        @tree.command(name="filter", description=_description("filter"))
        @app_commands.describe(terms=_option("filter"))
        async def filter_(interaction: DigestInteraction, terms: str | None = None) -> None:
            await self.run_command(interaction, "filter", terms)

        @tree.command(name="types", description=_description("types"))
        @app_commands.describe(types=_option("types"))
        async def types(interaction: DigestInteraction, types: str | None = None) -> None:
            await self.run_command(interaction, "types", types)

        @tree.command(name="top", description=_description("top"))
        @app_commands.describe(number=_option("top"))
        async def top(interaction: DigestInteraction, number: str | None = None) -> None:
            await self.run_command(interaction, "top", number)

        @tree.command(name="like", description=_description("like"))
        @app_commands.describe(paper=_option("paper"))
        async def like(interaction: DigestInteraction, paper: str | None = None) -> None:
            await self.run_command(interaction, "like", paper)

        @tree.command(name="dislike", description=_description("dislike"))
        @app_commands.describe(paper=_option("paper"))
        async def dislike(interaction: DigestInteraction, paper: str | None = None) -> None:
            await self.run_command(interaction, "dislike", paper)

        @tree.command(name="status", description=_description("status"))
        async def status(interaction: DigestInteraction) -> None:
            await self.run_command(interaction, "status")

        @tree.command(name="help", description=_description("help"))
        async def help_(interaction: DigestInteraction) -> None:
            await self.run_command(interaction, "help")


# -- wiring ---------------------------------------------------------------------------------------------


def _connect(settings: Settings) -> str:
    """The bot token, once discord.py is pointed at ``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL``."""
    if settings.discord_bot_token is None:
        raise BadInput("DISCORD_BOT_TOKEN is not set: Discord is off")
    configure_endpoints(settings.discord_api_url, settings.discord_gateway_url)
    return settings.discord_bot_token.get_secret_value()


def build_platform(settings: Settings, **options: Any) -> DiscordPlatform:
    """The push's Discord platform: a gateway-less client that logs in on first use."""
    return DiscordPlatform(push_client(**options), _connect(settings))


async def run_discord(
    settings: Settings, commands: Commands, store: Store, stop_event: asyncio.Event, **options: Any
) -> None:
    """Serve the slash commands until ``stop_event`` is set (or the connection fails for good)."""
    token = _connect(settings)
    client = DigestClient(commands, store, **options)
    async with client:
        runner = asyncio.create_task(client.start(token), name="discord-gateway")
        stopper = asyncio.create_task(stop_event.wait(), name="discord-stop")
        try:
            await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            if not runner.done():
                await client.close()
        try:
            await runner
        except discord.LoginFailure:
            raise token_rejected() from None
        except discord.PrivilegedIntentsRequired:
            raise BadInput("Discord asks for a privileged intent this bot does not use") from None
    log.info("discord_stopped")
