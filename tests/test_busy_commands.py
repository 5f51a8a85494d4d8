"""Busy-day commands on both stores, in English and Chinese: /interests, /like, /dislike, /filter,
/types, /top and /more; bad input gets a clear reply and changes nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from adapters.terminal import REPLY_END, serve
from bot import filters
from bot.commands import Caller, Commands, DigestReply, TextReply
from bot.engine import DigestEngine
from bot.filters import MAX_TERM_CHARS
from bot.models import ChatKey, Digest
from bot.pages import add_offered, last_digest, offered
from bot.schedule import scheduler_hook
from bot.source import ArxivSource
from bot.store.base import Store
from bot.summary import NoSummarizer
from bot.throttle import Throttle
from tests.conftest import settings_for
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.feeds import make_api_feed, make_papers, make_rss
from tests.test_i18n import english_sentences

NOW = datetime(2026, 9, 24, 16, 0, tzinfo=UTC)
THU = date(2026, 9, 24)
CATS = ["cs.DC", "cs.LG"]
PAPERS = make_papers(30, CATS, seed=5)
ELSEWHERE = make_papers(1, ["cs.RO"], seed=77, yymm="2608")[0]
"""A paper in no batch of the chat: found through the export API by id."""


def by_id(papers: list[dict[str, Any]]) -> Any:
    """An export API answering ``id_list`` look-ups from ``papers`` (unknown ids: no entry)."""

    def handler(query: Mapping[str, str]) -> tuple[int, bytes]:
        wanted = {i.split("v")[0] for i in parse_qs(f"x={query.get('id_list', '')}")["x"][0].split(",") if i}
        return 200, make_api_feed([p for p in papers if p["id"] in wanted])

    return handler


@pytest.fixture
async def commands(fake_arxiv: FakeArxiv, store: Store) -> AsyncIterator[Commands]:
    settings = settings_for(fake_arxiv)
    source = ArxivSource(settings, Throttle(store, "arxiv", 0.0))
    engine = DigestEngine(store, source, NoSummarizer(), clock=lambda: NOW)
    fake_arxiv.set_feed(make_rss(THU, PAPERS, CATS))
    fake_arxiv.set_api_handler(by_id([ELSEWHERE]))
    try:
        yield Commands(
            settings, store, engine, on_change=scheduler_hook(store, lambda: NOW), clock=lambda: NOW
        )
    finally:
        await source.aclose()


LANGUAGES = ["en", "zh"]


async def chat_in(commands: Commands, language: str, chat_id: str = "42", **caller: Any) -> Caller:
    """A chat following cs.DC and cs.LG, in ``language``."""
    me = Caller(ChatKey("test", chat_id), **caller)
    admin = Caller(me.chat)
    assert (await text(commands, "/subscribe cs.DC cs.LG", admin)).ok
    assert (await text(commands, f"/lang {language}", admin)).ok
    return me


async def text(commands: Commands, line: str, caller: Caller) -> TextReply:
    reply = await commands.handle(caller, line)
    assert isinstance(reply, TextReply), (line, reply)
    return reply


async def digest(commands: Commands, line: str, caller: Caller) -> Digest:
    reply = await commands.handle(caller, line)
    assert isinstance(reply, DigestReply), (line, reply)
    return reply.digest


def in_language(reply: TextReply, language: str) -> None:
    """A Chinese reply carries no English sentence (user input aside); an English one is English."""
    if language == "zh":
        assert english_sentences(reply.text) == [], reply.text
    else:
        assert english_sentences(reply.text), reply.text


async def state(store: Store, chat: ChatKey) -> tuple[Any, Any]:
    return await store.get_chat(chat), await store.get_feedback(chat)


# -- /interests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "interests"),
    [("en", "3D Gaussian splatting and neural rendering"), ("zh", "三维高斯溅射与神经渲染")],
)
async def test_interests_set_show_clear(
    commands: Commands, store: Store, language: str, interests: str
) -> None:
    """/interests saves the chat's own words, shows them, and clear removes them; a text in another
    script than the papers' says that without an LLM only words as written match."""
    me = await chat_in(commands, language)
    saved = await text(commands, f"/interests   {interests}  ", me)
    assert saved.ok and interests in saved.text
    in_language(saved, language)
    assert (await store.get_chat(me.chat)).interests == interests  # type: ignore[union-attr]
    if language == "zh":
        assert "未配置可翻译关注内容的 LLM" in saved.text
    shown = await text(commands, "/interests", me)
    assert interests in shown.text
    cleared = await text(commands, "/interests clear", me)
    assert cleared.ok and (await store.get_chat(me.chat)).interests == ""  # type: ignore[union-attr]
    in_language(cleared, language)
    in_language(await text(commands, "/interests", me), language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "line",
    [
        "/interests " + "x" * 301,
        "/interests papers please",
        "/interests the of and",
        "/interests bell\x07 rings",
    ],
)
async def test_bad_interests_change_nothing(
    commands: Commands, store: Store, language: str, line: str
) -> None:
    """Interests too long, without a word to rank by, or with control characters are refused with
    a reply saying what is accepted."""
    me = await chat_in(commands, language)
    before = await state(store, me.chat)
    reply = await text(commands, line, me)
    assert not reply.ok
    if language == "zh":
        assert "未做任何更改" in reply.text
    else:
        assert "Nothing was changed" in reply.text
    assert await state(store, me.chat) == before


async def test_settings_are_for_admins_and_visible_to_all(commands: Commands, store: Store) -> None:
    """In a group, a member who is not an admin may see interests, filter, types and top, and vote,
    but not change those settings nor clear the group's votes."""
    member = await chat_in(commands, "en", can_manage=False)
    before = await store.get_chat(member.chat)
    for line in ("/interests speech", "/filter LLM", "/types new", "/top 3", "/interests clear"):
        reply = await text(commands, line, member)
        assert not reply.ok and "Only the admins" in reply.text, line
    for line in ("/interests", "/filter", "/types", "/top", "/like", "/dislike"):
        assert (await text(commands, line, member)).ok, line
    await digest(commands, "/today", member)
    assert (await text(commands, f"/like {PAPERS[0]['id']}", member)).ok
    assert await store.get_chat(member.chat) == before
    for line in ("/like clear", "/dislike clear", f"/like clear {PAPERS[0]['id']}"):
        reply = await text(commands, line, member)
        assert not reply.ok and "Only the admins" in reply.text, line
    assert [f.paper_id for f in await store.get_feedback(member.chat)] == [PAPERS[0]["id"]]


# -- /like and /dislike --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_votes_from_the_days_batch(
    commands: Commands, store: Store, fake_arxiv: FakeArxiv, language: str
) -> None:
    """A vote on a paper of a batch the chat can see needs no arXiv request; the id may be written
    any way; a second vote is said to be there already; 👎 replaces 👍; votes are listed and cleared."""
    me = await chat_in(commands, language)
    await digest(commands, "/today", me)
    paper = PAPERS[3]
    liked = await text(commands, f"/like arXiv:{paper['id']}v1", me)
    assert liked.ok and paper["id"] in liked.text and "👍" in liked.text
    assert paper["title"][:40] in liked.text
    assert fake_arxiv.requests_to("api") == []
    (vote,) = await store.get_feedback(me.chat)
    assert (vote.paper_id, vote.vote, vote.title, vote.abstract) == (
        paper["id"],
        1,
        paper["title"],
        paper["abstract"],
    )
    assert (await text(commands, f"/like {paper['id']}", me)).ok
    assert len(await store.get_feedback(me.chat)) == 1
    disliked = await text(commands, f"/dislike https://arxiv.org/abs/{paper['id']}", me)
    assert disliked.ok and "👎" in disliked.text
    assert [(f.paper_id, f.vote) for f in await store.get_feedback(me.chat)] == [(paper["id"], -1)]
    assert paper["id"] in (await text(commands, "/dislike", me)).text
    none = await text(commands, "/like", me)
    assert paper["id"] not in none.text
    in_language(none, language)
    await text(commands, f"/like {PAPERS[5]['id']}", me)
    absent = await text(commands, f"/like clear {paper['id']}", me)
    assert not absent.ok and len(await store.get_feedback(me.chat)) == 2
    in_language(absent, language)
    assert (await text(commands, f"/dislike clear {paper['id']}", me)).ok
    assert [f.paper_id for f in await store.get_feedback(me.chat)] == [PAPERS[5]["id"]]
    cleared = await text(commands, "/like clear", me)
    assert cleared.ok and "1" in cleared.text and await store.get_feedback(me.chat) == []
    in_language(cleared, language)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_vote_on_a_paper_outside_the_batch_asks_arxiv_by_id(
    commands: Commands, store: Store, fake_arxiv: FakeArxiv, language: str
) -> None:
    """A paper no cached batch holds is looked up by id in the export API, with its title and
    abstract kept for ranking."""
    me = await chat_in(commands, language)
    reply = await text(commands, f"/dislike https://arxiv.org/pdf/{ELSEWHERE['id']}v1.pdf", me)
    assert reply.ok and ELSEWHERE["id"] in reply.text
    (vote,) = await store.get_feedback(me.chat)
    assert (vote.vote, vote.title) == (-1, ELSEWHERE["title"])
    assert [r.query.get("id_list") for r in fake_arxiv.requests_to("api")] == [ELSEWHERE["id"]]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("line", "asks_arxiv"),
    [
        ("/like 2609.99999", True),
        ("/like 2609.999", False),
        ("/like 12345", False),
        ("/like https://example.org/abs/2609.00001", False),
        ("/like " + "9" * 10_000, False),
        ("/like 2609.00001 2609.00002", False),
        ("/dislike clear nonsense", False),
        ("/dislike clear 2609.00001 more", False),
    ],
)
async def test_bad_votes_change_nothing(
    commands: Commands, store: Store, fake_arxiv: FakeArxiv, language: str, line: str, asks_arxiv: bool
) -> None:
    """An unknown id, a malformed one or extra words get a reply saying what is accepted; nothing
    is stored, and arXiv is only asked about a well-formed id."""
    me = await chat_in(commands, language)
    reply = await text(commands, line, me)
    assert not reply.ok
    in_language(reply, language)
    assert await store.get_feedback(me.chat) == []
    assert bool(fake_arxiv.requests_to("api")) is asks_arxiv


@pytest.mark.usefixtures("stamina_testing")
async def test_vote_while_arxiv_is_down(commands: Commands, store: Store, fake_arxiv: FakeArxiv) -> None:
    """A vote that needs arXiv while it cannot be reached says so and stores nothing."""
    me = await chat_in(commands, "zh")
    for _ in range(10):
        fake_arxiv.queue("api", 503)
    reply = await text(commands, f"/like {ELSEWHERE['id']}", me)
    assert not reply.ok and "arXiv" in reply.text
    assert await store.get_feedback(me.chat) == []


# -- /filter, /types, /top ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_filter_set_show_clear(commands: Commands, store: Store, language: str) -> None:
    """/filter stores the canonical filter and says what it keeps and leaves out; /filter shows it;
    a filter of negative terms only keeps every paper but those, and says so."""
    me = await chat_in(commands, language)
    saved = await text(commands, "/filter LLM “graph neural network” author:Hinton -survey", me)
    assert saved.ok
    stored = (await store.get_chat(me.chat)).filters  # type: ignore[union-attr]
    assert stored == 'LLM "graph neural network" author:Hinton -survey'
    assert stored in saved.text and stored in (await text(commands, "/filter", me)).text
    negative = await text(commands, "/filter -survey -author:Smith", me)
    assert negative.ok
    assert ("except" if language == "en" else "保留全部论文，但排除") in negative.text
    assert (await store.get_chat(me.chat)).filters == "-survey -author:Smith"  # type: ignore[union-attr]
    cleared = await text(commands, "/filter clear", me)
    assert cleared.ok and (await store.get_chat(me.chat)).filters == ""  # type: ignore[union-attr]
    in_language(cleared, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/filter " + " ".join(f"term{i}" for i in range(500)), "50"),
        ("/filter " + "x" * 10_000, str(MAX_TERM_CHARS)),
        ('/filter "graph neural network', "“"),
        ("/filter graph”neural", "“"),
        ("/filter LLM -LLM", "LLM"),
        ('/filter ""', "/filter clear"),
        ("/filter " + " ".join(f"w{i}" for i in range(501)), "501"),
        ("/filter 「扩散 模型", "「扩散 模型"),
        ("/filter ＂扩散 模型", '"扩散 模型'),
        ("/filter 作者：", "/filter clear"),
        ("/filter -", "/filter clear"),
    ],
)
async def test_bad_filters_change_nothing(
    commands: Commands, store: Store, language: str, line: str, says: str
) -> None:
    """500 terms, a 10,000-character term, unbalanced quotes, a term both wanted and excluded, or
    nothing: refused, saying why, in the chat's language."""
    me = await chat_in(commands, language)
    assert (await text(commands, "/filter LLM", me)).ok
    before = await state(store, me.chat)
    reply = await text(commands, line, me)
    assert not reply.ok and says in reply.text
    assert len(reply.text) < 1000
    if language == "zh":
        assert english_sentences(reply.text.replace("graph neural network", "")) == [], reply.text
    assert await state(store, me.chat) == before


@pytest.mark.parametrize("language", LANGUAGES)
async def test_filter_in_chinese_punctuation(commands: Commands, store: Store, language: str) -> None:
    """作者：张三, corner and full-width quotes and a full-width minus are the author prefix, phrases
    and a negative term, as their ASCII forms."""
    me = await chat_in(commands, language)
    saved = await text(commands, "/filter 作者：张三 「graph neural network」 ＂扩散 模型＂ －综述", me)
    assert saved.ok, saved.text
    stored = (await store.get_chat(me.chat)).filters  # type: ignore[union-attr]
    assert stored == 'author:张三 "graph neural network" "扩散 模型" -综述'
    assert stored in saved.text
    if language == "zh":
        assert english_sentences(saved.text.replace("graph neural network", "")) == [], saved.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_types_and_top(commands: Commands, store: Store, language: str) -> None:
    """/types and /top change what digests show; bad values (top 0, -3, 10000, words) change
    nothing."""
    me = await chat_in(commands, language)
    assert (await text(commands, "/types replace new", me)).ok
    assert (await store.get_chat(me.chat)).types == ("new", "replace")  # type: ignore[union-attr]
    assert (await text(commands, "/top 3", me)).ok
    assert (await store.get_chat(me.chat)).top == 3  # type: ignore[union-attr]
    before = await state(store, me.chat)
    for line in (
        "/top 0",
        "/top -3",
        "/top 10000",
        "/top ten",
        "/top 1 2",
        "/types old",
        "/types new nonsense",
    ):
        reply = await text(commands, line, me)
        assert not reply.ok, line
        in_language(reply, language)
    assert await state(store, me.chat) == before
    shown = await text(commands, "/top", me)
    assert "3" in shown.text
    assert (await text(commands, "/top all", me)).ok
    assert (await store.get_chat(me.chat)).top == "all"  # type: ignore[union-attr]
    in_language(await text(commands, "/types", me), language)


async def test_types_and_filter_shape_the_digest(commands: Commands, store: Store) -> None:
    """/types new leaves out cross-lists; a filter keeps only matching papers; the digest counts
    what was announced and what matched."""
    me = await chat_in(commands, "en")
    everything = await digest(commands, "/today", me)
    assert everything.announced == len(PAPERS) and {p.announce_type for p in everything.papers} == {
        "new",
        "cross",
    }
    await text(commands, "/types new", me)
    news = await digest(commands, "/today", me)
    assert {p.announce_type for p in news.all_papers} == {"new"}
    assert news.announced == everything.announced and news.matched == len(news.all_papers)
    words = sorted({w for p in news.all_papers for w in p.title.lower().split() if w.isalpha()})
    word, wanted = next(
        (w, found)
        for w in words
        if 0 < len(found := filters.apply(filters.parse(w), news.all_papers)) < len(news.all_papers)
    )
    await text(commands, f"/filter {word}", me)
    kept = await digest(commands, "/today", me)
    assert kept.matched == len(wanted) and {p.id for p in kept.all_papers} == {p.id for p in wanted}


# -- /today and /more --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_more_pages_through_the_day_once(commands: Commands, store: Store, language: str) -> None:
    """/today shows the top N and counts the rest; each /more brings the next N the chat has not
    received, numbered on; together they hold every matching paper once; then /more says that was
    all."""
    me = await chat_in(commands, language)
    await text(commands, "/top 4", me)
    first = await digest(commands, "/today", me)
    matched = first.matched
    assert matched is not None and matched > 8
    assert len(first.full) == 4 and first.remaining == matched - 4
    await commands.delivered(me.chat, [p.id for p in first.full])
    seen = [p.id for p in first.full]
    while True:
        reply = await commands.handle(me, "/more")
        if not isinstance(reply, DigestReply):
            break
        page = reply.digest
        assert page.first == len(seen) + 1
        assert 0 < len(page.full) <= 4 and page.remaining == matched - len(seen) - len(page.full)
        await commands.delivered(me.chat, [p.id for p in page.full])
        seen += [p.id for p in page.full]
    assert isinstance(reply, TextReply)
    assert reply.ok and str(matched) in reply.text and "2026-09-24" in reply.text
    in_language(reply, language)
    assert len(seen) == len(set(seen)) == matched
    assert set(seen) == set(first.paper_ids())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("/more", "no_digest"),
        ("/more yesterday", "bad_date"),
        ("/more 2026-09-31", "bad_date"),
        ("/more 2026-09-24 2026-09-23", "bad_date"),
        ("/more 2026-10-01", "future"),
        ("/more 2026-09-20", "not_listing"),
        ("/more 2026-08-03", "too_old"),
        ("/more ٢٠٢٦-١٠-٠١", "future"),
    ],
)
async def test_more_refuses_what_it_cannot_page(
    commands: Commands, store: Store, fake_arxiv: FakeArxiv, language: str, line: str, key: str
) -> None:
    """/more before any digest, a malformed date, a day not out yet, not a listing day or too old
    gets a reply saying so, without asking arXiv."""
    me = await chat_in(commands, language)
    reply = await text(commands, line, me)
    assert not reply.ok
    in_language(reply, language)
    words = {
        "no_digest": ("/today", "/today"),
        "bad_date": ("YYYY-MM-DD", "YYYY-MM-DD"),
        "future": ("not out yet", "尚未发布"),
        "not_listing": ("listed no papers", "没有发布论文"),
        "too_old": ("21 days", "21 天"),
    }[key]
    assert words[LANGUAGES.index(language)] in reply.text
    assert fake_arxiv.requests == []


async def test_more_of_an_earlier_day_from_an_old_button(
    commands: Commands, store: Store, fake_arxiv: FakeArxiv
) -> None:
    """/more with a date (an old "more" button) pages that listing date, even after a newer digest;
    a bare /more still pages the chat's latest digest."""
    me = await chat_in(commands, "en")
    wednesday = make_papers(12, CATS, seed=8)
    fake_arxiv.set_api_handler(lambda query: (200, make_api_feed(wednesday)))
    await digest(commands, "/today", me)
    page = await digest(commands, "/more 2026-09-23", me)
    assert page.listing_date == date(2026, 9, 23)
    assert set(page.paper_ids()) <= {p["id"] for p in wednesday}
    again = await digest(commands, "/more", me)
    assert again.listing_date == THU


async def test_terminal_votes_and_pages(commands: Commands, store: Store) -> None:
    """In the terminal chat, /like and /more work as anywhere: a digest shows its top N and the
    count of the rest, /more the next ones, each marked received."""
    chat = ChatKey("terminal", "busy")
    lines = f"/subscribe cs.DC cs.LG\n/top 3\n/today\n/like {PAPERS[0]['id']}\n/more\n".encode()
    out = io.StringIO()
    await serve(commands, chat, io.BytesIO(lines), out)
    replies = out.getvalue().split(REPLY_END + "\n")
    today, liked, more = replies[2], replies[3], replies[4]
    numbered = [line.split(". ")[0] for line in today.splitlines() if line[:1].isdigit() and ". " in line]
    assert numbered == ["1", "2", "3"] and "more papers of this day: /more" in today
    assert liked.startswith("👍")
    assert [line.split(". ")[0] for line in more.splitlines() if line[:1].isdigit() and ". " in line] == [
        "4",
        "5",
        "6",
    ]
    received = await store.filter_received(chat, [p["id"] for p in PAPERS])
    assert len(received) == 6


async def test_a_migrated_chat_pages_on_where_it_was(commands: Commands, store: Store) -> None:
    """After a group moves to a new id, /more there goes on from the next page, repeating nothing,
    and what the push offered of the day moves too."""
    me = await chat_in(commands, "en")
    await text(commands, "/top 3", me)
    first = await digest(commands, "/today", me)
    await commands.delivered(me.chat, [p.id for p in first.full])
    day = first.listing_date
    await add_offered(store, me.chat, day, [p.id for p in first.full])
    moved = Caller(ChatKey("test", "-100042"))
    await commands.chat_migrated(me.chat, moved.chat)
    page = await digest(commands, "/more", moved)
    assert page.first == 4
    assert not {p.id for p in page.full} & {p.id for p in first.full}
    assert await offered(store, moved.chat, day) == {p.id for p in first.full}
    assert await offered(store, me.chat, day) == set()
    assert await last_digest(store, me.chat) is None


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "line",
    [
        "/title " + "长" * 300,
        "/title bell\u0007",
        "/filter 「扩散 模型",
        "/top ０",
        "/types foo",
        "/interests 🙂",
        "/like 2606.1234x",
        "/dislike clear 2606.99999",
    ],
)
async def test_refusals_say_nothing_changed(
    commands: Commands, store: Store, language: str, line: str
) -> None:
    """Every refused setting or vote says, in the chat's language, that nothing was changed, and
    nothing was."""
    me = await chat_in(commands, language)
    before = await state(store, me.chat)
    reply = await text(commands, line, me)
    assert not reply.ok
    assert ("Nothing was changed." if language == "en" else "未做任何更改。") in reply.text, reply.text
    assert await state(store, me.chat) == before
