"""Clocks that tests move by hand, so waits and deadlines cost no real time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class ManualClock:
    """Monotonic seconds that move only with ``advance``; ``sleep`` returns once they have moved
    far enough. Pass ``clock`` as the clock and ``clock.sleep`` as the sleep of the code under test."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    @property
    def sleepers(self) -> int:
        """Sleeps waiting for the clock to move."""
        self._sleepers = [(at, f) for at, f in self._sleepers if not f.done()]
        return len(self._sleepers)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, future))
        await future

    def advance(self, seconds: float) -> None:
        """Move the clock and wake every sleep that is due."""
        self.now += seconds
        for at, future in self._sleepers:
            if at <= self.now and not future.done():
                future.set_result(None)
        self.sleepers  # noqa: B018 - drops the woken ones


class WallClock:
    """Unix seconds that a test moves forward."""

    def __init__(self, now: float = 1_790_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def wait_until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait (polling) until ``check()`` holds; fail after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
