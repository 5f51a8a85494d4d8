"""Payloads in arXiv's own formats: the rss.arxiv.org feed, export API pages, and the recorded ones.

``make_rss`` mirrors the structure of the recorded multi-category feed
(``arxiv_rss/laya-reader_rss_*.xml``); ``make_api_feed`` mirrors the recorded export API pages
(``arxiv_api/arxiv.py_bodies/*.xml``). Papers are ``bot.models.Paper`` objects or dicts with the
same keys (``id``, ``version``, ``title``, ``authors``, ``categories``, ``announce_type``,
``abstract``; optional ``primary_category``, ``published``, ``updated``).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from bot.models import Paper
from tests.paths import FIXTURES

EASTERN = ZoneInfo("America/New_York")
API_FIXTURES = FIXTURES / "arxiv_api" / "arxiv.py"
RSS_FIXTURES = FIXTURES / "arxiv_rss"
RECORDED_RSS = RSS_FIXTURES / "laya-reader_rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed.xml"
RECORDED_ATOM = RSS_FIXTURES / "paper-forge_atom_cs.LG_2026-09-25_trimmed.xml"

PaperLike = Paper | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Item:
    id: str
    version: int
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    primary_category: str
    announce_type: str
    abstract: str
    published: datetime | None
    updated: datetime | None


def _item(paper: PaperLike) -> _Item:
    if isinstance(paper, Paper):
        return _Item(
            paper.id,
            paper.version,
            paper.title,
            paper.authors,
            paper.categories,
            paper.primary_category,
            paper.announce_type.value,
            paper.abstract,
            None,
            None,
        )
    categories = tuple(paper.get("categories", ()))
    announce = paper.get("announce_type", "new")
    return _Item(
        id=str(paper["id"]),
        version=int(paper.get("version", 1)),
        title=str(paper.get("title", "")),
        authors=tuple(paper.get("authors", ())),
        categories=categories,
        primary_category=str(paper.get("primary_category") or (categories[0] if categories else "")),
        announce_type=str(getattr(announce, "value", announce)),
        abstract=str(paper.get("abstract", "")),
        published=paper.get("published"),
        updated=paper.get("updated"),
    )


# -- rss.arxiv.org -----------------------------------------------------------------------------------


def listing_pubdate(listing_date: date) -> str:
    """The channel's pubDate: midnight US Eastern of the listing date, e.g. ``Thu, 24 Sep 2026 00:00:00 -0400``."""
    return format_datetime(datetime.combine(listing_date, time(0), EASTERN))


def make_rss(
    listing_date: date,
    papers: Sequence[PaperLike],
    categories: Sequence[str],
    *,
    dated: date | None = None,
    built_at: datetime | None = None,
) -> bytes:
    """An rss.arxiv.org RSS 2.0 feed of ``categories`` for ``listing_date``; no papers → an empty channel.

    The channel's and items' ``pubDate`` is midnight US Eastern of ``dated`` (default: the listing
    date; arXiv's feed has been seen dated the day before its batch); ``lastBuildDate`` is
    ``built_at`` (default: 08:58:05 UTC on the listing date, as recorded).
    """
    joined = "+".join(categories)
    names = ", ".join(categories)
    pub = listing_pubdate(dated or listing_date)
    built = format_datetime(built_at or datetime.combine(listing_date, time(8, 58, 5), UTC))
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'version="2.0">',
        "  <channel>",
        f"    <title>{escape(names)} updates on arXiv.org</title>",
        f"    <link>http://rss.arxiv.org/rss/{escape(joined)}</link>",
        f"    <description>{escape(names)} updates on the arXiv.org e-print archive.</description>",
        f'    <atom:link href="http://rss.arxiv.org/rss/{escape(joined)}" rel="self" type="application/rss+xml"/>',
        "    <docs>http://www.rssboard.org/rss-specification</docs>",
        "    <language>en-us</language>",
        f"    <lastBuildDate>{built}</lastBuildDate>",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>",
        f"    <pubDate>{pub}</pubDate>",
        "    <skipDays>",
        "      <day>Sunday</day>",
        "      <day>Saturday</day>",
        "    </skipDays>",
    ]
    for paper in papers:
        item = _item(paper)
        lines += [
            "    <item>",
            f"      <title>{escape(item.title)}</title>",
            f"      <link>https://arxiv.org/abs/{escape(item.id)}</link>",
            f"      <description>arXiv:{escape(item.id)}v{item.version} Announce Type: {item.announce_type} ",
            f"Abstract: {escape(item.abstract)}</description>",
            f'      <guid isPermaLink="false">oai:arXiv.org:{escape(item.id)}v{item.version}</guid>',
            *(f"      <category>{escape(c)}</category>" for c in item.categories),
            f"      <pubDate>{pub}</pubDate>",
            f"      <arxiv:announce_type>{item.announce_type}</arxiv:announce_type>",
            "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>",
            f"      <dc:creator>{escape(', '.join(item.authors))}</dc:creator>",
            "    </item>",
        ]
    lines += ["  </channel>", "</rss>", ""]
    return "\n".join(lines).encode("utf-8")


_WORDS = (
    "we",
    "propose",
    "a",
    "scalable",
    "method",
    "for",
    "distributed",
    "training",
    "of",
    "large",
    "models",
    "under",
    "memory",
    "constraints",
    "our",
    "approach",
    "reduces",
    "communication",
    "by",
    "overlapping",
    "gradient",
    "exchange",
    "with",
    "computation",
    "and",
    "achieves",
    "near",
    "linear",
    "speedup",
    "on",
    "clusters",
    "of",
    "commodity",
    "accelerators",
    "experiments",
    "on",
    "standard",
    "benchmarks",
    "show",
    "consistent",
    "gains",
    "in",
    "throughput",
    "latency",
    "and",
    "energy",
    "efficiency",
    "while",
    "preserving",
    "accuracy",
    "we",
    "further",
    "analyse",
    "convergence",
    "give",
    "bounds",
    "on",
    "staleness",
    "and",
    "release",
    "an",
    "implementation",
)
_FIRST = ("Ada", "Wei", "Maria", "Kenji", "Priya", "Olu", "Lena", "Diego", "Sofia", "Hamid", "Yuki", "Jonas")
_LAST = ("Lovelace", "Zhang", "García", "Tanaka", "Sharma", "Adeyemi", "Müller", "Rossi", "Kim", "Novak")
_TITLE_TRICKS = ("", "", "", " & Beyond", ": When $n<k$", " with <10% Overhead", ' for "Edge" AI')
_OTHER = ("math.OC", "stat.ML", "physics.comp-ph", "eess.SP", "q-bio.QM", "econ.EM")


def make_papers(n: int, categories: Sequence[str], seed: int = 0, yymm: str = "2609") -> list[dict[str, Any]]:
    """``n`` synthetic listing items for ``categories``: about 60% new, 25% cross-lists, 15% replacements;
    some listed in several of ``categories``; titles with ``&``, ``<`` and quotes now and then."""
    rng = random.Random(seed)
    numbers = rng.sample(range(1, 99999), n)
    papers: list[dict[str, Any]] = []
    for number in numbers:
        roll = rng.random()
        home = rng.choice(list(categories))
        if roll < 0.60:
            announce, version = "new", 1
            cats = [home]
        elif roll < 0.85:
            announce, version = "cross", rng.randint(1, 2)
            cats = [rng.choice(_OTHER), home]
        else:
            announce, version = rng.choice(("replace", "replace-cross")), rng.randint(2, 5)
            cats = [home] if announce == "replace" else [rng.choice(_OTHER), home]
        if rng.random() < 0.2:
            extra = rng.choice(list(categories))
            if extra not in cats:
                cats.append(extra)
        if rng.random() < 0.3:
            cats.append(rng.choice(_OTHER))
        words = rng.choices(_WORDS, k=rng.randint(6, 12))
        title = " ".join(words).capitalize() + rng.choice(_TITLE_TRICKS)
        abstract = " ".join(rng.choices(_WORDS, k=rng.randint(120, 220))).capitalize() + "."
        authors = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(rng.randint(1, 8))]
        papers.append(
            {
                "id": f"{yymm}.{number:05d}",
                "version": version,
                "title": title,
                "authors": authors,
                "categories": list(dict.fromkeys(cats)),
                "announce_type": announce,
                "abstract": abstract,
            }
        )
    return papers


# -- the export API ------------------------------------------------------------------------------------


def _atom_time(moment: datetime | None) -> str:
    moment = moment or datetime(2026, 9, 23, 15, 0, tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_api_feed(
    entries: Sequence[PaperLike], total: int | None = None, start: int = 0, items_per_page: int | None = None
) -> bytes:
    """An export API page (Atom with opensearch totals) holding ``entries``."""
    total = len(entries) if total is None else total
    per_page = len(entries) if items_per_page is None else items_per_page
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        "  <id>https://arxiv.org/api/fake</id>",
        f"  <title>arXiv Query: start={start}&amp;max_results={per_page}</title>",
        "  <updated>2026-09-24T12:00:00Z</updated>",
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    for paper in entries:
        item = _item(paper)
        versioned = f"{item.id}v{item.version}"
        lines += [
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{escape(versioned)}</id>",
            f"    <title>{escape(item.title)}</title>",
            f"    <updated>{_atom_time(item.updated or item.published)}</updated>",
            f'    <link href="https://arxiv.org/abs/{escape(versioned)}" rel="alternate" type="text/html"/>',
            f'    <link href="https://arxiv.org/pdf/{escape(versioned)}" rel="related" type="application/pdf" '
            'title="pdf"/>',
            f"    <summary>{escape(item.abstract)}</summary>",
            *(
                f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
                for c in item.categories
            ),
            f"    <published>{_atom_time(item.published)}</published>",
            f"    <arxiv:primary_category term={quoteattr(item.primary_category)}/>",
            *(f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in item.authors),
            "  </entry>",
        ]
    lines += ["</feed>", ""]
    return "\n".join(lines).encode("utf-8")


def paged_api(papers: Sequence[PaperLike]) -> Any:
    """An API handler for ``FakeArxiv.set_api_handler`` serving ``papers`` page by page."""

    def handler(query: Mapping[str, str]) -> tuple[int, bytes]:
        start = int(query.get("start", "0"))
        size = int(query.get("max_results", "10"))
        return 200, make_api_feed(
            papers[start : start + size], total=len(papers), start=start, items_per_page=size
        )

    return handler


_CATEGORY_TERM = re.compile(r"cat:([\w.\-]+)")
_SUBMITTED = re.compile(r"submittedDate:\[(\d{12}) TO (\d{12})\]")


def _gmt(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC)


def _submitted_within(item: _Item, window: re.Match[str]) -> bool:
    start, end = _gmt(window.group(1)), _gmt(window.group(2))
    return item.published is not None and start <= item.published <= end


def search_api(papers: Sequence[PaperLike]) -> Any:
    """An API handler that searches ``papers`` as arXiv does: ``cat:`` terms (joined with OR) match
    any of a paper's categories, ``submittedDate:[A TO B]`` its ``published`` time (its first
    version's submission), results oldest first, paged by ``start`` and ``max_results``. Papers are
    dicts with ``published`` set (an aware datetime). Counts every query in ``handler.queries``."""
    items = sorted(
        (_item(p) for p in papers), key=lambda item: item.published or datetime.min.replace(tzinfo=UTC)
    )
    queries: list[str] = []

    def handler(query: Mapping[str, str]) -> tuple[int, bytes]:
        text = query.get("search_query", "")
        queries.append(text)
        wanted = set(_CATEGORY_TERM.findall(text))
        window = _SUBMITTED.search(text)
        found = []
        for item in items:
            if wanted and not wanted.intersection(item.categories):
                continue
            if window is not None and not _submitted_within(item, window):
                continue
            found.append(item)
        start = int(query.get("start", "0"))
        size = int(query.get("max_results", "10"))
        page = [_as_dict(item) for item in found[start : start + size]]
        return 200, make_api_feed(page, total=len(found), start=start, items_per_page=size)

    handler.queries = queries  # type: ignore[attr-defined]
    return handler


def _as_dict(item: _Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "version": item.version,
        "title": item.title,
        "authors": list(item.authors),
        "categories": list(item.categories),
        "primary_category": item.primary_category,
        "announce_type": item.announce_type,
        "abstract": item.abstract,
        "published": item.published,
        "updated": item.updated,
    }


# -- recorded payloads ------------------------------------------------------------------------------


def load_api_fixture(name: str) -> tuple[int, bytes]:
    """A recorded export API answer (status, body) by file name or unique prefix, e.g. ``"id_abc"``."""
    path = _api_fixture_path(name)
    data = json.loads(path.read_text(encoding="utf-8"))
    return int(data["status_code"]), str(data["body"]).encode("latin-1")


def _api_fixture_path(name: str) -> Path:
    exact = API_FIXTURES / (name if name.endswith(".json") else f"{name}.json")
    if exact.exists():
        return exact
    found = sorted(API_FIXTURES.glob(f"{name}_s*.json"))
    if len(found) != 1:
        raise KeyError(f"{len(found)} recorded API answers match {name!r}")
    return found[0]


@cache
def recorded_api_table() -> dict[tuple[str, str, str], dict[str, tuple[int, bytes]]]:
    """Every recorded API answer by (search_query, id_list, start), then by max_results."""
    table: dict[tuple[str, str, str], dict[str, tuple[int, bytes]]] = {}
    for path in sorted(API_FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        query = {k: v[0] for k, v in parse_qs(urlsplit(data["url"]).query, keep_blank_values=True).items()}
        key = (query.get("search_query", ""), query.get("id_list", ""), query.get("start", "0"))
        answer = (int(data["status_code"]), str(data["body"]).encode("latin-1"))
        table.setdefault(key, {})[query.get("max_results", "10")] = answer
    return table


def recorded_api(query: Mapping[str, str]) -> tuple[int, bytes]:
    """Answer an export API query from the recorded payloads; unknown ids get arXiv's empty feed."""
    key = (query.get("search_query", ""), query.get("id_list", ""), query.get("start", "0"))
    answers = recorded_api_table().get(key)
    if not answers:
        return 200, make_api_feed([], total=0, start=int(key[2] or 0))
    return answers.get(query.get("max_results", ""), next(iter(answers.values())))


def recorded_rss() -> bytes:
    """The recorded rss.arxiv.org feed of cs.LG+cs.AI+cs.CL+stat.ML for 2026-09-24."""
    return RECORDED_RSS.read_bytes()
