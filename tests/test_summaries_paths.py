"""LLM summaries on every path that shows a digest: the push, /today (Telegram and Discord) and
``arxiv-digest today``: one key per language however it is spelled, the digest's deadline, reasoning
answers, and messages counted on the reply paths."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.delivery import OnSent
from bot.engine import DigestEngine
from bot.models import ChatKey, ChatSettings, Digest
from bot.push import Pusher
from bot.source import ArxivSource
from bot.store.base import Store
from bot.throttle import Throttle
from summarizer.lang import is_in_language
from summarizer.llm import LLMSummarizer
from tests.clocks import ManualClock, wait_until
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.openai import Behaviour, FakeOpenAI, Reply
from tests.fakes.telegram import message_update, private_chat, user
from tests.fakes.telegram_harness import running_bot
from tests.push_rig import THU, THU_0800, Clock, thursday_items
from tests.test_cli import cli
from tests.test_cli import env as env
from tests.test_discord_bot import eventually, running_discord

PLATFORM = "test"
TELEGRAM_LANGUAGE_CODES = ["zh", "zh-CN", "zh-hans"]


@dataclass
class DigestPlatform:
    """Records each acknowledged digest message's papers with their summary and its source."""

    name: str = PLATFORM
    sent: list[tuple[str, list[tuple[str, str, str]]]] = field(default_factory=list)

    async def send_digest(
        self, chat: ChatKey, digest: Digest, on_sent: OnSent, max_messages: int | None = None
    ) -> None:
        papers: list[tuple[str, str, str]] = [(p.id, p.summary_source, p.summary) for p in digest.full]
        self.sent.append((chat.chat_id, papers))
        await on_sent([p[0] for p in papers])

    async def send_text(self, chat: ChatKey, text: str) -> None:
        self.sent.append((chat.chat_id, [("", "text", text)]))

    def papers_of(self, chat_id: str) -> list[tuple[str, str, str]]:
        return [paper for chat, papers in self.sent if chat == chat_id for paper in papers]


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@dataclass
class PushRig:
    store: Store
    engine: DigestEngine
    summarizer: LLMSummarizer
    platform: DigestPlatform
    source: ArxivSource

    def pusher(self) -> Pusher:
        return Pusher(
            self.store, self.engine, {PLATFORM: self.platform}, clock=Clock(THU_0800), default_top=None
        )

    async def subscribe(self, chat_id: str, language: str) -> None:
        chat = ChatKey(PLATFORM, chat_id)
        await self.store.put_chat(ChatSettings(chat, ("cs.DC", "cs.LG"), language=language))
        await self.store.set_due(chat, THU_0800.timestamp())


@pytest.fixture
async def push_rig(
    fake_arxiv: FakeArxiv, store: Store, llm: FakeOpenAI, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[PushRig, ManualClock]]:
    """A push at Thursday 08:00 whose engine summarizes through the fake LLM; the summarizer's
    waits run on a manual clock."""
    clock = ManualClock()
    settings = settings_for(fake_arxiv, openai_base_url=llm.base_url, openai_timeout=30.0)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    summarizer = LLMSummarizer(settings, store, sleep=clock.sleep, clock=clock, max_retries=0)
    engine = DigestEngine(store, source, summarizer, clock=Clock(THU_0800))
    fake_arxiv.set_feed(make_rss(THU, thursday_items(), ["cs.DC", "cs.LG"]))
    try:
        yield PushRig(store, engine, summarizer, DigestPlatform(), source), clock
    finally:
        await summarizer.close()
        await source.aclose()


# -- the push ----------------------------------------------------------------------------------------------


async def test_push_to_every_spelling_of_chinese_costs_one_call_per_paper(
    push_rig: tuple[PushRig, ManualClock], llm: FakeOpenAI
) -> None:
    """Chats stored as zh, zh-CN and zh-hans (a Telegram user's code) get the same Chinese summaries
    for one LLM call per paper."""
    rig, _ = push_rig
    for number, language in enumerate(TELEGRAM_LANGUAGE_CODES):
        await rig.subscribe(f"chat-{number}", language)
    report = await rig.pusher().run_once()
    assert report.sent == 3
    papers = len(thursday_items())
    assert llm.calls == papers
    summaries = [rig.platform.papers_of(f"chat-{n}") for n in range(3)]
    assert summaries[0] == summaries[1] == summaries[2] and len(summaries[0]) == papers
    assert all(source == "llm" and is_in_language(text, "zh") for _, source, text in summaries[0])


async def test_push_with_a_hanging_llm_sends_extracts_at_the_deadline(
    push_rig: tuple[PushRig, ManualClock], llm: FakeOpenAI
) -> None:
    """The LLM accepts and never answers: at the deadline the push sends every paper with its
    extract, each once, and the chat is done."""
    rig, clock = push_rig
    llm.stall_seconds = 60.0
    for _ in range(len(thursday_items())):
        llm.queue(Behaviour.STALL)
    await rig.subscribe("waiting", "de")
    pushing = asyncio.create_task(rig.pusher().run_once())
    await wait_until(lambda: llm.calls >= 1 and clock.sleepers >= 1)
    clock.advance(60.0)
    report = await pushing
    sent = rig.platform.papers_of("waiting")
    assert report.sent == 1 and len(sent) == len(thursday_items())
    assert {source for _, source, _ in sent} == {"extractive"}
    assert len({paper_id for paper_id, _, _ in sent}) == len(sent)
    assert llm.calls <= 4  # the requests under way; the rest were never sent


async def test_push_keeps_only_answers_in_the_chats_language(
    push_rig: tuple[PushRig, ManualClock], llm: FakeOpenAI
) -> None:
    """A German chat whose LLM answers in Dutch gets extracts, none of them kept, and the rejection
    is remembered (the next German chat's push within the hour makes no call); a Traditional Chinese
    chat answered in Simplified gets its summaries in Traditional characters."""
    rig, _ = push_rig
    dutch = Reply(
        "Dit artikel presenteert een nieuwe planner die de communicatie overlapt met de berekening en "
        "de doorvoer bij gedistribueerde training duidelijk verhoogt."
    )
    simplified = Reply("本文提出一种新的调度器，将通信与计算重叠，显著提升分布式训练的吞吐量。")
    papers = len(thursday_items())
    llm.queue(*[dutch] * papers)
    await rig.subscribe("german", "de")
    assert (await rig.pusher().run_once()).sent == 1
    llm.queue(*[simplified] * papers)
    await rig.subscribe("taiwan", "zh-TW")
    assert (await rig.pusher().run_once()).sent == 1
    german = rig.platform.papers_of("german")
    assert len(german) == papers and {source for _, source, _ in german} == {"extractive"}
    taiwan = rig.platform.papers_of("taiwan")
    assert {(source, text) for _, source, text in taiwan} == {
        ("llm", "本文提出一種新的調度器，將通信與計算重疊，顯著提升分佈式訓練的吞吐量。")
    }
    assert llm.calls == 2 * papers
    await rig.subscribe("german-later", "de-AT")
    assert (await rig.pusher().run_once()).sent == 1
    later = rig.platform.papers_of("german-later")
    assert {source for _, source, _ in later} == {"extractive"} and llm.calls == 2 * papers


# -- /today on Telegram ------------------------------------------------------------------------------------


async def test_telegram_today_with_a_hanging_llm_answers_with_extracts(
    tmp_path: Path, llm: FakeOpenAI
) -> None:
    """/today with an LLM that never answers replies once SUMMARY_DEADLINE has passed, with extracts
    marked as such; every message sent, replies included, is counted."""
    llm.stall_seconds = 60.0
    for _ in range(40):
        llm.queue(Behaviour.STALL)
    overrides = {"openai_base_url": llm.base_url, "summary_deadline": 0.5, "openai_timeout": 30.0}
    async with running_bot(tmp_path, settings_overrides=overrides) as bot:
        await bot.send(message_update("/subscribe cs.DC"))
        await bot.send(message_update("/today"), within=20.0)
        texts = [m.visible for m in bot.tg.sent]
        assert "extract from the abstract" in texts[-1]
        sent = bot.app.metrics.registry.get_sample_value(
            "arxiv_digest_messages_sent_total", {"platform": "telegram"}
        )
        assert sent == len(bot.tg.sent) >= 2


async def test_telegram_today_from_the_cache_counts_cache_hits(tmp_path: Path, llm: FakeOpenAI) -> None:
    """A second /today is served from the summary cache: no new LLM call, and one cache hit per
    summary shown."""
    overrides = {"openai_base_url": llm.base_url}
    async with running_bot(tmp_path, settings_overrides=overrides) as bot:
        await bot.send(message_update("/subscribe cs.DC"))
        await bot.send(message_update("/today"), within=20.0)
        calls = llm.calls
        hits = bot.app.metrics.registry.get_sample_value("arxiv_digest_llm_cache_hits_total") or 0.0
        await bot.send(message_update("/today"), within=20.0)
        after = bot.app.metrics.registry.get_sample_value("arxiv_digest_llm_cache_hits_total") or 0.0
    assert calls > 0 and llm.calls == calls
    assert after - hits == calls


async def test_telegram_users_spelling_of_chinese_shares_summaries(tmp_path: Path, llm: FakeOpenAI) -> None:
    """Users whose Telegram language is zh, zh-CN or zh-hans subscribe with the one tag zh, and their
    /today costs one LLM call per paper in all."""
    overrides = {"openai_base_url": llm.base_url}
    async with running_bot(tmp_path, settings_overrides=overrides) as bot:
        for number, code in enumerate(TELEGRAM_LANGUAGE_CODES):
            chat = private_chat(5000 + number)
            sender = user(5000 + number, language_code=code)
            await bot.send(message_update("/subscribe cs.DC", chat=chat, sender=sender))
            await bot.send(message_update("/today", chat=chat, sender=sender), within=20.0)
        languages = {settings.language for settings in (await bot.chats()).values()}
        assert languages == {"zh"}
        shown = [m.visible for m in bot.tg.sent if "ArXiv论文日报" in m.visible]
        assert len(shown) >= 3
        calls = llm.calls
        assert 0 < calls == len({r.user for r in llm.requests})


# -- /today on Discord -------------------------------------------------------------------------------------


async def test_discord_replies_are_counted_as_messages_sent(tmp_path: Path) -> None:
    """Slash-command replies and /today's followups count in arxiv_digest_messages_sent_total."""
    async with running_discord(tmp_path) as bot:

        def sent() -> float:
            value = bot.app.metrics.registry.get_sample_value(
                "arxiv_digest_messages_sent_total", {"platform": "discord"}
            )
            return value or 0.0

        await bot.slash("subscribe", category="cs.DC")
        await eventually(lambda: _is(sent(), 1.0))
        entry = await bot.slash("today")
        await bot.discord.wait_for(lambda: len(entry.followups) >= 1)
        await eventually(lambda: _is(sent(), 1.0 + len(entry.followups)))


async def _is(value: float, expected: float) -> bool:
    return value == expected


# -- arxiv-digest today ---------------------------------------------------------------------------------------


async def test_cli_spellings_of_chinese_share_summaries(env: dict[str, str]) -> None:
    """--lang zh-CN, then zh-hans, then 中文: the first run pays one call per paper shown in full,
    the others none."""
    async with FakeOpenAI() as server:
        llm_env = {**env, "OPENAI_BASE_URL": server.base_url}
        first = await cli(llm_env, "today", "cs.DC", "--lang", "zh-CN", "--format", "json")
        assert first.code == 0, first.err
        papers = json.loads(first.out)["papers"]
        summarized = [p for p in papers if p["summary_source"] == "llm"]
        assert summarized and server.calls == len(summarized)
        for spelled in ("zh-hans", "中文", "ZH"):
            again = await cli(llm_env, "today", "cs.DC", "--lang", spelled, "--format", "json")
            assert again.code == 0, again.err
            assert [p["summary"] for p in json.loads(again.out)["papers"]] == [p["summary"] for p in papers]
        assert server.calls == len(summarized)


async def test_cli_with_a_hanging_llm_prints_extracts_at_the_deadline(env: dict[str, str]) -> None:
    """today with an LLM that never answers prints the digest with extracts once SUMMARY_DEADLINE has
    passed (exit 0), and keeps nothing: the next run, with the LLM answering, gets LLM summaries."""
    async with FakeOpenAI(stall_seconds=60.0) as server:
        for _ in range(200):
            server.queue(Behaviour.STALL)
        llm_env = {
            **env,
            "OPENAI_BASE_URL": server.base_url,
            "SUMMARY_DEADLINE": "0.5",
            "OPENAI_TIMEOUT": "30",
        }
        first = await cli(llm_env, "today", "cs.DC", "--format", "json", "--top", "all")
        assert first.code == 0, first.err
        papers = json.loads(first.out)["papers"]
        assert papers and {p["summary_source"] for p in papers} == {"extractive"}
        server._script.clear()
        answering = {**llm_env, "SUMMARY_DEADLINE": "600"}
        second = await cli(answering, "today", "cs.DC", "--format", "json", "--top", "all")
        assert second.code == 0, second.err
        assert {p["summary_source"] for p in json.loads(second.out)["papers"]} == {"llm"}


async def test_cli_reasoning_answers_print_only_the_summary(env: dict[str, str]) -> None:
    """With a reasoning model answering <think>…</think> then the summary, today prints LLM summaries
    and none of the reasoning."""
    async with FakeOpenAI() as server:
        for _ in range(200):
            server.queue(Behaviour.THINK)
        llm_env = {**env, "OPENAI_BASE_URL": server.base_url}
        result = await cli(llm_env, "today", "cs.DC", "--lang", "de")
        assert result.code == 0, result.err
        assert "Diese Arbeit untersucht" in result.out
        assert "alfajores" not in result.out.lower() and "think>" not in result.out
        assert "extract" not in result.out.lower()
