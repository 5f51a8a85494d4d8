"""Telegram's flood limits, kept on our side so the API never has to refuse a message.

Telegram asks bots to send at most 30 messages per second overall, 20 per minute to one group and
about one per second to one chat. Each limit is a sliding window ("at most N in any P seconds");
a message waits until all three allow it, then is recorded in each as it leaves. Only
message-sending methods count; reads such as getChatMember and getUpdates pass freely.

``TelegramRateLimiter`` plugs into python-telegram-bot (``ApplicationBuilder().rate_limiter``), so
every message of the replies and of the push goes through the same windows. Clock and sleep are
injectable, so the rules are tested without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from telegram.ext import BaseRateLimiter

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

LIMITED_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact",
        "sendPoll", "sendDice", "sendSticker", "sendInvoice", "sendPaidMedia", "copyMessage",
        "copyMessages", "forwardMessage", "forwardMessages",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Limits:
    """Windows as (messages, seconds). ``margin`` widens every window a little, so network jitter
    between our clock and Telegram's never makes two messages look closer than they were sent."""

    overall: tuple[int, float] = (30, 1.0)
    group: tuple[int, float] = (20, 60.0)
    chat: tuple[int, float] = (1, 1.0)
    margin: float = 0.05
    pace_margin: float = 0.045
    """Widens the overall pace: one message every ``(period + pace_margin) / count`` seconds."""


class SlidingWindow:
    """At most ``limit`` messages in any ``period`` seconds. Messages are recorded when they go."""

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period < 0:
            raise ValueError("a window needs limit >= 1 and period >= 0")
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque(maxlen=limit)

    def earliest(self, now: float) -> float:
        """The first moment at or after ``now`` when one more message is allowed."""
        if len(self.times) < self.limit:
            return now
        return max(now, self.times[0] + self.period)

    def record(self, at: float) -> None:
        """A message went at ``at`` (never earlier than the previous one)."""
        self.times.append(at)

    def settle(self, at: float) -> None:
        """The latest message was answered at ``at``: count it from then, so a request slowed on
        its way (a new connection, a busy machine) cannot let the next one arrive too soon after
        it. Only ever moves the record later."""
        if self.times and at > self.times[-1]:
            self.times[-1] = at

    def idle(self, now: float) -> bool:
        """True when no recorded message still constrains the future."""
        return not self.times or self.times[-1] + self.period <= now


class Pace:
    """One message every ``interval`` seconds, on a fixed grid: a message that leaves a little late
    does not push the next slots later (no drift), and one that leaves more than an interval late
    starts a new grid from its own time (no burst to catch up)."""

    __slots__ = ("interval", "next_at")

    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError("a pace needs a positive interval")
        self.interval = interval
        self.next_at = float("-inf")

    def earliest(self, now: float) -> float:
        """The first moment at or after ``now`` when the next message may go."""
        return max(now, self.next_at)

    def record(self, at: float) -> None:
        """A message went at ``at``."""
        on_grid = 0.0 <= at - self.next_at < self.interval
        self.next_at = (self.next_at if on_grid else at) + self.interval


class KeyedWindows:
    """One ``SlidingWindow`` per key (chat or group), forgetting keys that went idle."""

    def __init__(self, limit: int, period: float, prune_every: int = 1024) -> None:
        self.limit = limit
        self.period = period
        self._windows: dict[Hashable, SlidingWindow] = {}
        self._prune_every = prune_every
        self._since_prune = 0

    def get(self, key: Hashable, now: float) -> SlidingWindow:
        window = self._windows.get(key)
        if window is None:
            self._since_prune += 1
            if self._since_prune >= self._prune_every:
                self.prune(now)
            window = self._windows[key] = SlidingWindow(self.limit, self.period)
        return window

    def prune(self, now: float) -> None:
        self._since_prune = 0
        for key in [key for key, window in self._windows.items() if window.idle(now)]:
            del self._windows[key]

    def __len__(self) -> int:
        return len(self._windows)


class KeyedLocks:
    """One FIFO lock per key, created on demand and dropped when nobody holds or awaits it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class CommandOrder:
    """Per key (a chat), the order commands keep: a command that changes something runs after
    every earlier one that changes something, and any command runs after the changes that arrived
    before it; nothing ever waits for a command that only reads.

    ``turn`` must be entered in arrival order (it registers before its first await).
    """

    def __init__(self) -> None:
        self._last: dict[Hashable, asyncio.Future[None]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable, changes: bool) -> AsyncIterator[None]:
        before = self._last.get(key)
        mine: asyncio.Future[None] | None = None
        if changes:
            mine = asyncio.get_running_loop().create_future()
            self._last[key] = mine
        try:
            if before is not None and not before.done():
                await asyncio.shield(before)
            yield
        finally:
            if mine is not None:
                self._finish(key, mine, before)

    def _finish(self, key: Hashable, mine: asyncio.Future[None], before: asyncio.Future[None] | None) -> None:
        """Resolve ``mine`` once ``before`` is resolved too (a cancelled waiter must not let later
        changes overtake the one it was waiting for)."""

        def done(_: object = None) -> None:
            if not mine.done():
                mine.set_result(None)
            if self._last.get(key) is mine:
                del self._last[key]

        if before is None or before.done():
            done()
        else:
            before.add_done_callback(done)

    def __len__(self) -> int:
        return len(self._last)


def _is_group(key: int | str) -> bool:
    """Groups, supergroups and channels have negative ids (or an ``@username``); ``key`` is
    normalized, so a string is never numeric."""
    return isinstance(key, str) or key < 0


class FloodControl:
    """The three windows, shared by every sender of one bot.

    A message first takes its chat's turn (one sender per chat at a time, in arrival order) and
    waits until the chat's and the group's windows allow it; then it queues for the overall pace.
    It is recorded in all three at the moment it leaves, so no later wait can squeeze two messages
    closer together than a window allows, and its chat's and group's records move to the moment
    it is answered (``answered``): a message slowed on its way does not bring the next one closer. The overall limit is kept as an even pace (one message
    every ``(period + pace_margin) / count`` seconds) rather than a window: after a pause of the process (a garbage
    collection, a busy machine) the queue resumes at that pace instead of leaving in one burst.
    """

    def __init__(
        self, limits: Limits | None = None, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.limits = limits or Limits()
        margin = self.limits.margin
        count, period = self.limits.overall
        self._overall = Pace((period + self.limits.pace_margin) / count)
        self._groups = KeyedWindows(self.limits.group[0], self.limits.group[1] + margin)
        self._chats = KeyedWindows(self.limits.chat[0], self.limits.chat[1] + margin)
        self._chat_turns = KeyedLocks()
        self._overall_turn = asyncio.Lock()
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0

    async def acquire(self, chat_id: int | str) -> None:
        """Return when a message to ``chat_id`` may go, having recorded it as gone."""
        key = _normalize(chat_id)
        async with self._chat_turns.hold(key):
            now = self._clock()
            windows = [self._chats.get(key, now)]
            if _is_group(key):
                windows.append(self._groups.get(key, now))
            await self._wait_until(max(window.earliest(now) for window in windows))
            async with self._overall_turn:
                await self._wait_until(self._overall.earliest(self._clock()))
                at = self._clock()
                for window in windows:
                    window.record(at)
                self._overall.record(at)

    def answered(self, chat_id: int | str) -> None:
        """The message to ``chat_id`` that last went was answered now: its chat's and group's
        windows count it from now (Telegram counts it from when it arrived, which is between)."""
        key = _normalize(chat_id)
        now = self._clock()
        self._chats.get(key, now).settle(now)
        if _is_group(key):
            self._groups.get(key, now).settle(now)

    async def _wait_until(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            self.waited += delay
            await self._sleep(delay)


def _normalize(chat_id: int | str) -> int | str:
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return chat_id.lower()
    return chat_id


class TelegramRateLimiter(BaseRateLimiter[None]):
    """python-telegram-bot's rate-limiter hook over ``FloodControl``: every message-sending call
    waits for its turn; everything else goes straight through. Retries are not its business:
    ``RetryAfter`` reaches the caller, which waits and resends."""

    def __init__(self, flood: FloodControl | None = None) -> None:
        self.flood = flood or FloodControl()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint not in LIMITED_METHODS or not isinstance(chat_id, int | str):
            return await callback(*args, **kwargs)
        await self.flood.acquire(chat_id)
        try:
            return await callback(*args, **kwargs)
        finally:
            self.flood.answered(chat_id)
