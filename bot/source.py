"""Where today's papers come from: arXiv's announcement feed and its export API.

The RSS feed (``ARXIV_RSS_URL``) is the record of the latest batch: one GET serves every category,
joined with ``+``. The export API (``ARXIV_API_URL``), through the ``arxiv`` package, serves past
listing dates, backfill and look-ups by id; the package is synchronous and has no timeout, so it runs
in a worker thread, its HTTP adapter sets the timeout, and the whole call runs under a deadline.

Every request to an arXiv host first takes the deployment's shared request slot (``Throttle``), and
one source sends one request at a time. 429, 5xx, timeouts and connection errors are retried with
stamina, waiting at least as long as a ``Retry-After`` asks. Each request is logged once
(``arxiv_request``): at INFO when it is answered, at DEBUG when it fails and is retried; a host that
stays unreachable ends in one ``SourceUnavailable`` naming it, the cause in words and the number of
requests sent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import io
import re
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import arxiv
import feedparser
import requests
import stamina
import structlog
from requests.adapters import HTTPAdapter

from bot.errors import MalformedResponse, SourceError, SourceUnavailable
from bot.listing import feed_listing_date
from bot.models import AnnounceType, Batch, Paper, split_version
from bot.settings import Settings
from bot.throttle import Throttle

log = structlog.get_logger(__name__)

try:
    __version__ = version("arxiv-digest-bot")
except PackageNotFoundError:  # running from a source checkout
    __version__ = "0.1.0"

USER_AGENT = f"arxiv-digest/{__version__}"

RETRY_AFTER_CAP = 60.0
"""A ``Retry-After`` longer than this (seconds) is not waited out inside a request: the call fails
with ``SourceUnavailable(retry_after=…)`` and the caller decides when to come back."""

RETRY_WAIT_INITIAL = 1.0
RETRY_WAIT_MAX = 30.0
SLOT_WAIT_LIMIT = 600.0
"""Longest a worker thread waits for the event loop to hand it a request slot."""

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

_GUID = re.compile(r"^oai:arxiv\.org:(?P<id>\S+)$", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)", re.IGNORECASE)
_ABSTRACT = re.compile(r"Abstract:\s*", re.IGNORECASE)
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride,)


# -- parsing the announcement feed -------------------------------------------------------------------


def parse_feed(body: bytes, requested: Sequence[str]) -> Batch | None:
    """The batch in an rss.arxiv.org feed (RSS 2.0, or its Atom flavour); None if it has no items.

    The listing date comes from the date the feed states and the time it was built
    (``listing.feed_listing_date``), so a feed dated the day before its batch is still read right.
    Raises ``MalformedResponse`` for anything that is not a whole, well-formed feed (an HTML page, a
    cut-off answer), for a feed without a date, and for items without an arXiv id.
    """
    parsed = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    cause: str | None = None
    if _looks_like_html(body):
        cause = f"an HTML page instead of a feed ({_preview(body)!r})"
    elif parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _BENIGN_BOZO):
        cause = f"a feed cut short or not well-formed ({parsed.get('bozo_exception')})"
    elif not str(parsed.get("version") or "").startswith(("rss", "atom")):
        cause = f"something that is not a feed ({_preview(body)!r})"
    if cause is not None:
        raise MalformedResponse(f"arXiv's feed answered {cause}", cause=cause)
    entries = parsed.get("entries") or []
    if not entries:
        return None
    listing_date = _listing_date(parsed.get("feed") or {}, entries)
    papers: dict[str, Paper] = {}
    for entry in entries:
        paper = _paper_from_item(entry)
        papers.setdefault(paper.id, paper)
    return Batch(
        listing_date=listing_date,
        categories=tuple(requested),
        papers=tuple(papers.values()),
        origin="rss",
    )


def _looks_like_html(body: bytes) -> bool:
    head = body[:200].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def split_authors(text: str) -> tuple[str, ...]:
    """``"A B, C D, and E F"`` → ``("A B", "C D", "E F")``."""
    return tuple(name.strip() for name in _AUTHOR_SEPARATOR.split(text) if name.strip())


def clean_text(text: str) -> str:
    """Runs of whitespace, newlines included, become one space; no leading or trailing space."""
    return " ".join(text.split())


def feed_time(raw: str) -> datetime | None:
    """An RFC 822 or ISO 8601 timestamp as an aware datetime (UTC when it states no offset)."""
    moment: datetime | None
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def feed_date(raw: str, zone: ZoneInfo | None = None) -> date | None:
    """The calendar date of an RFC 822 or ISO 8601 timestamp, in its own offset (or in ``zone``)."""
    moment = feed_time(raw)
    if moment is None:
        return None
    if zone is not None:
        moment = moment.astimezone(zone)
    return moment.date()


def _listing_date(channel: Mapping[str, Any], entries: Sequence[Mapping[str, Any]]) -> date:
    stated: date | None = None
    for raw in (channel.get("published"), entries[0].get("published")):
        if raw:
            stated = feed_date(str(raw))
            if stated is not None:
                break
    built = feed_time(str(channel["updated"])) if channel.get("updated") else None
    found = feed_listing_date(stated, built)
    if found is None:
        cause = "a feed without a date (no pubDate, published or updated)"
        raise MalformedResponse(f"arXiv's feed answered {cause}", cause=cause)
    return found


def _paper_from_item(entry: Mapping[str, Any]) -> Paper:
    description = str(entry.get("summary") or "")
    prefix = _PREFIX.match(description)
    guid = _GUID.match(str(entry.get("id") or "").strip())
    raw_id = guid.group("id") if guid else (prefix.group("id") if prefix else "")
    title = clean_text(str(entry.get("title") or ""))
    if not raw_id:
        raise MalformedResponse(f"an item of arXiv's feed has no arXiv id (title {title[:80]!r})")
    paper_id, paper_version = split_version(raw_id)

    abstract_at = _ABSTRACT.search(description)
    if abstract_at is not None:
        abstract = description[abstract_at.end() :]
    elif prefix is not None:
        abstract = description[prefix.end() :]
    else:
        abstract = description

    announce_raw = str(entry.get("arxiv_announce_type") or (prefix.group("type") if prefix else "new"))
    announce = _announce_type(announce_raw, paper_id)

    authors: list[str] = []
    for author in entry.get("authors") or []:
        authors.extend(split_authors(str(author.get("name") or "")))
    if not authors and entry.get("author"):
        authors.extend(split_authors(str(entry["author"])))

    categories: list[str] = []
    for tag in entry.get("tags") or []:
        term = str(tag.get("term") or "").strip()
        if term and term not in categories:
            categories.append(term)

    return Paper(
        id=paper_id,
        version=paper_version,
        title=title,
        authors=tuple(authors),
        categories=tuple(categories),
        primary_category=categories[0] if categories else "",
        announce_type=announce,
        abstract=abstract.strip(),
    )


def _announce_type(raw: str, paper_id: str) -> AnnounceType:
    value = raw.strip().lower()
    try:
        return AnnounceType(value)
    except ValueError:
        log.warning("arxiv_unknown_announce_type", announce_type=value, paper=paper_id)
        if "replace" in value:
            return AnnounceType.REPLACE_CROSS if "cross" in value else AnnounceType.REPLACE
        return AnnounceType.CROSS if "cross" in value else AnnounceType.NEW


def _preview(body: bytes, limit: int = 80) -> str:
    return clean_text(body[:limit].decode("utf-8", "replace"))


# -- the export API ------------------------------------------------------------------------------------


def listing_query(categories: Sequence[str], window: tuple[datetime, datetime]) -> str:
    """The export API query for papers of ``categories`` submitted within ``window`` (GMT)."""
    start, end = window
    wanted = " OR ".join(f"cat:{category}" for category in categories)
    return f"({wanted}) AND submittedDate:[{_gmt_minute(start)} TO {_gmt_minute(end)}]"


def _gmt_minute(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def in_categories(category: str, categories: Sequence[str]) -> bool:
    """True if ``category`` is one of ``categories`` or inside one of them (``cs.DC`` in ``cs``)."""
    return any(category == wanted or category.startswith(f"{wanted}.") for wanted in categories)


def paper_from_result(result: arxiv.Result, categories: Sequence[str] | None = None) -> Paper:
    """A ``Paper`` from an export API entry; NEW if its primary category was asked for, else CROSS."""
    paper_id, paper_version = split_version(result.get_short_id())
    listed = [c for c in result.categories if c]
    primary = result.primary_category or (listed[0] if listed else "")
    ordered = [primary, *[c for c in listed if c != primary]] if primary else listed
    announce = AnnounceType.NEW
    if categories is not None and not in_categories(primary, categories):
        announce = AnnounceType.CROSS
    return Paper(
        id=paper_id,
        version=paper_version,
        title=clean_text(result.title),
        authors=tuple(a.name for a in result.authors if a.name),
        categories=tuple(dict.fromkeys(ordered)),
        primary_category=primary,
        announce_type=announce,
        abstract=clean_text(result.summary),
    )


def api_error(body: bytes) -> str | None:
    """What is wrong with an export API answer: arXiv's own error entry, or not being an Atom feed.

    None for a well-formed Atom feed without an error entry.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return f"not an Atom feed: {_preview(body)!r}"
    if root.tag != f"{ATOM}feed":
        return f"not an Atom feed: {_preview(body)!r}"
    for entry in root.iter(f"{ATOM}entry"):
        entry_id = entry.findtext(f"{ATOM}id") or ""
        titled_error = (entry.findtext(f"{ATOM}title") or "").strip() == "Error" and "/abs/" not in entry_id
        if titled_error or "/api/errors" in entry_id:
            return clean_text(entry.findtext(f"{ATOM}summary") or "") or "arXiv reported an error"
    return None


def api_short_page(body: bytes) -> str | None:
    """What is missing from an export API page that holds no entry although its own totals say the
    result goes on past its start (``totalResults`` > ``startIndex``): a known flake of the API under
    load, which is not an empty result. None for any other page."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.find(f"{ATOM}entry") is not None:
        return None
    try:
        total = int((root.findtext(f"{OPENSEARCH}totalResults") or "0").strip())
        start = int((root.findtext(f"{OPENSEARCH}startIndex") or "0").strip())
    except ValueError:
        return None
    if total > start:
        return f"a page without entries of a result of {total} (from {start})"
    return None


# -- retries -------------------------------------------------------------------------------------------


class TransientError(Exception):
    """A failure worth another attempt: 429, 5xx, a timeout or a dropped connection."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class ShortPage(TransientError):
    """An export API page without entries although its totals count more: asked again; if it stays
    so, the API has answered, but not the result (``MalformedResponse``), and the caller asks later."""


class _Abandoned(Exception):
    """The caller gave up on this API call (deadline or cancellation); send nothing more."""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_wait(error: Exception) -> bool | float:
    """stamina's backoff hook: retry transient errors, waiting at least what ``Retry-After`` asked.

    A ``Retry-After`` beyond ``RETRY_AFTER_CAP`` is not waited out here: no retry.
    """
    if not isinstance(error, TransientError):
        return False
    if error.retry_after is None or error.retry_after <= 0:
        return True
    if error.retry_after > RETRY_AFTER_CAP:
        return False
    return error.retry_after


def _retries(settings: Settings) -> dict[str, Any]:
    return {
        "on": retry_wait,
        "attempts": max(1, settings.arxiv_retries),
        "timeout": None,
        "wait_initial": RETRY_WAIT_INITIAL,
        "wait_max": RETRY_WAIT_MAX,
    }


def _raise_if_transient(status: int, retry_after: str | None) -> None:
    """``TransientError`` for 429 and 5xx, waiting at least what ``Retry-After`` asks."""
    if status == 429 or 500 <= status <= 599:
        raise TransientError(f"HTTP {status}", parse_retry_after(retry_after, datetime.now(UTC)))


def _unavailable(host: str, error: TransientError, attempts: int) -> SourceUnavailable:
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    return SourceUnavailable(
        f"arXiv ({host}) is unavailable: {error.reason} after {tries}; try again later",
        retry_after=error.retry_after,
        failures=[(host, error.reason, attempts)],
    )


def failure_cause(error: BaseException, timeout: float) -> str:
    """What stopped a request, in words: "DNS lookup failed", "connection refused",
    "no answer within 30 s", "TLS handshake failed", "connection reset", or "connection failed
    (ErrorType)". Looks through the chain of causes (aiohttp, requests and urllib3 wrap them)."""
    stack: list[BaseException] = [error]
    seen: set[int] = set()
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (TimeoutError, requests.exceptions.Timeout)):
            return f"no answer within {timeout:g} s"
        if isinstance(current, socket.gaierror) or type(current).__name__ in (
            "NameResolutionError",
            "ClientConnectorDNSError",
        ):
            return "DNS lookup failed"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        if isinstance(current, aiohttp.ServerDisconnectedError):
            return "connection closed before the answer"
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked.append(getattr(current, "os_error", None))
        linked.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.extend(item for item in linked if isinstance(item, BaseException))
    return f"connection failed ({type(error).__name__})"


def _host(url: str) -> str:
    return urlsplit(url).hostname or "arXiv"


# -- the source ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _ApiCall:
    """One export API call seen from its worker thread: the loop to ask for slots, and a deadline."""

    loop: asyncio.AbstractEventLoop
    deadline: asyncio.Timeout
    exchange_budget: float
    abandoned: threading.Event = field(default_factory=threading.Event)

    def arm(self) -> None:
        """From the worker: an HTTP exchange starts now and must end within the budget."""
        self.loop.call_soon_threadsafe(self._reschedule, self.exchange_budget)

    def disarm(self) -> None:
        """From the worker: the exchange ended; waiting for slots and backoff is not timed here."""
        self.loop.call_soon_threadsafe(self._reschedule, None)

    def _reschedule(self, budget: float | None) -> None:
        if self.deadline.expired():
            return
        self.deadline.reschedule(None if budget is None else self.loop.time() + budget)


_CURRENT_CALL: contextvars.ContextVar[_ApiCall] = contextvars.ContextVar("arxiv_api_call")


class _PoliteAdapter(HTTPAdapter):
    """The ``arxiv`` client's transport: shared slot, timeout, retries and error entries."""

    def __init__(self, source: ArxivSource) -> None:
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)
        self._source = source

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        call = _CURRENT_CALL.get(None)
        if call is None:
            raise RuntimeError("the export API is only called through ArxivSource")
        settings = self._source.settings
        request.headers["User-Agent"] = USER_AGENT
        host = _host(request.url or "")
        last = 0
        try:
            for attempt in stamina.retry_context(**_retries(settings)):
                with attempt:
                    last = attempt.num
                    return self._attempt(call, request, attempt.num, verify, cert, proxies)
        except ShortPage as error:
            tries = "1 attempt" if last == 1 else f"{last} attempts"
            raise MalformedResponse(
                f"arXiv's API answered {error.reason} after {tries}", cause=f"{error.reason} ({tries})"
            ) from error
        except TransientError as error:
            raise _unavailable(host, error, last) from error
        raise AssertionError("unreachable")

    def _attempt(
        self,
        call: _ApiCall,
        request: requests.PreparedRequest,
        number: int,
        verify: bool | str,
        cert: Any,
        proxies: Mapping[str, str] | None,
    ) -> requests.Response:
        if call.abandoned.is_set():
            raise _Abandoned()
        slot = asyncio.run_coroutine_threadsafe(self._source.throttle.wait(), call.loop)
        try:
            slot.result(timeout=SLOT_WAIT_LIMIT)
        except concurrent.futures.TimeoutError as error:
            slot.cancel()
            raise SourceUnavailable("no arXiv request slot became free; try again later") from error
        if call.abandoned.is_set():
            raise _Abandoned()
        timeout = self._source.settings.arxiv_timeout
        host = _host(request.url or "")
        started = time.monotonic()
        status: int | None = None
        problem: str | None = None
        self._source.requests += 1
        call.arm()
        try:
            response = super().send(
                request,
                stream=False,
                timeout=timeout,
                verify=verify,
                cert=cert,
                proxies=dict(proxies) if proxies is not None else None,
            )
            status = response.status_code
            body = response.content
        except (
            requests.exceptions.Timeout,
            requests.exceptions.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
        ) as error:
            problem = failure_cause(error, timeout)
            raise TransientError(problem) from error
        finally:
            call.disarm()
            _log_request("api", host, status, started, number, problem)
        code = response.status_code
        _raise_if_transient(code, response.headers.get("Retry-After"))
        message = api_error(body)
        if message is not None:
            if code == 200 or message.startswith("not an Atom feed"):
                raise MalformedResponse(f"arXiv's API answered HTTP {code} with {message}")
            raise MalformedResponse(f"arXiv's API rejected the query (HTTP {code}): {message}")
        if code != 200:
            raise MalformedResponse(f"arXiv's API answered HTTP {code}")
        short = api_short_page(body)
        if short is not None:
            raise ShortPage(short)
        return response


def _log_request(
    kind: str, host: str, status: int | None, started: float, attempt: int, error: str | None
) -> None:
    """One line per request: INFO when answered, DEBUG when it failed (the caller retries, or ends
    with one error naming the host and the cause)."""
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    if error is None and (status is None or status < 400):
        log.info("arxiv_request", kind=kind, host=host, status=status, elapsed_ms=elapsed_ms, attempt=attempt)
    else:
        log.debug(
            "arxiv_request",
            kind=kind,
            host=host,
            status=status,
            elapsed_ms=elapsed_ms,
            attempt=attempt,
            error=error,
        )


class ArxivSource:
    """arXiv's announcement feed and export API, polite across every process of a deployment."""

    def __init__(self, settings: Settings, throttle: Throttle) -> None:
        self.settings = settings
        self.throttle = throttle
        self.requests = 0
        """HTTP requests sent to arXiv hosts so far (feed requests and API pages, retries included)."""
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self._client = arxiv.Client(
            page_size=max(1, settings.arxiv_page_size), delay_seconds=0, num_retries=0
        )
        self._probe = arxiv.Client(page_size=1, delay_seconds=0, num_retries=0)
        adapter = _PoliteAdapter(self)
        for client in (self._client, self._probe):
            client.query_url_format = settings.arxiv_api_url + "?{}"
            client._session.mount("http://", adapter)
            client._session.mount("https://", adapter)

    # -- the feed ------------------------------------------------------------------------------------------
    async def fetch_feed(self, categories: Sequence[str]) -> Batch | None:
        """The latest batch of ``categories`` from one feed request; None on a day without announcements."""
        url = f"{self.settings.arxiv_rss_url.rstrip('/')}/{'+'.join(categories)}"
        body = await self._get_feed(url, categories)
        return parse_feed(body, categories)

    async def _get_feed(self, url: str, categories: Sequence[str]) -> bytes:
        session = self._http()
        host = _host(url)
        last = 0
        try:
            async for attempt in stamina.retry_context(**_retries(self.settings)):
                with attempt:
                    last = attempt.num
                    async with self._lock:
                        await self.throttle.wait()
                        return await self._feed_once(session, url, host, categories, attempt.num)
        except TransientError as error:
            raise _unavailable(host, error, last) from error
        raise AssertionError("unreachable")

    async def _feed_once(
        self, session: aiohttp.ClientSession, url: str, host: str, categories: Sequence[str], number: int
    ) -> bytes:
        started = time.monotonic()
        status: int | None = None
        problem: str | None = None
        self.requests += 1
        try:
            async with session.get(url) as response:
                status = code = response.status
                headers = response.headers
                body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as error:
            problem = failure_cause(error, self.settings.arxiv_timeout)
            raise TransientError(problem) from error
        finally:
            _log_request("rss", host, status, started, number, problem)
        _raise_if_transient(code, headers.get("Retry-After"))
        if code != 200:
            raise SourceError(
                f"arXiv's feed ({host}) answered HTTP {code} for {'+'.join(categories)}; "
                "categories look like cs.DC or math.PR"
            )
        return body

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.arxiv_timeout),
                headers={"User-Agent": USER_AGENT},
                connector=aiohttp.TCPConnector(limit=1),
            )
        return self._session

    # -- the export API ------------------------------------------------------------------------------------
    async def fetch_listing(
        self, categories: Sequence[str], listing: date, window: tuple[datetime, datetime]
    ) -> Batch:
        """Papers of ``categories`` submitted within ``window``: the batch announced on ``listing``."""
        search = arxiv.Search(
            query=listing_query(categories, window),
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        results = await self._search(search)
        papers: dict[str, Paper] = {}
        for result in results:
            paper = paper_from_result(result, categories)
            papers.setdefault(paper.id, paper)
        return Batch(
            listing_date=listing, categories=tuple(categories), papers=tuple(papers.values()), origin="api"
        )

    async def has_submissions(self, window: tuple[datetime, datetime]) -> bool:
        """Whether the export API lists any paper, in any category, submitted within ``window``.

        One request for one result. A listing day's window holds hundreds of submissions, so False
        means the API does not list that batch yet (it lags the announcement, or arXiv has not
        announced it: a holiday), while True means an empty answer for a category is really empty.
        """
        start, end = window
        search = arxiv.Search(
            query=f"submittedDate:[{_gmt_minute(start)} TO {_gmt_minute(end)}]", max_results=1
        )
        return bool(await self._search(search, self._probe))

    async def lookup(self, ids: Sequence[str]) -> list[Paper]:
        """The current record of each id (with or without version), in arXiv's order."""
        wanted = [i.strip() for i in ids if i.strip()]
        if not wanted:
            return []
        results = await self._search(arxiv.Search(id_list=wanted, max_results=len(wanted)))
        return [paper_from_result(result) for result in results]

    async def _search(self, search: arxiv.Search, client: arxiv.Client | None = None) -> list[arxiv.Result]:
        loop = asyncio.get_running_loop()
        host = _host(self.settings.arxiv_api_url)
        budget = 2 * self.settings.arxiv_timeout + 1.0
        async with self._lock:
            call: _ApiCall | None = None
            try:
                async with asyncio.timeout(None) as deadline:
                    call = _ApiCall(loop=loop, deadline=deadline, exchange_budget=budget)
                    token = _CURRENT_CALL.set(call)
                    try:
                        return await asyncio.to_thread(self._collect, search, client or self._client)
                    finally:
                        _CURRENT_CALL.reset(token)
            except TimeoutError as error:
                cause = f"no complete answer within {budget:g} s"
                raise SourceUnavailable(
                    f"arXiv ({host}) is unavailable: {cause}; try again later", failures=[(host, cause, 1)]
                ) from error
            finally:
                if call is not None:
                    call.abandoned.set()

    def _collect(self, search: arxiv.Search, client: arxiv.Client) -> list[arxiv.Result]:
        host = _host(self.settings.arxiv_api_url)
        try:
            return list(client.results(search))
        except arxiv.UnexpectedEmptyPageError as error:
            cause = "an empty page in the middle of a listing"
            raise SourceUnavailable(
                f"arXiv ({host}) returned {cause}; try again later", failures=[(host, cause, 1)]
            ) from error
        except arxiv.HTTPError as error:
            cause = f"HTTP {error.status}"
            raise SourceUnavailable(
                f"arXiv ({host}) answered {cause}; try again later", failures=[(host, cause, 1)]
            ) from error
        except _Abandoned as error:
            raise SourceUnavailable(f"arXiv ({host}) call was abandoned") from error
        except requests.exceptions.RequestException as error:
            raise SourceError(f"cannot reach arXiv's API at {host}: {type(error).__name__}") from error

    async def aclose(self) -> None:
        """Close the HTTP sessions."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        self._client._session.close()
        self._probe._session.close()
