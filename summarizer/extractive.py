"""The extractive summary: the abstract's own sentences that state the contribution and the result.

Used when no LLM is configured and as the per-paper fallback of the LLM summarizer. It stays in the
abstract's language; ``summary_source`` is ``"extractive"`` so renderers can mark it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from bot.models import Paper
from bot.summary import Progress
from summarizer.safety import cap_length, clean

_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "et",
        "al",
        "cf",
        "vs",
        "viz",
        "approx",
        "resp",
        "fig",
        "figs",
        "eq",
        "eqs",
        "sec",
        "secs",
        "ref",
        "refs",
        "tab",
        "tabs",
        "no",
        "nos",
        "vol",
        "pp",
        "ch",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "ca",
        "incl",
        "min",
        "max",
        "avg",
        "std",
        "var",
        "thm",
        "lem",
        "prop",
        "def",
        "cor",
        "appx",
        "eqn",
        "eqns",
        "alg",
    ]
)
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[A-Z0-9(\[\"'“‘$\\])|[。！？]\s*")
_LAST_TOKEN = re.compile(r"(\S+)$")
_INITIALISM = re.compile(r"^(?:[a-z]\.)+[a-z]$|^[a-z]$")
_MONTHS = frozenset(["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"])
_LEADING_LABEL = re.compile(
    r"^\s*(?:arXiv:\S+\s+Announce Type:\s*\S+\s+)?(?:Abstract|Summary)\s*[:.]\s*", re.IGNORECASE
)

_GAP = (
    r"(?:(?:also|further|then|first|here|therefore|thus|hence|now|can|will|would|could|may|must|shall|"
    r"do|did|have|has|had|to|additionally|finally|next|herein|\w+ly),?\s+){0,2}?"
)
"""Words that may stand between "we" and the verb: auxiliaries and adverbs ("we also propose")."""
_CONTRIBUTION = re.compile(
    r"\b(?:we|this (?:paper|work|article|letter|study|note|thesis|report)|here,? we|our (?:work|paper))\s+"
    + _GAP
    + r"(?:propose|present|introduce|develop|design|describe|formulate|extend|construct|"
    r"build|derive|establish|prove|devise|put forward|contribute|release|provide)\w*",
    re.IGNORECASE,
)
_STUDY = re.compile(
    r"\b(?:we|this (?:paper|work|study))\s+" + _GAP + r"(?:study|investigate|analy[sz]e|examine|explore|"
    r"consider|address|tackle|apply|use|employ|leverage|model|compute|calculate|measure|evaluate)\w*",
    re.IGNORECASE,
)
_RESULT = re.compile(
    r"\b(?:results?|experiments?|evaluations?|simulations?|benchmarks?|analys[ie]s|findings|"
    r"observations|measurements|studies|study)\b[^.;]{0,60}?\b(?:show|demonstrate|indicate|suggest|reveal|"
    r"confirm|verify|validate|prove|highlight)\w*"
    r"|\bachiev\w*|\b(?:improv|reduc|increas|speed|accelerat|cut|lower|boost)\w*[^.;]{0,50}\bby\s+"
    r"(?:up to\s+|about\s+|over\s+)?\d"
    r"|\bwe\s+" + _GAP + r"(?:show|demonstrate|find|found|observe|conclude|achieve|obtain|report)\w*"
    r"|\b(?:outperform|surpass|exceed)\w*|\bstate[- ]of[- ]the[- ]art\b",
    re.IGNORECASE,
)
_RESULT_WORDS = re.compile(
    r"\b(?:achiev|improv|reduc|accelerat|speed[- ]?up|faster|slower|higher|lower|better|gain|boost|"
    r"significant|substantial|accura|effective|efficien|robust|generaliz|up to|compared (?:to|with)|"
    r"relative to|baseline)\w*",
    re.IGNORECASE,
)
_CJK_CONTRIBUTION = re.compile(
    r"(?:本文|我们|本研究|该文|本论文)[^。]{0,10}?(?:提出|设计|开发|介绍|构建|建立|给出)"
)
_CJK_RESULT = re.compile(
    r"(?:结果|实验|评估|仿真|测试)[^。]{0,10}?(?:表明|显示|证明|说明)|优于|提升|提高|降低|加速"
)
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s*(?:%|percent\b|个百分点)", re.IGNORECASE)
_MULTIPLIER = re.compile(r"\d+(?:\.\d+)?\s*(?:×|x\b|times\b|倍)", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_BOILERPLATE = re.compile(
    r"\b(?:code|data(?:set)?s?|models?|implementation|software|supplementary|demo|project page|"
    r"weights)\b[^.]{0,40}\b(?:is|are|will be|has been|have been)\s+(?:\w+\s+){0,2}?(?:available|released|"
    r"open[- ]sourced|accessible)|\bgithub\b|\baccepted (?:at|to|by|for)\b|\bcomments?:|"
    r"\b\d+ pages\b|代码[^。]{0,10}(?:开源|公开)",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^(?:\w+,?\s+)?(?:we\s+)?(?:further|also|additionally|moreover|furthermore|finally)\b", re.I
)
_BACKGROUND = re.compile(
    r"^(?:however|recently|in recent years|nowadays|over the past|despite|although|while)\b|"
    r"\b(?:has|have) (?:become|attracted|gained|emerged|received)\b|\bplays? an? (?:important|crucial|key|"
    r"central|vital) role\b",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, not split at abbreviations ("e.g.", "Fig. 3", "et al."), initials or
    decimals ("3.5"); Chinese and Japanese split at 。！？."""
    text = re.sub(r"\s+", " ", text).strip()
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        piece = text[start : match.start() + 1]
        if match.group().startswith(".") and _is_abbreviation(piece):
            continue
        sentence = text[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def unique(sentences: Sequence[str]) -> list[str]:
    """The sentences without repeats (compared ignoring case, spacing and punctuation), first kept."""
    seen: set[str] = set()
    out: list[str] = []
    for sentence in sentences:
        key = re.sub(r"[\W_]+", "", sentence.casefold())
        if key and key in seen:
            continue
        seen.add(key)
        out.append(sentence)
    return out


def _is_abbreviation(piece_with_period: str) -> bool:
    match = _LAST_TOKEN.search(piece_with_period[:-1])
    if match is None:
        return False
    token = match.group(1).lstrip("([\"'“‘").lower()
    if (
        token in _ABBREVIATIONS
        or token in _MONTHS
        or (token == "al" and piece_with_period[:-1].lower().endswith("et al"))
    ):
        return True
    return bool(_INITIALISM.match(token))


@dataclass(frozen=True, slots=True)
class _Scored:
    index: int
    text: str
    score: float
    contribution: bool
    result: bool
    proposes: bool = False


def _score(index: int, count: int, sentence: str) -> _Scored:
    contribution = bool(_CONTRIBUTION.search(sentence) or _CJK_CONTRIBUTION.search(sentence))
    study = bool(_STUDY.search(sentence))
    result = bool(_RESULT.search(sentence) or _CJK_RESULT.search(sentence))
    score = 0.0
    if contribution:
        score += 3.0
    elif study:
        score += 2.0
    if result:
        score += 3.0
    score += min(len(_RESULT_WORDS.findall(sentence)), 3) * 0.75
    if _PERCENT.search(sentence):
        score += 1.5
    elif _MULTIPLIER.search(sentence):
        score += 1.0
    elif _NUMBER.search(sentence):
        score += 0.5
    if _BOILERPLATE.search(sentence):
        score -= 6.0
    if _BACKGROUND.search(sentence):
        score -= 1.0
    if _FOLLOW_UP.search(sentence):
        score -= 0.5
    if index == 0:
        score += 0.5
    if index == count - 1 and count > 2:
        score += 0.25
    if len(sentence) < 30:
        score -= 1.5
    elif len(sentence) > 350:
        score -= 1.0
    return _Scored(index, sentence, score, contribution or study, result, proposes=contribution)


def _joined(sentences: Sequence[str]) -> str:
    out = ""
    for sentence in sentences:
        if out and not re.search(r"[。！？]$", out):
            out += " "
        out += sentence
    return out


_COMPLEMENT_BONUS = 1.5
"""A selection stating both a contribution and a result is worth this much more."""
_PROPOSAL_BONUS = 2.0
"""A selection holding the sentence that introduces the paper's contribution is worth this much more."""
_MAX_CANDIDATES = 24


def _value(selection: Sequence[_Scored]) -> float:
    value = sum(item.score for item in selection)
    if any(item.contribution for item in selection) and any(
        item.result and not item.contribution for item in selection
    ):
        value += _COMPLEMENT_BONUS
    if any(item.proposes for item in selection):
        value += _PROPOSAL_BONUS
    return value


def extract(abstract: str, max_sentences: int = 2, max_chars: int = 400) -> str:
    """The sentences of ``abstract`` that best state its contribution and result, in their original
    order: at most ``max_sentences`` and ``max_chars`` characters, cleaned to plain text."""
    flat = " ".join(abstract.split())
    text = clean(_LEADING_LABEL.sub("", flat), max_chars=100_000, keep_lone_tags=True)
    sentences = unique(split_sentences(text))
    if not sentences:
        return ""
    scored = [_score(i, len(sentences), s) for i, s in enumerate(sentences)]
    first_proposal = next((item for item in scored if item.proposes), None)
    if first_proposal is not None:
        scored[first_proposal.index] = replace(first_proposal, score=first_proposal.score + 1.0)
    ranked = sorted(scored, key=lambda item: (-item.score, item.index))[:_MAX_CANDIDATES]
    best: tuple[_Scored, ...] = ()
    best_key: tuple[float, int, tuple[int, ...]] = (float("-inf"), 0, ())
    for size in range(1, max(1, max_sentences) + 1):
        for selection in combinations(ranked, size):
            if size > 1 and any(item.score <= 0 for item in selection):
                continue
            if sum(len(item.text) for item in selection) + size - 1 > max_chars:
                continue
            order = tuple(sorted(item.index for item in selection))
            key = (_value(selection), -size, tuple(-i for i in order))
            if key > best_key:
                best, best_key = selection, key
    if not best:
        top = max(scored, key=lambda item: (item.score, -item.index))
        return cap_length(top.text, max_chars)
    return _joined([item.text for item in sorted(best, key=lambda item: item.index)])


class ExtractiveSummarizer:
    """Summarizes every paper extractively (``summary_source: extractive``); no I/O."""

    def __init__(self, max_sentences: int = 2, max_chars: int = 400) -> None:
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    async def close(self) -> None:
        """Nothing to release."""

    def summarize_one(self, paper: Paper) -> Paper:
        """The paper with its extractive summary (source ``none`` when it has no abstract)."""
        text = extract(paper.abstract, self.max_sentences, self.max_chars)
        if not text:
            return paper.with_summary("", "none")
        return paper.with_summary(text, "extractive")

    async def summarize(
        self, papers: Sequence[Paper], language: str, progress: Progress | None = None
    ) -> list[Paper]:
        """Extractive summaries in each abstract's own language (``language`` is not used)."""
        out: list[Paper] = []
        for paper in papers:
            out.append(self.summarize_one(paper))
            if progress is not None:
                progress(1)
        return out
