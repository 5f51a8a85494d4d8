"""The ``arxiv-digest`` command line, run as a subprocess against a local arXiv."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.terminal import REPLY_END
from bot import listing
from summarizer.lang import is_in_language
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_papers, make_rss, paged_api, search_api
from tests.fakes.openai import FakeOpenAI
from tests.fakes.real_day import busy_day_papers
from tests.paths import ROOT
from tests.processes import spawn
from tests.test_render import golden

CATS = ["cs.DC", "cs.LG"]


@dataclass
class Result:
    code: int
    out: str
    err: str


def latest() -> date:
    return listing.latest_feed_listing(datetime.now(UTC))


def environment(server: FakeArxiv, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "TELEGRAM_", "DISCORD_", "ARXIV_", "STORE_", "LOG_"))
    }
    env.update(
        ARXIV_RSS_URL=server.rss_url,
        ARXIV_API_URL=server.api_url,
        ARXIV_MIN_INTERVAL="0",
        ARXIV_RETRIES="1",
        STORE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        **extra,
    )
    return env


async def cli(env: dict[str, str], *args: str, stdin: bytes | None = None) -> Result:
    process = await spawn(
        sys.executable,
        "-m",
        "adapters.cli",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin or b""), 60)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


@pytest.fixture
def env(fake_arxiv: FakeArxiv, tmp_path: Path) -> dict[str, str]:
    fake_arxiv.set_feed(make_rss(latest(), make_papers(40, CATS, seed=3), CATS))
    return environment(fake_arxiv, tmp_path)


async def test_json_digest(env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    """--format json prints one object with the documented fields, from one feed request."""
    result = await cli(env, "today", "cs.DC", "cs.LG", "--format", "json", "--no-summary")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["listing_date"] == latest().isoformat()
    assert data["categories"] == CATS
    assert data["papers"]
    for paper in data["papers"]:
        assert "v" not in paper["id"] and isinstance(paper["version"], int)
        assert paper["summary_source"] == "none"
        assert paper["abs_url"] == f"https://arxiv.org/abs/{paper['id']}"
        assert paper["announce_type"] in {"new", "cross"}
        assert set(paper) >= {"title", "authors", "categories", "primary_category", "pdf_url", "summary"}
    types = [p["announce_type"] for p in data["papers"]]
    assert types == sorted(types, key=lambda t: t != "new")
    assert len(fake_arxiv.requests) == 1


async def test_text_digest_with_extracts(env: dict[str, str]) -> None:
    """Without an LLM the text digest carries extracts, marked as such."""
    result = await cli(env, "today", "cs.dc")
    assert result.code == 0, result.err
    first, updated = result.out.splitlines()[:2]
    assert first == "arXiv Daily Digest - Distributed, Parallel, and Cluster Computing"
    announced = listing.announcement_at(latest()).astimezone(UTC)
    assert updated == f"Updated: {announced:%Y-%m-%d %H:%M:%S} UTC"
    assert " 1. " in result.out and "PDF: https://arxiv.org/pdf/" in result.out
    assert "extract from the abstract" in result.out


async def test_markdown_digest(env: dict[str, str]) -> None:
    """Markdown starts with a heading and links each title to its abs page."""
    result = await cli(env, "today", "cs.DC", "--format", "markdown", "--no-summary")
    assert result.code == 0, result.err
    assert result.out.startswith("# ") and "](https://arxiv.org/abs/" in result.out


async def test_past_date_uses_the_api(env: dict[str, str], fake_arxiv: FakeArxiv) -> None:
    """--date fetches that listing date from the export API."""
    day = listing.previous_listing_day(latest())
    fake_arxiv.set_api_handler(paged_api(make_papers(5, ["cs.DC"], seed=9)))
    result = await cli(env, "today", "cs.DC", "--date", day.isoformat(), "--format", "json", "--no-summary")
    assert result.code == 0, result.err
    digest = json.loads(result.out)
    assert digest["listing_date"] == day.isoformat() and digest["from_api"] == ["cs.DC"]
    assert fake_arxiv.requests_to("api")
    text = await cli(env, "today", "cs.DC", "--date", day.isoformat(), "--no-summary")
    assert "come from arXiv's export API and may miss papers that were on moderation hold" in text.out


async def test_batch_not_available_exits_3(fake_arxiv: FakeArxiv, tmp_path: Path) -> None:
    """An HTML page with status 200 instead of the feed, and an export API that lists nothing yet:
    not "0 papers" but exit 3 and one line saying which batch is not available, why, and when."""
    fake_arxiv.set_feed(b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>")
    fake_arxiv.set_api_handler(search_api([]))
    result = await cli(environment(fake_arxiv, tmp_path), "today", "cs.DC", "--format", "json")
    assert result.code == 3 and result.out == ""
    (line,) = result.err.splitlines()
    assert line.startswith(f"arxiv-digest: the batch of {latest().isoformat()} is not available yet: ")
    assert "HTML page" in line and "export API has nothing" in line and "asking again after" in line


def _saturday() -> date:
    day = latest() - timedelta(days=7)
    while day.weekday() != 5:
        day -= timedelta(days=1)
    return day


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cs.DCC"], "did you mean cs.DC"),
        (["nonsense"], "unknown arXiv category"),
        (["x" * 10_000], "unknown arXiv category"),
        (["cs.DC", "--date", "2999-01-01"], "in the future"),
        (["cs.DC", "--date", "1990-05-01"], "1991-08-14"),
        (["cs.DC", "--date", "yesterday"], "YYYY-MM-DD"),
        (["cs.DC", "--date", _saturday().isoformat()], "nearest listing days are"),
        (["cs.DC", "--lang", "english; rm -rf"], "language code"),
        (["cs.DC", "--format", "pdf"], "text"),
    ],
)
async def test_bad_input_exits_2(
    env: dict[str, str], fake_arxiv: FakeArxiv, args: list[str], message: str
) -> None:
    """Bad input exits 2 with a message saying what is accepted, without asking arXiv."""
    result = await cli(env, "today", *args)
    assert result.code == 2, result.err
    assert message in result.err
    assert len(result.err) < 1000
    assert fake_arxiv.requests == []


async def test_unreachable_exits_3(fake_arxiv: FakeArxiv, tmp_path: Path) -> None:
    """Feed and API failing after retries exit 3 with one line naming both hosts, the cause and the attempts."""
    fake_arxiv.queue("rss", 503, "Service Unavailable")
    fake_arxiv.set_api_handler(lambda query: (503, b"Service Unavailable"))
    result = await cli(environment(fake_arxiv, tmp_path), "today", "cs.DC")
    assert result.code == 3
    assert result.err.splitlines() == [
        "arxiv-digest: arXiv cannot be reached: its feed at 127.0.0.1 (HTTP 503; 1 attempt) and its "
        "export API at 127.0.0.1 (HTTP 503; 1 attempt); try again later"
    ]


async def test_unreachable_hosts_name_the_cause(tmp_path: Path) -> None:
    """A refused feed and an API whose name does not resolve: one line, each host with its cause and
    its attempts; the retries stay at DEBUG."""
    async with FakeArxiv() as gone:
        refused = gone.rss_url
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "TELEGRAM_", "DISCORD_", "ARXIV_", "STORE_", "LOG_"))
    }
    env.update(
        ARXIV_RSS_URL=refused,
        ARXIV_API_URL="http://export.arxiv.invalid/api/query",
        ARXIV_MIN_INTERVAL="0",
        ARXIV_RETRIES="2",
        STORE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    )
    result = await cli(env, "today", "cs.DC")
    assert result.code == 3
    assert result.err.splitlines() == [
        "arxiv-digest: arXiv cannot be reached: its feed at 127.0.0.1 (connection refused; 2 attempts) "
        "and its export API at export.arxiv.invalid (DNS lookup failed; 2 attempts); try again later"
    ]


async def test_chat_on_standard_input(env: dict[str, str]) -> None:
    """Commands on stdin get replies on stdout; a non-UTF-8 line gets a reply too, and the store keeps the chat."""
    lines = b"/subscribe cs.dc\n\xff\xfe\xfd\n/list\n/today\nhello\n/subscribe cs.DCC\n"
    result = await cli(env, "chat", "--chat", "me", stdin=lines)
    assert result.code == 0, result.err
    replies = result.out.split(REPLY_END + "\n")
    assert replies[-1] == "" and len(replies) == 7
    assert replies[0].startswith("Subscribed to cs.DC")
    assert "not valid UTF-8" in replies[1]
    assert replies[2].startswith("This chat follows: cs.DC (Distributed")
    assert replies[3].startswith("arXiv Daily Digest - Distributed, Parallel, and Cluster Computing\n")
    assert "Commands start with /" in replies[4]
    assert "did you mean cs.DC" in replies[5]
    assert "Hello" not in result.out and "> " not in result.out
    again = await cli(env, "chat", "--chat", "me", stdin=b"/list\n")
    assert "This chat follows: cs.DC" in again.out


async def test_help_imports_no_platform_library(tmp_path: Path) -> None:
    """--help loads neither platform SDKs, the LLM client nor arXiv's client."""
    process = await spawn(
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "adapters.cli",
        "--help",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    out, err = await process.communicate()
    assert process.returncode == 0 and b"today" in out
    imported = {line.split("|")[-1].strip().split(".")[0] for line in err.decode().splitlines()[1:]}
    assert not imported & {"telegram", "discord", "openai", "arxiv", "redis", "aiohttp", "feedparser"}


async def test_chinese_llm_summaries(env: dict[str, str]) -> None:
    """With OPENAI_BASE_URL set, --lang zh prints Chinese LLM summaries of the papers shown in full
    (DEFAULT_TOP, 10), one call each, the others listed without; a second run asks the LLM nothing."""
    async with FakeOpenAI() as llm:
        llm_env = {**env, "OPENAI_BASE_URL": llm.base_url}
        first = await cli(llm_env, "today", "cs.DC", "--lang", "zh", "--format", "json")
        assert first.code == 0, first.err
        papers = json.loads(first.out)["papers"]
        assert len(papers) > 10
        assert {p["summary_source"] for p in papers[:10]} == {"llm"}
        assert {p["summary_source"] for p in papers[10:]} == {"none"}
        assert all(is_in_language(p["summary"], "zh") for p in papers[:10])
        calls = len(llm.requests)
        assert calls == 10
        second = await cli(llm_env, "today", "cs.DC", "--lang", "zh")
        assert second.code == 0 and papers[0]["summary"] in second.out
        assert len(llm.requests) == calls


@pytest.mark.parametrize("command", [[], ["today"], ["chat"], ["run"], ["push"], ["check"]])
async def test_help_says_what_it_needs_and_its_exit_codes(command: list[str]) -> None:
    """Every command's --help names the environment and .env, and its exit codes."""
    process = await spawn(
        sys.executable, "-m", "adapters.cli", *command, "--help",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    out, _ = await process.communicate()
    text = " ".join(out.decode().split())
    assert process.returncode == 0
    assert "environment" in text and ".env" in text
    assert "Exit codes: 0 success; 2 bad input" in text and "3 arXiv" in text
    if command in (["run"], ["push"], ["check"]):
        assert "TELEGRAM_BOT_TOKEN" in text and "DISCORD_BOT_TOKEN" in text


async def test_real_day_in_the_reference_shape(fake_arxiv: FakeArxiv, tmp_path: Path) -> None:
    """`today --lang zh --format markdown` on a real recorded day (2026-06-23) prints the reference
    shape, the first 10 papers in full and how many the day announced; its first two papers are
    exactly the reviewed golden text."""
    fake_arxiv.set_api_handler(paged_api(busy_day_papers()))
    env = environment(fake_arxiv, tmp_path)
    args = ["today", "cs.CV", "--date", "2026-06-23", "--lang", "zh", "--format", "markdown"]
    result = await cli(env, *args)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    cv = sum("cs.CV" in paper["categories"] for paper in busy_day_papers())
    assert lines[:8] == [
        "# ArXiv论文日报 - 计算机视觉与模式识别",
        "",
        "**更新时间**: 2026-06-23 00:00:00 UTC",
        "",
        f"**论文数量**: 10 篇（当日发布 {cv} 篇）",
        "",
        "---",
        "",
    ]
    first_two = result.out.split("\n### 3. ")[0].split("---\n\n", 1)[1]
    assert first_two == golden("real_day_2026-06-23_zh_first_two.md", first_two)
