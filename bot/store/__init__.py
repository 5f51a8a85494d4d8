"""Store backends behind one interface; ``open_store`` picks one from a URL."""

from __future__ import annotations

from bot.errors import BadInput
from bot.store.base import Store


async def open_store(url: str, prefix: str = "arxiv-digest:") -> Store:
    """``redis://…``/``rediss://…`` → Redis; ``sqlite:///path`` → embedded SQLite."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        from bot.store.redis import RedisStore

        return await RedisStore.connect(url, prefix)
    if url.startswith("sqlite://"):
        from bot.store.sqlite import SQLiteStore

        return await SQLiteStore.connect(url, prefix)
    raise BadInput("STORE_URL must start with redis:// or sqlite:/// (e.g. sqlite:///data/arxiv-digest.db)")


__all__ = ["Store", "open_store"]
