"""The exceptions of arxiv-digest.

    DigestError                 base of everything raised on purpose
    ├── BadInput                the user asked for something we do not accept (CLI exit code 2)
    │   ├── UnknownCategory     carries ``suggestions``
    │   └── BadDate             carries ``nearest`` announcement days
    └── SourceError             arXiv or another service could not give an answer (CLI exit code 3)
        ├── SourceUnavailable   unreachable, 429 or 5xx after retries; carries ``retry_after``
        ├── MalformedResponse   an answer we cannot parse, or arXiv's own error entry
        └── StaleFeed           the feed still shows an older batch than the one announced
    DeliveryError               a platform refused or failed a message
    ├── ChatGone                blocked, kicked, deleted or deactivated: unsubscribe the chat
    ├── ChatMigrated            the chat has a new id (``new_chat_id``): move it and send there
    └── DeliveryFailed          transient failure after retries; carries ``retry_after``

Every message is written for the person who reads it: what is wrong and what is accepted.
No message ever contains a secret.
"""

from __future__ import annotations

from datetime import date


def clip(text: str, limit: int = 40) -> str:
    """``text`` as quoted back in a message: at most ``limit`` characters, cut ones ending in ``...``."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DigestError(Exception):
    """Base of every error raised on purpose by arxiv-digest."""


class BadInput(DigestError):
    """Input we do not accept; the message says what is accepted."""


class UnknownCategory(BadInput):
    """A category code that is not in arXiv's taxonomy.

    ``given`` is the first unknown code; ``unknown`` lists the unknown codes of the same request
    (possibly only the first few) and ``unknown_count`` counts them all.
    """

    def __init__(
        self,
        given: str,
        suggestions: list[str],
        unknown: list[str] | None = None,
        unknown_count: int | None = None,
    ) -> None:
        self.given = given
        self.suggestions = suggestions
        self.unknown = unknown or [given]
        self.unknown_count = max(unknown_count or 0, len(self.unknown))
        shown = clip(given)
        if suggestions:
            hint = "did you mean " + " or ".join(suggestions) + "?"
        else:
            hint = "categories look like cs.DC, math.PR or hep-th (see https://arxiv.org/category_taxonomy)"
        message = f"unknown arXiv category {shown!r}: {hint}"
        if self.unknown_count > 1:
            others = self.unknown_count - 1
            message += f" (and {others} more unknown {'category' if others == 1 else 'categories'})"
        super().__init__(message)


class BadDate(BadInput):
    """A listing date that has no batch, or cannot be parsed."""

    def __init__(self, message: str, nearest: list[date] | None = None) -> None:
        self.nearest = nearest or []
        super().__init__(message)


class SourceError(DigestError):
    """A source or service could not give an answer."""


class SourceUnavailable(SourceError):
    """Unreachable, throttled or failing after retries."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class MalformedResponse(SourceError):
    """An answer that cannot be parsed, or an error entry returned by arXiv."""


class StaleFeed(SourceError):
    """The feed still shows an older batch than the latest announcement."""

    def __init__(self, shown: date, expected: date) -> None:
        self.shown = shown
        self.expected = expected
        super().__init__(
            f"arXiv's feed still shows the batch of {shown.isoformat()}, "
            f"but the batch of {expected.isoformat()} has been announced"
        )


class DeliveryError(DigestError):
    """A platform refused or failed to deliver a message."""


class ChatGone(DeliveryError):
    """The chat blocked or removed the bot, or no longer exists: unsubscribe it."""


class ChatMigrated(DeliveryError):
    """The chat moved to a new id (a Telegram group upgraded to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        self.new_chat_id = new_chat_id
        super().__init__(f"chat migrated to {new_chat_id}")


class DeliveryFailed(DeliveryError):
    """A transient failure that outlasted the retries; try the chat again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)
