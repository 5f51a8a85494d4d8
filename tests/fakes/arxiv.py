"""A local arXiv over real HTTP: the rss.arxiv.org feed and the export API, on 127.0.0.1.

    async with FakeArxiv() as fake:
        settings = Settings(arxiv_rss_url=fake.rss_url, arxiv_api_url=fake.api_url, ...)
        fake.set_feed(make_rss(date(2026, 9, 24), papers, ["cs.DC"]))
        fake.queue("rss", 503)                   # the next feed request fails once
        fake.set_api_handler(paged_api(papers))  # the export API serves these papers

By default the feed is the recorded rss.arxiv.org feed and the export API answers from the recorded
payloads (unknown ids get arXiv's empty result). Every request is recorded in ``requests`` with its
arrival and completion times (``time.monotonic``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from aiohttp import web
from multidict import MultiDict

from tests.fakes.feeds import recorded_api, recorded_rss

ApiHandler = Callable[[MultiDict[str]], tuple[int, bytes]]
ROUTES = ("rss", "api")


@dataclass(slots=True)
class RecordedRequest:
    """One request the fake received."""

    route: str
    path: str
    query: dict[str, str]
    at: float
    user_agent: str = ""
    done: float | None = None
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Scripted:
    """A one-shot answer: status, body, headers, and how long to stall before answering."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0


class FakeArxiv:
    """rss.arxiv.org (``GET /rss/{cats}``) and export.arxiv.org (``GET /api/query``) on one port."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._feed: bytes = recorded_rss()
        self._feeds: dict[str, bytes] = {}
        self._queues: dict[str, deque[Scripted]] = {route: deque() for route in ROUTES}
        self._api: ApiHandler = recorded_api
        self._delays: dict[str, float] = {route: 0.0 for route in ROUTES}
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/rss/{cats}", self._rss)
        app.router.add_get("/api/query", self._query)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        address = self._runner.addresses[0]
        self._port = int(address[1])

    async def stop(self) -> None:
        """Stop listening: connections are refused until ``start`` listens again (on the same port)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeArxiv:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def rss_url(self) -> str:
        return f"{self.base_url}/rss"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    # -- scripting -------------------------------------------------------------------------------------
    def set_feed(self, body: bytes | str, categories: str | None = None) -> None:
        """The feed served for any ``/rss/{cats}``, or only for ``categories`` (e.g. ``"cs.DC+cs.LG"``)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        if categories is None:
            self._feed = data
        else:
            self._feeds[categories] = data

    def queue(
        self,
        route: str,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        trickle: float = 0.0,
    ) -> None:
        """Answer the next request to ``route`` ("rss" or "api") this way, once; queued answers go first.

        ``delay`` stalls before answering; ``trickle`` sends the body a few bytes at a time, this many
        seconds apart (an answer that keeps the connection alive but never finishes in time).
        """
        if route not in ROUTES:
            raise ValueError(f"route must be one of {ROUTES}")
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._queues[route].append(Scripted(status, data, dict(headers or {}), delay, trickle))

    def set_api_handler(self, fn: ApiHandler) -> None:
        """Answer export API queries with ``fn(query) -> (status, body)``."""
        self._api = fn

    def set_delay(self, route: str, seconds: float) -> None:
        """Stall every answer on ``route`` this long (a slow or hanging arXiv)."""
        self._delays[route] = seconds

    def requests_to(self, route: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route == route]

    # -- handlers --------------------------------------------------------------------------------------
    def _record(self, route: str, request: web.Request) -> RecordedRequest:
        entry = RecordedRequest(
            route=route,
            path=request.raw_path.split("?", 1)[0],
            query={k: v for k, v in request.query.items()},
            at=time.monotonic(),
            user_agent=request.headers.get("User-Agent", ""),
        )
        self.requests.append(entry)
        return entry

    async def _answer(
        self, route: str, request: web.Request, entry: RecordedRequest, default: Callable[[], Scripted]
    ) -> web.StreamResponse:
        scripted = self._queues[route].popleft() if self._queues[route] else default()
        delay = scripted.delay or self._delays[route]
        if delay:
            await asyncio.sleep(delay)
        content_type = "application/rss+xml" if route == "rss" else "application/atom+xml"
        if scripted.body[:20].lstrip().lower().startswith((b"<html", b"<!doctype")):
            content_type = "text/html"
        headers = dict(scripted.headers)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = f"{content_type}; charset=utf-8"
        entry.status = scripted.status
        if scripted.trickle <= 0:
            entry.done = time.monotonic()
            return web.Response(status=scripted.status, body=scripted.body, headers=headers)
        stream = web.StreamResponse(status=scripted.status, headers=headers)
        stream.content_length = len(scripted.body)
        await stream.prepare(request)
        for offset in range(0, len(scripted.body), 16):
            await stream.write(scripted.body[offset : offset + 16])
            await asyncio.sleep(scripted.trickle)
        await stream.write_eof()
        entry.done = time.monotonic()
        return stream

    async def _rss(self, request: web.Request) -> web.StreamResponse:
        entry = self._record("rss", request)
        cats = request.match_info["cats"]

        def default() -> Scripted:
            return Scripted(200, self._feeds.get(cats, self._feed))

        return await self._answer("rss", request, entry, default)

    async def _query(self, request: web.Request) -> web.StreamResponse:
        entry = self._record("api", request)
        query: MultiDict[str] = MultiDict(request.query)

        def default() -> Scripted:
            status, body = self._api(query)
            return Scripted(status, body)

        return await self._answer("api", request, entry, default)
