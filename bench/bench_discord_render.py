"""What a busy day costs the Discord renderer: the recorded day (cs.CV and cs.CL, 407 papers, each
with a 400-character extract as its summary) rendered as Discord messages (embeds and buttons).

Prints, per case, the messages, the papers shown in full, the most embeds and buttons in one message,
and the milliseconds per render (median of ``--repeat`` runs): the whole day, the default page (10
in full), the whole day fitted to the push's 3 messages (``max_messages``), and a 3-message budget
that is already met.

    python -m bench.bench_discord_render
    python -m bench.bench_discord_render --repeat 50
"""

from __future__ import annotations

import argparse

from adapters.discord.render import render_digest
from bench.render_cases import busy_day, cases, heading, measure


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=15, help="renders per case (the median is printed)")
    args = parser.parse_args()
    day = busy_day()
    print(heading(day))
    print(f"{'case':32} {'messages':>8} {'in full':>8} {'embeds':>7} {'buttons':>8} {'ms/render':>10}")
    for name, digest, budget in cases(day):
        messages, ms = measure(lambda d, m: render_digest(d, max_messages=m), args.repeat, digest, budget)
        shown = sum(len(m.paper_ids) for m in messages)
        embeds = max(len(m.embeds) for m in messages)
        buttons = max(sum(len(row) for row in m.rows) for m in messages)
        print(f"{name:32} {len(messages):>8} {shown:>8} {embeds:>7} {buttons:>8} {ms:>10.1f}")


if __name__ == "__main__":
    main()
