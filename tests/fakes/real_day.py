"""A real arXiv day served by the local fake arXiv, for trying the command line by hand.

    python -m tests.fakes.real_day -- arxiv-digest today cs.CV --date 2026-06-23 --lang zh --format markdown

starts ``FakeArxiv`` on 127.0.0.1 with the export API answering the papers arXiv listed on
2026-06-23 (``fixtures/busy_day``), runs the command with ``ARXIV_RSS_URL``, ``ARXIV_API_URL`` and a
throwaway ``STORE_URL`` pointing at it (no LLM: summaries are extracts), and exits with its code.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from bot.models import AnnounceType, Paper
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import paged_api
from tests.paths import FIXTURES

BUSY_DAY = date(2026, 6, 23)
BUSY_DAY_FILE = FIXTURES / "busy_day" / "2026-06-23.jsonl"


def busy_day_papers(categories: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The recorded day's papers (optionally only those whose primary category is in ``categories``),
    in the listing's order, as new submissions, version 1."""
    papers = []
    for line in BUSY_DAY_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if categories and item["categories"][0] not in categories:
            continue
        papers.append({**item, "version": 1, "announce_type": "new"})
    return papers


def busy_day_models(
    categories: tuple[str, ...] = (), *, extract: bool = False, extract_chars: int | None = None
) -> list[Paper]:
    """The recorded day's papers (``busy_day_papers(categories)``) as ``Paper`` values. With
    ``extract``, each carries its abstract, white space folded and cut to ``extract_chars``
    characters (all of it when None), as an extractive summary; otherwise no summary."""
    papers = []
    for item in busy_day_papers(categories):
        paper = Paper(
            id=item["id"],
            version=1,
            title=item["title"],
            authors=tuple(item["authors"]),
            categories=tuple(item["categories"]),
            primary_category=item["categories"][0],
            announce_type=AnnounceType.NEW,
            abstract=item["abstract"],
        )
        if extract:
            paper = paper.with_summary(" ".join(paper.abstract.split())[:extract_chars], "extractive")
        papers.append(paper)
    return papers


def environment(fake: FakeArxiv, store: Path) -> dict[str, str]:
    """The process environment pointing the product at ``fake``, without any LLM or chat token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "TELEGRAM_", "DISCORD_", "ARXIV_", "STORE_"))
    }
    env.update(
        ARXIV_RSS_URL=fake.rss_url,
        ARXIV_API_URL=fake.api_url,
        ARXIV_MIN_INTERVAL="0",
        ARXIV_RETRIES="1",
        STORE_URL=f"sqlite:///{store}",
    )
    return env


async def main(command: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        async with FakeArxiv() as fake:
            fake.set_api_handler(paged_api(busy_day_papers()))
            process = await asyncio.create_subprocess_exec(
                *command, env=environment(fake, Path(folder) / "store.sqlite3")
            )
            return await process.wait()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--"]:
        arguments = arguments[1:]
    if not arguments:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(arguments)))
