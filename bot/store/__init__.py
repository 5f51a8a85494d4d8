"""Store backends behind one interface; ``open_store`` picks one from a URL."""

from __future__ import annotations

import sys

from bot.errors import BadInput, StoreUnavailable
from bot.store.base import Store

_BACKENDS = ("bot.store.redis", "bot.store.sqlite")


async def open_store(url: str, prefix: str = "arxiv-digest:") -> Store:
    """``redis://…``/``rediss://…`` → Redis; ``sqlite:///path`` → embedded SQLite."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from bot.store.redis import RedisStore

        return await RedisStore.connect(url, prefix)
    if url.startswith("sqlite://"):
        from bot.store.sqlite import SQLiteStore

        return await SQLiteStore.connect(url, prefix)
    raise BadInput("STORE_URL must start with redis:// or sqlite:/// (e.g. sqlite:///data/arxiv-digest.db)")


def as_unavailable(error: BaseException) -> StoreUnavailable | None:
    """``error`` as a ``StoreUnavailable`` when it means the store cannot be used right now (Redis
    down or read-only, the SQLite file locked or unwritable); None for any other failure.

    Callers that answer people (chat commands, the CLI) use it to turn a store outage into one
    clear line; the store's client reconnects by itself on the next call.
    """
    if isinstance(error, StoreUnavailable):
        return error
    for name in _BACKENDS:
        backend = sys.modules.get(name)
        if backend is not None:
            found: StoreUnavailable | None = backend.unavailable(error)
            if found is not None:
                return found
    return None


__all__ = ["Store", "as_unavailable", "open_store"]
