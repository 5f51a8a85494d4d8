"""Relevance ranking of a day's papers for one chat. Pure; no model download, no network.

The day's papers are indexed once (``DayIndex``) and every chat is scored against that index
(``DayIndex.rank``), so 1,000 chats cost one index and 1,000 cheap look-ups.

How a paper's relevance is made (each part scaled over the day's papers, then added):

- **Analysis**, the same on both sides: Unicode words, lower case, an acronym's plural folded to its
  singular (``LLMs`` → ``llm``), numbers and English stop words dropped, Snowball stemming
  (``PyStemmer``); a paper's title counts ``TITLE_WEIGHT`` times. In the interests, the words that
  ask for papers rather than name a topic (``REQUEST_WORDS``: "papers", "interested", "recent",
  "like", …) are dropped too, so "I'd like recent papers about speech recognition" ranks as
  "speech recognition".
- **Acronyms of the day.** Definitions written in the day's abstracts ("retrieval-augmented
  generation (RAG)") are found with Schwartz and Hearst's algorithm (2003). When the interests
  contain a defined long form, or the defined long form without its first word when only one long
  form ends that way ("speech recognition" for "automatic speech recognition (ASR)"), a paper
  matches that concept by the long form's words or by the acronym, whichever scores higher.
- **Interests, lexical.** BM25 (``bm25s``) of the interests' stems, plus ``EXACT_WEIGHT`` times
  BM25 of their unstemmed words (an exact word outranks a word that only shares its stem:
  "factuality" is not "factual accuracy"). Then one round of pseudo-relevance feedback: the TF-IDF
  centroid of the ``PRF_DOCS`` best papers is compared with every paper (cosine, scikit-learn),
  which brings up papers that share the best papers' vocabulary without repeating the interests'
  words.
- **Feedback.** 👍 papers (from any day) pull up the papers closest to their TF-IDF centroid minus
  the day's centroid (``LIKED_WEIGHT``; Rocchio's relevance feedback with the whole day as the
  non-relevant set, so what 👍 papers share with every paper counts for nothing); 👎 papers push
  down the papers closest to theirs (``DISLIKED_WEIGHT``).
- **Embeddings** (optional). With vectors for the papers (keyed by ``Paper.versioned_id``) and for the
  interests, the cosine of each paper to the interests and to the liked papers' mean vector is added
  with weight ``EMBEDDING_WEIGHT``; a paper without a vector uses its lexical relevance in its place,
  so it is neither favoured nor buried.

A chat with neither interests nor feedback keeps arXiv's order (relevance 0.0 for every paper). Ties
keep arXiv's order, so the result is deterministic. The weights were chosen on the development
profiles of ``bench/labels/`` (``python bench/bench_ranking.py`` prints the figures).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Generic, NamedTuple, Protocol, TypeVar

import numpy as np
import Stemmer
from numpy.typing import NDArray

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import TfidfVectorizer

Vector = Sequence[float]
"""An embedding: a sequence of floats, any length (all of one model)."""

TITLE_WEIGHT = 2
"""The title's words count this many times in a paper's lexical text."""
EXACT_WEIGHT = 0.5
"""Weight of the unstemmed words' BM25 beside the stems' BM25 (each scaled to at most 1)."""
PRF_DOCS = 3
"""Papers taken as pseudo-relevant for the interests' feedback round."""
PRF_WEIGHT = 1.0
LIKED_WEIGHT = 2.0
DISLIKED_WEIGHT = 0.5
EMBEDDING_WEIGHT = 1.0

REQUEST_WORDS = frozenset(
    """
    paper papers preprint preprints article articles publication publications work works research
    study studies interested interests like likes love want wants wish looking look keen send
    related relating regarding concerning recent latest new newest stuff especially particularly
    mainly mostly e g ie eg etc great good cool nice please thanks thank hi hello use using
    m d ll ve s
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
"""Words of an interests sentence that ask for papers rather than name a topic, dropped from the
interests (never from the papers)."""


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


@cache
def _stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (imported on first use: a command that ranks nothing
    starts without scikit-learn)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def words(text: str) -> list[str]:
    """The unstemmed index words of ``text``: ``"LLMs for Retrieval-Augmented Generation"`` →
    ``["llm", "retrieval", "augmented", "generation"]``."""
    found = _WORD.findall(_ACRONYM_PLURAL.sub(r"\1", text).lower())
    stop = _stop_words()
    return [w for w in found if w not in stop and not w.isdigit()]


def terms(text: str) -> list[str]:
    """The index terms of ``text`` (its ``words``, stemmed): ``"LLMs for Retrieval-Augmented
    Generation"`` → ``["llm", "retriev", "augment", "generat"]``."""
    return list(_STEMMER.stemWords(words(text)))


def _request_free(text: str) -> list[str]:
    """The words of an interests text without its ``REQUEST_WORDS``."""
    return [w for w in words(text) if w not in REQUEST_WORDS]


def interest_words(text: str) -> list[str]:
    """The words of an interests text that ranking reads: its ``words`` without the
    ``REQUEST_WORDS`` (``"I'd like papers about LLM agents"`` → ``["llm", "agents"]``)."""
    return _request_free(text)


def _lexical_terms(doc: Text) -> list[str]:
    return terms(doc.title) * TITLE_WEIGHT + terms(doc.abstract)


def _lexical_words(doc: Text) -> list[str]:
    return words(doc.title) * TITLE_WEIGHT + words(doc.abstract)


_PARENTHESIS = re.compile(r"\(\s*([^()\s;,]{2,12})\s*\)")
_CLAUSE_END = re.compile(r"[.;:!?()\[\]]")


def _long_form(short: str, candidate: str) -> str | None:
    """The shortest end of ``candidate`` whose characters spell ``short`` from right to left, the
    first one at a word's start (Schwartz and Hearst's best long form), or None."""
    acronym, text = short.lower(), candidate.lower()
    s, t = len(acronym) - 1, len(text) - 1
    while s >= 0:
        char = acronym[s]
        if not char.isalnum():
            s -= 1
            continue
        while t >= 0 and (text[t] != char or (s == 0 and t > 0 and text[t - 1].isalnum())):
            t -= 1
        if t < 0:
            return None
        s, t = s - 1, t - 1
    return candidate[text.rfind(" ", 0, t + 1) + 1 :]


def abbreviations(text: str) -> list[tuple[str, str]]:
    """(acronym, long form) pairs defined in ``text`` as "long form (ACRONYM)", after Schwartz and
    Hearst, "A simple algorithm for identifying abbreviation definitions in biomedical text" (2003):
    ``"retrieval-augmented generation (RAG)"`` → ``[("RAG", "retrieval-augmented generation")]``. A
    plural acronym ("LLMs") is given in the singular."""
    found = []
    for match in _PARENTHESIS.finditer(text):
        short = match.group(1)
        if not short[0].isalnum() or not any(c.isupper() for c in short):
            continue
        if len(short) > 2 and short.endswith("s") and short[-2].isupper():
            short = short[:-1]
        size = sum(c.isalnum() for c in short)
        before = _CLAUSE_END.split(text[: match.start()])[-1].split()
        candidate = " ".join(before[-min(size + 5, 2 * size) :])
        long = _long_form(short, candidate) if candidate else None
        if long and len(_WORD.findall(long)) >= 2 and len(long) > len(short):
            found.append((short, long))
    return found


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


class _BM25:
    """BM25 (``bm25s``) of tokenized papers, scored for weighted query terms."""

    def __init__(self, tokens: list[list[str]]) -> None:
        import bm25s
        from scipy.sparse import csc_matrix

        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        scores = retriever.scores
        size = len(scores["indptr"]) - 1
        self.vocabulary: dict[str, int] = {t: i for t, i in retriever.vocab_dict.items() if t and i < size}
        self._matrix = csc_matrix(
            (scores["data"], scores["indices"], scores["indptr"]), shape=(len(tokens), size)
        )

    def __call__(self, weights: Mapping[str, float]) -> NDArray[np.float64]:
        """Each paper's BM25 for ``weights`` (term → weight; terms outside the day count nothing)."""
        known = {t: w for t, w in weights.items() if t in self.vocabulary}
        if not known:
            return np.zeros(self._matrix.shape[0])
        columns = self._matrix[:, [self.vocabulary[t] for t in known]]
        return np.asarray(columns @ np.fromiter(known.values(), dtype=np.float64)).ravel()


class _Query(NamedTuple):
    stems: dict[str, float]
    exact: dict[str, float]
    concepts: list[tuple[tuple[str, ...], str]]
    """(long form's stems, acronym's stem) for each day's acronym the interests spell out."""


# -- the day's index -----------------------------------------------------------------------------------------


class DayIndex(Generic[D]):
    """The day's papers, indexed once for every chat.

    ``papers`` in arXiv's order; ``embeddings`` maps ``versioned_id`` to a vector for the papers that
    have one (any subset; vectors of another length than the first are ignored).
    """

    def __init__(self, papers: Sequence[D], embeddings: Mapping[str, Vector] | None = None) -> None:
        self.papers: tuple[D, ...] = tuple(papers)
        tokens = [_lexical_terms(p) for p in self.papers]
        self._bm25: _BM25 | None = None
        self._exact: _BM25 | None = None
        self._tfidf: TfidfVectorizer | None = None
        self._matrix: csr_matrix | None = None
        self._day_centroid = np.zeros(0)
        self._long_forms: dict[tuple[str, ...], str] = {}
        if any(tokens):
            from scipy.sparse import csr_matrix
            from sklearn.feature_extraction.text import TfidfVectorizer

            self._bm25 = _BM25(tokens)
            self._exact = _BM25([_lexical_words(p) for p in self.papers])
            self._tfidf = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
            self._matrix = csr_matrix(self._tfidf.fit_transform(tokens))
            self._day_centroid = np.asarray(self._matrix.mean(axis=0)).ravel()
            self._long_forms = self._acronyms()
        self._forms_by_first: dict[str, list[tuple[str, ...]]] = {}
        for form in self._long_forms:
            self._forms_by_first.setdefault(form[0], []).append(form)
        self._embeddings = self._embedding_matrix(embeddings or {})

    def _acronyms(self) -> dict[tuple[str, ...], str]:
        """Long forms (stems) defined in the day's papers → their acronym's stem; also each long
        form of three or more stems without its first stem, when no other long form ends that way."""
        pairs: Counter[tuple[tuple[str, ...], str]] = Counter()
        for paper in self.papers:
            for short, long in abbreviations(f"{paper.title}. {paper.abstract}"):
                short_terms, expansion = terms(short), tuple(terms(long))
                if len(short_terms) == 1 and len(expansion) >= 2 and short_terms[0] not in expansion:
                    pairs[expansion, short_terms[0]] += 1
        forms: dict[tuple[str, ...], str] = {}
        for (expansion, acronym), _ in pairs.most_common():
            forms.setdefault(expansion, acronym)
        tails: dict[tuple[str, ...], set[str]] = {}
        for expansion, acronym in forms.items():
            if len(expansion) >= 3:
                tails.setdefault(expansion[1:], set()).add(acronym)
        for tail, acronyms in tails.items():
            if len(acronyms) == 1 and tail not in forms:
                forms[tail] = next(iter(acronyms))
        return forms

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

    def _query(self, interests: str) -> _Query:
        """The interests' stems and words (each weighted by its count) and the day's acronyms they
        spell out, longest long form first, each stem in at most one."""
        kept = _request_free(interests)
        stems = list(_STEMMER.stemWords(kept))
        weights: dict[str, float] = {}
        for stem in stems:
            weights[stem] = weights.get(stem, 0.0) + 1.0
        exact: dict[str, float] = {}
        for word in kept:
            exact[word] = exact.get(word, 0.0) + 1.0
        found = [
            (form, start)
            for start, stem in enumerate(stems)
            for form in self._forms_by_first.get(stem, ())
            if tuple(stems[start : start + len(form)]) == form
        ]
        found.sort(key=lambda hit: -len(hit[0]))
        used: set[int] = set()
        concepts: list[tuple[tuple[str, ...], str]] = []
        for form, start in found:
            span = set(range(start, start + len(form)))
            acronym = self._long_forms[form]
            if span & used or acronym in weights or any(a == acronym for _, a in concepts):
                continue
            used |= span
            concepts.append((form, acronym))
        return _Query(weights, exact, concepts)

    def _lexical(self, profile: Profile) -> NDArray[np.float64]:
        total = np.zeros(len(self.papers))
        if self._bm25 is None or self._exact is None or self._matrix is None or self._tfidf is None:
            return total
        query = self._query(profile.interests)
        stems = self._bm25(query.stems)
        for form, acronym in query.concepts:
            spelled = self._bm25({t: query.stems[t] for t in form})
            stems += np.maximum(spelled, self._bm25({acronym: 1.0})) - spelled
        lexical = _scaled(stems) + EXACT_WEIGHT * _scaled(self._exact(query.exact))
        if lexical.max() > 0:
            total += _scaled(lexical)
            top = np.argsort(-lexical, kind="stable")[:PRF_DOCS]
            total += PRF_WEIGHT * self._closeness(self._matrix[top])
        if profile.liked:
            liked = self._tfidf.transform([_lexical_terms(d) for d in profile.liked])
            if liked.nnz:
                centroid = np.asarray(liked.mean(axis=0)).ravel() - self._day_centroid
                total += LIKED_WEIGHT * _min_max(np.asarray(self._matrix @ centroid).ravel())
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
