"""Chinese names of the categories: the table, names in a chat's language, and Chinese search."""

from __future__ import annotations

import re
import unicodedata

import opencc
import pytest

from bot.errors import UnknownCategory
from bot.taxonomy import ALIASES, ARCHIVES, CATEGORIES, NAMES_ZH, name_of, normalize, search, suggest

_EVERY_CODE = sorted({*CATEGORIES, *ARCHIVES})
# Latin letters a Chinese name may keep: the K of K-theory (math.KT, K理论).
_ACRONYMS = {"K"}
_CHINESE_PUNCTUATION = set("、，（）")


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


# -- the table ---------------------------------------------------------------------------------------


def test_every_code_has_a_chinese_name() -> None:
    """NAMES_ZH names every category (aliases included) and every archive, and nothing else."""
    assert set(NAMES_ZH) == set(CATEGORIES) | set(ARCHIVES)
    assert len(NAMES_ZH) == 166


@pytest.mark.parametrize("code", _EVERY_CODE)
def test_chinese_name_is_written_in_chinese(code: str) -> None:
    """A name is Han characters and full-width punctuation: no spaces, no ASCII punctuation, no
    Latin letters but accepted acronyms."""
    name = NAMES_ZH[code]
    assert any(_is_han(char) for char in name)
    assert _is_han(name[-1])
    assert set(re.findall(r"[A-Za-z]+", name)) <= _ACRONYMS
    letters = "".join(_ACRONYMS)
    stray = [char for char in name if not (_is_han(char) or char in _CHINESE_PUNCTUATION or char in letters)]
    assert stray == []


@pytest.mark.parametrize("code", _EVERY_CODE)
def test_a_list_in_a_name_uses_the_enumeration_comma(code: str) -> None:
    """Where the English name lists fields with commas, the Chinese one separates them with one 、."""
    english = {**CATEGORIES, **ARCHIVES}[code]
    assert NAMES_ZH[code].count("、") == (1 if "," in english else 0)


def test_distinct_subjects_have_distinct_chinese_names() -> None:
    """Two listed codes share a Chinese name only where arXiv gives them the same English name."""
    listed = [code for code in _EVERY_CODE if code not in ALIASES]
    english = {**CATEGORIES, **ARCHIVES}
    for index, code in enumerate(listed):
        for other in listed[index + 1 :]:
            assert (NAMES_ZH[code] == NAMES_ZH[other]) == (english[code] == english[other]), (code, other)


def test_alias_pairs_share_a_chinese_name() -> None:
    """An alias's Chinese name is its canonical code's (or part of it, as 经济学 of 一般经济学)."""
    for alias, canonical in ALIASES.items():
        assert NAMES_ZH[alias] in NAMES_ZH[canonical]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("cs.DC", "分布式、并行与集群计算"),
        ("cs.CV", "计算机视觉与模式识别"),
        ("cs.CL", "计算与语言"),
        ("cs.LG", "机器学习"),
        ("cs.AI", "人工智能"),
        ("cs.CR", "密码学与安全"),
        ("cs.DS", "数据结构与算法"),
        ("cs.SE", "软件工程"),
        ("cs.NI", "网络与互联网体系结构"),
        ("stat.ML", "机器学习"),
        ("math.OC", "优化与控制"),
        ("math.PR", "概率论"),
        ("quant-ph", "量子物理"),
        ("hep-th", "高能物理理论"),
        ("cond-mat.mtrl-sci", "材料科学"),
        ("physics.data-an", "数据分析、统计与概率"),
        ("eess.SP", "信号处理"),
        ("q-bio.NC", "神经元与认知"),
        ("cs", "计算机科学"),
        ("astro-ph", "天体物理学"),
    ],
)
def test_well_known_chinese_names(code: str, name: str) -> None:
    """Well-known categories carry the terms Chinese researchers use."""
    assert NAMES_ZH[code] == name
    assert name_of(code, "zh") == name


# -- name_of -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("zh", "分布式、并行与集群计算"),
        ("zh-CN", "分布式、并行与集群计算"),
        ("zh_cn", "分布式、并行与集群计算"),
        ("zh-SG", "分布式、并行与集群计算"),
        ("zh-Hans", "分布式、并行与集群计算"),
        ("zh-hans", "分布式、并行与集群计算"),
        ("zh-Hans-TW", "分布式、并行与集群计算"),
        (" ZH ", "分布式、并行与集群计算"),
        ("zh-TW", "分佈式、並行與集群計算"),
        ("zh-Hant", "分佈式、並行與集群計算"),
        ("zh-hant-tw", "分佈式、並行與集群計算"),
        ("zh-HK", "分佈式、並行與集羣計算"),
        ("zh_MO", "分佈式、並行與集羣計算"),
        ("zh-Hant-HK", "分佈式、並行與集羣計算"),
        ("en", "Distributed, Parallel, and Cluster Computing"),
        ("en-US", "Distributed, Parallel, and Cluster Computing"),
        ("ja", "Distributed, Parallel, and Cluster Computing"),
        ("", "Distributed, Parallel, and Cluster Computing"),
        ("zhx", "Distributed, Parallel, and Cluster Computing"),
        ("chinese", "Distributed, Parallel, and Cluster Computing"),
        ("中文", "Distributed, Parallel, and Cluster Computing"),
    ],
)
def test_name_of_in_a_language(language: str, name: str) -> None:
    """Chinese tags get the Chinese name in their script (Simplified, or Taiwan's or Hong Kong's
    Traditional forms); every other tag gets arXiv's English name."""
    assert name_of("cs.DC", language) == name


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("cs.LG", "zh-TW", "機器學習"),
        ("cs.AI", "zh-TW", "人工智能"),
        ("cs.DB", "zh-Hant", "數據庫"),
        ("q-bio.PE", "zh-HK", "種羣與進化"),
        ("math.CV", "zh-TW", "複變函數"),
        ("math.OA", "zh-TW", "算子代數"),
        ("stat.TH", "zh-TW", "統計理論"),
    ],
)
def test_traditional_names(code: str, language: str, name: str) -> None:
    """Traditional names are the same terms in Traditional characters, aliases included."""
    assert name_of(code, language) == name


@pytest.mark.parametrize("language", ["zh-TW", "zh-HK"])
def test_traditional_names_change_characters_only(language: str) -> None:
    """Every Traditional name converts back to its Simplified name: characters change, terms do not."""
    to_simplified = opencc.OpenCC("t2s.json")
    for code in _EVERY_CODE:
        traditional = name_of(code, language)
        assert to_simplified.convert(traditional) == name_of(code, "zh")


def test_traditional_names_differ_from_simplified() -> None:
    """A name with simplified characters is shown in Traditional ones to zh-TW chats."""
    changed = [code for code in _EVERY_CODE if name_of(code, "zh-TW") != name_of(code, "zh")]
    assert "cs.LG" in changed
    assert "physics.optics" in changed  # 光学 → 光學
    assert "math.FA" not in changed  # 泛函分析 is written alike


@pytest.mark.parametrize(("alias", "canonical"), sorted(ALIASES.items()))
def test_name_of_an_alias_in_chinese(alias: str, canonical: str) -> None:
    """An alias names its canonical category in Chinese too."""
    assert name_of(alias, "zh") == name_of(canonical, "zh") == NAMES_ZH[canonical]


def test_name_of_unknown_in_chinese() -> None:
    """An unknown code is an UnknownCategory in any language."""
    with pytest.raises(UnknownCategory):
        name_of("cs.XX", "zh")


# -- search and suggest ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("机器学习", ["cs.LG", "stat.ML"]),
        ("視覺", ["cs.CV"]),
        ("视觉", ["cs.CV"]),
        ("分布式", ["cs.DC"]),
        ("集群", ["cs.DC"]),
        ("高能 理论", ["hep-th"]),
        ("高能\u3000理论", ["hep-th"]),
        ("量子", ["quant-ph", "cond-mat.quant-gas", "math.QA", "gr-qc"]),
    ],
)
def test_search_by_chinese_name(query: str, expected: list[str]) -> None:
    """A query in Chinese (Simplified or Traditional) finds the categories whose Chinese name holds
    every part of it, names starting with it first, popular ones leading among those."""
    assert [code for code, _ in search(query, 25)] == expected


@pytest.mark.parametrize(("query", "first"), [("经济学", "econ"), ("物理学", "physics"), ("統計學", "stat")])
def test_search_puts_the_exact_chinese_name_first(query: str, first: str) -> None:
    """The category named exactly by the query comes first."""
    assert search(query)[0][0] == first


@pytest.mark.parametrize(
    ("query", "language", "expected"),
    [
        ("机器学习", "zh", [("cs.LG", "机器学习"), ("stat.ML", "机器学习")]),
        ("機器學習", "zh-TW", [("cs.LG", "機器學習"), ("stat.ML", "機器學習")]),
        ("cs.dc", "zh-CN", [("cs.DC", "分布式、并行与集群计算")]),
        ("cs.dc", "en", [("cs.DC", "Distributed, Parallel, and Cluster Computing")]),
        ("视觉", "fr", [("cs.CV", "Computer Vision and Pattern Recognition")]),
    ],
)
def test_search_labels_in_a_language(query: str, language: str, expected: list[tuple[str, str]]) -> None:
    """Search labels each code with its name in the language asked for."""
    assert search(query, 25, language=language) == expected


def test_search_empty_in_chinese_lists_popular_with_chinese_names() -> None:
    """An empty query lists the popular categories, named in Chinese for a Chinese chat."""
    assert search("", 3, "zh") == [("cs.AI", "人工智能"), ("cs.LG", "机器学习"), ("cs.CL", "计算与语言")]


def test_search_keeps_english_labels_by_default() -> None:
    """Without a language, labels stay arXiv's English names, for Chinese queries too."""
    assert search("机器学习", 1) == [("cs.LG", "Machine Learning")]


@pytest.mark.parametrize("query", ["机" * 10_000, "中文", "！！", "。", "\ud800", "\U0001f600"])
def test_search_chinese_that_names_nothing(query: str) -> None:
    """Chinese text found in no name, far too long to be one, or not text at all finds nothing."""
    assert search(query) == []
    assert suggest(query) == []


def test_search_ignores_a_lone_surrogate_in_chinese() -> None:
    """A lone surrogate (as broken client input may carry) does not hide the name around it."""
    assert [code for code, _ in search("视\ud800觉")] == ["cs.CV"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("机器学习", ["cs.LG", "stat.ML"]), ("視覺", ["cs.CV"]), ("中文", []), ("机" * 10_000, [])],
)
def test_suggest_from_a_chinese_name(given: str, expected: list[str]) -> None:
    """A Chinese name typed where a code belongs suggests the codes it names."""
    assert suggest(given) == expected


def test_normalize_a_chinese_name_suggests_its_code() -> None:
    """A Chinese name is not a code; the error suggests the code it names."""
    with pytest.raises(UnknownCategory) as caught:
        normalize("分布式、并行与集群计算")
    assert caught.value.suggestions == ["cs.DC"]
