"""Prometheus metrics and the health endpoint.

``Metrics`` owns its ``CollectorRegistry``: build one at start-up and pass it to whatever counts
(the push, the platforms, the arXiv source, the summarizer). Metric names are stable:

    arxiv_digest_messages_sent_total{platform}            messages a platform acknowledged (push and replies)
    arxiv_digest_messages_failed_total{platform,reason}   deliveries that failed (gone, migrated, no_rights,
                                                          failed, unreachable, token_rejected)
    arxiv_digest_possible_repeats_total{platform}         messages sent again after a send timed out once
                                                          its request was out (the chat may have it twice)
    arxiv_digest_arxiv_requests_total                     HTTP requests to arXiv (read from the sources)
    arxiv_digest_llm_calls_total{outcome}                 LLM requests (ok, rejected, error)
    arxiv_digest_llm_cache_hits_total                     summaries served without a call
    arxiv_digest_push_lag_seconds{platform}               due time → first message acknowledged
    arxiv_digest_push_chats_total{outcome}                chats handled by push cycles
    arxiv_digest_push_cycle_seconds                       duration of one push cycle
    arxiv_digest_push_last_cycle_timestamp_seconds        when the last push cycle finished

``serve_metrics`` runs ``GET /metrics`` (the text exposition format) and ``GET /healthz`` (200 when
the store answers a ping, 503 otherwise) on aiohttp.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from bot.errors import BadSetting

log = structlog.get_logger(__name__)

LAG_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
CYCLE_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

Ping = Callable[[], Awaitable[bool]]


class _CallbackTotal(Collector):
    """A counter whose value is the sum of counts kept elsewhere."""

    def __init__(self, name: str, documentation: str) -> None:
        self.name = name
        self.documentation = documentation
        self.sources: list[Callable[[], int]] = []

    def describe(self) -> Iterable[Metric]:
        return [CounterMetricFamily(self.name, self.documentation)]

    def collect(self) -> Iterable[Metric]:
        return [
            CounterMetricFamily(self.name, self.documentation, value=sum(count() for count in self.sources))
        ]


class Metrics:
    """Every metric of one process, on its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_sent = Counter(
            "arxiv_digest_messages_sent",
            "Messages a platform acknowledged: pushed digests and command replies.",
            ["platform"],
            registry=r,
        )
        self.messages_failed = Counter(
            "arxiv_digest_messages_failed",
            "Deliveries that failed, by platform and reason (gone, migrated, no_rights, failed, unreachable, "
            "token_rejected).",
            ["platform", "reason"],
            registry=r,
        )
        self.possible_repeats = Counter(
            "arxiv_digest_possible_repeats",
            "Messages sent again after a send timed out once its request was out: the chat may have "
            "received them twice.",
            ["platform"],
            registry=r,
        )
        self._arxiv = _CallbackTotal(
            "arxiv_digest_arxiv_requests",
            "HTTP requests sent to arXiv hosts (feed and API, retries included).",
        )
        r.register(self._arxiv)
        self.llm_calls = Counter(
            "arxiv_digest_llm_calls",
            "Requests to the LLM, by outcome: ok (a summary), rejected (an answer that cannot be kept: "
            "cut off, reasoning only, wrong language, unsafe…), error (no answer).",
            ["outcome"],
            registry=r,
        )
        self.llm_cache_hits = Counter(
            "arxiv_digest_llm_cache_hits",
            "Summaries served without a call: from the store, the process's memo, or another build's call.",
            registry=r,
        )
        self.summary_fallbacks = Counter(
            "arxiv_digest_summary_fallbacks",
            "Papers shown with the extract instead of an LLM summary, by reason (timeout, deadline, "
            "server_error, rate_limited, wrong_language, truncated, unsafe, refusal, content_filter, "
            "rejected_earlier…).",
            ["reason"],
            registry=r,
        )
        self.push_lag = Histogram(
            "arxiv_digest_push_lag_seconds",
            "Seconds from a chat's due time to its first acknowledged message.",
            ["platform"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.push_chats = Counter(
            "arxiv_digest_push_chats",
            "Chats handled by push cycles, by outcome (sent, nothing_new, waiting, retry, undelivered, paused, gone, "
            "migrated, skipped, handed_back, rejected, source_errors, store_errors, errors).",
            ["outcome"],
            registry=r,
        )
        self.push_cycle_seconds = Histogram(
            "arxiv_digest_push_cycle_seconds",
            "Duration of one push cycle.",
            buckets=CYCLE_BUCKETS,
            registry=r,
        )
        self.push_last_cycle = Gauge(
            "arxiv_digest_push_last_cycle_timestamp_seconds",
            "Unix time when the last push cycle finished.",
            registry=r,
        )

    def track_arxiv_requests(self, count: Callable[[], int]) -> None:
        """Report ``count()`` (e.g. ``lambda: source.requests``) in ``arxiv_digest_arxiv_requests_total``."""
        self._arxiv.sources.append(count)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def metrics_app(metrics: Metrics, ping: Ping) -> web.Application:
    """``/metrics`` and ``/healthz`` as an aiohttp application."""

    async def serve_metrics(request: web.Request) -> web.Response:
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(request: web.Request) -> web.Response:
        try:
            healthy = await ping()
        except Exception as error:  # a health check reports, it never raises
            log.warning("health_check_failed", error=type(error).__name__)
            healthy = False
        if healthy:
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "store unreachable"}, status=503)

    app = web.Application()
    app.router.add_get("/metrics", serve_metrics)
    app.router.add_get("/healthz", healthz)
    return app


async def serve_metrics(metrics: Metrics, ping: Ping, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """Start ``/metrics`` and ``/healthz`` on ``host:port``; stop with ``await runner.cleanup()``.
    A port that cannot be bound (in use, privileged) raises ``BadSetting`` for METRICS_PORT."""
    runner = web.AppRunner(metrics_app(metrics, ping), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise BadSetting(
            "METRICS_PORT",
            f"METRICS_PORT {port} cannot be used ({error.strerror or type(error).__name__}): "
            "choose a free port from 1 to 65535, or leave METRICS_PORT empty for no metrics endpoint",
        ) from None
    log.info("metrics_listening", host=host, port=port)
    return runner
