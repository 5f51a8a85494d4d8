"""Discord buttons, pure: the custom_id grammar (made and parsed) and the layout of a message's
buttons within Discord's 5 rows of 5, checked against the fake Discord's validation."""

from __future__ import annotations

from datetime import date

import discord
import pytest

from adapters.discord.buttons import (
    CUSTOM_ID_LIMIT,
    MAX_ROWS,
    PAPERS_PER_MESSAGE,
    ROW_WIDTH,
    Button,
    ButtonsView,
    Press,
    custom_id,
    layout,
    more_button,
    parse_custom_id,
    view_of,
    vote_buttons,
)
from tests.fakes.discord import validate_components

LISTING = date(2026, 6, 23)


@pytest.mark.parametrize(
    ("raw", "press"),
    [
        ("like:2606.12345", Press("like", "2606.12345")),
        ("dislike:2606.12345", Press("dislike", "2606.12345")),
        ("like:2606.12345v2", Press("like", "2606.12345v2")),
        ("like:0704.0001", Press("like", "0704.0001")),
        ("dislike:math.GT/0309136", Press("dislike", "math.GT/0309136")),
        ("like:hep-th/9901001", Press("like", "hep-th/9901001")),
        ("more:2026-06-23", Press("more", "2026-06-23")),
        ("more:2028-02-29", Press("more", "2028-02-29")),
    ],
)
def test_payloads_that_parse(raw: str, press: Press) -> None:
    """A button's custom_id parses into its action and argument, and reads back unchanged."""
    assert parse_custom_id(raw) == press
    assert custom_id(press.action, press.value) == raw


@pytest.mark.parametrize(
    "raw",
    [
        None,
        42,
        "",
        "like",
        "like:",
        ":2606.12345",
        "LIKE:2606.12345",
        "share:2606.12345",
        "subscribe:cs.DC",
        "like:2606.12345 /unsubscribe all",
        "like:2606.12345\n",
        " like:2606.12345",
        "like:2606.12345:extra",
        "like:2606.123",
        "like:../../2606.12345",
        "like:<@&123456789012345678>",
        "like:@everyone",
        "dislike:2026-06-23",
        "more:2606.12345",
        "more:2026-02-30",
        "more:2026-6-23",
        "more:tomorrow",
        "more:2026-06-23T00:00",
        "more:",
        "like:" + "1" * 200,
        "like:2606.12345" + " " * 100,
        "like:２６０６.１２３４５",
        "more:２０２６-０６-２３",
    ],
)
def test_payloads_that_do_not_parse(raw: object) -> None:
    """Anything but a vote on an arXiv id or More on a real listing date is refused, whatever it
    carries (commands, mentions, other actions, full-width digits, extra text, over 100 characters)."""
    assert parse_custom_id(raw) is None


def test_command_of_a_press() -> None:
    """A press becomes the text command the core answers."""
    assert parse_custom_id("like:2606.12345") == Press("like", "2606.12345")
    assert Press("like", "2606.12345").command == "/like 2606.12345"
    assert Press("dislike", "math.GT/0309136").command == "/dislike math.GT/0309136"
    assert Press("more", "2026-06-23").command == "/more 2026-06-23"


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("like", "not an id"),
        ("more", "2026-13-01"),
        ("dislike", "a" * 85 + "/1234567"),
    ],
)
def test_no_custom_id_for_a_value_no_button_can_carry(action: str, value: str) -> None:
    """No custom_id is made for a value that is not an id or a date, or that would pass 100 characters."""
    assert custom_id(action, value) is None  # type: ignore[arg-type]
    assert len("dislike:" + "a" * 85 + "/1234567") > CUSTOM_ID_LIMIT


def test_vote_buttons_show_the_paper_number() -> None:
    """👍 and 👎 are labelled with the paper's number; an id no button can carry gets none."""
    like, dislike = vote_buttons(12, "2606.12345", "en")
    assert (like.label, like.custom_id) == ("👍 12", "like:2606.12345")
    assert (dislike.label, dislike.custom_id) == ("👎 12", "dislike:2606.12345")
    assert vote_buttons(1, "not an id", "en") == ()


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "More (7)"), ("zh", "更多（7）"), ("zh-TW", "更多（7）"), ("de", "More (7)")],
)
def test_more_button(language: str, label: str) -> None:
    """More (n) in the chat's language, carrying the listing date; none when nothing remains."""
    button = more_button(LISTING, 7, language)
    assert button == Button("more:2026-06-23", label, discord.ButtonStyle.primary)
    assert more_button(LISTING, 0, language) is None


def _papers(n: int, first: int = 1) -> list[tuple[int, str]]:
    return [(first + i, f"2606.{20000 + first + i:05d}") for i in range(n)]


@pytest.mark.parametrize(
    ("papers", "with_more", "widths"),
    [
        (0, False, []),
        (0, True, [1]),
        (1, False, [2]),
        (1, True, [3]),
        (2, False, [4]),
        (2, True, [5]),
        (3, True, [4, 3]),
        (4, True, [4, 5]),
        (5, False, [4, 4, 2]),
        (9, True, [4, 4, 4, 4, 3]),
        (10, False, [4, 4, 4, 4, 4]),
        (10, True, [4, 4, 4, 4, 5]),
    ],
)
def test_layout_two_papers_a_row(papers: int, with_more: bool, widths: list[int]) -> None:
    """Two papers a row, each with 👍 then 👎; More ends the last row; at most 5 rows of 5, with
    unique custom_ids, valid for Discord."""
    more = more_button(LISTING, 3, "en") if with_more else None
    listed = _papers(papers, first=11)
    rows = layout(listed, "en", more)
    assert [len(row) for row in rows] == widths
    assert len(rows) <= MAX_ROWS and all(len(row) <= ROW_WIDTH for row in rows)
    flat = [button for row in rows for button in row]
    expected = [f"{kind}:{pid}" for _, pid in listed for kind in ("like", "dislike")]
    if more is not None:
        expected.append("more:2026-06-23")
    assert [b.custom_id for b in flat] == expected
    labels = [f"{mark} {n}" for n, _ in listed for mark in ("👍", "👎")]
    assert [b.label for b in flat] == labels + (["More (3)"] if more is not None else [])
    components = ButtonsView(rows).to_components()
    assert validate_components(components) is None
    assert [[c["custom_id"] for c in row["components"]] for row in components] == [
        [b.custom_id for b in row] for row in rows
    ]


def test_layout_refuses_more_papers_than_a_message_can_carry() -> None:
    """More papers than 5 rows can hold is an error, never a message Discord would refuse."""
    assert PAPERS_PER_MESSAGE == 10
    with pytest.raises(ValueError, match="do not fit"):
        layout(_papers(PAPERS_PER_MESSAGE + 1), "en")


def test_layout_skips_a_paper_without_buttons() -> None:
    """A paper whose id no button can carry gets no buttons; the others keep theirs."""
    rows = layout([(1, "2606.00001"), (2, "odd id"), (3, "2606.00003")], "en")
    assert [b.custom_id for row in rows for b in row] == [
        "like:2606.00001",
        "dislike:2606.00001",
        "like:2606.00003",
        "dislike:2606.00003",
    ]


def test_view_is_not_kept_in_memory() -> None:
    """The view only carries the buttons: presses are handled by custom_id, so discord.py keeps
    nothing of a sent view; a message without buttons gets no view."""
    view = view_of(layout(_papers(2), "en"))
    assert isinstance(view, ButtonsView)
    assert not view.is_dispatchable() and view.timeout is None
    assert view_of(()) is None


def _button(custom: str = "like:2606.00001", **changes: object) -> dict[str, object]:
    return {"type": 2, "style": 2, "label": "👍 1", "custom_id": custom, **changes}


def _rows(*rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{"type": 1, "components": row} for row in rows]


@pytest.mark.parametrize(
    ("components", "path"),
    [
        (_rows(*([_button(f"like:2606.{i:05d}")] for i in range(6))), ["components"]),
        (_rows([_button(f"like:2606.{i:05d}") for i in range(6)]), ["components", "0", "components"]),
        (_rows([]), ["components", "0", "components"]),
        ([_button()], ["components", "0", "type"]),
        (_rows([_button("x" * 101)]), ["components", "0", "components", "0", "custom_id"]),
        (_rows([_button("")]), ["components", "0", "components", "0", "custom_id"]),
        (_rows([_button(), _button()]), ["components", "0", "components", "1", "custom_id"]),
        (_rows([_button(style=7)]), ["components", "0", "components", "0", "style"]),
        (_rows([_button(label="x" * 81)]), ["components", "0", "components", "0", "label"]),
        (_rows([_button(style=5)]), ["components", "0", "components", "0", "url"]),
        (_rows([_button(url="https://arxiv.org")]), ["components", "0", "components", "0", "url"]),
    ],
)
def test_fake_refuses_buttons_as_discord_does(components: list[dict[str, object]], path: list[str]) -> None:
    """The fake Discord answers 50035 Invalid Form Body, at the offending field, for more than 5
    rows or 5 buttons a row, a button outside a row, a custom_id empty, over 100 characters or
    repeated, an unknown style, a label over 80, a link button without url or a url elsewhere."""
    error = validate_components(components)
    assert error is not None and error["code"] == 50035
    errors = error["errors"]
    for key in path:
        errors = errors[key]
    assert errors["_errors"]


def test_fake_accepts_discords_own_example() -> None:
    """The fake accepts the action row of Discord's documented example (primary, link and danger)."""
    row = [
        {"type": 2, "custom_id": "click_yes", "label": "Accept", "style": 1},
        {"type": 2, "label": "Learn More", "style": 5, "url": "http://watchanimeattheoffice.com/"},
        {"type": 2, "custom_id": "click_no", "label": "Decline", "style": 4},
    ]
    assert validate_components(_rows(row)) is None
