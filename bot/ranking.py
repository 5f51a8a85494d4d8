"""Relevance ranking of a day's papers for one chat. Pure; no model download, no network.

The day's papers are indexed once (``DayIndex``) and every chat is scored against that index
(``DayIndex.rank``), so 1,000 chats cost one index and 1,000 cheap look-ups.

How a paper's relevance is made (every part scaled to [0, 1] over the day's papers, then added):

- **Interests, lexical.** BM25 (``bm25s``) of the chat's interests text over the paper's title
  (counted twice) and abstract, after the same analysis on both sides: Unicode words, lower case, an
  acronym's plural folded to its singular (``LLMs`` → ``llm``), English stop words dropped, Snowball
  stemming (``PyStemmer``). Then one round of pseudo-relevance feedback: the TF-IDF centroid of the
  ``PRF_DOCS`` best papers is compared with every paper (cosine, scikit-learn), which brings up papers
  that share the best papers' vocabulary without repeating the interests' words.
- **Feedback.** 👍 papers (from any day) pull papers close to their TF-IDF centroid up
  (``LIKED_WEIGHT``); 👎 papers push papers close to theirs down (``DISLIKED_WEIGHT``): Rocchio's
  relevance feedback, in the day's vocabulary.
- **Embeddings** (optional). With vectors for the papers (keyed by ``Paper.versioned_id``) and for the
  interests, the cosine of each paper to the interests and to the liked papers' mean vector is added
  with weight ``EMBEDDING_WEIGHT``; a paper without a vector uses its lexical relevance in its place,
  so it is neither favoured nor buried.

A chat with neither interests nor feedback keeps arXiv's order (relevance 0.0 for every paper). Ties
keep arXiv's order, so the result is deterministic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, Protocol, TypeVar

import bm25s
import numpy as np
import Stemmer
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

Vector = Sequence[float]
"""An embedding: a sequence of floats, any length (all of one model)."""

TITLE_WEIGHT = 2
"""The title's words count this many times in a paper's lexical text."""
PRF_DOCS = 3
"""Papers taken as pseudo-relevant for the interests' feedback round."""
PRF_WEIGHT = 1.0
LIKED_WEIGHT = 2.0
DISLIKED_WEIGHT = 0.5
EMBEDDING_WEIGHT = 1.0


class Text(Protocol):
    """What feedback ranking reads from a liked or disliked paper: ``bot.models.Paper`` and the
    store's ``Feedback`` are both one."""

    @property
    def title(self) -> str: ...

    @property
    def abstract(self) -> str: ...


class Document(Text, Protocol):
    """What ranking reads from a paper of the day; ``bot.models.Paper`` is one."""

    @property
    def id(self) -> str: ...

    @property
    def versioned_id(self) -> str: ...


class Embedder(Protocol):
    """Embedding vectors from a model, computed once per paper version and shared by every chat."""

    async def embed_papers(self, papers: Sequence[Document]) -> dict[str, list[float]]:
        """Vectors keyed by ``versioned_id``; a paper whose vector could not be had is missing."""
        ...

    async def embed_text(self, text: str) -> list[float] | None:
        """The vector of a free text (a chat's interests), or None when it could not be had."""
        ...


class Translator(Protocol):
    """Interests written in another language than the papers, put into English once per text."""

    async def to_english(self, text: str) -> str:
        """``text`` in English; ``text`` itself when it already is, or when translation fails."""
        ...


D = TypeVar("D", bound=Document)


class Ranked(NamedTuple, Generic[D]):
    """One paper and its relevance (higher is more relevant; 0.0 when the chat has no profile)."""

    paper: D
    relevance: float


@dataclass(frozen=True, slots=True)
class Profile:
    """What one chat cares about: interests in English, and papers it liked or disliked (any day)."""

    interests: str = ""
    liked: tuple[Text, ...] = ()
    disliked: tuple[Text, ...] = ()
    interests_embedding: Vector | None = None

    @property
    def empty(self) -> bool:
        """True when nothing ranks: no interests text and no feedback."""
        return not self.interests.strip() and not self.liked and not self.disliked


# -- analysis ------------------------------------------------------------------------------------------------

_ACRONYM_PLURAL = re.compile(r"\b([0-9]*[A-Z][A-Z0-9]*[A-Z0-9])s\b")
_WORD = re.compile(r"\w+")
_STEMMER = Stemmer.Stemmer("english")


def terms(text: str) -> list[str]:
    """The index terms of ``text``: ``"LLMs for Retrieval-Augmented Generation"`` →
    ``["llm", "retriev", "augment", "generat"]``."""
    words = _WORD.findall(_ACRONYM_PLURAL.sub(r"\1", text).lower())
    kept = [w for w in words if w not in ENGLISH_STOP_WORDS and not w.isdigit()]
    return list(_STEMMER.stemWords(kept))


def _lexical_terms(doc: Text) -> list[str]:
    return terms(doc.title) * TITLE_WEIGHT + terms(doc.abstract)


def _scaled(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``values`` divided by their maximum (all zeros stay zeros)."""
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _min_max(values: NDArray[np.float64]) -> NDArray[np.float64]:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _unit(vector: Vector) -> NDArray[np.float64] | None:
    array = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 and math.isfinite(norm) else None


# -- the day's index -----------------------------------------------------------------------------------------


class DayIndex(Generic[D]):
    """The day's papers, indexed once for every chat.

    ``papers`` in arXiv's order; ``embeddings`` maps ``versioned_id`` to a vector for the papers that
    have one (any subset; vectors of another length than the first are ignored).
    """

    def __init__(self, papers: Sequence[D], embeddings: Mapping[str, Vector] | None = None) -> None:
        self.papers: tuple[D, ...] = tuple(papers)
        tokens = [_lexical_terms(p) for p in self.papers]
        self._bm25 = bm25s.BM25()
        self._vocabulary: frozenset[str] = frozenset()
        self._tfidf: TfidfVectorizer | None = None
        self._matrix: csr_matrix | None = None
        if any(tokens):
            self._bm25.index(tokens, show_progress=False)
            self._vocabulary = frozenset(self._bm25.vocab_dict)
            self._tfidf = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            self._matrix = csr_matrix(self._tfidf.fit_transform(tokens))
        self._embeddings = self._embedding_matrix(embeddings or {})

    def _embedding_matrix(
        self, embeddings: Mapping[str, Vector]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Unit vectors of the papers (zeros where missing) and which papers have one."""
        rows: list[NDArray[np.float64] | None] = [None] * len(self.papers)
        size = 0
        for i, paper in enumerate(self.papers):
            vector = embeddings.get(paper.versioned_id)
            unit = _unit(vector) if vector is not None else None
            if unit is None or (size and unit.shape[0] != size):
                continue
            size = size or unit.shape[0]
            rows[i] = unit
        matrix = np.zeros((len(self.papers), size))
        present = np.zeros(len(self.papers), dtype=bool)
        for i, row in enumerate(rows):
            if row is not None:
                matrix[i], present[i] = row, True
        return matrix, present

    def __len__(self) -> int:
        return len(self.papers)

    # -- per chat ------------------------------------------------------------------------------------------

    def rank(self, profile: Profile, embeddings: Mapping[str, Vector] | None = None) -> list[Ranked[D]]:
        """The day's papers for ``profile``, most relevant first.

        ``embeddings`` may add vectors of the liked and disliked papers of earlier days, keyed by
        their ``versioned_id``, ``id`` or (a stored ``Feedback``) ``paper_id``; a liked paper of the
        day uses the day's vector. The day's own vectors come from the index.
        """
        if profile.empty or not self.papers:
            return [Ranked(p, 0.0) for p in self.papers]
        scores = self.scores(profile, embeddings)
        order = sorted(range(len(self.papers)), key=lambda i: (-scores[i], i))
        return [Ranked(self.papers[i], float(scores[i])) for i in order]

    def scores(self, profile: Profile, embeddings: Mapping[str, Vector] | None = None) -> NDArray[np.float64]:
        """The relevance of each paper in arXiv's order (see the module's description)."""
        lexical = self._lexical(profile)
        if self._embeddings[0].shape[1] == 0:
            return lexical
        semantic = self._semantic(profile, embeddings or {})
        if semantic is None:
            return lexical
        lexical = _min_max(lexical)
        semantic = np.where(self._embeddings[1], semantic, lexical)
        return (lexical + EMBEDDING_WEIGHT * semantic) / (1.0 + EMBEDDING_WEIGHT)

    def _lexical(self, profile: Profile) -> NDArray[np.float64]:
        n = len(self.papers)
        total = np.zeros(n)
        if self._matrix is None or self._tfidf is None:
            return total
        query = list(dict.fromkeys(t for t in terms(profile.interests) if t in self._vocabulary))
        if query:
            bm25 = _scaled(np.asarray(self._bm25.get_scores(query), dtype=np.float64))
            total += bm25
            if bm25.max() > 0:
                top = np.argsort(-bm25, kind="stable")[:PRF_DOCS]
                total += PRF_WEIGHT * self._closeness(self._matrix[top])
        if profile.liked:
            total += LIKED_WEIGHT * self._closeness(
                self._tfidf.transform([_lexical_terms(d) for d in profile.liked])
            )
        if profile.disliked:
            disliked = self._tfidf.transform([_lexical_terms(d) for d in profile.disliked])
            total -= DISLIKED_WEIGHT * self._closeness(disliked)
        return total

    def _closeness(self, vectors: csr_matrix) -> NDArray[np.float64]:
        """Cosine of every paper to the centroid of ``vectors`` (TF-IDF rows), scaled to [0, 1]."""
        assert self._matrix is not None
        centroid = np.asarray(vectors.mean(axis=0)).ravel()
        return _scaled(np.asarray(self._matrix @ centroid, dtype=np.float64).ravel())

    def _semantic(self, profile: Profile, extra: Mapping[str, Vector]) -> NDArray[np.float64] | None:
        matrix, present = self._embeddings
        size = matrix.shape[1]
        known: dict[str, NDArray[np.float64]] = {}
        for i, p in enumerate(self.papers):
            if present[i]:
                known[p.versioned_id] = known[p.id] = matrix[i]

        def vector_of(doc: Text) -> NDArray[np.float64] | None:
            keys = [getattr(doc, name, None) for name in ("versioned_id", "id", "paper_id")]
            for key in keys:
                if isinstance(key, str) and key in known:
                    return known[key]
            for key in keys:
                given = extra.get(key) if isinstance(key, str) else None
                unit = _unit(given) if given is not None else None
                if unit is not None and unit.shape[0] == size:
                    return unit
            return None

        targets: list[NDArray[np.float64]] = []
        if profile.interests_embedding is not None:
            unit = _unit(profile.interests_embedding)
            if unit is not None and unit.shape[0] == size:
                targets.append(unit)
        liked = [v for d in profile.liked if (v := vector_of(d)) is not None]
        if liked:
            targets.append(np.mean(liked, axis=0))
        disliked = [v for d in profile.disliked if (v := vector_of(d)) is not None]
        if not targets and not disliked:
            return None
        total = np.zeros(len(self.papers))
        for target in targets:
            total += _min_max(matrix @ target)
        if disliked:
            total -= DISLIKED_WEIGHT * _min_max(matrix @ np.mean(disliked, axis=0))
        return _scaled(np.where(present, total - total[present].min(), 0.0))


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def rank(
    papers: Sequence[D],
    interests: str = "",
    liked: Sequence[Text] = (),
    disliked: Sequence[Text] = (),
    embeddings: Mapping[str, Vector] | None = None,
    interests_embedding: Vector | None = None,
) -> list[Ranked[D]]:
    """``papers`` most relevant first for one chat (builds a one-off ``DayIndex``; for many chats
    build the index once and call ``DayIndex.rank``)."""
    profile = Profile(interests, tuple(liked), tuple(disliked), interests_embedding)
    return DayIndex(papers, embeddings).rank(profile, embeddings)
