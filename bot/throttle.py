"""Politeness across processes: one request slot per ``interval`` for a named host group.

Slots are reserved in the store, so every process of a deployment shares them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.store.base import Store


class Throttle:
    """Wait for the next shared request slot of ``name`` before each request."""

    def __init__(
        self,
        store: Store,
        name: str,
        interval: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._store = store
        self._name = name
        self._interval = interval
        self._sleep = sleep
        self.requests = 0

    async def wait(self) -> None:
        """Return when this process may send its next request."""
        delay = await self._store.reserve_slot(self._name, self._interval)
        if delay > 0:
            await self._sleep(delay)
        self.requests += 1
