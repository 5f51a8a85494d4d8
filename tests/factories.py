"""Small builders of model values for tests."""

from __future__ import annotations

from datetime import date

from bot.models import AnnounceType, Digest, Paper


def paper(
    n: int = 1,
    *,
    title: str | None = None,
    categories: tuple[str, ...] = ("cs.DC",),
    announce: AnnounceType = AnnounceType.NEW,
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing"),
    summary: str = "",
    source: str = "none",
    version: int = 1,
) -> Paper:
    return Paper(
        id=f"2609.{n:05d}",
        version=version,
        title=title or f"Paper number {n}",
        authors=authors,
        categories=categories,
        primary_category=categories[0],
        announce_type=announce,
        abstract=f"We propose method {n}. Results show it works.",
        summary=summary,
        summary_source=source,  # type: ignore[arg-type]
    )


def digest(papers: list[Paper], updated: list[Paper] | None = None, language: str = "en") -> Digest:
    return Digest(
        listing_date=date(2026, 9, 24),
        categories=("cs.DC", "cs.LG"),
        language=language,
        papers=tuple(papers),
        updated=tuple(updated or []),
    )


def held(holder: tuple[str, float] | None) -> tuple[object, object] | None:
    """A lease's ``(owner, until)`` typed loosely, to compare with ``("a", pytest.approx(t))``."""
    return holder
