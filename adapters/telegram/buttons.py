"""Inline keyboard buttons: their payloads (``callback_data``) and the keyboards' shape. Pure functions only.

A payload names an action and its argument, never a chat: ``like:<id>``, ``dislike:<id>`` (an arXiv
id without version, ``2606.12345`` or ``hep-th/0601001``) and ``more:<YYYY-MM-DD>`` (a listing
date). ``parse_payload`` accepts exactly these and nothing else, so a forged or damaged payload is
refused before anything runs; ``ButtonAction.command`` is the text command the core handles
(``/like 2606.12345``), in the chat of the message that carries the button.

Telegram's limits, kept here and checked by the fake Bot API: ``callback_data`` is 1–64 bytes of
UTF-8; an inline keyboard holds at most 100 buttons, at most 8 in a row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MAX_CALLBACK_DATA = 64
"""Telegram's limit for ``callback_data``, in bytes of UTF-8."""
MAX_BUTTONS = 100
"""Buttons in one inline keyboard."""
MAX_ROW = 8
"""Buttons in one row of an inline keyboard."""
VOTED = " ✓"
"""Appended to the label of the vote a chat gave (``👍 3 ✓``)."""

LIKE = "like"
DISLIKE = "dislike"
MORE = "more"
VOTES = frozenset({LIKE, DISLIKE})

_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)?)?/\d{7})(?:v\d{1,3})?"
_PAYLOAD = re.compile(
    rf"(?P<vote>{LIKE}|{DISLIKE}):(?P<id>{_ARXIV_ID})|{MORE}:(?P<day>\d{{4}}-\d{{2}}-\d{{2}})",
    re.ASCII,
)


@dataclass(frozen=True, slots=True)
class Button:
    """One inline keyboard button: the label shown and the ``callback_data`` sent back when pressed."""

    text: str
    data: str


Row = tuple[Button, ...]
Keyboard = tuple[Row, ...]
"""Rows of buttons, top to bottom; ``()`` is no keyboard."""


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """What a pressed button asks for: ``name`` (like, dislike, more) and its argument."""

    name: str
    argument: str

    @property
    def command(self) -> str:
        """The text command the core runs: ``/like 2606.12345``, ``/more 2026-09-24``."""
        return f"/{self.name} {self.argument}"


def fits(data: str) -> bool:
    """Whether ``data`` is valid ``callback_data`` (1–64 bytes of UTF-8)."""
    return 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA


def vote_data(name: str, paper_id: str) -> str:
    """``like:2606.12345`` / ``dislike:2606.12345``."""
    return f"{name}:{paper_id}"


def more_data(listing_date: date) -> str:
    """``more:2026-09-24``."""
    return f"{MORE}:{listing_date.isoformat()}"


def parse_payload(data: str | None) -> ButtonAction | None:
    """The action of a payload this bot made, or None for anything else (empty, unknown, forged,
    too long, an impossible date)."""
    if not data or not fits(data):
        return None
    match = _PAYLOAD.fullmatch(data)
    if match is None:
        return None
    if match["vote"]:
        return ButtonAction(match["vote"], match["id"])
    try:
        day = date.fromisoformat(match["day"])
    except ValueError:
        return None
    return ButtonAction(MORE, day.isoformat())


def button_count(keyboard: Keyboard) -> int:
    return sum(len(row) for row in keyboard)


def mark_vote(keyboard: Keyboard, action: ButtonAction) -> Keyboard:
    """The keyboard with ``action``'s vote shown on its paper's row (``👍 3 ✓``) and the other vote
    of that row unmarked; every other button and every payload unchanged."""
    if action.name not in VOTES:
        return keyboard
    chosen = vote_data(action.name, action.argument)
    other = vote_data(DISLIKE if action.name == LIKE else LIKE, action.argument)

    def relabel(button: Button) -> Button:
        base = button.text.removesuffix(VOTED)
        if button.data == chosen:
            return Button(base + VOTED, button.data)
        if button.data == other:
            return Button(base, button.data)
        return button

    return tuple(tuple(relabel(button) for button in row) for row in keyboard)
