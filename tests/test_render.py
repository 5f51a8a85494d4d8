"""Plain-text, Markdown and JSON rendering of a digest."""

from __future__ import annotations

import json

import pytest

from bot.models import AnnounceType
from bot.render import (
    header_text,
    md_escape,
    render_json,
    render_markdown,
    render_text,
    shorten_authors,
    summary_marker,
    type_marker,
)
from tests.factories import digest, paper


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        ((), ""),
        (("A",), "A"),
        (("A", "B", "C"), "A, B, C"),
        (("A", "B", "C", "D"), "A, B, C et al."),
    ],
)
def test_shorten_authors(authors: tuple[str, ...], expected: str) -> None:
    """Past three authors the list ends with et al."""
    assert shorten_authors(authors) == expected


@pytest.mark.parametrize(
    ("language", "part", "parts", "expected"),
    [
        ("en", None, None, "arXiv daily digest · cs.DC, cs.LG · 2026-09-24 · 2 papers"),
        ("en", 1, 3, "arXiv daily digest · cs.DC, cs.LG · 2026-09-24 · 2 papers (1/3)"),
        ("zh", None, None, "ArXiv论文日报 · cs.DC, cs.LG · 2026-09-24 · 共 2 篇"),
        ("en", 1, 1, "arXiv daily digest · cs.DC, cs.LG · 2026-09-24 · 2 papers"),
    ],
)
def test_header(language: str, part: int | None, parts: int | None, expected: str) -> None:
    """The header names categories, listing date and count, and the part when split."""
    assert header_text(digest([paper(1), paper(2)], language=language), part, parts) == expected


@pytest.mark.parametrize(
    ("announce", "language", "expected"),
    [
        (AnnounceType.NEW, "en", ""),
        (AnnounceType.CROSS, "en", "[cross-list]"),
        (AnnounceType.REPLACE, "en", "[updated]"),
        (AnnounceType.REPLACE_CROSS, "zh", "[更新]"),
        (AnnounceType.CROSS, "zh", "[交叉列表]"),
    ],
)
def test_type_marker(announce: AnnounceType, language: str, expected: str) -> None:
    """Cross-lists and replacements are marked; new submissions are not."""
    assert type_marker(paper(announce=announce), language) == expected


def test_extractive_summaries_are_marked() -> None:
    """An extract says it is one; an LLM summary carries no marker."""
    assert "extract" in summary_marker(paper(summary="x", source="extractive"), "en")
    assert summary_marker(paper(summary="x", source="llm"), "en") == ""


def test_text_shape() -> None:
    """Text has the header, numbered titles, summary, authors, category and both links."""
    text = render_text(digest([paper(1, summary="It is fast.", source="llm"), paper(2)]))
    lines = text.splitlines()
    assert lines[0].startswith("arXiv daily digest")
    assert "1. Paper number 1" in text and "2. Paper number 2" in text
    assert "It is fast." in text
    assert "PDF: https://arxiv.org/pdf/2609.00001v1 | abs: https://arxiv.org/abs/2609.00001" in text


def test_updated_section_follows_new_papers() -> None:
    """Replacements come in their own section, numbered after the new papers."""
    text = render_text(digest([paper(1)], updated=[paper(2, announce=AnnounceType.REPLACE)]))
    assert text.index("Updated papers") < text.index("2. Paper number 2")
    assert text.index("1. Paper number 1") < text.index("Updated papers")


def test_empty_digest_says_so() -> None:
    """A digest with no paper says there are none."""
    assert "No new papers" in render_text(digest([]))


def test_markdown_escapes_arxiv_text() -> None:
    """Markdown from titles cannot break links or add emphasis."""
    text = render_markdown(digest([paper(1, title="A *bold* [claim](http://x)")]))
    assert "[A \\*bold\\* \\[claim\\]\\(http://x\\)](https://arxiv.org/abs/2609.00001)" in text
    assert md_escape("a_b") == "a\\_b"


def test_json_fields() -> None:
    """JSON carries the fields DESIGN.md fixes, ids without version."""
    data = json.loads(render_json(digest([paper(1, summary="s", source="llm")])))
    assert data["listing_date"] == "2026-09-24"
    assert data["categories"] == ["cs.DC", "cs.LG"]
    item = data["papers"][0]
    for key in (
        "id",
        "version",
        "title",
        "authors",
        "categories",
        "primary_category",
        "announce_type",
        "summary",
        "summary_source",
        "abs_url",
        "pdf_url",
    ):
        assert key in item
    assert item["id"] == "2609.00001" and item["version"] == 1 and item["summary_source"] == "llm"
