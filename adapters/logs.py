"""Logging: one structured line per event on standard error."""

from __future__ import annotations

import logging
import sys

import stamina.instrumentation
import structlog


def configure(level: str = "INFO") -> None:
    """Send structlog and stdlib logging to stderr as ``key=value`` lines at ``level``."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.LogfmtRenderer(key_order=["timestamp", "level", "event", "logger"]),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in (
        "httpx",
        "httpcore",
        "httpx2",
        "httpcore2",
        "openai",
        "arxiv",
        "urllib3",
        "aiohttp.access",
        "apscheduler",
    ):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    stamina.instrumentation.set_on_retry_hooks([retry_at_debug])


def retry_at_debug(details: stamina.instrumentation.RetryDetails) -> None:
    """stamina's retry hook: each scheduled retry is one DEBUG line (the final failure is reported
    once by whoever gives up)."""
    structlog.get_logger("stamina").debug(
        "retry_scheduled",
        retry_num=details.retry_num,
        caused_by=type(details.caused_by).__name__,
        wait_for=round(details.wait_for, 2),
    )
