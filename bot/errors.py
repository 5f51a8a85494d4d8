"""The exceptions of arxiv-digest.

    DigestError                 base of everything raised on purpose
    ├── BadInput                the user asked for something we do not accept (CLI exit code 2)
    │   ├── UnknownCategory     carries ``suggestions``
    │   ├── BadDate             carries ``nearest`` announcement days
    │   └── BadSetting          a setting refused at start or by its service; carries ``setting``
    └── SourceError             arXiv or another service could not give an answer (CLI exit code 3)
        ├── SourceUnavailable   unreachable, 429 or 5xx after retries; carries ``retry_after`` and,
        │                       per host tried, the cause (DNS, refused, timeout, HTTP status)
        ├── MalformedResponse   an answer we cannot parse, or arXiv's own error entry; ``cause``
        ├── BatchNotReady       a batch that is announced (or asked for) cannot be had yet: the feed
        │   │                   does not show it and the export API has nothing for it; carries the
        │   │                   listing date, the categories waiting, the reason and ``retry_at``
        │   └── StaleFeed       the feed still shows an older batch than the one announced
        └── StoreUnavailable    the store (Redis or the SQLite file) cannot be reached or written
    DeliveryError               a platform refused or failed a message
    ├── ChatGone                blocked, kicked, deleted or deactivated: unsubscribe the chat
    ├── ChatMigrated            the chat has a new id (``new_chat_id``): move it and send there
    ├── NoRights                the bot may not post there (muted, restricted, a missing permission):
    │                           pause delivery, keep the chat and its settings; carries ``reason``
    ├── TokenRejected           the platform refused the bot's token: nothing can be sent through it
    │                           until the setting is fixed; carries ``setting``
    └── DeliveryFailed          transient failure after retries; carries ``retry_after``, and
                                ``unreachable`` when the platform itself could not be reached

Every message is written for the person who reads it: what is wrong and what is accepted.
No message ever contains a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal


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


class BadSetting(BadInput):
    """A setting that cannot work: refused by the service it is for (a rejected bot token) or
    unusable on this host (a port in use). ``setting`` is its environment name; the message says
    what is accepted and never quotes a secret. Retrying cannot help until the setting changes."""

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(message)


class SourceError(DigestError):
    """A source or service could not give an answer."""


class SourceUnavailable(SourceError):
    """Unreachable, throttled or failing after retries.

    ``failures`` holds, per host tried, ``(host, cause, attempts)``: the cause in words ("DNS lookup
    failed", "connection refused", "no answer within 30 s", "HTTP 503") and how many requests were
    sent. ``retry_after`` is the wait (seconds) a ``Retry-After`` asked for, if any.
    """

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        failures: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        self.retry_after = retry_after
        self.failures = tuple(failures)
        super().__init__(message)


class MalformedResponse(SourceError):
    """An answer that cannot be parsed, or an error entry returned by arXiv. ``cause`` says what
    came instead, in a few words ("an HTML page instead of a feed"), when known."""

    def __init__(self, message: str, cause: str | None = None) -> None:
        self.cause = cause
        super().__init__(message)


NotReadyReason = Literal["stale", "empty_feed", "feed_failed", "api_lag"]
"""Why a batch cannot be had yet: the feed still shows the previous batch (for every category or
for some); the feed is empty on a listing day (possibly an arXiv holiday); the feed failed (an
error page, a cut-off answer, unreachable); or only the export API could serve it and it has
nothing for that day yet (it lags the announcement)."""


class BatchNotReady(SourceError):
    """The batch of ``listing_date`` for ``categories`` cannot be had yet; ask again at ``retry_at``.

    Neither the feed nor the export API has it: arXiv has not rebuilt the feed, one category of
    it is still on the previous batch, the feed is empty or failed, or the export API lags the
    announcement. ``shown`` is the older listing date the feed still shows, if any; ``detail`` the
    feed's failure and ``api_detail`` the export API's, in a few words.
    """

    def __init__(
        self,
        listing_date: date,
        categories: Sequence[str],
        reason: NotReadyReason,
        retry_at: datetime | None = None,
        shown: date | None = None,
        detail: str | None = None,
        api_detail: str | None = None,
        message: str | None = None,
    ) -> None:
        self.listing_date = listing_date
        self.categories = tuple(categories)
        self.reason: NotReadyReason = reason
        self.retry_at = retry_at
        self.shown = shown
        self.detail = detail
        self.api_detail = api_detail
        super().__init__(message or self._describe())

    @property
    def expected(self) -> date:
        """The listing date asked for (the batch announced but not to be had yet)."""
        return self.listing_date

    @property
    def retry_after(self) -> float | None:
        """Seconds from now until ``retry_at`` (None if unknown)."""
        if self.retry_at is None:
            return None
        return max(0.0, (self.retry_at - datetime.now(UTC)).total_seconds())

    def _describe(self) -> str:
        day = self.listing_date.isoformat()
        cats = ", ".join(self.categories)
        api = (
            f"its export API failed ({self.api_detail})"
            if self.api_detail
            else f"its export API has nothing for {day} yet"
        )
        if self.reason == "stale":
            shown = f" of {self.shown.isoformat()}" if self.shown else ""
            cause = f"arXiv's feed still shows the previous batch{shown} for {cats}, and {api}"
        elif self.reason == "empty_feed":
            cause = f"arXiv's feed is empty on a listing day (possibly an arXiv holiday), and {api}"
        elif self.reason == "feed_failed":
            cause = f"arXiv's feed failed ({self.detail or 'no usable answer'}), and {api}"
        elif self.api_detail:
            cause = api
        else:
            cause = f"arXiv's export API lists no papers of {cats} for {day} yet"
        when = (
            f"; asking again after {self.retry_at.astimezone(UTC).strftime('%Y-%m-%d %H:%M')} UTC"
            if self.retry_at is not None
            else "; try again later"
        )
        return f"the batch of {day} is not available yet: {cause}{when}"


class StaleFeed(BatchNotReady):
    """The feed still shows an older batch (``shown``) than the one announced (``expected``)."""

    def __init__(
        self,
        shown: date,
        expected: date,
        categories: Sequence[str] = (),
        retry_at: datetime | None = None,
        api_detail: str | None = None,
    ) -> None:
        super().__init__(expected, categories, "stale", retry_at, shown, None, api_detail)
        self.shown: date = shown


class DeliveryError(DigestError):
    """A platform refused or failed to deliver a message."""


class ChatGone(DeliveryError):
    """The chat blocked or removed the bot, or no longer exists: unsubscribe it."""


class ChatMigrated(DeliveryError):
    """The chat moved to a new id (a Telegram group upgraded to a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        self.new_chat_id = new_chat_id
        super().__init__(f"chat migrated to {new_chat_id}")


class NoRights(DeliveryError):
    """The bot is in the chat but may not post there: a muted or restricted bot, a channel that took
    away its posting right, a missing Discord permission. Not a removal: the chat keeps its
    subscriptions and settings, and delivery resumes once the right returns.

    ``reason`` is the platform's own words (e.g. ``not enough rights to send text messages to the
    chat``, ``Missing Permissions (code 50013)``).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the bot may not post in this chat: {reason}")


class TokenRejected(DeliveryError):
    """The platform refused the bot's token; ``setting`` names the one to fix (never its value)."""

    def __init__(self, platform: str, setting: str) -> None:
        self.platform = platform
        self.setting = setting
        super().__init__(f"{platform} refused the bot token: check {setting}")


class DeliveryFailed(DeliveryError):
    """A transient failure that outlasted the retries; try the chat again later.

    ``retry_after`` is the platform's own wait (seconds), if it gave one; ``unreachable`` says the
    platform could not be reached at all (network, timeouts, 5xx), which concerns every chat of it,
    as opposed to a refusal of this one message.
    """

    def __init__(self, message: str, retry_after: float | None = None, unreachable: bool = False) -> None:
        self.retry_after = retry_after
        self.unreachable = unreachable
        super().__init__(message)


class StoreUnavailable(SourceError):
    """The store cannot be reached or written (Redis down, the SQLite file locked or unwritable).
    The message names the store with any password masked; chat commands answer "try again in a
    minute" and the next command tries again."""
