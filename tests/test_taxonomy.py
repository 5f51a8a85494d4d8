"""The category taxonomy: normalization, aliases, suggestions, parsing and autocomplete."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.errors import BadInput, UnknownCategory
from bot.taxonomy import (
    ALIASES,
    ARCHIVES,
    CATEGORIES,
    POPULAR,
    name_of,
    normalize,
    parse_categories,
    search,
    suggest,
)
from tests.paths import FIXTURES

# -- the table ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("archive", "count"),
    [
        ("astro-ph", 6),
        ("cond-mat", 9),
        ("cs", 40),
        ("econ", 3),
        ("eess", 4),
        ("math", 32),
        ("nlin", 5),
        ("physics", 22),
        ("q-bio", 10),
        ("q-fin", 9),
        ("stat", 6),
    ],
)
def test_archive_has_all_its_subject_classes(archive: str, count: int) -> None:
    """Each archive lists as many subject classes as arXiv's taxonomy page."""
    assert Counter(code.partition(".")[0] for code in CATEGORIES)[archive] == count


@pytest.mark.parametrize(
    "code", ["gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nucl-ex", "nucl-th", "quant-ph"]
)
def test_archives_without_subject_classes_are_categories(code: str) -> None:
    """Archives that have no subject classes are categories in their own right."""
    assert code in CATEGORIES


def test_table_size() -> None:
    """The table holds the 155 current codes, aliases included."""
    assert len(CATEGORIES) == 155


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("cs.DC", "Distributed, Parallel, and Cluster Computing"),
        ("cs.LG", "Machine Learning"),
        ("math.ST", "Statistics Theory"),
        ("hep-th", "High Energy Physics - Theory"),
        ("q-bio.NC", "Neurons and Cognition"),
        ("physics.data-an", "Data Analysis, Statistics and Probability"),
        ("astro-ph.CO", "Cosmology and Nongalactic Astrophysics"),
        ("q-fin.TR", "Trading and Market Microstructure"),
    ],
)
def test_official_names(code: str, name: str) -> None:
    """Names are arXiv's official ones."""
    assert CATEGORIES[code] == name


@pytest.mark.parametrize("code", sorted(CATEGORIES))
def test_every_code_is_well_formed_and_normalizes_to_a_canonical_code(code: str) -> None:
    """Every code in the table is accepted, and its canonical form is not itself an alias."""
    assert re.fullmatch(r"[a-z]+(-[a-z]+)?(\.[A-Za-z-]+)?", code)
    canonical = normalize(code)
    assert canonical in CATEGORIES
    assert canonical not in ALIASES


# -- aliases -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("math.IT", "cs.IT"),
        ("math.MP", "math-ph"),
        ("stat.TH", "math.ST"),
        ("cs.NA", "math.NA"),
        ("cs.SY", "eess.SY"),
        ("q-fin.EC", "econ.GN"),
    ],
)
def test_both_codes_of_an_alias_pair_give_the_canonical_one(alias: str, canonical: str) -> None:
    """Both codes of an alias pair are accepted and normalize to arXiv's canonical code."""
    assert ALIASES[alias] == canonical
    assert normalize(alias) == canonical
    assert normalize(canonical) == canonical
    assert name_of(alias) == name_of(canonical)


def test_alias_pairs_share_a_name() -> None:
    """An alias and its canonical code carry the same subject (same name, except econ.GN's prefix)."""
    for alias, canonical in ALIASES.items():
        assert CATEGORIES[alias] in CATEGORIES[canonical]


# -- normalize ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cs.DC", "cs.DC"),
        ("cs.dc", "cs.DC"),
        ("  CS.Dc\n", "cs.DC"),
        ("HEP-TH", "hep-th"),
        ("Q-BIO.NC", "q-bio.NC"),
        ("cond-mat.MES-HALL", "cond-mat.mes-hall"),
        ("physics.Optics", "physics.optics"),
        ("quant-ph", "quant-ph"),
        ("gr-qc", "gr-qc"),
        ("math.it", "cs.IT"),
        ("STAT.th", "math.ST"),
        ("astro-ph", "astro-ph"),
        ("CS", "cs"),
    ],
)
def test_normalize(given: str, expected: str) -> None:
    """Whitespace and case do not matter; aliases give the canonical code."""
    assert normalize(given) == expected


@pytest.mark.parametrize(
    "given", ["", "   ", "cs.DCC", "csDC", "cs-DC", "cs.", "cs.dc.dc", "math.XX", "hep", "cs.\u212aT"]
)
def test_normalize_rejects_what_is_not_a_code(given: str) -> None:
    """Anything that is not a code in some case is an UnknownCategory, a BadInput."""
    with pytest.raises(UnknownCategory) as caught:
        normalize(given)
    assert isinstance(caught.value, BadInput)
    assert caught.value.given == given.strip()


def test_normalize_error_suggests() -> None:
    """The error for a near miss names the closest valid code."""
    with pytest.raises(UnknownCategory) as caught:
        normalize("cs.DCC")
    assert caught.value.suggestions[0] == "cs.DC"
    assert "did you mean cs.DC" in str(caught.value)


@pytest.mark.parametrize("size", [10_000, 1_000_000])
def test_normalize_is_fast_and_short_for_huge_input(size: int) -> None:
    """A huge input is rejected with a short message."""
    with pytest.raises(UnknownCategory) as caught:
        normalize("cs.D" * (size // 4))
    assert len(str(caught.value)) < 300


# -- suggest -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "first"),
    [
        ("cs.DCC", "cs.DC"),
        ("cs.dcc", "cs.DC"),
        ("csDC", "cs.DC"),
        ("cs-DC", "cs.DC"),
        ("cs_dc", "cs.DC"),
        ("cs.D", "cs.DC"),
        ("cs.distributed", "cs.DC"),
        ("distributed", "cs.DC"),
        ("cs.dist", "cs.DC"),
        ("hep", "hep-th"),
        ("quant", "quant-ph"),
        ("stat.TX", "stat.TH"),
        ("learning", "cs.LG"),
        ("cond-mat.mes", "cond-mat.mes-hall"),
        ("qbio.nc", "q-bio.NC"),
        ("astroph.co", "astro-ph.CO"),
    ],
)
def test_suggest_first_choice(given: str, first: str) -> None:
    """The best suggestion for a near miss is the code meant."""
    assert suggest(given)[0] == first


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cs.D", ["cs.DC", "cs.DS", "cs.DB"]),
        ("distributed", ["cs.DC"]),
        ("learning", ["cs.LG", "stat.ML"]),
        ("hep", ["hep-th", "hep-ph", "hep-ex"]),
    ],
)
def test_suggest_lists(given: str, expected: list[str]) -> None:
    """Suggestions come best first, popular ones leading among equals."""
    assert suggest(given) == expected


@pytest.mark.parametrize("given", ["", "   ", "zzzzzzzz", "!!!", "0000.0000"])
def test_suggest_nothing_for_nonsense(given: str) -> None:
    """Nonsense gets no suggestion."""
    assert suggest(given) == []


@pytest.mark.parametrize("limit", [0, 1, 2, 5])
def test_suggest_respects_limit(limit: int) -> None:
    """No more than ``limit`` suggestions are returned."""
    assert len(suggest("cs.", limit)) == limit


def test_suggest_does_not_repeat_an_alias_pair() -> None:
    """An alias and its canonical code are never both suggested."""
    found = [normalize(code) for code in suggest("stat.T", 10)]
    assert len(found) == len(set(found))


def test_suggest_on_huge_input_suggests_nothing() -> None:
    """A 10,000-character input gets no suggestion (nothing is that close to a category)."""
    assert suggest("x" * 10_000) == []
    assert suggest("cs.DC" * 2_000) == []


# -- parse_categories --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["cs.DC"], ["cs.DC"]),
        (["cs.dc", "cs.LG"], ["cs.DC", "cs.LG"]),
        (["cs.DC,cs.LG"], ["cs.DC", "cs.LG"]),
        (["cs.DC+cs.LG+stat.ML"], ["cs.DC", "cs.LG", "stat.ML"]),
        (["cs.DC, cs.LG ,, hep-th"], ["cs.DC", "cs.LG", "hep-th"]),
        (["  cs.DC\tcs.LG\n"], ["cs.DC", "cs.LG"]),
        (["cs.LG", "cs.DC", "cs.lg"], ["cs.LG", "cs.DC"]),
        (["math.IT", "cs.IT"], ["cs.IT"]),
        (["stat.TH,math.ST"], ["math.ST"]),
    ],
)
def test_parse_categories(args: list[str], expected: list[str]) -> None:
    """Arguments are split on spaces, commas and '+', normalized and deduplicated in order."""
    assert parse_categories(args) == expected


@pytest.mark.parametrize("args", [[], [""], ["  "], [" , + ,"], ["", "\n"]])
def test_parse_categories_needs_one(args: list[str]) -> None:
    """No category at all is a BadInput that shows an example."""
    with pytest.raises(BadInput, match=r"give at least one category, e\.g\. cs\.DC") as caught:
        parse_categories(args)
    assert not isinstance(caught.value, UnknownCategory)


def test_parse_categories_reports_first_unknown_and_counts_the_rest() -> None:
    """The error names the first unknown code with suggestions and counts the other unknown ones."""
    with pytest.raises(UnknownCategory) as caught:
        parse_categories(["cs.DC cs.DCC", "foo+cs.LG", "bar"])
    error = caught.value
    assert error.given == "cs.DCC"
    assert error.suggestions[0] == "cs.DC"
    assert error.unknown == ["cs.DCC", "foo", "bar"]
    assert error.unknown_count == 3
    assert str(error).endswith("(and 2 more unknown categories)")


def test_parse_categories_message_stays_short_for_huge_input() -> None:
    """Tens of thousands of unknown tokens give a short message."""
    with pytest.raises(UnknownCategory) as caught:
        parse_categories(["nope " * 50_000, "x" * 100_000])
    assert len(str(caught.value)) < 300
    assert caught.value.unknown_count == 50_001
    assert len(caught.value.unknown) <= 20


# -- search ------------------------------------------------------------------------------------------


def test_search_empty_lists_popular() -> None:
    """An empty query lists the popular categories, cs.AI first."""
    found = search("", 5)
    assert [code for code, _ in found] == ["cs.AI", "cs.LG", "cs.CL", "cs.CV", "cs.DC"]
    assert found[0] == ("cs.AI", "Artificial Intelligence")


def test_search_empty_with_big_limit_fills_with_the_rest() -> None:
    """A limit beyond the popular list is filled with other categories, without repeats."""
    codes = [code for code, _ in search("", 100)]
    assert len(codes) == 100
    assert codes[: len(POPULAR)] == list(POPULAR)
    assert len(set(codes)) == 100


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("cs.d", "cs.DC"),
        ("CS.D", "cs.DC"),
        ("hep", "hep-th"),
        ("distributed", "cs.DC"),
        ("Neurons", "q-bio.NC"),
        ("hall", "cond-mat.mes-hall"),
        ("stat.th", "math.ST"),
        ("cs.lg", "cs.LG"),
    ],
)
def test_search_first_result(query: str, first: str) -> None:
    """The best match for a query comes first."""
    assert search(query)[0][0] == first


def test_search_code_prefix_before_names() -> None:
    """Codes starting with the query come before names containing it."""
    codes = [code for code, _ in search("ma", 60)]
    assert codes.index("math.PR") < codes.index("cs.LG")  # cs.LG: "Machine Learning"


def test_search_does_not_list_alias_codes() -> None:
    """Autocomplete lists canonical codes only."""
    codes = [code for code, _ in search("", 500)]
    assert not set(codes) & set(ALIASES)
    assert set(codes) == (set(CATEGORIES) - set(ALIASES)) | set(ARCHIVES)


@pytest.mark.parametrize(("query", "limit"), [("cs", 3), ("", 0), ("physics", 7), ("x" * 10_000, 25)])
def test_search_limit_and_huge_query(query: str, limit: int) -> None:
    """Results never exceed the limit; an over-long query matches nothing."""
    found = search(query, limit)
    assert len(found) <= limit
    if len(query) > 100:
        assert found == []


# -- name_of -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("cs.dc", "Distributed, Parallel, and Cluster Computing"),
        ("math.MP", "Mathematical Physics"),
        ("astro-ph", "Astrophysics"),
        ("quant-ph", "Quantum Physics"),
    ],
)
def test_name_of(code: str, name: str) -> None:
    """name_of accepts any spelling of a code."""
    assert name_of(code) == name


def test_name_of_unknown() -> None:
    """name_of an unknown code raises UnknownCategory."""
    with pytest.raises(UnknownCategory):
        name_of("cs.XX")


# -- the recorded payloads ---------------------------------------------------------------------------

_TERM = re.compile(r'(?:primary_category|category)[^>]*?term=\\?"([^"\\]+)')
_RSS_CATEGORY = re.compile(r"<category>([^<]+)</category>")
_CODE_LIKE = re.compile(r"[a-z]+(-[a-z]+)?(\.[A-Za-z-]+)?")


def _fixture_categories() -> set[str]:
    found: set[str] = set()
    for path in (FIXTURES / "arxiv_api").rglob("*"), (FIXTURES / "arxiv_rss").rglob("*"):
        for file in path:
            if not file.is_file() or file.suffix not in {".xml", ".json"}:
                continue
            text = file.read_text(encoding="utf-8", errors="replace")
            found.update(_TERM.findall(text))
            found.update(_RSS_CATEGORY.findall(text))
    return {term for term in found if _CODE_LIKE.fullmatch(term)}


def test_every_category_in_the_recorded_payloads_is_known() -> None:
    """Every category code in the recorded arXiv responses and feeds normalizes."""
    categories = _fixture_categories()
    assert {"cs.SE", "math.ST", "astro-ph", "q-bio.QM", "cond-mat.str-el", "stat.ML"} <= categories
    unknown = []
    for code in sorted(categories):
        try:
            normalize(code)
        except UnknownCategory:
            unknown.append(code)
    assert unknown == []
