"""One log line per outage: when a service stops answering, and when it answers again.

A store that goes down in the middle of a push fails every call the push makes; each of those
failures is counted here instead of logged, so an operator reads one line saying what is down and
why, then one line saying it is back and how many calls failed meanwhile.
"""

from __future__ import annotations

import structlog

log = structlog.get_logger(__name__)

DETAIL_LIMIT = 200
"""Characters of an error's message kept in a log line."""


def detail(error: BaseException) -> str:
    """An error's message, shortened for a log line (its type name when it has none)."""
    text = str(error).strip() or type(error).__name__
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 3] + "..."


class Outage:
    """The state of one service (``"store"``): up, or down since its first failure."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.down = False
        self.failures = 0
        """Failures counted since the service went down (0 while it is up)."""

    def failed(self, error: BaseException) -> bool:
        """Count a failed call; the first one of an outage is logged. True if it was logged."""
        self.failures += 1
        if self.down:
            return False
        self.down = True
        log.warning(
            "service_unavailable", service=self.service, error=type(error).__name__, detail=detail(error)
        )
        return True

    def answered(self) -> None:
        """A call succeeded: if the service was down, log that it is back."""
        if self.down:
            log.info("service_recovered", service=self.service, failed_calls=self.failures)
        self.down = False
        self.failures = 0
