"""Pauses of delivery for lack of rights: the backoff table and the state's round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.paused import MAX_RETRY, Pause, next_pause, pause_backoff

NOW = datetime(2026, 9, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 10), (2, 20), (3, 40), (4, 80), (5, 120), (6, 120), (40, 120)]
)
def test_pause_backoff(attempts: int, minutes: int) -> None:
    """10 minutes after the first refused send, doubling, never more than 2 hours."""
    assert pause_backoff(attempts) == timedelta(minutes=minutes)
    assert pause_backoff(attempts) <= MAX_RETRY


def test_pause_backoff_counts_from_one() -> None:
    """A pause without a refused send has no backoff."""
    with pytest.raises(ValueError):
        pause_backoff(0)


def test_next_pause_keeps_since_and_counts() -> None:
    """Each refusal counts one more attempt, keeps when the pause began and moves the next try."""
    first = next_pause(None, "not enough rights to send text messages to the chat", NOW)
    assert (first.since, first.attempts) == (NOW.timestamp(), 1)
    assert first.retry_at == (NOW + timedelta(minutes=10)).timestamp()
    later = NOW + timedelta(minutes=10)
    second = next_pause(first, "Missing Permissions (code 50013)", later)
    assert (second.since, second.attempts, second.reason) == (
        first.since,
        2,
        "Missing Permissions (code 50013)",
    )
    assert second.retry_at == (later + timedelta(minutes=20)).timestamp()
    assert Pause.from_json(second.to_json()) == second
