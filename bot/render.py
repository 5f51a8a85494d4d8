"""Digest rendering shared by every output: plain text, Markdown and JSON, plus the pieces (title,
header fields, author list, category line, markers) that the platform renderers reuse, so every
output shows the same things in the same order with the same labels. Pure functions only.

The shape is the reference digest's. In Markdown, in Chinese::

    # ArXiv论文日报 - 分布式、并行与集群计算

    **更新时间**: 2026-09-24 08:00:00 UTC+8

    **论文数量**: 2 篇

    ---

    ### 1. {title}
    - **精简摘要**：{summary}
    - **PDF链接**：[ArXiv下载]({pdf})
    - **作者**：{authors}
    - **分类**：cs.DC（分布式、并行与集群计算）
    - **摘要页**：[arXiv:2609.00001]({abs})

English mirrors it ("arXiv Daily Digest - {title}", "Updated", "Papers", "Summary", "PDF"). The
update time is arXiv's announcement of the batch (20:00 US Eastern before the listing date) in the
chat's time zone, with its UTC offset.

Only the papers shown in full (``Digest.full``) are rendered, numbered from ``Digest.first``; when
the day holds more, the count line says how many matched and were announced
(``**论文数量**: 10 篇（匹配 120 篇，当日发布 400 篇）``) and a last line how many more ``/more``
brings (``more_text``). JSON lists every paper of the digest.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import taxonomy
from bot.errors import BadInput
from bot.i18n import format_moment, is_chinese, join_list, join_names, label, t, template
from bot.listing import announcement_at
from bot.models import Digest, Paper

AUTHOR_LIMIT = 3
TITLE_CATEGORIES = 3
"""A default title names at most this many categories, then says how many more."""


# -- small pieces ------------------------------------------------------------------------------------------


def shorten_authors(authors: Sequence[str], limit: int = AUTHOR_LIMIT, language: str = "en") -> str:
    """``A, B, C, D`` → ``A, B, C et al.`` (Chinese: ``A、B、C 等``); no authors give ``""``."""
    names = [name for name in (" ".join(a.split()) for a in authors) if name]
    if len(names) <= limit:
        return join_list(names, language)
    return t(language, "et_al", names=join_list(names[:limit], language))


def count_text(n: int, language: str) -> str:
    return t(language, "paper_1") if n == 1 else t(language, "papers", n=n)


def category_name(code: str, language: str) -> str:
    """The category's name in ``language`` (the code itself for a code the taxonomy does not know)."""
    try:
        return taxonomy.name_of(code, language)
    except BadInput:
        return code


def default_title(categories: Sequence[str], language: str) -> str:
    """The categories' names in ``language``: ``分布式、并行与集群计算；机器学习``, at most
    ``TITLE_CATEGORIES`` of them and then how many more."""
    names = [category_name(code, language) for code in categories]
    if not names:
        return "arXiv"
    if len(names) <= TITLE_CATEGORIES:
        return join_names(names, language)
    shown = join_names(names[:TITLE_CATEGORIES], language)
    return t(language, "title_more", names=shown, n=len(names) - TITLE_CATEGORIES)


def digest_title(digest: Digest) -> str:
    """The chat's own title, or by default the categories' names in the digest's language."""
    return digest.title or default_title(digest.categories, digest.language)


def title_line(digest: Digest, part: int | None = None, parts: int | None = None) -> str:
    """``ArXiv论文日报 - 云计算`` (and ``(1/3)`` for a part of a split digest)."""
    head = f"{t(digest.language, 'digest_title')} - {digest_title(digest)}"
    if parts is not None and parts > 1 and part is not None:
        head += f" ({part}/{parts})"
    return head


def updated_at(digest: Digest) -> datetime:
    """When arXiv announced the digest's batch, in the digest's time zone."""
    try:
        zone = ZoneInfo(digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return announcement_at(digest.listing_date).astimezone(zone)


def count_value(digest: Digest) -> str:
    """The header's paper count: the papers shown in full (``12`` / ``12 篇``) and, when the day
    holds more, how many matched the chat and how many arXiv announced: ``10 (of 120 matching, 400
    announced)`` / ``10 篇（匹配 120 篇，当日发布 400 篇）``, or ``10 (of 400 announced)`` when every
    announced paper matched."""
    lang = digest.language
    n = len(digest.full)
    announced, matched = digest.announced, digest.matched
    if announced is None:
        return t(lang, "count_value", n=n)
    if matched is None or matched == announced:
        if n == announced and digest.first == 1:
            return t(lang, "count_value", n=n)
        return t(lang, "count_announced", n=n, announced=announced)
    return t(lang, "count_detail", n=n, matched=matched, announced=announced)


def header_fields(digest: Digest) -> list[tuple[str, str]]:
    """(label, value) pairs of the header: the update time and the paper count (``count_value``)."""
    lang = digest.language
    return [
        (template(lang, "label_updated_at"), format_moment(updated_at(digest), seconds=True)),
        (template(lang, "label_count"), count_value(digest)),
    ]


def digest_notes(digest: Digest) -> list[str]:
    """Lines saying what a digest may lack: categories not available yet, and categories served from
    arXiv's export API (which may miss papers that were on moderation hold)."""
    lang = digest.language
    notes = []
    if digest.pending:
        cats = join_list(digest.pending, lang)
        notes.append(t(lang, "digest_pending", cats=cats, date=digest.listing_date.isoformat()))
    if digest.from_api:
        notes.append(t(lang, "digest_from_api", cats=join_list(digest.from_api, lang)))
    return notes


def type_marker(paper: Paper, language: str) -> str:
    """``cross-list`` or ``updated, v2`` (Chinese ``交叉列表``, ``更新版本 v2``); empty for new papers."""
    if paper.announce_type.is_replacement:
        return t(language, "replaced", version=paper.version)
    if paper.announce_type == "cross":
        return t(language, "cross")
    return ""


def summary_marker(paper: Paper, language: str) -> str:
    """Says when a summary is an extract rather than an LLM summary: ``(…)`` or ``（…）``."""
    if paper.summary_source == "extractive":
        note = t(language, "extractive")
        return f"（{note}）" if is_chinese(language) else f"({note})"
    return ""


def category_text(paper: Paper, language: str) -> str:
    """``cs.LG (Machine Learning), cross-list`` / ``cs.LG（机器学习），交叉列表``."""
    code = " ".join(paper.primary_category.split()) or "arXiv"
    name = category_name(code, language) if paper.primary_category else ""
    zh = is_chinese(language)
    text = code
    if name and name != code:
        text += f"（{name}）" if zh else f" ({name})"
    marker = type_marker(paper, language)
    if marker:
        text += f"，{marker}" if zh else f", {marker}"
    return text


def numbered(digest: Digest) -> list[tuple[int, Paper]]:
    """The papers shown in full (``digest.full``) with their running number across the main and the
    updated section, from ``digest.first`` (a later page continues the day's numbering)."""
    return list(enumerate(digest.full, start=digest.first))


def updated_from(digest: Digest) -> int | None:
    """The number of the first replacement shown in full (where the "updated" section starts), or
    None when none is shown."""
    if not digest.updated or len(digest.full) <= len(digest.papers):
        return None
    return digest.first + len(digest.papers)


def more_text(digest: Digest) -> str:
    """``110 more papers of this day: /more`` when papers of the day follow those shown in full;
    empty otherwise."""
    n = digest.remaining
    if n == 1:
        return t(digest.language, "more_line_1")
    return t(digest.language, "more_line", n=n) if n else ""


def no_papers_text(digest: Digest) -> str:
    lang = digest.language
    return t(lang, "no_papers", cats=join_list(digest.categories, lang), date=digest.listing_date)


def one_line(text: str) -> str:
    """Whitespace runs (line breaks included) as one space."""
    return " ".join(text.split())


# -- plain text --------------------------------------------------------------------------------------------


def _text_paper(n: int, width: int, paper: Paper, language: str) -> list[str]:
    indent = " " * (width + 2)
    lines = [f"{n:>{width}}. {one_line(paper.title) or paper.id}"]
    if paper.summary:
        note = summary_marker(paper, language)
        summary = one_line(paper.summary)
        lines.append(f"{indent}{label(language, 'label_summary')}{summary}{_spaced(note, language)}")
    lines.append(f"{indent}{label(language, 'label_pdf')}{paper.pdf_url}")
    authors = shorten_authors(paper.authors, language=language)
    if authors:
        lines.append(f"{indent}{label(language, 'label_authors')}{authors}")
    lines.append(f"{indent}{label(language, 'label_category')}{category_text(paper, language)}")
    lines.append(f"{indent}{label(language, 'label_abs')}{paper.abs_url}")
    return lines


def _spaced(note: str, language: str) -> str:
    if not note:
        return ""
    return note if is_chinese(language) else f" {note}"


def render_text(digest: Digest, more: str | None = None) -> str:
    """Plain text for terminals and logs: the same fields as Markdown, numbers right-aligned. Only
    the papers shown in full are listed; ``more`` is the line counting the rest of the day
    (default ``more_text``; empty for none)."""
    lang = digest.language
    lines = [title_line(digest)]
    colon = "：" if is_chinese(lang) else ": "
    lines += [f"{label_text}{colon}{value}" for label_text, value in header_fields(digest)]
    lines += ["---", ""]
    if not digest.all_papers:
        lines.append(no_papers_text(digest))
    papers = numbered(digest)
    width = len(str(papers[-1][0])) if papers else 1
    section = updated_from(digest)
    for n, paper in papers:
        if n == section:
            lines += [f"== {t(lang, 'updated')} ==", ""]
        lines += [*_text_paper(n, width, paper, lang), ""]
    rest = more_text(digest) if more is None else more
    if rest:
        lines += [rest, ""]
    lines += digest_notes(digest)
    return "\n".join(lines).rstrip() + "\n"


# -- Markdown ----------------------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_EMAIL_AUTOLINK = re.compile(
    r"<[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*>"
)
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_space(char: str) -> bool:
    return char == "" or char.isspace() or unicodedata.category(char) == "Zs"


def _is_punctuation(char: str) -> bool:
    return char in _ASCII_PUNCTUATION or unicodedata.category(char)[:1] in ("P", "S")


def _may_delimit(text: str, start: int, end: int) -> bool:
    """Whether the run ``text[start:end]`` of ``*`` or ``_`` could open or close emphasis
    (CommonMark's flanking rules; the run's outside neighbours count as either space or punctuation)."""
    if start == 0 or end == len(text):
        return True
    before, after = text[start - 1], text[end]
    left = not _is_space(after) and (
        not _is_punctuation(after) or _is_space(before) or _is_punctuation(before)
    )
    right = not _is_space(before) and (
        not _is_punctuation(before) or _is_space(after) or _is_punctuation(after)
    )
    if text[start] == "*":
        return left or right
    opens = left and (not right or _is_punctuation(before))
    closes = right and (not left or _is_punctuation(after))
    return opens or closes


def md_escape(text: str) -> str:
    """``text`` as CommonMark inline content that renders exactly as ``text``: a backslash only where
    a character would otherwise become markup (emphasis, code, links, HTML, entities, escapes,
    GFM strikethrough). LaTeX stays as written (``$\\alpha$-stable``). Whitespace runs become one space."""
    text = one_line(text)
    out: list[str] = []
    tildes = text.count("~") >= 2
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in "*_":
            end = i
            while end < n and text[end] == char:
                end += 1
            run = text[i:end]
            out.append("".join("\\" + c for c in run) if _may_delimit(text, i, end) else run)
            i = end
            continue
        following = text[i + 1] if i + 1 < n else ""
        if (
            char == "`"
            or (char == "\\" and (following == "" or following in _ASCII_PUNCTUATION))
            or (char == "<" and (following.isalpha() or following in "/!?" or _EMAIL_AUTOLINK.match(text, i)))
            or (char == "&" and _ENTITY.match(text, i))
            or (char == "]" and following in "([")
            or (char == "~" and tildes)
        ):
            out.append("\\" + char)
        else:
            out.append(char)
        i += 1
    return "".join(out)


def md_heading_text(text: str) -> str:
    """``md_escape`` for an ATX heading's content: a trailing run of ``#`` is kept as text."""
    escaped = md_escape(text)
    stripped = escaped.rstrip("#")
    if stripped != escaped and (stripped == "" or stripped.endswith(" ")):
        return stripped + "\\#" * (len(escaped) - len(stripped))
    return escaped


def _md_url(url: str) -> str:
    """A link destination: arXiv's URLs have no spaces or parentheses; others are wrapped in ``<>``."""
    if re.search(r"[\s()<>]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20") + ">"
    return url


def _md_note(note: str, language: str) -> str:
    """A summary's note in italics, after the summary: `` *(…)*`` in English; in Chinese, with no
    space before it, the brackets stay outside the emphasis (``（*…*）``), so the ``*`` opens and
    closes whatever character the summary ends with (a letter, a digit, a CJK character)."""
    if not is_chinese(language):
        return _spaced(f"*{md_escape(note)}*", language)
    inner = note.lstrip("（(").rstrip("）)")
    if not inner.strip():
        return md_escape(note)
    head, tail = note[: len(note) - len(note.lstrip("（("))], note[len(note.rstrip("）)")) :]
    return f"{md_escape(head)}*{md_escape(inner)}*{md_escape(tail)}"


def _md_item(language: str, key: str, value: str) -> str:
    colon = "：" if is_chinese(language) else ": "
    return f"- **{template(language, key)}**{colon}{value}"


def render_markdown(digest: Digest, more: str | None = None) -> str:
    """CommonMark in the reference digest's shape (see the module's docstring): the papers shown in
    full, then ``more``, the line counting the rest of the day (default ``more_text``; empty for
    none)."""
    lang = digest.language
    lines = [f"# {md_heading_text(title_line(digest))}", ""]
    for label_text, value in header_fields(digest):
        lines += [f"**{label_text}**: {md_escape(value)}", ""]
    lines += ["---", ""]
    if not digest.all_papers:
        lines += [md_escape(no_papers_text(digest)), ""]
    section = updated_from(digest)
    for n, paper in numbered(digest):
        if n == section:
            lines += [f"## {md_heading_text(t(lang, 'updated'))}", ""]
        lines.append(f"### {n}. {md_heading_text(paper.title or paper.id)}")
        if paper.summary:
            note = summary_marker(paper, lang)
            shown = _md_note(note, lang) if note else ""
            lines.append(_md_item(lang, "label_summary", md_escape(paper.summary) + shown))
        pdf = f"[{md_escape(t(lang, 'pdf_link'))}]({_md_url(paper.pdf_url)})"
        lines.append(_md_item(lang, "label_pdf", pdf))
        authors = shorten_authors(paper.authors, language=lang)
        if authors:
            lines.append(_md_item(lang, "label_authors", md_escape(authors)))
        lines.append(_md_item(lang, "label_category", md_escape(category_text(paper, lang))))
        lines.append(_md_item(lang, "label_abs", f"[arXiv:{paper.id}]({_md_url(paper.abs_url)})"))
        lines.append("")
    rest = more_text(digest) if more is None else more
    if rest:
        lines += [md_escape(rest), ""]
    lines += [f"*{md_escape(note)}*" for note in digest_notes(digest)]
    return "\n".join(lines).rstrip() + "\n"


# -- JSON --------------------------------------------------------------------------------------------------


def render_json(digest: Digest) -> str:
    """One JSON object as DESIGN.md fixes it: every paper of the digest (every matching paper,
    ranked), ``relevance`` on each when ranked, ``announced`` and ``matched`` when counted; papers
    past those shown in full carry no summary (``summary_source`` ``none``)."""
    return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n"
