"""Digests as Telegram messages in HTML parse mode. Pure functions only.

Every piece of text from arXiv or the LLM goes through ``html.escape``; markup is ours alone. Each
piece is built as a pair (HTML, visible text), so the length Telegram checks — the visible text after
entity parsing, in UTF-16 code units, at most 4096 — is known exactly without parsing anything back.
A digest too long for one message is split between papers only, and every part's header carries
"(k/m)". A paper too long for a message of its own is shortened (summary first, then authors, then
the title), always on the plain text before escaping, so no tag or entity is ever cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from adapters.text import utf16_head, utf16_len
from bot.i18n import is_chinese, t, template
from bot.models import Digest, Paper
from bot.render import (
    category_name,
    header_fields,
    no_papers_text,
    numbered,
    shorten_authors,
    summary_marker,
    title_line,
    type_marker,
)

MAX_MESSAGE = 4096
"""Telegram's limit for a message's text after entity parsing, in UTF-16 code units."""

ELLIPSIS = "…"
_SEPARATOR = "\n\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_DANGLING = "\u200d\ufe0e\ufe0f\u200b "

Piece = tuple[str, str]
"""(HTML, visible text) of a fragment."""


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message: its HTML, the text a reader sees, and the papers it carries (ids, no version)."""

    html: str
    plain: str
    paper_ids: tuple[str, ...] = ()

    @property
    def length(self) -> int:
        """The length Telegram checks against ``MAX_MESSAGE``."""
        return utf16_len(self.plain)


def clean(text: str, keep_lines: bool = False) -> str:
    """Text safe to send: no control characters or lone surrogates; whitespace runs collapsed
    (within lines when ``keep_lines``)."""
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text
    if keep_lines:
        lines = [" ".join(_CONTROL.sub(" ", line).split()) for line in text.splitlines()]
        return "\n".join(lines).strip("\n")
    return " ".join(_CONTROL.sub(" ", text).split())


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def truncate(text: str, max_units: int) -> str:
    """``text`` cut to at most ``max_units`` UTF-16 units, ending in "…" when cut (at a word
    boundary when one is near); never splits a character."""
    if utf16_len(text) <= max_units:
        return text
    if max_units <= 0:
        return ""
    cut = utf16_head(text, max_units - utf16_len(ELLIPSIS))
    space = cut.rfind(" ")
    if space > 0 and space >= len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip(_DANGLING) + ELLIPSIS


# -- pieces ----------------------------------------------------------------------------------------------


def _text(text: str) -> Piece:
    return escape(text), text


def _tag(tag: str, piece: Piece) -> Piece:
    return f"<{tag}>{piece[0]}</{tag}>", piece[1]


def _link(url: str, piece: Piece) -> Piece:
    return f'<a href="{escape(url)}">{piece[0]}</a>', piece[1]


def _join(pieces: Sequence[Piece], separator: str = "") -> Piece:
    return separator.join(p[0] for p in pieces), separator.join(p[1] for p in pieces)


def _size(piece: Piece) -> int:
    return utf16_len(piece[1])


@dataclass(frozen=True, slots=True)
class _Fields:
    title: str
    summary: str
    authors: str


def _fields(paper: Paper, language: str) -> _Fields:
    return _Fields(
        title=clean(paper.title) or paper.id,
        summary=clean(paper.summary),
        authors=clean(shorten_authors([clean(a) for a in paper.authors], language=language)),
    )


def _label(language: str, key: str) -> Piece:
    colon = "：" if is_chinese(language) else ": "
    return _join([_tag("b", _text(template(language, key))), _text(colon)])


def _category(paper: Paper, language: str) -> Piece:
    """``<code>cs.LG</code> (Machine Learning), cross-list`` / ``<code>cs.LG</code>（机器学习），交叉列表``."""
    code = clean(paper.primary_category)[:40]
    zh = is_chinese(language)
    pieces = [_tag("code", _text(code or "arXiv"))]
    name = clean(category_name(code, language)) if code else ""
    if name and name != code:
        pieces.append(_text(f"（{name}）" if zh else f" ({name})"))
    marker = type_marker(paper, language)
    if marker:
        pieces.append(_text(f"，{marker}" if zh else f", {marker}"))
    return _join(pieces)


def _paper(number: int, paper: Paper, fields: _Fields, language: str) -> Piece:
    """In the reference digest's order: number and title linked to the abs page; the summary (with
    the extract marker); the PDF link; the authors; the primary category with the cross-list or
    replacement marker; the abs page."""
    lines = [_join([_text(f"{number}. "), _link(paper.abs_url, _tag("b", _text(fields.title)))])]
    if fields.summary:
        summary = [_label(language, "label_summary"), _text(fields.summary)]
        note = summary_marker(paper, language)
        if note:
            summary += [_text("" if is_chinese(language) else " "), _tag("i", _text(note))]
        lines.append(_join(summary))
    lines.append(_join([_label(language, "label_pdf"), _link(paper.pdf_url, _text(t(language, "pdf_link")))]))
    if fields.authors:
        lines.append(_join([_label(language, "label_authors"), _text(fields.authors)]))
    lines.append(_join([_label(language, "label_category"), _category(paper, language)]))
    lines.append(
        _join([_label(language, "label_abs"), _link(paper.abs_url, _text(f"arXiv:{clean(paper.id)}"))])
    )
    return _join(lines, "\n")


def _fit_paper(number: int, paper: Paper, language: str, budget: int, prefix: Piece) -> Piece:
    """The paper's block (after ``prefix``), shortened until it fits ``budget`` units."""
    fields = _fields(paper, language)

    def build(f: _Fields) -> Piece:
        return _join([prefix, _paper(number, paper, f, language)])

    block = build(fields)
    over = _size(block) - budget
    if over <= 0:
        return block

    def shorter_summary(f: _Fields, excess: int) -> _Fields:
        return _Fields(f.title, truncate(f.summary, utf16_len(f.summary) - excess), f.authors)

    def first_author(f: _Fields, excess: int) -> _Fields:
        return _Fields(f.title, f.summary, clean(shorten_authors(paper.authors, 1, language)))

    def shorter_authors(f: _Fields, excess: int) -> _Fields:
        return _Fields(f.title, f.summary, truncate(f.authors, utf16_len(f.authors) - excess))

    def shorter_title(f: _Fields, excess: int) -> _Fields:
        return _Fields(truncate(f.title, max(utf16_len(f.title) - excess, 1)), f.summary, f.authors)

    steps = (shorter_summary, first_author, shorter_authors, shorter_title)
    for step in steps:
        fields = step(fields, over)
        block = build(fields)
        over = _size(block) - budget
        if over <= 0:
            return block
    raise ValueError(f"a message budget of {budget} cannot hold even a shortened paper")


# -- digests ----------------------------------------------------------------------------------------------


def _header(digest: Digest, part: int | None, parts: int | None) -> Piece:
    """The title line in bold (with "(k/m)" for a part), then the update time and the paper count."""
    lines = [_tag("b", _text(clean(title_line(digest, part, parts))))]
    for key_text, value in header_fields(digest):
        colon = "：" if is_chinese(digest.language) else ": "
        lines.append(_join([_tag("b", _text(key_text)), _text(colon + value)]))
    return _join(lines, "\n")


def _blocks(digest: Digest, budget: int) -> list[tuple[Piece, str]]:
    language = digest.language
    heading = _join([_tag("b", _text(clean(t(language, "updated")))), _text("\n")])
    blocks: list[tuple[Piece, str]] = []
    for number, paper in numbered(digest):
        first_updated = bool(digest.updated) and number == len(digest.papers) + 1
        prefix = heading if first_updated else ("", "")
        blocks.append((_fit_paper(number, paper, language, budget, prefix), paper.id))
    return blocks


def _pack(blocks: list[tuple[Piece, str]], header_size: int, limit: int) -> list[list[tuple[Piece, str]]]:
    parts: list[list[tuple[Piece, str]]] = [[]]
    used = header_size
    for block in blocks:
        cost = len(_SEPARATOR) + _size(block[0])
        if parts[-1] and used + cost > limit:
            parts.append([])
            used = header_size
        parts[-1].append(block)
        used += cost
    return parts


def render_digest(digest: Digest, limit: int = MAX_MESSAGE) -> list[RenderedMessage]:
    """The digest as messages of at most ``limit`` visible UTF-16 units, split between papers."""
    if not digest.all_papers:
        note = no_papers_text(digest)
        piece = _join([_header(digest, None, None), _text(truncate(clean(note), limit // 2))], _SEPARATOR)
        return [RenderedMessage(piece[0], piece[1], ())]
    guess = 1
    while True:
        widest = _header(digest, guess, guess) if guess > 1 else _header(digest, None, None)
        header_size = _size(widest)
        budget = limit - header_size - len(_SEPARATOR)
        parts = _pack(_blocks(digest, budget), header_size, limit)
        if len(parts) <= guess:
            break
        guess = len(parts)
    total = len(parts)
    messages = []
    for index, part in enumerate(parts, start=1):
        header = _header(digest, index, total) if total > 1 else _header(digest, None, None)
        piece = _join([header, *(block for block, _ in part)], _SEPARATOR)
        messages.append(RenderedMessage(piece[0], piece[1], tuple(pid for _, pid in part)))
    return messages


def render_reply(text: str, limit: int = MAX_MESSAGE) -> RenderedMessage:
    """A plain-text reply as a message: escaped for HTML mode, cut to ``limit`` units if longer."""
    plain = truncate(clean(text, keep_lines=True), limit) or ELLIPSIS
    return RenderedMessage(escape(plain), plain, ())
