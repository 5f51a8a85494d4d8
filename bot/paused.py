"""Chats whose delivery is paused because the bot may not post there (``bot.errors.NoRights``).

A paused chat keeps its subscriptions and settings; only its next push moves: it is retried after
``pause_backoff(attempts)`` (10 minutes, doubling, at most 2 hours), and the first delivery that
goes through ends the pause. ``/status`` shows the pause, and the platform may end it early when it
tells the bot its right is back (Telegram's ``my_chat_member``).

The state lives in the store's cache (``PAUSE_NAMESPACE``, one JSON value per chat) so every
replica and ``/status`` see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import ChatKey
from bot.store.base import Store

PAUSE_NAMESPACE = "paused"
FIRST_RETRY = timedelta(minutes=10)
MAX_RETRY = timedelta(hours=2)
PAUSE_TTL = 90 * 24 * 3600.0
"""A pause not retried for this long is forgotten (seconds); every retry refreshes it."""
REASON_LIMIT = 200


def pause_backoff(attempts: int, first: timedelta = FIRST_RETRY, cap: timedelta = MAX_RETRY) -> timedelta:
    """The wait before the next try after ``attempts`` refused sends in a row (1 → ``first``,
    doubling each time, never more than ``cap``)."""
    if attempts < 1:
        raise ValueError("attempts counts refused sends, from 1")
    wait: timedelta = first * (2 ** min(attempts - 1, 30))
    return min(wait, cap)


@dataclass(frozen=True, slots=True)
class Pause:
    """Why and since when a chat's delivery is paused, and how many sends were refused."""

    since: float
    """Unix seconds of the first refused send."""
    attempts: int
    reason: str
    retry_at: float
    """Unix seconds of the next try."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "since": self.since,
                "attempts": self.attempts,
                "reason": self.reason,
                "retry_at": self.retry_at,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Pause:
        data = json.loads(text)
        return cls(float(data["since"]), int(data["attempts"]), str(data["reason"]), float(data["retry_at"]))


def next_pause(previous: Pause | None, reason: str, now: datetime) -> Pause:
    """The pause after one more refused send at ``now``."""
    attempts = (previous.attempts if previous else 0) + 1
    since = previous.since if previous else now.timestamp()
    retry_at = (now + pause_backoff(attempts)).timestamp()
    return Pause(since, attempts, reason[:REASON_LIMIT], retry_at)


async def paused(store: Store, chat: ChatKey) -> Pause | None:
    """The chat's pause, if its delivery is paused."""
    raw = await store.cache_get(PAUSE_NAMESPACE, str(chat))
    return Pause.from_json(raw) if raw else None


async def pause(store: Store, chat: ChatKey, reason: str, now: datetime) -> Pause:
    """Record one more refused send for ``chat``; the pause as it now stands."""
    updated = next_pause(await paused(store, chat), reason, now)
    await store.cache_set(PAUSE_NAMESPACE, str(chat), updated.to_json(), ttl=PAUSE_TTL)
    return updated


async def resume(store: Store, chat: ChatKey) -> Pause | None:
    """End the chat's pause; the pause it was in, if any."""
    was = await paused(store, chat)
    if was is not None:
        await store.cache_delete(PAUSE_NAMESPACE, str(chat))
    return was
