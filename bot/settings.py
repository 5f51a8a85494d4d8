"""One settings object, built once at start-up and passed down.

Values come from the environment or a ``.env`` file in the working directory; every name is listed
in ``.env.example``. Every value is checked when the object is built: an invalid one raises
pydantic's ``ValidationError``, which ``describe_errors`` turns into one line per setting naming it
and what is accepted (never its value). Secrets are ``SecretStr`` so they never show in a repr, a
log line or an error; ``secret_values`` lists them (and the passwords inside URLs) for the log
redactor.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.i18n import LANGUAGE_HINT

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_TELEGRAM_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*$")
_SECRET_QUERY_KEYS = frozenset({"password", "pass", "passwd", "token", "key", "api_key", "secret"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
STORE_SCHEMES = ("redis://", "rediss://", "unix://", "sqlite:///")
_SECRET_USER = 12
"""A URL's user part alone (``https://KEY@host``) counts as a secret from this length on."""

MAX_TOP = 100
"""The most papers a digest shows in full (``DEFAULT_TOP``, ``/top``), short of all."""

_HTTP = "an http:// or https:// URL"
_PORT = "a TCP port number from 1 to 65535"


def default_store_url() -> str:
    """The embedded SQLite file in the user's data directory."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('arxiv-digest')) / 'arxiv-digest.sqlite3'}"


def check_url(value: str, schemes: tuple[str, ...]) -> str:
    """``value`` if it is a URL with one of ``schemes`` and a host; ValueError otherwise (its text
    never quotes the value, which may hold a password)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError("malformed URL") from None
    if parts.scheme.lower() not in schemes:
        raise ValueError("unsupported scheme")
    if not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("no host, or a space in the URL")
    return value


def check_store_url(value: str) -> str:
    """A Redis URL (``redis://``, ``rediss://``, ``unix://``) or ``sqlite:///path``."""
    if value.startswith("sqlite:///"):
        if len(value) == len("sqlite:///"):
            raise ValueError("sqlite:/// needs a file path")
        return value
    if value.startswith("unix://"):
        if not urlsplit(value).path:
            raise ValueError("unix:// needs a socket path")
        return value
    check_url(value, ("redis", "rediss"))
    database = urlsplit(value).path.strip("/")
    if database and not database.isdigit():
        raise ValueError("the database after the host is a number, e.g. /0")
    return value


def url_secrets(url: str | None) -> list[str]:
    """The credentials inside a URL: its password (or user, when alone) and secret-looking query
    values; ``[]`` when it has none or cannot be parsed."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    netloc = parts.netloc
    if "@" in netloc:
        userinfo = netloc.rpartition("@")[0]
        user, sep, password = userinfo.partition(":")
        secret = password if sep else (user if len(user) >= _SECRET_USER else "")
        if secret:
            found.extend({secret, unquote(secret)})
    for key, value in parse_qsl(parts.query):
        if key.lower() in _SECRET_QUERY_KEYS and value:
            found.append(value)
    return found


def mask_url(text: str) -> str:
    """``text`` with the credentials of any URL in it masked (``redis://:pw@h`` → ``redis://:***@h``)."""
    for secret in url_secrets(text):
        text = text.replace(secret, "***")
    return text


class Settings(BaseSettings):
    """Every setting of a deployment. Build with ``Settings()``; never read at import time.

    Each field's ``description`` says what it accepts; it is what an error message shows.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        hide_input_in_errors=True,
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None,
        description="the bot token from @BotFather, like 123456789:AAE…, or empty for no Telegram",
    )
    telegram_api_url: str = Field(default="https://api.telegram.org/bot", description=_HTTP)
    telegram_webhook_url: str | None = Field(default=None, description=_HTTP + ", or empty for long polling")
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="1 to 256 characters A-Z, a-z, 0-9, _ and -"
    )
    telegram_webhook_listen: str = Field(default="0.0.0.0", description="an IP address or a host name")
    telegram_webhook_port: Annotated[int, Field(ge=1, le=65535)] = Field(default=8443, description=_PORT)

    discord_bot_token: SecretStr | None = Field(
        default=None, description="the bot token from Discord's developer portal, or empty for no Discord"
    )
    discord_api_url: str = Field(default="https://discord.com/api/v10", description=_HTTP)
    discord_gateway_url: str = Field(default="wss://gateway.discord.gg/", description="a ws:// or wss:// URL")

    openai_api_key: SecretStr | None = Field(default=None, description="an API key without spaces")
    openai_base_url: str | None = Field(default=None, description=_HTTP + ", e.g. http://localhost:11434/v1")
    openai_model: str = Field(default="gpt-4o-mini", min_length=1, description="a model name")
    openai_timeout: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=60.0, description="seconds, more than 0 and at most 3600"
    )
    openai_embedding_model: str | None = Field(
        default=None, min_length=1, description="an embedding model name, or empty for lexical ranking only"
    )

    arxiv_rss_url: str = Field(default="https://rss.arxiv.org/rss", description=_HTTP)
    arxiv_api_url: str = Field(default="https://export.arxiv.org/api/query", description=_HTTP)
    arxiv_timeout: Annotated[float, Field(gt=0, le=600)] = Field(
        default=30.0, description="seconds, more than 0 and at most 600"
    )
    arxiv_min_interval: Annotated[float, Field(ge=0, le=3600)] = Field(
        default=3.0, description="seconds from 0 to 3600 (arXiv asks for at least 3)"
    )
    arxiv_retries: Annotated[int, Field(ge=1, le=20)] = Field(
        default=4, description="a whole number from 1 to 20"
    )
    arxiv_page_size: Annotated[int, Field(ge=1, le=2000)] = Field(
        default=200, description="a whole number from 1 to 2000"
    )

    store_url: str = Field(
        default_factory=default_store_url,
        description="redis://host:6379/0, rediss://…, unix:///path/redis.sock or sqlite:///path/to/file",
    )
    store_prefix: str = Field(default="arxiv-digest:", max_length=200, description="up to 200 characters")

    default_push_time: str = Field(default="08:00", description="HH:MM on a 24-hour clock, e.g. 08:00")
    default_timezone: str = Field(
        default="UTC", description="an IANA time zone such as UTC, Europe/Berlin or Asia/Shanghai"
    )
    default_language: str = Field(default="en", description=LANGUAGE_HINT)

    default_top: Annotated[int, Field(ge=1, le=MAX_TOP)] = Field(
        default=10, description=f"a whole number from 1 to {MAX_TOP}: papers shown in full per digest"
    )

    summary_concurrency: Annotated[int, Field(ge=1, le=64)] = Field(
        default=4, description="a whole number from 1 to 64"
    )
    summary_deadline: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=60.0, description="seconds, more than 0 and at most 3600, e.g. 60"
    )
    log_level: str = Field(default="INFO", description="one of " + ", ".join(LOG_LEVELS))
    metrics_port: Annotated[int, Field(ge=1, le=65535)] | None = Field(
        default=None, description=_PORT + ", or empty for no metrics endpoint"
    )

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_telegram_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TELEGRAM_TOKEN.match(value.get_secret_value().strip()):
            raise ValueError("not shaped like a Telegram bot token")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("discord_bot_token", "openai_api_key")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(c.isspace() for c in value.get_secret_value().strip()):
            raise ValueError("contains a space")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("not a valid secret token")
        return value

    @field_validator("telegram_api_url", "discord_api_url", "arxiv_rss_url", "arxiv_api_url")
    @classmethod
    def _check_http(cls, value: str) -> str:
        return check_url(value.strip(), ("http", "https"))

    @field_validator("telegram_webhook_url", "openai_base_url")
    @classmethod
    def _check_optional_http(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value.strip(), ("http", "https"))

    @field_validator("discord_gateway_url")
    @classmethod
    def _check_ws(cls, value: str) -> str:
        return check_url(value.strip(), ("ws", "wss"))

    @field_validator("telegram_webhook_listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        value = value.strip()
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.match(value):
                raise ValueError("malformed") from None
        return value

    @field_validator("store_url")
    @classmethod
    def _check_store(cls, value: str) -> str:
        return check_store_url(value.strip())

    @field_validator("default_push_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not _HHMM.match(value.strip()):
            raise ValueError("not a 24-hour time")
        return value.strip()

    @field_validator("default_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("unknown time zone") from None
        return value.strip()

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        from bot.language import canonical_language

        code = canonical_language(value)
        if code is None:
            raise ValueError("not a language code")
        return code

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError("unknown log level")
        return level

    def __repr_args__(self) -> Any:
        """The repr's fields, with any password inside a URL masked (secrets are ``SecretStr``)."""
        for name, value in super().__repr_args__():
            yield name, mask_url(value) if isinstance(value, str) else value

    @property
    def llm_enabled(self) -> bool:
        """The LLM is on when a key or a base URL is set."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def embeddings_enabled(self) -> bool:
        """Embeddings are on when ``OPENAI_EMBEDDING_MODEL`` is set and the endpoint is configured."""
        return self.llm_enabled and bool(self.openai_embedding_model)

    def webhook_secret(self) -> str:
        """``TELEGRAM_WEBHOOK_SECRET``, or one derived from the bot token so every replica agrees on
        it (empty when neither is set)."""
        if self.telegram_webhook_secret is not None:
            return self.telegram_webhook_secret.get_secret_value()
        if self.telegram_bot_token is None:
            return ""
        token = self.telegram_bot_token.get_secret_value().encode()
        return hashlib.sha256(b"arxiv-digest-webhook:" + token).hexdigest()[:48]

    def secret_values(self) -> list[str]:
        """Every secret of this deployment as plain text, for the log redactor: the tokens, the API
        key, the webhook secret, and the credentials inside any URL setting."""
        found = [
            secret.get_secret_value()
            for secret in (
                self.telegram_bot_token,
                self.discord_bot_token,
                self.openai_api_key,
                self.telegram_webhook_secret,
            )
            if secret is not None
        ]
        if self.telegram_bot_token is not None:
            found.append(self.webhook_secret())
        for url in (
            self.store_url,
            self.openai_base_url,
            self.telegram_api_url,
            self.telegram_webhook_url,
            self.discord_api_url,
            self.discord_gateway_url,
            self.arxiv_rss_url,
            self.arxiv_api_url,
        ):
            found.extend(url_secrets(url))
        return [value for value in found if value]


def env_name(field: str) -> str:
    """``"store_url"`` → ``"STORE_URL"``, the name a user sets."""
    return field.upper()


def describe_errors(error: ValidationError) -> list[str]:
    """One line per invalid setting: ``"LOG_LEVEL: expected one of DEBUG, …"``. Lines say what is
    accepted (from the field's description) and, for our own checks, what is wrong; never the value."""
    lines: list[str] = []
    seen: set[str] = set()
    for problem in error.errors(include_input=False, include_url=False):
        location = problem.get("loc") or ("settings",)
        field = str(location[0])
        if field in seen:
            continue
        seen.add(field)
        info = Settings.model_fields.get(field)
        accepted = info.description if info is not None else None
        reason = _reason(problem)
        if accepted:
            lines.append(f"{env_name(field)}: expected {accepted}" + (f" ({reason})" if reason else ""))
        else:
            lines.append(f"{env_name(field)}: {problem.get('msg', 'invalid')}")
    return lines


def _reason(problem: Any) -> str:
    """Our validators' own words ("unknown time zone"); pydantic's generic ones are left out, the
    field's description already says what is accepted."""
    if problem.get("type") != "value_error":
        return ""
    context = problem.get("ctx") or {}
    cause = context.get("error")
    return str(cause) if cause is not None else ""
