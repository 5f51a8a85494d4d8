"""Settings are checked at start: one line per invalid setting naming it and what is accepted,
exit code 2, never the value; the deployment files stop a configuration error from looping."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.settings import Settings, describe_errors, url_secrets
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.telegram import FakeTelegram
from tests.paths import ROOT
from tests.processes import run_cli

SECRET = "hunter2-not-for-logs"


def build(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("values", "named", "accepted"),
    [
        ({"default_timezone": "Mars/X"}, "DEFAULT_TIMEZONE", "IANA time zone"),
        ({"default_timezone": "../../etc/passwd"}, "DEFAULT_TIMEZONE", "IANA time zone"),
        ({"log_level": "verbose"}, "LOG_LEVEL", "DEBUG, INFO"),
        ({"default_language": "klingon"}, "DEFAULT_LANGUAGE", "language code"),
        ({"default_push_time": "25:00"}, "DEFAULT_PUSH_TIME", "HH:MM"),
        ({"metrics_port": "70000"}, "METRICS_PORT", "1 to 65535"),
        ({"metrics_port": "nine"}, "METRICS_PORT", "1 to 65535"),
        ({"telegram_webhook_port": "0"}, "TELEGRAM_WEBHOOK_PORT", "1 to 65535"),
        ({"summary_concurrency": "0"}, "SUMMARY_CONCURRENCY", "1 to 64"),
        ({"arxiv_timeout": "-1"}, "ARXIV_TIMEOUT", "more than 0"),
        ({"arxiv_retries": "100"}, "ARXIV_RETRIES", "1 to 20"),
        ({"arxiv_page_size": "5000"}, "ARXIV_PAGE_SIZE", "1 to 2000"),
        ({"openai_timeout": "0"}, "OPENAI_TIMEOUT", "more than 0"),
        ({"store_url": f"redis://:{SECRET}@host:port/0"}, "STORE_URL", "redis://host:6379/0"),
        ({"store_url": "mysql://db/x"}, "STORE_URL", "sqlite:///"),
        ({"store_url": "sqlite://relative.db"}, "STORE_URL", "sqlite:///"),
        ({"openai_base_url": "127.0.0.1:8000/v1"}, "OPENAI_BASE_URL", "http://"),
        ({"openai_base_url": f"ftp://u:{SECRET}@h/v1"}, "OPENAI_BASE_URL", "http://"),
        ({"telegram_api_url": "api.telegram.org"}, "TELEGRAM_API_URL", "http://"),
        ({"discord_gateway_url": "https://gateway.discord.gg"}, "DISCORD_GATEWAY_URL", "wss://"),
        ({"arxiv_rss_url": "http:// spaces .org"}, "ARXIV_RSS_URL", "http://"),
        ({"telegram_bot_token": SECRET}, "TELEGRAM_BOT_TOKEN", "@BotFather"),
        ({"openai_api_key": f"sk {SECRET}"}, "OPENAI_API_KEY", "without spaces"),
        ({"telegram_webhook_listen": "not a host"}, "TELEGRAM_WEBHOOK_LISTEN", "IP address"),
    ],
)
def test_invalid_setting_named_with_what_is_accepted(
    values: dict[str, Any], named: str, accepted: str
) -> None:
    """Each invalid value gives one line: the setting's name and what it accepts, never the value."""
    with pytest.raises(ValidationError) as caught:
        build(**values)
    [line] = describe_errors(caught.value)
    assert line.startswith(f"{named}: expected ") and accepted in line
    for value in values.values():
        assert len(str(value)) < 5 or str(value) not in line
    assert SECRET not in line


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        ({"default_language": "ZH_cn"}, "default_language", "zh"),
        ({"default_language": "zh_TW"}, "default_language", "zh-Hant"),
        ({"log_level": "debug"}, "log_level", "DEBUG"),
        ({"default_timezone": "Asia/Shanghai"}, "default_timezone", "Asia/Shanghai"),
        ({"store_url": "rediss://user:pw@redis.example:6380/2"}, "store_url", "rediss://user:pw@redis.example:6380/2"),
        ({"store_url": "unix:///run/redis.sock"}, "store_url", "unix:///run/redis.sock"),
        ({"metrics_port": "9108"}, "metrics_port", 9108),
    ],
)  # fmt: skip
def test_valid_settings_are_kept(values: dict[str, Any], field: str, expected: object) -> None:
    """Accepted values are kept, in their canonical form."""
    assert getattr(build(**values), field) == expected


def test_several_invalid_settings_one_line_each() -> None:
    """Every invalid setting is reported, one line each."""
    with pytest.raises(ValidationError) as caught:
        build(log_level="verbose", default_timezone="Mars/X", metrics_port="0")
    lines = describe_errors(caught.value)
    assert [line.split(":")[0] for line in lines] == ["DEFAULT_TIMEZONE", "LOG_LEVEL", "METRICS_PORT"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://:pw@host:6379/0", ["pw"]),
        ("rediss://user:pa%40ss@host/0", ["pa%40ss", "pa@ss"]),
        ("http://user:password@host/v1", ["password"]),
        ("https://a-long-api-key-as-user@host/v1", ["a-long-api-key-as-user"]),
        ("redis://default@host/0", []),
        ("redis://host:6379/0?password=qs-secret", ["qs-secret"]),
        ("https://rss.arxiv.org/rss", []),
        (None, []),
    ],
)
def test_url_secrets(url: str | None, expected: list[str]) -> None:
    """The credentials inside a URL are found for the log redactor."""
    assert sorted(url_secrets(url)) == sorted(expected)


def test_secret_values_cover_every_secret() -> None:
    """Tokens, the API key, the webhook secret and URL passwords all reach the redactor."""
    settings = build(
        telegram_bot_token="123456789:AAE-fake-token-for-tests",
        discord_bot_token="discord-token-value",
        openai_api_key="sk-key-value",
        openai_base_url="http://u:llm-password@host/v1",
        store_url="redis://:store-password@host:6379/0",
    )
    values = settings.secret_values()
    for secret in (
        "123456789:AAE-fake-token-for-tests",
        "discord-token-value",
        "sk-key-value",
        "llm-password",
        "store-password",
        settings.webhook_secret(),
    ):
        assert secret in values
    assert "store-password" not in repr(settings) and "sk-key-value" not in repr(settings)


# -- the command line -----------------------------------------------------------------------------


def _environment(**settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "OPENAI_",
                "TELEGRAM_",
                "DISCORD_",
                "ARXIV_",
                "STORE_",
                "LOG_",
                "METRICS_",
                "DEFAULT_",
                "SUMMARY_",
            )
        )
    }
    env.update(PYTHONPATH=str(ROOT), **settings)
    return env


@pytest.mark.parametrize("command", [["run"], ["push"], ["today", "cs.DC"], ["chat"], ["check"]])
async def test_cli_exits_2_naming_each_invalid_setting(tmp_path: Path, command: list[str]) -> None:
    """Every command checks the settings first: exit 2, one line per invalid setting, no traceback,
    no value (a password in STORE_URL included)."""
    env = _environment(
        DEFAULT_TIMEZONE="Mars/X",
        LOG_LEVEL="verbose",
        DEFAULT_LANGUAGE="klingon",
        STORE_URL=f"redis://:{SECRET}@host:nope/0",
    )
    code, out, err = await run_cli(env, tmp_path, *command)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert [line.split(":")[1].split()[-1] for line in lines] == [
        "STORE_URL",
        "DEFAULT_TIMEZONE",
        "DEFAULT_LANGUAGE",
        "LOG_LEVEL",
    ]
    assert all(line.startswith("arxiv-digest: invalid setting ") for line in lines)
    assert SECRET not in err and "Mars/X" not in err and "Traceback" not in err


def _busy_port() -> socket.socket:
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))
    holder.listen()
    return holder


async def test_metrics_port_in_use_exits_2(tmp_path: Path) -> None:
    """``run`` with METRICS_PORT already taken exits 2 with one line naming METRICS_PORT."""
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        with _busy_port() as holder:
            env = _environment(
                TELEGRAM_BOT_TOKEN=tg.token,
                TELEGRAM_API_URL=tg.api_url,
                ARXIV_RSS_URL=arxiv.rss_url,
                ARXIV_API_URL=arxiv.api_url,
                STORE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}",
                METRICS_PORT=str(holder.getsockname()[1]),
            )
            code, _, err = await run_cli(env, tmp_path, "run")
        assert tg.polls == 0
    assert code == 2, err
    [line] = [line for line in err.splitlines() if "METRICS_PORT" in line]
    assert line.startswith("arxiv-digest: METRICS_PORT ") and "free port" in line
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["run", "check"])
async def test_env_example_copied_as_is(tmp_path: Path, command: str) -> None:
    """``.env.example`` copied to ``.env`` unchanged is valid, and with both tokens empty ``run``
    and ``check`` exit 2 with one line saying which tokens to set, and nothing else on stderr."""
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    env = _environment(STORE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}")
    code, _, err = await run_cli(env, tmp_path, command)
    assert code == 2, err
    assert "invalid setting" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("arxiv-digest: ")
    assert "TELEGRAM_BOT_TOKEN" in line and "DISCORD_BOT_TOKEN" in line


async def test_check_reports_a_ready_deployment(tmp_path: Path) -> None:
    """``check`` with a valid setup prints the store and each platform's bot and exits 0."""
    async with FakeTelegram() as tg, FakeArxiv() as arxiv:
        env = _environment(
            TELEGRAM_BOT_TOKEN=tg.token,
            TELEGRAM_API_URL=tg.api_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            STORE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}",
        )
        code, out, err = await run_cli(env, tmp_path, "check")
    assert code == 0, err
    assert out.splitlines() == [
        "settings: ok",
        f"store: ok (sqlite:///{tmp_path / 'store.sqlite3'})",
        f"telegram: ok (@{tg.me['username']})",
    ]


def test_compose_stops_on_a_configuration_error() -> None:
    """In Docker Compose the bot starts only after ``arxiv-digest check`` succeeded (a one-shot
    service that is never restarted), so a configuration error ends ``docker compose up`` with one
    line instead of a restart loop; the webhook port is exposed and .env is the env_file."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    check, bot = services["check"], services["bot"]
    assert check["command"] == ["check"] and check.get("restart", "no") == "no"
    assert bot["depends_on"]["check"] == {"condition": "service_completed_successfully"}
    assert check["env_file"] == bot["env_file"]
    assert check.get("environment", {}).get("STORE_URL") == bot["environment"]["STORE_URL"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "EXPOSE 9108 8443" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv*", ".git", "tests", "**/__pycache__", ".env"} <= set(ignored)


def test_compose_gives_a_stopping_bot_its_grace_period() -> None:
    """``docker compose stop`` waits longer than the bot's shutdown grace before killing it, so
    the chats being pushed finish or are handed back instead of being cut off by SIGKILL."""
    from adapters.runner import SHUTDOWN_GRACE

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    grace = compose["services"]["bot"].get("stop_grace_period", "10s")
    assert grace.endswith("s") and float(grace.removesuffix("s")) > SHUTDOWN_GRACE
