"""Plain-text, Markdown and JSON rendering of a digest: the reference digest's shape, line for line."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
from dataclasses import replace
from datetime import date

import pytest
from markdown_it import MarkdownIt

from bot import taxonomy
from bot.engine import order_for_digest
from bot.models import AnnounceType, Digest
from bot.render import (
    default_title,
    md_escape,
    md_heading_text,
    render_json,
    render_markdown,
    render_text,
    shorten_authors,
    summary_marker,
    title_line,
    type_marker,
    updated_at,
)
from bot.source import parse_feed
from summarizer.extractive import ExtractiveSummarizer
from tests.factories import digest, paper
from tests.fakes.feeds import RECORDED_RSS
from tests.paths import ROOT

GOLDEN = ROOT / "tests" / "golden"
MARKDOWN = MarkdownIt("commonmark")


def recorded_day(language: str, zone: str = "Asia/Shanghai") -> Digest:
    """The recorded rss.arxiv.org feed of 2026-09-24 as a chat's digest (replacements off, as by
    default), with extractive summaries."""
    batch = parse_feed(RECORDED_RSS.read_bytes(), ["cs.LG", "cs.AI", "cs.CL", "stat.ML"])
    assert batch is not None
    main, _ = order_for_digest(batch.papers)
    summarized = asyncio.run(ExtractiveSummarizer().summarize(main, language))
    return Digest(batch.listing_date, ("cs.LG",), language, tuple(summarized), timezone=zone)


def golden(name: str, text: str) -> str:
    """The golden file's content (written first when ``UPDATE_GOLDEN`` is set)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("language", "zone"), [("zh", "Asia/Shanghai"), ("en", "UTC")])
def test_markdown_golden(language: str, zone: str) -> None:
    """A real day's Markdown digest is exactly the reviewed golden file."""
    text = render_markdown(recorded_day(language, zone))
    assert text == golden(f"digest_2026-09-24_{language}.md", text)


REFERENCE_ZH = [
    r"# ArXiv论文日报 - .+",
    r"\*\*更新时间\*\*: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( UTC([+-]\d{1,2}(:\d{2})?)?)?",
    r"\*\*论文数量\*\*: \d+ 篇",
    r"---",
]
PAPER_ZH = [
    r"### \d+\. .+",
    r"- \*\*精简摘要\*\*：.+",
    r"- \*\*PDF链接\*\*：\[ArXiv下载\]\(https://arxiv\.org/pdf/\S+v\d+\)",
]
REFERENCE_EN = [
    r"# arXiv Daily Digest - .+",
    r"\*\*Updated\*\*: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}( UTC([+-]\d{1,2}(:\d{2})?)?)?",
    r"\*\*Papers\*\*: \d+",
    r"---",
]
PAPER_EN = [
    r"### \d+\. .+",
    r"- \*\*Summary\*\*: .+",
    r"- \*\*PDF\*\*: \[Download from arXiv\]\(https://arxiv\.org/pdf/\S+v\d+\)",
]


@pytest.mark.parametrize(
    ("language", "header", "paper_lines", "extra"),
    [
        ("zh", REFERENCE_ZH, PAPER_ZH, r"- \*\*[^*]+\*\*：.+"),
        ("en", REFERENCE_EN, PAPER_EN, r"- \*\*[^*]+\*\*: .+"),
    ],
)
def test_markdown_follows_the_reference_line_for_line(
    language: str, header: list[str], paper_lines: list[str], extra: str
) -> None:
    """Non-blank lines: title, update time, count, rule; per paper heading, summary, PDF link, then
    extra lines in the same style — and the count line counts the papers."""
    day = recorded_day(language)
    lines = [line for line in render_markdown(day).splitlines() if line]
    for pattern, line in zip(header, lines[:4], strict=True):
        assert re.fullmatch(pattern, line), (pattern, line)
    assert re.search(r"\d+", lines[2]).group() == str(len(day.all_papers))  # type: ignore[union-attr]
    blocks = "\n".join(lines[4:]).split("\n### ")
    assert len(blocks) == len(day.all_papers)
    for n, block in enumerate(blocks, start=1):
        rows = ("### " + block if n > 1 else block).splitlines()
        assert rows[0].startswith(f"### {n}. ")
        for pattern, line in zip(paper_lines, rows[:3], strict=True):
            assert re.fullmatch(pattern, line), (pattern, line)
        for line in rows[3:]:
            assert re.fullmatch(extra, line), line


def test_markdown_renders_as_the_reference_blocks() -> None:
    """Parsed as CommonMark: one h1, the two header paragraphs, a rule, then per paper an h3 and a
    bullet list — no header line merged into another, none turned into a heading by the rule."""
    tokens = MARKDOWN.parse(render_markdown(recorded_day("zh")))
    blocks = [t.type for t in tokens if (t.level == 0 and t.type.endswith("_open")) or t.type == "hr"]
    assert blocks[:5] == ["heading_open", "paragraph_open", "paragraph_open", "hr", "heading_open"]
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h1"] + ["h3"] * 3
    assert blocks.count("bullet_list_open") == 3
    inline = [t.content for t in tokens if t.type == "inline"]
    assert inline[1].startswith("**更新时间**: ") and inline[2].startswith("**论文数量**: ")


def test_update_time_is_the_announcement_in_the_chat_zone() -> None:
    """The update time is arXiv's 20:00 US Eastern announcement, shown in the chat's zone with its offset."""
    day = digest([paper(1)], language="zh")
    assert updated_at(replace(day, timezone="Asia/Shanghai")).isoformat() == "2026-09-24T08:00:00+08:00"
    text = render_markdown(replace(day, timezone="Asia/Shanghai"))
    assert "**更新时间**: 2026-09-24 08:00:00 UTC+8\n" in text
    winter = replace(day, listing_date=date(2026, 12, 1), timezone="America/New_York")
    assert "2026-11-30 20:00:00 UTC-5" in render_markdown(winter)
    assert "CST" not in render_text(replace(day, timezone="Asia/Shanghai"))


@pytest.mark.parametrize(
    "text",
    [
        r"$\alpha$-stable processes",
        "A *bold* [claim](http://x) and `code`",
        "snake_case_name and _emphasis_ and __strong__",
        "x < y & y > z, <i>tag</i>, &amp; &#42; &copy;",
        "Backslash \\* star, \\{set\\}, ends with \\",
        "2*3*4 and a*b",
        "~~strike~~ and ~tilde~",
        "$\\mathcal{O}(n^2)$ and $x_1^*$ with $_2$ and $y_{i}$",
        "中文标题：*强调* 与 _下划线_",
        "Heading ending in #",
        "C# and F# ##",
        "[1] a citation and ![img](src)",
        "A line\nbreak   and  spaces",
        "Write to <+a@b.co> or <1st.author@x.org>",
    ],
)
def test_md_escape_renders_the_text_itself(text: str) -> None:
    """Escaped text renders, as CommonMark, to exactly the text (whitespace collapsed)."""
    for escaped, render in (
        (md_escape(text), MARKDOWN.renderInline),
        (md_heading_text(text), lambda s: MARKDOWN.render("### " + s)),
    ):
        shown = html.unescape(re.sub(r"<[^>]+>", "", render(escaped))).strip()
        assert shown == " ".join(text.split()), escaped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"$\alpha$-stable processes", r"$\alpha$-stable processes"),
        (
            "Plain title: with punctuation, (parens) and 3.5% gains!",
            "Plain title: with punctuation, (parens) and 3.5% gains!",
        ),
        ("snake_case and x_1", "snake_case and x_1"),
        ("a *bold* claim", r"a \*bold\* claim"),
        ("<i>", r"\<i>"),
    ],
)
def test_md_escape_leaves_ordinary_text_alone(text: str, expected: str) -> None:
    """Only characters that would become markup get a backslash; LaTeX stays as arXiv wrote it."""
    assert md_escape(text) == expected


@pytest.mark.parametrize(
    ("authors", "language", "expected"),
    [
        ((), "en", ""),
        (("A",), "en", "A"),
        (("A", "B", "C"), "en", "A, B, C"),
        (("A", "B", "C", "D"), "en", "A, B, C et al."),
        (("A", "B", "C"), "zh", "A、B、C"),
        (("A", "B", "C", "D"), "zh", "A、B、C 等"),
        (("  A  B ", ""), "en", "A B"),
    ],
)
def test_shorten_authors(authors: tuple[str, ...], language: str, expected: str) -> None:
    """Past three authors the list ends with et al. (等); Chinese lists use 、."""
    assert shorten_authors(authors, language=language) == expected


def test_default_title_uses_the_category_names() -> None:
    """With no title of its own a digest is titled by its categories' names in its language."""
    assert default_title(["cs.DC"], "zh") == "分布式、并行与集群计算"
    assert default_title(["cs.DC"], "en") == "Distributed, Parallel, and Cluster Computing"
    both = default_title(["cs.DC", "cs.LG"], "zh")
    assert both == "分布式、并行与集群计算；" + taxonomy.name_of("cs.LG", "zh")
    many = default_title(["cs.AI", "cs.CL", "cs.CV", "cs.LG", "stat.ML"], "en")
    assert many.endswith(" and 2 more") and many.count(",") == 2


@pytest.mark.parametrize(
    ("language", "title", "part", "parts", "expected"),
    [
        ("zh", "云计算", None, None, "ArXiv论文日报 - 云计算"),
        ("en", "Cloud", None, None, "arXiv Daily Digest - Cloud"),
        ("en", "Cloud", 1, 3, "arXiv Daily Digest - Cloud (1/3)"),
        ("en", "Cloud", 1, 1, "arXiv Daily Digest - Cloud"),
    ],
)
def test_title_line(language: str, title: str, part: int | None, parts: int | None, expected: str) -> None:
    """The title line names the digest's title, and the part when split."""
    day = replace(digest([paper(1)], language=language), title=title)
    assert title_line(day, part, parts) == expected


@pytest.mark.parametrize(
    ("announce", "language", "expected"),
    [
        (AnnounceType.NEW, "en", ""),
        (AnnounceType.CROSS, "en", "cross-list"),
        (AnnounceType.REPLACE, "en", "updated, v2"),
        (AnnounceType.REPLACE_CROSS, "zh", "更新版本 v2"),
        (AnnounceType.CROSS, "zh", "交叉列表"),
    ],
)
def test_type_marker(announce: AnnounceType, language: str, expected: str) -> None:
    """Cross-lists and replacements are marked; new submissions are not."""
    assert type_marker(paper(announce=announce, version=2), language) == expected


def test_extractive_summaries_are_marked() -> None:
    """An extract says it is one; an LLM summary carries no marker."""
    assert "extract" in summary_marker(paper(summary="x", source="extractive"), "en")
    assert summary_marker(paper(summary="x", source="extractive"), "zh").startswith("（")
    assert summary_marker(paper(summary="x", source="llm"), "en") == ""


def test_text_numbers_align_past_nine() -> None:
    """In text, numbers are right-aligned and every paper's lines start in one column."""
    text = render_text(digest([paper(n, summary="It is fast.", source="llm") for n in range(1, 13)]))
    lines = text.splitlines()
    assert " 1. Paper number 1" in lines and "12. Paper number 12" in lines
    details = [line for line in lines if line.startswith(" ") and not line.lstrip()[:1].isdigit()]
    assert details and all(line.startswith("    ") and line[4] != " " for line in details)


def test_text_shape_and_literal_text() -> None:
    """Text has the header fields then, per paper, summary, PDF, authors, category, abs page; no empty
    author label; ``<i>`` in a summary stays as written."""
    lonely = replace(paper(2, summary="Uses <i> as a marker.", source="llm"), authors=())
    text = render_text(digest([paper(1, summary="It is fast.", source="llm"), lonely]))
    lines = text.splitlines()
    assert lines[0] == "arXiv Daily Digest - Distributed, Parallel, and Cluster Computing; Machine Learning"
    assert lines[1] == "Updated: 2026-09-24 00:00:00 UTC" and lines[2] == "Papers: 2" and lines[3] == "---"
    first = lines[lines.index("1. Paper number 1") + 1 :][:5]
    assert [line.split(":")[0].strip() for line in first] == [
        "Summary",
        "PDF",
        "Authors",
        "Category",
        "Abstract page",
    ]
    assert "Uses <i> as a marker." in text
    assert not any(line.strip() in ("Authors:", "Authors: ") for line in lines)


def test_chinese_text_typography() -> None:
    """Chinese text uses full-width colons in labels and 、 in lists, with no space before them."""
    text = render_text(digest([paper(1, summary="它很快。", source="extractive")], language="zh"))
    assert "   作者：Ada Lovelace、Alan Turing" in text
    assert "精简摘要：它很快。（摘自原文摘要" in text
    assert not re.search(r" [：，。、；）]", text)


def test_updated_section_follows_new_papers() -> None:
    """Replacements come in their own section, numbered after the new papers."""
    text = render_text(digest([paper(1)], updated=[paper(2, announce=AnnounceType.REPLACE)]))
    assert text.index("Updated papers") < text.index("2. Paper number 2")
    assert text.index("1. Paper number 1") < text.index("Updated papers")
    markdown = render_markdown(digest([paper(1)], updated=[paper(2, announce=AnnounceType.REPLACE)]))
    assert "\n## Updated papers\n\n### 2. Paper number 2\n" in markdown


def test_empty_digest_says_so() -> None:
    """A digest with no paper says there are none, under the same header."""
    assert "No new papers" in render_text(digest([]))
    markdown = render_markdown(digest([], language="zh"))
    assert "**论文数量**: 0 篇" in markdown and "没有新论文" in markdown


def test_markdown_escapes_only_markup() -> None:
    """Markdown from titles cannot add links or emphasis, and ordinary text carries no backslash."""
    text = render_markdown(digest([paper(1, title="A *bold* [claim](http://x) on $\\alpha$-stable laws")]))
    assert "### 1. A \\*bold\\* [claim\\](http://x) on $\\alpha$-stable laws\n" in text
    assert "\\-" not in text and "\\." not in text


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


ODD_TITLES = [
    "A *bold* claim_with_underscores and #hashtags",
    "[Re] Reproducing [1]: a [claim](not a link)",
    r"$\mathcal{O}(n^*)$ bounds for $x_1$-sparse **signals**",
    "C# ## and a trailing #",
    "<i>Italic</i> tags & &amp; entities",
]
ODD_SUMMARIES = ["它很快", "ends with a word", "ends with 42", "ends with a star *", "Uses <i> literally."]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_markdown_renders_every_paper_as_written(language: str) -> None:
    """As CommonMark, each title's heading is the title itself, each summary item the summary then
    its extract note in italics (whatever character the summary ends with), and the authors line
    one or three names and "et al." for 200 authors."""
    many = tuple(f"Author {i}" for i in range(200))
    papers = [
        replace(
            paper(n + 1, title=title, summary=summary, source="extractive"),
            authors=many if n % 2 else ("Solo Author",),
        )
        for n, (title, summary) in enumerate(zip(ODD_TITLES, ODD_SUMMARIES, strict=True))
    ]
    tokens = MARKDOWN.parse(render_markdown(digest(papers, language=language)))
    headings = [tokens[i + 1].content for i, tok in enumerate(tokens) if tok.type == "heading_open"]
    rendered = [
        html.unescape(re.sub(r"<[^>]+>", "", MARKDOWN.renderInline(c))) for c in headings if c[:1].isdigit()
    ]
    assert rendered == [f"{n}. {title}" for n, title in enumerate(ODD_TITLES, 1)]
    note = summary_marker(papers[0], language)
    label = "精简摘要" if language == "zh" else "Summary"
    items = [tok for tok in tokens if tok.type == "inline" and tok.content.startswith(f"**{label}**")]
    assert len(items) == len(papers)
    sep = "：" if language == "zh" else ": "
    space = "" if language == "zh" else " "
    for item, summary in zip(items, ODD_SUMMARIES, strict=True):
        kinds = [child.type for child in item.children or []]
        assert kinds.count("em_open") == 1, item.content
        text = "".join(child.content for child in item.children or [] if child.type == "text")
        assert text == f"{label}{sep}{summary}{space}{note}", item.content
    authors = [tok.content for tok in tokens if tok.type == "inline" and "**作者**" in tok.content]
    authors += [tok.content for tok in tokens if tok.type == "inline" and "**Authors**" in tok.content]
    assert authors[0].endswith("Solo Author")
    assert authors[1].endswith("Author 0、Author 1、Author 2 等" if language == "zh" else "Author 2 et al.")
