"""``arxiv-digest chat``: chat commands read from standard input, replies printed as plain text.

Same handlers and store as the real platforms; the terminal chat is ``ChatKey("terminal", ID)``.
On a terminal it greets, shows a ``>`` prompt before each command and leaves on Ctrl-D; when input
or output is piped it prints no greeting or prompt and ends every reply with ``REPLY_END`` on a line
of its own, so a script can tell the replies apart. On a terminal, a command still running after
``WORKING_AFTER`` seconds (arXiv or the LLM being slow) shows a line saying it is under way. The terminal has no daily push: replies say so
instead of promising one.
"""

from __future__ import annotations

import asyncio
from typing import BinaryIO, TextIO

from bot.commands import Caller, Commands, DigestReply, Reply
from bot.i18n import t
from bot.models import ChatKey
from bot.render import render_text
from bot.settings import Settings

MAX_LINE = 16384
PROMPT = "> "
REPLY_END = "\u2500" * 8
"""The line that ends each reply when the output is not a terminal."""
WORKING_AFTER = 1.0
"""Seconds a command runs on a terminal before a line says it is under way."""


def render_reply(reply: Reply) -> str:
    """A reply as text ending in one newline."""
    if isinstance(reply, DigestReply):
        text = render_text(reply.digest)
        return f"{reply.notice}\n{text}" if reply.notice else text
    return reply.text.rstrip("\n") + "\n"


def _is_tty(stream: BinaryIO | TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


async def _working(commands: Commands, caller: Caller) -> str:
    """ "Working on it…" in the caller's language (English when the store cannot tell it)."""
    try:
        return (await commands.hint(caller, "working")).text
    except Exception:
        return t("en", "working")


async def serve(
    commands: Commands,
    chat: ChatKey,
    lines: BinaryIO,
    out: TextIO,
    interactive: bool | None = None,
    working_after: float = WORKING_AFTER,
) -> None:
    """Answer each line of ``lines`` in order; ``interactive`` (default: both ends are terminals)
    greets, prompts and says when a command takes over ``working_after`` seconds, otherwise replies
    are separated by ``REPLY_END``."""
    if interactive is None:
        interactive = _is_tty(lines) and _is_tty(out)
    caller = Caller(chat=chat)

    def write(text: str) -> None:
        out.write(text)
        if not interactive:
            out.write(REPLY_END + "\n")
        out.flush()

    if interactive:
        out.write((await commands.hint(caller, "start_terminal")).text + "\n\n")
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        raw = await asyncio.to_thread(lines.readline, MAX_LINE)
        if not raw:
            if interactive:
                out.write("\n")
                out.flush()
            return
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        if "\ufffd" in text:
            write((await commands.hint(caller, "not_utf8")).text + "\n")
            continue
        handling = asyncio.ensure_future(commands.handle(caller, text))
        if interactive:
            finished, _ = await asyncio.wait({handling}, timeout=working_after)
            if not finished:
                out.write(await _working(commands, caller) + "\n")
                out.flush()
        reply = await handling
        if reply is None:
            reply = await commands.hint(caller, "not_a_command")
        write(render_reply(reply))
        if isinstance(reply, DigestReply):
            await commands.delivered(chat, [p.id for p in reply.digest.full])


async def run_terminal(settings: Settings, chat_id: str, lines: BinaryIO, out: TextIO) -> int:
    from adapters.app import build_app

    app = await build_app(settings)
    try:
        await serve(app.commands, ChatKey("terminal", chat_id), lines, out)
    finally:
        await app.aclose()
    return 0
