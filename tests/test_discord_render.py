"""Discord rendering: limits, escaping and splitting, checked against Discord's own rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from adapters.discord.buttons import view_of
from adapters.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    MESSAGE_EMBED_TOTAL,
    TITLE_LIMIT,
    RenderedDiscordMessage,
    embed_units,
    escape,
    fit,
    render_digest,
    render_text,
)
from adapters.text import utf16_len
from bot.i18n import t
from bot.models import AnnounceType, Digest, Paper
from bot.render import more_text, no_papers_text
from bot.source import parse_feed
from tests.fakes.discord import embed_length, validate_message
from tests.fakes.real_day import busy_day_models
from tests.paths import FIXTURES

FEED = FIXTURES / "arxiv_rss" / "laya-reader_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml"


def feed_papers() -> list[Paper]:
    batch = parse_feed(FEED.read_bytes(), ["cs.LG", "cs.AI", "cs.CL", "stat.ML"])
    assert batch is not None
    return [p.with_summary(p.abstract, "extractive") for p in batch.papers]


def paper(n: int, **changes: object) -> Paper:
    base = Paper(
        id=f"2609.{n:05d}",
        version=1,
        title=f"Paper number {n}",
        authors=("Ada Lovelace", "Alan Turing"),
        categories=("cs.DC",),
        primary_category="cs.DC",
        announce_type=AnnounceType.NEW,
        abstract="An abstract.",
        summary="A short summary.",
        summary_source="llm",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def digest(papers: list[Paper], updated: list[Paper] | None = None, language: str = "en") -> Digest:
    return Digest(date(2026, 9, 24), ("cs.DC", "cs.LG"), language, tuple(papers), tuple(updated or ()))


def wire(message: RenderedDiscordMessage) -> dict[str, object]:
    """The JSON body discord.py would send for a rendered message, buttons included."""
    body: dict[str, object] = {
        "content": message.content,
        "embeds": [e.to_dict() for e in message.embeds],
    }
    view = view_of(message.rows)
    if view is not None:
        body["components"] = view.to_components()
    return body


def assert_within_limits(messages: list[RenderedDiscordMessage]) -> None:
    for message in messages:
        body = wire(message)
        assert validate_message(body) is None, validate_message(body)
        assert utf16_len(str(body["content"])) <= CONTENT_LIMIT
        embeds = message.embeds
        assert len(embeds) <= 10
        assert sum(embed_units(e) for e in embeds) <= MESSAGE_EMBED_TOTAL
        for embed in embeds:
            assert utf16_len(embed.title or "") <= TITLE_LIMIT
            assert utf16_len(embed.description or "") <= DESCRIPTION_LIMIT
            assert utf16_len(embed.footer.text or "") <= FOOTER_LIMIT
            assert all(utf16_len(f.value or "") <= FIELD_VALUE_LIMIT for f in embed.fields)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a longer sentence", 10, "a longer…"),
        ("abcdefgh\\*xyz", 10, "abcdefgh…"),
        ("abcdefg\\\\xyz", 10, "abcdefg\\\\…"),
        ("😀😀😀😀😀😀", 6, "😀😀…"),
        ("", 5, ""),
    ],
)
def test_fit(text: str, limit: int, expected: str) -> None:
    """Text is cut to the limit in UTF-16 units with an ellipsis and never ends on a lone backslash."""
    assert fit(text, limit) == expected
    assert utf16_len(fit(text, limit)) <= limit


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("Attention is *all* you need", "Attention is \\*all\\* you need"),
        ("x_1 and y_2", "x\\_1 and y\\_2"),
        ("@everyone read this", "@\u200beveryone read this"),
        ("@here now", "@\u200bhere now"),
        ("[click](https://evil.example)", "\\[click](https://evil.example)"),
        ("# Heading", "\\# Heading"),
        ("`code` ~~strike~~ ||spoiler||", "\\`code\\` \\~\\~strike\\~\\~ \\|\\|spoiler\\|\\|"),
        ("see https://x.org/a_b_c", "see https://x.org/a_b_c"),
        ("图神经网络的分布式训练", "图神经网络的分布式训练"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    """Markdown and mass mentions in arXiv text are escaped; links and non-Latin text stay as they are."""
    assert escape(raw) == escaped


def test_recorded_feed_renders_one_embed_per_paper() -> None:
    """Papers from a recorded feed: one embed each, titled and linked to the abs page, with the fields."""
    papers = feed_papers()
    messages = render_digest(digest(papers[:3], papers[3:]))
    assert_within_limits(messages)
    embeds = [e for m in messages for e in m.embeds]
    assert [pid for m in messages for pid in m.paper_ids] == [p.id for p in papers]
    assert messages[-1].paper_ids == [papers[3].id]
    assert [e.url for e in embeds] == [p.abs_url for p in papers]
    first = embeds[0]
    assert first.title is not None and first.title.startswith("1. The Drift Contract")
    assert [f.name for f in first.fields] == ["PDF", "Authors", "Category", "Abstract page"]
    assert first.fields[0].value == f"[Download from arXiv]({papers[0].pdf_url})"
    assert (first.description or "").startswith("**Summary**: ")
    assert "extract from the abstract" in (first.description or "")
    assert (embeds[2].fields[2].value or "").endswith(", cross-list")
    assert "Updated papers" in messages[-1].content
    assert all(m.content.startswith("**arXiv Daily Digest - ") for m in messages)
    assert "**Updated**: 2026-09-24 00:00:00 UTC" in messages[0].content


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"title": "T" * 400}, lambda e: utf16_len(e.title) == TITLE_LIMIT and e.title.endswith("…")),
        ({"summary": "S" * 5000}, lambda e: utf16_len(e.description) <= DESCRIPTION_LIMIT),
        (
            {"authors": tuple(f"Author{i}" for i in range(500))},
            lambda e: e.fields[1].value.endswith("et al."),
        ),
        ({"authors": ("A" * 3000,)}, lambda e: utf16_len(e.fields[1].value) == FIELD_VALUE_LIMIT),
        ({"authors": ()}, lambda e: e.fields[1].value == "—"),
        ({"summary": ""}, lambda e: e.description is None),
        ({"title": "😀" * 300}, lambda e: utf16_len(e.title) <= TITLE_LIMIT),
        ({"title": "Line\n  broken   title"}, lambda e: e.title == "1. Line broken title"),
        ({"title": "@everyone *bold*"}, lambda e: e.title == "1. @\u200beveryone \\*bold\\*"),
    ],
)
def test_embed_field_limits(changes: dict[str, object], check: object) -> None:
    """Oversized or odd paper fields are cut or replaced so every embed stays within Discord's limits."""
    messages = render_digest(digest([paper(1, **changes)]))
    assert_within_limits(messages)
    assert check(messages[0].embeds[0])  # type: ignore[operator]


@pytest.mark.parametrize(
    ("count", "summary_size", "expected_messages"),
    [
        (1, 20, 1),
        (10, 20, 1),
        (11, 20, 2),
        (25, 20, 3),
        (6, 1500, 2),  # six ~1.6k embeds: three fit in 6000
        (4, 4096, 4),  # one maximal embed per message
    ],
)
def test_splitting_between_papers(count: int, summary_size: int, expected_messages: int) -> None:
    """Messages hold at most 10 embeds and 6000 characters and are split only between papers."""
    papers = [paper(i, summary="x" * summary_size) for i in range(1, count + 1)]
    messages = render_digest(digest(papers))
    assert len(messages) == expected_messages
    assert_within_limits(messages)
    assert [pid for m in messages for pid in m.paper_ids] == [p.id for p in papers]
    if expected_messages > 1:
        assert messages[0].content.split("\n")[0].endswith(f"(1/{expected_messages})**")


def test_two_thousand_papers() -> None:
    """2,000 papers render with every message within limits, every paper exactly once and in order."""
    papers = feed_papers()
    many = [replace(papers[i % len(papers)], id=f"2609.{i:05d}") for i in range(2000)]
    messages = render_digest(digest(many))
    assert_within_limits(messages)
    assert [pid for m in messages for pid in m.paper_ids] == [p.id for p in many]
    assert len(messages) >= 200


def test_fake_counts_like_discord() -> None:
    """The fake's size count agrees with discord.py's own embed length for a rendered embed."""
    embed = render_digest(digest(feed_papers()))[0].embeds[0]
    assert embed_length(embed.to_dict()) == len(embed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "No new papers"), ("zh", "没有新论文")],
)
def test_empty_digest(language: str, expected: str) -> None:
    """An empty digest is one message saying there are no papers, in the chat's language."""
    messages = render_digest(digest([], language=language))
    assert len(messages) == 1
    assert expected in messages[0].content
    assert messages[0].embeds == [] and messages[0].paper_ids == []


def test_chinese_digest_and_notice() -> None:
    """A Chinese digest uses Chinese labels; a notice opens the first message only."""
    papers = [paper(i, summary="分布式系统中的共识协议" * 20) for i in range(1, 13)]
    messages = render_digest(digest(papers, language="zh"), notice="arXiv 订阅源滞后")
    assert_within_limits(messages)
    assert messages[0].content.startswith("arXiv 订阅源滞后")
    assert "滞后" not in messages[1].content
    assert "ArXiv论文日报" in messages[0].content
    assert [f.name for f in messages[0].embeds[0].fields] == ["PDF链接", "作者", "分类", "摘要页"]
    assert messages[0].embeds[0].fields[0].value == "[ArXiv下载](https://arxiv.org/pdf/2609.00001v1)"
    assert "**论文数量**：12 篇" in messages[0].content


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Subscribed to cs.DC.", "Subscribed to cs.DC."),
        ("x" * 5000, "x" * 1999 + "…"),
        ("@everyone *hi*", "@\u200beveryone \\*hi\\*"),
    ],
)
def test_render_text(text: str, expected: str) -> None:
    """Plain-text replies are escaped and cut to the 2000-character content limit."""
    assert render_text(text) == expected


# -- busy days: papers shown in full, their buttons, the rest on demand ----------------------------------


def ids_of(rows: object) -> list[str]:
    return [button.custom_id for row in rows for button in row]  # type: ignore[attr-defined]


def votes_for(paper_ids: list[str]) -> list[str]:
    return [f"{kind}:{pid}" for pid in paper_ids for kind in ("like", "dislike")]


def busy_day(n: int | None = None) -> list[Paper]:
    """The recorded 499-paper day, each paper with its abstract as an extract."""
    return busy_day_models(extract=True)[:n]


def test_every_paper_shown_in_full_has_its_buttons() -> None:
    """Each message carries 👍/👎 for exactly its own papers, numbered as in the digest; with nothing
    left of the day there is no More button."""
    papers = [paper(i) for i in range(1, 26)]
    messages = render_digest(digest(papers))
    assert_within_limits(messages)
    for message in messages:
        assert ids_of(message.rows) == votes_for(message.paper_ids)
    labels = [b.label for m in messages for row in m.rows for b in row]
    assert labels[:4] == ["👍 1", "👎 1", "👍 2", "👎 2"] and labels[-1] == "👎 25"
    assert "/more" not in messages[-1].content


@pytest.mark.parametrize(
    ("count", "shown", "matched", "embeds", "remaining"),
    [
        (30, 12, None, 12, 18),
        (30, 12, 40, 12, 28),
        (30, 10, None, 10, 20),
        (5, None, None, 5, 0),
        (30, 0, None, 0, 30),
    ],
)
def test_only_papers_shown_in_full_and_more(
    count: int, shown: int | None, matched: int | None, embeds: int, remaining: int
) -> None:
    """Only ``digest.full`` is rendered; the last message (alone) says how many papers of the day
    remain and carries More (n) with the listing date."""
    full = replace(digest([paper(i) for i in range(1, count + 1)]), shown=shown, matched=matched)
    messages = render_digest(full)
    assert_within_limits(messages)
    assert [pid for m in messages for pid in m.paper_ids] == [p.id for p in full.full]
    assert sum(len(m.embeds) for m in messages) == embeds
    more = [b for m in messages for row in m.rows for b in row if b.custom_id.startswith("more:")]
    if remaining:
        assert [(b.custom_id, b.label) for b in more] == [("more:2026-09-24", f"More ({remaining})")]
        assert ids_of(messages[-1].rows)[-1] == "more:2026-09-24"
        assert messages[-1].content.endswith(f"{remaining} more papers of this day: /more")
        assert all("/more" not in m.content for m in messages[:-1])
    else:
        assert more == [] and all("/more" not in m.content for m in messages)


def test_chinese_more() -> None:
    """The more line and the More button speak the chat's language."""
    chinese = replace(digest([paper(i) for i in range(1, 8)], language="zh"), shown=3)
    (message,) = render_digest(chinese)
    assert message.content.endswith("当天还有 4 篇：/more")
    assert message.rows[-1][-1].label == "更多（4）"


@pytest.mark.parametrize(
    ("count", "summary_size", "updated", "max_messages", "kept"),
    [
        (25, 20, 0, None, 25),
        (25, 20, 0, 3, 25),
        (25, 20, 0, 2, 20),
        (25, 20, 0, 1, 10),
        (6, 1500, 0, 1, 3),
        (4, 4096, 0, 2, 2),
        (8, 20, 5, 1, 8),
        (8, 20, 5, 2, 13),
        (15, 20, 5, 2, 15),
    ],
)
def test_max_messages_leaves_papers_out_from_the_end(
    count: int, summary_size: int, updated: int, max_messages: int | None, kept: int
) -> None:
    """At most ``max_messages`` messages: the papers that do not fit are left out from the end, the
    digest is rendered again with them counted as remaining (the more line and More (n) say so),
    every message within limits and each paper's buttons beside it."""
    papers = [paper(i, summary="x" * summary_size) for i in range(1, count + 1)]
    later = [paper(100 + i, announce_type=AnnounceType.REPLACE, version=2) for i in range(updated)]
    whole = digest(papers, later)
    messages = render_digest(whole, max_messages=max_messages)
    assert_within_limits(messages)
    assert max_messages is None or len(messages) <= max_messages
    sent = [pid for m in messages for pid in m.paper_ids]
    assert sent == whole.paper_ids()[:kept]
    for message in messages:
        assert [i for i in ids_of(message.rows) if not i.startswith("more:")] == votes_for(message.paper_ids)
    left = count + updated - kept
    last = messages[-1]
    if left:
        assert last.rows[-1][-1].label == f"More ({left})"
        assert last.content.endswith(f"{left} more papers of this day: /more")
    else:
        assert "/more" not in last.content


def test_busy_day_in_three_messages() -> None:
    """The recorded 499-paper day, capped at 3 messages, sends the first papers in full within every
    Discord limit, and counts the rest on the More button."""
    papers = busy_day()
    assert len(papers) == 499
    whole = digest(papers)
    assert len(render_digest(whole)) > 3
    messages = render_digest(whole, max_messages=3)
    assert len(messages) == 3
    assert_within_limits(messages)
    sent = [pid for m in messages for pid in m.paper_ids]
    assert sent == [p.id for p in papers[: len(sent)]] and len(sent) >= 3
    assert messages[-1].rows[-1][-1].label == f"More ({499 - len(sent)})"
    assert messages[0].content.split("\n")[0].endswith("(1/3)**")


def test_max_messages_must_allow_one() -> None:
    """A cap below one message is a programming error, not an empty delivery."""
    with pytest.raises(ValueError, match="at least 1"):
        render_digest(digest([paper(1)]), max_messages=0)


def test_a_later_page_continues_the_numbering() -> None:
    """A page of /more continues the day's numbering on its embeds and buttons."""
    page = replace(digest([paper(i) for i in range(11, 16)]), first=11, shown=3, matched=15)
    (message,) = render_digest(page)
    assert [e.title for e in message.embeds] == [
        "11. Paper number 11",
        "12. Paper number 12",
        "13. Paper number 13",
    ]
    assert [b.label for b in message.rows[0]] == ["👍 11", "👎 11", "👍 12", "👎 12"]
    assert message.rows[-1][-1].label == "More (2)"


def test_header_counts_what_is_shown_of_the_day() -> None:
    """Every message's header counts the papers shown in full, those that matched and those
    announced; after max_messages leaves papers out, it counts the papers really shown."""
    whole = replace(digest([paper(i) for i in range(1, 31)]), announced=400, matched=120, shown=25)
    messages = render_digest(whole, max_messages=2)
    shown = sum(len(m.paper_ids) for m in messages)
    assert shown == 20
    count = t("en", "count_detail", n=shown, matched=120, announced=400)
    assert all(f"**Papers**: {count}" in m.content for m in messages)
    assert messages[-1].content.endswith("100 more papers of this day: /more")


NOTES = {
    "en": [
        "*Not available yet: cs.LG, cs.CV (batch of 2026-09-24); those papers follow when arXiv has them.*",
        "*Papers of cs.DC come from arXiv's export API and may miss papers that were on moderation hold.*",
    ],
    "zh": [
        "*尚不可用：cs.LG、cs.CV（2026-09-24 的一批）；arXiv 发布后补发。*",
        "*cs.DC 的论文来自 arXiv 导出 API，可能缺少曾被审核暂缓的论文。*",
    ],
}


def noted(d: Digest, pending: tuple[str, ...] = ("cs.LG", "cs.CV")) -> Digest:
    """``d`` with categories not available yet and cs.DC served from the export API."""
    return replace(d, pending=pending, from_api=("cs.DC",), final=False)


@pytest.mark.parametrize(
    ("count", "shown", "max_messages"),
    [(3, None, None), (25, None, None), (30, 12, None), (499, None, 3), (0, None, None), (7, 0, None)],
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_notes_end_the_last_message(
    count: int, shown: int | None, max_messages: int | None, language: str
) -> None:
    """A digest missing categories or served from the export API says so, in italics, at the end of
    its last message's content only (after the more line), in the chat's language, within Discord's
    limits."""
    papers = busy_day(count) if count > 100 else [paper(i) for i in range(1, count + 1)]
    d = noted(replace(digest(papers, language=language), shown=shown))
    messages = render_digest(d, max_messages=max_messages)
    assert_within_limits(messages)
    lines = messages[-1].content.split("\n")
    assert lines[-2:] == NOTES[language]
    assert all("moderation" not in m.content and "审核" not in m.content for m in messages[:-1])
    sent = sum(len(m.paper_ids) for m in messages)
    if count > sent:
        assert lines[-3] == escape(more_text(replace(d, shown=sent)))
    elif count == 0:
        assert lines[-3] == escape(no_papers_text(d))


def test_notes_naming_a_hundred_categories_still_fit() -> None:
    """Notes naming a hundred categories are shortened, never pushing the content past its limit."""
    many = tuple(f"cs.X{i:02d}" for i in range(100))
    messages = render_digest(noted(replace(digest([paper(i) for i in range(1, 31)]), shown=20), many))
    assert_within_limits(messages)
    assert messages[-1].content.endswith(NOTES["en"][1])
    assert "10 more papers of this day: /more" in messages[-1].content
