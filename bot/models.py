"""Value types shared by every part: papers, batches, digests and chats.

All are frozen dataclasses with a JSON-ready ``to_dict`` and a ``from_dict`` that reverses it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Literal, TypeAlias

from bot.language import canonical_language

SummarySource = Literal["llm", "extractive", "none"]

_VERSIONED = re.compile(r"^(?P<id>.+?)(?:v(?P<version>\d+))?$")


class AnnounceType(StrEnum):
    """How a paper appears in a listing, as arXiv's feed names it."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"

    @property
    def is_replacement(self) -> bool:
        return self in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS)


def split_version(arxiv_id: str) -> tuple[str, int]:
    """``"2602.02489v3"`` → ``("2602.02489", 3)``; no version means version 1."""
    match = _VERSIONED.match(arxiv_id.strip())
    assert match is not None
    version = match.group("version")
    return match.group("id"), int(version) if version else 1


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper of a listing. ``id`` has no version; ``title`` and ``abstract`` are unescaped text."""

    id: str
    version: int
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    primary_category: str
    announce_type: AnnounceType
    abstract: str
    summary: str = ""
    summary_source: SummarySource = "none"
    relevance: float | None = None
    """How relevant the paper is to the chat it is shown to (higher is more relevant); None when
    the chat has no interests or feedback and papers keep arXiv's order."""

    @property
    def versioned_id(self) -> str:
        return f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    def with_summary(self, summary: str, source: SummarySource) -> Paper:
        return replace(self, summary=summary, summary_source=source)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "authors": list(self.authors),
            "categories": list(self.categories),
            "primary_category": self.primary_category,
            "announce_type": self.announce_type.value,
            "abstract": self.abstract,
            "summary": self.summary,
            "summary_source": self.summary_source,
            "abs_url": self.abs_url,
            "pdf_url": self.pdf_url,
            **({} if self.relevance is None else {"relevance": self.relevance}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        return cls(
            id=data["id"],
            version=int(data["version"]),
            title=data["title"],
            authors=tuple(data["authors"]),
            categories=tuple(data["categories"]),
            primary_category=data["primary_category"],
            announce_type=AnnounceType(data["announce_type"]),
            abstract=data.get("abstract", ""),
            summary=data.get("summary", ""),
            summary_source=data.get("summary_source", "none"),
            relevance=None if data.get("relevance") is None else float(data["relevance"]),
        )


@dataclass(frozen=True, slots=True)
class Batch:
    """What a source returned for one listing date: papers in feed order, without summaries.

    ``expected`` is the listing date asked for or due by the calendar (``listing_date`` is older
    while the feed is not rebuilt yet); ``pending`` the categories whose papers of that day cannot
    be had yet, ``stale`` those whose feed still lists the previous batch; ``from_api`` the
    categories served from the export API (it may miss papers on moderation hold); ``final`` is
    False while more may still come for this day (a category pending, or only the API's record).
    """

    listing_date: date
    categories: tuple[str, ...]
    papers: tuple[Paper, ...]
    origin: Literal["rss", "api", "cache"] = "rss"
    expected: date | None = None
    pending: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    from_api: tuple[str, ...] = ()
    final: bool = True


@dataclass(frozen=True, slots=True)
class Digest:
    """One chat-ready digest: new submissions, then cross-lists, then (if asked) replacements.

    ``title`` is the chat's own digest title (empty: the categories' names in ``language``);
    ``timezone`` is the IANA zone its times are shown in. Both are per chat: ``for_chat`` sets them
    on a digest built for many chats.
    ``pending`` names categories whose papers of this listing date cannot be had yet (they follow
    later); ``from_api`` those served from arXiv's export API, which may miss papers on moderation
    hold; ``final`` is False while more may still come for this listing date.

    A busy day is shown in part: ``shown`` papers from the start of ``all_papers`` in full (None:
    all of them), the rest counted and reachable page by page (``/more``). ``announced`` counts the
    papers the batch lists in the digest's categories and ``matched`` those left after the chat's
    announce types and filters (None when not counted). ``first`` is the running number of the first
    paper, so a later page continues the day's numbering.
    """

    listing_date: date
    categories: tuple[str, ...]
    language: str
    papers: tuple[Paper, ...]
    updated: tuple[Paper, ...] = ()
    title: str = ""
    timezone: str = "UTC"
    pending: tuple[str, ...] = ()
    from_api: tuple[str, ...] = ()
    final: bool = True
    announced: int | None = None
    matched: int | None = None
    shown: int | None = None
    first: int = 1

    @property
    def all_papers(self) -> tuple[Paper, ...]:
        return self.papers + self.updated

    @property
    def full(self) -> tuple[Paper, ...]:
        """The papers shown in full, in order."""
        papers = self.all_papers
        return papers if self.shown is None else papers[: self.shown]

    @property
    def remaining(self) -> int:
        """Papers of the day matching the chat that come after this digest's papers shown in full."""
        total = self.matched if self.matched is not None else self.first - 1 + len(self.all_papers)
        return max(0, total - (self.first - 1) - len(self.full))

    def paper_ids(self) -> list[str]:
        return [p.id for p in self.all_papers]

    def for_chat(self, settings: ChatSettings) -> Digest:
        """The same digest with the chat's title and time zone."""
        return replace(self, title=settings.title, timezone=settings.timezone)

    def without(self, received: Iterable[str]) -> Digest:
        """The same digest less the papers whose id is in ``received``."""
        seen = set(received)
        return replace(
            self,
            papers=tuple(p for p in self.papers if p.id not in seen),
            updated=tuple(p for p in self.updated if p.id not in seen),
        )

    def next_page(self, received: Collection[str], size: int | None, skip: Collection[str] = ()) -> Digest:
        """The next page of this day for a chat, from a digest of every matching paper in the chat's
        order: the first ``size`` papers (all when None) that are neither in ``received`` (the chat
        has them) nor in ``skip`` (offered already, reachable with ``/more``), all shown in full,
        numbered after the papers received. ``matched`` and ``announced`` are kept, so
        ``remaining`` counts what is left of the day after this page."""
        had = sum(1 for p in self.all_papers if p.id in received)
        left = [p for p in self.all_papers if p.id not in received and p.id not in skip]
        chosen = {p.id for p in (left if size is None else left[:size])}
        return replace(
            self,
            papers=tuple(p for p in self.papers if p.id in chosen),
            updated=tuple(p for p in self.updated if p.id in chosen),
            matched=self.matched if self.matched is not None else len(self.all_papers),
            shown=None,
            first=self.first + had,
        )

    def with_summaries(self, summarized: Iterable[Paper]) -> Digest:
        """The same digest with the summaries of ``summarized`` (matched by ``versioned_id``) on its
        papers; everything else of each paper (its relevance too) is kept."""
        made = {p.versioned_id: p for p in summarized}

        def filled(paper: Paper) -> Paper:
            got = made.get(paper.versioned_id)
            return paper if got is None else paper.with_summary(got.summary, got.summary_source)

        return replace(
            self, papers=tuple(filled(p) for p in self.papers), updated=tuple(filled(p) for p in self.updated)
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "listing_date": self.listing_date.isoformat(),
            "categories": list(self.categories),
            "language": self.language,
            "papers": [p.to_dict() for p in self.papers],
        }
        if self.title:
            data["title"] = self.title
        if self.updated:
            data["updated"] = [p.to_dict() for p in self.updated]
        if self.pending:
            data["pending"] = list(self.pending)
        if self.from_api:
            data["from_api"] = list(self.from_api)
        if self.announced is not None:
            data["announced"] = self.announced
        if self.matched is not None:
            data["matched"] = self.matched
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        return cls(
            listing_date=date.fromisoformat(data["listing_date"]),
            categories=tuple(data["categories"]),
            language=data.get("language", "en"),
            papers=tuple(Paper.from_dict(p) for p in data["papers"]),
            updated=tuple(Paper.from_dict(p) for p in data.get("updated", [])),
            title=str(data.get("title", "")),
            pending=tuple(data.get("pending", ())),
            from_api=tuple(data.get("from_api", ())),
            final=not data.get("pending"),
            announced=data.get("announced"),
            matched=data.get("matched"),
        )


PUSHLESS = frozenset({"terminal"})
"""Platforms the push does not deliver to (``arxiv-digest chat``): their chats are never scheduled,
and their replies promise no daily push."""


@dataclass(frozen=True, slots=True, order=True)
class ChatKey:
    """A chat on one platform. ``chat_id`` is the platform's id as text (a topic or thread may be
    encoded by the adapter, e.g. ``"-1001234:77"``)."""

    platform: str
    chat_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}"

    @property
    def pushed(self) -> bool:
        """Whether the morning push delivers to this chat's platform."""
        return self.platform not in PUSHLESS

    @classmethod
    def parse(cls, text: str) -> ChatKey:
        platform, _, chat_id = text.partition(":")
        return cls(platform, chat_id)


ANNOUNCE_TYPES: tuple[str, ...] = ("new", "cross", "replace")
"""The announce types a chat chooses from (``/types``): new submissions, cross-lists, replacements
(``replace`` covers arXiv's ``replace`` and ``replace-cross``)."""
DEFAULT_TYPES: tuple[str, ...] = ("new", "cross")

Top: TypeAlias = int | Literal["all"] | None
"""A chat's ``/top``: papers shown in full per digest, ``"all"``, or None for the deployment's
``DEFAULT_TOP``."""


def canonical_types(types: Iterable[str]) -> tuple[str, ...]:
    """``types`` in ``ANNOUNCE_TYPES`` order without repeats; unknown names are dropped."""
    wanted = set(types)
    return tuple(kind for kind in ANNOUNCE_TYPES if kind in wanted)


def type_of(kind: AnnounceType) -> str:
    """The ``/types`` name of an announce type: ``replace-cross`` is a ``replace``."""
    return "replace" if kind.is_replacement else kind.value


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A chat's subscription and preferences. ``language`` is a canonical tag (``bot.language``):
    a chat stored with another spelling (``zh-CN``) reads back canonical (``zh``).

    ``types`` are the announce types its digests show (``ANNOUNCE_TYPES`` order); ``filters`` the
    canonical text of its ``/filter`` (``bot.filters``; empty: none); ``interests`` its own words
    for what it cares about (empty: none); ``top`` the papers shown in full per digest (``Top``).
    Settings stored before ``types`` existed read ``include_replacements`` instead.
    """

    chat: ChatKey
    categories: tuple[str, ...] = ()
    push_time: str = "08:00"
    timezone: str = "UTC"
    language: str = "en"
    types: tuple[str, ...] = DEFAULT_TYPES
    empty_day_note: bool = False
    title: str = ""
    interests: str = ""
    filters: str = ""
    top: Top = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def include_replacements(self) -> bool:
        """Whether replacements are shown (``replace`` among ``types``)."""
        return "replace" in self.types

    def top_or(self, default: int | None) -> int | None:
        """Papers shown in full: the chat's own ``top``, else ``default``; None for all."""
        if self.top == "all":
            return None
        return default if self.top is None else self.top

    def selection(self, feedback: Sequence[Feedback] = (), default_top: int | None = None) -> Selection:
        """What this chat wants of a day beside its categories, with its 👍/👎."""
        return Selection(
            types=self.types,
            filters=self.filters,
            interests=self.interests,
            feedback=tuple(feedback),
            top=self.top_or(default_top),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.chat.platform,
            "chat_id": self.chat.chat_id,
            "categories": list(self.categories),
            "push_time": self.push_time,
            "timezone": self.timezone,
            "language": self.language,
            "types": list(self.types),
            "include_replacements": self.include_replacements,
            "empty_day_note": self.empty_day_note,
            "title": self.title,
            "interests": self.interests,
            "filters": self.filters,
            "top": self.top,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatSettings:
        if isinstance(data.get("types"), list):
            types = canonical_types(str(kind) for kind in data["types"])
        elif data.get("include_replacements"):
            types = ANNOUNCE_TYPES
        else:
            types = DEFAULT_TYPES
        return cls(
            chat=ChatKey(data["platform"], data["chat_id"]),
            categories=tuple(data.get("categories", ())),
            push_time=data.get("push_time", "08:00"),
            timezone=data.get("timezone", "UTC"),
            language=canonical_language(str(data.get("language", "en"))) or "en",
            types=types,
            empty_day_note=bool(data.get("empty_day_note", False)),
            title=str(data.get("title", "")),
            interests=str(data.get("interests") or ""),
            filters=str(data.get("filters") or ""),
            top=_top(data.get("top")),
            extra=dict(data.get("extra", {})),
        )


def _top(value: Any) -> Top:
    if value == "all":
        return "all"
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


LIKE = 1
DISLIKE = -1


@dataclass(frozen=True, slots=True)
class Feedback:
    """One chat's 👍 (``vote`` 1) or 👎 (``vote`` -1) on a paper (``paper_id`` without version), with
    the title and abstract ranking learns from, and when it was given (Unix seconds)."""

    paper_id: str
    vote: int
    title: str = ""
    abstract: str = ""
    at: float = 0.0

    def __post_init__(self) -> None:
        if self.vote not in (LIKE, DISLIKE):
            raise ValueError(f"a vote is {LIKE} or {DISLIKE}, not {self.vote!r}")

    @property
    def liked(self) -> bool:
        return self.vote == LIKE

    def to_dict(self) -> dict[str, Any]:
        return {
            "paper_id": self.paper_id,
            "vote": self.vote,
            "title": self.title,
            "abstract": self.abstract,
            "at": self.at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feedback:
        return cls(
            paper_id=data["paper_id"],
            vote=int(data["vote"]),
            title=data.get("title", ""),
            abstract=data.get("abstract", ""),
            at=float(data.get("at", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """What a chat wants of a day's papers beside its categories: announce ``types`` (names of
    ``ANNOUNCE_TYPES``), ``filters`` (canonical ``/filter`` text, empty for none), ``interests`` (its
    own words, empty for none), its 👍/👎 ``feedback`` and ``top``, the papers shown in full (None:
    all)."""

    types: tuple[str, ...] = DEFAULT_TYPES
    filters: str = ""
    interests: str = ""
    feedback: tuple[Feedback, ...] = ()
    top: int | None = None

    @property
    def ranked(self) -> bool:
        """Whether papers are ordered by relevance (interests or feedback), not in arXiv's order."""
        return bool(self.interests.strip()) or bool(self.feedback)

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two chats' ranked days of one batch the same: types, filter, interests and
        votes (by paper and vote); ``top`` only says how many of them a digest shows in full."""
        votes = tuple(sorted((f.paper_id, f.vote) for f in self.feedback))
        return (self.types, self.filters, " ".join(self.interests.split()), votes)
