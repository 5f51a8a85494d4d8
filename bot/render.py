"""Digest rendering shared by every output: plain text, Markdown and JSON, plus the small pieces
(header, author list, markers) that the platform renderers reuse. Pure functions only."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.i18n import t
from bot.models import Digest, Paper

AUTHOR_LIMIT = 3


def shorten_authors(authors: Sequence[str], limit: int = AUTHOR_LIMIT) -> str:
    """``A, B, C, D`` → ``A, B, C et al.``; an empty list gives an empty string."""
    if len(authors) <= limit:
        return ", ".join(authors)
    return ", ".join(authors[:limit]) + " et al."


def count_text(n: int, language: str) -> str:
    return t(language, "paper_1") if n == 1 else t(language, "papers", n=n)


def header_text(digest: Digest, part: int | None = None, parts: int | None = None) -> str:
    """``arXiv daily digest - cs.DC, cs.LG - 2026-09-24 - 12 papers (1/3)``."""
    lang = digest.language
    head = (
        f"{t(lang, 'digest_title')} · {', '.join(digest.categories)} · "
        f"{digest.listing_date.isoformat()} · {count_text(len(digest.all_papers), lang)}"
    )
    if parts is not None and parts > 1 and part is not None:
        head += f" ({part}/{parts})"
    return head


def type_marker(paper: Paper, language: str) -> str:
    """A short tag for cross-lists and replacements; empty for new submissions."""
    if paper.announce_type.is_replacement:
        return f"[{t(language, 'replaced')}]"
    if paper.announce_type == "cross":
        return f"[{t(language, 'cross')}]"
    return ""


def summary_marker(paper: Paper, language: str) -> str:
    """Says when a summary is an extract rather than an LLM summary."""
    if paper.summary_source == "extractive":
        return f"({t(language, 'extractive')})"
    return ""


def numbered(digest: Digest) -> list[tuple[int, Paper]]:
    """Papers with their running number across the main and the updated section."""
    return list(enumerate(digest.all_papers, start=1))


def _text_paper(n: int, paper: Paper, language: str) -> list[str]:
    marker = type_marker(paper, language)
    lines = [f"{n}. {paper.title}" + (f" {marker}" if marker else "")]
    if paper.summary:
        note = summary_marker(paper, language)
        lines.append(f"   {paper.summary}" + (f" {note}" if note else ""))
    lines.append(f"   {t(language, 'authors')}: {shorten_authors(paper.authors)}")
    lines.append(f"   {t(language, 'category')}: {paper.primary_category}")
    lines.append(f"   PDF: {paper.pdf_url} | abs: {paper.abs_url}")
    return lines


def render_text(digest: Digest) -> str:
    """Plain text for terminals and logs."""
    lang = digest.language
    lines = [header_text(digest), ""]
    if not digest.all_papers:
        lines.append(t(lang, "no_papers", cats=", ".join(digest.categories), date=digest.listing_date))
    for n, paper in numbered(digest):
        if n == len(digest.papers) + 1 and digest.updated:
            lines += [f"— {t(lang, 'updated')} —", ""]
        lines += [*_text_paper(n, paper, lang), ""]
    return "\n".join(lines).rstrip() + "\n"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~"})


def md_escape(text: str) -> str:
    """Escape Markdown's special characters so arXiv text stays text."""
    return text.translate(_MD_SPECIAL)


def render_markdown(digest: Digest) -> str:
    """Markdown in the reference digest's shape: a header, then one section per paper."""
    lang = digest.language
    lines = [f"# {md_escape(header_text(digest))}", ""]
    if not digest.all_papers:
        lines.append(
            md_escape(t(lang, "no_papers", cats=", ".join(digest.categories), date=digest.listing_date))
        )
    for n, paper in numbered(digest):
        if n == len(digest.papers) + 1 and digest.updated:
            lines += [f"## {md_escape(t(lang, 'updated'))}", ""]
        marker = type_marker(paper, lang)
        lines.append(
            f"### {n}. [{md_escape(paper.title)}]({paper.abs_url})"
            + (f" {md_escape(marker)}" if marker else "")
        )
        lines.append("")
        if paper.summary:
            note = summary_marker(paper, lang)
            lines.append(md_escape(paper.summary) + (f" *{md_escape(note)}*" if note else ""))
            lines.append("")
        lines.append(f"- **{t(lang, 'authors')}**: {md_escape(shorten_authors(paper.authors))}")
        lines.append(f"- **{t(lang, 'category')}**: {md_escape(paper.primary_category)}")
        lines.append(f"- [PDF]({paper.pdf_url}) · [abs]({paper.abs_url})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_json(digest: Digest) -> str:
    """One JSON object as DESIGN.md fixes it."""
    return json.dumps(digest.to_dict(), ensure_ascii=False, indent=2) + "\n"
