"""Digests as Telegram messages in HTML parse mode. Pure functions only.

Every piece of text from arXiv or the LLM goes through ``html.escape``; markup is ours alone. Each
piece is built as a pair (HTML, visible text), so the length Telegram checks — the visible text after
entity parsing, in UTF-16 code units, at most 4096 — is known exactly without parsing anything back.
A digest too long for one message is split between papers only, and every part's header carries
"(k/m)". A paper too long for a message of its own is shortened (summary first, then authors, then
the title), always on the plain text before escaping, so no tag or entity is ever cut.

Only the papers shown in full are rendered. Each message carries its inline keyboard as data
(``RenderedMessage.keyboard``): a row ``👍 n  👎 n`` per paper in it, and on a digest's last message,
when papers of the day follow, the more line and a "More (n)" button. The digest's notes
(``digest_notes``: categories not available yet, categories from the export API) end its last
message, in italics, each within ``NOTE_LIMIT``. A message holds at most
``MAX_PAPERS`` papers, so its keyboard stays within Telegram's 100 buttons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from html import escape

from adapters.text import utf16_head, utf16_len
from bot.i18n import is_chinese, t, template
from bot.models import Digest, Paper
from bot.render import (
    category_name,
    digest_notes,
    header_fields,
    more_text,
    no_papers_text,
    numbered,
    shorten_authors,
    summary_marker,
    title_line,
    type_marker,
)

from .buttons import DISLIKE, LIKE, MAX_BUTTONS, Button, Keyboard, Row, fits, more_data, vote_data

MAX_MESSAGE = 4096
"""Telegram's limit for a message's text after entity parsing, in UTF-16 code units."""
MAX_PAPERS = (MAX_BUTTONS - 1) // 2
"""Papers in one message: each brings two buttons, and the last message may add "More (n)"."""
_PROBE = 8
"""Papers per allowed message rendered first when a digest must fit ``max_messages``: a busy day is
measured on a prefix, never rendered whole."""

NOTE_LIMIT = 600
"""Visible UTF-16 units of one note at most (a note names categories, up to a hundred of them)."""

ELLIPSIS = "…"
_SEPARATOR = "\n\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")
_DANGLING = "\u200d\ufe0e\ufe0f\u200b "

Piece = tuple[str, str]
"""(HTML, visible text) of a fragment."""


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message: its HTML, the text a reader sees, the papers it carries (ids, no version) and its
    inline keyboard."""

    html: str
    plain: str
    paper_ids: tuple[str, ...] = ()
    keyboard: Keyboard = ()
    """The message's inline keyboard: a 👍/👎 row per paper in it, and "More (n)" on a digest's last
    message when papers of the day follow; ``()`` for none."""

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
    """The title line in bold (with "(k/m)" for a part), then the update time and the paper counts."""
    lines = [_tag("b", _text(clean(title_line(digest, part, parts))))]
    for key_text, value in header_fields(digest):
        colon = "：" if is_chinese(digest.language) else ": "
        lines.append(_join([_tag("b", _text(key_text)), _text(colon + value)]))
    return _join(lines, "\n")


def _more_line(digest: Digest) -> Piece | None:
    """``110 more papers of this day: /more`` when papers follow those shown in full."""
    text = clean(more_text(digest))
    return _text(text) if text else None


def _tail(digest: Digest, limit: int) -> Piece | None:
    """What ends a digest's last message: the more line, then the digest's notes in italics (each
    within ``NOTE_LIMIT`` and a quarter of the message's ``limit``)."""
    more = _more_line(digest)
    room = min(NOTE_LIMIT, limit // 4)
    notes = [_tag("i", _text(truncate(clean(note), room))) for note in digest_notes(digest)]
    pieces = [more] if more else []
    if notes:
        pieces.append(_join(notes, "\n"))
    return _join(pieces, _SEPARATOR) if pieces else None


def _more_button(digest: Digest) -> Keyboard:
    """The "More (n)" button, alone in its row, when papers of the day follow those shown in full."""
    if not digest.remaining:
        return ()
    label = t(digest.language, "btn_more", n=digest.remaining)
    return ((Button(label, more_data(digest.listing_date)),),)


def paper_row(number: int, paper_id: str, language: str) -> Row:
    """``👍 3`` and ``👎 3`` for the paper numbered ``number`` (empty if the id cannot be a payload)."""
    like, dislike = vote_data(LIKE, paper_id), vote_data(DISLIKE, paper_id)
    if not (fits(like) and fits(dislike)):
        return ()
    return (
        Button(f"{t(language, 'btn_like')} {number}", like),
        Button(f"{t(language, 'btn_dislike')} {number}", dislike),
    )


@dataclass(frozen=True, slots=True)
class _Block:
    piece: Piece
    number: int
    paper_id: str


def _blocks(digest: Digest, budget: int) -> list[_Block]:
    """The papers shown in full, numbered from ``digest.first``, each shortened to ``budget``."""
    language = digest.language
    heading = _join([_tag("b", _text(clean(t(language, "updated")))), _text("\n")])
    first_updated = len(digest.papers) if digest.updated else -1
    blocks: list[_Block] = []
    for index, (number, paper) in enumerate(numbered(digest)):
        prefix = heading if index == first_updated else ("", "")
        blocks.append(_Block(_fit_paper(number, paper, language, budget, prefix), number, paper.id))
    return blocks


def _pack(blocks: list[_Block], reserved: int, limit: int) -> list[list[_Block]]:
    """Blocks into parts of at most ``limit`` units (``reserved`` of them taken by the header and the
    last message's tail) and at most ``MAX_PAPERS`` papers, in order."""
    parts: list[list[_Block]] = [[]]
    used = reserved
    for block in blocks:
        cost = len(_SEPARATOR) + _size(block.piece)
        if parts[-1] and (used + cost > limit or len(parts[-1]) >= MAX_PAPERS):
            parts.append([])
            used = reserved
        parts[-1].append(block)
        used += cost
    return parts


def _render(digest: Digest, limit: int) -> list[RenderedMessage]:
    tail = _tail(digest, limit)
    tail_size = len(_SEPARATOR) + _size(tail) if tail else 0
    if not digest.full:
        empty = None if _more_line(digest) else _text(truncate(clean(no_papers_text(digest)), limit // 4))
        piece = _join([p for p in (_header(digest, None, None), empty, tail) if p], _SEPARATOR)
        return [RenderedMessage(piece[0], piece[1], (), _more_button(digest))]
    guess = 1
    while True:
        widest = _header(digest, guess, guess) if guess > 1 else _header(digest, None, None)
        reserved = _size(widest) + tail_size
        budget = limit - reserved - len(_SEPARATOR)
        parts = _pack(_blocks(digest, budget), reserved, limit)
        if len(parts) <= guess:
            break
        guess = len(parts)
    total = len(parts)
    messages = []
    for index, part in enumerate(parts, start=1):
        header = _header(digest, index, total) if total > 1 else _header(digest, None, None)
        pieces = [header, *(block.piece for block in part)]
        rows = [row for block in part if (row := paper_row(block.number, block.paper_id, digest.language))]
        if index == total and tail:
            pieces.append(tail)
            rows += _more_button(digest)
        piece = _join(pieces, _SEPARATOR)
        ids = tuple(block.paper_id for block in part)
        messages.append(RenderedMessage(piece[0], piece[1], ids, tuple(rows)))
    return messages


def render_digest(
    digest: Digest, limit: int = MAX_MESSAGE, max_messages: int | None = None
) -> list[RenderedMessage]:
    """The digest as messages of at most ``limit`` visible UTF-16 units, split between papers.

    Only the papers shown in full (``digest.full``) are rendered, numbered from ``digest.first``;
    each carries its 👍/👎 row in the message's keyboard, and when papers of the day follow, the last
    message ends with the more line and a "More (n)" button. The digest's notes (``digest_notes``)
    end the last message. With ``max_messages``, papers that do
    not fit in that many messages are left out from the end (``shown`` lowered), so the header's
    counts, the more line and the button's count stay true.
    """
    if max_messages is None:
        return _render(digest, limit)
    if max_messages < 1:
        raise ValueError(f"max_messages must be at least 1, not {max_messages}")
    full = len(digest.full)
    probe = min(full, max_messages * _PROBE)
    while True:
        messages = _render(replace(digest, shown=probe), limit)
        if len(messages) > max_messages or probe >= full:
            break
        probe = min(full, probe * 2)
    if len(messages) <= max_messages:
        return messages
    shown = sum(len(message.paper_ids) for message in messages[:max_messages])
    while True:
        messages = _render(replace(digest, shown=shown), limit)
        if len(messages) <= max_messages or shown <= 1:
            return messages
        shown -= 1


def render_reply(text: str, limit: int = MAX_MESSAGE) -> RenderedMessage:
    """A plain-text reply as a message: escaped for HTML mode, cut to ``limit`` units if longer."""
    plain = truncate(clean(text, keep_lines=True), limit) or ELLIPSIS
    return RenderedMessage(escape(plain), plain, ())
