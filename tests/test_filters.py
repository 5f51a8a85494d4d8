"""/filter: the grammar, the canonical text, the matching and its explanation, and bad input."""

from __future__ import annotations

import pytest

from bot.errors import BadInput
from bot.filters import (
    MAX_TERM_CHARS,
    MAX_TERMS,
    BadFilter,
    Filter,
    Reason,
    Term,
    apply,
    explain,
    matches,
    parse,
)
from bot.models import AnnounceType, Paper


def make(
    title: str = "A paper",
    abstract: str = "We study things.",
    authors: tuple[str, ...] = ("Ada Lovelace",),
) -> Paper:
    return Paper(
        id="2606.00001",
        version=1,
        title=title,
        authors=authors,
        categories=("cs.LG",),
        primary_category="cs.LG",
        announce_type=AnnounceType.NEW,
        abstract=abstract,
    )


# -- grammar ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("graph", [Term("graph")]),
        ("graph  transformer", [Term("graph"), Term("transformer")]),
        ('"graph neural network"', [Term("graph neural network", "phrase")]),
        ("“graph neural network”", [Term("graph neural network", "phrase")]),
        ('"  graph   neural network "', [Term("graph neural network", "phrase")]),
        ('"single"', [Term("single")]),
        ("author:Hinton", [Term("Hinton", "author")]),
        ("AUTHOR:Hinton", [Term("Hinton", "author")]),
        ('author:"Geoffrey Hinton"', [Term("Geoffrey Hinton", "author")]),
        ("-survey", [Term("survey", negative=True)]),
        ('-"large language model"', [Term("large language model", "phrase", negative=True)]),
        ("-author:Smith", [Term("Smith", "author", negative=True)]),
        ("LLM llm Llm", [Term("LLM")]),
        ("LLM -survey", [Term("LLM"), Term("survey", negative=True)]),
        ("retrieval-augmented", [Term("retrieval-augmented")]),
        ("C++ -", [Term("C++")]),
        ("图神经网络", [Term("图神经网络")]),
        ('"-x"', [Term("-x")]),
        ("「graph neural network」", [Term("graph neural network", "phrase")]),
        ("『图 神经网络』", [Term("图 神经网络", "phrase")]),
        ("＂graph neural network＂", [Term("graph neural network", "phrase")]),
        ("”graph neural network”", [Term("graph neural network", "phrase")]),
        ("作者：张三", [Term("张三", "author")]),
        ("作者:张三", [Term("张三", "author")]),
        ("author：Hinton", [Term("Hinton", "author")]),
        ("-作者：「李 四」", [Term("李 四", "author", negative=True)]),
        ("－综述 ＬＬＭ", [Term("综述", negative=True), Term("LLM")]),
        ('"作者:x"', [Term("作者:x")]),
    ],
)
def test_grammar(text: str, terms: list[Term]) -> None:
    """Each form of term parses to its kind, sign and text; duplicates (any case) collapse."""
    assert list(parse(text).terms) == terms


@pytest.mark.parametrize(
    "text",
    [
        "graph",
        'LLM "graph neural network" author:Hinton -survey -author:Smith',
        'author:"Geoffrey Hinton" -"large language model"',
        '"-x" "author:y" C++',
        "“curly quotes” stay",
        "作者：张三 「图 神经网络」 -综述",
        '"作者:x"',
    ],
)
def test_canonical_text_round_trips(text: str) -> None:
    """str(filter) parses back to the same filter, and is stable."""
    flt = parse(text)
    assert parse(str(flt)) == flt
    assert str(parse(str(flt))) == str(flt)


def test_canonical_text_form() -> None:
    """The canonical text uses straight quotes, single spaces and the terms' order."""
    assert str(parse(' -survey   “graph neural  network”  AUTHOR:"Geoffrey  Hinton" ')) == (
        '-survey "graph neural network" author:"Geoffrey Hinton"'
    )


def test_only_negative_is_accepted() -> None:
    """A filter of negative terms alone keeps every paper but the excluded ones."""
    flt = parse("-survey")
    assert flt.only_negative
    assert matches(flt, make(title="Fast graph partitioning"))
    assert not matches(flt, make(title="A survey of graph partitioning"))


# -- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", Reason.EMPTY),
        ("   ", Reason.EMPTY),
        ('- "" author: -author:""', Reason.EMPTY),
        (" ".join(f"term{i}" for i in range(MAX_TERMS + 1)), Reason.TOO_MANY_TERMS),
        (" ".join(f"t{i}" for i in range(500)), Reason.TOO_MANY_TERMS),
        ("x" * (MAX_TERM_CHARS + 1), Reason.TERM_TOO_LONG),
        ("x" * 10_000, Reason.TERM_TOO_LONG),
        ('"' + "word " * 30 + '"', Reason.TERM_TOO_LONG),
        ('"graph neural network', Reason.UNBALANCED_QUOTE),
        ('graph neural network"', Reason.UNBALANCED_QUOTE),
        ('author:"Hinton', Reason.UNBALANCED_QUOTE),
        ('"graph"neural', Reason.UNBALANCED_QUOTE),
        ('gr"aph', Reason.UNBALANCED_QUOTE),
        ("“graph neural", Reason.UNBALANCED_QUOTE),
        ("「graph neural", Reason.UNBALANCED_QUOTE),
        ("『graph neural", Reason.UNBALANCED_QUOTE),
        ("＂graph neural", Reason.UNBALANCED_QUOTE),
        ("graph」neural", Reason.UNBALANCED_QUOTE),
        ("作者： -", Reason.EMPTY),
        ("LLM -llm", Reason.CONTRADICTORY),
        ("author:Smith -author:smith", Reason.CONTRADICTORY),
    ],
)
def test_bad_input(text: str, reason: Reason) -> None:
    """Refused input raises BadFilter, a BadInput with its reason, the limits and what is accepted."""
    with pytest.raises(BadFilter) as caught:
        parse(text)
    error = caught.value
    assert isinstance(error, BadInput)
    assert error.reason is reason
    assert (error.max_terms, error.max_term_chars) == (MAX_TERMS, MAX_TERM_CHARS)
    assert "author:Hinton" in str(error) and "-survey" in str(error)
    assert len(error.term) <= 40


def test_too_many_terms_counts_them() -> None:
    """The error for too many terms says how many were given."""
    with pytest.raises(BadFilter) as caught:
        parse(" ".join(f"t{i}" for i in range(60)))
    assert caught.value.count == 60
    assert "60 terms" in str(caught.value)


def test_exactly_the_limits_are_accepted() -> None:
    """MAX_TERMS terms of MAX_TERM_CHARS characters are accepted."""
    flt = parse(" ".join(f"{i:03d}" + "x" * (MAX_TERM_CHARS - 3) for i in range(MAX_TERMS)))
    assert len(flt.terms) == MAX_TERMS


# -- matching ----------------------------------------------------------------------------------------------

TITLE = "GNNs for Retrieval-Augmented Generation with LLMs"
ABSTRACT = (
    "Graph neural networks (GNNs) rank passages. We process queries with the GNNExplainer "
    "and report strategies for Über-scale données."
)
AUTHORS = ("Geoffrey E. Hinton", "Jürgen Müller", "Wei Zhang")


@pytest.mark.parametrize(
    ("text", "field", "matched"),
    [
        ("gnn", "title", "GNNs"),
        ("GNNs", "title", "GNNs"),
        ("llm", "title", "LLMs"),
        ("retrieval-augmented", "title", "Retrieval-Augmented"),
        ('"retrieval augmented generation"', "title", "Retrieval-Augmented Generation"),
        ('"graph neural network"', "abstract", "Graph neural networks"),
        ("network", "abstract", "networks"),
        ("process", "abstract", "process"),
        ("query", "abstract", "queries"),
        ("strategy", "abstract", "strategies"),
        ("uber", "abstract", "Über"),
        ("donnees", "abstract", "données"),
        ("hinton", "authors", "Hinton"),
        ("author:hinton", "authors", "Hinton"),
        ('author:"Geoffrey Hinton"', "authors", "Geoffrey E. Hinton"),
        ("author:muller", "authors", "Müller"),
        ("author:Jürgen", "authors", "Jürgen"),
    ],
)
def test_positive_match_and_where(text: str, field: str, matched: str) -> None:
    """A term matches case- and accent-insensitively on word boundaries, plurals included, and
    the explanation names the field and the text it matched."""
    flt = parse(text)
    paper = make(TITLE, ABSTRACT, AUTHORS)
    why = explain(flt, paper)
    assert why.passes and matches(flt, paper)
    (hit,) = why.hits
    assert (hit.field, hit.matched) == (field, matched)


@pytest.mark.parametrize(
    "text",
    [
        "gnnexplain",
        "explainer",
        "networ",
        "networks2",
        "llmss",
        "authors",
        "author:Müller-Lüdenscheidt",
        'author:"Hinton Geoffrey"',
        'author:"Geoffrey Zhang"',
        '"neural graph networks"',
    ],
)
def test_no_match(text: str) -> None:
    """Parts of words, other words, words of two different authors and out-of-order names do not match."""
    assert not matches(parse(text), make(TITLE, ABSTRACT, AUTHORS))


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ("GNN -survey", True),
        ("GNN -passages", False),
        ("-author:Zhang", False),
        ("transformer", False),
        ("transformer GNN", True),
        ("transformer -survey", False),
        ("-survey -review", True),
    ],
)
def test_pass_rule(text: str, passes: bool) -> None:
    """A paper passes with at least one positive term found (or none given) and no negative term."""
    assert matches(parse(text), make(TITLE, ABSTRACT, AUTHORS)) is passes
    assert explain(parse(text), make(TITLE, ABSTRACT, AUTHORS)).passes is passes


def test_explanation_names_every_term_found() -> None:
    """explain lists each positive term found and each negative term that excluded the paper."""
    paper = make(TITLE, ABSTRACT, AUTHORS)
    why = explain(parse("transformer llm author:Zhang -passage"), paper)
    assert not why.passes
    assert [(str(h.term), h.field) for h in why.hits] == [("llm", "title"), ("author:Zhang", "authors")]
    assert [(str(h.term), h.field, h.matched) for h in why.blocked_by] == [
        ("-passage", "abstract", "passages")
    ]
    assert str(why) == "excluded: -passage in abstract ('passages')"
    assert str(explain(parse("llm"), paper)) == "kept: llm in title ('LLMs')"
    assert str(explain(parse("transformer"), paper)) == "left out: no term matched"


def test_keyword_finds_author_names_but_author_term_only_authors() -> None:
    """A bare keyword is looked for in authors too; author: looks nowhere else."""
    paper = make(title="Hinton diagrams revisited", authors=("Ada Lovelace",))
    assert matches(parse("hinton"), paper)
    assert not matches(parse("author:hinton"), paper)


def test_spaceless_scripts_match_inside_text() -> None:
    """A Chinese term matches inside Chinese text, where words have no spaces between them."""
    assert matches(parse("神经网络"), make(title="基于图神经网络的推荐"))


def test_empty_filter_passes_everything() -> None:
    """The empty filter keeps every paper, in order."""
    papers = [make(title=f"Paper {i}") for i in range(3)]
    assert apply(Filter(), papers) == papers
    assert apply(parse("paper -2"), papers) == [papers[0], papers[1]]
