"""A chat's ``/filter``: exact, explainable keyword, phrase and author terms. Pure.

Grammar of the argument string (terms separated by white space)::

    graph                 keyword: title, abstract or an author's name
    "graph neural network"  phrase: its words in this order (straight, curly, full-width or
                          corner quotes: “…”, ”…”, ＂…＂, 「…」, 『…』)
    author:Hinton         author: one author's name contains these words, in order
    author:"Geoffrey Hinton"   (also 作者:张三, and full-width colons: author：Hinton, 作者：张三)
    -survey  -"large language model"  -author:Smith   negative terms (also －survey)

The text is read in any width (Unicode NFKC first), so ``ＬＬＭ`` is ``LLM`` and ``－综述`` a negative
term.

Matching (``matches``, ``explain``):

- Case- and accent-insensitive (``casefold`` and Unicode NFKD without combining marks), so
  ``author:muller`` finds "Müller".
- On word boundaries, Unicode-aware: ``GNN`` does not match ``GNNExplainer`` nor ``AGNN``. A term
  written in a script without spaces (Chinese, Japanese, Thai) matches anywhere in the text.
- Plurals: a term also matches its plain English plural, ``+s`` or ``+es`` (``LLM`` matches
  ``LLMs``, ``network`` matches ``networks``, ``process`` matches ``processes``) and, for a term
  ending in a consonant and ``y``, ``+ies`` (``strategy`` matches ``strategies``). The rule only adds
  endings: ``networks`` does not match ``network``; write the singular to get both.
- A space or a hyphen inside a term matches any run of spaces and hyphens, so
  ``"retrieval augmented generation"`` matches "retrieval-augmented generation" and back.
- An author term's words must appear in one author's name, in order, other words allowed between:
  ``author:"Geoffrey Hinton"`` matches "Geoffrey E. Hinton", not "Geoffrey Smith and John Hinton".

A paper passes when it matches at least one positive term (any, when there are none) and no
negative term. A filter made only of negative terms is accepted: ``-survey`` keeps every paper but
the surveys, a common wish with one clear meaning.

Bad input raises ``BadFilter`` (a ``BadInput``) with a machine-readable ``reason`` and the limits, so
the command layer can answer in the chat's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from bot.errors import BadInput, clip
from bot.models import Paper

MAX_TERMS = 50
"""The most terms one filter may have (negative terms included)."""

MAX_TERM_CHARS = 100
"""The longest term, in characters, without its ``-`` and ``author:`` prefixes and its quotes."""

_OPENING_QUOTES = frozenset('"“”„«「『')
_CLOSING_QUOTES = frozenset('"”“»」』')
_QUOTES = _OPENING_QUOTES | _CLOSING_QUOTES
_AUTHOR_PREFIX = "author:"
_AUTHOR_PREFIXES = (_AUTHOR_PREFIX, "作者:")
"""Ways to write the author prefix (after NFKC, which makes ``：`` a ``:``), case-insensitive."""
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")

Field = Literal["title", "abstract", "authors"]
FIELDS: tuple[Field, ...] = ("title", "abstract", "authors")

ACCEPTED = (
    'keywords (graph), quoted phrases ("graph neural network"), authors (author:Hinton or '
    'author:"Geoffrey Hinton") and negative terms (-survey, -author:Smith); '
    f"at most {MAX_TERMS} terms of at most {MAX_TERM_CHARS} characters each; "
    "/filter clear removes them"
)
"""What a filter accepts, in English; the command layer may say it in the chat's language."""


class Reason(StrEnum):
    """Why a filter string was refused."""

    EMPTY = "empty"
    """Nothing left after parsing (blank, or only ``-``, ``""`` or ``author:``)."""
    TOO_MANY_TERMS = "too_many_terms"
    TERM_TOO_LONG = "term_too_long"
    UNBALANCED_QUOTE = "unbalanced_quote"
    """A quote that opens and never closes, or a quote inside a word."""
    CONTRADICTORY = "contradictory"
    """The same term both wanted and excluded (``LLM -LLM``): nothing could ever pass."""


class BadFilter(BadInput):
    """A ``/filter`` argument we do not accept.

    ``reason`` says why (a ``Reason``); ``term`` is the offending term, clipped to 40 characters (empty
    when the whole input is at fault); ``count`` the number of terms given (for ``too_many_terms``);
    ``max_terms`` and ``max_term_chars`` the limits; ``accepted`` the English description of the
    grammar. The message is English and says what is accepted.
    """

    def __init__(self, reason: Reason, term: str = "", count: int = 0) -> None:
        self.reason = reason
        self.term = clip(term)
        self.count = count
        self.max_terms = MAX_TERMS
        self.max_term_chars = MAX_TERM_CHARS
        self.accepted = ACCEPTED
        problems = {
            Reason.EMPTY: "no filter term given",
            Reason.TOO_MANY_TERMS: f"{count} terms given, at most {MAX_TERMS} are accepted",
            Reason.TERM_TOO_LONG: f"the term {self.term!r} is longer than {MAX_TERM_CHARS} characters",
            Reason.UNBALANCED_QUOTE: f"a quote is not closed or stands inside a word near {self.term!r}",
            Reason.CONTRADICTORY: f"{self.term!r} is both wanted and excluded, so no paper could pass",
        }
        super().__init__(f"{problems[reason]}: filters accept {ACCEPTED}")


Kind = Literal["keyword", "phrase", "author"]


@dataclass(frozen=True, slots=True)
class Term:
    """One term. ``text`` is as written, white space collapsed, without prefix or quotes."""

    text: str
    kind: Kind = "keyword"
    negative: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """What makes two terms the same, whatever their case, accents or sign."""
        return ("author" if self.kind == "author" else "text", _fold(self.text))

    @property
    def fields(self) -> tuple[Field, ...]:
        """Where the term is looked for."""
        return ("authors",) if self.kind == "author" else FIELDS

    def __str__(self) -> str:
        plain = " " not in self.text and not self.text.startswith("-")
        plain = plain and not self.text.casefold().startswith(_AUTHOR_PREFIXES)
        quoted = self.text if plain else f'"{self.text}"'
        prefix = _AUTHOR_PREFIX if self.kind == "author" else ""
        return ("-" if self.negative else "") + prefix + quoted


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter: its terms in the order given, duplicates removed.

    ``str(filter)`` is the canonical text to store and list; ``parse(str(f)) == f``.
    """

    terms: tuple[Term, ...] = ()

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negative)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negative)

    @property
    def only_negative(self) -> bool:
        """True when every term is negative: every paper passes except the excluded ones."""
        return bool(self.terms) and not self.positive

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms)


@dataclass(frozen=True, slots=True)
class Hit:
    """A term found in a paper: where (``field``) and the text it matched there (as written)."""

    term: Term
    field: Field
    matched: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a paper passes a filter or not.

    ``hits`` are the positive terms found (one ``Hit`` per term, at its first place: title, then
    abstract, then authors); ``blocked_by`` the negative terms found. ``passes`` is the verdict.
    """

    passes: bool
    hits: tuple[Hit, ...] = field(default=())
    blocked_by: tuple[Hit, ...] = field(default=())

    def __str__(self) -> str:
        def show(hit: Hit) -> str:
            return f"{hit.term} in {hit.field} ({hit.matched!r})"

        if self.blocked_by:
            return "excluded: " + "; ".join(show(h) for h in self.blocked_by)
        if self.hits:
            return "kept: " + "; ".join(show(h) for h in self.hits)
        return "kept: no terms to match" if self.passes else "left out: no term matched"


# -- parsing ---------------------------------------------------------------------------------------------


def parse(text: str) -> Filter:
    """The filter written in ``text``; ``BadFilter`` when it cannot be accepted (see ``Reason``)."""
    raw = _tokens(unicodedata.normalize("NFKC", text))
    terms: list[Term] = []
    seen: dict[tuple[str, str], Term] = {}
    for negative, author, quoted, body in raw:
        words = " ".join(body.split())
        if not words:
            continue
        if len(words) > MAX_TERM_CHARS:
            raise BadFilter(Reason.TERM_TOO_LONG, words)
        kind: Kind = "author" if author else ("phrase" if quoted and " " in words else "keyword")
        term = Term(words, kind, negative)
        earlier = seen.get(term.key)
        if earlier is not None:
            if earlier.negative != term.negative:
                raise BadFilter(Reason.CONTRADICTORY, words)
            continue
        seen[term.key] = term
        terms.append(term)
    if not terms:
        raise BadFilter(Reason.EMPTY)
    if len(terms) > MAX_TERMS:
        raise BadFilter(Reason.TOO_MANY_TERMS, count=len(terms))
    return Filter(tuple(terms))


def _tokens(text: str) -> list[tuple[bool, bool, bool, str]]:
    """``(negative, author, quoted, body)`` for each white-space separated term of ``text``."""
    out: list[tuple[bool, bool, bool, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negative = text[i] == "-"
        if negative:
            i += 1
        prefix = next((p for p in _AUTHOR_PREFIXES if text[i : i + len(p)].casefold() == p), "")
        author = bool(prefix)
        i += len(prefix)
        if i < n and text[i] in _OPENING_QUOTES:
            close = next((j for j in range(i + 1, n) if text[j] in _CLOSING_QUOTES), -1)
            if close < 0:
                raise BadFilter(Reason.UNBALANCED_QUOTE, text[start:])
            body = text[i + 1 : close]
            i = close + 1
            if i < n and not text[i].isspace():
                end = _word_end(text, i)
                raise BadFilter(Reason.UNBALANCED_QUOTE, text[start:end])
            out.append((negative, author, True, body))
            continue
        end = _word_end(text, i)
        body = text[i:end]
        if any(c in _QUOTES for c in body):
            raise BadFilter(Reason.UNBALANCED_QUOTE, text[start:end])
        if len(body) > MAX_TERM_CHARS:
            raise BadFilter(Reason.TERM_TOO_LONG, body)
        out.append((negative, author, False, body))
        i = end
        if len(out) > 10 * MAX_TERMS:
            raise BadFilter(Reason.TOO_MANY_TERMS, count=len(text.split()))
    return out


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace():
        i += 1
    return i


# -- matching ----------------------------------------------------------------------------------------------


def matches(flt: Filter, paper: Paper) -> bool:
    """True when ``paper`` passes ``flt`` (an empty filter passes everything)."""
    texts = _paper_texts(paper)
    if any(_find(t, texts) is not None for t in flt.negative):
        return False
    positive = flt.positive
    return not positive or any(_find(t, texts) is not None for t in positive)


def explain(flt: Filter, paper: Paper) -> Explanation:
    """Which terms of ``flt`` were found in ``paper``, where, and the verdict."""
    texts = _paper_texts(paper)
    hits = tuple(h for t in flt.positive if (h := _find(t, texts)) is not None)
    blocked = tuple(h for t in flt.negative if (h := _find(t, texts)) is not None)
    passes = not blocked and (bool(hits) or not flt.positive)
    return Explanation(passes, hits, blocked)


def apply(flt: Filter, papers: Iterable[Paper]) -> list[Paper]:
    """The papers that pass ``flt``, in their order."""
    return [p for p in papers if matches(flt, p)]


def _paper_texts(paper: Paper) -> dict[Field, tuple[str, ...]]:
    return {"title": (paper.title,), "abstract": (paper.abstract,), "authors": tuple(paper.authors)}


def _find(term: Term, texts: dict[Field, tuple[str, ...]]) -> Hit | None:
    pattern = _pattern(term.kind, term.text)
    for name in term.fields:
        for original in texts[name]:
            folded, index = _folded(original)
            match = pattern.search(folded)
            if match is not None:
                start, end = index[match.start()], index[match.end() - 1] + 1
                return Hit(term, name, original[start:end])
    return None


@lru_cache(maxsize=4096)
def _pattern(kind: Kind, text: str) -> re.Pattern[str]:
    words = [w for w in _SEPARATORS.split(_fold(text)) if w]
    if kind == "author":
        body = r"\W+(?:\w+\W+)*?".join(_word(w, plural=False) for w in words)
    else:
        parts = [_word(w, plural=False) for w in words[:-1]] + [_word(words[-1], plural=True)]
        body = r"[\s\-‐‑‒–—]+".join(parts)
    return re.compile(body)


def _word(word: str, *, plural: bool) -> str:
    if _spaceless(word):
        return re.escape(word)
    core = re.escape(word)
    if plural:
        endings = ["s", "es"]
        if len(word) > 1 and word.endswith("y") and word[-2] not in "aeiou":
            core = f"(?:{core}|{re.escape(word[:-1])}ies)"
        core = f"{core}(?:{'|'.join(endings)})?"
    left = r"(?<!\w)" if word[0].isalnum() or word[0] == "_" else ""
    right = r"(?!\w)" if word[-1].isalnum() or word[-1] == "_" else ""
    return left + core + right


_SPACELESS = re.compile(
    r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]"
)


def _spaceless(word: str) -> bool:
    """True for words of scripts written without spaces (Thai, Japanese kana, CJK ideographs)."""
    return bool(_SPACELESS.search(word))


def _fold(text: str) -> str:
    return _folded(text)[0]


@lru_cache(maxsize=8192)
def _folded(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` case- and accent-folded, and for each folded character the index it came from."""
    chars: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        for d in unicodedata.normalize("NFKD", c):
            if unicodedata.combining(d):
                continue
            for f in d.casefold():
                chars.append(f)
                index.append(i)
    return "".join(chars), tuple(index)
