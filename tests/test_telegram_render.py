"""The Telegram renderer: escaping, Telegram's length rule, splitting between papers, shortening."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from datetime import date
from html import escape
from typing import Any

import pytest

from adapters.telegram.buttons import MAX_BUTTONS, Button
from adapters.telegram.delivery import inline_markup
from adapters.telegram.render import (
    ELLIPSIS,
    MAX_MESSAGE,
    MAX_PAPERS,
    RenderedMessage,
    clean,
    render_digest,
    render_reply,
    truncate,
)
from adapters.text import utf16_len
from bot.models import AnnounceType, Digest, Paper
from bot.render import header_fields, more_text, no_papers_text
from tests.factories import digest, paper
from tests.fakes.telegram import check_reply_markup, parse_html
from tests.fakes.telegram import utf16_len as fake_utf16_len

PART = re.compile(r"\((\d+)/(\d+)\)")


def markup(message: RenderedMessage) -> dict[str, Any] | None:
    """The message's keyboard as the Bot API's ``reply_markup`` JSON (what python-telegram-bot sends)."""
    return None if not message.keyboard else inline_markup(message.keyboard).to_dict()  # type: ignore[union-attr]


def check(messages: list[RenderedMessage], limit: int = MAX_MESSAGE) -> None:
    """Every message parses as Telegram's HTML, shows exactly ``plain`` and fits the limit; its
    keyboard passes the fake Bot API's checks and has a 👍/👎 row for each of its papers."""
    for message in messages:
        assert parse_html(message.html) == message.plain
        assert fake_utf16_len(message.plain) == message.length <= limit
        assert check_reply_markup(markup(message)) is None
        votes = [row for row in message.keyboard if row[0].data.startswith("like:")]
        assert [row[0].data.removeprefix("like:") for row in votes] == list(message.paper_ids)


def big_digest(n: int, language: str = "en", summary: str = "A short summary.") -> Digest:
    papers = [paper(i, summary=summary, source="llm") for i in range(1, n + 1)]
    return digest(papers, language=language)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("分布式系统", 5),
        ("😀", 2),
        ("a😀b👍🏽", 8),
        ("é", 1),
        ("e\u0301", 2),
        ("𝔸𝔹", 4),
    ],
)
def test_utf16_len(text: str, units: int) -> None:
    """Lengths are counted in UTF-16 code units: astral characters count twice."""
    assert utf16_len(text) == units == fake_utf16_len(text)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("0123456789abc", 10, "012345678" + ELLIPSIS),
        ("one two three four five six", 20, "one two three four" + ELLIPSIS),
        ("😀😀😀😀", 5, "😀😀" + ELLIPSIS),
        ("😀😀😀😀", 4, "😀" + ELLIPSIS),
        ("分布式系统的调度", 5, "分布式系" + ELLIPSIS),
        ("anything", 0, ""),
        ("anything", 1, ELLIPSIS),
    ],
)
def test_truncate(text: str, limit: int, expected: str) -> None:
    """Truncation fits the UTF-16 budget, ends in an ellipsis and never splits a character."""
    assert truncate(text, limit) == expected
    assert utf16_len(truncate(text, limit)) <= limit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  many   spaces\n\tand lines ", "many spaces and lines"),
        ("bell\x07 and nul\x00 chars", "bell and nul chars"),
        ("lone \ud800 surrogate", "lone ? surrogate"),
        ("line\u2028separator", "line separator"),
    ],
)
def test_clean(raw: str, expected: str) -> None:
    """Control characters and lone surrogates never reach Telegram; whitespace is collapsed."""
    assert clean(raw) == expected


@pytest.mark.parametrize(
    ("title", "summary", "authors"),
    [
        ("Bounds for <b>bold</b> claims", "We show x < y & y > z.", ("O'Brien", 'A "quoted" name')),
        ("A & B: <script>alert(1)</script>", "&amp; is not an entity here; &lt; neither", ("<i>",)),
        ("Quotes \"double\" and 'single'", "Summary with </a> and <a href='x'>", ("&", "<", ">")),
        ("Entities &#x1F600; &#128512; &quot;", "Tags <tg-spoiler>and</tg-spoiler>", ("</b>",)),
        ("分布式系统中的<调度>", "我们提出一种 “新” 方法 & 结果 😀👍🏽", ("张三", "李四")),
    ],
)
def test_escaping(title: str, summary: str, authors: tuple[str, ...]) -> None:
    """Everything from arXiv or the LLM is shown literally: <, >, & and quotes are escaped."""
    item = Paper(
        id="2609.00001",
        version=2,
        title=title,
        authors=authors,
        categories=("cs.DC",),
        primary_category="cs.DC",
        announce_type=AnnounceType.NEW,
        abstract="",
        summary=summary,
        summary_source="llm",
    )
    [message] = render_digest(digest([item]))
    check([message])
    shown = parse_html(message.html)
    assert clean(title) in shown
    assert clean(summary) in shown
    for author in authors:
        assert author in shown
    assert '<a href="https://arxiv.org/abs/2609.00001"><b>' in message.html
    assert '<a href="https://arxiv.org/pdf/2609.00001v2">Download from arXiv</a>' in message.html
    assert '<a href="https://arxiv.org/abs/2609.00001">arXiv:2609.00001</a>' in message.html


def test_paper_layout() -> None:
    """A paper shows, in the reference order, number and linked title, summary, PDF link, shortened
    authors, category with its marker, abs page; the header gives title, update time and count."""
    cross = paper(
        7,
        title="Cross-listed work",
        categories=("cs.LG", "cs.DC"),
        announce=AnnounceType.CROSS,
        authors=("A One", "B Two", "C Three", "D Four", "E Five"),
        summary="An extract.",
        source="extractive",
    )
    [message] = render_digest(digest([cross]))
    lines = message.plain.split("\n")
    assert lines[:3] == [
        "arXiv Daily Digest - Distributed, Parallel, and Cluster Computing; Machine Learning",
        "Updated: 2026-09-24 00:00:00 UTC",
        "Papers: 1",
    ]
    assert lines[4:] == [
        "1. Cross-listed work",
        "Summary: An extract. (extract from the abstract; no LLM summary)",
        "PDF: Download from arXiv",
        "Authors: A One, B Two, C Three et al.",
        "Category: cs.LG (Machine Learning), cross-list",
        "Abstract page: arXiv:2609.00007",
    ]
    assert "<b>Summary</b>: " in message.html


def test_chinese_digest() -> None:
    """A digest in Chinese has the localized header and markers."""
    item = paper(1, announce=AnnounceType.CROSS, summary="摘要。", source="extractive")
    [message] = render_digest(digest([item], language="zh"))
    check([message])
    assert message.plain.startswith("ArXiv论文日报 - ")
    assert "\n更新时间：2026-09-24 00:00:00 UTC\n论文数量：1 篇\n" in message.plain
    assert "，交叉列表\n" in message.plain
    assert "精简摘要：摘要。（摘自原文摘要，非 LLM 精简摘要）" in message.plain
    assert "作者：Ada Lovelace、Alan Turing" in message.plain
    assert "PDF链接：ArXiv下载" in message.plain


def test_updated_section_has_its_own_heading() -> None:
    """Replacements come after the new papers, under their own heading, numbering continued."""
    new = [paper(1), paper(2)]
    replaced = [paper(3, announce=AnnounceType.REPLACE, version=3)]
    [message] = render_digest(digest(new, replaced))
    check([message])
    plain = message.plain
    assert "\n\nUpdated papers\n3. Paper number 3\n" in plain
    assert "Category: cs.DC (Distributed, Parallel, and Cluster Computing), updated, v3" in plain
    assert plain.index("2. Paper number 2") < plain.index("Updated papers")
    assert message.paper_ids == ("2609.00001", "2609.00002", "2609.00003")


def test_empty_digest() -> None:
    """A digest without papers is one message saying so, carrying no paper."""
    [message] = render_digest(digest([]))
    check([message])
    assert "No new papers in cs.DC, cs.LG for 2026-09-24." in message.plain
    assert message.paper_ids == ()


@pytest.mark.parametrize(
    ("n", "language", "summary"),
    [
        (40, "en", "A summary of moderate length that repeats. " * 4),
        (60, "zh", "我们提出了一种用于大规模分布式训练的新调度方法，显著降低了通信开销。" * 3),
        (50, "en", "Emoji heavy 😀👍🏽🚀 " * 20),
        (30, "zh", "𝔸𝔹ℂ 数学字母 " * 60),
    ],
)
def test_split_between_papers(n: int, language: str, summary: str) -> None:
    """Long digests split only between papers, each part within 4096 UTF-16 units with "(k/m)"."""
    messages = render_digest(big_digest(n, language, summary))
    assert len(messages) > 1
    check(messages)
    total = len(messages)
    ids: list[str] = []
    for k, message in enumerate(messages, start=1):
        header = message.plain.split("\n", 1)[0]
        assert PART.search(header) is not None
        assert PART.search(header).groups() == (str(k), str(total))  # type: ignore[union-attr]
        ids.extend(message.paper_ids)
        blocks = message.plain.split("\n\n")[1:]
        assert len(blocks) == len(message.paper_ids)
    assert ids == [f"2609.{i:05d}" for i in range(1, n + 1)]


def test_parts_are_filled() -> None:
    """Parts are packed greedily: no part could have taken the next part's first paper."""
    messages = render_digest(big_digest(80, "en", "Filler sentence for the summary. " * 5))
    for current, following in itertools.pairwise(messages):
        first_block = following.plain.split("\n\n")[1]
        assert current.length + 2 + utf16_len(first_block) > MAX_MESSAGE


def oversize(summary_units: int, authors: int = 3, title: str = "Huge") -> Paper:
    return paper(1, title=title, summary="word " * (summary_units // 5), source="llm",
                 authors=tuple(f"Author Number{i}" for i in range(authors)))  # fmt: skip


@pytest.mark.parametrize(
    ("item", "expect"),
    [
        (oversize(10_000), "summary"),
        (oversize(10_000, authors=5000), "summary"),
        (paper(1, summary="😀" * 6000, source="llm"), "summary"),
        (paper(1, title="T" * 9000, summary="s", source="llm"), "title"),
        (paper(1, title="<&>" * 3000, summary="<&>" * 3000, source="llm"), "title"),
    ],
)
def test_oversize_paper_is_shortened(item: Paper, expect: str) -> None:
    """A paper too long for one message is shortened (summary first), never cut inside a tag."""
    messages = render_digest(digest([item]))
    assert len(messages) == 1
    check(messages)
    message = messages[0]
    assert ELLIPSIS in message.plain
    assert message.length > MAX_MESSAGE - 200
    assert message.paper_ids == ("2609.00001",)
    assert "PDF: Download from arXiv" in message.plain and "Abstract page: arXiv:2609.00001" in message.plain
    if expect == "summary":
        assert message.plain.split("\n")[4].startswith("1. ")
        assert ELLIPSIS in message.plain.split("\n")[5]


def test_oversize_paper_among_others() -> None:
    """An oversize paper takes a part of its own; its neighbours are untouched."""
    papers = [
        paper(1, summary="short", source="llm"),
        oversize(9000),
        paper(3, summary="short", source="llm"),
    ]
    papers[1] = Paper.from_dict({**papers[1].to_dict(), "id": "2609.00002"})
    messages = render_digest(digest(papers))
    check(messages)
    assert [m.paper_ids for m in messages] == [("2609.00001",), ("2609.00002",), ("2609.00003",)]
    assert "(1/3)" in messages[0].plain.split("\n")[0]


def test_authors_shortened_when_summary_is_not_enough() -> None:
    """When dropping the summary is not enough, the authors shrink to the first one "et al."."""
    names = tuple(f"{chr(65 + i)}" + "x" * 120 for i in range(4))
    item = Paper.from_dict({**paper(1, summary="y " * 500, source="llm").to_dict(), "authors": list(names)})
    [message] = render_digest(digest([item]), limit=480)
    check([message], limit=480)
    assert f"{names[0]} et al." in message.plain
    assert names[1] not in message.plain
    assert "y y" not in message.plain


def test_small_limit_still_renders() -> None:
    """The limit is a parameter: a 300-unit budget still yields valid, fitting parts."""
    messages = render_digest(big_digest(20, "en", "Summary " * 30), limit=300)
    check(messages, limit=300)
    assert sum(len(m.paper_ids) for m in messages) == 20


def test_two_thousand_papers_all_valid() -> None:
    """Every message of a 2,000-paper digest passes the fake server's HTML and length checks."""
    papers = [
        paper(
            i,
            title=f"Paper {i} <with> & \"tricky\" 'chars' 分布式 😀" * (1 + i % 3),
            summary=("Summary & <details> of paper " + str(i) + " 😀👍🏽 分布式训练。") * (1 + i % 7),
            source="llm" if i % 2 else "extractive",
            announce=AnnounceType.CROSS if i % 5 == 0 else AnnounceType.NEW,
            authors=tuple(f"Author {j} <{i}>" for j in range(1 + i % 9)),
        )
        for i in range(1, 2001)
    ]
    updated = [paper(5000 + i, announce=AnnounceType.REPLACE, version=2) for i in range(50)]
    d = Digest(date(2026, 9, 24), ("cs.DC", "cs.LG"), "en", tuple(papers), tuple(updated))
    messages = render_digest(d)
    check(messages)
    assert sum(len(m.paper_ids) for m in messages) == 2050
    assert all(f"/{len(messages)})" in m.plain.split("\n")[0] for m in messages)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("plain", "plain"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ('say "hi" it\'s', "say &quot;hi&quot; it&#x27;s"),
        ("line one\nline two", "line one\nline two"),
        ("<b>not bold</b>", "&lt;b&gt;not bold&lt;/b&gt;"),
        ("", ELLIPSIS),
    ],
)
def test_render_reply_html(text: str, html: str) -> None:
    """Plain replies are escaped for HTML mode, keeping their lines."""
    message = render_reply(text)
    assert message.html == html
    assert parse_html(message.html) == message.plain


def test_render_text_fits() -> None:
    """A plain reply longer than a message is cut to fit."""
    message = render_reply("😀 long line " * 1000)
    assert message.length <= MAX_MESSAGE
    assert parse_html(message.html) == message.plain


# -- keyboards, pages and the message budget --------------------------------------------------------------


def votes(*numbers: int) -> list[tuple[Button, ...]]:
    return [
        (Button(f"👍 {n}", f"like:2609.{n:05d}"), Button(f"👎 {n}", f"dislike:2609.{n:05d}")) for n in numbers
    ]


def page(
    n: int, *, shown: int | None, first: int = 1, matched: int | None = None, language: str = "en"
) -> Digest:
    """Papers numbered from ``first`` (ids follow the numbers), ``shown`` of them in full."""
    papers = [paper(i, summary="A short summary.", source="llm") for i in range(first, first + n)]
    return replace(digest(papers, language=language), shown=shown, first=first, matched=matched)


@pytest.mark.parametrize(
    ("d", "rows", "more_line"),
    [
        (page(3, shown=None), votes(1, 2, 3), None),
        (page(3, shown=3, matched=3), votes(1, 2, 3), None),
        (page(12, shown=10), [*votes(*range(1, 11)), (Button("More (2)", "more:2026-09-24"),)],
         "2 more papers of this day: /more"),
        (page(5, shown=2, first=11, matched=40),
         [*votes(11, 12), (Button("More (28)", "more:2026-09-24"),)], "28 more papers of this day: /more"),
        (page(4, shown=1, first=21, matched=24, language="zh"),
         [(Button("👍 21", "like:2609.00021"), Button("👎 21", "dislike:2609.00021")),
          (Button("更多（3）", "more:2026-09-24"),)], "当天还有 3 篇：/more"),
    ],
)  # fmt: skip
def test_keyboard_of_one_message(d: Digest, rows: list[tuple[Button, ...]], more_line: str | None) -> None:
    """A row 👍 n / 👎 n per paper shown in full, numbered from the page's first number; "More (n)"
    with the listing date and the more line when papers of the day follow."""
    [message] = render_digest(d)
    check([message])
    assert list(message.keyboard) == rows
    assert len(message.paper_ids) == len(d.full)
    numbers = [int(m[1]) for line in message.plain.split("\n") if (m := re.match(r"(\d+)\. ", line))]
    assert numbers == [d.first + i for i in range(len(d.full))]
    if more_line is None:
        assert "/more" not in message.plain
    else:
        assert message.plain.endswith("\n\n" + more_line)


def test_only_the_last_part_has_more() -> None:
    """A digest split in parts has each part's 👍/👎 under that part, "More (n)" on the last only."""
    d = replace(big_digest(45, summary="A long enough summary sentence. " * 12), shown=40)
    messages = render_digest(d)
    assert len(messages) > 2
    check(messages)
    more = [(Button("More (5)", "more:2026-09-24"),)]
    for message in messages[:-1]:
        assert "/more" not in message.plain
        assert all(row[0].data.startswith("like:") for row in message.keyboard)
    assert list(messages[-1].keyboard[-1:]) == more
    assert messages[-1].plain.endswith("\n\n5 more papers of this day: /more")
    assert [pid for m in messages for pid in m.paper_ids] == [p.id for p in d.full]


def test_nothing_in_full_but_more_to_come() -> None:
    """A page with no paper in full still says how many follow, with the More button."""
    [message] = render_digest(replace(big_digest(7), shown=0))
    check([message])
    assert message.paper_ids == ()
    assert list(message.keyboard) == [(Button("More (7)", "more:2026-09-24"),)]
    assert message.plain.endswith("\n\n7 more papers of this day: /more")
    assert "No new papers" not in message.plain


def test_updated_heading_on_a_later_page() -> None:
    """On a page that starts later in the day, the updated section's heading still precedes its first paper."""
    new = [paper(i) for i in range(31, 33)]
    replaced = [paper(i, announce=AnnounceType.REPLACE, version=2) for i in range(33, 35)]
    d = replace(digest(new, replaced), first=31, shown=3)
    [message] = render_digest(d)
    check([message])
    assert "\n\n32. Paper number 32\n" in message.plain
    assert "\n\nUpdated papers\n33. Paper number 33\n" in message.plain
    assert "34." not in message.plain
    assert list(message.keyboard) == [*votes(31, 32, 33), (Button("More (1)", "more:2026-09-24"),)]


def test_keyboard_stays_within_telegram_limits() -> None:
    """However many short papers would fit a message's text, a message carries at most MAX_PAPERS of
    them, so its keyboard stays within 100 buttons, More included."""
    tiny = [paper(i, title="T", authors=()) for i in range(1, 151)]
    d = replace(digest(tiny), shown=120)
    messages = render_digest(d, limit=1_000_000)
    assert max(len(m.paper_ids) for m in messages) == MAX_PAPERS
    assert all(sum(len(row) for row in m.keyboard) <= MAX_BUTTONS for m in messages)
    assert all(check_reply_markup(json.dumps(markup(m))) is None for m in messages)
    assert sum(len(m.paper_ids) for m in messages) == 120


def test_an_id_too_long_for_a_payload_gets_no_buttons() -> None:
    """A paper whose id cannot fit in 64 bytes of callback_data is shown without buttons, never with a
    payload Telegram would refuse."""
    odd = Paper.from_dict({**paper(2).to_dict(), "id": "x" * 70})
    [message] = render_digest(digest([paper(1), odd]))
    assert list(message.keyboard) == votes(1)
    assert message.paper_ids == ("2609.00001", "x" * 70)
    assert check_reply_markup(markup(message)) is None


@pytest.mark.parametrize(
    ("n", "summary", "max_messages"),
    [
        (499, "A long enough summary sentence. " * 12, 3),
        (499, "A long enough summary sentence. " * 12, 1),
        (60, "我们提出了一种用于大规模分布式训练的新调度方法。" * 6, 2),
        (120, "Emoji heavy 😀👍🏽🚀 " * 20, 3),
        (400, "", 3),
    ],
)
def test_max_messages_leaves_papers_out_from_the_end(n: int, summary: str, max_messages: int) -> None:
    """At most ``max_messages`` messages, as full as they can be: the papers left out are the last
    ones, the more line and the More button count them, and the header is the one of the page shown."""
    d = big_digest(n, "zh" if "我们" in summary else "en", summary)
    messages = render_digest(d, max_messages=max_messages)
    assert len(messages) == max_messages
    check(messages)
    ids = [pid for m in messages for pid in m.paper_ids]
    shown = len(ids)
    assert ids == [p.id for p in d.all_papers[:shown]]
    rest = n - shown
    assert rest > 0
    label = "更多（{}）" if d.language == "zh" else "More ({})"
    assert list(messages[-1].keyboard[-1]) == [Button(label.format(rest), "more:2026-09-24")]
    assert str(rest) in messages[-1].plain.rsplit("\n\n", 1)[1]
    colon = "：" if d.language == "zh" else ": "
    for key, value in header_fields(replace(d, shown=shown)):
        assert f"\n{key}{colon}{value}" in messages[0].plain
    assert len(render_digest(replace(d, shown=shown + 1))) > max_messages


def test_max_messages_changes_nothing_that_fits() -> None:
    """A digest that already fits is rendered exactly as without the budget."""
    d = big_digest(5)
    assert render_digest(d, max_messages=3) == render_digest(d)
    assert render_digest(d, max_messages=1) == render_digest(d)


def test_max_messages_must_allow_one() -> None:
    """A budget of no message is a programming error, not an empty digest."""
    with pytest.raises(ValueError, match="at least 1"):
        render_digest(big_digest(200, summary="Long summary. " * 40), max_messages=0)


NOTES = {
    "en": [
        "Not available yet: cs.LG, cs.CV (batch of 2026-09-24); those papers follow when arXiv has them.",
        "Papers of cs.DC come from arXiv's export API and may miss papers that were on moderation hold.",
    ],
    "zh": [
        "尚不可用：cs.LG、cs.CV（2026-09-24 的一批）；arXiv 发布后补发。",
        "cs.DC 的论文来自 arXiv 导出 API，可能缺少曾被审核暂缓的论文。",
    ],
}


def noted(d: Digest, pending: tuple[str, ...] = ("cs.LG", "cs.CV")) -> Digest:
    """``d`` with categories not available yet and cs.DC served from the export API."""
    return replace(d, pending=pending, from_api=("cs.DC",), final=False)


@pytest.mark.parametrize(
    ("n", "shown", "max_messages"),
    [(3, None, None), (45, 40, None), (499, None, 3), (0, None, None), (7, 0, None)],
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_notes_end_the_last_message(
    n: int, shown: int | None, max_messages: int | None, language: str
) -> None:
    """A digest missing categories or served from the export API says so, in italics, at the end of
    its last message only (after the more line), in the chat's language, within Telegram's limit."""
    d = noted(replace(big_digest(n, language, "A long enough summary sentence. " * 12), shown=shown))
    messages = render_digest(d, max_messages=max_messages)
    check(messages)
    assert messages[-1].plain.endswith("\n\n" + "\n".join(NOTES[language]))
    assert messages[-1].html.endswith("\n".join(f"<i>{escape(note)}</i>" for note in NOTES[language]))
    assert all("moderation" not in m.plain and "审核" not in m.plain for m in messages[:-1])
    sent = sum(len(m.paper_ids) for m in messages)
    before = messages[-1].plain.rsplit("\n\n", 2)[1]
    if n > sent:
        assert before == more_text(replace(d, shown=sent))
    elif n == 0:
        assert before == no_papers_text(d)


def test_notes_naming_a_hundred_categories_still_fit() -> None:
    """Notes naming a hundred categories are shortened, never pushing a message past its limit."""
    many = tuple(f"cs.X{i:02d}" for i in range(100))
    for limit in (MAX_MESSAGE, 1000):
        messages = render_digest(noted(big_digest(30, summary="Summary. " * 30), many), limit=limit)
        check(messages, limit)
        assert messages[-1].plain.endswith(NOTES["en"][1])
