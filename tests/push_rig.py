"""What the push tests share: a recording platform, a settable clock, and a push rig on a store
with the fake arXiv showing Thursday's batch (cs.DC papers 1-5, cs.LG papers 6-9, paper 10 in
cs.LG cross-listed to cs.DC)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.delivery import OnSent
from bot.engine import DigestEngine
from bot.errors import ChatGone, ChatMigrated, DeliveryFailed, NoRights, TokenRejected
from bot.metrics import Metrics
from bot.models import ChatKey, ChatSettings, Digest
from bot.push import Pusher
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss

PLATFORM = "test"
WED = date(2026, 9, 23)
THU = date(2026, 9, 24)
THU_0800 = datetime(2026, 9, 24, 8, 0, tzinfo=UTC)
FRI_0800 = datetime(2026, 9, 25, 8, 0, tzinfo=UTC)


def item(n: int, categories: Sequence[str], announce: str = "new") -> dict[str, Any]:
    """One feed item, id ``2609.0000n``."""
    return {
        "id": f"2609.{n:05d}",
        "version": 1,
        "title": f"Paper {n}",
        "authors": ["Ada Lovelace"],
        "categories": list(categories),
        "announce_type": announce,
        "abstract": f"We propose method {n}.",
    }


def ids(*numbers: int) -> set[str]:
    return {f"2609.{n:05d}" for n in numbers}


def thursday_items() -> list[dict[str, Any]]:
    """cs.DC papers 1-5, cs.LG papers 6-9, paper 10 in cs.LG cross-listed to cs.DC."""
    return (
        [item(n, ["cs.DC"]) for n in range(1, 6)]
        + [item(n, ["cs.LG"]) for n in range(6, 10)]
        + [item(10, ["cs.LG", "cs.DC"])]
    )


def wednesday_items() -> list[dict[str, Any]]:
    """cs.DC papers 21-23."""
    return [item(n, ["cs.DC"]) for n in range(21, 24)]


@dataclass
class RecordingPlatform:
    """A platform that sends ``per_message`` papers (of those shown in full) per message, at most
    ``max_messages`` messages (the papers that do not fit are left out from the end, the digest
    recorded with the smaller ``shown``), and records every acknowledged one.

    ``gone`` chats raise ChatGone; ``migrate`` maps a chat id to its new id (raised after
    ``migrate_after`` acknowledged messages); ``fail`` maps a chat id to the number of messages
    acknowledged before DeliveryFailed is raised, once. ``no_rights`` chats raise NoRights,
    ``broken`` chats a RuntimeError, and every chat TokenRejected while ``token_rejected``. A
    ``gated`` chat's messages wait for ``gate`` before they go. With ``log`` set, each acknowledged
    message is appended to that file (tagged with ``tag``) before ``on_sent``; ``delay`` is the time
    a message takes to send; ``after_send`` runs after each message went, before ``on_sent``.
    """

    name: str = PLATFORM
    per_message: int = 2
    sent: list[tuple[str, list[str]]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    migrate: dict[str, str] = field(default_factory=dict)
    migrate_after: int = 0
    fail: dict[str, int] = field(default_factory=dict)
    retry_after: float | None = None
    log: Path | None = None
    tag: str = ""
    delay: float = 0.0
    digests: list[tuple[str, Digest]] = field(default_factory=list)
    no_rights: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    token_rejected: bool = False
    gated: set[str] = field(default_factory=set)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    after_send: Callable[[str], Awaitable[None]] | None = None
    waiting: set[str] = field(default_factory=set)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def until_waiting(self, chat_id: str, within: float = 10.0) -> None:
        """Return once ``chat_id``'s message waits at the gate."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: chat_id in self.waiting), within)

    async def send_digest(
        self, chat: ChatKey, digest: Digest, on_sent: OnSent, max_messages: int | None = None
    ) -> None:
        papers = [p.id for p in digest.full]
        parts = [papers[i : i + self.per_message] for i in range(0, len(papers), self.per_message)]
        if max_messages is not None and len(parts) > max_messages:
            parts = parts[:max_messages]
            digest = replace(digest, shown=sum(len(part) for part in parts))
        self.digests.append((chat.chat_id, digest))
        for number, part in enumerate(parts):
            if self.token_rejected:
                raise TokenRejected("Test", "TEST_BOT_TOKEN")
            if chat.chat_id in self.no_rights:
                raise NoRights("not enough rights to send text messages to the chat")
            if chat.chat_id in self.broken:
                raise RuntimeError("a bug in one chat's delivery")
            if chat.chat_id in self.gated:
                async with self.arrived:
                    self.waiting.add(chat.chat_id)
                    self.arrived.notify_all()
                await self.gate.wait()
            if chat.chat_id in self.gone:
                raise ChatGone(f"{chat}: bot was blocked by the user")
            if chat.chat_id in self.migrate and number >= self.migrate_after:
                raise ChatMigrated(self.migrate[chat.chat_id])
            if self.fail.get(chat.chat_id) == number:
                del self.fail[chat.chat_id]
                raise DeliveryFailed(f"{chat}: unreachable", retry_after=self.retry_after)
            if self.delay:
                await asyncio.sleep(self.delay)
            self.sent.append((chat.chat_id, part))
            if self.log is not None:
                with self.log.open("a", encoding="utf-8") as out:
                    out.write(json.dumps({"chat": chat.chat_id, "ids": part, "tag": self.tag}) + "\n")
            if self.after_send is not None:
                await self.after_send(chat.chat_id)
            await on_sent(part)

    async def send_text(self, chat: ChatKey, text: str) -> None:
        self.sent.append((chat.chat_id, [text]))

    def papers_of(self, chat_id: str) -> list[str]:
        return [paper for chat, part in self.sent if chat == chat_id for paper in part]


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    store: Store
    fake: FakeArxiv
    engine: DigestEngine
    platform: RecordingPlatform
    clock: Clock
    metrics: Metrics

    def pusher(self, **options: Any) -> Pusher:
        """A pusher on the rig; every paper in full unless ``default_top`` says otherwise."""
        options.setdefault("default_top", None)
        return Pusher(
            self.store,
            self.engine,
            {PLATFORM: self.platform},
            clock=self.clock,
            metrics=self.metrics,
            **options,
        )

    async def subscribe(
        self,
        chat_id: str,
        categories: Sequence[str],
        due: datetime | None = THU_0800,
        language: str = "en",
        push_time: str = "08:00",
        timezone: str = "UTC",
        platform: str = PLATFORM,
    ) -> ChatKey:
        chat = ChatKey(platform, chat_id)
        await self.store.put_chat(
            ChatSettings(chat, tuple(categories), push_time=push_time, timezone=timezone, language=language)
        )
        if due is not None:
            await self.store.set_due(chat, due.timestamp())
        return chat

    async def due(self, chat_id: str) -> datetime | None:
        at = await self.store.get_due(ChatKey(PLATFORM, chat_id))
        return None if at is None else datetime.fromtimestamp(at, UTC)


@asynccontextmanager
async def push_rig(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Rig]:
    """A push on ``store``, a fake arXiv showing Thursday's batch, at Thursday 08:00 UTC."""
    settings = settings_for(fake_arxiv)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    clock = Clock(THU_0800)
    engine = DigestEngine(store, source, NoSummarizer(), clock=clock)
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    try:
        yield Rig(store, fake_arxiv, engine, RecordingPlatform(), clock, Metrics())
    finally:
        await source.aclose()
