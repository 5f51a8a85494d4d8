"""``arxiv-digest run`` and ``arxiv-digest push``: the platforms, the push scheduler, metrics.

``run_forever`` serves every platform whose token is set, runs a push cycle every ``interval``
seconds (APScheduler's AsyncIOScheduler, its trigger in UTC), serves ``/metrics`` and ``/healthz``
when ``METRICS_PORT`` is set, and stops cleanly on SIGTERM or SIGINT: no new chat is taken up, the
chats being pushed finish, the platforms close.

``push_once`` runs one cycle through the platforms' REST APIs (no gateway, no polling) and exits:
0, or 3 when arXiv was unreachable and nothing could be sent.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import structlog

from adapters.check import verify_platforms
from bot.delivery import Platform
from bot.engine import Clock, utc_now
from bot.errors import BadInput, DigestError
from bot.metrics import Metrics, serve_metrics
from bot.push import Pusher
from bot.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.app import App

log = structlog.get_logger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 3
PUSH_INTERVAL = 30.0
"""Seconds between push cycles in ``run``."""
SHUTDOWN_GRACE = 30.0
"""Seconds a stopping process gives the chats it is pushing to finish."""
NO_PLATFORM = (
    "no chat platform configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN "
    "(the terminal chat, `arxiv-digest chat`, has no push)"
)

Service = Callable[[], Coroutine[Any, Any, None]]


class _Platforms:
    """The platforms of this process: what the push sends through, what ``run`` serves, and how
    each sender is closed."""

    def __init__(self) -> None:
        self.senders: dict[str, Platform] = {}
        self.services: dict[str, Service] = {}
        self.closers: dict[str, Callable[[], Awaitable[None]]] = {}

    async def close(self) -> None:
        for name, close in self.closers.items():
            try:
                await close()
            except Exception as error:
                log.warning("platform_close_failed", platform=name, error=type(error).__name__)


def _platforms(settings: Settings, app: App | None, stop: asyncio.Event | None) -> _Platforms:
    """The platforms whose token is set; their services too when ``app`` and ``stop`` are given."""
    found = _Platforms()
    if settings.telegram_bot_token is not None:
        from adapters.telegram.app import build_platform, run_telegram
        from adapters.telegram.limits import FloodControl

        flood = FloodControl()
        telegram = build_platform(settings, flood=flood)
        found.senders["telegram"] = telegram
        found.closers["telegram"] = telegram.close
        if app is not None and stop is not None:
            found.services["telegram"] = partial(
                run_telegram, settings, app.commands, app.store, stop, flood=flood
            )
    if settings.discord_bot_token is not None:
        from adapters.discord import build_platform as build_discord_platform
        from adapters.discord import run_discord

        discord = build_discord_platform(settings)
        found.senders["discord"] = discord
        found.closers["discord"] = discord.aclose
        if app is not None and stop is not None:
            found.services["discord"] = partial(run_discord, settings, app.commands, app.store, stop)
    return found


async def _cancel_late(tasks: Iterable[asyncio.Task[Any]], grace: float) -> None:
    """Give ``tasks`` ``grace`` seconds to finish; cancel those still running."""
    running = set(tasks)
    if running:
        _, late = await asyncio.wait(running, timeout=grace)
        for task in late:
            task.cancel()


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's way (``gc.freeze``), so its
    full collections stay short: a long pause would bunch messages past the platforms' rate limits."""
    gc.collect()
    gc.freeze()


def _on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM and SIGINT; returns the undo."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, _stop_for, stop, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass

    def undo() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return undo


def _stop_for(stop: asyncio.Event, signum: signal.Signals) -> None:
    log.info("stopping", signal=signum.name)
    stop.set()


async def push_once(
    settings: Settings,
    everyone: bool = False,
    *,
    clock: Clock = utc_now,
    platforms: Mapping[str, Platform] | None = None,
) -> int:
    """One push cycle, then exit: 0, or 3 if arXiv was unreachable and nothing was sent."""
    from adapters.app import build_app

    own = _Platforms() if platforms is not None else _platforms(settings, None, None)
    senders = dict(platforms) if platforms is not None else own.senders
    if not senders:
        raise BadInput(NO_PLATFORM)
    app = await build_app(settings, clock=clock)
    try:
        await verify_platforms(senders)
        pusher = Pusher(app.store, app.engine, senders, clock=clock)
        settle_heap()
        report = await pusher.run_once(everyone=everyone)
    finally:
        await own.close()
        await app.aclose()
    if report.unreachable:
        log.error("push_unreachable", source_errors=report.source_errors)
        return EXIT_UNAVAILABLE
    return EXIT_OK


async def run_forever(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    interval: float = PUSH_INTERVAL,
    stop_event: asyncio.Event | None = None,
    metrics: Metrics | None = None,
) -> int:
    """Serve the platforms and push on schedule until SIGTERM/SIGINT (or ``stop_event``)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    from adapters.app import build_app

    stop = stop_event or asyncio.Event()
    metrics = metrics or Metrics()
    app = await build_app(settings, clock=clock, metrics=metrics)
    platforms = _platforms(settings, app, stop)
    if not platforms.senders:
        await app.aclose()
        raise BadInput(NO_PLATFORM)
    metrics_runner: web.AppRunner | None = None
    try:
        await verify_platforms(platforms.senders)
        if settings.metrics_port is not None:
            metrics_runner = await serve_metrics(metrics, app.store.ping, settings.metrics_port)
    except BaseException:
        await platforms.close()
        await app.aclose()
        raise
    metrics.track_arxiv_requests(lambda: app.source.requests)
    pusher = Pusher(app.store, app.engine, platforms.senders, clock=clock, metrics=metrics)
    cycles: set[asyncio.Task[Any]] = set()
    settle_heap()

    async def tick() -> None:
        if cycles:
            return  # a cycle is still pushing; chats due meanwhile go in the next one
        task = asyncio.current_task()
        if task is not None:
            cycles.add(task)
        try:
            await pusher.run_once()
        except Exception as error:
            log.exception("push_cycle_failed", error=type(error).__name__)
        finally:
            if task is not None:
                cycles.discard(task)

    undo_signals = _on_signals(stop)
    services = {
        asyncio.create_task(service(), name=f"platform:{name}"): name
        for name, service in platforms.services.items()
    }
    scheduler = AsyncIOScheduler(timezone=UTC)
    code = EXIT_OK
    failure: DigestError | None = None
    try:
        scheduler.add_job(
            tick,
            IntervalTrigger(seconds=interval, timezone=UTC),
            id="push",
            next_run_time=datetime.now(UTC),
            max_instances=2,  # a tick during a long cycle returns at once instead of being logged as skipped
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.start()
        log.info("running", platforms=sorted(platforms.senders), push_every=interval)
        stopped: asyncio.Task[Any] = asyncio.create_task(stop.wait())
        waiting: set[asyncio.Task[Any]] = {stopped, *services}
        done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopped}:
            error = task.exception() if not task.cancelled() else None
            log.error("platform_stopped", platform=task.get_name(), error=str(error) if error else None)
            if isinstance(error, DigestError) and failure is None:
                failure = error
            code = EXIT_FAILED
        stopped.cancel()
    finally:
        stop.set()
        pusher.stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await _cancel_late(cycles, SHUTDOWN_GRACE)
        await _cancel_late(services, SHUTDOWN_GRACE)
        await asyncio.gather(*services, return_exceptions=True)
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        await platforms.close()
        await app.aclose()
        undo_signals()
        log.info("stopped")
    if failure is not None:
        raise failure  # bad input (e.g. a refused token) exits 2 with its message
    return code
