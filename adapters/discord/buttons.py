"""Buttons under a digest: 👍/👎 for every paper shown in full, and "More (n)" for the rest of the day.

A button carries its action in its ``custom_id`` and nothing else: ``like:<id>``, ``dislike:<id>``
(``<id>`` an arXiv id without version, ``2606.12345`` or ``math.GT/0309136``) and
``more:<YYYY-MM-DD>`` (a listing date). Never a chat: a press acts on the channel the interaction
comes from, so a button can never act on another channel. A press becomes the text command
``/like <id>``, ``/dislike <id>`` or ``/more <YYYY-MM-DD>``.

Discord's limits for a message's buttons: at most 5 action rows of at most 5 buttons each (25),
a ``custom_id`` of 1 to 100 characters, unique within the message, a label of at most 80. A row
holds the two buttons of up to two papers, labelled with the papers' numbers (``👍 3`` ``👎 3``
``👍 4`` ``👎 4``), so a message of 10 papers (Discord's embed limit) needs 5 rows, and the last row
always has room for the "More" button.

The layout here is pure (values in, values out); ``ButtonsView`` turns it into discord.py's
``discord.ui.View`` to send. Presses are answered by custom_id (``DigestClient.on_interaction``),
so buttons keep working across restarts and no view is kept in memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import discord

from bot.i18n import t

CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
MAX_ROWS = 5
ROW_WIDTH = 5
PAPERS_PER_ROW = 2
PAPERS_PER_MESSAGE = MAX_ROWS * PAPERS_PER_ROW
"""Papers one message can carry buttons for (two per row, five rows)."""

Action = Literal["like", "dislike", "more"]
VOTES: tuple[Action, ...] = ("like", "dislike")

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7}"
_PAPER = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID})(?:v\d{{1,3}})?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Press:
    """A parsed button: the action and its argument (a paper id or a listing date)."""

    action: Action
    value: str

    @property
    def command(self) -> str:
        """The text command the button stands for: ``/like 2606.12345``, ``/more 2026-06-23``."""
        return f"/{self.action} {self.value}"


@dataclass(frozen=True, slots=True)
class Button:
    """One button: what it sends back (``custom_id``), what it shows, and its colour."""

    custom_id: str
    label: str
    style: discord.ButtonStyle = discord.ButtonStyle.secondary


Rows = tuple[tuple[Button, ...], ...]


def _valid_value(action: str, value: str) -> bool:
    if action in VOTES:
        return _PAPER.fullmatch(value) is not None
    if action == "more" and _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return False


def custom_id(action: Action, value: str) -> str | None:
    """``("like", "2606.12345")`` → ``"like:2606.12345"``; None when the value is not one a button
    may carry (not an arXiv id, not a date) or the result would pass Discord's 100 characters."""
    if not _valid_value(action, value):
        return None
    made = f"{action}:{value}"
    return made if len(made) <= CUSTOM_ID_LIMIT else None


def parse_custom_id(raw: object) -> Press | None:
    """The button a ``custom_id`` stands for, or None for anything this bot does not send:
    another action, a value that is not an arXiv id (votes) or a real date (more), extra text,
    whitespace, or more than 100 characters."""
    if not isinstance(raw, str) or not 0 < len(raw) <= CUSTOM_ID_LIMIT:
        return None
    action, colon, value = raw.partition(":")
    if not colon or action not in ("like", "dislike", "more") or not _valid_value(action, value):
        return None
    return Press(action, value)  # type: ignore[arg-type]


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def vote_buttons(number: int, paper_id: str, language: str) -> tuple[Button, ...]:
    """👍 and 👎 for paper ``number``; none for an id no button can carry."""
    like, dislike = custom_id("like", paper_id), custom_id("dislike", paper_id)
    if like is None or dislike is None:
        return ()
    return (
        Button(like, _label(f"{t(language, 'btn_like')} {number}")),
        Button(dislike, _label(f"{t(language, 'btn_dislike')} {number}")),
    )


def more_button(listing_date: date, remaining: int, language: str) -> Button | None:
    """ "More (n)" for the ``remaining`` papers of ``listing_date``; None when none remain."""
    made = custom_id("more", listing_date.isoformat())
    if remaining <= 0 or made is None:
        return None
    return Button(made, _label(t(language, "btn_more", n=remaining)), discord.ButtonStyle.primary)


def layout(papers: Sequence[tuple[int, str]], language: str, more: Button | None = None) -> Rows:
    """The rows of one message's buttons: ``papers`` as (number, paper id) in the message's order,
    two papers a row, then ``more`` in the last row (or a row of its own when the last is full).

    Raises ``ValueError`` when the buttons would not fit Discord's 5 rows of 5: a message carries
    at most ``PAPERS_PER_MESSAGE`` papers."""
    rows: list[tuple[Button, ...]] = []
    for start in range(0, len(papers), PAPERS_PER_ROW):
        row = tuple(
            button
            for number, paper_id in papers[start : start + PAPERS_PER_ROW]
            for button in vote_buttons(number, paper_id, language)
        )
        if row:
            rows.append(row)
    if more is not None:
        if rows and len(rows[-1]) < ROW_WIDTH:
            rows[-1] = (*rows[-1], more)
        else:
            rows.append((more,))
    if len(rows) > MAX_ROWS or any(len(row) > ROW_WIDTH for row in rows):
        raise ValueError(f"{len(papers)} papers' buttons do not fit {MAX_ROWS} rows of {ROW_WIDTH}")
    return tuple(rows)


class ButtonsView(discord.ui.View):
    """A message's buttons as discord.py sends them (``components``), one action row per row.

    Presses are handled by their ``custom_id`` in ``DigestClient.on_interaction`` (which works the
    same after a restart), so the view is not dispatchable: discord.py keeps nothing of it in
    memory once the message is sent."""

    def __init__(self, rows: Rows) -> None:
        super().__init__(timeout=None)
        for index, row in enumerate(rows):
            for button in row:
                self.add_item(
                    discord.ui.Button(
                        style=button.style, label=button.label, custom_id=button.custom_id, row=index
                    )
                )

    def is_dispatchable(self) -> bool:
        return False


def view_of(rows: Rows) -> discord.ui.View | None:
    """The view to send for ``rows``; None for a message without buttons."""
    return ButtonsView(rows) if rows else None
