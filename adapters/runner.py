"""``arxiv-digest run`` and ``arxiv-digest push``: the platforms, the push scheduler, metrics.

``run_forever`` serves every platform whose token is set, pushes due chats, serves ``/metrics`` and
``/healthz`` when ``METRICS_PORT`` is set, and runs until SIGTERM or SIGINT:

* Each platform runs under its own supervisor (``supervise``): an exception that ends it is logged
  in one line and the platform restarts after a backoff (1 s, doubling, at most 5 minutes), while
  the other platform and the push go on. Only a configuration error (``BadInput``, e.g. a token the
  platform refuses) ends the process, with exit code 2.
* A push cycle starts whenever a chat falls due (the due index's next entry), and at least every
  ``interval`` seconds. Cycles may overlap: a chat that must wait never holds the others, and a
  chat taken up by one cycle is skipped by the next.
* On SIGTERM/SIGINT no new chat is taken up, the chats being pushed get ``SHUTDOWN_GRACE`` seconds
  to finish (then they are cut off, released and left due), the platforms close, exit 0. A second
  SIGTERM/SIGINT cuts them off at once. A signal during start-up stops at once (one line, exit 0).

``push_once`` runs one cycle through the platforms' REST APIs (no gateway, no polling) and exits:
0; 2 when every chat failed because a platform refused its token (the line names the setting); 3
when arXiv was unreachable and nothing was sent, when every chat failed because the store or the
platform could not be reached, or when acknowledged deliveries could not be recorded before exit. SIGTERM/SIGINT stop it
the same way as ``run`` (one line, exit 0). It says in one line which chats it left for later.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from adapters.check import verify_platforms
from bot.delivery import Platform
from bot.engine import Clock, utc_now
from bot.errors import BadInput, BadSetting
from bot.metrics import Metrics, serve_metrics
from bot.outage import detail
from bot.push import Pusher, PushReport
from bot.settings import Settings
from bot.store import as_unavailable
from bot.store.base import Store

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.app import App

log = structlog.get_logger(__name__)

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
PUSH_INTERVAL = 30.0
"""Longest wait between push cycles in ``run`` (seconds); a chat falling due sooner wakes it."""
MIN_PUSH_GAP = 0.5
"""Shortest wait between push cycles in ``run`` (seconds)."""
MAX_CYCLES = 4
"""Push cycles of ``run`` that may run at once."""
SHUTDOWN_GRACE = 30.0
"""Seconds a stopping process gives the chats it is pushing to finish."""
FLUSH_PATIENCE = 60.0
"""Seconds ``push`` keeps trying to record acknowledged deliveries in a store that stopped answering."""
RESTART_INITIAL = 1.0
RESTART_MAX = 300.0
HEALTHY_AFTER = 60.0
"""A platform that ran this long (seconds) before failing restarts from the first backoff step."""
NO_PLATFORM = (
    "no chat platform configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN "
    "(the terminal chat, `arxiv-digest chat`, has no push)"
)

_T = TypeVar("_T")
Service = Callable[[], Coroutine[Any, Any, None]]
Sleep = Callable[[float], Awaitable[None]]


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


def _platforms(
    settings: Settings, app: App | None, stop: asyncio.Event | None, metrics: Metrics | None = None
) -> _Platforms:
    """The platforms whose token is set; their services too when ``app`` and ``stop`` are given."""
    found = _Platforms()
    if settings.telegram_bot_token is not None:
        from adapters.telegram.app import build_platform, run_telegram
        from adapters.telegram.limits import FloodControl

        flood = FloodControl()
        telegram = build_platform(settings, flood=flood, metrics=metrics)
        found.senders["telegram"] = telegram
        found.closers["telegram"] = telegram.close
        if app is not None and stop is not None:
            found.services["telegram"] = partial(
                run_telegram, settings, app.commands, app.store, stop, flood=flood, metrics=metrics
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


def restart_delay(failures: int, initial: float = RESTART_INITIAL, cap: float = RESTART_MAX) -> float:
    """Seconds before a platform's restart after ``failures`` failures in a row (1 → ``initial``,
    doubling, at most ``cap``)."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    return float(min(cap, initial * 2 ** min(failures - 1, 32)))


async def supervise(
    name: str,
    service: Service,
    stop: asyncio.Event,
    *,
    initial: float = RESTART_INITIAL,
    cap: float = RESTART_MAX,
    healthy_after: float = HEALTHY_AFTER,
    clock: Callable[[], float] | None = None,
) -> None:
    """Run ``service`` until ``stop`` is set, restarting it with backoff whenever it fails (or ends
    without being asked). Each failure is one log line; ``BadInput`` (a configuration error) is
    raised, since restarting cannot fix it."""
    loop = asyncio.get_running_loop()
    now = clock or loop.time
    failures = 0
    while not stop.is_set():
        started = now()
        try:
            await service()
        except BadInput:
            raise
        except Exception as error:
            failure: str = type(error).__name__
            why = detail(error)
        else:
            if stop.is_set():
                return
            failure, why = "Stopped", "the platform ended on its own"
        failures = 1 if now() - started >= healthy_after else failures + 1
        delay = restart_delay(failures, initial, cap)
        log.error(
            "platform_failed", platform=name, error=failure, detail=why, restart_in=delay, failures=failures
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if not stop.is_set():
            log.info("platform_restarting", platform=name)


async def _wait_or_cancel(tasks: Iterable[asyncio.Task[Any]], grace: float) -> None:
    """Give ``tasks`` ``grace`` seconds to finish; cancel those still running."""
    running = set(tasks)
    if running:
        _, late = await asyncio.wait(running, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)


async def _finish_pushes(
    pusher: Pusher, cycles: set[asyncio.Task[Any]], grace: float, hurry: asyncio.Event | None = None
) -> None:
    """Stop taking chats up; let the chats in progress finish within ``grace`` (or until ``hurry``
    is set: a second SIGTERM/SIGINT), then cut them off (each releases its lease and stays due)."""
    pusher.stop()
    running = set(cycles)
    if not running:
        return
    everything = asyncio.ensure_future(asyncio.wait(running))
    hurried = asyncio.ensure_future((hurry or asyncio.Event()).wait())
    try:
        await asyncio.wait({everything, hurried}, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
    finally:
        everything.cancel()
        hurried.cancel()
    late = {task for task in running if not task.done()}
    if late:
        pusher.abort()
        await _wait_or_cancel(late, grace)


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's way (``gc.freeze``), so its
    full collections stay short: a long pause would bunch messages past the platforms' rate limits."""
    gc.collect()
    gc.freeze()


def _on_signals(
    stop: asyncio.Event, received: list[str], hurry: asyncio.Event | None = None
) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM and SIGINT (their names go to ``received``), and ``hurry`` on a
    second one; returns the undo."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, _stop_for, stop, signum, received, hurry)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass

    def undo() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return undo


def _stop_for(
    stop: asyncio.Event, signum: signal.Signals, received: list[str], hurry: asyncio.Event | None
) -> None:
    received.append(signum.name)
    if stop.is_set() and hurry is not None and not hurry.is_set():
        log.info("stopping_now", signal=signum.name)
        hurry.set()
    stop.set()


class _StoppedStarting(Exception):
    """SIGTERM/SIGINT came before start-up was over."""


async def _unless_stopped(stop: asyncio.Event, work: Coroutine[Any, Any, _T]) -> _T:
    """``work``'s result; cancelled and ``_StoppedStarting`` raised if ``stop`` is set first (a
    platform or the store that does not answer must not hold a stop asked for during start-up)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task.cancelled():
        raise _StoppedStarting
    return task.result()


def _stopped_starting(received: list[str]) -> int:
    log.info("stopped", signal=received[0] if received else None, during="start-up")
    return EXIT_OK


async def _flush(pusher: Pusher, patience: float, sleep: Sleep = asyncio.sleep) -> bool:
    """Record acknowledged deliveries the store could not take, trying for ``patience`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    delay = 0.5
    while not await pusher.flush():
        if loop.time() + delay > deadline:
            return False
        await sleep(delay)
        delay = min(delay * 2, 5.0)
    return True


def _exit_code(report: PushReport, recorded: bool) -> int:
    """``push``'s exit code for what its cycle did; raises ``BadSetting`` (exit 2) when every chat
    failed because a platform refused its token."""
    if report.all_failed and report.rejected and not report.store_errors and not report.errors:
        settings = " and ".join(report.token_settings) or "the bot token"
        raise BadSetting(
            report.token_settings[0] if report.token_settings else "TELEGRAM_BOT_TOKEN",
            f"every chat failed: the platform refused {settings}; set the bot token again",
        )
    if not recorded:
        log.error(
            "push_deliveries_unrecorded", detail="the store did not answer; these chats may get a repeat"
        )
        return EXIT_UNAVAILABLE
    if report.all_failed:
        log.error(
            "push_failed",
            chats=report.chats,
            store_errors=report.store_errors,
            undelivered=report.undelivered,
            rejected=report.rejected,
            errors=report.errors,
        )
        return EXIT_UNAVAILABLE
    if report.unreachable:
        log.error("push_unreachable", source_errors=report.source_errors)
        return EXIT_UNAVAILABLE
    return EXIT_OK


async def push_once(
    settings: Settings,
    everyone: bool = False,
    *,
    clock: Clock = utc_now,
    platforms: Mapping[str, Platform] | None = None,
    stop_event: asyncio.Event | None = None,
    grace: float = SHUTDOWN_GRACE,
    flush_patience: float = FLUSH_PATIENCE,
    metrics: Metrics | None = None,
) -> int:
    """One push cycle, then exit (codes in the module's docstring)."""
    stop = stop_event or asyncio.Event()
    received: list[str] = []
    hurry = asyncio.Event()
    undo_signals = _on_signals(stop, received, hurry)
    try:
        return await _push_once(
            settings, everyone, clock, platforms, stop, received, grace, flush_patience, metrics, hurry
        )
    except _StoppedStarting:
        return _stopped_starting(received)
    finally:
        undo_signals()


async def _push_once(
    settings: Settings,
    everyone: bool,
    clock: Clock,
    platforms: Mapping[str, Platform] | None,
    stop: asyncio.Event,
    received: list[str],
    grace: float,
    flush_patience: float,
    metrics: Metrics | None,
    hurry: asyncio.Event,
) -> int:
    from adapters.app import build_app

    metrics = metrics or Metrics()
    own = _Platforms() if platforms is not None else _platforms(settings, None, None, metrics)
    senders = dict(platforms) if platforms is not None else own.senders
    if not senders:
        raise BadInput(NO_PLATFORM)
    try:
        app = await _unless_stopped(stop, build_app(settings, clock=clock))
    except BaseException:
        await own.close()
        raise
    try:
        await _unless_stopped(stop, verify_platforms(senders))
    except BaseException:
        await own.close()
        await app.aclose()
        raise
    pusher = Pusher(
        app.store, app.engine, senders, clock=clock, metrics=metrics, default_top=settings.default_top
    )
    try:
        settle_heap()
        cycle = asyncio.create_task(pusher.run_once(everyone=everyone))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({cycle, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not cycle.done():
            await _finish_pushes(pusher, {cycle}, grace, hurry)
        report = await cycle
        recorded = await _flush(pusher, flush_patience)
    finally:
        await pusher.close()
        await own.close()
        await app.aclose()
    if stop.is_set():
        log.info(
            "push_stopped",
            signal=received[0] if received else None,
            chats=report.chats,
            handed_back=report.handed_back,
        )
    return _exit_code(report, recorded)


async def _push_when_due(
    pusher: Pusher,
    store: Store,
    stop: asyncio.Event,
    clock: Clock,
    interval: float,
    cycles: set[asyncio.Task[Any]],
) -> None:
    """Start a push cycle now, then whenever the next chat falls due (at least every ``interval``
    seconds), until ``stop``."""

    async def cycle() -> None:
        try:
            await pusher.run_once()
        except Exception as error:  # run_once reports its own faults; this is a last resort
            log.error("push_cycle_failed", error=type(error).__name__, detail=detail(error))

    while not stop.is_set():
        if len(cycles) < MAX_CYCLES:
            task = asyncio.create_task(cycle(), name="push-cycle")
            cycles.add(task)
            task.add_done_callback(cycles.discard)
        wait = interval
        now = clock().timestamp()
        try:
            upcoming = await store.next_due(now)
        except Exception as error:
            if as_unavailable(error) is not None:
                pusher.outage.failed(error)
            else:
                log.warning("push_schedule_read_failed", error=type(error).__name__, detail=detail(error))
        else:
            if upcoming is not None:
                wait = min(interval, max(MIN_PUSH_GAP, upcoming - now))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)


async def run_forever(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    interval: float = PUSH_INTERVAL,
    stop_event: asyncio.Event | None = None,
    metrics: Metrics | None = None,
    grace: float = SHUTDOWN_GRACE,
    restart_initial: float = RESTART_INITIAL,
) -> int:
    """Serve the platforms and push on schedule until SIGTERM/SIGINT (or ``stop_event``)."""
    if settings.telegram_bot_token is None and settings.discord_bot_token is None:
        raise BadInput(NO_PLATFORM)
    stop = stop_event or asyncio.Event()
    received: list[str] = []
    hurry = asyncio.Event()
    undo_signals = _on_signals(stop, received, hurry)
    try:
        return await _run_forever(
            settings, clock, interval, stop, received, metrics, grace, restart_initial, hurry
        )
    except _StoppedStarting:
        return _stopped_starting(received)
    finally:
        undo_signals()


async def _run_forever(
    settings: Settings,
    clock: Clock,
    interval: float,
    stop: asyncio.Event,
    received: list[str],
    metrics: Metrics | None,
    grace: float,
    restart_initial: float,
    hurry: asyncio.Event,
) -> int:
    from adapters.app import build_app

    metrics = metrics or Metrics()
    app = await _unless_stopped(stop, build_app(settings, clock=clock, metrics=metrics))
    platforms = _platforms(settings, app, stop, metrics)
    metrics_runner: web.AppRunner | None = None
    try:
        await _unless_stopped(stop, verify_platforms(platforms.senders))
        if settings.metrics_port is not None:
            metrics_runner = await serve_metrics(metrics, app.store.ping, settings.metrics_port)
    except BaseException:
        await platforms.close()
        await app.aclose()
        raise
    metrics.track_arxiv_requests(lambda: app.source.requests)
    pusher = Pusher(
        app.store,
        app.engine,
        platforms.senders,
        clock=clock,
        metrics=metrics,
        default_top=settings.default_top,
    )
    cycles: set[asyncio.Task[Any]] = set()
    settle_heap()

    services = {
        asyncio.create_task(
            supervise(name, service, stop, initial=restart_initial), name=f"platform:{name}"
        ): name
        for name, service in platforms.services.items()
    }
    scheduler: asyncio.Task[None] | None = None
    failure: BadInput | None = None
    try:
        scheduler = asyncio.create_task(
            _push_when_due(pusher, app.store, stop, clock, interval, cycles), name="push-scheduler"
        )
        log.info("running", platforms=sorted(platforms.senders), push_every=interval)
        stopped: asyncio.Task[Any] = asyncio.create_task(stop.wait())
        waiting: set[asyncio.Task[Any]] = {stopped, *services}
        while not stop.is_set():
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stopped}:
                waiting.discard(task)
                error = task.exception() if not task.cancelled() else None
                if isinstance(error, BadInput):
                    failure = failure or error
                    stop.set()
                elif error is not None:  # a supervisor never ends otherwise: say so, keep the rest
                    log.error(
                        "platform_supervisor_failed", platform=services[task], error=type(error).__name__
                    )
        stopped.cancel()
        if received:
            log.info("stopping", signal=received[0])
    finally:
        stop.set()
        if scheduler is not None:
            await _wait_or_cancel([scheduler], 1.0)
        await _finish_pushes(pusher, cycles, grace, hurry)
        await pusher.flush()
        await pusher.close()
        await _wait_or_cancel(services, grace)
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        await platforms.close()
        await app.aclose()
        log.info("stopped")
    if failure is not None:
        raise failure  # bad input (e.g. a refused token) exits 2 with its message
    return EXIT_OK
