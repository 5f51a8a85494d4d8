"""Ranking quality on a real busy day: P@10 and nDCG@10 per interest profile, and ranking speed.

    python bench/bench_ranking.py            # run from the project root with the venv active

The day is ``tests/fixtures/busy_day/2026-06-23.jsonl`` (499 papers); the relevance judgments,
their grading rules and how they were made are in ``bench/labels/``. P@10 counts papers of grade
≥ 1 as relevant; nDCG@10 uses the grades (0/1/2) as gains 2^g - 1.

Rankings compared, for each profile:
- arXiv's order;
- plain BM25 of the interests text (``bm25s``' own tokenizer and English stop words, no stemming,
  title and abstract as one text);
- the product (``bot.ranking``) from the interests sentence alone;
- after 3 👍: the liked papers are the first three papers of grade 2 in arXiv's order; they are
  removed from the evaluated set, and nDCG@10 / P@10 of the remaining papers are given before and
  after the 👍.
The Chinese profile is run as written (no LLM: nothing to translate it) and with the English text a
translation returns (``translation`` in the labels), as the product does with an LLM configured.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402

from bot.models import AnnounceType, Paper  # noqa: E402
from bot.ranking import DayIndex, Profile  # noqa: E402

DAY = ROOT / "tests" / "fixtures" / "busy_day" / "2026-06-23.jsonl"
LABELS = ROOT / "bench" / "labels" / "2026-06-23.json"
K = 10
LIKES = 3


def load_papers() -> list[Paper]:
    papers = []
    for line in DAY.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        papers.append(
            Paper(
                id=row["id"],
                version=1,
                title=row["title"],
                authors=tuple(row["authors"]),
                categories=tuple(row["categories"]),
                primary_category=row["categories"][0],
                announce_type=AnnounceType.NEW,
                abstract=row["abstract"],
            )
        )
    return papers


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    return sum(1 for pid in ranked[:k] if grades.get(pid, 0) >= 1) / k


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], pool: Sequence[str], k: int = K) -> float:
    def dcg(gains: Sequence[int]) -> float:
        return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k])))

    ideal = dcg(sorted((grades.get(pid, 0) for pid in pool), reverse=True))
    return dcg([grades.get(pid, 0) for pid in ranked]) / ideal if ideal else 0.0


@dataclass
class Row:
    name: str
    arxiv: tuple[float, float]
    bm25: tuple[float, float]
    sentence: tuple[float, float]
    before: tuple[float, float]
    after: tuple[float, float]


def plain_bm25(papers: Sequence[Paper]) -> tuple[bm25s.BM25, Sequence[Paper]]:
    texts = [f"{p.title}. {p.abstract}" for p in papers]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    return retriever, papers


def bm25_order(retriever: bm25s.BM25, papers: Sequence[Paper], text: str) -> list[str]:
    query = bm25s.tokenize(text, stopwords="en", show_progress=False, return_ids=False)[0]
    query = [t for t in query if t in retriever.vocab_dict]
    scores = retriever.get_scores(query) if query else np.zeros(len(papers))
    order = sorted(range(len(papers)), key=lambda i: (-scores[i], i))
    return [papers[i].id for i in order]


def evaluate(
    name: str,
    interests: str,
    grades: Mapping[str, int],
    papers: list[Paper],
    index: DayIndex[Paper],
    plain: bm25s.BM25,
) -> Row:
    ids = [p.id for p in papers]

    def both(ranked: Sequence[str], pool: Sequence[str]) -> tuple[float, float]:
        return precision_at(ranked, grades), ndcg_at(ranked, grades, pool)

    arxiv = both(ids, ids)
    bm25 = both(bm25_order(plain, papers, interests), ids)
    sentence_ranked = [r.paper.id for r in index.rank(Profile(interests))]
    sentence = both(sentence_ranked, ids)
    liked = [p for p in papers if grades.get(p.id, 0) == 2][:LIKES]
    liked_ids = {p.id for p in liked}
    rest = [pid for pid in ids if pid not in liked_ids]
    before = both([pid for pid in sentence_ranked if pid not in liked_ids], rest)
    after_ranked = [r.paper.id for r in index.rank(Profile(interests, tuple(liked)))]
    after = both([pid for pid in after_ranked if pid not in liked_ids], rest)
    return Row(name, arxiv, bm25, sentence, before, after)


def main() -> None:
    papers = load_papers()
    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    started = time.perf_counter()
    index = DayIndex(papers)
    index_seconds = time.perf_counter() - started
    plain, _ = plain_bm25(papers)

    rows: list[Row] = []
    for profile in labels["profiles"]:
        grades = {k: int(v) for k, v in profile["labels"].items()}
        rows.append(evaluate(profile["name"], profile["interests"], grades, papers, index, plain))
        if "translation" in profile:
            rows.append(
                evaluate(
                    profile["name"] + " (translated)", profile["translation"], grades, papers, index, plain
                )
            )

    print(f"busy day {labels['listing_date']}: {len(papers)} papers; P@10 / nDCG@10")
    header = f"{'profile':36s} {'arXiv order':>12s} {'plain BM25':>12s} {'sentence':>12s} {'3👍: before':>12s} {'after':>12s}"
    print(header)
    for row in rows:
        cells = [row.arxiv, row.bm25, row.sentence, row.before, row.after]
        print(f"{row.name:36s} " + " ".join(f"{p:5.2f} / {n:4.2f}" for p, n in cells))

    def mean(pick: int, rows_: Sequence[Row]) -> str:
        columns = [[r.arxiv, r.bm25, r.sentence, r.before, r.after][pick] for r in rows_]
        return (
            f"{statistics.mean(c[0] for c in columns):5.2f} / {statistics.mean(c[1] for c in columns):4.2f}"
        )

    # The mean counts each profile once: the Chinese profile as the product runs it with an LLM.
    counted = [r for r in rows if not any(o.name == r.name + " (translated)" for o in rows)]
    print(
        f"{'mean of ' + str(len(counted)) + ' profiles':36s} " + " ".join(mean(i, counted) for i in range(5))
    )

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
        f"{per_chat * 1000:.2f} ms per chat, {per_chat * chats:.1f} s for {chats} chats (half with 3 👍)"
    )


if __name__ == "__main__":
    main()
