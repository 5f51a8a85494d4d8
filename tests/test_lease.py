"""Leases (``bot.lease``) on both stores, driven by an injected clock: nothing here waits for real."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.flight import SingleFlight
from bot.lease import LEASE_TTL, LeaseLost, Leases
from bot.store import open_store
from bot.store.base import Store
from tests.factories import held
from tests.own_redis import OwnRedis

T0 = 1_800_000_000.0


class FakeTime:
    """A settable Unix clock."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Ticks:
    """A ``sleep`` that returns only when the test lets one tick through."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._go = asyncio.Semaphore(0)

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self._go.acquire()

    async def tick(self) -> None:
        """Let one sleep end, and give the woken task time to act."""
        self._go.release()
        for _ in range(50):
            await asyncio.sleep(0)


def leases(store: Store, owner: str, clock: FakeTime, **options: object) -> Leases:
    return Leases(store, owner, clock=clock, auto_renew=False, **options)  # type: ignore[arg-type]


async def test_one_holder_at_a_time(store: Store) -> None:
    """A lease held by one owner is refused to another and to a second caller of the same process;
    released, it can be taken."""
    clock = FakeTime()
    mine, theirs = leases(store, "mine", clock), leases(store, "theirs", clock)
    lease = await mine.acquire("push:telegram:1")
    assert lease is not None and lease.until == T0 + LEASE_TTL
    assert await theirs.acquire("push:telegram:1") is None
    assert await mine.acquire("push:telegram:1") is None
    assert held(await theirs.holder("push:telegram:1")) == ("mine", pytest.approx(T0 + LEASE_TTL))
    assert await mine.release(lease) is True
    assert await theirs.acquire("push:telegram:1") is not None


async def test_a_dead_holder_frees_its_lease_within_the_ttl(store: Store) -> None:
    """A holder that stops renewing (killed) loses the lease ttl seconds after its last renewal."""
    clock = FakeTime()
    dead, alive = leases(store, "dead", clock), leases(store, "alive", clock)
    assert await dead.acquire("flight:x") is not None
    clock.now = T0 + LEASE_TTL - 1
    assert await alive.acquire("flight:x") is None
    clock.now = T0 + LEASE_TTL + 0.001
    assert await alive.acquire("flight:x") is not None


async def test_renewal_keeps_a_lease_for_long_work(store: Store) -> None:
    """Renewed every ttl/3, a lease outlives its ttl many times over; unrenewed, it lapses."""
    clock = FakeTime()
    holder, other = leases(store, "holder", clock), leases(store, "other", clock)
    lease = await holder.acquire("job")
    assert lease is not None
    for step in range(1, 10):
        clock.now = T0 + step * LEASE_TTL / 3
        await holder.renew()
        assert await other.acquire("job") is None
    assert lease.until == clock.now + LEASE_TTL and not lease.lost
    clock.now += LEASE_TTL + 1
    assert await other.acquire("job") is not None


async def test_a_lapsed_lease_taken_over_is_lost(store: Store) -> None:
    """If another owner took the lease after it lapsed, the next renewal marks it lost and
    ``check`` stops the work it protected."""
    clock = FakeTime()
    slow, fast = leases(store, "slow", clock), leases(store, "fast", clock)
    lease = await slow.acquire("job")
    assert lease is not None
    clock.now = T0 + LEASE_TTL + 5
    assert await fast.acquire("job") is not None
    with capture_logs() as logs:
        await slow.renew()
    assert lease.lost and slow.held == 0
    with pytest.raises(LeaseLost):
        lease.check()
    assert [entry["event"] for entry in logs] == ["lease_lost"]
    assert await slow.release(lease) is False
    assert held(await fast.holder("job")) == ("fast", pytest.approx(T0 + 2 * LEASE_TTL + 5))


async def test_hold_releases_on_error(store: Store) -> None:
    """``hold`` gives the lease back when its block fails."""
    clock = FakeTime()
    mine, theirs = leases(store, "mine", clock), leases(store, "theirs", clock)
    with pytest.raises(RuntimeError):
        async with mine.hold("job") as lease:
            assert lease is not None
            raise RuntimeError("the work failed")
    async with theirs.hold("job") as taken:
        assert taken is not None


async def test_background_renewal_runs_every_third_of_the_ttl(store: Store) -> None:
    """With auto-renewal, a held lease is renewed each ttl/3 (the injected sleep), and renewal
    stops once nothing is held."""
    clock = FakeTime()
    ticks = Ticks()
    holder = Leases(store, "holder", clock=clock, sleep=ticks.sleep)
    other = leases(store, "other", clock)
    lease = await holder.acquire("job")
    assert lease is not None
    for step in range(1, 7):
        clock.now = T0 + step * LEASE_TTL / 3
        await ticks.tick()
        assert await other.acquire("job") is None
    assert ticks.asked[0] == LEASE_TTL / 3
    await holder.release(lease)
    await ticks.tick()
    asked = len(ticks.asked)
    await ticks.tick()
    assert len(ticks.asked) == asked
    await holder.close()


async def test_release_the_store_missed_is_retried(tmp_path: Path) -> None:
    """A release the store cannot take (its server was killed) is owed and done by the next
    renewal once the store is back; the outage is one log line, its end another."""
    server = OwnRedis(tmp_path)
    await server.start()
    store = await open_store(server.url, "lease-test:")
    clock = FakeTime()
    mine, theirs = leases(store, "mine", clock), leases(store, "theirs", clock)
    try:
        lease = await mine.acquire("job")
        assert lease is not None
        await server.kill()
        with capture_logs() as logs:
            assert await mine.release(lease) is False
            await mine.renew()
            await mine.renew()
            await server.start()
            await mine.renew()
        assert [entry["event"] for entry in logs] == ["service_unavailable", "service_recovered"]
        assert await theirs.acquire("job") is not None
    finally:
        await store.close()


async def test_single_flight_takes_over_from_a_dead_holder(store: Store) -> None:
    """Work claimed by a process that died is done by the next caller once the claim lapses,
    without waiting for real: the poll's sleep moves the clock."""
    clock = FakeTime()
    assert await store.claim("flight:batch", "dead-process", LEASE_TTL, now=clock()) is True
    polls: list[float] = []

    async def sleep(seconds: float) -> None:
        polls.append(seconds)
        clock.now += 1.0

    flight = SingleFlight(store, sleep=sleep, leases=leases(store, "alive", clock), clock=clock)
    done: list[str] = []

    async def check() -> str | None:
        return None

    async def work() -> str:
        done.append("work")
        return "batch"

    assert await flight.run("batch", check, work) == "batch"
    assert done == ["work"]
    assert LEASE_TTL - 1 <= len(polls) <= LEASE_TTL + 1
    assert await store.holder("flight:batch", now=clock()) is None
