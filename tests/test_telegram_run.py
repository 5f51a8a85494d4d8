"""`arxiv-digest run` with TELEGRAM_BOT_TOKEN set serves a Telegram chat end to end: the real
command, in its own process, polling the fake Bot API and reading the fake arXiv."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import listing
from bot.i18n import t
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_papers, make_rss
from tests.fakes.telegram import FakeTelegram, message_update
from tests.paths import ROOT
from tests.processes import spawn

CATEGORIES = ("cs.DC", "cs.LG")


async def test_arxiv_digest_run_serves_telegram(tmp_path: Path) -> None:
    """subscribe, today, list and a bad command through `arxiv-digest run`; SIGTERM stops it cleanly."""
    day = listing.latest_feed_listing(datetime.now(UTC))
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        arxiv.set_feed(make_rss(day, make_papers(10, CATEGORIES, seed=3), CATEGORIES))
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "DISCORD_", "OPENAI_", "ARXIV_", "STORE_", "METRICS_"))
        }
        env |= {
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.api_url,
            "ARXIV_RSS_URL": arxiv.rss_url,
            "ARXIV_API_URL": arxiv.api_url,
            "ARXIV_MIN_INTERVAL": "0",
            "STORE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
            "LOG_LEVEL": "WARNING",
        }
        process = await spawn(
            sys.executable,
            "-c",
            "from adapters.cli import main; main()",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await tg.wait_for(lambda: tg.polls > 0, within=30)
            for text in ("/subscribe cs.DC", "/today", "/list", "/time 25:00"):
                tg.add_update(message_update(text))
                await tg.wait_sent(len(tg.sent) + 1, within=15)
            shown = [m.visible for m in tg.sent]
            assert shown[0] == t(
                "en", "subscribed", added="cs.DC (Distributed, Parallel, and Cluster Computing)", all="cs.DC"
            )
            assert shown[1].startswith("arXiv Daily Digest - Distributed, Parallel, and Cluster Computing\n")
            assert shown[2].startswith("This chat follows: cs.DC (Distributed")
            assert shown[3] == t("en", "bad_time", given="25:00")
            assert tg.commands[("default", "zh")]
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()[-2000:]
        assert tg.token.split(":")[1] not in stderr.decode()
