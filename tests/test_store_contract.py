"""One contract, two backends: every test runs against SQLite and against the local Redis."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
import redis.asyncio as redis

from bot.errors import BadInput
from bot.models import DISLIKE, LIKE, ChatKey, ChatSettings, Feedback
from bot.store import as_unavailable, open_store
from bot.store.base import FEEDBACK_LIMIT, LEDGER_TTL, Store
from bot.store.redis import RedisStore, redact_url
from bot.store.sqlite import SQLiteStore, next_slot, sqlite_path
from tests.factories import held
from tests.paths import ROOT
from tests.ports import free_port
from tests.processes import spawn

TG = ChatKey("telegram", "-1001234")
DC = ChatKey("discord", "98765:42")


def settings(chat: ChatKey, **changes: object) -> ChatSettings:
    values: dict[str, object] = {
        "categories": ("cs.DC", "cs.LG"),
        "push_time": "07:30",
        "timezone": "Europe/Berlin",
        "language": "de",
        "types": ("new", "cross", "replace"),
        "empty_day_note": True,
        "interests": "3D Gaussian splatting",
        "filters": 'LLM "graph neural network" -survey',
        "top": 5,
        "extra": {"admins_only": True, "topics": []},
    }
    values.update(changes)
    return ChatSettings(chat, **values)  # type: ignore[arg-type]


def url_of(store: Store, redis_url: str) -> str:
    """The URL another connection to the same backend would use."""
    if isinstance(store, SQLiteStore):
        return f"sqlite:///{store.path}"
    return redis_url


# -- subscriptions -----------------------------------------------------------------------------------


async def test_chat_round_trip(store: Store) -> None:
    """Settings read back equal to what was stored, extra included."""
    original = settings(DC)
    await store.put_chat(original)
    loaded = await store.get_chat(DC)
    assert loaded == original
    assert loaded is not None and loaded.extra == original.extra


async def test_missing_chat_is_none(store: Store) -> None:
    """A chat that never subscribed has no settings."""
    assert await store.get_chat(TG) is None


async def test_put_chat_replaces(store: Store) -> None:
    """A second put replaces the settings and does not add a chat."""
    await store.put_chat(settings(TG))
    await store.put_chat(settings(TG, categories=("math.CO",), extra={}))
    assert await store.get_chat(TG) == settings(TG, categories=("math.CO",))
    assert await store.count_chats() == 1


async def test_delete_chat_keeps_ledger(store: Store) -> None:
    """Deleting removes settings and due entry but the ledger survives re-subscription."""
    await store.put_chat(settings(TG))
    await store.set_due(TG, 1000.0)
    await store.mark_received(TG, ["2602.00001", "2602.00002"])
    assert await store.delete_chat(TG) is True
    assert await store.get_chat(TG) is None
    assert await store.get_due(TG) is None
    assert await store.count_chats() == 0
    assert await store.delete_chat(TG) is False
    await store.put_chat(settings(TG))
    assert await store.filter_received(TG, ["2602.00001", "2602.00003"]) == {"2602.00001"}


async def test_iter_chats_yields_each_once(store: Store) -> None:
    """1,200 chats paged 500 at a time come out exactly once each."""
    keys = [ChatKey("telegram" if i % 2 else "discord", str(i)) for i in range(1200)]
    for key in keys:
        await store.put_chat(ChatSettings(key, categories=("cs.AI",)))
    seen = [s.chat async for s in store.iter_chats(batch_size=500)]
    assert len(seen) == 1200
    assert set(seen) == set(keys)


async def test_iter_chats_empty(store: Store) -> None:
    """A store without chats iterates over nothing."""
    assert [s async for s in store.iter_chats()] == []


async def test_count_chats(store: Store) -> None:
    """The count follows puts and deletes."""
    assert await store.count_chats() == 0
    await store.put_chat(settings(TG))
    await store.put_chat(settings(DC))
    assert await store.count_chats() == 2
    await store.delete_chat(DC)
    assert await store.count_chats() == 1


async def test_migrate_chat_moves_settings_due_and_ledger(store: Store) -> None:
    """Migration moves everything to the new id and leaves nothing under the old one."""
    new = ChatKey("telegram", "-1009999")
    await store.put_chat(settings(TG))
    await store.set_due(TG, 1234.5)
    await store.mark_received(TG, ["2602.00001"])
    assert await store.migrate_chat(TG, new) is True
    assert await store.get_chat(new) == settings(new)
    assert await store.get_due(new) == 1234.5
    assert await store.filter_received(new, ["2602.00001"]) == {"2602.00001"}
    assert await store.get_chat(TG) is None
    assert await store.get_due(TG) is None
    assert await store.filter_received(TG, ["2602.00001"]) == set()
    assert await store.count_chats() == 1
    assert [s.chat async for s in store.iter_chats()] == [new]
    assert await store.due_chats(until=2000.0) == [(new, 1234.5)]


async def test_migrate_merges_ledgers(store: Store) -> None:
    """Papers received under either id stay received under the new one."""
    new = ChatKey("telegram", "-1009999")
    await store.mark_received(TG, ["a"])
    await store.mark_received(new, ["b"])
    await store.put_chat(settings(TG))
    assert await store.migrate_chat(TG, new) is True
    assert await store.filter_received(new, ["a", "b", "c"]) == {"a", "b"}


async def test_migrate_missing_chat_returns_false(store: Store) -> None:
    """Migrating a chat without settings reports False and creates no settings."""
    new = ChatKey("telegram", "-1009999")
    assert await store.migrate_chat(TG, new) is False
    assert await store.get_chat(new) is None


# -- due-time index ----------------------------------------------------------------------------------


async def test_due_chats_order_limit_until(store: Store) -> None:
    """Due chats come earliest first, at or before ``until``, at most ``limit``."""
    chats = [ChatKey("telegram", str(i)) for i in range(5)]
    for chat, at in zip(chats, [50.0, 10.0, 40.0, 20.0, 30.0], strict=True):
        await store.set_due(chat, at)
    assert await store.due_chats(until=100.0) == [
        (chats[1], 10.0),
        (chats[3], 20.0),
        (chats[4], 30.0),
        (chats[2], 40.0),
        (chats[0], 50.0),
    ]
    assert await store.due_chats(until=100.0, limit=2) == [(chats[1], 10.0), (chats[3], 20.0)]
    assert await store.due_chats(until=30.0) == [(chats[1], 10.0), (chats[3], 20.0), (chats[4], 30.0)]
    assert await store.due_chats(until=5.0) == []


async def test_set_due_replaces_and_none_removes(store: Store) -> None:
    """A new due time replaces the old one; None removes the entry."""
    await store.set_due(TG, 100.0)
    await store.set_due(TG, 200.5)
    assert await store.get_due(TG) == 200.5
    await store.set_due(TG, None)
    assert await store.get_due(TG) is None
    assert await store.due_chats(until=1e12) == []


# -- ledger ------------------------------------------------------------------------------------------


async def test_mark_and_filter_received(store: Store) -> None:
    """Only ids the chat received come back, per chat."""
    await store.mark_received(TG, ["2602.00001", "2602.00002"])
    await store.mark_received(TG, [])
    assert await store.filter_received(TG, ["2602.00002", "2602.00003"]) == {"2602.00002"}
    assert await store.filter_received(DC, ["2602.00002"]) == set()
    assert await store.filter_received(TG, []) == set()


async def test_filter_received_many_ids(store: Store) -> None:
    """Large id lists are answered in full."""
    ids = [f"2602.{i:05d}" for i in range(1500)]
    await store.mark_received(TG, ids[::2])
    assert await store.filter_received(TG, ids) == set(ids[::2])


async def test_ledger_forgets_after_ttl(store: Store) -> None:
    """Entries older than LEDGER_TTL are trimmed on the next write."""
    await store.mark_received(TG, ["old"], now=1000.0)
    await store.mark_received(TG, ["recent"], now=1000.0 + LEDGER_TTL - 1)
    assert await store.filter_received(TG, ["old", "recent"]) == {"old", "recent"}
    await store.mark_received(TG, ["new"], now=1000.0 + LEDGER_TTL + 1)
    assert await store.filter_received(TG, ["old", "recent", "new"]) == {"recent", "new"}


# -- 👍/👎 feedback ----------------------------------------------------------------------------------


def vote(paper_id: str, value: int, at: float) -> Feedback:
    return Feedback(paper_id, value, title=f"Title of {paper_id}", abstract="Gaussian splatting… 中文", at=at)


async def test_feedback_round_trip_newest_first(store: Store) -> None:
    """Votes read back whole, newest first; a chat without votes has none."""
    await store.set_feedback(TG, vote("2606.00001", LIKE, 10.0))
    await store.set_feedback(TG, vote("2606.00002", DISLIKE, 30.0))
    await store.set_feedback(TG, vote("2606.00003", LIKE, 20.0))
    assert await store.get_feedback(TG) == [
        vote("2606.00002", DISLIKE, 30.0),
        vote("2606.00003", LIKE, 20.0),
        vote("2606.00001", LIKE, 10.0),
    ]
    assert await store.get_feedback(DC) == []


async def test_feedback_vote_again_replaces(store: Store) -> None:
    """A second vote on the same paper replaces the first."""
    await store.set_feedback(TG, vote("2606.00001", LIKE, 10.0))
    await store.set_feedback(TG, vote("2606.00001", DISLIKE, 11.0))
    assert await store.get_feedback(TG) == [vote("2606.00001", DISLIKE, 11.0)]


async def test_feedback_keeps_the_newest_votes(store: Store) -> None:
    """Past FEEDBACK_LIMIT votes the oldest are dropped."""
    for n in range(FEEDBACK_LIMIT + 3):
        await store.set_feedback(TG, vote(f"2606.{n:05d}", LIKE, float(n)))
    kept = await store.get_feedback(TG)
    assert len(kept) == FEEDBACK_LIMIT
    assert kept[0].paper_id == f"2606.{FEEDBACK_LIMIT + 2:05d}"
    assert kept[-1].paper_id == "2606.00003"


async def test_clear_feedback_one_or_all(store: Store) -> None:
    """Clearing one paper's vote or all of them says how many went."""
    for n in range(3):
        await store.set_feedback(TG, vote(f"2606.{n:05d}", LIKE, float(n)))
    await store.set_feedback(DC, vote("2606.00000", LIKE, 1.0))
    assert await store.clear_feedback(TG, "2606.00001") == 1
    assert await store.clear_feedback(TG, "2606.00001") == 0
    assert [f.paper_id for f in await store.get_feedback(TG)] == ["2606.00002", "2606.00000"]
    assert await store.clear_feedback(TG) == 2
    assert await store.get_feedback(TG) == []
    assert len(await store.get_feedback(DC)) == 1


async def test_feedback_survives_removal_and_moves_with_migration(store: Store) -> None:
    """A removed chat keeps its votes; a migrated chat's votes move, the newer vote winning."""
    new = ChatKey("telegram", "-1009999")
    await store.put_chat(settings(TG))
    await store.set_feedback(TG, vote("2606.00001", LIKE, 10.0))
    await store.set_feedback(TG, vote("2606.00002", LIKE, 10.0))
    await store.set_feedback(new, vote("2606.00002", DISLIKE, 5.0))
    await store.set_feedback(new, vote("2606.00003", DISLIKE, 50.0))
    assert await store.migrate_chat(TG, new)
    assert await store.get_feedback(TG) == []
    assert await store.get_feedback(new) == [
        vote("2606.00003", DISLIKE, 50.0),
        vote("2606.00002", LIKE, 10.0),
        vote("2606.00001", LIKE, 10.0),
    ]
    assert await store.delete_chat(new)
    assert len(await store.get_feedback(new)) == 3


def test_a_vote_is_like_or_dislike() -> None:
    """A vote other than 1 or -1 is refused."""
    with pytest.raises(ValueError, match="vote"):
        Feedback("2606.00001", 0)


# -- caches ------------------------------------------------------------------------------------------


async def test_cache_set_get_delete(store: Store) -> None:
    """A cached value is read back, replaced, and forgotten on delete."""
    assert await store.cache_get("summary", "2602.00001v2:en") is None
    await store.cache_set("summary", "2602.00001v2:en", "Kurz.")
    await store.cache_set("summary", "2602.00001v2:en", "Short.")
    assert await store.cache_get("summary", "2602.00001v2:en") == "Short."
    assert await store.cache_get("digest", "2602.00001v2:en") is None
    await store.cache_delete("summary", "2602.00001v2:en")
    assert await store.cache_get("summary", "2602.00001v2:en") is None


async def test_cache_ttl_expires(store: Store) -> None:
    """A value with a ttl is gone after it; one without stays."""
    await store.cache_set("digest", "short", "x", ttl=0.2)
    await store.cache_set("digest", "long", "y")
    assert await store.cache_get("digest", "short") == "x"
    await asyncio.sleep(0.3)
    assert await store.cache_get("digest", "short") is None
    assert await store.cache_get("digest", "long") == "y"


# -- claims ------------------------------------------------------------------------------------------


async def test_claim_is_exclusive_and_extendable(store: Store) -> None:
    """Another owner is refused while the claim is held; the holder may claim again."""
    assert await store.claim("push:2026-03-02", "a", 30) is True
    assert await store.claim("push:2026-03-02", "b", 30) is False
    assert await store.claim("push:2026-03-02", "a", 30) is True
    assert await store.claim("push:2026-03-03", "b", 30) is True


async def test_release_only_by_owner(store: Store) -> None:
    """Only the holder releases; afterwards anyone may claim."""
    assert await store.claim("job", "a", 30) is True
    assert await store.release("job", "b") is False
    assert await store.claim("job", "b", 30) is False
    assert await store.release("job", "a") is True
    assert await store.release("job", "a") is False
    assert await store.claim("job", "b", 30) is True


async def test_claim_expires(store: Store) -> None:
    """An expired claim can be taken by another owner; re-claiming extends it."""
    assert await store.claim("job", "a", 0.2) is True
    await asyncio.sleep(0.1)
    assert await store.claim("job", "a", 0.4) is True
    await asyncio.sleep(0.15)
    assert await store.claim("job", "b", 30) is False
    await asyncio.sleep(0.4)
    assert await store.claim("job", "b", 30) is True
    assert await store.release("job", "a") is False


async def test_claim_expires_by_the_given_clock(store: Store) -> None:
    """With ``now`` given, a claim ends exactly at now + ttl by that clock: no waiting needed."""
    assert await store.claim("job", "a", 30, now=1000.0) is True
    assert await store.claim("job", "b", 30, now=1029.9) is False
    assert held(await store.holder("job", now=1029.9)) == ("a", pytest.approx(1030.0))
    assert await store.claim("job", "a", 30, now=1020.0) is True  # renewed: ends at 1050
    assert await store.claim("job", "b", 30, now=1049.0) is False
    assert await store.holder("job", now=1050.5) is None
    assert await store.claim("job", "b", 30, now=1050.5) is True
    assert held(await store.holder("job", now=1051.0)) == ("b", pytest.approx(1080.5))


async def test_release_by_the_given_clock(store: Store) -> None:
    """Releasing an unexpired claim frees it; one already lapsed reports False; another owner's
    claim is never released."""
    assert await store.claim("job", "a", 30, now=1000.0) is True
    assert await store.release("job", "b", now=1001.0) is False
    assert held(await store.holder("job", now=1001.0)) == ("a", pytest.approx(1030.0))
    assert await store.release("job", "a", now=1001.0) is True
    assert await store.holder("job", now=1001.0) is None
    assert await store.claim("job", "a", 30, now=2000.0) is True
    assert await store.release("job", "a", now=2031.0) is False
    assert await store.claim("job", "b", 30, now=2031.0) is True


async def test_holder_with_the_backend_clock(store: Store) -> None:
    """Without ``now`` the backend's clock decides: the holder and an end about ttl from now."""
    assert await store.holder("job") is None
    assert await store.claim("job", "a", 30) is True
    found = await store.holder("job")
    assert found is not None and found[0] == "a"
    assert found[1] == pytest.approx(time.time() + 30, abs=5)


async def test_next_due_after(store: Store) -> None:
    """The earliest due time strictly after a moment, or None."""
    assert await store.next_due(0.0) is None
    await store.set_due(TG, 100.0)
    await store.set_due(DC, 250.0)
    assert await store.next_due(0.0) == 100.0
    assert await store.next_due(100.0) == 250.0
    assert await store.next_due(250.0) is None


async def test_concurrent_claims_one_winner(store: Store) -> None:
    """Twenty concurrent claims by different owners: exactly one succeeds."""
    results = await asyncio.gather(*(store.claim("race", f"owner-{i}", 30) for i in range(20)))
    assert results.count(True) == 1


async def test_many_concurrent_calls_succeed(store: Store) -> None:
    """Hundreds of concurrent calls queue for connections instead of failing."""
    chats = [ChatKey("telegram", str(i)) for i in range(400)]
    await asyncio.gather(*(store.put_chat(ChatSettings(chat)) for chat in chats))
    await asyncio.gather(*(store.set_due(chat, float(i)) for i, chat in enumerate(chats)))
    assert await store.count_chats() == 400
    assert len(await store.due_chats(until=1e9, limit=1000)) == 400


_CLAIM_IN_PROCESS = """
import asyncio, sys
from bot.store import open_store

async def main() -> None:
    store = await open_store(sys.argv[1], sys.argv[2])
    try:
        print("ready", flush=True)
        sys.stdin.readline()
        print(await store.claim("race", sys.argv[3], 60), flush=True)
    finally:
        await store.close()

asyncio.run(main())
"""


async def test_cross_process_claims_one_winner(store: Store, redis_url: str) -> None:
    """Four processes claiming the same name at once: exactly one succeeds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await spawn(
            sys.executable,
            "-c",
            _CLAIM_IN_PROCESS,
            url_of(store, redis_url),
            store.prefix,
            f"process-{i}",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for i in range(4)
    ]
    for proc in procs:
        assert proc.stdout is not None
        while (line := await asyncio.wait_for(proc.stdout.readline(), 30)) != b"ready\n":
            assert line, "the process ended before connecting"
    outputs = await asyncio.gather(*(proc.communicate(b"go\n") for proc in procs))
    results = [out.decode().split()[-1] for out, _ in outputs]
    assert all(proc.returncode == 0 for proc in procs)
    assert sorted(results) == ["False", "False", "False", "True"]
    assert await store.claim("race", "parent", 60) is False


# -- request slots -----------------------------------------------------------------------------------


async def test_reserve_slot_with_fixed_now(store: Store) -> None:
    """Successive reservations at one instant wait 0, one interval, two intervals."""
    waits = [await store.reserve_slot("arxiv", 3.0, now=1000.0) for _ in range(3)]
    assert waits == pytest.approx([0.0, 3.0, 6.0], abs=1e-3)


async def test_reserve_slot_with_advancing_now(store: Store) -> None:
    """Time that passed counts toward the interval; a long pause means no wait."""
    assert await store.reserve_slot("arxiv", 3.0, now=1000.0) == pytest.approx(0.0, abs=1e-3)
    assert await store.reserve_slot("arxiv", 3.0, now=1001.0) == pytest.approx(2.0, abs=1e-3)
    assert await store.reserve_slot("arxiv", 3.0, now=1002.0) == pytest.approx(4.0, abs=1e-3)
    assert await store.reserve_slot("arxiv", 3.0, now=1020.0) == pytest.approx(0.0, abs=1e-3)
    assert await store.reserve_slot("other", 3.0, now=1020.0) == pytest.approx(0.0, abs=1e-3)


async def test_reserve_slot_with_backend_clock(store: Store) -> None:
    """Without ``now`` the backend's clock is used: 0, then about one interval."""
    assert await store.reserve_slot("arxiv", 3.0) == pytest.approx(0.0, abs=0.05)
    assert await store.reserve_slot("arxiv", 3.0) == pytest.approx(3.0, abs=0.5)


@pytest.mark.parametrize(
    ("last", "now", "interval", "expected"),
    [
        (None, 100.0, 3.0, 100.0),
        (100.0, 100.0, 3.0, 103.0),
        (100.0, 102.0, 3.0, 103.0),
        (100.0, 103.0, 3.0, 103.0),
        (100.0, 110.0, 3.0, 110.0),
        (106.0, 100.0, 3.0, 109.0),
    ],
)
def test_next_slot(last: float | None, now: float, interval: float, expected: float) -> None:
    """The next slot is an interval after the last one, never before now."""
    assert next_slot(last, now, interval) == expected


# -- isolation, lifecycle ----------------------------------------------------------------------------


async def test_prefixes_isolate(store: Store, redis_url: str) -> None:
    """Two prefixes on one backend never see each other's data."""
    other = await open_store(url_of(store, redis_url), store.prefix + "sibling:")
    try:
        await store.put_chat(settings(TG))
        await store.set_due(TG, 10.0)
        await store.mark_received(TG, ["p"])
        await store.cache_set("ns", "k", "v")
        assert await store.claim("job", "a", 30) is True
        await store.reserve_slot("arxiv", 3.0, now=1000.0)

        assert await other.get_chat(TG) is None
        assert await other.count_chats() == 0
        assert [s async for s in other.iter_chats()] == []
        assert await other.due_chats(until=100.0) == []
        assert await other.filter_received(TG, ["p"]) == set()
        assert await other.cache_get("ns", "k") is None
        assert await other.claim("job", "b", 30) is True
        assert await other.reserve_slot("arxiv", 3.0, now=1000.0) == pytest.approx(0.0, abs=1e-3)
        assert await other.delete_chat(TG) is False
        assert await store.get_chat(TG) == settings(TG)
    finally:
        await other.close()


async def test_ping(store: Store) -> None:
    """A connected store answers."""
    assert await store.ping() is True


async def test_repr_shows_prefix(store: Store) -> None:
    """The repr names the backend and the prefix."""
    assert store.prefix in repr(store)
    assert type(store).__name__ in repr(store)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:secret@host:6379/0", "redis://:***@host:6379/0"),
        ("redis://user:secret@host/1", "redis://user:***@host/1"),
        ("rediss://default:s3cr%40t@[::1]:6380", "rediss://default:***@[::1]:6380"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("unix:///run/redis.sock?db=2", "unix:///run/redis.sock?db=2"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    """Passwords in a store URL are replaced before it is shown."""
    assert redact_url(url) == shown


async def test_redis_repr_hides_password() -> None:
    """A Redis store's repr never contains the URL's password."""
    store = await open_store("redis://default:hunter2@127.0.0.1:6379/0", "p:")
    try:
        assert "hunter2" not in repr(store)
        assert "default:***@127.0.0.1:6379" in repr(store)
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/arxiv-digest.db", "data/arxiv-digest.db"),
        ("sqlite:////var/lib/arxiv-digest.db", "/var/lib/arxiv-digest.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_path(url: str, path: str) -> None:
    """The path after ``sqlite:///`` is the file; a fourth slash makes it absolute."""
    assert sqlite_path(url) == path


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://host/x.db", "postgres://x"])
def test_sqlite_path_rejects(url: str) -> None:
    """URLs without a file path are refused with a hint."""
    with pytest.raises(BadInput, match=r"sqlite:///"):
        sqlite_path(url)


async def test_sqlite_relative_path_creates_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative SQLite path is resolved from the working directory, parents created."""
    monkeypatch.chdir(tmp_path)
    store = await open_store("sqlite:///nested/dir/store.db", "p:")
    try:
        assert isinstance(store, SQLiteStore)
        await store.put_chat(settings(TG))
    finally:
        await store.close()
    assert (tmp_path / "nested" / "dir" / "store.db").is_file()
    reopened = await open_store(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'store.db'}", "p:")
    try:
        assert await reopened.get_chat(TG) == settings(TG)
    finally:
        await reopened.close()


async def test_open_store_picks_backend(tmp_path: Path, redis_url: str) -> None:
    """``open_store`` returns the backend its URL names and refuses others."""
    sqlite_store = await open_store(f"sqlite:///{tmp_path / 's.db'}", "p:")
    redis_store = await open_store(redis_url, "p:")
    try:
        assert isinstance(sqlite_store, SQLiteStore)
        assert isinstance(redis_store, RedisStore)
    finally:
        await sqlite_store.close()
        await redis_store.close()
    with pytest.raises(BadInput):
        await open_store("mysql://x", "p:")


async def test_redis_store_unavailable_when_its_server_is_gone(redis_url: str) -> None:
    """A Redis store whose server refuses connections raises an error it classifies as unavailable."""
    port = free_port()
    store = await RedisStore.connect(redis_url, "p:")
    other = RedisStore(
        redis.Redis.from_url(f"redis://127.0.0.1:{port}/0"), f"redis://127.0.0.1:{port}/0", "p:"
    )
    try:
        with pytest.raises(Exception) as caught:
            await other.get_chat(TG)
        assert as_unavailable(caught.value) is not None
    finally:
        await other.close()
        await store.close()
