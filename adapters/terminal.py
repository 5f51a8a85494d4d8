"""``arxiv-digest chat``: chat commands read from standard input, replies printed as plain text.

Same handlers and store as the real platforms; the terminal chat is ``ChatKey("terminal", ID)``.
"""

from __future__ import annotations

import asyncio
from typing import BinaryIO, TextIO

from bot.commands import Caller, Commands, DigestReply, Reply
from bot.models import ChatKey
from bot.render import render_text
from bot.settings import Settings

MAX_LINE = 16384


def render_reply(reply: Reply) -> str:
    if isinstance(reply, DigestReply):
        text = render_text(reply.digest)
        return f"{reply.notice}\n{text}" if reply.notice else text
    return reply.text.rstrip("\n") + "\n"


async def serve(commands: Commands, chat: ChatKey, lines: BinaryIO, out: TextIO) -> None:
    """Answer each line of ``lines`` in order."""
    caller = Caller(chat=chat)
    while True:
        raw = await asyncio.to_thread(lines.readline, MAX_LINE)
        if not raw:
            return
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        if "\ufffd" in text:
            out.write("That line is not valid UTF-8 text; please send commands as UTF-8, e.g. /help\n")
            out.flush()
            continue
        if not text.startswith("/"):
            out.write("Commands start with /, e.g. /subscribe cs.DC — /help lists them all.\n")
            out.flush()
            continue
        reply = await commands.handle(caller, text)
        if reply is None:
            continue
        out.write(render_reply(reply))
        out.flush()
        if isinstance(reply, DigestReply):
            await commands.delivered(chat, reply.digest.paper_ids())


async def run_terminal(settings: Settings, chat_id: str, lines: BinaryIO, out: TextIO) -> int:
    from adapters.app import build_app

    app = await build_app(settings)
    try:
        await serve(app.commands, ChatKey("terminal", chat_id), lines, out)
    finally:
        await app.aclose()
    return 0
