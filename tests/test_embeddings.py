"""Embeddings through the real openai client against the fake server's /embeddings endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import openai
import pytest
from structlog.testing import capture_logs

from bot.models import AnnounceType, Paper
from bot.ranking import DayIndex, Profile
from bot.settings import Settings
from bot.store.base import Store
from bot.store.sqlite import SQLiteStore
from summarizer.embeddings import (
    CACHE_NAMESPACE,
    EmbeddingFailed,
    OpenAIEmbedder,
    cache_key,
    check_vectors,
    decode,
    encode,
    paper_text,
)
from tests.fakes.openai import Behaviour, FakeOpenAI, hashed_vector

MODEL = "text-embedding-3-small"


def paper(n: int, title: str = "", abstract: str = "We study things.") -> Paper:
    return Paper(
        id=f"2606.{n:05d}",
        version=1,
        title=title or f"Paper {n} on graph partitioning",
        authors=("A. Author",),
        categories=("cs.DC",),
        primary_category="cs.DC",
        announce_type=AnnounceType.NEW,
        abstract=abstract,
    )


def settings_for(fake: FakeOpenAI | None, model: str | None = MODEL) -> Settings:
    values: dict[str, Any] = {
        "openai_base_url": fake.base_url if fake is not None else None,
        "openai_api_key": "sk-test-secret-key",
        "openai_embedding_model": model,
        "openai_timeout": 5.0,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await SQLiteStore.connect(f"sqlite:///{tmp_path / 'embeddings.sqlite3'}", "test:")
    try:
        yield store
    finally:
        await store.close()


def close_to(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b, strict=True))


async def test_papers_embedded_in_batches_and_cached(fake: FakeOpenAI, store: Store) -> None:
    """Papers are sent batch_size at a time, their vectors returned by versioned id and cached:
    a second call, even from another process's embedder on the same store, sends nothing."""
    papers = [paper(n) for n in range(5)]
    async with OpenAIEmbedder(settings_for(fake), store, batch_size=2) as embedder:
        vectors = await embedder.embed_papers(papers)
    assert len(fake.embedding_requests) == 3
    assert [r.body["encoding_format"] for r in fake.embedding_requests] == ["float"] * 3
    assert fake.embedding_requests[0].model == MODEL
    assert set(vectors) == {p.versioned_id for p in papers}
    for p in papers:
        assert close_to(vectors[p.versioned_id], hashed_vector(paper_text(p)))
    async with OpenAIEmbedder(settings_for(fake), store) as other:
        assert await other.embed_papers(papers) == vectors
    assert len(fake.embedding_requests) == 3
    assert await store.cache_get(CACHE_NAMESPACE, cache_key(papers[0], MODEL)) is not None


async def test_new_version_is_embedded_again(fake: FakeOpenAI, store: Store) -> None:
    """A new version of a paper is a new key: its vector is asked for, the old one stays cached."""
    first = paper(1)
    revised = replace(first, version=2, abstract="A revised abstract about other things.")
    async with OpenAIEmbedder(settings_for(fake), store) as embedder:
        await embedder.embed_papers([first])
        vectors = await embedder.embed_papers([first, revised])
    assert [r.body["input"] for r in fake.embedding_requests] == [[paper_text(first)], [paper_text(revised)]]
    assert set(vectors) == {"2606.00001v1", "2606.00001v2"}


async def test_server_failure_leaves_papers_out_and_is_not_cached(fake: FakeOpenAI, store: Store) -> None:
    """A failing endpoint yields no vectors (no exception, one log line per batch); the next call
    asks again and succeeds."""
    fake.queue_embeddings(Behaviour.SERVER_ERROR)
    papers = [paper(n) for n in range(3)]
    async with OpenAIEmbedder(settings_for(fake), store, max_retries=0) as embedder:
        with capture_logs() as logs:
            assert await embedder.embed_papers(papers) == {}
        events = [e for e in logs if e["event"] == "embedding_fallback"]
        assert [(e["reason"], e["status"], e["inputs"]) for e in events] == [("http_error", 500, 3)]
        assert "sk-test-secret-key" not in repr(logs)
        assert len(await embedder.embed_papers(papers)) == 3
    assert len(fake.embedding_requests) == 2


async def test_refused_batch_retried_one_paper_at_a_time(fake: FakeOpenAI, store: Store) -> None:
    """A batch the endpoint refuses (400) is retried paper by paper: only the refused paper is missing."""
    fake.queue_embeddings(Behaviour.BAD_REQUEST, Behaviour.OK, Behaviour.BAD_REQUEST, Behaviour.OK)
    papers = [paper(n) for n in range(3)]
    async with OpenAIEmbedder(settings_for(fake), store, max_retries=0) as embedder:
        vectors = await embedder.embed_papers(papers)
    assert set(vectors) == {papers[0].versioned_id, papers[2].versioned_id}
    assert [len(r.body["input"]) for r in fake.embedding_requests] == [3, 1, 1, 1]


@pytest.mark.parametrize("behaviour", [Behaviour.EMPTY, Behaviour.RATE_LIMITED])
async def test_unusable_answers_fall_back(fake: FakeOpenAI, store: Store, behaviour: Behaviour) -> None:
    """A response without vectors, or a 429 after the client's retries, leaves the papers out."""
    fake.queue_embeddings(behaviour)
    async with OpenAIEmbedder(settings_for(fake), store, max_retries=0) as embedder:
        assert await embedder.embed_papers([paper(1), paper(2)]) == {}


async def test_timeout_falls_back(fake: FakeOpenAI, store: Store) -> None:
    """An endpoint that does not answer within the timeout leaves the papers out."""
    fake.queue_embeddings(Behaviour.STALL)
    client = openai.AsyncOpenAI(api_key="x", base_url=fake.base_url, timeout=0.3, max_retries=0)
    async with OpenAIEmbedder(settings_for(fake), store, client=client) as embedder:
        with capture_logs() as logs:
            assert await embedder.embed_papers([paper(1)]) == {}
    assert [e["reason"] for e in logs if e["event"] == "embedding_fallback"] == ["timeout"]
    await client.close()


async def test_concurrent_requests_share_one_computation(fake: FakeOpenAI, store: Store) -> None:
    """Two rankings asking for the same papers at once cause one request."""
    fake.latency = 0.2
    papers = [paper(n) for n in range(4)]
    async with OpenAIEmbedder(settings_for(fake), store) as embedder:
        first, second = await asyncio.gather(embedder.embed_papers(papers), embedder.embed_papers(papers))
    assert first == second and len(first) == 4
    assert len(fake.embedding_requests) == 1


async def test_text_embedding_cached_by_text(fake: FakeOpenAI, store: Store) -> None:
    """An interests text is embedded once; the same text again is served from the store."""
    async with OpenAIEmbedder(settings_for(fake), store) as embedder:
        vector = await embedder.embed_text("graph   partitioning")
        assert vector is not None and close_to(vector, hashed_vector("graph partitioning"))
        assert await embedder.embed_text("graph partitioning") == vector
        assert await embedder.embed_text("   ") is None
    assert len(fake.embedding_requests) == 1


async def test_not_configured_sends_nothing(fake: FakeOpenAI, store: Store) -> None:
    """Without OPENAI_EMBEDDING_MODEL nothing is sent and no vector is returned."""
    async with OpenAIEmbedder(settings_for(fake, model=None), store) as embedder:
        assert await embedder.embed_papers([paper(1)]) == {}
        assert await embedder.embed_text("graph partitioning") is None
    assert fake.embedding_requests == []
    assert not settings_for(fake, model=None).embeddings_enabled
    no_endpoint = Settings(
        _env_file=None, openai_api_key=None, openai_base_url=None, openai_embedding_model=MODEL
    )  # type: ignore[call-arg]
    assert not no_endpoint.embeddings_enabled


async def test_fake_speaks_base64_like_the_api(fake: FakeOpenAI) -> None:
    """The client's default request (base64) is answered in OpenAI's encoding and decoded by the client."""
    client = openai.AsyncOpenAI(api_key="x", base_url=fake.base_url, max_retries=0)
    response = await client.embeddings.create(model=MODEL, input=["graph partitioning", "speech"])
    await client.close()
    assert fake.embedding_requests[0].body["encoding_format"] == "base64"
    assert [d.index for d in response.data] == [0, 1]
    assert close_to(response.data[1].embedding, hashed_vector("speech"))


async def test_vectors_rank_papers(fake: FakeOpenAI, store: Store) -> None:
    """Vectors from the endpoint feed the day's index: the paper sharing the interests' words comes first."""
    papers = [paper(1, "Tuning compilers"), paper(2, "Speech recognition in noise"), paper(3, "Graph cuts")]
    async with OpenAIEmbedder(settings_for(fake), store) as embedder:
        vectors = await embedder.embed_papers(papers)
        interests = await embedder.embed_text("noise robust speech recognition")
    index = DayIndex(papers, vectors)
    ranked = index.rank(Profile("noise robust speech recognition", interests_embedding=interests))
    assert ranked[0].paper.id == "2606.00002"


@pytest.mark.parametrize(
    ("data", "count", "reason"),
    [
        ([(0, [1.0]), (1, [2.0])], 2, None),
        ([(1, [2.0]), (0, [1.0])], 2, None),
        ([(0, [1.0])], 2, "missing_vectors"),
        ([(0, [1.0]), (0, [1.0])], 2, "bad_index"),
        ([(0, [1.0]), (5, [1.0])], 2, "bad_index"),
        ([(0, [1.0]), (1, [1.0, 2.0])], 2, "bad_dimensions"),
        ([(0, [])], 1, "bad_dimensions"),
        ([(0, [float("nan")])], 1, "not_finite"),
    ],
)
def test_check_vectors(data: list[tuple[int, list[float]]], count: int, reason: str | None) -> None:
    """A response's vectors are accepted only one per input, of one length, finite; in input order."""
    if reason is None:
        assert check_vectors(data, count) == [[1.0], [2.0]]
    else:
        with pytest.raises(EmbeddingFailed) as caught:
            check_vectors(data, count)
        assert caught.value.reason == reason


def test_cache_encoding_round_trips() -> None:
    """Cached vectors are float32 base64 and decode back; garbage decodes to None."""
    vector = [0.25, -1.5, 3.0]
    assert decode(encode(vector)) == vector
    assert decode("not base64!") is None
    assert decode("") is None
