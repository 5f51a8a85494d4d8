"""Condensed paper summaries: an LLM summarizer with a per-paper extractive fallback.

``build_summarizer`` picks the implementation from the settings.
"""

from __future__ import annotations

import openai

from bot.metrics import Metrics
from bot.settings import Settings
from bot.store.base import Store
from bot.summary import Summarizer
from summarizer.client import openai_client
from summarizer.extractive import ExtractiveSummarizer, extract
from summarizer.llm import PROMPT_VERSION, LLMSummarizer


def build_summarizer(
    settings: Settings,
    store: Store,
    metrics: Metrics | None = None,
    client: openai.AsyncOpenAI | None = None,
) -> Summarizer:
    """The LLM summarizer (with per-paper extractive fallback) when an LLM is configured, else the
    extractive summarizer. ``client`` is the shared LLM client (``summarizer.client``); without one
    the summarizer builds and closes its own."""
    if settings.llm_enabled:
        return LLMSummarizer(settings, store, client, metrics=metrics)
    return ExtractiveSummarizer()


__all__ = [
    "PROMPT_VERSION",
    "ExtractiveSummarizer",
    "LLMSummarizer",
    "build_summarizer",
    "extract",
    "openai_client",
]
