"""A real busy day (2026-06-23, cs.CV + cs.CL) pushed to many chats through the fake arXiv, the fake
OpenAI and a recording platform: a short push per chat, summaries only for the papers shown in
full, and no paper repeated or lost across the push, /today and /more."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.commands import Caller, Commands, DigestReply, TextReply
from bot.engine import DigestEngine
from bot.models import ChatKey, ChatSettings, Digest
from bot.push import Pusher
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from summarizer.llm import LLMSummarizer
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.openai import FakeOpenAI, requested_language
from tests.fakes.real_day import BUSY_DAY, busy_day_papers
from tests.test_push import Clock, RecordingPlatform

PLATFORM = "test"
CATS = ("cs.CV", "cs.CL")
TUE_NOON = datetime(2026, 6, 23, 12, 0, tzinfo=UTC)
PROFILES = (
    "3D Gaussian splatting and neural rendering",
    "speech recognition",
    "retrieval-augmented generation",
    "medical image segmentation",
)
TOP = 10


def day_papers() -> list[dict[str, Any]]:
    """The recorded day's papers listed in cs.CV or cs.CL."""
    return [p for p in busy_day_papers() if set(p["categories"]) & set(CATS)]


def arxiv_order() -> list[str]:
    """The day's ids as a chat without interests sees them: category by category in feed order,
    new submissions before cross-lists."""
    day = day_papers()
    listed = list(dict.fromkeys(p["id"] for c in CATS for p in day if c in p["categories"]))
    primary = {p["id"] for p in day if p["categories"][0] in CATS}
    return [i for i in listed if i in primary] + [i for i in listed if i not in primary]


@dataclass
class Busy:
    store: Store
    engine: DigestEngine
    commands: Commands
    platform: RecordingPlatform
    llm: FakeOpenAI
    source: ArxivSource

    def pusher(self, engine: DigestEngine | None = None) -> Pusher:
        return Pusher(
            self.store,
            engine or self.engine,
            {PLATFORM: self.platform},
            clock=Clock(TUE_NOON),
            default_top=TOP,
        )

    async def subscribe(
        self, chat_id: str, language: str = "en", interests: str = "", top: Any = None
    ) -> ChatKey:
        chat = ChatKey(PLATFORM, chat_id)
        await self.store.put_chat(ChatSettings(chat, CATS, language=language, interests=interests, top=top))
        await self.store.set_due(chat, TUE_NOON.timestamp())
        return chat

    def messages(self, chat_id: str) -> int:
        return sum(1 for chat, _ in self.platform.sent if chat == chat_id)

    def pushed(self, chat_id: str) -> list[Digest]:
        return [digest for chat, digest in self.platform.digests if chat == chat_id]


@pytest.fixture
async def busy(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Busy]:
    """The busy day in the feed at Tuesday noon, summaries by the fake LLM, 4 papers per message."""
    async with FakeOpenAI() as llm:
        settings = settings_for(fake_arxiv, openai_base_url=llm.base_url, openai_timeout=30.0)
        source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
        summarizer = LLMSummarizer(settings, store, max_retries=0)
        engine = DigestEngine(store, source, summarizer, clock=Clock(TUE_NOON))
        commands = Commands(settings, store, engine, clock=Clock(TUE_NOON))
        fake_arxiv.set_feed(make_rss(BUSY_DAY, day_papers(), CATS))
        try:
            yield Busy(store, engine, commands, RecordingPlatform(per_message=4), llm, source)
        finally:
            await summarizer.close()
            await source.aclose()


async def test_busy_day_to_many_chats(busy: Busy, fake_arxiv: FakeArxiv) -> None:
    """24 chats in two languages, a third without interests: each gets its own 10 most relevant
    papers in at most 3 messages, summarized with one LLM call per paper and language; the header
    counts the day; the chat that asked /today first gets the next 10, then /more the 10 after,
    never a paper twice; push --now then sends nothing more."""
    day = day_papers()
    for n in range(24):
        interests = "" if n % 3 == 0 else PROFILES[n % len(PROFILES)]
        await busy.subscribe(f"c{n}", "en" if n < 12 else "zh", interests)
    first = Caller(ChatKey(PLATFORM, "c1"))
    today = await busy.commands.handle(first, "/today")
    assert isinstance(today, DigestReply) and len(today.digest.full) == TOP
    await busy.commands.delivered(first.chat, [p.id for p in today.digest.full])

    report = await busy.pusher().run_once()

    assert report.chats == 24 and report.sent == 24
    for n in range(24):
        chat_id = f"c{n}"
        papers = busy.platform.papers_of(chat_id)
        assert busy.messages(chat_id) <= 3 and len(papers) == TOP == len(set(papers))
        (digest,) = busy.pushed(chat_id)
        assert (digest.announced, digest.matched) == (len(day), len(day))
        received = 2 * TOP if chat_id == "c1" else TOP
        assert digest.first == received - TOP + 1 and digest.remaining == len(day) - received
        assert all(p.summary_source == "llm" for p in digest.full)
    plain = {tuple(busy.platform.papers_of(f"c{n}")) for n in range(0, 12, 3)}
    assert plain == {tuple(arxiv_order()[:TOP])}
    splatting = busy.pushed("c4")[0].full[0]
    assert "gaussian splatting" in splatting.title.lower() and splatting.relevance is not None
    shown = {(d.language, p.versioned_id) for _, d in busy.platform.digests for p in d.full}
    shown |= {("en", p.versioned_id) for p in today.digest.full}
    assert busy.llm.calls == len(shown) < 8 * TOP * 2
    assert not set(busy.platform.papers_of("c1")) & {p.id for p in today.digest.full}

    calls = busy.llm.calls
    more = await busy.commands.handle(first, "/more")
    assert isinstance(more, DigestReply) and more.digest.first == 2 * TOP + 1
    await busy.commands.delivered(first.chat, [p.id for p in more.digest.full])
    everything = [p.id for p in today.digest.full] + busy.platform.papers_of("c1")
    everything += [p.id for p in more.digest.full]
    assert len(everything) == len(set(everything)) == 3 * TOP
    assert busy.llm.calls - calls <= TOP

    sent = len(busy.platform.sent)
    again = await busy.pusher().run_once(everyone=True)
    assert (again.nothing_new, len(busy.platform.sent)) == (24, sent)
    assert len(fake_arxiv.requests) == 1


async def test_a_busy_day_costs_top_n_llm_calls_per_language(busy: Busy) -> None:
    """20 chats without interests, half in English and half in Chinese, on a day of 400-odd papers:
    10 LLM calls per language in all, not one per paper."""
    for n in range(20):
        await busy.subscribe(f"p{n}", "en" if n % 2 else "zh")
    report = await busy.pusher().run_once()
    assert report.sent == 20 and len(day_papers()) > 400
    assert busy.llm.calls == 2 * TOP
    assert Counter(requested_language(r.messages) for r in busy.llm.requests) == {"en": TOP, "zh": TOP}


async def test_top_all_lifts_the_message_limit_and_more_reaches_every_paper(busy: Busy) -> None:
    """A chat with /top all gets the whole day, in as many messages as it takes; a chat with the
    default gets 3 messages, and /more then brings every other paper of the day, each once."""
    day = day_papers()
    await busy.subscribe("all", top="all")
    await busy.subscribe("short")
    await busy.pusher(DigestEngine(busy.store, busy.source, NoSummarizer(), clock=Clock(TUE_NOON))).run_once()
    assert sorted(busy.platform.papers_of("all")) == sorted(p["id"] for p in day)
    assert busy.messages("all") == -(-len(day) // 4) > 3
    assert busy.messages("short") == 3 and len(busy.platform.papers_of("short")) == TOP
    short = Caller(ChatKey(PLATFORM, "short"))
    await busy.commands.handle(short, "/top 100")
    seen = busy.platform.papers_of("short")
    engine = DigestEngine(busy.store, busy.source, NoSummarizer(), clock=Clock(TUE_NOON))
    pages = Commands(busy.commands._settings, busy.store, engine, clock=Clock(TUE_NOON))
    while True:
        reply = await pages.handle(short, "/more")
        if not isinstance(reply, DigestReply):
            break
        seen += [p.id for p in reply.digest.full]
        await pages.delivered(short.chat, [p.id for p in reply.digest.full])
    assert isinstance(reply, TextReply) and reply.ok and str(len(day)) in reply.text
    assert Counter(seen) == Counter(p["id"] for p in day)


async def test_a_message_cut_leaves_the_rest_for_more(busy: Busy) -> None:
    """A platform that fits fewer papers in its 3 messages than the top leaves the others unsent and
    unreceived: the header counts them, and /more brings them next."""
    busy.platform.per_message = 2
    await busy.subscribe("tight")
    await busy.pusher(DigestEngine(busy.store, busy.source, NoSummarizer(), clock=Clock(TUE_NOON))).run_once()
    sent = busy.platform.papers_of("tight")
    (digest,) = busy.pushed("tight")
    assert len(sent) == 6 and digest.shown == 6 and digest.remaining == len(day_papers()) - 6
    more = await busy.commands.handle(Caller(ChatKey(PLATFORM, "tight")), "/more")
    assert isinstance(more, DigestReply)
    assert more.digest.first == 7 and not set(more.digest.paper_ids()) & set(sent)
    assert [p.id for p in more.digest.full][:4] == arxiv_order()[6:10]
    assert more.digest.listing_date == date(2026, 6, 23)


async def test_a_push_cut_midway_finishes_its_page_within_the_budget(busy: Busy) -> None:
    """A push whose platform fails after its first message is finished by the next push with the rest
    of the page: 3 messages and 10 papers in all, none twice, the rest left for /more."""
    await busy.subscribe("cut")
    busy.platform.fail = {"cut": 1}
    engine = DigestEngine(busy.store, busy.source, NoSummarizer(), clock=Clock(TUE_NOON))
    first = await busy.pusher(engine).run_once()
    assert first.retry == 1 and busy.messages("cut") == 1
    await busy.store.set_due(ChatKey(PLATFORM, "cut"), TUE_NOON.timestamp())
    await busy.pusher(engine).run_once()
    papers = busy.platform.papers_of("cut")
    assert busy.messages("cut") == 3 and len(papers) == len(set(papers)) == TOP
    assert papers == arxiv_order()[:TOP]
    again = await busy.pusher(engine).run_once(everyone=True)
    assert again.nothing_new == 1 and busy.messages("cut") == 3
    more = await busy.commands.handle(Caller(ChatKey(PLATFORM, "cut")), "/more")
    assert isinstance(more, DigestReply) and more.digest.first == TOP + 1
    assert not set(more.digest.paper_ids()) & set(papers)
