"""``arxiv-digest today`` on a real busy day (2026-06-23, cs.CV + cs.CL) served as the latest feed:
--interests ranks, --top shows N in full, --chat applies a terminal chat's settings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from adapters.terminal import REPLY_END
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_rss
from tests.fakes.real_day import busy_day_papers
from tests.test_cli import cli, environment, latest

CATS = ["cs.CV", "cs.CL"]


@pytest.fixture
def env(fake_arxiv: FakeArxiv, tmp_path: Path) -> dict[str, str]:
    """The recorded busy day as today's cs.CV + cs.CL feed, no LLM."""
    papers = [p for p in busy_day_papers() if set(p["categories"]) & set(CATS)]
    fake_arxiv.set_feed(make_rss(latest(), papers, CATS))
    return environment(fake_arxiv, tmp_path)


def day_size() -> int:
    return sum(1 for p in busy_day_papers() if set(p["categories"]) & set(CATS))


async def test_interests_rank_the_day(env: dict[str, str]) -> None:
    """--interests puts a clearly relevant paper first: every matching paper listed, most relevant
    first with its relevance, announced and matched counted, summaries for the top 10 only."""
    result = await cli(
        env, "today", *CATS, "--interests", "3D Gaussian splatting and neural rendering", "--format", "json"
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    papers = data["papers"]
    assert data["announced"] == data["matched"] == len(papers) == day_size()
    assert "gaussian splatting" in papers[0]["title"].lower()
    relevance = [p["relevance"] for p in papers]
    assert relevance == sorted(relevance, reverse=True) and relevance[0] > relevance[-1]
    assert {p["summary_source"] for p in papers[:10]} == {"extractive"}
    assert {p["summary_source"] for p in papers[10:]} == {"none"}


async def test_chinese_interests_without_an_llm_say_why_they_match_little(env: dict[str, str]) -> None:
    """--interests in Chinese with no LLM configured still prints the digest (exit 0) and says on
    stderr, in the digest's language, that only words written as in the papers match; English
    interests get no such line."""
    chinese = await cli(env, "today", *CATS, "--interests", "三维高斯泼溅", "--lang", "zh", "--no-summary")
    assert chinese.code == 0, chinese.err
    assert "未配置可翻译关注内容的 LLM" in chinese.err and chinese.out
    english = await cli(env, "today", *CATS, "--interests", "speech recognition", "--no-summary")
    assert english.code == 0 and "LLM" not in english.err


async def test_without_interests_papers_keep_arxivs_order(env: dict[str, str]) -> None:
    """Without interests or feedback nothing is ranked: no relevance, arXiv's order."""
    result = await cli(env, "today", *CATS, "--format", "json", "--no-summary")
    assert result.code == 0, result.err
    papers = json.loads(result.out)["papers"]
    assert not any("relevance" in p for p in papers)
    assert [p["announce_type"] for p in papers] == sorted(
        (p["announce_type"] for p in papers), key=lambda t: t != "new"
    )


@pytest.mark.parametrize(("top", "full"), [("3", 3), ("all", None)])
async def test_top_shows_that_many_in_full(env: dict[str, str], top: str, full: int | None) -> None:
    """--top N prints N papers in full and the count of the rest; --top all prints every paper."""
    result = await cli(env, "today", *CATS, "--top", top, "--no-summary")
    assert result.code == 0, result.err
    numbers = [int(n) for n in re.findall(r"^\s*(\d+)\. ", result.out, flags=re.MULTILINE)]
    total = day_size()
    assert numbers == list(range(1, (full or total) + 1))
    if full is None:
        assert "more papers of this day" not in result.out
        assert f"Papers: {total}\n" in result.out
    else:
        assert f"{total - full} more papers of this day: --top all shows them" in result.out
        assert f"Papers: {full} (of {total} announced)" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cs.CV", "--top", "0"], "--top '0'"),
        (["cs.CV", "--top", "-3"], "from 1 to 100"),
        (["cs.CV", "--top", "10000"], "from 1 to 100"),
        (["cs.CV", "--interests", "x" * 400], "at most 300"),
        (["cs.CV", "--interests", "🙂 ，，，"], "has no words to rank papers by"),
        ([], "no categories"),
        (["--chat", "nobody"], "no terminal chat 'nobody'"),
    ],
)
async def test_bad_options_exit_2(
    env: dict[str, str], fake_arxiv: FakeArxiv, args: list[str], message: str
) -> None:
    """A bad --top, overlong --interests or interests without a word, no categories or an unknown
    --chat exit 2 saying what is accepted, without asking arXiv."""
    result = await cli(env, "today", *args)
    assert result.code == 2 and message in result.err
    assert fake_arxiv.requests == []


async def test_chat_applies_a_terminal_chats_settings(env: dict[str, str]) -> None:
    """--chat ID takes that terminal chat's categories, interests, filter, top, language and title."""
    setup = "\n".join(
        [
            "/subscribe cs.CV cs.CL",
            "/interests speech recognition",
            "/filter -survey",
            "/top 5",
            "/title 语音",
            "/lang zh",
        ]
    )
    made = await cli(env, "chat", "--chat", "lab", stdin=setup.encode() + b"\n")
    assert made.code == 0 and made.out.count(REPLY_END) == 6, made.out
    result = await cli(env, "today", "--chat", "lab", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["categories"] == CATS and data["language"] == "zh" and data["title"] == "语音"
    papers = data["papers"]
    assert data["matched"] == len(papers) < data["announced"]
    assert not any(re.search(r"\bsurveys?\b", p["title"] + " " + p["abstract"], re.I) for p in papers)
    assert "speech" in (papers[0]["title"] + papers[0]["abstract"]).lower()
    assert [p["summary_source"] for p in papers[:6]] == ["extractive"] * 5 + ["none"]
    markdown = await cli(env, "today", "--chat", "lab", "--format", "markdown", "--top", "2")
    assert markdown.out.startswith("# ArXiv论文日报 - 语音\n")
    assert "### 2. " in markdown.out and "### 3. " not in markdown.out
    assert "当天还有" in markdown.out


async def test_chat_feedback_alone_ranks(env: dict[str, str]) -> None:
    """A terminal chat with a 👍 (on a paper of the digest it was shown) and no interests gets a
    ranked digest from --chat."""
    liked = next(
        p for p in busy_day_papers() if "splatting" in p["title"].lower() and set(p["categories"]) & set(CATS)
    )
    setup = f"/subscribe cs.CV cs.CL\n/today\n/like {liked['id']}\n"
    made = await cli(env, "chat", "--chat", "fan", stdin=setup.encode())
    assert made.code == 0 and "👍" in made.out
    result = await cli(env, "today", "--chat", "fan", "--format", "json", "--no-summary")
    assert result.code == 0, result.err
    papers = json.loads(result.out)["papers"]
    assert all("relevance" in p for p in papers)
    assert "splatting" in " ".join(p["title"].lower() for p in papers[:3])
