"""``arxiv-digest check`` and the start-up check of ``run`` and ``push``: is this deployment
configured well enough to start?

``verify_platforms`` asks each platform whether it accepts its token (Telegram ``getMe``, Discord
``GET /users/@me``): a refused token raises ``BadSetting`` naming ``TELEGRAM_BOT_TOKEN`` or
``DISCORD_BOT_TOKEN`` (exit code 2, the token never printed); a platform that cannot be reached
right now is logged once and left to the normal retries, since that is no configuration error.

``run_check`` adds the settings (already checked when built) and the store; Docker Compose runs it
as a one-shot service before the bot, so a configuration error stops ``docker compose up`` with one
line instead of becoming a restart loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TextIO

import structlog

from bot.errors import BadInput, BadSetting
from bot.settings import Settings

log = structlog.get_logger(__name__)

Verify = Callable[[], Awaitable[str]]


async def verify_platforms(platforms: Mapping[str, object]) -> dict[str, str | None]:
    """Ask every platform that can (``verify()``) whether it accepts its token.

    Returns platform → who the bot is there (``"@name"``), or None when the platform could not be
    reached now. Raises ``BadSetting`` at the first platform that refuses its token.
    """
    found: dict[str, str | None] = {}
    for name, platform in platforms.items():
        verify: Verify | None = getattr(platform, "verify", None)
        if verify is None:
            continue
        try:
            found[name] = await verify()
        except BadSetting:
            raise
        except Exception as error:
            log.warning("platform_not_verified", platform=name, error=type(error).__name__, detail=str(error))
            found[name] = None
    return found


async def run_check(settings: Settings, out: TextIO) -> int:
    """Check the store and the platforms' tokens; print one line each. 0 when the deployment can
    start; raises ``BadInput``/``BadSetting`` (exit 2) or ``StoreUnavailable`` (exit 3)."""
    from adapters.runner import NO_PLATFORM, _platforms
    from bot.store import open_store
    from bot.store.redis import redact_url

    platforms = _platforms(settings, None, None)
    try:
        if not platforms.senders:
            raise BadInput(NO_PLATFORM)
        out.write("settings: ok\n")
        store = await open_store(settings.store_url, settings.store_prefix)
        try:
            await store.ping()
        finally:
            await store.close()
        out.write(f"store: ok ({redact_url(settings.store_url)})\n")
        for name, who in (await verify_platforms(platforms.senders)).items():
            shown = f"ok ({who})" if who else "token not checked: the platform cannot be reached now"
            out.write(f"{name}: {shown}\n")
    finally:
        await platforms.close()
    out.flush()
    return 0
