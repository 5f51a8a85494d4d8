"""Fixtures shared by the test suite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import redis.asyncio as redis
import stamina

from bot.settings import Settings
from bot.store.base import Store
from bot.store.redis import RedisStore
from bot.store.sqlite import SQLiteStore
from tests.fakes.arxiv import FakeArxiv
from tests.processes import reap

# -- child processes ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def reap_processes() -> Iterator[None]:
    """No process a test started outlives it, whatever the test's outcome."""
    yield
    reap()


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


# -- arXiv -------------------------------------------------------------------------------------------


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    """A local arXiv (RSS feed and export API) on an ephemeral port."""
    async with FakeArxiv() as server:
        yield server


@pytest.fixture
def stamina_testing() -> Iterator[None]:
    """Retries happen without waiting between attempts."""
    stamina.set_testing(True, attempts=3)
    try:
        yield
    finally:
        stamina.set_testing(False)


def settings_for(server: FakeArxiv, **overrides: Any) -> Settings:
    """Settings pointing at a fake arXiv, with no LLM, no throttle delay and no .env file."""
    values: dict[str, Any] = {
        "arxiv_rss_url": server.rss_url,
        "arxiv_api_url": server.api_url,
        "arxiv_min_interval": 0.0,
        "arxiv_timeout": 5.0,
        "arxiv_retries": 3,
        "store_url": "sqlite:///:memory:",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
