"""What the engine asks of a summarizer. Implementations live in the ``summarizer`` package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bot.models import Paper

Progress = Callable[[int], None]
"""Called with the number of papers just finished."""


class Summarizer(Protocol):
    """Turns papers into papers with a condensed summary in ``language``."""

    async def summarize(
        self, papers: Sequence[Paper], language: str, progress: Progress | None = None
    ) -> list[Paper]:
        """Return the papers, in order, each with ``summary`` and ``summary_source`` set.

        Never raises for one paper's failure: that paper falls back (extractive) instead.
        """
        ...

    async def close(self) -> None:
        """Release connections (an LLM client); nothing for summarizers without I/O."""
        ...


class NoSummarizer:
    """Leaves every paper without a summary (``--no-summary``)."""

    async def summarize(
        self, papers: Sequence[Paper], language: str, progress: Progress | None = None
    ) -> list[Paper]:
        if progress is not None:
            progress(len(papers))
        return [p.with_summary("", "none") for p in papers]

    async def close(self) -> None:
        """Nothing to release."""
