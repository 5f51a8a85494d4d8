"""What a busy day costs the Telegram renderer: the recorded day (cs.CV and cs.CL, 407 papers, each
with a 400-character extract as its summary) rendered as Telegram messages with their keyboards.

Prints, per case, the messages, the papers shown in full, the buttons of the largest keyboard and the
milliseconds per render (median of ``--repeat`` runs): the whole day, the default page (10 in full),
the whole day fitted to the push's 3 messages (``max_messages``), and a 3-message budget that is
already met.

    python -m bench.bench_telegram_render
    python -m bench.bench_telegram_render --repeat 50
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from adapters.telegram.render import RenderedMessage, render_digest
from bot.models import Digest
from tests.fakes.real_day import BUSY_DAY, busy_day_models

CATEGORIES = ("cs.CV", "cs.CL")


def busy_day() -> Digest:
    """The recorded day's papers of ``CATEGORIES``, in the listing's order, with extracts."""
    papers = busy_day_models(CATEGORIES, extract=True, extract_chars=400)
    return Digest(BUSY_DAY, CATEGORIES, "en", tuple(papers))


def measure(repeat: int, digest: Digest, max_messages: int | None) -> tuple[list[RenderedMessage], float]:
    times = []
    messages: list[RenderedMessage] = []
    for _ in range(repeat):
        started = time.perf_counter()
        messages = render_digest(digest, max_messages=max_messages)
        times.append(time.perf_counter() - started)
    return messages, statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15, help="renders per case (the median is printed)")
    args = parser.parse_args()
    day = busy_day()
    cases = [
        ("whole day, no budget", day, None),
        ("default page (10 in full)", replace(day, shown=10), None),
        ("whole day, max_messages=3", day, 3),
        ("default page, max_messages=3", replace(day, shown=10), 3),
    ]
    print(f"{len(day.papers)} papers of {', '.join(CATEGORIES)} on {BUSY_DAY.isoformat()}")
    print(f"{'case':32} {'messages':>8} {'in full':>8} {'buttons':>8} {'ms/render':>10}")
    for name, digest, budget in cases:
        messages, ms = measure(args.repeat, digest, budget)
        shown = sum(len(m.paper_ids) for m in messages)
        buttons = max(sum(len(row) for row in m.keyboard) for m in messages)
        print(f"{name:32} {len(messages):>8} {shown:>8} {buttons:>8} {ms:>10.1f}")


if __name__ == "__main__":
    main()
