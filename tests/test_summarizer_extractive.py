"""The extractive summary, checked on the real abstracts in the recorded arXiv payloads."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import feedparser
import pytest

from bot.models import AnnounceType, Paper
from summarizer.extractive import ExtractiveSummarizer, extract, split_sentences
from summarizer.safety import clean
from tests.paths import FIXTURES

CUE = re.compile(
    r"\b(?:we|this (?:paper|work|study|article))\s+(?:\w+\s+){0,2}?(?:propose|present|introduce|develop|show|"
    r"demonstrate|describe|find|found|observe|conclude)|\bresults?\b[^.]{0,60}\b(?:show|demonstrate|indicate)|\boutperform|\bachiev",
    re.IGNORECASE,
)


@cache
def recorded_abstracts() -> dict[str, str]:
    """Title → abstract for every distinct entry of the recorded API and RSS payloads."""
    files = sorted((FIXTURES / "arxiv_api").glob("*.xml"))
    files += sorted((FIXTURES / "arxiv_api" / "arxiv.py_bodies").glob("*.xml"))
    files += sorted((FIXTURES / "arxiv_rss").glob("*.xml"))
    abstracts: dict[str, str] = {}
    for path in files:
        for entry in feedparser.parse(path.read_bytes()).entries:
            title = " ".join(str(entry.get("title", "")).split())
            summary = str(entry.get("summary", ""))
            if title and len(summary) > 80 and title != "Error":
                abstracts.setdefault(title, summary)
    return abstracts


def abstract_of(title_start: str) -> str:
    matches = [a for t, a in recorded_abstracts().items() if t.startswith(title_start)]
    assert matches, title_start
    return matches[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two.", ["One.", "Two."]),
        ("We use e.g. Transformers here. Then more.", ["We use e.g. Transformers here.", "Then more."]),
        (
            "As shown in Fig. 3 the gain is 3.5 times. Next.",
            ["As shown in Fig. 3 the gain is 3.5 times.", "Next."],
        ),
        ("Smith et al. (2020) showed it. We extend it.", ["Smith et al. (2020) showed it.", "We extend it."]),
        ("Data from the U.S. Census is used. Next one.", ["Data from the U.S. Census is used.", "Next one."]),
        ("Work by J. Smith helps. Yes!", ["Work by J. Smith helps.", "Yes!"]),
        ("Does it work? Yes, it does.", ["Does it work?", "Yes, it does."]),
        ("See Eq. 2 and Sec. 4 for i.e. details. Done.", ["See Eq. 2 and Sec. 4 for i.e. details.", "Done."]),
        ("Version 2.0 is out.\nIt is faster.", ["Version 2.0 is out.", "It is faster."]),
        ("本文提出一种方法。实验表明有效！还有吗？", ["本文提出一种方法。", "实验表明有效！", "还有吗？"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    """Sentences split at real ends, not at abbreviations, initials or decimals."""
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Conformal Path Reasoning",
            ["we propose Conformal Path Reasoning (CPR)", "improves the Empirical Coverage"],
        ),
        (
            "LLMs Improving LLMs",
            ["We propose an environment-driven framework", "Experiments on mathematical"],
        ),
        ("Neural Implicit Flow Fields", ["We propose a continuous spatio-temporal MoD representation"]),
        ("RDD: Retrieval-Based", ["we propose a Retrieval-based Demonstration Decomposer"]),
        ("Signal2Symbol", ["We propose Signal2Symbol"]),
        ("Outlier Detection for Multi-Network Data", ["We propose a simple Outlier DetectIon"]),
        ("Random Polytope Descriptors", ["We introduce a class of random polytopes"]),
        ("Molecular adsorption study", ["We find that caffeine adsorbs more strongly than nicotine."]),
        (
            "Neural Embeddings for Web Testing",
            ["we present a model-based test generation", "averaging at 12%"],
        ),
        ("Practical Flaky Test Prediction", ["The best model was able to achieve an F1-score of 95.5%"]),
        ("An Empirical Testing of Autonomous", ["Our paper presents an empirical testing", "We found that"]),
        ("ChatGPT and Software Testing Education", ["Our findings indicate that ChatGPT"]),
    ],
)
def test_extract_picks_contribution_and_result(title: str, expected: list[str]) -> None:
    """On real abstracts the extract holds the "we propose…" and the result sentence."""
    summary = extract(abstract_of(title))
    for text in expected:
        assert text in summary


def test_extract_shape_on_every_recorded_abstract() -> None:
    """Every extract is at most 400 characters of the abstract's own sentences, in their order."""
    assert len(recorded_abstracts()) >= 40
    for abstract in recorded_abstracts().values():
        summary = extract(abstract)
        assert 0 < len(summary) <= 400
        chosen = split_sentences(summary)
        assert len(chosen) <= 2
        if not summary.endswith("…"):
            source = clean(" ".join(abstract.split()), max_chars=100_000, keep_lone_tags=True)
            positions = [source.index(sentence) for sentence in chosen]
            assert positions == sorted(positions)
        assert extract(abstract) == summary


def test_extract_beats_first_two_sentences() -> None:
    """Where the first two sentences state no contribution or result but a later one does (so the
    naive summary has none), at least 85% of extracts include such a sentence."""
    checked = found = 0
    for abstract in recorded_abstracts().values():
        sentences = split_sentences(" ".join(abstract.split()))
        if len(sentences) <= 2 or any(CUE.search(s) for s in sentences[:2]):
            continue
        if not any(CUE.search(s) for s in sentences[2:]):
            continue
        checked += 1
        found += any(CUE.search(s) for s in split_sentences(extract(abstract)))
    assert checked >= 40
    assert found / checked >= 0.85


def test_extract_strips_rss_label_and_skips_boilerplate() -> None:
    """The RSS "Announce Type … Abstract:" prefix and code-availability sentences stay out."""
    abstract = (
        "arXiv:2609.00001v1 Announce Type: new Abstract: Scheduling is hard. "
        "We propose FastSched, a scheduler for GPU clusters. "
        "Code is available at https://github.com/example/fastsched. "
        "FastSched reduces job completion time by 42% over the baselines."
    )
    assert extract(abstract) == (
        "We propose FastSched, a scheduler for GPU clusters. "
        "FastSched reduces job completion time by 42% over the baselines."
    )


def test_extract_chinese_abstract() -> None:
    """A Chinese abstract yields its contribution and result sentences, still in Chinese."""
    abstract = (
        "近年来，大规模模型训练受到广泛关注。现有方法通信开销较大。"
        "本文提出一种将通信与计算重叠的调度方法。实验结果表明，该方法将训练时间缩短了37%。"
    )
    assert (
        extract(abstract)
        == "本文提出一种将通信与计算重叠的调度方法。实验结果表明，该方法将训练时间缩短了37%。"
    )


def test_extract_respects_budget() -> None:
    """One very long sentence is cut to the character budget."""
    summary = extract("We propose " + "a very long method " * 60 + ".", max_chars=120)
    assert len(summary) <= 120 and summary.endswith("…")


async def test_extractive_summarizer_marks_source() -> None:
    """Papers get summary_source "extractive" ("none" without an abstract); progress counts papers."""
    base = Paper(
        id="2609.00001",
        version=1,
        title="T",
        authors=("A",),
        categories=("cs.DC",),
        primary_category="cs.DC",
        announce_type=AnnounceType.NEW,
        abstract=abstract_of("Random Polytope Descriptors"),
    )
    empty = replace(base, abstract="")
    done: list[int] = []
    results = await ExtractiveSummarizer().summarize([base, empty], "zh", progress=done.append)
    assert [r.summary_source for r in results] == ["extractive", "none"]
    assert results[0].summary.startswith("We introduce a class of random polytopes")
    assert sum(done) == 2
