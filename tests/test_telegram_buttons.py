"""Button payloads and keyboards: only the bot's own payloads parse, into the text commands the core
runs; a vote's mark moves within its row and touches nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.telegram.buttons import (
    MAX_CALLBACK_DATA,
    Button,
    ButtonAction,
    Keyboard,
    fits,
    mark_vote,
    more_data,
    parse_payload,
    vote_data,
)


@pytest.mark.parametrize(
    ("data", "command"),
    [
        ("like:2606.12345", "/like 2606.12345"),
        ("dislike:2606.12345", "/dislike 2606.12345"),
        ("like:0704.0001", "/like 0704.0001"),
        ("like:2606.12345v2", "/like 2606.12345v2"),
        ("dislike:hep-th/0601001", "/dislike hep-th/0601001"),
        ("like:math.AG/0601001v3", "/like math.AG/0601001v3"),
        ("more:2026-09-24", "/more 2026-09-24"),
        ("more:2028-02-29", "/more 2028-02-29"),
    ],
)
def test_payloads_that_parse(data: str, command: str) -> None:
    """The bot's payloads become the text command the core handles."""
    action = parse_payload(data)
    assert action is not None
    assert action.command == command


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "like:",
        "like",
        "more:",
        "LIKE:2606.12345",
        " like:2606.12345",
        "like:2606.12345 ",
        "like:2606.12345 -1001557912345",
        "like:2606.12345:-1001557912345",
        "like:2606.12345@-1001557912345",
        "like:2606.12345\n/unsubscribe all",
        "like:2606.12345;chat=-100",
        "more:2026-09-24@-1001557912345",
        "more:2026-09-24 -1001557912345",
        "more:2026-02-30",
        "more:2026-13-01",
        "more:2026-9-24",
        "more:20260924",
        "like:２６０６.１２３４５",
        "like:../../etc/passwd",
        "like:2606.123",
        "unsubscribe:all",
        "subscribe:cs.DC",
        "/like 2606.12345",
        "like:2606.12345" + "v1" * 30,
        "x" * (MAX_CALLBACK_DATA + 1),
        "👍:2606.12345",
    ],
)
def test_payloads_refused(data: str | None) -> None:
    """Anything but the bot's own payloads is refused: no chat id, no second command, no other action."""
    assert parse_payload(data) is None


@pytest.mark.parametrize(
    ("data", "ok"),
    [("a", True), ("x" * 64, True), ("x" * 65, False), ("", False), ("分" * 21, True), ("分" * 22, False)],
)
def test_callback_data_limit(data: str, ok: bool) -> None:
    """callback_data is 1–64 bytes of UTF-8, not characters."""
    assert fits(data) is ok


def test_builders_round_trip() -> None:
    """Every payload the bot builds parses back to its action and fits Telegram's limit."""
    for data, action in [
        (vote_data("like", "2606.12345"), ButtonAction("like", "2606.12345")),
        (vote_data("dislike", "cond-mat.str-el/0601001"), ButtonAction("dislike", "cond-mat.str-el/0601001")),
        (more_data(date(2026, 9, 24)), ButtonAction("more", "2026-09-24")),
    ]:
        assert fits(data)
        assert parse_payload(data) == action


def row(n: int) -> tuple[Button, Button]:
    return (Button(f"👍 {n}", f"like:2609.{n:05d}"), Button(f"👎 {n}", f"dislike:2609.{n:05d}"))


MORE = (Button("More (3)", "more:2026-09-24"),)
PLAIN: Keyboard = (row(1), row(2), MORE)


@pytest.mark.parametrize(
    ("keyboard", "action", "expected"),
    [
        (PLAIN, ButtonAction("like", "2609.00002"),
         (row(1), (Button("👍 2 ✓", "like:2609.00002"), Button("👎 2", "dislike:2609.00002")), MORE)),
        (PLAIN, ButtonAction("dislike", "2609.00001"),
         ((Button("👍 1", "like:2609.00001"), Button("👎 1 ✓", "dislike:2609.00001")), row(2), MORE)),
        (((Button("👍 1 ✓", "like:2609.00001"), Button("👎 1", "dislike:2609.00001")),),
         ButtonAction("dislike", "2609.00001"),
         ((Button("👍 1", "like:2609.00001"), Button("👎 1 ✓", "dislike:2609.00001")),)),
        (((Button("👍 1 ✓", "like:2609.00001"), Button("👎 1", "dislike:2609.00001")),),
         ButtonAction("like", "2609.00001"),
         ((Button("👍 1 ✓", "like:2609.00001"), Button("👎 1", "dislike:2609.00001")),)),
        (PLAIN, ButtonAction("like", "2609.09999"), PLAIN),
        (PLAIN, ButtonAction("more", "2026-09-24"), PLAIN),
        ((), ButtonAction("like", "2609.00001"), ()),
    ],
)  # fmt: skip
def test_mark_vote(keyboard: Keyboard, action: ButtonAction, expected: Keyboard) -> None:
    """The chosen vote is marked on its paper's row and the other vote of that row unmarked; payloads,
    other rows and the More button never change."""
    marked = mark_vote(keyboard, action)
    assert marked == expected
    assert [b.data for r in marked for b in r] == [b.data for r in keyboard for b in r]
