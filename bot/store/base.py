"""The store: one async interface, two backends (``redis.py``, ``sqlite.py``).

Everything that must survive a restart or be shared between replicas lives here:
subscriptions, the due-time index, the per-chat ledger of received papers, caches (summaries,
digests), atomic claims for single-flight work, and the shared arXiv request slot.
Every key is under ``prefix`` so deployments and test runs never collide.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from typing import Any

import structlog

from bot.models import ChatKey, ChatSettings, Feedback

LEDGER_TTL = 90 * 24 * 3600.0
"""Received paper ids are remembered this long (seconds); older listings are never pushed again."""

FEEDBACK_LIMIT = 500
"""A chat's 👍/👎 kept at most (the newest); older ones are dropped as new ones come."""


def encode_settings(settings: ChatSettings) -> str:
    """A chat's settings as compact JSON, without the chat's identity (the key holds it)."""
    data = settings.to_dict()
    del data["platform"], data["chat_id"]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_settings(chat: ChatKey, text: str) -> ChatSettings:
    """The settings ``encode_settings`` wrote for ``chat`` (an identity in ``text`` is ignored)."""
    data: dict[str, Any] = json.loads(text)
    data["platform"], data["chat_id"] = chat.platform, chat.chat_id
    return ChatSettings.from_dict(data)


def readable_settings(chat: ChatKey, text: str) -> ChatSettings | None:
    """``decode_settings``, or None (and one log line) when the stored row cannot be read (a
    damaged or hand-edited row): a listing of every chat skips it instead of stopping at it."""
    try:
        return decode_settings(chat, text)
    except Exception as error:
        structlog.get_logger(__name__).error(
            "chat_settings_unreadable", chat=str(chat), error=type(error).__name__
        )
        return None


class Store(ABC):
    """Async persistence used by the engine, the commands and the push."""

    prefix: str

    # -- subscriptions -------------------------------------------------------------------------
    @abstractmethod
    async def get_chat(self, chat: ChatKey) -> ChatSettings | None:
        """The chat's settings, or None if it never subscribed or was removed."""

    @abstractmethod
    async def put_chat(self, settings: ChatSettings) -> None:
        """Create or replace the chat's settings."""

    @abstractmethod
    async def delete_chat(self, chat: ChatKey) -> bool:
        """Remove the chat's settings and its due entry; True if it existed. The ledger stays."""

    @abstractmethod
    def iter_chats(self, batch_size: int = 500) -> AsyncIterator[ChatSettings]:
        """Every chat, fetched ``batch_size`` at a time (never all in memory)."""

    @abstractmethod
    async def count_chats(self) -> int:
        """How many chats have settings."""

    @abstractmethod
    async def migrate_chat(self, old: ChatKey, new: ChatKey) -> bool:
        """Move settings, due entry, ledger and feedback from ``old`` to ``new`` (on a paper both voted on,
        the newer vote wins); True if ``old`` had settings."""

    # -- due-time index ------------------------------------------------------------------------
    @abstractmethod
    async def set_due(self, chat: ChatKey, at: float | None) -> None:
        """Record when the chat's next push is due (Unix seconds); None removes it."""

    @abstractmethod
    async def get_due(self, chat: ChatKey) -> float | None:
        """When the chat's next push is due, if recorded."""

    @abstractmethod
    async def due_chats(self, until: float, limit: int = 1000) -> list[tuple[ChatKey, float]]:
        """Up to ``limit`` chats due at or before ``until``, earliest first."""

    # -- ledger of received papers ----------------------------------------------------------------
    @abstractmethod
    async def mark_received(self, chat: ChatKey, paper_ids: Iterable[str], now: float | None = None) -> None:
        """Record that the chat received these papers (ids without version)."""

    @abstractmethod
    async def filter_received(self, chat: ChatKey, paper_ids: Iterable[str]) -> set[str]:
        """The subset of ``paper_ids`` the chat has already received."""

    # -- 👍/👎 feedback ----------------------------------------------------------------------------------
    @abstractmethod
    async def set_feedback(self, chat: ChatKey, feedback: Feedback) -> None:
        """Record the chat's vote on a paper, replacing an earlier vote on the same paper; only the
        newest ``FEEDBACK_LIMIT`` votes (by ``feedback.at``) are kept. Kept when the chat is removed,
        moved with it when it migrates."""

    @abstractmethod
    async def get_feedback(self, chat: ChatKey) -> list[Feedback]:
        """The chat's votes, newest first."""

    @abstractmethod
    async def clear_feedback(self, chat: ChatKey, paper_id: str | None = None) -> int:
        """Forget the chat's vote on ``paper_id``, or every vote when None; how many were removed."""

    # -- caches ------------------------------------------------------------------------------------
    @abstractmethod
    async def cache_get(self, namespace: str, key: str) -> str | None:
        """A cached value, or None if absent or expired."""

    @abstractmethod
    async def cache_set(self, namespace: str, key: str, value: str, ttl: float | None = None) -> None:
        """Store a value; ``ttl`` in seconds, None keeps it until replaced."""

    @abstractmethod
    async def cache_delete(self, namespace: str, key: str) -> None:
        """Forget a cached value."""

    @abstractmethod
    async def next_due(self, after: float) -> float | None:
        """The earliest due time strictly after ``after`` (Unix seconds), or None if there is none."""

    # -- claims (leases; ``bot.lease`` is the helper every caller goes through) ---------------------------
    @abstractmethod
    async def claim(self, name: str, owner: str, ttl: float, now: float | None = None) -> bool:
        """Atomically take ``name`` for ``owner`` until ``now + ttl``. True if taken now or already
        held by the same owner (which extends it); False if another owner holds it unexpired.

        ``now`` is Unix seconds; None uses the backend's own clock (the Redis server's, shared by
        every process), so tests can move time without sleeping.
        """

    @abstractmethod
    async def release(self, name: str, owner: str, now: float | None = None) -> bool:
        """Give up ``name`` if ``owner`` holds it; True if it was held unexpired at ``now``."""

    @abstractmethod
    async def holder(self, name: str, now: float | None = None) -> tuple[str, float] | None:
        """Who holds ``name`` unexpired at ``now`` and until when: ``(owner, until)`` in Unix
        seconds, or None if it is free."""

    # -- shared request slots ------------------------------------------------------------------------
    @abstractmethod
    async def reserve_slot(self, name: str, interval: float, now: float | None = None) -> float:
        """Reserve the next request slot of ``name``, at least ``interval`` seconds after the previous
        reservation by any process; return how many seconds to wait before using it (0 if now)."""

    # -- lifecycle ------------------------------------------------------------------------------------
    @abstractmethod
    async def ping(self) -> bool:
        """True if the backend answers."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""
