"""What a chat has been offered of a day, so ``/more`` and the push page through it without
repeating or losing a paper.

- The **last digest** of a chat (``/today``, ``/more`` or the push): its listing date, the day a bare
  ``/more`` pages through.
- The papers **offered** to a chat by the push on one listing date: the day's matching papers it was
  told about (shown in full, or counted as reachable with ``/more``). A later push of the same day
  (a category that arrived late, ``push --now`` again) sends only papers that were not offered,
  so the morning's message budget holds; ``/more`` still pages through everything not received.
- The **push in progress** of a chat on one listing date: messages and papers a push has had
  acknowledged of a page it has not finished (a process that died, a platform that failed midway).
  The push that takes the chat again sends only the rest of that page in the rest of its message
  budget, so an interruption never costs the chat more than ``max_messages`` messages or ``top``
  papers for that page.

All are kept in the store's cache for ``KEEP`` seconds (the batches' own lifetime).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta

from bot.models import ChatKey
from bot.store.base import Store

KEEP = 21 * 24 * 3600.0
"""Seconds a chat's last digest date and offered papers are remembered (as long as batches are
cached)."""
MORE_DAYS = 21
"""``/more`` pages through listing dates at most this many days old."""

_LAST = "last-digest"
_OFFERED = "offered"
_PROGRESS = "push-progress"


async def remember_digest(store: Store, chat: ChatKey, listing_date: date) -> None:
    """Record that ``chat`` was given a digest of ``listing_date`` (the newest one wins)."""
    before = await last_digest(store, chat)
    if before is None or listing_date >= before:
        await store.cache_set(_LAST, str(chat), listing_date.isoformat(), ttl=KEEP)


async def last_digest(store: Store, chat: ChatKey) -> date | None:
    """The listing date of the newest digest ``chat`` was given, if any is remembered."""
    raw = await store.cache_get(_LAST, str(chat))
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _key(chat: ChatKey, listing_date: date) -> str:
    return f"{chat}|{listing_date.isoformat()}"


async def offered(store: Store, chat: ChatKey, listing_date: date) -> set[str]:
    """Ids of the papers of ``listing_date`` the push has offered ``chat``."""
    raw = await store.cache_get(_OFFERED, _key(chat, listing_date))
    if not raw:
        return set()
    try:
        return {str(i) for i in json.loads(raw)}
    except (ValueError, TypeError):
        return set()


async def add_offered(store: Store, chat: ChatKey, listing_date: date, paper_ids: Iterable[str]) -> None:
    """Add ``paper_ids`` to what the push has offered ``chat`` of ``listing_date``."""
    ids = set(paper_ids)
    if not ids:
        return
    ids |= await offered(store, chat, listing_date)
    await store.cache_set(_OFFERED, _key(chat, listing_date), json.dumps(sorted(ids)), ttl=KEEP)


async def push_progress(store: Store, chat: ChatKey, listing_date: date) -> tuple[int, int]:
    """``(messages, papers)`` acknowledged of the unfinished push page of ``chat`` on
    ``listing_date``; ``(0, 0)`` when no page is under way."""
    raw = await store.cache_get(_PROGRESS, _key(chat, listing_date))
    if not raw:
        return 0, 0
    try:
        messages, papers = json.loads(raw)
        return max(0, int(messages)), max(0, int(papers))
    except (ValueError, TypeError):
        return 0, 0


async def add_push_progress(store: Store, chat: ChatKey, listing_date: date, papers: int) -> None:
    """Count one more acknowledged message, carrying ``papers`` papers, of the push page under way."""
    messages, shown = await push_progress(store, chat, listing_date)
    value = json.dumps([messages + 1, shown + papers])
    await store.cache_set(_PROGRESS, _key(chat, listing_date), value, ttl=KEEP)


async def end_push_progress(store: Store, chat: ChatKey, listing_date: date) -> None:
    """The push page of ``chat`` on ``listing_date`` is finished: forget its progress."""
    await store.cache_delete(_PROGRESS, _key(chat, listing_date))


async def move_chat(store: Store, old: ChatKey, new: ChatKey) -> bool:
    """A chat got a new id (a Telegram group upgraded to a supergroup): move its settings, due entry,
    ledger and votes (``Store.migrate_chat``) and what it was offered of its recent days, so ``/more``
    and a later push go on where they were. True if the old id had settings."""
    moved = await store.migrate_chat(old, new)
    last = await last_digest(store, old)
    if last is not None and old != new:
        for back in range(MORE_DAYS + 1):
            day = last - timedelta(days=back)
            ids = await offered(store, old, day)
            if ids:
                await add_offered(store, new, day, ids)
                await store.cache_delete(_OFFERED, _key(old, day))
            progress = await store.cache_get(_PROGRESS, _key(old, day))
            if progress:
                await store.cache_set(_PROGRESS, _key(new, day), progress, ttl=KEEP)
                await store.cache_delete(_PROGRESS, _key(old, day))
        await remember_digest(store, new, last)
        await store.cache_delete(_LAST, str(old))
    return moved
