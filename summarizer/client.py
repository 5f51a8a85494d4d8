"""The OpenAI-compatible client every LLM feature shares: summaries, interests translation and
embeddings go to the same endpoint (``OPENAI_BASE_URL``) through one connection pool."""

from __future__ import annotations

import openai

from bot.settings import Settings

MAX_RETRIES = 2
"""The client's own retries (honouring ``Retry-After``), the only retry layer for LLM calls."""


def openai_client(settings: Settings, max_retries: int = MAX_RETRIES) -> openai.AsyncOpenAI:
    """An ``openai.AsyncOpenAI`` on the settings' endpoint, key and timeout (seconds). A local
    server needs no key, but the client insists on one: any string does."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    return openai.AsyncOpenAI(
        api_key=key,
        base_url=settings.openai_base_url,
        timeout=settings.openai_timeout,
        max_retries=max_retries,
    )
