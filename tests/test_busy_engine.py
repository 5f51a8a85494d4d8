"""The engine's ranking on the recorded busy day with the product's clients against the fake OpenAI:
one index per batch shared by every chat, embeddings once per paper version with a per-paper
fallback, interests in Chinese translated once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.engine import DigestEngine
from bot.models import Feedback, Selection
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from summarizer.embeddings import OpenAIEmbedder
from summarizer.translate import LLMTranslator
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.openai import Behaviour, FakeOpenAI
from tests.fakes.real_day import BUSY_DAY, busy_day_papers
from tests.test_push import Clock

CATS = ("cs.CV", "cs.CL")
TUE_NOON = datetime(2026, 6, 23, 12, 0, tzinfo=UTC)
SPLATTING = "3D Gaussian splatting and neural rendering"


@dataclass
class Ranking:
    engine: DigestEngine
    llm: FakeOpenAI
    papers: int

    def embedded(self) -> int:
        """Texts sent to /v1/embeddings so far."""
        return sum(len(r.messages) for r in self.llm.embedding_requests)


@pytest.fixture
async def ranking(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Ranking]:
    """An engine with embeddings and translation through the fake OpenAI, no summaries."""
    papers = [p for p in busy_day_papers() if set(p["categories"]) & set(CATS)]
    fake_arxiv.set_feed(make_rss(BUSY_DAY, papers, CATS))
    async with FakeOpenAI() as llm:
        settings = settings_for(
            fake_arxiv,
            openai_base_url=llm.base_url,
            openai_api_key="sk-test",
            openai_embedding_model="embed-test",
        )
        source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
        embedder = OpenAIEmbedder(settings, store, max_retries=0)
        translator = LLMTranslator(settings, store, max_retries=0)
        engine = DigestEngine(
            store, source, NoSummarizer(), clock=Clock(TUE_NOON), embedder=embedder, translator=translator
        )
        try:
            yield Ranking(engine, llm, len(papers))
        finally:
            await embedder.close()
            await translator.close()
            await source.aclose()


async def test_embeddings_once_per_paper_and_shared(ranking: Ranking) -> None:
    """The first ranked digest embeds every paper of the batch once; another chat's interests cost
    one more text; a chat without interests or feedback costs none and keeps arXiv's order."""
    plain = await ranking.engine.build(CATS, None, "en", Selection(top=10))
    assert ranking.embedded() == 0 and all(p.relevance is None for p in plain.all_papers)
    first = await ranking.engine.build(CATS, None, "en", Selection(interests=SPLATTING, top=10))
    assert ranking.embedded() == ranking.papers + 1
    assert "gaussian splatting" in first.papers[0].title.lower()
    relevance = [p.relevance for p in first.all_papers]
    assert None not in relevance and relevance == sorted(relevance, reverse=True)  # type: ignore[type-var]
    await ranking.engine.build(CATS, None, "en", Selection(interests="speech recognition", top=10))
    assert ranking.embedded() == ranking.papers + 2
    batch = await ranking.engine.batch(CATS)
    assert await ranking.engine.index(batch) is await ranking.engine.index(batch)


async def test_embedding_failure_falls_back_per_paper(ranking: Ranking) -> None:
    """An embeddings endpoint failing for some papers leaves those ranked lexically: the digest is
    built, every paper ranked, the relevant paper still first."""
    ranking.llm.queue_embeddings(Behaviour.SERVER_ERROR, Behaviour.SERVER_ERROR)
    digest = await ranking.engine.build(CATS, None, "en", Selection(interests=SPLATTING, top=10))
    assert len(digest.all_papers) == ranking.papers
    assert all(p.relevance is not None for p in digest.all_papers)
    assert "gaussian splatting" in digest.papers[0].title.lower()


async def test_feedback_of_another_day_is_embedded_by_its_text(ranking: Ranking) -> None:
    """A 👍 on a paper of another day is embedded from its title and abstract, once."""
    liked = Feedback("2601.00001", 1, "Gaussian splatting for scenes", "We render radiance fields.", 1.0)
    await ranking.engine.build(CATS, None, "en", Selection(feedback=(liked,), top=10))
    await ranking.engine.build(CATS, None, "zh", Selection(feedback=(liked,), top=10))
    texts = [m["content"] for r in ranking.llm.embedding_requests for m in r.messages]
    assert sum("Gaussian splatting for scenes" in text for text in texts) == 1


async def test_chinese_interests_translated_once(ranking: Ranking) -> None:
    """Interests in Chinese are put into English once through the LLM, shared by every later
    ranking; English interests need no call."""
    chinese = Selection(interests="三维高斯溅射与神经渲染", top=10)
    await ranking.engine.build(CATS, None, "zh", chinese)
    await ranking.engine.build(CATS, None, "en", chinese)
    await ranking.engine.build(CATS, None, "en", Selection(interests=SPLATTING, top=10))
    assert ranking.llm.calls == 1
    assert "三维高斯溅射" in ranking.llm.requests[0].user
