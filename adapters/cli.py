"""The ``arxiv-digest`` command line (click). Heavy modules are imported inside each command so
``arxiv-digest --help`` stays fast.

Exit codes: 0 success; 2 bad input or a setting to fix (stderr says what is wrong and what is
accepted, in one line per problem); 3 a source or the store unreachable after retries.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 3
MAX_ARG = 200


_SETTINGS = (
    "Settings are read from the environment, or from a .env file in the current directory "
    "(every one is listed in .env.example)"
)
_EXIT_CODES = (
    "Exit codes: 0 success; 2 bad input or a setting to fix (stderr says what is wrong and what is "
    "accepted); 3 arXiv or the store unreachable after retries."
)


def _epilog(needs: str) -> str:
    return f"{_SETTINGS}. {needs}\n\n{_EXIT_CODES}"


def _fail(message: str, code: int) -> NoReturn:
    from adapters.logs import redact

    click.echo(redact(f"arxiv-digest: {message}"), err=True)
    sys.exit(code)


def load_settings(quiet: bool = False) -> Settings:
    """Build the settings once and set up logging with their secrets redacted. Every invalid
    setting gets one line naming it and what is accepted (never its value); then exit 2."""
    from pydantic import ValidationError

    from bot.settings import Settings, describe_errors

    try:
        settings = Settings()
    except ValidationError as error:
        for line in describe_errors(error):
            click.echo(f"arxiv-digest: invalid setting {line}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except (OSError, UnicodeDecodeError) as error:
        _fail(f"cannot read the .env file: {type(error).__name__}", EXIT_BAD_INPUT)
    from adapters.logs import configure

    level = settings.log_level if (not quiet or "LOG_LEVEL" in os.environ) else "WARNING"
    configure(level, settings.secret_values())
    return settings


def run_async(main: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Run a coroutine, mapping our errors to exit codes: bad input or a bad setting 2, a source or
    the store unreachable 3, each with one line on stderr."""
    from bot.errors import BadInput, SourceError

    try:
        code = asyncio.run(main())
    except BadInput as error:
        _fail(str(error), EXIT_BAD_INPUT)
    except SourceError as error:
        _fail(str(error), EXIT_UNAVAILABLE)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        from bot.store import as_unavailable

        failure = as_unavailable(error)
        if failure is None:
            raise
        _fail(str(failure), EXIT_UNAVAILABLE)
    sys.exit(code)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=_epilog("Each command's --help says which ones it uses."),
)
@click.version_option(package_name="arxiv-digest-bot", prog_name="arxiv-digest")
def main() -> None:
    """arXiv's new papers as a daily digest: in the terminal, Telegram and Discord."""


@main.command(
    epilog=_epilog(
        "Uses ARXIV_RSS_URL and ARXIV_API_URL (arXiv's own by default), STORE_URL (an embedded "
        "SQLite file by default), DEFAULT_LANGUAGE, DEFAULT_TOP, for LLM summaries OPENAI_API_KEY or "
        "OPENAI_BASE_URL with OPENAI_MODEL (without them each summary is an extract of the abstract), "
        "and OPENAI_EMBEDDING_MODEL to rank by meaning as well as by words."
    )
)
@click.argument("categories", nargs=-1)
@click.option(
    "--date", "listing", metavar="YYYY-MM-DD", help="A past listing date instead of the latest batch."
)
@click.option("--lang", "language", metavar="CODE", help="Summary language, e.g. en or zh.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
)
@click.option("--no-summary", is_flag=True, help="Skip summaries (summary_source none).")
@click.option(
    "--chat",
    "chat_id",
    metavar="ID",
    help="Apply that terminal chat's categories (when none are given), filter, interests, 👍/👎, "
    "announce types, top, language, title and time zone (see arxiv-digest chat --chat ID).",
)
@click.option("--interests", metavar="TEXT", help="Rank the papers for this text, most relevant first.")
@click.option(
    "--top",
    "top",
    metavar="N|all",
    help="Papers shown in full (with summaries) in text and markdown; json lists every matching "
    "paper, with summaries for these only. Default: the chat's, else DEFAULT_TOP.",
)
def today(
    categories: tuple[str, ...],
    listing: str | None,
    language: str | None,
    fmt: str,
    no_summary: bool,
    chat_id: str | None,
    interests: str | None,
    top: str | None,
) -> None:
    """Print the digest of the latest batch (or of --date) for CATEGORIES, e.g. cs.DC cs.LG, or for
    the categories of the terminal chat --chat ID."""
    settings = load_settings(quiet=True)
    options = TodayOptions(categories, listing, language, fmt, no_summary, chat_id, interests, top)
    run_async(lambda: _today(settings, options))


@dataclass(frozen=True)
class TodayOptions:
    """What ``arxiv-digest today`` was asked for, as given on the command line."""

    categories: tuple[str, ...]
    listing: str | None
    language: str | None
    fmt: str
    no_summary: bool
    chat_id: str | None
    interests: str | None
    top: str | None


async def _today(settings: Settings, options: TodayOptions) -> int:
    from dataclasses import replace

    from adapters.app import build_app
    from adapters.progress import progress_bar
    from bot import taxonomy
    from bot.commands import MAX_INTERESTS, interests_untranslated, parse_top, shown
    from bot.errors import BadInput
    from bot.i18n import LANGUAGE_HINT, normalize_language, t
    from bot.listing import parse_listing_date
    from bot.models import ChatKey, ChatSettings
    from bot.ranking import interest_words
    from bot.render import render_json, render_markdown, render_text
    from bot.settings import MAX_TOP
    from bot.summary import NoSummarizer

    cats = taxonomy.parse_categories(list(options.categories)) if options.categories else ()
    if not cats and options.chat_id is None:
        raise BadInput("no categories: give some, e.g. arxiv-digest today cs.DC, or --chat ID")
    lang: str | None = None
    if options.language is not None:
        lang = normalize_language(options.language)
        if lang is None:
            given = options.language[:MAX_ARG]
            raise BadInput(f"--lang {given!r} is not a language code: use {LANGUAGE_HINT}")
    top = parse_top(options.top) if options.top is not None else None
    if options.top is not None and top is None:
        raise BadInput(f"--top {options.top[:MAX_ARG]!r}: use a whole number from 1 to {MAX_TOP}, or all")
    interests = " ".join((options.interests or "").split())
    if len(interests) > MAX_INTERESTS:
        raise BadInput(
            f"--interests is {len(interests)} characters long; at most {MAX_INTERESTS} are accepted"
        )
    if interests and not interest_words(interests):
        raise BadInput(
            f"--interests {shown(interests)!r} has no words to rank papers by: name topics, methods or "
            'problems, e.g. --interests "3D Gaussian splatting"'
        )
    app = await build_app(settings)
    try:
        chat = ChatSettings(
            ChatKey("terminal", "local"),
            timezone=settings.default_timezone,
            language=settings.default_language,
        )
        feedback = []
        if options.chat_id is not None:
            key = ChatKey("terminal", options.chat_id[:MAX_ARG])
            found = await app.store.get_chat(key)
            if found is None:
                raise BadInput(
                    f"no terminal chat {key.chat_id!r}: set one up with arxiv-digest chat --chat {key.chat_id}"
                )
            chat, feedback = found, await app.store.get_feedback(key)
            if not cats and not chat.categories:
                raise BadInput(f"the terminal chat {key.chat_id!r} follows no category: give some")
        if options.interests is not None:
            chat = replace(chat, interests=interests)
        if top is not None:
            chat = replace(chat, top=top)
        lang = lang or chat.language
        if interests_untranslated(chat.interests, settings.llm_enabled):
            click.echo(f"arxiv-digest: {t(lang, 'interests_untranslated')}", err=True)
        categories = cats or chat.categories
        selection = chat.selection(feedback, settings.default_top)
        listing_date = parse_listing_date(options.listing, app.clock()) if options.listing else None
        batch = await app.engine.batch(categories, listing_date)
        ranked = await app.engine.build(categories, batch.listing_date, lang, selection, summarize=False)
        with progress_bar(len(ranked.full), "summaries") as bar:
            digest = await app.engine.summarize_full(
                ranked, NoSummarizer() if options.no_summary else None, progress=bar
            )
    finally:
        await app.aclose()
    own = chat.title if options.chat_id is not None and tuple(categories) == chat.categories else ""
    digest = replace(digest, title=own, timezone=chat.timezone)
    more = t(lang, "more_line_cli", n=digest.remaining) if digest.remaining else ""
    if options.fmt == "json":
        sys.stdout.write(render_json(digest))
    elif options.fmt == "markdown":
        sys.stdout.write(render_markdown(digest, more))
    else:
        sys.stdout.write(render_text(digest, more))
    return 0


@main.command(
    epilog=_epilog(
        "Uses the same settings as today (arXiv, STORE_URL, the LLM) and needs no chat token. "
        "On a terminal it greets and prompts; when piped, each reply ends with a line of ─. "
        "The terminal has no daily push: ask /today."
    )
)
@click.option("--chat", "chat_id", default="local", show_default=True, help="The terminal chat's id.")
def chat(chat_id: str) -> None:
    """Chat commands on standard input, one per line; replies on standard output."""
    settings = load_settings(quiet=True)
    from adapters.terminal import run_terminal

    run_async(lambda: run_terminal(settings, chat_id[:MAX_ARG], sys.stdin.buffer, sys.stdout))


@main.command(
    epilog=_epilog(
        "Needs TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN (a platform without its token stays off); "
        "uses STORE_URL (Redis for several replicas), the arXiv URLs, the LLM settings and METRICS_PORT."
    )
)
def run() -> None:
    """Run every platform whose token is set, plus the scheduler."""
    settings = load_settings()
    from adapters.runner import run_forever

    run_async(lambda: run_forever(settings))


@main.command(
    epilog=_epilog(
        "Needs the token of each platform to push to (TELEGRAM_BOT_TOKEN, DISCORD_BOT_TOKEN) and the "
        "STORE_URL the bot's chats are kept in; uses the arXiv URLs and the LLM settings."
    )
)
@click.option("--now", "everyone", is_flag=True, help="Treat every subscribed chat as due now.")
def push(everyone: bool) -> None:
    """Run one push cycle and exit."""
    settings = load_settings()
    from adapters.runner import push_once

    run_async(lambda: push_once(settings, everyone))


@main.command(
    epilog=_epilog(
        "Checks every setting, opens STORE_URL, and asks each platform whose token is set whether it "
        "accepts TELEGRAM_BOT_TOKEN / DISCORD_BOT_TOKEN (a platform that cannot be reached now is "
        "reported, not failed). Docker Compose runs it before starting the bot."
    )
)
def check() -> None:
    """Check the settings, the store and each platform's token, then exit: 0 ready to start,
    2 a setting to fix, 3 the store unreachable."""
    settings = load_settings(quiet=True)
    from adapters.check import run_check

    run_async(lambda: run_check(settings, sys.stdout))


if __name__ == "__main__":  # pragma: no cover
    main()
