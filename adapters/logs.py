"""Logging: one structured line per event on standard error, with every secret redacted.

``configure`` routes structlog and the standard library's ``logging`` (every library's logger:
python-telegram-bot, discord.py, httpx, redis, aiohttp, APScheduler …) through one handler whose
formatter renders ``key=value`` lines and then redacts them:

* the exact secrets it was given (bot tokens, API keys, passwords; also percent-encoded);
* the password (or the whole user part) of any URL (``redis://:pw@host`` → ``redis://:***@host``);
* anything shaped like a Telegram bot token, and ``secret_token``/``api_key``/``password`` values.

Redaction runs on the finished line, so it covers every level, every logger and tracebacks alike.
Messages from libraries below WARNING are demoted to DEBUG (library chatter), as are discord.py's
traceback per failed gateway connection while it reconnects (the client logs the outage once), and
discord.py's start-up warnings about voice support (a feature this bot does not use) are dropped. Uncaught
exceptions in the main thread or in other threads, and those Python can only ignore (in ``__del__``
or a finalizer), are logged the same way instead of printed raw.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote

import stamina.instrumentation
import structlog

MASK = "***"
OWN_LOGGERS = ("bot", "adapters", "summarizer", "bench", "tests", "__main__")
"""Loggers of this project; every other logger is a library's."""
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET = 4
"""Shorter exact secrets are not replaced everywhere (that would garble every line); they are still
masked where they appear as a URL password."""
_NOISY = (
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "openai",
    "arxiv",
    "urllib3",
    "aiohttp.access",
    "apscheduler",
)
"""Libraries kept at WARNING unless the level is DEBUG (they log one line per request)."""
_CHATTY = ("aiosqlite",)
"""Libraries kept at INFO even at DEBUG: aiosqlite writes a line for every statement its worker
thread runs, which tells an operator nothing the store's own lines do not."""
_DROPPED = (
    ("discord.client", "voice will NOT be supported"),
    ("discord.state", "Guilds intent seems to be disabled"),
)
"""(logger, message fragment) pairs that are never written: discord.py's start-up warnings about
voice support (unused here) and about the guilds intent on the push's gateway-less client."""
_DEMOTED = (("discord.client", "Attempting a reconnect in"),)
"""(logger, message fragment) pairs written at DEBUG only: discord.py's traceback for each failed
gateway connection while it reconnects (the Discord client logs the outage once)."""

_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/\s\"'<>]+)@")
_TELEGRAM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_\-]{30,}\b")
_KEYED = re.compile(
    r"(?P<key>\b(?:secret_token|api_key|apikey|password|passwd|access_token|authorization)\b"
    r"[\"']?\s*[:=]\s*(?:[\"'](?:Bearer\s+)?|(?:Bearer\s+)?))(?P<value>[^\"'\s,;&}]+)",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    user, sep, _ = match.group("userinfo").partition(":")
    return f"{match.group('scheme')}{user}:{MASK}@" if sep else f"{match.group('scheme')}{MASK}@"


class Redactor:
    """Replaces secrets in text: ``Redactor(["s3cret"])("key=s3cret")`` → ``"key=***"``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Redact these values too (and their percent-encoded forms)."""
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET:
                self._secrets.update({secret, quote(secret, safe=""), quote(secret)})
        if self._secrets:
            alternatives = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in alternatives))

    def __call__(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        if "@" in text:
            text = _URL_USERINFO.sub(_mask_userinfo, text)
        text = _TELEGRAM_TOKEN.sub(MASK, text)
        return _KEYED.sub(lambda m: m.group("key") + MASK, text)


_active = Redactor()


def redact(text: str) -> str:
    """``text`` with the secrets of the running process masked (what every log line goes through)."""
    return _active(text)


def is_own(name: str) -> bool:
    """Whether a logger belongs to this project rather than to a library."""
    return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


class LibraryLevels(logging.Filter):
    """Demotes libraries' INFO lines to DEBUG, drops known noise, and applies ``threshold``."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_own(record.name):
            if record.levelno < logging.WARNING and record.levelno > logging.DEBUG:
                record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            for name, fragment in _DROPPED:
                if record.name == name and fragment in str(record.msg):
                    return False
            for name, fragment in _DEMOTED:
                if record.name == name and fragment in str(record.msg):
                    record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= self.threshold


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, its finished line redacted and kept on one line."""

    def __init__(self, redactor: Redactor, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return self.redactor(line.replace("\r", "\\r").replace("\n", "\\n"))


def level_number(level: str) -> int:
    """``"debug"`` → ``logging.DEBUG``; unknown names → INFO (settings reject them earlier)."""
    return logging.getLevelNamesMapping().get(level.upper(), logging.INFO)


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> Redactor:
    """Send structlog and stdlib logging to stderr as ``key=value`` lines at ``level``, with
    ``secrets`` (and URL credentials, token-shaped strings) redacted from every line."""
    global _active
    numeric = level_number(level)
    redactor = Redactor(secrets)
    _active = redactor
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        timestamper,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(
            redactor,
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.LogfmtRenderer(key_order=["timestamp", "level", "event", "logger"]),
            ],
        )
    )
    handler.addFilter(LibraryLevels(numeric))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING)
    for chatty in _CHATTY:
        logging.getLogger(chatty).setLevel(max(numeric, logging.INFO))
    stamina.instrumentation.set_on_retry_hooks([retry_at_debug])
    # python-telegram-bot logs a non-JSON answer (a gateway's 502 page) with a traceback on every
    # attempt; the Telegram platform reports the outage once, so these lines show only at DEBUG.
    logging.getLogger("telegram.request").setLevel(
        logging.DEBUG if numeric <= logging.DEBUG else logging.CRITICAL
    )
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_exception
    sys.unraisablehook = _log_unraisable
    return redactor


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, traceback)
        return
    logging.getLogger("adapters.logs").critical("uncaught_exception", exc_info=(kind, error, traceback))


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    logging.getLogger("adapters.logs").error(
        "thread_exception",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


def _log_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """An exception Python could not raise (in ``__del__``, a finalizer, a closed event loop's
    callback): one redacted line instead of "Exception ignored in" printed raw."""
    error = unraisable.exc_value
    structlog.get_logger("adapters.logs").error(
        "unraisable_exception",
        where=repr(unraisable.object) if unraisable.object is not None else None,
        exc_info=(unraisable.exc_type, error, unraisable.exc_traceback) if error is not None else None,
    )


def retry_at_debug(details: stamina.instrumentation.RetryDetails) -> None:
    """stamina's retry hook: each scheduled retry is one DEBUG line (the final failure is reported
    once by whoever gives up)."""
    structlog.get_logger("stamina").debug(
        "retry_scheduled",
        retry_num=details.retry_num,
        caused_by=type(details.caused_by).__name__,
        wait_for=round(details.wait_for, 2),
    )
