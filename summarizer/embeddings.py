"""Embedding vectors from an OpenAI-compatible ``/embeddings`` endpoint, for ranking by meaning.

A paper's vector is computed once per (paper version, model) and kept in the store's ``embedding``
cache (``EMBEDDING_TTL``), shared by every chat, process and replica; a text's vector (a chat's
interests) is kept under ``embedding-text``, keyed by a hash of the text. Papers are sent in batches
of ``batch_size`` inputs per request. A failure never fails a digest: the papers it concerns are
simply missing from the result and ranked lexically (``bot.ranking``); a batch the endpoint refuses
(4xx) is retried one paper at a time so one bad input costs only its own vector. Failures are not
cached, so a later ranking asks again.

Implements ``bot.ranking.Embedder``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import math
import struct
from collections.abc import Sequence

import openai
import structlog

from bot.ranking import Document
from bot.settings import Settings
from bot.store.base import Store
from summarizer.client import openai_client

log = structlog.get_logger(__name__)

CACHE_NAMESPACE = "embedding"
TEXT_NAMESPACE = "embedding-text"
EMBEDDING_TTL = 30 * 24 * 3600.0
"""Seconds a vector is kept: long enough for the papers a chat likes to stay comparable."""
MAX_INPUT_CHARS = 8000
"""A paper's text is cut here, well within the 8,192-token input limit of OpenAI's models."""


def paper_text(paper: Document) -> str:
    """What is embedded for a paper: its title and abstract, white space collapsed, cut to
    ``MAX_INPUT_CHARS``."""
    text = " ".join(f"{paper.title}\n\n{paper.abstract}".split())
    return text[:MAX_INPUT_CHARS]


def cache_key(paper: Document, model: str) -> str:
    """``"{id}v{version}|{model}"``."""
    return f"{paper.versioned_id}|{model}"


def text_key(text: str, model: str) -> str:
    """``"{sha256 of the text}|{model}"``."""
    return f"{hashlib.sha256(text.encode()).hexdigest()}|{model}"


def encode(vector: Sequence[float]) -> str:
    """A vector as base64 of little-endian float32 (what the cache stores)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def decode(text: str) -> list[float] | None:
    """The vector ``encode`` wrote, or None when ``text`` is not one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if not raw or len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def _float32(vector: Sequence[float]) -> list[float]:
    """``vector`` rounded as the cache keeps it, so a fresh vector equals its cached copy."""
    return list(struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector)))


class EmbeddingFailed(Exception):
    """The endpoint gave no usable vectors; ``reason`` names why, ``status`` the HTTP status."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def check_vectors(data: Sequence[tuple[int, Sequence[float]]], count: int) -> list[list[float]]:
    """The vectors of a response in input order, or ``EmbeddingFailed``: one per input (by
    ``index``), all of one non-zero length, finite. Pure."""
    by_index: dict[int, list[float]] = {}
    for index, vector in data:
        if not 0 <= index < count or index in by_index:
            raise EmbeddingFailed("bad_index")
        by_index[index] = [float(x) for x in vector]
    if len(by_index) != count:
        raise EmbeddingFailed("missing_vectors")
    vectors = [by_index[i] for i in range(count)]
    size = len(vectors[0])
    if size == 0 or any(len(v) != size for v in vectors):
        raise EmbeddingFailed("bad_dimensions")
    if not all(math.isfinite(x) for v in vectors for x in v):
        raise EmbeddingFailed("not_finite")
    return vectors


class OpenAIEmbedder:
    """Vectors from ``settings.openai_embedding_model`` on the settings' OpenAI-compatible endpoint.

    ``client`` defaults to an ``openai.AsyncOpenAI`` built from the settings (its own retries,
    honouring ``Retry-After``, are the only retry layer). With embeddings not configured every call
    returns no vectors and sends nothing.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        client: openai.AsyncOpenAI | None = None,
        *,
        batch_size: int = 64,
        ttl: float | None = EMBEDDING_TTL,
        max_retries: int = 2,
    ) -> None:
        self._store = store
        self._model = settings.openai_embedding_model or ""
        self._batch_size = max(1, batch_size)
        self._ttl = ttl
        enabled = settings.embeddings_enabled
        self._owns_client = client is None and enabled
        if client is None and enabled:
            client = openai_client(settings, max_retries)
        self._client = client if enabled else None
        self._inflight: dict[str, asyncio.Future[list[float] | None]] = {}

    @property
    def model(self) -> str:
        return self._model

    async def close(self) -> None:
        """Close the HTTP client if this embedder created it."""
        if self._owns_client and self._client is not None:
            await self._client.close()

    async def __aenter__(self) -> OpenAIEmbedder:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the Embedder protocol ----------------------------------------------------------------------------

    async def embed_papers(self, papers: Sequence[Document]) -> dict[str, list[float]]:
        """Vectors keyed by ``versioned_id``: from the cache, else from the endpoint; papers whose
        vector could not be had are missing."""
        if self._client is None or not papers:
            return {}
        unique = list({p.versioned_id: p for p in papers}.values())
        cached = await asyncio.gather(*(self._store.cache_get(CACHE_NAMESPACE, self._key(p)) for p in unique))
        found: dict[str, list[float]] = {}
        waiting: dict[str, asyncio.Future[list[float] | None]] = {}
        missing: list[Document] = []
        for paper, value in zip(unique, cached, strict=True):
            vector = decode(value) if value is not None else None
            if vector is not None:
                found[paper.versioned_id] = vector
            elif (pending := self._inflight.get(self._key(paper))) is not None:
                waiting[paper.versioned_id] = pending
            else:
                missing.append(paper)
        loop = asyncio.get_running_loop()
        futures = {self._key(p): loop.create_future() for p in missing}
        self._inflight.update(futures)
        try:
            batches = [missing[i : i + self._batch_size] for i in range(0, len(missing), self._batch_size)]
            for batch in batches:
                for paper, vector in zip(batch, await self._embed_batch(batch), strict=True):
                    if vector is not None:
                        found[paper.versioned_id] = vector
                    futures[self._key(paper)].set_result(vector)
        finally:
            for key, future in futures.items():
                self._inflight.pop(key, None)
                if not future.done():
                    future.set_result(None)
        for versioned_id, pending in waiting.items():
            vector = await asyncio.shield(pending)
            if vector is not None:
                found[versioned_id] = vector
        return found

    async def embed_text(self, text: str) -> list[float] | None:
        """The vector of ``text`` (cached by its hash), or None when it could not be had."""
        text = " ".join(text.split())[:MAX_INPUT_CHARS]
        if self._client is None or not text:
            return None
        key = text_key(text, self._model)
        cached = await self._store.cache_get(TEXT_NAMESPACE, key)
        vector = decode(cached) if cached is not None else None
        if vector is not None:
            return vector
        try:
            (vector,) = await self._request([text])
        except EmbeddingFailed as failed:
            self._failed(failed, inputs=1)
            return None
        await self._store.cache_set(TEXT_NAMESPACE, key, encode(vector), ttl=self._ttl)
        return vector

    # -- requests ------------------------------------------------------------------------------------------------

    def _key(self, paper: Document) -> str:
        return cache_key(paper, self._model)

    async def _embed_batch(self, batch: Sequence[Document]) -> list[list[float] | None]:
        try:
            vectors: list[list[float] | None] = list(await self._request([paper_text(p) for p in batch]))
        except EmbeddingFailed as failed:
            self._failed(failed, inputs=len(batch), first=batch[0].versioned_id)
            refused = failed.status is not None and 400 <= failed.status < 500 and failed.status != 429
            if not refused or len(batch) == 1:
                return [None] * len(batch)
            vectors = []
            for paper in batch:
                vectors.extend(await self._embed_batch([paper]))
            return vectors
        for paper, vector in zip(batch, vectors, strict=True):
            assert vector is not None
            await self._store.cache_set(CACHE_NAMESPACE, self._key(paper), encode(vector), ttl=self._ttl)
        return vectors

    async def _request(self, inputs: list[str]) -> list[list[float]]:
        assert self._client is not None
        try:
            response = await self._client.embeddings.create(
                model=self._model, input=inputs, encoding_format="float"
            )
        except openai.APITimeoutError as exc:
            raise EmbeddingFailed("timeout") from exc
        except openai.APIStatusError as exc:
            raise EmbeddingFailed("http_error", status=exc.status_code) from exc
        except openai.APIConnectionError as exc:
            raise EmbeddingFailed("connection") from exc
        except (openai.OpenAIError, ValueError, TypeError) as exc:
            raise EmbeddingFailed(f"client_error:{type(exc).__name__}") from exc
        vectors = check_vectors([(item.index, item.embedding) for item in response.data or []], len(inputs))
        return [_float32(v) for v in vectors]

    def _failed(self, failed: EmbeddingFailed, *, inputs: int, first: str = "") -> None:
        fields: dict[str, object] = {"model": self._model, "reason": failed.reason, "inputs": inputs}
        if failed.status is not None:
            fields["status"] = failed.status
        if first:
            fields["first"] = first
        log.warning("embedding_fallback", **fields)
