"""Embedded store: one SQLite file, shared safely by several processes.

The file is opened in WAL mode with a busy timeout, and every read-modify-write (claims, request
slots, chat migration) runs inside ``BEGIN IMMEDIATE`` so concurrent processes serialise on the
file's write lock. Every row carries the store's ``prefix``, so several deployments or test runs can
share one file without seeing each other.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from bot.errors import BadInput, StoreUnavailable
from bot.models import ChatKey, ChatSettings, Feedback
from bot.store.base import (
    FEEDBACK_LIMIT,
    LEDGER_TTL,
    Store,
    decode_settings,
    encode_settings,
    readable_settings,
)

log = structlog.get_logger(__name__)

BUSY_TIMEOUT = 30.0
"""Seconds a statement waits for another process's write lock before failing."""

_IN_CHUNK = 500
"""Ids per ``IN (...)`` query; well under SQLite's bound-parameter limit."""

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS chats (
        prefix TEXT NOT NULL, platform TEXT NOT NULL, chat_id TEXT NOT NULL, settings TEXT NOT NULL,
        PRIMARY KEY (prefix, platform, chat_id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS due (
        prefix TEXT NOT NULL, platform TEXT NOT NULL, chat_id TEXT NOT NULL, at REAL NOT NULL,
        PRIMARY KEY (prefix, platform, chat_id)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS due_by_time ON due (prefix, at, platform, chat_id)",
    """CREATE TABLE IF NOT EXISTS ledger (
        prefix TEXT NOT NULL, platform TEXT NOT NULL, chat_id TEXT NOT NULL, paper_id TEXT NOT NULL,
        received_at REAL NOT NULL,
        PRIMARY KEY (prefix, platform, chat_id, paper_id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS feedback (
        prefix TEXT NOT NULL, platform TEXT NOT NULL, chat_id TEXT NOT NULL, paper_id TEXT NOT NULL,
        at REAL NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (prefix, platform, chat_id, paper_id)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS cache (
        prefix TEXT NOT NULL, namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        expires_at REAL,
        PRIMARY KEY (prefix, namespace, key)) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS cache_by_expiry ON cache (prefix, expires_at) WHERE expires_at IS NOT NULL",
    """CREATE TABLE IF NOT EXISTS claims (
        prefix TEXT NOT NULL, name TEXT NOT NULL, owner TEXT NOT NULL, expires_at REAL NOT NULL,
        PRIMARY KEY (prefix, name)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS slots (
        prefix TEXT NOT NULL, name TEXT NOT NULL, last REAL NOT NULL,
        PRIMARY KEY (prefix, name)) WITHOUT ROWID""",
)


def sqlite_path(url: str) -> str:
    """``sqlite:///data/x.db`` → ``data/x.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``;
    ``sqlite:///:memory:`` → ``:memory:``."""
    scheme = "sqlite:///"
    if not url.startswith(scheme) or len(url) == len(scheme):
        raise BadInput(
            "A SQLite STORE_URL is sqlite:/// followed by a file path "
            "(e.g. sqlite:///data/arxiv-digest.db, or sqlite:////var/lib/arxiv-digest.db for an absolute path)"
        )
    return url[len(scheme) :].split("?", 1)[0]


def is_busy(error: Exception) -> bool:
    """SQLite's "database is locked" / "database is busy": another process holds the lock."""
    return isinstance(error, sqlite3.OperationalError) and any(
        word in str(error).lower() for word in ("locked", "busy")
    )


def unavailable(error: BaseException) -> StoreUnavailable | None:
    """``error`` as a ``StoreUnavailable`` when it means the file cannot be used now (locked past
    the busy timeout, unwritable, unreadable, disk full); None otherwise."""
    if isinstance(error, sqlite3.OperationalError):
        return StoreUnavailable(f"the SQLite store cannot be used: {error}")
    return None


async def _open_when_free(path: str, patience: float = BUSY_TIMEOUT) -> aiosqlite.Connection:
    """``_open``, tried again with jittered backoff while another process holds the file's lock,
    for up to ``patience`` seconds. The race is a normal start-up event, so it is not logged."""
    deadline = time.monotonic() + patience
    wait = 0.01
    while True:
        try:
            return await _open(path)
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() + wait > deadline:
                raise
        await asyncio.sleep(wait * random.uniform(0.5, 1.5))
        wait = min(wait * 2, 0.5)


def _prepare(path: str) -> None:
    """Create the file's directory, and open and close the file once, so a path that cannot be a
    store fails here, in one line, rather than in aiosqlite's worker thread after the event loop
    is gone."""
    if Path(path).is_dir():
        raise StoreUnavailable(
            f"cannot open the SQLite store {path} (STORE_URL): it is a directory; STORE_URL names the "
            "file, e.g. sqlite:///data/arxiv-digest.db"
        )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path, timeout=BUSY_TIMEOUT).close()


async def _open(path: str) -> aiosqlite.Connection:
    """One connection in WAL mode with the tables created; closed again if any step fails."""
    db = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    try:
        await db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        rows = await db.execute_fetchall("PRAGMA journal_mode")
        if path != ":memory:" and [tuple(row) for row in rows] != [("wal",)]:
            await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                await db.execute(statement)
        except BaseException:
            await db.rollback()
            raise
        await db.commit()
    except BaseException:
        await db.close()
        raise
    return db


def next_slot(last: float | None, now: float, interval: float) -> float:
    """When the next request slot starts: ``interval`` after the previous one, never before ``now``."""
    return now if last is None else max(now, last + interval)


class SQLiteStore(Store):
    """The store in one SQLite file (``sqlite:///path``)."""

    def __init__(self, db: aiosqlite.Connection, path: str, prefix: str) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.path = path
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"SQLiteStore(path={self.path!r}, prefix={self.prefix!r})"

    @classmethod
    async def connect(cls, url: str, prefix: str) -> SQLiteStore:
        """Open (creating if needed) the file named by ``url`` and its tables.

        Any number of processes may open one file at once, a new one included: switching a new
        file to WAL takes the file's exclusive lock, and SQLite answers "database is locked" at
        once (without waiting out the busy timeout) to a process that asks while another one does
        the same, so the opening is tried again with backoff for up to ``BUSY_TIMEOUT`` seconds.
        Raises ``StoreUnavailable`` when the file cannot be opened or stays locked.
        """
        path = sqlite_path(url)
        try:
            if path != ":memory:":
                await asyncio.to_thread(_prepare, path)
            db = await _open_when_free(path)
        except (sqlite3.Error, OSError) as error:
            raise StoreUnavailable(f"cannot open the SQLite store {path} (STORE_URL): {error}") from None
        log.info("store_connected", backend="sqlite", path=path, prefix=prefix)
        return cls(db, path, prefix)

    # -- plumbing --------------------------------------------------------------------------------------
    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction holding the file's write lock from its first statement."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()

    async def _fetchall(self, sql: str, params: Iterable[Any]) -> list[Any]:
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, tuple(params)))

    async def _execute(self, sql: str, params: Iterable[Any]) -> int:
        async with self._lock:
            cursor = await self._db.execute(sql, tuple(params))
            count = cursor.rowcount
            await cursor.close()
            return count

    # -- subscriptions -------------------------------------------------------------------------------
    async def get_chat(self, chat: ChatKey) -> ChatSettings | None:
        rows = await self._fetchall(
            "SELECT settings FROM chats WHERE prefix = ? AND platform = ? AND chat_id = ?",
            (self.prefix, chat.platform, chat.chat_id),
        )
        return decode_settings(chat, rows[0][0]) if rows else None

    async def put_chat(self, settings: ChatSettings) -> None:
        chat = settings.chat
        await self._execute(
            "INSERT INTO chats (prefix, platform, chat_id, settings) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (prefix, platform, chat_id) DO UPDATE SET settings = excluded.settings",
            (self.prefix, chat.platform, chat.chat_id, encode_settings(settings)),
        )

    async def delete_chat(self, chat: ChatKey) -> bool:
        key = (self.prefix, chat.platform, chat.chat_id)
        async with self._immediate() as db:
            cursor = await db.execute(
                "DELETE FROM chats WHERE prefix = ? AND platform = ? AND chat_id = ?", key
            )
            existed = cursor.rowcount > 0
            await db.execute("DELETE FROM due WHERE prefix = ? AND platform = ? AND chat_id = ?", key)
        return existed

    async def iter_chats(self, batch_size: int = 500) -> AsyncIterator[ChatSettings]:
        after: tuple[str, str] | None = None
        while True:
            if after is None:
                rows = await self._fetchall(
                    "SELECT platform, chat_id, settings FROM chats WHERE prefix = ? "
                    "ORDER BY platform, chat_id LIMIT ?",
                    (self.prefix, batch_size),
                )
            else:
                rows = await self._fetchall(
                    "SELECT platform, chat_id, settings FROM chats WHERE prefix = ? "
                    "AND (platform, chat_id) > (?, ?) ORDER BY platform, chat_id LIMIT ?",
                    (self.prefix, *after, batch_size),
                )
            for platform, chat_id, text in rows:
                found = readable_settings(ChatKey(platform, chat_id), text)
                if found is not None:
                    yield found
            if len(rows) < batch_size:
                return
            after = (rows[-1][0], rows[-1][1])

    async def count_chats(self) -> int:
        rows = await self._fetchall("SELECT COUNT(*) FROM chats WHERE prefix = ?", (self.prefix,))
        return int(rows[0][0])

    async def migrate_chat(self, old: ChatKey, new: ChatKey) -> bool:
        old_key = (self.prefix, old.platform, old.chat_id)
        if old == new:
            return await self.get_chat(old) is not None
        async with self._immediate() as db:
            rows = list(
                await db.execute_fetchall(
                    "SELECT settings FROM chats WHERE prefix = ? AND platform = ? AND chat_id = ?", old_key
                )
            )
            if rows:
                moved = replace(decode_settings(old, rows[0][0]), chat=new)
                await db.execute(
                    "INSERT INTO chats (prefix, platform, chat_id, settings) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (prefix, platform, chat_id) DO UPDATE SET settings = excluded.settings",
                    (self.prefix, new.platform, new.chat_id, encode_settings(moved)),
                )
                await db.execute(
                    "DELETE FROM chats WHERE prefix = ? AND platform = ? AND chat_id = ?", old_key
                )
            await db.execute(
                "INSERT INTO due (prefix, platform, chat_id, at) "
                "SELECT prefix, ?, ?, at FROM due WHERE prefix = ? AND platform = ? AND chat_id = ? "
                "ON CONFLICT (prefix, platform, chat_id) DO UPDATE SET at = excluded.at",
                (new.platform, new.chat_id, *old_key),
            )
            await db.execute("DELETE FROM due WHERE prefix = ? AND platform = ? AND chat_id = ?", old_key)
            await db.execute(
                "INSERT INTO ledger (prefix, platform, chat_id, paper_id, received_at) "
                "SELECT prefix, ?, ?, paper_id, received_at FROM ledger "
                "WHERE prefix = ? AND platform = ? AND chat_id = ? "
                "ON CONFLICT (prefix, platform, chat_id, paper_id) "
                "DO UPDATE SET received_at = max(received_at, excluded.received_at)",
                (new.platform, new.chat_id, *old_key),
            )
            await db.execute("DELETE FROM ledger WHERE prefix = ? AND platform = ? AND chat_id = ?", old_key)
            await db.execute(
                "INSERT INTO feedback (prefix, platform, chat_id, paper_id, at, body) "
                "SELECT prefix, ?, ?, paper_id, at, body FROM feedback "
                "WHERE prefix = ? AND platform = ? AND chat_id = ? "
                "ON CONFLICT (prefix, platform, chat_id, paper_id) DO UPDATE "
                "SET at = excluded.at, body = excluded.body WHERE excluded.at > feedback.at",
                (new.platform, new.chat_id, *old_key),
            )
            await db.execute(
                "DELETE FROM feedback WHERE prefix = ? AND platform = ? AND chat_id = ?", old_key
            )
            await self._trim_feedback(db, new)
        return bool(rows)

    # -- due-time index ------------------------------------------------------------------------------
    async def set_due(self, chat: ChatKey, at: float | None) -> None:
        key = (self.prefix, chat.platform, chat.chat_id)
        if at is None:
            await self._execute("DELETE FROM due WHERE prefix = ? AND platform = ? AND chat_id = ?", key)
            return
        await self._execute(
            "INSERT INTO due (prefix, platform, chat_id, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (prefix, platform, chat_id) DO UPDATE SET at = excluded.at",
            (*key, float(at)),
        )

    async def get_due(self, chat: ChatKey) -> float | None:
        rows = await self._fetchall(
            "SELECT at FROM due WHERE prefix = ? AND platform = ? AND chat_id = ?",
            (self.prefix, chat.platform, chat.chat_id),
        )
        return float(rows[0][0]) if rows else None

    async def due_chats(self, until: float, limit: int = 1000) -> list[tuple[ChatKey, float]]:
        rows = await self._fetchall(
            "SELECT platform, chat_id, at FROM due WHERE prefix = ? AND at <= ? "
            "ORDER BY at, platform, chat_id LIMIT ?",
            (self.prefix, float(until), limit),
        )
        return [(ChatKey(platform, chat_id), float(at)) for platform, chat_id, at in rows]

    async def next_due(self, after: float) -> float | None:
        rows = await self._fetchall(
            "SELECT MIN(at) FROM due WHERE prefix = ? AND at > ?", (self.prefix, float(after))
        )
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    # -- ledger of received papers -------------------------------------------------------------------
    async def mark_received(self, chat: ChatKey, paper_ids: Iterable[str], now: float | None = None) -> None:
        ids = list(dict.fromkeys(paper_ids))
        if not ids:
            return
        at = time.time() if now is None else now
        key = (self.prefix, chat.platform, chat.chat_id)
        async with self._immediate() as db:
            await db.executemany(
                "INSERT INTO ledger (prefix, platform, chat_id, paper_id, received_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (prefix, platform, chat_id, paper_id) DO UPDATE SET received_at = excluded.received_at",
                [(*key, paper_id, at) for paper_id in ids],
            )
            await db.execute(
                "DELETE FROM ledger WHERE prefix = ? AND platform = ? AND chat_id = ? AND received_at < ?",
                (*key, at - LEDGER_TTL),
            )

    async def filter_received(self, chat: ChatKey, paper_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(paper_ids))
        found: set[str] = set()
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start : start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = await self._fetchall(
                "SELECT paper_id FROM ledger WHERE prefix = ? AND platform = ? AND chat_id = ? "
                f"AND paper_id IN ({marks})",
                (self.prefix, chat.platform, chat.chat_id, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    # -- 👍/👎 feedback ----------------------------------------------------------------------------------
    async def set_feedback(self, chat: ChatKey, feedback: Feedback) -> None:
        async with self._immediate() as db:
            await db.execute(
                "INSERT INTO feedback (prefix, platform, chat_id, paper_id, at, body) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (prefix, platform, chat_id, paper_id) DO UPDATE "
                "SET at = excluded.at, body = excluded.body",
                (
                    self.prefix,
                    chat.platform,
                    chat.chat_id,
                    feedback.paper_id,
                    feedback.at,
                    json.dumps(feedback.to_dict(), ensure_ascii=False),
                ),
            )
            await self._trim_feedback(db, chat)

    async def _trim_feedback(self, db: aiosqlite.Connection, chat: ChatKey) -> None:
        await db.execute(
            "DELETE FROM feedback WHERE prefix = ? AND platform = ? AND chat_id = ? AND paper_id NOT IN ("
            "SELECT paper_id FROM feedback WHERE prefix = ? AND platform = ? AND chat_id = ? "
            "ORDER BY at DESC, paper_id DESC LIMIT ?)",
            (self.prefix, chat.platform, chat.chat_id) * 2 + (FEEDBACK_LIMIT,),
        )

    async def get_feedback(self, chat: ChatKey) -> list[Feedback]:
        rows = await self._fetchall(
            "SELECT body FROM feedback WHERE prefix = ? AND platform = ? AND chat_id = ? "
            "ORDER BY at DESC, paper_id DESC",
            (self.prefix, chat.platform, chat.chat_id),
        )
        return [Feedback.from_dict(json.loads(row[0])) for row in rows]

    async def clear_feedback(self, chat: ChatKey, paper_id: str | None = None) -> int:
        if paper_id is None:
            return await self._execute(
                "DELETE FROM feedback WHERE prefix = ? AND platform = ? AND chat_id = ?",
                (self.prefix, chat.platform, chat.chat_id),
            )
        return await self._execute(
            "DELETE FROM feedback WHERE prefix = ? AND platform = ? AND chat_id = ? AND paper_id = ?",
            (self.prefix, chat.platform, chat.chat_id, paper_id),
        )

    # -- caches --------------------------------------------------------------------------------------
    async def cache_get(self, namespace: str, key: str) -> str | None:
        rows = await self._fetchall(
            "SELECT value, expires_at FROM cache WHERE prefix = ? AND namespace = ? AND key = ?",
            (self.prefix, namespace, key),
        )
        if not rows:
            return None
        value, expires_at = rows[0]
        if expires_at is not None and expires_at <= time.time():
            return None
        return str(value)

    async def cache_set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        now = time.time()
        if ttl is not None and ttl <= 0:
            await self.cache_delete(namespace, key)
            return
        expires_at = None if ttl is None else now + ttl
        async with self._immediate() as db:
            await db.execute(
                "INSERT INTO cache (prefix, namespace, key, value, expires_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (prefix, namespace, key) "
                "DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                (self.prefix, namespace, key, value, expires_at),
            )
            await db.execute(
                "DELETE FROM cache WHERE prefix = ? AND expires_at IS NOT NULL AND expires_at <= ?",
                (self.prefix, now),
            )

    async def cache_delete(self, namespace: str, key: str) -> None:
        await self._execute(
            "DELETE FROM cache WHERE prefix = ? AND namespace = ? AND key = ?", (self.prefix, namespace, key)
        )

    # -- claims --------------------------------------------------------------------------------------
    async def claim(self, name: str, owner: str, ttl: float, now: float | None = None) -> bool:
        async with self._immediate() as db:
            now = time.time() if now is None else now
            rows = list(
                await db.execute_fetchall(
                    "SELECT owner, expires_at FROM claims WHERE prefix = ? AND name = ?", (self.prefix, name)
                )
            )
            if rows and rows[0][0] != owner and rows[0][1] > now:
                return False
            await db.execute(
                "INSERT INTO claims (prefix, name, owner, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (prefix, name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
                (self.prefix, name, owner, now + ttl),
            )
            return True

    async def release(self, name: str, owner: str, now: float | None = None) -> bool:
        current = time.time() if now is None else now
        async with self._immediate() as db:
            rows = list(
                await db.execute_fetchall(
                    "SELECT expires_at FROM claims WHERE prefix = ? AND name = ? AND owner = ?",
                    (self.prefix, name, owner),
                )
            )
            if not rows:
                return False
            await db.execute(
                "DELETE FROM claims WHERE prefix = ? AND name = ? AND owner = ?", (self.prefix, name, owner)
            )
        return float(rows[0][0]) > current

    async def holder(self, name: str, now: float | None = None) -> tuple[str, float] | None:
        current = time.time() if now is None else now
        rows = await self._fetchall(
            "SELECT owner, expires_at FROM claims WHERE prefix = ? AND name = ? AND expires_at > ?",
            (self.prefix, name, current),
        )
        return (str(rows[0][0]), float(rows[0][1])) if rows else None

    # -- shared request slots ------------------------------------------------------------------------
    async def reserve_slot(self, name: str, interval: float, now: float | None = None) -> float:
        async with self._immediate() as db:
            current = time.time() if now is None else now
            rows = list(
                await db.execute_fetchall(
                    "SELECT last FROM slots WHERE prefix = ? AND name = ?", (self.prefix, name)
                )
            )
            slot = next_slot(float(rows[0][0]) if rows else None, current, interval)
            await db.execute(
                "INSERT INTO slots (prefix, name, last) VALUES (?, ?, ?) "
                "ON CONFLICT (prefix, name) DO UPDATE SET last = excluded.last",
                (self.prefix, name, slot),
            )
        return max(0.0, slot - current)

    # -- lifecycle -----------------------------------------------------------------------------------
    async def ping(self) -> bool:
        try:
            rows = await self._fetchall("SELECT 1", ())
        except Exception as exc:
            log.warning("store_ping_failed", backend="sqlite", error=type(exc).__name__)
            return False
        return bool(rows and rows[0][0] == 1)

    async def close(self) -> None:
        await self._db.close()
