"""Single-flight work shared by every process on one store.

The first caller of a name does the work; concurrent callers in the same process wait on a lock,
callers in other processes wait for the claim to go and then find the result where the work left it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.store.base import Store

T = TypeVar("T")


def default_owner() -> str:
    """This process, as the owner of its claims: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SingleFlight:
    """Run ``work`` once per name while ``check`` finds no result yet."""

    def __init__(
        self,
        store: Store,
        owner: str | None = None,
        poll: float = 0.1,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self.owner = owner or uuid.uuid4().hex
        self._poll = poll
        self._sleep = sleep
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def run(
        self,
        name: str,
        check: Callable[[], Awaitable[T | None]],
        work: Callable[[], Awaitable[T]],
        ttl: float = 120.0,
    ) -> T:
        """The result of ``check`` if there is one, else of ``work`` run by exactly one caller."""
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                deadline = time.monotonic() + ttl
                while True:
                    found = await check()
                    if found is not None:
                        return found
                    if await self._store.claim(f"flight:{name}", self.owner, ttl):
                        try:
                            found = await check()
                            return found if found is not None else await work()
                        finally:
                            await self._store.release(f"flight:{name}", self.owner)
                    if time.monotonic() > deadline:
                        return await work()
                    await self._sleep(self._poll)
        finally:
            lock, users = self._locks[name]
            if users <= 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)
