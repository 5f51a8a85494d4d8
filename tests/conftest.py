"""Fixtures shared by the test suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
import redis.asyncio as redis

from bot.store.base import Store
from bot.store.redis import RedisStore
from bot.store.sqlite import SQLiteStore

# -- redis -------------------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    """The local Redis the tests run against."""
    return "redis://127.0.0.1:6379/0"


async def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix`` (SCAN + DEL; never a flush)."""
    client = redis.Redis.from_url(url)
    try:
        batch: list[bytes] = []
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                await client.delete(*batch)
                batch.clear()
        if batch:
            await client.delete(*batch)
    finally:
        await client.aclose()


# -- store -------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> AsyncIterator[Store]:
    """A fresh store on each backend: SQLite in tmp_path, Redis under a unique key prefix."""
    prefix = f"test:{uuid4().hex}:"
    if request.param == "sqlite":
        sqlite_store = await SQLiteStore.connect(f"sqlite:///{tmp_path / 'store.sqlite3'}", prefix)
        try:
            yield sqlite_store
        finally:
            await sqlite_store.close()
        return
    redis_store = await RedisStore.connect(redis_url, prefix)
    try:
        yield redis_store
    finally:
        await redis_store.close()
        await delete_prefix(redis_url, prefix)
