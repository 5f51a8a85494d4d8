"""One settings object, built once at start-up and passed down.

Values come from the environment or a ``.env`` file; every name is listed in ``.env.example``.
Secrets are ``SecretStr`` so they never show in a repr, a log line or an error.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def default_store_url() -> str:
    """The embedded SQLite file in the user's data directory."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('arxiv-digest')) / 'arxiv-digest.sqlite3'}"


class Settings(BaseSettings):
    """Every setting of a deployment. Build with ``Settings()``; never read at import time."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443

    discord_bot_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    openai_timeout: float = 60.0
    openai_embedding_model: str | None = None

    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_timeout: float = 30.0
    arxiv_min_interval: float = 3.0
    arxiv_retries: int = 4
    arxiv_page_size: int = 200

    store_url: str = Field(default_factory=default_store_url)
    store_prefix: str = "arxiv-digest:"

    default_push_time: str = "08:00"
    default_timezone: str = "UTC"
    default_language: str = "en"

    summary_concurrency: int = 4
    summary_deadline: float = 60.0
    log_level: str = "INFO"
    metrics_port: int | None = None

    @field_validator("default_push_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("expected HH:MM, 24-hour clock, e.g. 08:00")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)
        return value

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        from bot.language import canonical_language

        found = canonical_language(value)
        if found is None:
            raise ValueError("expected a language code such as en, zh, de, ja or pt-BR")
        return found

    @field_validator("summary_deadline")
    @classmethod
    def _check_deadline(cls, value: float) -> float:
        if not value > 0:
            raise ValueError("must be a positive number of seconds, e.g. 60")
        return value

    @field_validator("summary_concurrency")
    @classmethod
    def _check_concurrency(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @property
    def llm_enabled(self) -> bool:
        """The LLM is on when a key or a base URL is set."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def embeddings_enabled(self) -> bool:
        """Embeddings are on when ``OPENAI_EMBEDDING_MODEL`` is set and the endpoint is configured."""
        return self.llm_enabled and bool(self.openai_embedding_model)
