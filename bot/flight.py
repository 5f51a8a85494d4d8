"""Single-flight work shared by every process on one store.

The first caller of a name does the work under a lease (``bot.lease``); concurrent callers in the
same process wait on a lock, callers in other processes poll until the work's result is where the
work left it (``check`` finds it) or the lease is free. A holder that dies frees the name within
the lease's ttl (30 s), and a live holder renews it for as long as the work takes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.lease import Leases
from bot.store.base import Store

__all__ = ["SingleFlight"]

T = TypeVar("T")

MAX_WAIT = 120.0
"""Longest a caller waits for another process's work before doing it itself (seconds)."""


class SingleFlight:
    """Run ``work`` once per name while ``check`` finds no result yet."""

    def __init__(
        self,
        store: Store,
        owner: str | None = None,
        poll: float = 0.1,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        leases: Leases | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._leases = leases or Leases(store, owner or uuid.uuid4().hex)
        self.owner = self._leases.owner
        self._poll = poll
        self._sleep = sleep
        self._clock = clock
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def run(
        self,
        name: str,
        check: Callable[[], Awaitable[T | None]],
        work: Callable[[], Awaitable[T]],
        ttl: float = MAX_WAIT,
    ) -> T:
        """The result of ``check`` if there is one, else of ``work`` run by exactly one caller.

        ``ttl`` bounds the wait for another process's work (seconds, by ``clock``); past it this
        caller does the work itself.
        """
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                deadline = self._clock() + ttl
                while True:
                    found = await check()
                    if found is not None:
                        return found
                    async with self._leases.hold(f"flight:{name}") as lease:
                        if lease is not None:
                            found = await check()
                            return found if found is not None else await work()
                    if self._clock() > deadline:
                        return await work()
                    await self._sleep(self._poll)
        finally:
            lock, users = self._locks[name]
            if users <= 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)
