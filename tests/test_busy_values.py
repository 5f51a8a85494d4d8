"""Busy days, the pure parts: a chat's settings and selection, paging a day, the header's counts,
rendering only the papers shown in full, and the command arguments."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.commands import could_exist, mostly_latin, parse_paper_id, parse_top, parse_types
from bot.models import ChatKey, ChatSettings, Digest, Feedback, Selection
from bot.render import count_value, more_text, numbered, render_json, render_markdown, render_text
from tests.factories import digest, paper

CHAT = ChatKey("test", "1")


# -- settings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "types"),
    [
        ({}, ("new", "cross")),
        ({"include_replacements": False}, ("new", "cross")),
        ({"include_replacements": True}, ("new", "cross", "replace")),
        ({"types": ["replace", "new"]}, ("new", "replace")),
        ({"types": ["cross", "cross", "bogus"]}, ("cross",)),
        ({"types": [], "include_replacements": True}, ()),
    ],
)
def test_announce_types_read_from_old_and_new_settings(
    stored: dict[str, Any], types: tuple[str, ...]
) -> None:
    """Settings stored before /types existed read their include_replacements as types; new ones
    read their types in canonical order, unknown names dropped."""
    settings = ChatSettings.from_dict({"platform": "test", "chat_id": "1", **stored})
    assert settings.types == types
    assert settings.include_replacements == ("replace" in types)
    assert ChatSettings.from_dict(settings.to_dict()) == settings


@pytest.mark.parametrize(
    ("stored", "default", "top"),
    [
        (None, 10, 10),
        (5, 10, 5),
        ("all", 10, None),
        (0, 10, 10),
        (-3, 10, 10),
        (True, 10, 10),
        ("7", 10, 10),
        (None, 3, 3),
    ],
)
def test_top_falls_back_to_the_deployment_default(stored: Any, default: int, top: int | None) -> None:
    """A chat's top is its own number, all (None), or the deployment's DEFAULT_TOP when unset or
    unreadable."""
    settings = ChatSettings.from_dict({"platform": "test", "chat_id": "1", "top": stored})
    assert settings.top_or(default) == top
    assert settings.selection((), default).top == top


def test_selection_key_groups_chats_that_want_the_same() -> None:
    """Two chats with the same taste share a build whatever the time of their votes or their top;
    another vote, interests text, filter or type makes another group; interests' spacing does not."""
    liked = Feedback("2606.00001", 1, "t", "a", at=1.0)
    base = Selection(interests="speech recognition", feedback=(liked,), top=10)
    assert base.key == replace(base, feedback=(replace(liked, at=99.0),)).key
    assert base.key == replace(base, interests=" speech  recognition ").key == replace(base, top=5).key
    for other in (
        replace(base, feedback=(replace(liked, vote=-1),)),
        replace(base, interests="speech synthesis"),
        replace(base, filters="LLM"),
        replace(base, types=("new",)),
    ):
        assert other.key != base.key
    assert base.ranked and not Selection().ranked and Selection(feedback=(liked,)).ranked


# -- paging a day ------------------------------------------------------------------------------------------


def day(n: int, updated: int = 0) -> Digest:
    """A day of ``n`` matching papers (and ``updated`` replacements after them), in the chat's order."""
    main = [paper(i) for i in range(1, n + 1)]
    rest = [paper(i) for i in range(n + 1, n + updated + 1)]
    return replace(digest(main, rest), matched=n + updated, announced=n + updated + 5)


def numbers(ids: list[str]) -> list[int]:
    return [int(i.split(".")[1]) for i in ids]


@pytest.mark.parametrize(
    ("received", "skip", "size", "shown", "first", "remaining"),
    [
        ((), (), 10, list(range(1, 11)), 1, 20),
        (range(1, 11), (), 10, list(range(11, 21)), 11, 10),
        ((2, 5), (), 3, [1, 3, 4], 3, 25),
        (range(1, 31), (), 10, [], 31, 0),
        (range(1, 28), (), 10, [28, 29, 30], 28, 0),
        ((), range(1, 21), 10, list(range(21, 31)), 1, 20),
        ((1, 2), range(1, 21), 10, list(range(21, 31)), 3, 18),
        ((), (), None, list(range(1, 31)), 1, 0),
        ((99,), (), 2, [1, 2], 1, 28),
    ],
)
def test_next_page(
    received: Any, skip: Any, size: int | None, shown: list[int], first: int, remaining: int
) -> None:
    """The next page holds the first ``size`` papers neither received nor offered, numbered after
    the papers received, and counts what is left of the day (offered papers included: /more
    reaches them); ids outside the day change nothing."""
    ids = {f"2609.{n:05d}" for n in received}
    offered = {f"2609.{n:05d}" for n in skip}
    page = day(30).next_page(ids, size, skip=offered)
    assert numbers(page.paper_ids()) == shown
    assert page.full == page.all_papers
    assert (page.first, page.matched, page.announced, page.remaining) == (first, 30, 35, remaining)


def test_next_page_keeps_the_updated_section() -> None:
    """A page reaching past the new papers takes replacements into its own updated section."""
    page = day(3, updated=4).next_page({"2609.00001"}, 4)
    assert numbers(page.paper_ids()) == [2, 3, 4, 5]
    assert numbers([p.id for p in page.updated]) == [4, 5]
    assert [n for n, _ in numbered(page)] == [2, 3, 4, 5]


# -- the header and the papers shown -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("announced", "matched", "shown", "first", "en", "zh"),
    [
        (None, None, None, 1, "30", "30 篇"),
        (30, 30, None, 1, "30", "30 篇"),
        (30, 30, 10, 1, "10 (of 30 announced)", "10 篇（当日发布 30 篇）"),
        (400, 30, 10, 1, "10 (of 30 matching, 400 announced)", "10 篇（匹配 30 篇，当日发布 400 篇）"),
        (400, 30, None, 1, "30 (of 30 matching, 400 announced)", "30 篇（匹配 30 篇，当日发布 400 篇）"),
        (30, 30, None, 11, "30 (of 30 announced)", "30 篇（当日发布 30 篇）"),
    ],
)
def test_count_line(
    announced: int | None, matched: int | None, shown: int | None, first: int, en: str, zh: str
) -> None:
    """The count keeps the reference's "N 篇" and adds how many matched and were announced when the
    digest does not show the whole day."""
    papers = [paper(i) for i in range(1, 31)]
    for language, expected in (("en", en), ("zh", zh)):
        shaped = replace(
            digest(papers, language=language), announced=announced, matched=matched, shown=shown, first=first
        )
        assert count_value(shaped) == expected


def busy(language: str = "en") -> Digest:
    """A day of 30 matching papers (35 announced), the first 10 shown in full and summarized."""
    papers = [paper(i, summary=f"Summary {i}.", source="llm") if i <= 10 else paper(i) for i in range(1, 31)]
    ranked = [replace(p, relevance=round(1 - i / 100, 2)) for i, p in enumerate(papers)]
    return replace(digest(ranked, language=language), announced=35, matched=30, shown=10)


@pytest.mark.parametrize("render", [render_text, render_markdown])
@pytest.mark.parametrize(
    ("language", "count", "more"),
    [
        ("en", "10 (of 30 matching, 35 announced)", "20 more papers of this day: /more"),
        ("zh", "10 篇（匹配 30 篇，当日发布 35 篇）", "当天还有 20 篇：/more"),
    ],
)
def test_text_and_markdown_show_the_top_and_count_the_rest(
    render: Any, language: str, count: str, more: str
) -> None:
    """Text and Markdown show the papers shown in full, say how many were announced, matched and
    shown, and end with the count of the rest and /more."""
    text = render(busy(language))
    assert count in text and more in text
    assert "Paper number 10" in text and "Paper number 11" not in text
    assert text.rstrip().endswith(more)


def test_a_later_page_continues_the_numbering() -> None:
    """A page starting at the 11th paper of the day numbers its papers 11, 12, …"""
    page = replace(busy(), first=11, shown=None).next_page(set(), 3)
    text = render_text(replace(page, first=11))
    assert "11. Paper number 1" in text and "13. Paper number 3" in text
    assert more_text(replace(page, first=11)) == "17 more papers of this day: /more"


def test_json_lists_every_matching_paper_ranked() -> None:
    """JSON lists every matching paper with its relevance, announced and matched; papers past the top
    carry no summary."""
    data = json.loads(render_json(busy()))
    assert (data["announced"], data["matched"], len(data["papers"])) == (35, 30, 30)
    relevance = [p["relevance"] for p in data["papers"]]
    assert relevance == sorted(relevance, reverse=True)
    assert {p["summary_source"] for p in data["papers"][:10]} == {"llm"}
    assert {(p["summary_source"], p["summary"]) for p in data["papers"][10:]} == {("none", "")}


# -- command arguments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2606.12345", "2606.12345"),
        ("2606.12345v2", "2606.12345"),
        ("arXiv:2606.12345", "2606.12345"),
        ("ARXIV:2606.1234v11", "2606.1234"),
        ("https://arxiv.org/abs/2606.12345", "2606.12345"),
        ("https://arxiv.org/abs/2606.12345v3", "2606.12345"),
        ("http://arxiv.org/pdf/2606.12345v1.pdf", "2606.12345"),
        ("arxiv.org/pdf/2606.12345", "2606.12345"),
        ("https://export.arxiv.org/abs/2606.12345?context=cs", "2606.12345"),
        ("<https://arxiv.org/abs/2606.12345>", "2606.12345"),
        ("２６０６．１２３４５", "2606.12345"),
        ("٢٦٠٦.١٢٣٤٥", "2606.12345"),
        ("2606.12345，", "2606.12345"),
        ("「2606.12345」。", "2606.12345"),
        ("(arXiv:2606.12345v2).", "2606.12345"),
        ("https://arxiv.org/abs/2606.12345.", "2606.12345"),
        ("२६०६.१२३४५v२", "2606.12345"),
        ("https://arxiv.org/abs/٢٦٠٦.١٢٣٤٥", "2606.12345"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.AG/0101001v2", "math/0101001"),
        ("2606.123", None),
        ("2606.123456", None),
        ("12345", None),
        ("2606.12345; DROP", None),
        ("https://example.org/abs/2606.12345", None),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_paper_ids(given: str, expected: str | None) -> None:
    """Every way a user writes an arXiv id gives the id without version; anything else is refused."""
    assert parse_paper_id(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10", 10),
        ("1", 1),
        ("100", 100),
        ("all", "all"),
        ("ALL", "all"),
        ("全部", "all"),
        ("５", 5),
        ("0", None),
        ("-3", None),
        ("101", None),
        ("10000", None),
        ("1.5", None),
        ("ten", None),
        ("", None),
    ],
)
def test_top_argument(given: str, expected: int | str | None) -> None:
    """/top takes a whole number from 1 to 100, or all."""
    assert parse_top(given) == expected


@pytest.mark.parametrize(
    ("args", "types", "unknown"),
    [
        (["new", "cross"], ("new", "cross"), None),
        (["replace", "new"], ("new", "replace"), None),
        (["NEW,cross-list"], ("new", "cross"), None),
        (["replacements"], ("replace",), None),
        (["新论文、交叉列表"], ("new", "cross"), None),
        (["new", "old"], (), "old"),
        (["x" * 1000], (), "x" * 1000),
    ],
)
def test_types_argument(args: list[str], types: tuple[str, ...], unknown: str | None) -> None:
    """/types takes new, cross and replace (and their common spellings), in any order."""
    assert parse_types(args) == (types, unknown)


@pytest.mark.parametrize(
    ("text", "latin"),
    [("3D Gaussian splatting", True), ("Sprachverarbeitung für Ärzte", True), ("三维高斯溅射", False), ("LLM 的幻觉", False), ("123", True)],
)  # fmt: skip
def test_mostly_latin(text: str, latin: bool) -> None:
    """Interests in another script than the papers' are told apart."""
    assert mostly_latin(text) is latin


def test_chat_settings_round_trip_through_json() -> None:
    """Interests, filter, types and top survive the store's JSON."""
    settings = ChatSettings(
        CHAT, ("cs.CV",), types=("new",), interests="3D Gaussian splatting", filters="LLM -survey", top="all"
    )
    assert ChatSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


@pytest.mark.parametrize(
    ("paper_id", "exists"),
    [("2606.12345", True), ("2609.00001", True), ("2610.00001", False), ("2613.00001", False), ("2600.00001", False), ("0704.0001", True), ("hep-th/9901001", True)],
)  # fmt: skip
def test_ids_arxiv_cannot_have_given(paper_id: str, exists: bool) -> None:
    """An id of a month that does not exist or has not come yet is known unknown without asking arXiv."""
    assert could_exist(paper_id, datetime(2026, 9, 24, tzinfo=UTC)) is exists


@pytest.mark.parametrize(
    ("matched", "en", "zh"),
    [(10, "", ""), (11, "1 more paper of this day: /more", "当天还有 1 篇：/more"), (12, "2 more papers of this day: /more", "当天还有 2 篇：/more")],
)  # fmt: skip
def test_more_line(matched: int, en: str, zh: str) -> None:
    """The last line counts the papers of the day after those shown, in the digest's language; none
    when nothing is left."""
    papers = [paper(i) for i in range(1, 11)]
    for language, expected in (("en", en), ("zh", zh)):
        shaped = replace(digest(papers, language=language), announced=matched, matched=matched)
        assert more_text(shaped) == expected
