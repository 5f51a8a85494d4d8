"""Leases: the one way exclusive work is shared between processes on one store.

A lease is a claim in the store (``Store.claim``) that lasts ``ttl`` seconds (``LEASE_TTL``, 30 s)
and is renewed every ``ttl / 3`` while its holder works, then released. A holder that dies (``kill
-9``, a lost host) stops renewing, so whatever it held is free again within ``ttl``; a live holder
keeps its lease however long the work takes. Every cross-process exclusive step goes through
``Leases``: single-flight fetches (``bot.flight``) and the push's per-chat claims (``bot.push``).

    leases = Leases(store)
    async with leases.hold("push:telegram:42") as lease:
        if lease is None:
            ...  # held elsewhere: ``await leases.holder(name)`` gives (owner, until)
        else:
            ...  # ours until the block ends; ``lease.lost`` turns True if a renewal found the
                 # lease taken by another owner (it had lapsed, e.g. the process was frozen)

Within one process a name is held by one caller at a time (a second ``acquire`` gets None).

Time: ``clock`` (Unix seconds) is passed to the store as ``now``. Left None, the store uses its own
clock (the Redis server's), so every process agrees on when a lease ends. Tests inject a clock,
build with ``auto_renew=False`` and call ``renew()`` themselves: nothing waits.

A renewal or release the store cannot take (it is down) is retried at the next round, and counted
in the shared ``Outage`` (one log line per outage); at worst the lease lapses ``ttl`` after its
last renewal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import structlog

from bot.outage import Outage, detail
from bot.store import as_unavailable
from bot.store.base import Store

log = structlog.get_logger(__name__)

LEASE_TTL = 30.0
"""Seconds a lease lasts without renewal: a dead holder's work is free again after at most this."""

UnixClock = Callable[[], float]


def default_owner() -> str:
    """This process, as the owner of its leases: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseLost(Exception):
    """A renewal found the lease held by another owner: stop the work it protected."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"lease {name!r} was taken over by another holder")


@dataclass(eq=False, slots=True)
class Lease:
    """One lease held by this process."""

    name: str
    owner: str
    until: float
    """When it ends unless renewed (Unix seconds, by the clock of its last renewal)."""
    lost: bool = False

    def check(self) -> None:
        """Raise ``LeaseLost`` if another owner took the lease over."""
        if self.lost:
            raise LeaseLost(self.name)


class Leases:
    """Leases of one owner (this process) on one store, renewed in the background while held."""

    def __init__(
        self,
        store: Store,
        owner: str | None = None,
        ttl: float = LEASE_TTL,
        *,
        clock: UnixClock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        auto_renew: bool = True,
        outage: Outage | None = None,
    ) -> None:
        if ttl <= 0:
            raise ValueError("a lease needs a positive ttl")
        self.store = store
        self.owner = owner or default_owner()
        self.ttl = ttl
        self.outage = outage or Outage("store")
        self._clock = clock
        self._sleep = sleep
        self._auto_renew = auto_renew
        self._held: dict[str, Lease] = {}
        self._owed: set[str] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._closing = False

    # -- time ---------------------------------------------------------------------------------------------
    def _now(self) -> float | None:
        return None if self._clock is None else self._clock()

    def _time(self) -> float:
        return time.time() if self._clock is None else self._clock()

    # -- taking and giving back ---------------------------------------------------------------------------
    @property
    def held(self) -> int:
        """How many leases this process holds now."""
        return len(self._held)

    async def acquire(self, name: str) -> Lease | None:
        """Take ``name`` if nobody else holds it; None if another owner (or another caller in this
        process) does. The store's errors propagate: the caller decides what an outage means."""
        if name in self._held:
            return None
        if not await self.store.claim(name, self.owner, self.ttl, now=self._now()):
            return None
        self._owed.discard(name)
        lease = Lease(name, self.owner, self._time() + self.ttl)
        self._held[name] = lease
        self._start_renewing()
        return lease

    async def release(self, lease: Lease) -> bool:
        """Give ``lease`` back; True if the store took it. Never raises: a release the store cannot
        take now is retried by the next renewal round (and the lease lapses by itself anyway)."""
        if self._held.get(lease.name) is lease:
            del self._held[lease.name]
        if lease.lost:
            return False
        try:
            await self.store.release(lease.name, self.owner, now=self._now())
        except Exception as error:
            self._failed(error, lease.name)
            self._owed.add(lease.name)
            self._start_renewing()
            return False
        return True

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[Lease | None]:
        """``acquire`` for the length of a block, released at its end (even on error or cancel)."""
        lease = await self.acquire(name)
        try:
            yield lease
        finally:
            if lease is not None:
                await self.release(lease)

    async def holder(self, name: str) -> tuple[str, float] | None:
        """Who holds ``name`` and until when (Unix seconds, the store's clock), or None."""
        return await self.store.holder(name, now=self._now())

    # -- renewal --------------------------------------------------------------------------------------------
    async def renew(self) -> None:
        """One round: extend every lease held and retry the releases owed. Never raises; a lease
        another owner has taken meanwhile is marked ``lost`` and dropped."""
        for lease in list(self._held.values()):
            try:
                kept = await self.store.claim(lease.name, self.owner, self.ttl, now=self._now())
            except Exception as error:
                self._failed(error, lease.name)
                return
            if kept:
                lease.until = self._time() + self.ttl
            else:
                lease.lost = True
                self._held.pop(lease.name, None)
                log.warning("lease_lost", lease=lease.name)
        for name in list(self._owed):
            try:
                await self.store.release(name, self.owner, now=self._now())
            except Exception as error:
                self._failed(error, name)
                return
            self._owed.discard(name)
        self.outage.answered()

    def _start_renewing(self) -> None:
        if self._closing or not self._auto_renew:
            return
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_while_held())

    async def _renew_while_held(self) -> None:
        while self._held or self._owed:
            await self._sleep(self.ttl / 3)
            await self.renew()

    def _failed(self, error: BaseException, name: str) -> None:
        if as_unavailable(error) is not None:
            self.outage.failed(error)
        else:
            log.warning("lease_store_error", lease=name, error=type(error).__name__, detail=detail(error))

    async def close(self) -> None:
        """Stop renewing and give back everything still held or owed (never raises)."""
        self._closing = True
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        for lease in list(self._held.values()):
            await self.release(lease)
        for name in list(self._owed):
            with contextlib.suppress(Exception):
                await self.store.release(name, self.owner, now=self._now())
                self._owed.discard(name)
        self._closing = False
