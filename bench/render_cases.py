"""The busy day and the cases the render benchmarks (``bench_telegram_render``,
``bench_discord_render``) time, and how they time a renderer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from bot.models import Digest
from tests.fakes.real_day import BUSY_DAY, busy_day_models

CATEGORIES = ("cs.CV", "cs.CL")
M = TypeVar("M")


def busy_day() -> Digest:
    """The recorded day's papers of ``CATEGORIES``, in the listing's order, with 400-character
    extracts as their summaries."""
    papers = busy_day_models(CATEGORIES, extract=True, extract_chars=400)
    return Digest(BUSY_DAY, CATEGORIES, "en", tuple(papers))


def cases(day: Digest) -> list[tuple[str, Digest, int | None]]:
    """(name, digest, max_messages): the whole day, the default page (10 in full), and both fitted
    to the push's 3 messages."""
    page = replace(day, shown=10)
    return [
        ("whole day, no budget", day, None),
        ("default page (10 in full)", page, None),
        ("whole day, max_messages=3", day, 3),
        ("default page, max_messages=3", page, 3),
    ]


def measure(
    render: Callable[[Digest, int | None], Sequence[M]], repeat: int, digest: Digest, max_messages: int | None
) -> tuple[Sequence[M], float]:
    """The messages ``render`` makes of ``digest`` and the median milliseconds of ``repeat`` renders."""
    times = []
    messages: Sequence[M] = []
    for _ in range(repeat):
        started = time.perf_counter()
        messages = render(digest, max_messages)
        times.append(time.perf_counter() - started)
    return messages, statistics.median(times) * 1000


def heading(day: Digest) -> str:
    return f"{len(day.papers)} papers of {', '.join(CATEGORIES)} on {BUSY_DAY.isoformat()}"
