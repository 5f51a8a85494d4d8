"""A digest as Discord messages: the header as content, one embed per paper shown in full, and the
buttons under them (``adapters.discord.buttons``).

Discord's limits: content 2000 characters; per embed title 256, description 4096, field name 256,
field value 1024, footer 2048, 25 fields; per message 10 embeds and 6000 characters across all
embeds (titles, descriptions, field names and values, footers, author names). Lengths are counted
in UTF-16 code units, which is never less than the character count, so the limits hold whichever
way they are counted. Messages are split only between papers. arXiv text is escaped (Markdown and
mentions); messages are sent with ``AllowedMentions.none()`` as well.

Only ``digest.full`` is rendered, numbered from ``digest.first``; when papers of the day remain
(``digest.remaining``), the last message says how many (``more_text``) and carries the "More (n)"
button. The digest's notes (``digest_notes``: categories not available yet, categories from the
export API) end the last message's content, in italics, each within ``NOTE_LIMIT``. With
``max_messages``, papers that do not fit are left out from the end and the digest is rendered again
with a smaller ``shown``, so its counts and its "more" line stay true.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import discord
from discord.utils import escape_markdown, escape_mentions

from adapters.discord.buttons import PAPERS_PER_MESSAGE, Rows, layout, more_button
from adapters.text import utf16_head, utf16_len
from bot.i18n import is_chinese, t, template
from bot.models import Digest, Paper
from bot.render import (
    category_text,
    digest_notes,
    header_fields,
    more_text,
    no_papers_text,
    numbered,
    shorten_authors,
    summary_marker,
    title_line,
)

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBEDS_PER_MESSAGE = 10
MESSAGE_EMBED_TOTAL = 6000
NOTE_LIMIT = 400
"""Characters of one note at most, so the header, the more line and the notes share the content."""
COLOUR = 0xB31B1B
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class RenderedDiscordMessage:
    """One message: header text, the papers' embeds, the ids of the papers it carries, and its
    buttons (rows of ``Button``; empty: none)."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)
    rows: Rows = ()


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` units with an ellipsis, never ending on a lone escaping backslash."""
    if utf16_len(text) <= limit:
        return text
    cut = utf16_head(text, limit - utf16_len(ELLIPSIS))
    backslashes = len(cut) - len(cut.rstrip("\\"))
    if backslashes % 2:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS


def clean(text: str) -> str:
    """Collapse whitespace (arXiv titles carry line breaks and double spaces)."""
    return " ".join(text.split())


def escape(text: str) -> str:
    """Plain text made safe for Discord: Markdown and mentions escaped."""
    return escape_mentions(escape_markdown(text))


def embed_units(embed: discord.Embed) -> int:
    """An embed's size as Discord counts it toward the 6000 limit, in UTF-16 units."""
    total = utf16_len(embed.title or "") + utf16_len(embed.description or "")
    total += utf16_len(embed.footer.text or "") + utf16_len(embed.author.name or "")
    for item in embed.fields:
        total += utf16_len(item.name or "") + utf16_len(item.value or "")
    return total


def _label(language: str, key: str) -> str:
    return f"**{template(language, key)}**" + ("：" if is_chinese(language) else ": ")


def paper_embed(number: int, paper: Paper, language: str, listing: str) -> discord.Embed:
    """The embed of one paper, in the reference digest's order: numbered title linked to its abs
    page; the summary; then fields for the PDF link, the authors, the category (with the
    cross-list or replacement marker) and the abs page."""
    embed = discord.Embed(
        title=fit(f"{number}. {escape(clean(paper.title) or paper.id)}", TITLE_LIMIT),
        url=paper.abs_url,
        colour=COLOUR,
    )
    if paper.summary:
        note = summary_marker(paper, language)
        tail = ("" if is_chinese(language) else " ") + f"*{escape(note)}*" if note else ""
        head = _label(language, "label_summary")
        body = escape(clean(paper.summary))
        embed.description = head + fit(body, DESCRIPTION_LIMIT - utf16_len(head) - utf16_len(tail)) + tail
    pdf = f"[{escape(t(language, 'pdf_link'))}]({paper.pdf_url})"
    embed.add_field(name=template(language, "label_pdf"), value=pdf, inline=True)
    authors = escape(shorten_authors([clean(a) for a in paper.authors], language=language)) or "—"
    embed.add_field(
        name=template(language, "label_authors"), value=fit(authors, FIELD_VALUE_LIMIT), inline=False
    )
    category = escape(category_text(paper, language))
    embed.add_field(
        name=template(language, "label_category"), value=fit(category, FIELD_VALUE_LIMIT), inline=True
    )
    embed.add_field(
        name=template(language, "label_abs"),
        value=f"[arXiv:{escape(paper.id)}]({paper.abs_url})",
        inline=True,
    )
    embed.set_footer(text=fit(f"arXiv:{paper.versioned_id} · {listing}", FOOTER_LIMIT))
    return embed


def header_lines(digest: Digest, part: int | None = None, parts: int | None = None) -> list[str]:
    """The digest's title in bold (with "(k/m)" for a part), the update time and the paper count."""
    colon = "：" if is_chinese(digest.language) else ": "
    lines = [f"**{escape(title_line(digest, part, parts))}**"]
    lines += [f"**{escape(key)}**{colon}{escape(value)}" for key, value in header_fields(digest)]
    return lines


Entry = tuple[int, str, discord.Embed]
"""A paper in a message: its number, its id and its embed."""


def _pack(embeds: Iterable[Entry], max_embeds: int, max_total: int) -> list[list[Entry]]:
    """Greedy groups of papers within the per-message embed count and size."""
    groups: list[list[Entry]] = []
    current: list[Entry] = []
    size = 0
    for entry in embeds:
        width = embed_units(entry[2])
        if current and (len(current) >= max_embeds or size + width > max_total):
            groups.append(current)
            current, size = [], 0
        current.append(entry)
        size += width
    if current:
        groups.append(current)
    return groups


def notes_lines(digest: Digest) -> list[str]:
    """The digest's notes (``digest_notes``) as content lines in italics, each within ``NOTE_LIMIT``."""
    return [f"*{fit(escape(note), NOTE_LIMIT - 2)}*" for note in digest_notes(digest)]


def _content(lines: Sequence[str]) -> str:
    return fit("\n".join(line for line in lines if line), CONTENT_LIMIT)


def _render(
    digest: Digest, notice: str | None, max_embeds: int, max_total: int
) -> list[RenderedDiscordMessage]:
    lang = digest.language
    listing = digest.listing_date.isoformat()
    note = escape(notice) if notice else ""
    if not digest.all_papers:
        empty = no_papers_text(digest)
        lines = [note, *header_lines(digest), escape(empty), *notes_lines(digest)]
        return [RenderedDiscordMessage(_content(lines))]

    full = numbered(digest)[: len(digest.full)]
    entries = [(n, p.id, paper_embed(n, p, lang, listing)) for n, p in full]
    per_message = min(max_embeds, PAPERS_PER_MESSAGE)
    sections = [(False, group) for group in _pack(entries[: len(digest.papers)], per_message, max_total)]
    sections += [(True, group) for group in _pack(entries[len(digest.papers) :], per_message, max_total)]
    if not sections:
        sections = [(False, [])]

    more = more_button(digest.listing_date, digest.remaining, lang)
    more_line = escape(more_text(digest))
    notes = notes_lines(digest)
    messages = []
    first_updated = True
    for part, (is_updated, group) in enumerate(sections, start=1):
        last = part == len(sections)
        lines = [note if part == 1 else ""]
        lines += header_lines(digest, part, len(sections))
        if is_updated and first_updated:
            lines.append(f"— {escape(t(lang, 'updated'))} —")
            first_updated = False
        if last:
            lines += [more_line, *notes]
        messages.append(
            RenderedDiscordMessage(
                content=_content(lines),
                embeds=[embed for _, _, embed in group],
                paper_ids=[paper_id for _, paper_id, _ in group],
                rows=layout([(n, paper_id) for n, paper_id, _ in group], lang, more if last else None),
            )
        )
    return messages


def render_digest(
    digest: Digest,
    notice: str | None = None,
    max_embeds: int = EMBEDS_PER_MESSAGE,
    max_total: int = MESSAGE_EMBED_TOTAL,
    max_messages: int | None = None,
) -> list[RenderedDiscordMessage]:
    """The digest as messages in order: the papers shown in full (``digest.full``), new submissions
    and cross-lists, then (if any) the updated section starting a message of its own; the last
    message says how many papers of the day remain and carries the "More (n)" button, then the
    digest's notes. An empty digest is one message saying so.

    ``max_messages`` (at least 1) caps the number of messages: the papers that do not fit are left
    out from the end, by rendering the digest again with a smaller ``shown``; they stay in
    ``digest.remaining`` (reachable with /more)."""
    if max_messages is None:
        return _render(digest, notice, max_embeds, max_total)
    if max_messages < 1:
        raise ValueError(f"max_messages must be at least 1, not {max_messages}")
    most = max_messages * min(max_embeds, PAPERS_PER_MESSAGE)
    if len(digest.full) > most:
        digest = replace(digest, shown=most)  # no message carries more papers than that
    messages = _render(digest, notice, max_embeds, max_total)
    while len(messages) > max_messages:
        fits = sum(len(message.paper_ids) for message in messages[:max_messages])
        shown = min(fits, len(digest.full) - 1)
        digest = replace(digest, shown=shown)
        messages = _render(digest, notice, max_embeds, max_total)
    return messages


def render_text(text: str) -> str:
    """A plain-text reply as message content: escaped and within the content limit."""
    return fit(escape(text), CONTENT_LIMIT)
