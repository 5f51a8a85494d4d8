"""Ranking: its shape on a recorded slice of a busy day, feedback, embeddings and arXiv's order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.models import LIKE, AnnounceType, Feedback, Paper
from bot.ranking import DayIndex, Profile, abbreviations, rank, terms, words
from tests.fakes.real_day import busy_day_models

SLICE_IDS = [
    "2606.21753",
    "2606.21791",
    "2606.20842",
    "2606.21340",
    "2606.21237",
    "2606.21990",
    "2606.20650",
    "2606.22963",
    "2606.23177",
    "2606.22168",
    "2606.21553",
    "2606.22681",
    "2606.22728",
    "2606.21082",
    "2606.22841",
    "2606.22873",
    "2606.21359",
    "2606.21917",
    "2606.22388",
    "2606.23321",
    "2606.20722",
    "2606.20960",
    "2606.20620",
    "2606.21346",
    "2606.21873",
    "2606.20886",
    "2606.21026",
    "2606.21456",
]


def _load_slice() -> list[Paper]:
    """The first 60 papers of the recorded day, plus the papers the tables below name."""
    return [p for n, p in enumerate(busy_day_models()) if n < 60 or p.id in SLICE_IDS]


PAPERS = _load_slice()
BY_ID = {p.id: p for p in PAPERS}
INDEX = DayIndex(PAPERS)


def position(ranked: list[Paper], paper_id: str) -> int:
    return [p.id for p in ranked].index(paper_id)


def order(profile: Profile, index: DayIndex[Paper] = INDEX) -> list[Paper]:
    return [r.paper for r in index.rank(profile)]


@pytest.mark.parametrize(
    ("interests", "relevant", "irrelevant"),
    [
        ("3D Gaussian splatting and neural rendering", "2606.20842", "2606.21873"),
        ("3D Gaussian splatting and neural rendering", "2606.21791", "2606.20620"),
        ("speech recognition", "2606.21340", "2606.20886"),
        ("speech recognition", "2606.21237", "2606.20960"),
        ("medical image segmentation", "2606.23177", "2606.21456"),
        ("medical image segmentation", "2606.22963", "2606.21026"),
        ("retrieval-augmented generation", "2606.22681", "2606.20722"),
        ("LLM agents and tool use", "2606.22388", "2606.21346"),
        ("AI safety and alignment", "2606.22841", "2606.20960"),
        ("hallucination and factuality of large language models", "2606.21917", "2606.21082"),
    ],
)
def test_relevant_paper_ranks_above_irrelevant(interests: str, relevant: str, irrelevant: str) -> None:
    """For an interests sentence, a clearly relevant paper ranks above a clearly irrelevant one and
    in the top five of the slice, with a higher relevance."""
    ranked = INDEX.rank(Profile(interests))
    ids = [r.paper.id for r in ranked]
    assert ids.index(relevant) < ids.index(irrelevant)
    assert ids.index(relevant) < 5
    relevance = {r.paper.id: r.relevance for r in ranked}
    assert relevance[relevant] > relevance[irrelevant]


def test_no_profile_keeps_arxiv_order() -> None:
    """Without interests or feedback the papers keep arXiv's order, each with relevance 0.0."""
    ranked = INDEX.rank(Profile())
    assert [r.paper for r in ranked] == PAPERS
    assert {r.relevance for r in ranked} == {0.0}
    assert [r.paper for r in rank(PAPERS, "   ")] == PAPERS


def test_interests_matching_nothing_keep_arxiv_order() -> None:
    """Interests none of whose words occur (an untranslated Chinese text) leave arXiv's order."""
    assert order(Profile("大语言模型的幻觉与事实性")) == PAPERS


def test_deterministic_and_ties_keep_arxiv_order() -> None:
    """The same input gives the same order and relevances; equal relevances keep arXiv's order."""
    first = INDEX.rank(Profile("speech recognition"))
    assert first == DayIndex(PAPERS).rank(Profile("speech recognition"))
    twins = [replace(PAPERS[0], id=f"2606.9000{i}") for i in range(3)]
    ranked = rank([*twins, PAPERS[1]], "colorization")
    assert [r.paper.id for r in ranked[:3]] == [t.id for t in twins]


def test_like_raises_similar_papers() -> None:
    """A 👍 on a 3D Gaussian splatting paper (from another day) lifts the day's splatting papers
    for a chat whose interests do not mention them."""
    liked = replace(BY_ID["2606.20842"], id="2605.11111", version=2)
    without = order(Profile("efficient methods"))
    with_like = order(Profile("efficient methods", liked=(liked,)))
    for splat in ("2606.21753", "2606.21791"):
        assert position(with_like, splat) < position(without, splat)


def test_likes_alone_rank() -> None:
    """Feedback without interests ranks: papers close to the liked ones come first."""
    liked = (BY_ID["2606.21340"], BY_ID["2606.21237"])
    ranked = order(Profile(liked=liked))
    assert position(ranked, "2606.21990") < 4


def test_dislike_lowers_similar_papers() -> None:
    """A 👎 on a speech synthesis paper pushes the other speech synthesis-like papers down."""
    disliked = (BY_ID["2606.20650"],)
    base = order(Profile("speech"))
    after = order(Profile("speech", disliked=disliked))
    assert position(after, "2606.20650") > position(base, "2606.20650")


def _unit_vector(hot: int, size: int = 8) -> list[float]:
    return [1.0 if i == hot else 0.0 for i in range(size)]


def test_embeddings_move_ranking_and_missing_ones_fall_back() -> None:
    """Embeddings close to the interests lift a paper; a paper without a vector keeps its lexical
    standing; vectors of another size are ignored."""
    target = BY_ID["2606.21346"]  # an allocation paper: lexically unrelated to speech
    embeddings = {p.versioned_id: _unit_vector(1) for p in PAPERS}
    embeddings[target.versioned_id] = _unit_vector(0)
    embeddings[BY_ID["2606.21237"].versioned_id] = [1.0, 0.0]
    del embeddings[BY_ID["2606.21340"].versioned_id]
    index = DayIndex(PAPERS, embeddings)
    profile = Profile("speech recognition", interests_embedding=_unit_vector(0))
    lexical = order(Profile("speech recognition"))
    ranked = order(profile, index)
    assert position(ranked, target.id) < position(lexical, target.id)
    assert position(ranked, target.id) < 3
    assert position(ranked, "2606.21340") < 3
    assert position(ranked, "2606.21237") < 5


def test_liked_embedding_from_another_day() -> None:
    """The vector of a liked paper of an earlier day, given at ranking time, pulls its neighbours up."""
    target = BY_ID["2606.21873"]
    embeddings = {p.versioned_id: _unit_vector(1) for p in PAPERS}
    embeddings[target.versioned_id] = _unit_vector(2)
    index = DayIndex(PAPERS, embeddings)
    liked = replace(target, id="2605.22222", title="Unrelated words", abstract="Nothing in common.")
    ranked = [r.paper for r in index.rank(Profile(liked=(liked,)), {liked.versioned_id: _unit_vector(2)})]
    assert ranked[0].id == target.id


def test_empty_day() -> None:
    """An empty day ranks to an empty list."""
    assert rank([], "anything") == []
    assert DayIndex([]).rank(Profile("x")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LLMs for Retrieval-Augmented Generation", ["llm", "retriev", "augment", "generat"]),
        ("GNNs and 3DGS", ["gnn", "3dgs"]),
        ("the of and 2026", []),
        ("Segmentation of segmented segments", ["segment", "segment", "segment"]),
        ("Über-scale données", ["über", "scale", "donné"]),
    ],
)
def test_terms(text: str, expected: list[str]) -> None:
    """Index terms: words, acronym plurals folded, stop words and numbers dropped, stemmed."""
    assert terms(text) == expected


def test_stored_feedback_ranks_like_papers() -> None:
    """The store's Feedback (paper id, title, abstract) serves as 👍: lexically, and through the
    day's vector when the liked paper is one of the day's."""
    source = BY_ID["2606.21340"]
    like = Feedback(paper_id=source.id, vote=LIKE, title=source.title, abstract=source.abstract)
    assert order(Profile(liked=(like,)))[:3] == order(Profile(liked=(source,)))[:3]
    target = BY_ID["2606.21873"]
    embeddings = {p.versioned_id: _unit_vector(1) for p in PAPERS}
    embeddings[target.versioned_id] = _unit_vector(2)
    embeddings[source.versioned_id] = _unit_vector(2)
    ranked = order(Profile(liked=(like,)), DayIndex(PAPERS, embeddings))
    assert position(ranked, target.id) < position(order(Profile(liked=(like,))), target.id)


def _paper(n: int, title: str, abstract: str) -> Paper:
    return Paper(
        id=f"2606.9{n:04d}",
        version=1,
        title=title,
        authors=("A. Author",),
        categories=("cs.CL",),
        primary_category="cs.CL",
        announce_type=AnnounceType.NEW,
        abstract=abstract,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We study retrieval-augmented generation (RAG) for QA.",
            [("RAG", "retrieval-augmented generation")],
        ),
        ("Large language models (LLMs) hallucinate.", [("LLM", "Large language models")]),
        ("With 3D Gaussian Splatting (3DGS), scenes render fast.", [("3DGS", "3D Gaussian Splatting")]),
        (
            "Automatic speech recognition (ASR) and text-to-speech (TTS).",
            [
                ("ASR", "Automatic speech recognition"),
                ("TTS", "text-to-speech"),
            ],
        ),
        ("The results (see Fig. 2) and the gains (ours) are clear.", []),
        ("A model (GPT) without its long form.", []),
    ],
)
def test_abbreviations(text: str, expected: list[tuple[str, str]]) -> None:
    """Acronym definitions "long form (ACRONYM)" are found, the plural folded; parentheses that
    define nothing give nothing."""
    assert abbreviations(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LLMs for Retrieval-Augmented Generation", ["llm", "retrieval", "augmented", "generation"]),
        ("the of and 2026", []),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    """Unstemmed index words: lower case, acronym plurals folded, stop words and numbers dropped."""
    assert words(text) == expected


def test_request_words_leave_the_topic() -> None:
    """An interests sentence that asks for papers ranks exactly as its topic alone."""
    topic = INDEX.rank(Profile("speech recognition"))
    for sentence in (
        "I'm interested in papers about speech recognition",
        "recent work on speech recognition please",
    ):
        assert INDEX.rank(Profile(sentence)) == topic


ACRONYM_DAY = [
    _paper(1, "Grounded answers", "We study retrieval-augmented generation (RAG) for question answering."),
    _paper(2, "Chunking matters", "Better chunking makes RAG pipelines more accurate."),
    _paper(3, "Pictures", "A diffusion model for the generation of images."),
    _paper(4, "Stories", "Long text generation with planning."),
    _paper(5, "Tables", "Synthetic data generation for tabular learning."),
    _paper(6, "Speech", "Automatic speech recognition (ASR) of accented speech."),
    _paper(7, "Noisy transcripts", "ASR errors on call-centre audio, and how to fix them."),
    _paper(8, "Faces", "Recognition of emotion in faces."),
    _paper(9, "Entities", "Named entity recognition for legal text."),
]


def test_acronym_of_the_day_matches_its_long_form() -> None:
    """A paper that only writes the day's acronym (RAG, ASR) matches interests spelling out its long
    form, also without the long form's first word: it ranks above papers sharing no interests word."""
    index = DayIndex(ACRONYM_DAY)
    ranked = [r.paper.id for r in index.rank(Profile("retrieval-augmented generation"))]
    assert ranked.index(ACRONYM_DAY[1].id) < ranked.index(ACRONYM_DAY[8].id)
    ranked = [r.paper.id for r in index.rank(Profile("speech recognition"))]
    assert ranked.index(ACRONYM_DAY[6].id) < ranked.index(ACRONYM_DAY[3].id)


def test_exact_word_outranks_a_shared_stem() -> None:
    """Of two papers alike but for the interests' word, the one with the exact word ranks first."""
    day = [
        _paper(1, "Checking answers", "We measure the factual accuracy of answers in medicine."),
        _paper(2, "Checking answers", "We measure the factuality of answers in medicine."),
    ]
    assert [r.paper.id for r in rank(day, "factuality")] == [day[1].id, day[0].id]


def test_like_sharing_no_word_with_the_day_changes_nothing() -> None:
    """A 👍 on a paper whose words the day never uses leaves arXiv's order (no paper is raised
    for being unlike the day)."""
    stranger = _paper(9, "Zzyzx quorxbl", "Vlorp wuggle frindle.")
    assert [r.paper for r in INDEX.rank(Profile(liked=(stranger,)))] == PAPERS
