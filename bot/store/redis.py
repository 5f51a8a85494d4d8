"""Redis store: shared by every replica of a deployment.

Layout (every key starts with ``prefix``)::

    chat:{platform}:{chat_id}     string   settings as JSON (without the chat's identity)
    chats                         zset     every chat ("platform:chat_id"), all scored 0, paged by lex
    due                           zset     chat → Unix time of its next push
    ledger:{platform}:{chat_id}   zset     paper id → time received; trimmed and expiring after LEDGER_TTL
    feedback:{platform}:{chat_id} hash     paper id → the chat's 👍/👎 as JSON
    feedback-at:{platform}:{chat_id} zset  paper id → time of the vote; the newest FEEDBACK_LIMIT kept
    cache:{namespace}:{key}       string   cached value, with its own expiry
    claim:{name}                  string   "{until} {owner}" of a lease (``bot.lease``), expiring
    slot:{name}                   string   time of the last reserved request slot

Read-modify-write operations are Lua scripts, so they are atomic across replicas; leases and the
request slot use the Redis server's clock unless a time is given, so every process shares one clock.
A lease's end is kept in its value, so a given time (a test's clock) decides it exactly; the key's
own expiry only cleans up.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator, Iterable
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as redis
import redis.exceptions as redis_errors
import structlog

from bot.errors import BadSetting, DigestError, StoreUnavailable
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

SOCKET_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
HEALTH_CHECK_INTERVAL = 30
MAX_CONNECTIONS = 64
"""Connections per process; further concurrent calls wait for a free one instead of failing."""

_LEASE_PARTS = """
local function now_or_server(given)
    local now = tonumber(given)
    if now == nil then
        local t = redis.call('TIME')
        now = tonumber(t[1]) + tonumber(t[2]) / 1000000
    end
    return now
end

local function holder_of(key, now)
    local value = redis.call('GET', key)
    if not value then
        return nil, nil
    end
    local space = string.find(value, ' ', 1, true)
    if space then
        local expires = tonumber(string.sub(value, 1, space - 1))
        if expires ~= nil then
            return string.sub(value, space + 1), expires
        end
    end
    return value, now + redis.call('PTTL', key) / 1000
end
"""

_CLAIM = (
    _LEASE_PARTS
    + """
local now = now_or_server(ARGV[3])
local ttl = tonumber(ARGV[2])
local holder, expires = holder_of(KEYS[1], now)
if holder and holder ~= ARGV[1] and expires > now then
    return 0
end
local keep = math.max(1, math.ceil(ttl * 1000))
redis.call('SET', KEYS[1], string.format('%.6f', now + ttl) .. ' ' .. ARGV[1], 'PX', keep)
return 1
"""
)

_RELEASE = (
    _LEASE_PARTS
    + """
local now = now_or_server(ARGV[2])
local holder, expires = holder_of(KEYS[1], now)
if holder ~= ARGV[1] then
    return 0
end
redis.call('DEL', KEYS[1])
if expires > now then
    return 1
end
return 0
"""
)

_HOLDER = (
    _LEASE_PARTS
    + """
local now = now_or_server(ARGV[1])
local holder, expires = holder_of(KEYS[1], now)
if holder and expires > now then
    return {holder, string.format('%.6f', expires)}
end
return false
"""
)

_RESERVE_SLOT = """
local interval = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
if now == nil then
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local slot = now
local last = tonumber(redis.call('GET', KEYS[1]))
if last ~= nil and last + interval > now then
    slot = last + interval
end
local keep = math.max(1000, math.ceil((slot - now + interval) * 1000) + 1000)
redis.call('SET', KEYS[1], string.format('%.6f', slot), 'PX', keep)
return string.format('%.6f', slot - now)
"""

_MIGRATE = """
local body = redis.call('GET', KEYS[1])
if body then
    redis.call('SET', KEYS[2], body)
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[3], ARGV[1])
    redis.call('ZADD', KEYS[3], 0, ARGV[2])
end
local at = redis.call('ZSCORE', KEYS[4], ARGV[1])
if at then
    redis.call('ZADD', KEYS[4], at, ARGV[2])
    redis.call('ZREM', KEYS[4], ARGV[1])
end
if redis.call('EXISTS', KEYS[5]) == 1 then
    redis.call('ZUNIONSTORE', KEYS[6], 2, KEYS[6], KEYS[5], 'AGGREGATE', 'MAX')
    redis.call('DEL', KEYS[5])
    redis.call('PEXPIRE', KEYS[6], ARGV[3])
end
if body then
    return 1
end
return 0
"""

_SET_FEEDBACK = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
    local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
    redis.call('ZREM', KEYS[2], unpack(old))
    redis.call('HDEL', KEYS[1], unpack(old))
end
return 1
"""

_MIGRATE_FEEDBACK = """
local old = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #old, 2 do
    local paper, at = old[i], tonumber(old[i + 1])
    local mine = tonumber(redis.call('ZSCORE', KEYS[4], paper))
    if mine == nil or at > mine then
        redis.call('HSET', KEYS[3], paper, redis.call('HGET', KEYS[1], paper))
        redis.call('ZADD', KEYS[4], at, paper)
    end
end
redis.call('DEL', KEYS[1], KEYS[2])
local excess = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[1])
if excess > 0 then
    local dropped = redis.call('ZRANGE', KEYS[4], 0, excess - 1)
    redis.call('ZREM', KEYS[4], unpack(dropped))
    redis.call('HDEL', KEYS[3], unpack(dropped))
end
return #old / 2
"""


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "the Redis URL in STORE_URL"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


_UNAVAILABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
)
"""Failures that mean the server cannot take commands now (down, unreachable, loading, read-only,
out of memory); wrong credentials are a setting's fault and are not among them."""


def unavailable(error: BaseException) -> StoreUnavailable | None:
    """``error`` as a ``StoreUnavailable`` when it means Redis cannot take commands now; None when
    it is another failure (wrong credentials, a bug)."""
    if isinstance(error, redis_errors.AuthenticationError | redis_errors.AuthorizationError):
        return None
    misconf = isinstance(error, redis_errors.ResponseError) and str(error).startswith("MISCONF")
    if isinstance(error, _UNAVAILABLE) or misconf:
        return StoreUnavailable(f"Redis cannot be reached: {_cause(error)}")
    return None


def connect_failure(error: BaseException, url: str) -> DigestError | None:
    """Why connecting to ``url`` failed, said in one line with any password masked: credentials
    refused, or any other refusal of the connection's set-up (a database number the server does not
    have, a server too old for the protocol) → ``BadSetting`` (STORE_URL), unreachable →
    ``StoreUnavailable``; None otherwise."""
    shown = redact_url(url)
    if isinstance(error, redis_errors.AuthenticationError | redis_errors.AuthorizationError):
        return BadSetting(
            "STORE_URL", f"Redis at {shown} refused the credentials in STORE_URL: {_cause(error)}"
        )
    if isinstance(error, redis_errors.ResponseError) and "NOAUTH" in str(error):
        return BadSetting("STORE_URL", f"Redis at {shown} asks for a password: put it in STORE_URL")
    if unavailable(error) is not None or isinstance(error, OSError):
        return StoreUnavailable(f"the store at {shown} cannot be reached: {_cause(error)}")
    if isinstance(error, redis_errors.ResponseError):
        return BadSetting(
            "STORE_URL", f"Redis at {shown} refused the connection STORE_URL asks for: {_cause(error)}"
        )
    return None


def _cause(error: BaseException) -> str:
    """A failure in a few words: the error's own message, or its type when it has none."""
    text = str(error).strip()
    return text or type(error).__name__


def _text(value: object) -> str:
    """A reply element as text (the client decodes replies, but its annotations allow bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _when(now: float | None) -> str:
    """A script argument for an optional time: empty means the server's clock."""
    return "" if now is None else repr(float(now))


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisStore(Store):
    """The store in Redis (``redis://``, ``rediss://`` or ``unix://``)."""

    def __init__(self, client: redis.Redis, url: str, prefix: str) -> None:
        self._client = client
        self._shown_url = redact_url(url)
        self.prefix = prefix
        self._chats = f"{prefix}chats"
        self._due = f"{prefix}due"
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._holder = client.register_script(_HOLDER)
        self._reserve = client.register_script(_RESERVE_SLOT)
        self._migrate = client.register_script(_MIGRATE)
        self._set_feedback = client.register_script(_SET_FEEDBACK)
        self._migrate_feedback = client.register_script(_MIGRATE_FEEDBACK)

    def __repr__(self) -> str:
        return f"RedisStore(url={self._shown_url!r}, prefix={self.prefix!r})"

    @classmethod
    async def connect(cls, url: str, prefix: str) -> RedisStore:
        """Connect to the server named by ``url`` and check that it answers."""
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=SOCKET_TIMEOUT,
            protocol=3,
            decode_responses=True,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=CONNECT_TIMEOUT,
            health_check_interval=HEALTH_CHECK_INTERVAL,
        )
        client = redis.Redis.from_pool(pool)
        try:
            await client.ping()
        except BaseException as error:
            await client.aclose()
            failure = connect_failure(error, url)
            if failure is None:
                raise
            raise failure from None
        store = cls(client, url, prefix)
        log.info("store_connected", backend="redis", url=store._shown_url, prefix=prefix)
        return store

    # -- keys ------------------------------------------------------------------------------------------
    def _chat_key(self, chat: ChatKey) -> str:
        return f"{self.prefix}chat:{chat}"

    def _ledger_key(self, chat: ChatKey) -> str:
        return f"{self.prefix}ledger:{chat}"

    def _feedback_keys(self, chat: ChatKey) -> list[str]:
        return [f"{self.prefix}feedback:{chat}", f"{self.prefix}feedback-at:{chat}"]

    def _cache_key(self, namespace: str, key: str) -> str:
        return f"{self.prefix}cache:{namespace}:{key}"

    # -- subscriptions -------------------------------------------------------------------------------
    async def get_chat(self, chat: ChatKey) -> ChatSettings | None:
        text = await self._client.get(self._chat_key(chat))
        return None if text is None else decode_settings(chat, _text(text))

    async def put_chat(self, settings: ChatSettings) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(self._chat_key(settings.chat), encode_settings(settings))
            pipe.zadd(self._chats, {str(settings.chat): 0})
            await pipe.execute()

    async def delete_chat(self, chat: ChatKey) -> bool:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(self._chat_key(chat))
            pipe.zrem(self._chats, str(chat))
            pipe.zrem(self._due, str(chat))
            deleted, _, _ = await pipe.execute()
        return bool(deleted)

    async def iter_chats(self, batch_size: int = 500) -> AsyncIterator[ChatSettings]:
        low = "-"
        while True:
            replies = await self._client.zrangebylex(self._chats, low, "+", start=0, num=batch_size)
            members = [_text(member) for member in replies]
            if not members:
                return
            chats = [ChatKey.parse(member) for member in members]
            texts = await self._client.mget([self._chat_key(chat) for chat in chats])
            for chat, text in zip(chats, texts, strict=True):
                found = readable_settings(chat, _text(text)) if text is not None else None
                if found is not None:
                    yield found
            if len(members) < batch_size:
                return
            low = f"({members[-1]}"

    async def count_chats(self) -> int:
        return int(await self._client.zcard(self._chats))

    async def migrate_chat(self, old: ChatKey, new: ChatKey) -> bool:
        if old == new:
            return bool(await self._client.exists(self._chat_key(old)))
        moved = await self._migrate(
            keys=[
                self._chat_key(old),
                self._chat_key(new),
                self._chats,
                self._due,
                self._ledger_key(old),
                self._ledger_key(new),
            ],
            args=[str(old), str(new), _millis(LEDGER_TTL)],
        )
        await self._migrate_feedback(
            keys=[*self._feedback_keys(old), *self._feedback_keys(new)], args=[FEEDBACK_LIMIT]
        )
        return bool(moved)

    # -- due-time index ------------------------------------------------------------------------------
    async def set_due(self, chat: ChatKey, at: float | None) -> None:
        if at is None:
            await self._client.zrem(self._due, str(chat))
        else:
            await self._client.zadd(self._due, {str(chat): float(at)})

    async def get_due(self, chat: ChatKey) -> float | None:
        score = await self._client.zscore(self._due, str(chat))
        return None if score is None else float(score)

    async def due_chats(self, until: float, limit: int = 1000) -> list[tuple[ChatKey, float]]:
        rows = await self._client.zrangebyscore(
            self._due, "-inf", float(until), start=0, num=limit, withscores=True
        )
        return [(ChatKey.parse(_text(row[0])), float(row[1])) for row in rows]

    async def next_due(self, after: float) -> float | None:
        rows = await self._client.zrangebyscore(
            self._due, f"({float(after)!r}", "+inf", start=0, num=1, withscores=True
        )
        return float(rows[0][1]) if rows else None

    # -- ledger of received papers -------------------------------------------------------------------
    async def mark_received(self, chat: ChatKey, paper_ids: Iterable[str], now: float | None = None) -> None:
        at = time.time() if now is None else now
        scores = dict.fromkeys(paper_ids, at)
        if not scores:
            return
        key = self._ledger_key(chat)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(key, scores)
            pipe.zremrangebyscore(key, "-inf", f"({at - LEDGER_TTL!r}")
            pipe.pexpire(key, _millis(LEDGER_TTL))
            await pipe.execute()

    async def filter_received(self, chat: ChatKey, paper_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(paper_ids))
        if not ids:
            return set()
        scores = await self._client.zmscore(self._ledger_key(chat), ids)
        return {paper_id for paper_id, score in zip(ids, scores, strict=True) if score is not None}

    # -- 👍/👎 feedback ----------------------------------------------------------------------------------
    async def set_feedback(self, chat: ChatKey, feedback: Feedback) -> None:
        body = json.dumps(feedback.to_dict(), ensure_ascii=False)
        await self._set_feedback(
            keys=self._feedback_keys(chat),
            args=[feedback.paper_id, body, repr(float(feedback.at)), FEEDBACK_LIMIT],
        )

    async def get_feedback(self, chat: ChatKey) -> list[Feedback]:
        hash_key, times_key = self._feedback_keys(chat)
        order = [_text(member) for member in await self._client.zrevrange(times_key, 0, -1)]
        if not order:
            return []
        bodies = await self._client.hmget(hash_key, order)
        return [Feedback.from_dict(json.loads(_text(body))) for body in bodies if body is not None]

    async def clear_feedback(self, chat: ChatKey, paper_id: str | None = None) -> int:
        hash_key, times_key = self._feedback_keys(chat)
        if paper_id is None:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hlen(hash_key)
                pipe.delete(hash_key, times_key)
                count, _ = await pipe.execute()
            return int(count)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hdel(hash_key, paper_id)
            pipe.zrem(times_key, paper_id)
            removed, _ = await pipe.execute()
        return int(removed)

    # -- caches --------------------------------------------------------------------------------------
    async def cache_get(self, namespace: str, key: str) -> str | None:
        value = await self._client.get(self._cache_key(namespace, key))
        return None if value is None else _text(value)

    async def cache_set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        if ttl is not None and ttl <= 0:
            await self.cache_delete(namespace, key)
        elif ttl is None:
            await self._client.set(self._cache_key(namespace, key), value)
        else:
            await self._client.set(self._cache_key(namespace, key), value, px=_millis(ttl))

    async def cache_delete(self, namespace: str, key: str) -> None:
        await self._client.delete(self._cache_key(namespace, key))

    # -- claims --------------------------------------------------------------------------------------
    async def claim(self, name: str, owner: str, ttl: float, now: float | None = None) -> bool:
        taken = await self._claim(
            keys=[f"{self.prefix}claim:{name}"], args=[owner, repr(float(ttl)), _when(now)]
        )
        return bool(taken)

    async def release(self, name: str, owner: str, now: float | None = None) -> bool:
        released = await self._release(keys=[f"{self.prefix}claim:{name}"], args=[owner, _when(now)])
        return bool(released)

    async def holder(self, name: str, now: float | None = None) -> tuple[str, float] | None:
        found = await self._holder(keys=[f"{self.prefix}claim:{name}"], args=[_when(now)])
        if not found:
            return None
        owner, until = found
        return _text(owner), float(_text(until))

    # -- shared request slots ------------------------------------------------------------------------
    async def reserve_slot(self, name: str, interval: float, now: float | None = None) -> float:
        wait = await self._reserve(
            keys=[f"{self.prefix}slot:{name}"],
            args=[repr(float(interval)), _when(now)],
        )
        return max(0.0, float(wait))

    # -- lifecycle -----------------------------------------------------------------------------------
    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except Exception as exc:
            log.warning("store_ping_failed", backend="redis", error=type(exc).__name__)
            return False

    async def close(self) -> None:
        await self._client.aclose()
