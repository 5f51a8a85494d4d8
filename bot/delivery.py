"""What the core asks of a chat platform: deliver a digest or a line of text to one chat.

Adapters implement ``Platform``. They render with their own rules (length limits, markup), send
message by message, and after each message the platform acknowledged they await
``on_sent(paper_ids_in_that_message)`` so the ledger records exactly what arrived. They translate
their SDK's errors into ``bot.errors.DeliveryError`` subclasses at the edge.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from bot.models import ChatKey, Digest

OnSent = Callable[[Sequence[str]], Awaitable[None]]


class Platform(Protocol):
    """A chat platform as the push and the commands see it."""

    name: str

    async def send_digest(
        self, chat: ChatKey, digest: Digest, on_sent: OnSent, max_messages: int | None = None
    ) -> None:
        """Send the digest as one or more messages, calling ``on_sent`` after each acknowledged one
        with the ids of the papers shown in full in it (``digest.full``; papers only counted stay
        reachable with ``/more``).

        With ``max_messages``, at most that many messages are sent: papers of ``digest.full`` that
        do not fit are left out from the end (rendered with a smaller ``shown``, so the header's
        counts and the "more" line stay true). Raises ``ChatGone``, ``ChatMigrated`` or
        ``DeliveryFailed``; never drops a message silently.
        """
        ...

    async def send_text(self, chat: ChatKey, text: str) -> None:
        """Send one plain-text message (escaped by the adapter)."""
        ...
